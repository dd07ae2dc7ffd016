#include "projections/queries.h"

#include <algorithm>
#include <map>

#include "events/centi.h"
#include "projections/projector.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// Runs a query's body with a damaged projection (JSON that does not parse, a field of another
// type) answered as the error projection_damaged, never an exception out of a Result.
template <class F>
auto guarded(std::string_view what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const json::exception& e) {
    return fail("projection_damaged",
                std::string(what) + ": a stored projection could not be read (" + e.what() +
                    "); `jiayuan rebuild` writes the projections again from the log");
  }
}

}  // namespace

Result<std::optional<json>> community_view(const ProjectionView& store, const CommunityId& id) {
  return guarded("community_view", [&]() -> Result<std::optional<json>> {
    JY_TRY(std::optional<std::string> info, store.get(cf::kProjCommunity, id.value));
    json ratings = json::array();
    json cases = json::array();
    // Grades and cases are keyed year/community: a seek finds each year with ratings (a case
    // belongs to a rated year), then two point reads per year; never a scan of the district.
    for (std::string from;;) {
      JY_TRY(std::optional<std::string> first, store.first_key_from(cf::kProjGrade, from));
      if (!first) break;
      const size_t slash = first->find('/');
      if (slash == std::string::npos) break;
      const std::string year = first->substr(0, slash);
      JY_TRY(std::optional<std::string> rating, store.get(cf::kProjGrade, year + "/" + id.value));
      if (rating) ratings.push_back(json::parse(*rating));
      JY_TRY(std::optional<std::string> c, store.get(cf::kProjCase, year + "/" + id.value));
      if (c) cases.push_back(json::parse(*c));
      from = year + "0";  // '0' sorts right after '/': the next year
    }
    if (!info && ratings.empty()) return std::optional<json>();
    json out = info ? json::parse(*info) : json{{"community", id.value}};
    out.erase("_since");  // what the shown particulars were set by
    out["ratings"] = std::move(ratings);
    out["cases"] = std::move(cases);
    if (out.contains("company")) {  // its company's registered name beside the id
      json one = json::array({json{{"company", out["company"]}}});
      JY_CHECK(name_companies(store, one));
      out["company_name"] = one[0]["company_name"];
    }
    JY_TRY(std::optional<std::string> governance, store.get(cf::kProjGovernance, id.value));
    if (governance) {
      out["governance"] = json::parse(*governance);
      out["governance"].erase("_facts");  // what the shown fields are derived from
    }
    return std::optional<json>(std::move(out));
  });
}

Result<json> revisions(const ProjectionView& store, const RevisionFilter& filter) {
  return guarded("revisions", [&]() -> Result<json> {
    std::vector<json> found;
    const std::string prefix = filter.year ? std::to_string(*filter.year) + "/" : std::string();
    // No versions: read from the store as it stands, the date filtered here.
    JY_CHECK(ProjectionView(store.store())
                 .scan(cf::kProjRevision, prefix, [&](std::string_view, std::string_view v) {
                   json r = json::parse(v, nullptr, false);
                   if (r.is_discarded()) return true;
                   const std::string on = r.value("log_date", "");
                   if (filter.community && r.value("community", "") != *filter.community)
                     return true;
                   if (filter.street && r.value("street", "") != *filter.street) return true;
                   if (filter.since && on < filter.since->to_string()) return true;
                   if (store.as_of() && on > store.as_of()->to_string()) return true;
                   found.push_back(std::move(r));
                   return true;
                 }));
    auto key = [](const json& r) {
      return std::make_tuple(r.value("log_date", ""), r.value("community", ""),
                             r.value("decision", ""));
    };
    std::stable_sort(found.begin(), found.end(),
                     [&](const json& a, const json& b) { return key(a) < key(b); });
    json out = json::array();
    for (json& r : found) out.push_back(std::move(r));
    return out;
  });
}

