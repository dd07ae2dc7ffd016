#include "projections/queries.h"

#include <algorithm>
#include <map>

#include "events/centi.h"
#include "projections/projector.h"
#include "projections/records.h"

namespace jiayuan {

using nlohmann::json;

Result<std::optional<json>> community_view(const ProjectionView& store, const CommunityId& id) {
  return guard_damage("community_view", [&]() -> Result<std::optional<json>> {
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
      if (rating) {
        JY_TRY(json r, parse_stored(cf::kProjGrade, *rating));
        ratings.push_back(std::move(r));
      }
      JY_TRY(std::optional<std::string> c, store.get(cf::kProjCase, year + "/" + id.value));
      if (c) {
        JY_TRY(json shown, parse_stored(cf::kProjCase, *c));
        cases.push_back(std::move(shown));
      }
      from = year + "0";  // '0' sorts right after '/': the next year
    }
    if (!info && ratings.empty()) return std::optional<json>();
    json out{{"community", id.value}};
    if (info) {
      JY_TRY(out, parse_stored(cf::kProjCommunity, *info));
    }
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
      JY_TRY(out["governance"], parse_stored(cf::kProjGovernance, *governance));
      out["governance"].erase("_facts");  // what the shown fields are derived from
    }
    return std::optional<json>(std::move(out));
  });
}

