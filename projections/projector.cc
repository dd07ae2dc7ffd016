#include "projections/projector.h"

#include <rocksdb/utilities/write_batch_with_index.h>

#include "projections/records.h"
#include "projections/view.h"

namespace jiayuan {

using nlohmann::json;

std::string year_key(int32_t year, std::string_view id) {
  return std::to_string(year) + "/" + std::string(id);
}

std::string company_fact_key(std::string_view company, Date on, std::string_view source,
                             std::string_view id) {
  std::string k(company);
  k.push_back('\0');
  k.append(on.to_string()).push_back('\0');
  k.append(source).push_back('\0');
  return k.append(id);
}

namespace {

std::string date_or_empty(const json& j, const char* key) {
  return j.is_object() && j.contains(key) ? j.at(key).get<std::string>() : std::string();
}

}  // namespace

Result<json> Projector::read(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                             const std::string& key) {
  JY_TRY(std::optional<std::string> v, store_.get(b, family, key));
  if (!v) return json();
  return parse_stored(family, *v);
}

void Projector::write(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                      const std::string& key, const json& value) {
  b.Put(store_.cf(family), key, value.dump());
  if (family == cf::kProjCommunity)
    b.Put(store_.cf(cf::kProjCommunityLine), key, community_line(value).dump());
}

// A value's version on `on`, and its list line's (the community's particulars, a rating).
void Projector::put_version(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                            const std::string& key, Date on, const json& value,
                            const std::string& bytes) {
  b.Put(store_.cf(cf::kProjAsOf), as_of_key(family, key, on), bytes);
  if (family == cf::kProjCommunity) {
    b.Put(store_.cf(cf::kProjAsOf), as_of_key(cf::kProjCommunityLine, key, on),
          community_line(value).dump());
  } else if (family == cf::kProjGrade) {
    b.Put(store_.cf(cf::kProjAsOf), as_of_key(cf::kProjGradeLine, key, on),
          rating_line(value).dump());
  }
}

Status Projector::update(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                         const std::string& key, Date on,
                         const std::function<void(json&)>& change) {
  JY_TRY(json now, read(b, family, key));
  change(now);
  write(b, family, key, now);
  // The versions: one at `on` (from the last one before it) and every later one, changed too.
  std::vector<std::pair<Date, json>> versions;
  Status damaged;
  JY_CHECK(store_.scan(b, cf::kProjAsOf, as_of_prefix(family, key),
                       [&](std::string_view k, std::string_view v) {
                         Result<json> version = parse_stored(family, v);
                         if (!version) damaged = fail(version.error());
                         if (!version) return false;
                         versions.emplace_back(as_of_date(k), std::move(*version));
                         return true;
                       }));
  JY_CHECK(damaged);
  json base;
  bool at_on = false;
  for (auto& [d, v] : versions) {
    if (d < on) base = v;
    if (d == on) at_on = true;
    if (d >= on) {
      change(v);
      put_version(b, family, key, d, v, v.dump());
    }
  }
  if (!at_on) {
    change(base);
    put_version(b, family, key, on, base, base.dump());
  }
  return {};
}

void Projector::mark_dirty(rocksdb::WriteBatchWithIndex& b, int32_t year) {
  b.Put(store_.cf(cf::kOffsets), std::string(kDirtyPrefix) + std::to_string(year), "");
}

namespace {

// A community's particulars, each the one of the latest fact that set it, by (date, registration
// before change before fee adjustment, source, id): its stamp, kept under "_since" (never
// shown), so that facts arriving in any order leave the same particulars.
class Particulars {
 public:
  Particulars(json& c, const Event& ev, const District& district)
      : c_(c), on_(ev.envelope.occurred.to_string()), district_(district) {
    const int rank = std::holds_alternative<CommunityRegistered>(ev.fact) ? 0
                     : std::holds_alternative<CommunityChanged>(ev.fact)  ? 1
                                                                          : 2;
    stamp_ = on_ + "|" + std::to_string(rank) + "|" + ev.envelope.source + "|" + ev.envelope.id;
    if (c_.is_null()) c_ = json{{"community", ev.envelope.subject}};
  }