Result<json> community_list(const ProjectionView& store, int32_t year,
                            const CommunityFilter& filter) {
  return guarded("community_list", [&]() -> Result<json> {
    json items = json::array();
    const std::string year_prefix = std::to_string(year) + "/";
    Status failed;
    // Particulars on the rating date (or the view's date, if earlier); the ratings from the view.
    std::optional<Date> on = filter.rating_date;
    if (store.as_of() && (!on || *store.as_of() < *on)) on = store.as_of();
    const ProjectionView particulars = on ? ProjectionView(store.store(), *on) : store;
    JY_CHECK(particulars.scan(cf::kProjCommunity, "", [&](std::string_view k, std::string_view v) {
      const json c = json::parse(v);
      if (!c.contains("street")) return true;  // named by a contract, never registered
      if (filter.street && c["street"] != *filter.street) return true;
      if (filter.category && c["category"] != *filter.category) return true;
      // The rating only of the communities the particulars let through: a point read each.
      auto rating = store.get(cf::kProjGrade, year_prefix + std::string(k));
      if (!rating) {
        failed = fail(rating.error());
        return false;
      }
      json item{{"community", c["community"]},
                {"name", c["name"]},
                {"street", c["street"]},
                {"street_name", c["street_name"]},
                {"category", c["category"]},
                {"enclosure", c["enclosure"]},
                {"households", c["households"]},
                {"fee", c["fee"]},
                {"company", c.value("company", "")},
                {"year", year},
                {"grade", "unrated"},
                {"grade_zh", "未评定"},
                {"tier", nullptr},
                {"final_score", nullptr},
                {"published_on", nullptr}};
      const json r = *rating ? json::parse(**rating) : json::object();
      if (r.contains("grade")) {
        item["grade"] = r["grade"];
        item["grade_zh"] = r["grade_zh"];
        item["tier"] = r["explanation"]["tier"];
        if (r["explanation"].contains("final_score"))
          item["final_score"] = r["explanation"]["final_score"];
        if (r.contains("published_on")) item["published_on"] = r["published_on"];
      }
      if (filter.street && item["street"] != *filter.street) return true;
      if (filter.tier && item["tier"] != *filter.tier) return true;
      if (filter.category && item["category"] != *filter.category) return true;
      if (filter.grade && item["grade"] != *filter.grade) return true;
      items.push_back(std::move(item));
      return true;
    }));
    JY_CHECK(failed);
    JY_CHECK(name_companies(particulars, items));
    return items;
  });
}

namespace {

struct Tally {
  std::string name;
  std::map<std::string, int64_t> by_grade;
};

// Percentage num/den rounded half up to 0.01, as text; null with no denominator (nothing
// rated: no share, rather than a 0.00 that reads like one).
json share(int64_t num, int64_t den) {
  if (den == 0) return nullptr;
  return Centi{round_half_up(num * 10000, den)}.to_string();
}

json tally_json(const std::string& id, const Tally& t) {
  static const char* kGrades[] = {"exemplary", "standard", "passing", "failing", "unrated"};
  json out{{"street", id}, {"street_name", t.name}};
  int64_t rated = 0;
  for (const char* g : kGrades) {
    const auto it = t.by_grade.find(g);
    const int64_t n = it == t.by_grade.end() ? 0 : it->second;
    out[g] = n;
    if (std::string_view(g) != "unrated") rated += n;
  }
  out["rated"] = rated;
  const int64_t ex = out["exemplary"], st = out["standard"], pa = out["passing"];
  out["share_passing_or_better"] = share(ex + st + pa, rated);
  out["share_exemplary"] = share(ex, rated);
  out["share_standard"] = share(st, rated);
  return out;
}

}  // namespace

Result<json> street_summary(const ProjectionView& store, int32_t year) {
  return guarded("street_summary", [&]() -> Result<json> {
    std::map<std::string, Tally> streets;
    Tally district{"全区", {}};
    Result<void> parsed;
    JY_CHECK(store.scan(cf::kProjGrade, std::to_string(year) + "/",
                        [&](std::string_view, std::string_view v) {
                          const json r = json::parse(v);
                          if (!r.contains("grade")) return true;  // published, not yet rated
                          const std::string grade = r.at("grade");
                          Tally& t = streets[r.at("street")];
                          t.name = r.at("street_name");
                          t.by_grade[grade] += 1;
                          district.by_grade[grade] += 1;
                          return true;
                        }));
    json list = json::array();
    for (const auto& [id, t] : streets) list.push_back(tally_json(id, t));
    return json{{"year", year},
                {"streets", std::move(list)},
                {"district", tally_json("district", district)}};
  });
}

}  // namespace jiayuan