Result<json> revisions(const ProjectionView& store, const RevisionFilter& filter) {
  return guard_damage("revisions", [&]() -> Result<json> {
    std::vector<json> found;
    const std::string prefix = filter.year ? std::to_string(*filter.year) + "/" : std::string();
    // No versions: read from the store as it stands, the date filtered here.
    Status failed;
    JY_CHECK(ProjectionView(store.store())
                 .scan(cf::kProjRevision, prefix, [&](std::string_view, std::string_view v) {
                   Result<json> parsed = parse_stored(cf::kProjRevision, v);
                   if (!parsed) failed = fail(parsed.error());
                   if (!parsed) return false;
                   json r = std::move(*parsed);
                   const std::string on = r.value("log_date", "");
                   if (filter.community && r.value("community", "") != *filter.community)
                     return true;
                   if (filter.street && r.value("street", "") != *filter.street) return true;
                   if (filter.since && on < filter.since->to_string()) return true;
                   if (store.as_of() && on > store.as_of()->to_string()) return true;
                   found.push_back(std::move(r));
                   return true;
                 }));
    JY_CHECK(failed);
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

namespace {

// What community_list reads of one community: its particulars, then its rating, if any.
struct ListedCommunity {
  std::string key;
  CommunityRecord particulars;
  std::optional<RatingRecord> rating;
};

// The registered communities the filter's particulars let through, in key order, from their
// list lines. With a street, a line whose bytes cannot hold it (`"street":"<id>"`, the form
// every stored value is written in) is passed over undecoded; what is decoded is checked whole.
Result<std::vector<ListedCommunity>> listed_particulars(const ProjectionView& particulars,
                                                        const CommunityFilter& filter) {
  std::vector<ListedCommunity> out;
  const std::string street = filter.street ? "\"street\":" + json(*filter.street).dump() : "";
  JY_CHECK(scan_records<CommunityRecord>(
      particulars, line_family(particulars.store(), cf::kProjCommunity), "", decode_community,
      [&](std::string_view k, CommunityRecord& c) {
        if (!c.registered()) return true;  // named by a contract only
        if (filter.street && c.street != filter.street) return true;
        if (filter.category && c.category != filter.category) return true;
        out.push_back({std::string(k), std::move(c), std::nullopt});
        return true;
      },
      [&](std::string_view, std::string_view v) {
        return street.empty() || v.find(street) != std::string_view::npos ? Take::kDecode
                                                                          : Take::kSkip;
      }));
  return out;
}

// Each listed community's rating of the year, from one pass over the year's rating lines in
// key order (the listed are in the same order): no seek per community.
Status attach_ratings(const ProjectionView& view, int32_t year,
                      std::vector<ListedCommunity>& listed) {
  const std::string prefix = std::to_string(year) + "/";
  size_t next = 0;
  return scan_records<RatingRecord>(
      view, line_family(view.store(), cf::kProjGrade), prefix, decode_rating,
      [&](std::string_view, RatingRecord& r) {
        listed[next].rating = std::move(r);
        return true;
      },
      [&](std::string_view k, std::string_view) {
        const std::string_view id = k.substr(prefix.size());
        while (next < listed.size() && listed[next].key < id) ++next;
        if (next == listed.size()) return Take::kStop;
        return listed[next].key == id ? Take::kDecode : Take::kSkip;
      });
}

}  // namespace

Result<json> community_list(const ProjectionView& store, int32_t year,
                            const CommunityFilter& filter) {
  return guard_damage("community_list", [&]() -> Result<json> {
    // Particulars on the rating date (or the view's date, if earlier); the ratings from the view.
    std::optional<Date> on = filter.rating_date;
    if (store.as_of() && (!on || *store.as_of() < *on)) on = store.as_of();
    const ProjectionView particulars = on ? ProjectionView(store.store(), *on) : store;
    JY_TRY(std::vector<ListedCommunity> listed, listed_particulars(particulars, filter));
    JY_CHECK(attach_ratings(store, year, listed));
    json items = json::array();
    for (const ListedCommunity& l : listed) {
      const CommunityRecord& c = l.particulars;
      json item{{"community", c.community},
                {"name", or_null(c.name)},
                {"street", or_null(c.street)},
                {"street_name", or_null(c.street_name)},
                {"category", or_null(c.category)},
                {"enclosure", or_null(c.enclosure)},
                {"households", or_null(c.households)},
                {"fee", or_null(c.fee)},
                {"company", c.company.value_or("")},
                {"year", year},
                {"grade", "unrated"},
                {"grade_zh", "未评定"},
                {"tier", nullptr},
                {"final_score", nullptr},
                {"published_on", nullptr}};
      if (l.rating && l.rating->grade) {
        const RatingRecord& r = *l.rating;
        item["grade"] = std::string(to_string(*r.grade));
        item["grade_zh"] = r.grade_zh;
        item["tier"] = r.tier;
        if (r.final_score) item["final_score"] = r.final_score->to_string();
        item["published_on"] = or_null(r.published_on);
      }
      if (filter.tier && item["tier"] != *filter.tier) continue;
      if (filter.grade && item["grade"] != *filter.grade) continue;
      items.push_back(std::move(item));
    }
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
  return guard_damage("street_summary", [&]() -> Result<json> {
    std::map<std::string, Tally> streets;
    Tally district{"全区", {}};
    JY_CHECK(scan_records<RatingRecord>(store, line_family(store.store(), cf::kProjGrade),
                                        std::to_string(year) + "/", decode_rating,
                                        [&](std::string_view, RatingRecord& r) {
                                          if (!r.grade) return true;  // published, not yet rated
                                          const std::string grade(to_string(*r.grade));
                                          Tally& t = streets[r.street];
                                          t.name = r.street_name;
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
  return guard_damage("district_view", [&]() -> Result<json> {
    JY_TRY(std::optional<std::string> v, store.get(cf::kProjDistrict, std::to_string(year)));
    if (!v) return json();
    JY_TRY(const DistrictRecord district, decode_district(*v));
    json view = encode_district(district);
    JY_CHECK(name_awards(store, view));
    return view;
  });
}

Status name_awards(const ProjectionView& view, json& awards) {
  return guard_damage("name_awards", [&]() -> Status {
    if (awards.contains("top_ten")) JY_CHECK(name_companies(view, awards["top_ten"]));
    if (awards.contains("excellent_communities"))
      JY_CHECK(name_companies(view, awards["excellent_communities"]));
    std::map<std::string, std::string> managers, communities;
    JY_CHECK(scan_records<CommunityRecord>(view, cf::kProjCommunity, "", decode_community,
                                           [&](std::string_view k, CommunityRecord& c) {
                                             if (c.manager && c.manager_name)
                                               managers[*c.manager] = *c.manager_name;
                                             if (c.name) communities[std::string(k)] = *c.name;
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
  return guard_damage("company_standings", [&]() -> Result<json> {
    json list = json::array();
    JY_CHECK(scan_records<StandingRecord>(store, cf::kProjStanding, std::to_string(year) + "/",
                                          decode_standing,
                                          [&](std::string_view, StandingRecord& standing) {
                                            list.push_back(encode_standing(standing));
                                            return true;
                                          }));
    JY_CHECK(name_companies(store, list));
    return order_standings(std::move(list), year);
  });
}

Status name_companies(const ProjectionView& view, json& items) {
  return guard_damage("name_companies", [&]() -> Status {
    std::map<std::string, json> named;  // each company read once (a district has few)
    for (json& item : items) {
      if (!item.contains("company") || !item["company"].is_string()) continue;
      const std::string& id = item["company"].get_ref<const std::string&>();
      auto it = named.find(id);
      if (it == named.end()) {
        JY_TRY(std::optional<std::string> r, view.get(cf::kProjCompany, company_registry_key(id)));
        json name;
        if (r) {
          JY_TRY(CompanyRecord company, decode_company(*r));
          name = or_null(company.name);
        }
        it = named.emplace(id, std::move(name)).first;
      }
      item["company_name"] = it->second;
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
  return guard_damage("failing_cases", [&]() -> Result<json> {
    json out = json::array();
    Status damaged;
    auto overdue = [&](const std::string& due) {
      const auto d = Date::parse(due);
      return d ? std::max(0, days_between(*d, as_of)) : 0;
    };
    JY_CHECK(scan_records<json>(
        store, cf::kProjCase, "", [](std::string_view v) { return parse_stored(cf::kProjCase, v); },
        [&](std::string_view, json& shown) {
          const Result<CaseRecord> c = decode_case_value(shown);
          if (!c) {
            damaged = fail(c.error());
            return false;
          }
          json open = json::array();
          auto owed = [&](const std::string& what, const std::optional<std::string>& due) {
            open.push_back({{"what", what},
                            {"due", or_null(due)},
                            {"days_overdue", overdue(due.value_or(""))}});
          };
          if (c->status == "interview_due") {
            owed("interview", c->interview_due);
          } else if (c->status == "rectifying") {
            owed("rectification", c->deadline);
          } else if (c->status == "escalated") {
            for (const CaseRecord::Obligation& o : c->obligations) {
              if (!o.fulfilled_on) owed("sanction:" + o.department, o.due);
            }
          }
          if (!all && open.empty()) return true;
          shown["open"] = open;
          out.push_back(std::move(shown));
          return true;
        }));
    JY_CHECK(damaged);
    return json{{"as_of", as_of.to_string()}, {"cases", out}};
  });
}

Result<json> renovation_priority(const ProjectionView& store, int32_t year, const RuleSet& rules) {
  return guard_damage("renovation_priority", [&]() -> Result<json> {
    const std::string from =
        std::to_string(year - rules.governance.renovation_years + 1) + "-01-01";
    const std::string to = std::to_string(year) + "-12-31";
    json list = json::array();
    JY_CHECK(scan_records<GovernanceRecord>(
        store, cf::kProjGovernance, "", decode_governance,
        [&](std::string_view, GovernanceRecord& g) {
          json items = json::array();
          for (const auto& [item, dates] : g.items) {
            const bool within =
                std::any_of(dates.begin(), dates.end(),
                            [&](const std::string& day) { return from <= day && day <= to; });
            if (within) items.push_back(item);
          }
          if (!items.empty())
            list.push_back({{"community", g.community}, {"items", items}, {"count", items.size()}});
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
  return guard_damage("governance_compliance", [&]() -> Result<json> {
    const YearWindow* w = rules.window(year);
    const std::string rating_day =
        w != nullptr ? w->to.to_string() : std::to_string(year) + "-12-31";
    struct Tally {
      int64_t eligible = 0, with_branch = 0, inspections = 0, compliant = 0;
    };
    std::map<std::string, Tally> by_street;
    std::map<std::string, std::string> street_of;
    JY_CHECK(scan_records<CommunityRecord>(store, cf::kProjCommunity, "", decode_community,
                                           [&](std::string_view k, CommunityRecord& c) {
                                             if (c.street) street_of[std::string(k)] = *c.street;
                                             return true;
                                           }));
    JY_CHECK(scan_records<GovernanceRecord>(
        store, cf::kProjGovernance, "", decode_governance,
        [&](std::string_view k, GovernanceRecord& g) {
          if (!g.committee || g.committee->on > rating_day) return true;
          if (g.committee->party_members < rules.governance.party_branch_min_members) return true;
          Tally& t = by_street[street_of[std::string(k)]];
          t.eligible += 1;
          if (g.party_branch_on && *g.party_branch_on <= rating_day) t.with_branch += 1;
          return true;
        }));
    JY_CHECK(scan_records<WasteRecord>(
        store, cf::kProjWaste, std::to_string(year) + "/", decode_waste,
        [&](std::string_view k, WasteRecord& w) {
          Tally& t = by_street[street_of[std::string(k.substr(k.find('/') + 1))]];
          t.inspections += w.inspections;
          t.compliant += w.compliant;
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