  void apply(const Fact& fact) {
    if (const auto* f = std::get_if<CommunityRegistered>(&fact)) {
      if (date_or_empty(c_, "registered_on").empty() ||
          on_ < c_["registered_on"].get<std::string>()) {
        c_["registered_on"] = on_;
      }
      CommunityChanged all;
      static_cast<CommunityRegistered&>(all) = *f;
      change(all);
    }
    if (const auto* f = std::get_if<CommunityChanged>(&fact)) change(*f);
    if (const auto* f = std::get_if<FeeAdjusted>(&fact)) {
      CommunityChanged fee;
      fee.fee = f->fee;
      fee.changed = kChangedFee;
      change(fee, false);
    }
    if (const auto* f = std::get_if<ContractAssigned>(&fact)) contract(*f);
  }

 private:
  // False when a later fact set it already.
  bool set(const char* field, json value) {
    json& since = c_["_since"];
    if (since.contains(field) && since[field].get<std::string>() > stamp_) return false;
    since[field] = stamp_;
    c_[field] = std::move(value);
    return true;
  }
  // `dated`: the change moves the particulars' date (a fee adjustment does not).
  void change(const CommunityChanged& f, bool dated = true) {
    if (f.changes(kChangedName)) set("name", f.name);
    if (f.changes(kChangedStreet) && set("street", f.street.value))
      c_["street_name"] = district_.street_name(f.street);
    if (f.changes(kChangedHouseholds)) set("households", f.households);
    if (f.changes(kChangedEnclosure)) set("enclosure", std::string(to_string(f.enclosure)));
    if (f.changes(kChangedCategory)) set("category", std::string(to_string(f.category)));
    if (f.changes(kChangedFee) && set("fee", f.fee.to_string())) {
      c_["fee_since"] = c_["_since"]["fee"].get<std::string>().substr(0, 10);
    }
    if (dated && on_ > date_or_empty(c_, "since")) c_["since"] = on_;
  }
  void contract(const ContractAssigned& f) {
    json& since = c_["_since"];
    if (since.contains("contract") && since["contract"].get<std::string>() > stamp_) return;
    since["contract"] = stamp_;
    c_["company"] = f.company.value;
    c_["manager"] = f.manager.value;
    if (f.manager_name.empty()) {
      c_.erase("manager_name");
    } else {
      c_["manager_name"] = f.manager_name;
    }
    c_["contract_since"] = on_;
  }