namespace jiayuan {

using nlohmann::json;

Result<json> district_view(const ProjectionView& store, int32_t year) {
  return guarded("district_view", [&]() -> Result<json> {
    JY_TRY(std::optional<std::string> v, store.get(cf::kProjDistrict, std::to_string(year)));
    if (!v) return json();
    json view = json::parse(*v);
    JY_CHECK(name_awards(store, view));
    return view;
  });
}

Status name_awards(const ProjectionView& view, json& awards) {
  return guarded("name_awards", [&]() -> Status {
    if (awards.contains("top_ten")) JY_CHECK(name_companies(view, awards["top_ten"]));
    if (awards.contains("excellent_communities"))
      JY_CHECK(name_companies(view, awards["excellent_communities"]));
    std::map<std::string, std::string> managers, communities;
    JY_CHECK(view.scan(cf::kProjCommunity, "", [&](std::string_view k, std::string_view v) {
      const json c = json::parse(v);
      if (c.contains("manager") && c.contains("manager_name"))
        managers[c["manager"].get<std::string>()] = c["manager_name"];
      if (c.contains("name") && c["name"].is_string()) communities[std::string(k)] = c["name"];
      return true;
    }));
    auto name = [](const std::map<std::string, std::string>& names, const json& id) {
      const auto it = id.is_string() ? names.find(id.get<std::string>()) : names.end();
      return it == names.end() ? json() : json(it->second);
    };
    if (awards.contains("excellent_communities")) {
      for (json& c : awards["excellent_communities"]) {
        c["community_name"] = name(communities, c.value("community", json()));
        c["manager_name"] = name(managers, c.value("manager", json()));
      }
    }
    if (awards.contains("excellent_managers")) {
      for (json& m : awards["excellent_managers"])
        m["manager_name"] = name(managers, m.value("manager", json()));
    }
    return {};
  });
}

Result<json> company_standings(const ProjectionView& store, int32_t year) {
  return guarded("company_standings", [&]() -> Result<json> {
    json list = json::array();
    JY_CHECK(store.scan(cf::kProjStanding, std::to_string(year) + "/",
                        [&](std::string_view, std::string_view v) {
                          list.push_back(json::parse(v));
                          return true;
                        }));
    JY_CHECK(name_companies(store, list));
    return order_standings(std::move(list), year);
  });
}

Status name_companies(const ProjectionView& view, json& items) {
  return guarded("name_companies", [&]() -> Status {
    for (json& item : items) {
      if (!item.contains("company") || !item["company"].is_string()) continue;
      JY_TRY(std::optional<std::string> r,
             view.get(cf::kProjCompany, company_registry_key(item["company"].get<std::string>())));
      item["company_name"] = r ? json::parse(*r)["name"] : json();
    }
    return {};
  });
}

json order_standings(json list, int32_t year) {
  std::stable_sort(list.begin(), list.end(), [](const json& a, const json& b) {
    const int ra = a["rank"], rb = b["rank"];
    if ((ra > 0) != (rb > 0)) return ra > 0;
    if (ra != rb) return ra < rb;
    return a["company"].get<std::string>() < b["company"].get<std::string>();
  });
  return json{{"year", year}, {"companies", list}};
}

Result<json> failing_cases(const ProjectionView& store, Date as_of, bool all) {
  return guarded("failing_cases", [&]() -> Result<json> {
    json out = json::array();
    auto overdue = [&](const std::string& due) {
      const auto d = Date::parse(due);
      return d ? std::max(0, days_between(*d, as_of)) : 0;
    };
    JY_CHECK(store.scan(cf::kProjCase, "", [&](std::string_view, std::string_view v) {
      json c = json::parse(v);
      const std::string status = c.value("status", "");
      json open = json::array();
      if (status == "interview_due") {
        open.push_back({{"what", "interview"},
                        {"due", c["interview_due"]},
                        {"days_overdue", overdue(c["interview_due"])}});
      } else if (status == "rectifying") {
        open.push_back({{"what", "rectification"},
                        {"due", c["deadline"]},
                        {"days_overdue", overdue(c["deadline"])}});
      } else if (status == "escalated") {
        for (const json& o : c["obligations"]) {
          if (o.contains("fulfilled_on")) continue;
          open.push_back({{"what", "sanction:" + o["department"].get<std::string>()},
                          {"due", o["due"]},
                          {"days_overdue", overdue(o["due"])}});
        }
      }
      if (!all && open.empty()) return true;
      c["open"] = open;
      out.push_back(std::move(c));
      return true;
    }));
    return json{{"as_of", as_of.to_string()}, {"cases", out}};
  });
}

Result<json> renovation_priority(const ProjectionView& store, int32_t year, const RuleSet& rules) {
  return guarded("renovation_priority", [&]() -> Result<json> {
    const std::string from =
        std::to_string(year - rules.governance.renovation_years + 1) + "-01-01";
    const std::string to = std::to_string(year) + "-12-31";
    json list = json::array();
    JY_CHECK(store.scan(cf::kProjGovernance, "", [&](std::string_view, std::string_view v) {
      const json g = json::parse(v);
      json items = json::array();
      for (const auto& [item, dates] : g["items"].items()) {
        for (const json& d : dates) {
          const std::string day = d;
          if (from <= day && day <= to) {
            items.push_back(item);
            break;
          }
        }
      }
      if (!items.empty())
        list.push_back({{"community", g["community"]}, {"items", items}, {"count", items.size()}});
      return true;
    }));
    std::stable_sort(list.begin(), list.end(), [](const json& a, const json& b) {
      if (a["count"] != b["count"]) return a["count"].get<int>() > b["count"].get<int>();
      return a["community"].get<std::string>() < b["community"].get<std::string>();
    });
    return json{{"year", year}, {"window", {{"from", from}, {"to", to}}}, {"communities", list}};
  });
}

Result<json> governance_compliance(const ProjectionView& store, int32_t year,
                                   const RuleSet& rules) {
  return guarded("governance_compliance", [&]() -> Result<json> {
    const YearWindow* w = rules.window(year);
    const std::string rating_day =
        w != nullptr ? w->to.to_string() : std::to_string(year) + "-12-31";
    struct Tally {
      int64_t eligible = 0, with_branch = 0, inspections = 0, compliant = 0;
    };
    std::map<std::string, Tally> by_street;
    std::map<std::string, std::string> street_of;
    JY_CHECK(store.scan(cf::kProjCommunity, "", [&](std::string_view k, std::string_view v) {
      const json c = json::parse(v);
      if (c.contains("street")) street_of[std::string(k)] = c["street"];
      return true;
    }));
    JY_CHECK(store.scan(cf::kProjGovernance, "", [&](std::string_view k, std::string_view v) {
      const json g = json::parse(v);
      if (!g.contains("committee")) return true;
      const json& committee = g["committee"];
      if (committee["on"].get<std::string>() > rating_day) return true;
      if (committee["party_members"].get<int>() < rules.governance.party_branch_min_members)
        return true;
      Tally& t = by_street[street_of[std::string(k)]];
      t.eligible += 1;
      if (g.contains("party_branch_on") && g["party_branch_on"].get<std::string>() <= rating_day)
        t.with_branch += 1;
      return true;
    }));
    JY_CHECK(store.scan(cf::kProjWaste, std::to_string(year) + "/",
                        [&](std::string_view k, std::string_view v) {
                          const json w = json::parse(v);
                          Tally& t = by_street[street_of[std::string(k.substr(k.find('/') + 1))]];
                          t.inspections += w["inspections"].get<int64_t>();
                          t.compliant += w["compliant"].get<int64_t>();
                          return true;
                        }));
    auto share = [](int64_t n, int64_t d) {
      return d == 0 ? std::string("0.00") : Centi{round_half_up(n * 10000, d)}.to_string();
    };
    auto line = [&](const Tally& t) {
      return json{
          {"eligible_committees", t.eligible},
          {"with_party_branch", t.with_branch},
          {"party_branch_share", share(t.with_branch, t.eligible)},
          {"party_branch_met",
           t.eligible > 0 && t.with_branch * 10000 >=
                                 rules.governance.party_branch_target.hundredths * t.eligible},
          {"waste_inspections", t.inspections},
          {"waste_compliant", t.compliant},
          {"waste_share", share(t.compliant, t.inspections)},
          {"waste_met", t.inspections > 0 &&
                            t.compliant * 10000 >=
                                rules.governance.waste_sorting_target.hundredths * t.inspections}};
    };
    Tally total;
    json streets = json::array();
    for (const auto& [street, t] : by_street) {
      json l = line(t);
      l["street"] = street;
      streets.push_back(l);
      total.eligible += t.eligible;
      total.with_branch += t.with_branch;
      total.inspections += t.inspections;
      total.compliant += t.compliant;
    }
    return json{{"year", year},
                {"targets",
                 {{"party_branch", rules.governance.party_branch_target.to_string()},
                  {"waste_sorting", rules.governance.waste_sorting_target.to_string()}}},
                {"district", line(total)},
                {"streets", streets}};
  });
}

}  // namespace jiayuan