  json& c_;
  const std::string on_;
  std::string stamp_;
  const District& district_;
};

}  // namespace

void Projector::mark_every_year_dirty(rocksdb::WriteBatchWithIndex& b) {
  for (const RuleSet& rs : config_.rules.sets()) {
    for (const YearWindow& w : rs.years) mark_dirty(b, w.year);
  }
}

Status Projector::apply_company_registry(rocksdb::WriteBatchWithIndex& b, const Event& ev) {
  const std::string on = ev.envelope.occurred.to_string();
  // A company is known from its first registration or contract (DOMAIN.md "Facts that arrive
  // before what they name"): the earliest date of either, as of each date.
  auto known_from = [&](json& c, const CompanyId& company) {
    if (c.is_null()) c = json{{"company", company.value}};
    if (date_or_empty(c, "known_from").empty() || on < c["known_from"].get<std::string>())
      c["known_from"] = on;
  };
  if (const auto* f = std::get_if<ContractAssigned>(&ev.fact)) {
    return update(b, cf::kProjCompany, company_registry_key(f->company.value), ev.envelope.occurred,
                  [&](json& c) { known_from(c, f->company); });
  }
  const auto& f = std::get<CompanyRegistered>(ev.fact);
  // The company's name and credit code: those of its latest registration by (date, source, id).
  const std::string stamp = on + "|" + ev.envelope.source + "|" + ev.envelope.id;
  JY_CHECK(update(b, cf::kProjCompany, company_registry_key(f.company.value), ev.envelope.occurred,
                  [&](json& c) {
                    known_from(c, f.company);
                    if (c.value("_stamp", "") > stamp) return;
                    c["name"] = f.name;
                    c["credit_code"] = f.credit_code;
                    c["_stamp"] = stamp;
                  }));
  mark_every_year_dirty(b);  // when the company is known changes what counts
  return {};
}

Status Projector::apply_registry(rocksdb::WriteBatchWithIndex& b, const Event& ev) {
  if (std::holds_alternative<CompanyRegistered>(ev.fact)) return apply_company_registry(b, ev);
  if (std::holds_alternative<ContractAssigned>(ev.fact)) JY_CHECK(apply_company_registry(b, ev));
  JY_CHECK(update(b, cf::kProjCommunity, ev.envelope.subject, ev.envelope.occurred,
                  [&](json& c) { Particulars(c, ev, config_.district).apply(ev.fact); }));
  mark_every_year_dirty(b);  // the count of registered communities feeds every year's award quota
  return {};
}

Status Projector::apply_company_fact(rocksdb::WriteBatchWithIndex& b, const Event& ev, int sign,
                                     const Arrival& arrival) {
  const auto year = config_.rules.year_of(ev.envelope.occurred);
  if (!year) return {};
  std::string company;
  std::string field;
  int32_t amount = 1;
  if (const auto* f = std::get_if<MediaReport>(&ev.fact)) {
    if (f->company.empty()) return {};  // naming only a community: counted through its rating
    company = f->company.value;
    field = f->tone == Tone::kPositive ? "media_positive" : "media_negative";
  } else if (const auto* f = std::get_if<SocialResponsibility>(&ev.fact)) {
    company = f->company.value;
    field = "social_records";
  } else if (const auto* f = std::get_if<CreditPoints>(&ev.fact)) {
    company = f->company.value;
    field = "credit_points";
    amount = f->points;
  } else {
    return {};
  }
  // Counted by date too: a company fact counts only from the date its company is known (the
  // standings compare these with proj.company registry/<company> known_from when they are read).
  const std::string on = ev.envelope.occurred.to_string();
  JY_CHECK(
      update(b, cf::kProjCompany, year_key(*year, company), ev.envelope.occurred, [&](json& c) {
        if (c.is_null())
          c = json{{"media_positive", 0},
                   {"media_negative", 0},
                   {"social_records", 0},
                   {"credit_points", 0}};
        c[field] = c[field].get<int>() + sign * amount;
        json& day = c["by_date"][on];
        const int now = (day.is_object() ? day.value(field, 0) : 0) + sign * amount;
        if (now != 0) {
          day[field] = now;
        } else if (day.is_object()) {
          day.erase(field);
        }
        if (day.empty()) c["by_date"].erase(on);  // null or {}: nothing left on that date
      }));
  const std::string ref =
      company_fact_key(company, ev.envelope.occurred, ev.envelope.source, ev.envelope.id);
  if (sign > 0) {
    write(b, cf::kCompanyFacts, ref,
          json{{"accepted_at", std::string(arrival.accepted_at)},
               {"company", company},
               {"id", ev.envelope.id},
               {"occurred", on},
               {"position", std::string(arrival.position)},
               {"source", ev.envelope.source}});
  } else {
    b.Delete(store_.cf(cf::kCompanyFacts), ref);
  }
  mark_dirty(b, *year);
  return {};
}

namespace {

// A community's governance facts, kept in its proj.governance value as "_facts" (sorted by
// date, then "source/id") so that what is shown can be derived again when one is retracted:
// the latest committee election, the first party branch, each item's completion dates.
void derive_governance(json& g) {
  g.erase("committee");
  g.erase("party_branch_on");
  g["items"] = json::object();
  for (const json& f : g["_facts"]) {
    const std::string kind = f["kind"];
    if (kind == "committee") {
      g["committee"] = {
          {"members", f["members"]}, {"party_members", f["party_members"]}, {"on", f["on"]}};
    } else if (kind == "branch") {
      if (!g.contains("party_branch_on")) g["party_branch_on"] = f["on"];
    } else {
      json& dates = g["items"][f["item"].get<std::string>()];
      if (dates.is_null()) dates = json::array();
      if (dates.empty() || dates.back() != f["on"]) dates.push_back(f["on"]);
    }
  }
}

json governance_entry(const Event& ev) {
  json e{{"on", ev.envelope.occurred.to_string()},
         {"ref", ev.envelope.source + "/" + ev.envelope.id}};
  if (const auto* f = std::get_if<CommitteeElected>(&ev.fact)) {
    e["kind"] = "committee";
    e["members"] = f->members;
    e["party_members"] = f->party_members;
  } else if (std::holds_alternative<PartyBranchEstablished>(ev.fact)) {
    e["kind"] = "branch";
  } else if (const auto* f = std::get_if<GovernanceCompleted>(&ev.fact)) {
    e["kind"] = "item";
    e["item"] = std::string(kRenovationItemNames[static_cast<size_t>(f->item)]);
  }
  return e;
}

}  // namespace

Status Projector::apply_governance(rocksdb::WriteBatchWithIndex& b, const Event& ev, int sign) {
  const std::string id = ev.envelope.subject;
  if (const auto* f = std::get_if<WasteSortingInspection>(&ev.fact)) {
    const auto year = config_.rules.year_of(ev.envelope.occurred);
    if (!year) return {};
    return update(b, cf::kProjWaste, year_key(*year, id), ev.envelope.occurred, [&](json& w) {
      if (w.is_null()) w = json{{"inspections", 0}, {"compliant", 0}};
      w["inspections"] = w["inspections"].get<int>() + sign;
      if (f->compliant) w["compliant"] = w["compliant"].get<int>() + sign;
    });
  }
  const json entry = governance_entry(ev);
  return update(b, cf::kProjGovernance, id, ev.envelope.occurred, [&](json& g) {
    if (g.is_null())
      g = json{{"community", id}, {"items", json::object()}, {"_facts", json::array()}};
    json& facts = g["_facts"];
    std::vector<json> v(facts.begin(), facts.end());
    auto key = [](const json& e) {
      return std::make_pair(e["on"].get<std::string>(), e["ref"].get<std::string>());
    };
    v.erase(
        std::remove_if(v.begin(), v.end(), [&](const json& e) { return e["ref"] == entry["ref"]; }),
        v.end());
    if (sign > 0) v.push_back(entry);
    std::sort(v.begin(), v.end(), [&](const json& a, const json& c) { return key(a) < key(c); });
    facts = v;
    derive_governance(g);
  });
}

Status Projector::apply_retraction(rocksdb::WriteBatchWithIndex& b, const Event& target) {
  // Once per retracted fact, however many retractions name it.
  const std::string once = "retracted:" + target.envelope.source + "/" + target.envelope.id;
  JY_TRY(std::optional<std::string> seen, store_.get(b, cf::kApplied, once));
  if (seen) return {};
  b.Put(store_.cf(cf::kApplied), once, "");
  return guard_damage("projecting a retraction", [&]() -> Status {
    switch (type_info(target.fact).kind) {
      case FactKind::kEvaluation:
        return apply_company_fact(b, target, -1);
      case FactKind::kGovernance:
        return apply_governance(b, target, -1);
      default:
        return {};  // registry facts cannot be retracted; stage 1 takes back the rest
    }
  });
}

bool Projector::reads(std::string_view type) {
  const FactTypeInfo* t = find_fact_type(type);
  if (t == nullptr) return true;
  switch (t->kind) {
    case FactKind::kRegistry:
    case FactKind::kGovernance:
    case FactKind::kCorrection:
      return true;
    case FactKind::kEvaluation:
      return type == type_name(Fact(MediaReport{})) ||
             type == type_name(Fact(SocialResponsibility{})) ||
             type == type_name(Fact(CreditPoints{}));
    default:
      return false;
  }
}

// The public entry points run under guard_damage: the values read back are the projector's own,
// but a value damaged outside it is the error projection_damaged, never an exception.
Status Projector::apply_event(rocksdb::WriteBatchWithIndex& b, const Event& ev,
                              const Arrival& arrival) {
  return guard_damage("projecting a fact", [&]() -> Status {
    switch (type_info(ev.fact).kind) {
      case FactKind::kRegistry:
        streets_.clear();  // a batch of facts and decisions: a street read before may change
        return apply_registry(b, ev);
      case FactKind::kEvaluation:
        return apply_company_fact(b, ev, +1, arrival);
      case FactKind::kGovernance:
        return apply_governance(b, ev, +1);
      default:
        return {};
    }
  });
}

namespace {

// A case's JSON with one more step folded in.
void fold_case_step(json& c, const CaseStep& s) {
  if (c.is_null())
    c = json{{"community", s.community.value}, {"year", s.year}, {"steps", json::array()}};
  const std::string on = s.on.to_string();
  json entry{{"step", std::string(to_string(s.step))}, {"on", on}};
  if (s.has_due) entry["due"] = s.due.to_string();
  if (s.reason != EscalationReason::kNone) entry["reason"] = std::string(to_string(s.reason));
  if (!s.department.empty()) entry["department"] = s.department;
  c["steps"].push_back(entry);
  if (s.step == CaseStepKind::kOpened) {
    c["status"] = "interview_due";
    c["published_on"] = on;
    c["interview_due"] = s.due.to_string();
  } else if (s.step == CaseStepKind::kInterviewHeld) {
    c["status"] = "rectifying";
    c["interview_on"] = on;
    c["deadline"] = s.due.to_string();
  } else if (s.step == CaseStepKind::kRectificationSubmitted) {
    c["rectification_submitted_on"] = on;
  } else if (s.step == CaseStepKind::kRectified) {
    c["status"] = "rectified";
    c["closed_on"] = on;
  } else if (s.step == CaseStepKind::kEscalated) {
    c["status"] = "escalated";
    c["escalated_on"] = on;
    c["reason"] = std::string(to_string(s.reason));
    json obligations = json::array();
    for (std::string_view dept : {"market", "chengguan", "police"}) {
      obligations.push_back({{"department", std::string(dept)}, {"due", s.due.to_string()}});
    }
    c["obligations"] = obligations;
  } else if (s.step == CaseStepKind::kSanctionRecorded) {
    for (json& o : c["obligations"]) {
      if (o["department"] == s.department) o["fulfilled_on"] = on;
    }
  } else if (s.step == CaseStepKind::kSanctioned) {
    c["status"] = "sanctioned";
    c["closed_on"] = on;
  }
}

}  // namespace

Status Projector::apply_case_step(rocksdb::WriteBatchWithIndex& b, const Decision& d,
                                  const CaseStep& s) {
  return update(b, cf::kProjCase, year_key(s.year, s.community.value), d.log_date,
                [&](json& c) { fold_case_step(c, s); });
}

Status Projector::drop_versions(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                                const std::string& key) {
  std::vector<std::string> stale;
  JY_CHECK(store_.scan(b, cf::kProjAsOf, as_of_prefix(family, key),
                       [&](std::string_view k, std::string_view) {
                         stale.emplace_back(k);
                         return true;
                       }));
  for (const std::string& k : stale) b.Delete(store_.cf(cf::kProjAsOf), k);
  return {};
}

Status Projector::apply_case_revised(rocksdb::WriteBatchWithIndex& b, const CaseRevised& r) {
  const std::string key = year_key(r.year, r.community.value);
  JY_CHECK(drop_versions(b, cf::kProjCase, key));
  if (r.entries.empty()) {
    b.Delete(store_.cf(cf::kProjCase), key);
    return {};
  }
  // The case as of each date a step became known: every step known by then, folded in order.
  json c;
  for (size_t i = 0; i < r.entries.size(); ++i) {
    fold_case_step(c, r.entries[i].step);
    const bool last_of_its_date =
        i + 1 == r.entries.size() || r.entries[i + 1].known != r.entries[i].known;
    if (last_of_its_date)
      b.Put(store_.cf(cf::kProjAsOf), as_of_key(cf::kProjCase, key, r.entries[i].known), c.dump());
  }
  write(b, cf::kProjCase, key, c);
  return {};
}

// The rating of a community-year as of each date from its two parts: the rating (from R, its
// review) and the publication (from P). Written whole each time either changes, so the stored
// versions depend only on what the two are, never on the order the decisions came in.
Status Projector::rewrite_grade(rocksdb::WriteBatchWithIndex& b, const std::string& key,
                                const json& now) {
  JY_CHECK(drop_versions(b, cf::kProjGrade, key));
  JY_CHECK(drop_versions(b, cf::kProjGradeLine, key));
  const bool rated = now.contains("grade");
  const bool published = now.contains("published_on");
  if (!rated && !published) {
    b.Delete(store_.cf(cf::kProjGrade), key);
    b.Delete(store_.cf(cf::kProjGradeLine), key);
    return {};
  }
  const std::string bytes = now.dump();  // a rating with its explanation: dumped once
  b.Put(store_.cf(cf::kProjGrade), key, bytes);
  b.Put(store_.cf(cf::kProjGradeLine), key, rating_line(now).dump());
  const std::string r = rated ? now["decided_on"].get<std::string>() : std::string();
  const std::string p = published ? now["published_on"].get<std::string>() : std::string();
  auto put = [&](const std::string& on, const json& value, const std::string& dumped) {
    put_version(b, cf::kProjGrade, key, *Date::parse(on), value, dumped);
  };
  if (rated && published && p < r) {
    const json before{{"community", now["community"]}, {"year", now["year"]}, {"published_on", p}};
    put(p, before, before.dump());
  } else if (rated && published && r < p) {
    json unpublished = now;
    unpublished.erase("published_on");
    put(r, unpublished, unpublished.dump());
  }
  put(rated && (!published || p < r) ? r : p, now, bytes);
  return {};
}

namespace {

// What a revision shows of a rating or a case, before and after.
json outcome_of(const json& v, bool is_case) {
  if (!v.is_object()) return nullptr;
  if (is_case) return json{{"status", v.value("status", "")}};
  json o = json::object();
  for (const char* k : {"grade", "grade_zh", "published_on"}) {
    if (v.contains(k)) o[k] = v[k];
  }
  if (v.contains("explanation")) o["final_score"] = v["explanation"].value("final_score", json());
  return o;
}

// What a revision shows of a rating still kept as its decision (Projector::Rating::pending):
// what outcome_of gives of its JSON.
json outcome_of_pending(const CommunityRated& r, const std::optional<std::string>& published_on) {
  json o{{"grade", std::string(to_string(r.grade))},
         {"grade_zh", std::string(chinese_name(r.grade))},
         {"final_score",
          r.explanation.has_score ? json(r.explanation.final_score.to_string()) : json()}};
  if (published_on) o["published_on"] = *published_on;
  return o;
}

}  // namespace

Status Projector::record_revision(rocksdb::WriteBatchWithIndex& b, const Decision& d, json before,
                                  json after, bool after_publication) {
  const std::string key = year_key(d.year, d.community.value);
  json r{{"community", d.community.value},
         {"year", d.year},
         {"kind", kind_of(d.body)},
         {"decision", d.id},
         {"revises", d.revises},
         {"log_date", d.log_date.to_string()},
         {"cause", {{"source", d.cause_source}, {"id", d.cause_id}}},
         {"before", std::move(before)},
         {"after", std::move(after)},
         {"after_publication", after_publication}};
  bind(b);
  auto street = streets_.find(d.community.value);
  if (street == streets_.end()) {  // a decision batch changes no particulars: read once per batch
    JY_TRY(json particulars, read(b, cf::kProjCommunity, d.community.value));
    json s =
        particulars.is_object() && particulars.contains("street") ? particulars["street"] : json();
    street = streets_.emplace(d.community.value, std::move(s)).first;
  }
  if (!street->second.is_null()) r["street"] = street->second;
  write(b, cf::kProjRevision, key + "/" + d.id, r);
  return {};
}

json& Projector::value(Rating& r) {
  if (r.pending) {
    json v = rating_json(*r.pending, std::get<CommunityRated>(r.pending->body), config_.district);
    if (r.published_on) v["published_on"] = *r.published_on;
    r.value = std::move(v);
    r.pending.reset();
    r.published_on.reset();
  }
  return r.value;
}

void Projector::bind(const rocksdb::WriteBatchWithIndex& b) {
  if (batch_ != &b) {  // a batch abandoned without finish(): nothing of it may leak into this one
    discard();
    batch_ = &b;
  }
}

Result<Projector::Rating*> Projector::rating(rocksdb::WriteBatchWithIndex& b,
                                             const std::string& key) {
  bind(b);
  auto it = ratings_.find(key);
  if (it == ratings_.end()) {
    JY_TRY(json value, read(b, cf::kProjGrade, key));
    it = ratings_.emplace(key, Rating{std::move(value), false, std::nullopt, std::nullopt}).first;
  }
  return &it->second;
}

Status Projector::finish(rocksdb::WriteBatchWithIndex& b) {
  Status written = guard_damage("writing the ratings", [&]() -> Status {
    if (batch_ != &b) return {};
    for (auto& [key, r] : ratings_) {
      if (r.changed) JY_CHECK(rewrite_grade(b, key, value(r)));
    }
    return {};
  });
  discard();
  return written;
}

// A rating or publication: the grade read once per batch, its outcome before and after kept for
// the revision. Written once per batch by finish().
Status Projector::regrade(rocksdb::WriteBatchWithIndex& b, const Decision& d,
                          const std::string& key, const std::function<json(const json&)>& next) {
  JY_TRY(Rating * now, rating(b, key));
  json& was = value(*now);
  json after = next(was);
  if (!d.revises.empty()) {
    JY_CHECK(record_revision(b, d, outcome_of(was, false), outcome_of(after, false),
                             was.is_object() && was.contains("published_on")));
  }
  was = std::move(after);
  now->changed = true;
  return {};
}

Status Projector::apply_rating(rocksdb::WriteBatchWithIndex& b, const Decision& d,
                               const CommunityRated& r) {
  const std::string key = grade_key(r.year, r.community);
  if (r.withdrawn) {
    return regrade(b, d, key, [&](const json& now) {
      json next{{"community", r.community.value}, {"year", r.year}};
      if (now.is_object() && now.contains("published_on"))
        next["published_on"] = now["published_on"];
      return next;
    });
  }
  // Kept as the decision: its JSON is built once, for the batch's last rating of the year.
  const bool revision = !d.revises.empty();
  JY_TRY(Rating * now, rating(b, key));
  std::optional<std::string> published = now->published_on;
  json before;
  if (!now->pending) {
    if (now->value.is_object() && now->value.contains("published_on")) {
      published = now->value["published_on"].get<std::string>();
    }
    if (revision) before = outcome_of(now->value, false);
  } else if (revision) {
    before = outcome_of_pending(std::get<CommunityRated>(now->pending->body), now->published_on);
  }
  now->value = nullptr;
  now->pending = d;
  now->published_on = published;
  now->changed = true;
  if (revision)
    JY_CHECK(record_revision(b, d, std::move(before), outcome_of_pending(r, published),
                             published.has_value()));
  return {};
}

Status Projector::apply_publication(rocksdb::WriteBatchWithIndex& b, const Decision& d,
                                    const CommunityPublished& p) {
  return regrade(b, d, grade_key(p.year, p.community), [&](const json& was) {
    json now = was.is_null() ? json{{"community", p.community.value}, {"year", p.year}} : was;
    if (p.withdrawn) {
      now.erase("published_on");
    } else {
      now["published_on"] = p.published_on.to_string();
    }
    return now;
  });
}

// A case step or a case revised; revised, its outcome before and after recorded (a revised case
// step: the rating it bears on, unchanged, shown as it stands).
Status Projector::apply_case_decision(rocksdb::WriteBatchWithIndex& b, const Decision& d) {
  const bool revision = !d.revises.empty();
  const bool is_case = std::holds_alternative<CaseRevised>(d.body);
  const std::string key = year_key(d.year, d.community.value);
  json before;
  if (revision) {
    if (is_case) {
      JY_TRY(before, read(b, cf::kProjCase, key));
    } else {
      JY_TRY(Rating * now, rating(b, key));
      before = outcome_of(value(*now), false);
    }
  }
  if (const auto* s = std::get_if<CaseStep>(&d.body)) {
    JY_CHECK(apply_case_step(b, d, *s));
  } else if (const auto* c = std::get_if<CaseRevised>(&d.body)) {
    JY_CHECK(apply_case_revised(b, *c));
  }
  if (!revision) return {};
  JY_TRY(Rating * now, rating(b, key));
  const json& grade = value(*now);
  if (is_case) {
    JY_TRY(json after, read(b, cf::kProjCase, key));
    return record_revision(b, d, outcome_of(before, true), outcome_of(after, true),
                           grade.is_object() && grade.contains("published_on"));
  }
  const bool published = before.is_object() && before.contains("published_on");
  return record_revision(b, d, before, outcome_of(grade, false), published);
}

Result<bool> Projector::apply_decision(rocksdb::WriteBatchWithIndex& b, const Decision& d) {
  JY_TRY(std::optional<std::string> seen, store_.get(b, cf::kApplied, d.id));
  if (seen) return false;
  b.Put(store_.cf(cf::kApplied), d.id, "");
  JY_CHECK(guard_damage("projecting a decision", [&]() -> Status {
    if (const auto* r = std::get_if<CommunityRated>(&d.body)) {
      JY_CHECK(apply_rating(b, d, *r));
      mark_dirty(b, r->year);
    } else if (const auto* p = std::get_if<CommunityPublished>(&d.body)) {
      JY_CHECK(apply_publication(b, d, *p));
      mark_dirty(b, p->year);
    } else {
      JY_CHECK(apply_case_decision(b, d));
    }
    return {};
  }));
  return true;
}

}  // namespace jiayuan
