#include "projections/records.h"

#include "projections/store.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// A field that is not what the projector writes: which, what was expected, what came.
struct Damage {
  std::string field, expected, came;
};

std::string shown(const json* v) {
  if (v == nullptr) return "nothing (the field is missing)";
  std::string text = v->dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(v->type_name()) + " " + text;
}

// The fields of one stored object, read with the damage named.
class Fields {
 public:
  Fields(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object())
      throw Damage{path_.empty() ? "(the value)" : path_, "an object", shown(&j)};
  }

  // Absent or null: nullptr.
  const json* find(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  std::string text(const char* key) const {
    std::optional<std::string> v = maybe_text(key);
    if (!v) damaged(key, "a string", nullptr);
    return *v;
  }
  std::optional<std::string> maybe_text(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) damaged(key, "a string", v);
    return v->get<std::string>();
  }
  int64_t integer(const char* key, int64_t otherwise = 0) const {
    return maybe_integer(key).value_or(otherwise);
  }
  std::optional<int64_t> maybe_integer(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) damaged(key, "an integer", v);
    return v->get<int64_t>();
  }
  int32_t count(const char* key) const {
    const int64_t n = integer(key);
    if (n < INT32_MIN || n > INT32_MAX) damaged(key, "a 32-bit count", find(key));
    return static_cast<int32_t>(n);
  }
  Fields object(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) damaged(key, "an object", nullptr);
    return Fields(*v, name(key));
  }
  const json& array(const char* key) const {
    static const json kEmpty = json::array();
    const json* v = find(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) damaged(key, "an array", v);
    return *v;
  }
  const json& raw() const { return j_; }
  std::string name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  [[noreturn]] void damaged(const char* key, const char* expected, const json* came) const {
    throw Damage{name(key), expected, shown(came)};
  }

  const json& j_;
  std::string path_;
};

constexpr std::string_view kRemedy = "`jiayuan rebuild` writes the projections again from the log";

template <class T, class Read>
Result<T> decode(std::string_view family, const json& j, Read&& read) {
  try {
    return read(Fields(j, ""));
  } catch (const Damage& d) {
    return fail("projection_damaged", std::string(family) + ": field " + d.field + ": expected " +
                                          d.expected + ", got " + d.came + "; " +
                                          std::string(kRemedy));
  }
}

template <class T, class Read>
Result<T> decode(std::string_view family, std::string_view bytes, Read&& read) {
  const json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded()) {
    return fail("projection_damaged",
                std::string(family) + ": a stored value is not JSON; " + std::string(kRemedy));
  }
  return decode<T>(family, j, std::forward<Read>(read));
}

Grade grade_named(const Fields& f, const std::string& name) {
  if (name == "unrated") return Grade::kUnrated;
  for (size_t i = 0; i < kGradeNames.size(); ++i) {
    if (kGradeNames[i] == name) return static_cast<Grade>(i);
  }
  throw Damage{f.name("grade"), "a grade (failing, passing, standard, exemplary, unrated)",
               shown(f.find("grade"))};
}

YearSummary summary_of(const Fields& s) {
  YearSummary y;
  y.company = CompanyId(s.maybe_text("company").value_or(""));
  y.manager = ManagerId(s.maybe_text("manager").value_or(""));
  y.households = s.count("households");
  y.spot_checks = s.count("spot_checks");
  y.spot_checks_passed = s.count("spot_checks_passed");
  y.hotline_complaints = s.count("hotline_complaints");
  y.hotline_on_time = s.count("hotline_on_time");
  y.petitions_substantiated = s.count("petitions_substantiated");
  y.media_positive = s.count("media_positive");
  y.media_negative = s.count("media_negative");
  y.credit_points = s.count("credit_points");
  y.waste_inspections = s.count("waste_inspections");
  y.waste_compliant = s.count("waste_compliant");
  return y;
}

CompanyFactCounts counts_of(const Fields& f) {
  return CompanyFactCounts{f.count("media_positive"), f.count("media_negative"),
                           f.count("social_records"), f.count("credit_points")};
}

std::array<int32_t, 5> mix_of(const Fields& f) {
  const Fields m = f.object("grade_mix");
  std::array<int32_t, 5> mix{};
  for (size_t g = 0; g < mix.size(); ++g)
    mix[g] = m.count(std::string(to_string(static_cast<Grade>(g))).c_str());
  return mix;
}

json mix_json(const std::array<int32_t, 5>& mix) {
  json out = json::object();
  for (size_t g = 0; g < mix.size(); ++g)
    out[std::string(to_string(static_cast<Grade>(g)))] = mix[g];
  return out;
}

bool flag(const Fields& f, const char* key) {
  const json* v = f.find(key);
  if (v == nullptr || !v->is_boolean()) throw Damage{f.name(key), "true or false", shown(v)};
  return v->get<bool>();
}

TargetRecord target_of(const Fields& f) {
  TargetRecord t;
  t.street = f.maybe_text("street");
  if (t.street) t.street_name = f.maybe_text("street_name").value_or("");
  t.rated = f.count("rated");
  t.grade_mix = mix_of(f);
  t.share_passing_or_better = f.maybe_text("share_passing_or_better");
  t.share_exemplary = f.maybe_text("share_exemplary");
  t.share_standard = f.maybe_text("share_standard");
  t.met_passing_or_better = flag(f, "met_passing_or_better");
  t.met_exemplary = flag(f, "met_exemplary");
  t.met_standard = flag(f, "met_standard");
  return t;
}

json target_json(const TargetRecord& t) {
  json out{{"rated", t.rated},
           {"grade_mix", mix_json(t.grade_mix)},
           {"share_passing_or_better", or_null(t.share_passing_or_better)},
           {"share_exemplary", or_null(t.share_exemplary)},
           {"share_standard", or_null(t.share_standard)},
           {"met_passing_or_better", t.met_passing_or_better},
           {"met_exemplary", t.met_exemplary},
           {"met_standard", t.met_standard}};
  if (t.street) {
    out["street"] = *t.street;
    out["street_name"] = t.street_name.value_or("");
  }
  return out;
}

StandingRecord standing_of(const Fields& f) {
  StandingRecord s;
  s.company = f.text("company");
  s.projects = f.count("projects");
  s.rated_projects = f.count("rated_projects");
  s.grade_mix = mix_of(f);
  s.credit_points = f.count("credit_points");
  s.hotline_complaints = f.count("hotline_complaints");
  s.hotline_on_time = f.count("hotline_on_time");
  s.petitions_substantiated = f.count("petitions_substantiated");
  s.media_positive = f.count("media_positive");
  s.media_negative = f.count("media_negative");
  s.social_records = f.count("social_records");
  const Fields factors = f.object("factors_percent");
  for (const auto& [factor, v] : factors.raw().items()) {
    if (!v.is_string()) throw Damage{factors.name(factor.c_str()), "a percentage", shown(&v)};
    s.factors_percent[factor] = v.get<std::string>();
  }
  s.composite = f.maybe_text("composite");
  s.mean_final_score = f.maybe_text("mean_final_score");
  s.eligible = flag(f, "eligible");
  s.rank = f.count("rank");
  return s;
}

// Each element of the array `key`, read by `read`.
template <class T, class Read>
std::vector<T> each(const Fields& f, const char* key, Read&& read) {
  std::vector<T> out;
  for (const json& item : f.array(key)) out.push_back(read(Fields(item, f.name(key) + "[]")));
  return out;
}

DistrictRecord district_of(const Fields& f) {
  DistrictRecord d;
  d.year = f.count("year");
  d.rating_date = f.text("rating_date");
  d.registered_communities = f.integer("registered_communities");
  d.award_quota = f.integer("award_quota");
  d.top_ten = each<StandingRecord>(f, "top_ten", standing_of);
  d.excellent_communities =
      each<DistrictRecord::ExcellentCommunity>(f, "excellent_communities", [](const Fields& c) {
        return DistrictRecord::ExcellentCommunity{c.text("community"), c.text("street"),
                                                  c.text("final_score"), c.text("company"),
                                                  c.text("manager")};
      });
  d.excellent_managers =
      each<DistrictRecord::ExcellentManager>(f, "excellent_managers", [](const Fields& m) {
        return DistrictRecord::ExcellentManager{m.text("manager"), m.text("mean_final_score"),
                                                m.count("rated_communities")};
      });
  d.district = target_of(f.object("district"));
  d.streets = each<TargetRecord>(f, "streets", target_of);
  const Fields rules = f.object("rule_set");
  d.rule_set_id = rules.text("id");
  d.rule_set_hash = rules.text("hash");
  if (f.find("targets") != nullptr) {
    const Fields t = f.object("targets");
    d.targets = DistrictRecord::Targets{t.text("passing_or_better"), t.text("exemplary"),
                                        t.text("standard"), flag(t, "standard_includes_exemplary")};
  }
  return d;
}

}  // namespace

Result<CommunityRecord> decode_community(std::string_view bytes) {
  return decode<CommunityRecord>(cf::kProjCommunity, bytes, [](const Fields& f) {
    CommunityRecord c;
    c.community = f.text("community");
    c.name = f.maybe_text("name");
    c.street = f.maybe_text("street");
    c.street_name = f.maybe_text("street_name");
    c.enclosure = f.maybe_text("enclosure");
    c.category = f.maybe_text("category");
    c.fee = f.maybe_text("fee");
    c.households = f.maybe_integer("households");
    c.company = f.maybe_text("company");
    c.manager = f.maybe_text("manager");
    c.manager_name = f.maybe_text("manager_name");
    c.registered_on = f.maybe_text("registered_on");
    return c;
  });
}

namespace {

json only(const json& value, std::initializer_list<const char*> keys) {
  json out = json::object();
  if (!value.is_object()) return out;
  for (const char* k : keys) {
    if (const auto it = value.find(k); it != value.end()) out[k] = *it;
  }
  return out;
}

}  // namespace

json community_line(const json& particulars) {
  return only(particulars,
              {"community", "name", "street", "street_name", "enclosure", "category", "fee",
               "households", "company", "manager", "manager_name", "registered_on"});
}

json rating_line(const json& rating) {
  json out = only(rating, {"community", "year", "published_on", "grade", "grade_zh", "street",
                           "street_name", "decided_on", "summary"});
  if (rating.is_object() && rating.contains("explanation"))
    out["explanation"] = only(rating["explanation"], {"tier", "final_score"});
  return out;
}

std::string_view line_family(const Store& store, std::string_view family) {
  const std::string_view line = family == cf::kProjCommunity ? cf::kProjCommunityLine
                                : family == cf::kProjGrade   ? cf::kProjGradeLine
                                                             : family;
  return store.has_family(line) ? line : family;
}

Result<RatingRecord> decode_rating(std::string_view bytes) {
  return decode<RatingRecord>(cf::kProjGrade, bytes, [](const Fields& f) {
    RatingRecord r;
    r.community = f.text("community");
    r.year = static_cast<int32_t>(f.integer("year"));
    r.published_on = f.maybe_text("published_on");
    const std::optional<std::string> grade = f.maybe_text("grade");
    if (!grade) return r;  // published, not rated
    r.grade = grade_named(f, *grade);
    r.grade_zh = f.text("grade_zh");
    r.street = f.text("street");
    r.street_name = f.maybe_text("street_name").value_or("");
    r.decided_on = f.text("decided_on");
    const Fields x = f.object("explanation");
    r.tier = x.text("tier");
    if (const std::optional<std::string> score = x.maybe_text("final_score")) {
      r.final_score = Centi::parse(*score);
      if (!r.final_score)
        throw Damage{x.name("final_score"), "a score such as 87.50", shown(x.find("final_score"))};
    }
    r.summary = summary_of(f.object("summary"));
    return r;
  });
}

Result<CaseRecord> decode_case(std::string_view bytes) {
  const json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return fail(parse_stored(cf::kProjCase, bytes).error());
  return decode_case_value(j);
}

Result<CaseRecord> decode_case_value(const json& value) {
  return decode<CaseRecord>(cf::kProjCase, value, [](const Fields& f) {
    CaseRecord c;
    c.community = f.text("community");
    c.year = static_cast<int32_t>(f.integer("year"));
    c.status = f.maybe_text("status").value_or("");
    c.interview_due = f.maybe_text("interview_due");
    c.deadline = f.maybe_text("deadline");
    for (const json& o : f.array("obligations")) {
      const Fields of(o, f.name("obligations[]"));
      c.obligations.push_back(
          {of.text("department"), of.text("due"), of.maybe_text("fulfilled_on")});
    }
    return c;
  });
}

Result<CompanyFactsRecord> decode_company_facts(std::string_view bytes) {
  return decode<CompanyFactsRecord>(cf::kProjCompany, bytes, [](const Fields& f) {
    CompanyFactsRecord c;
    c.total = counts_of(f);
    if (f.find("by_date") == nullptr) {
      c.dated = false;
      return c;
    }
    const Fields days = f.object("by_date");
    for (const auto& [day, n] : days.raw().items())
      c.by_date[day] = counts_of(Fields(n, days.name(day.c_str())));
    return c;
  });
}

Result<CompanyRecord> decode_company(std::string_view bytes) {
  return decode<CompanyRecord>(cf::kProjCompany, bytes, [](const Fields& f) {
    CompanyRecord c;
    c.company = f.text("company");
    c.name = f.maybe_text("name");
    c.credit_code = f.maybe_text("credit_code");
    c.known_from = f.maybe_text("known_from");
    if (c.known_from && c.known_from->empty()) c.known_from.reset();
    return c;
  });
}

Result<GovernanceRecord> decode_governance(std::string_view bytes) {
  return decode<GovernanceRecord>(cf::kProjGovernance, bytes, [](const Fields& f) {
    GovernanceRecord g;
    g.community = f.text("community");
    if (f.find("committee") != nullptr) {
      const Fields c = f.object("committee");
      g.committee = GovernanceRecord::Committee{c.integer("members"), c.integer("party_members"),
                                                c.text("on")};
    }
    g.party_branch_on = f.maybe_text("party_branch_on");
    if (f.find("items") != nullptr) {
      const Fields items = f.object("items");
      for (const auto& [item, dates] : items.raw().items()) {
        if (!dates.is_array()) throw Damage{items.name(item.c_str()), "an array", shown(&dates)};
        std::vector<std::string>& out = g.items[item];
        for (const json& d : dates) {
          if (!d.is_string()) throw Damage{items.name(item.c_str()), "dates", shown(&d)};
          out.push_back(d.get<std::string>());
        }
      }
    }
    return g;
  });
}

Result<WasteRecord> decode_waste(std::string_view bytes) {
  return decode<WasteRecord>(cf::kProjWaste, bytes, [](const Fields& f) {
    return WasteRecord{f.integer("inspections"), f.integer("compliant")};
  });
}

Result<StandingRecord> decode_standing(std::string_view bytes) {
  return decode<StandingRecord>(cf::kProjStanding, bytes, standing_of);
}

Result<DistrictRecord> decode_district(std::string_view bytes) {
  return decode<DistrictRecord>(cf::kProjDistrict, bytes, district_of);
}

json encode_standing(const StandingRecord& s) {
  json factors = json::object();
  for (const auto& [factor, percent] : s.factors_percent) factors[factor] = percent;
  return json{{"company", s.company},
              {"projects", s.projects},
              {"rated_projects", s.rated_projects},
              {"grade_mix", mix_json(s.grade_mix)},
              {"credit_points", s.credit_points},
              {"hotline_complaints", s.hotline_complaints},
              {"hotline_on_time", s.hotline_on_time},
              {"petitions_substantiated", s.petitions_substantiated},
              {"media_positive", s.media_positive},
              {"media_negative", s.media_negative},
              {"social_records", s.social_records},
              {"factors_percent", factors},
              {"composite", or_null(s.composite)},
              {"mean_final_score", or_null(s.mean_final_score)},
              {"eligible", s.eligible},
              {"rank", s.rank}};
}

json encode_district(const DistrictRecord& d) {
  json top = json::array();
  for (const StandingRecord& s : d.top_ten) top.push_back(encode_standing(s));
  json excellent = json::array();
  for (const auto& c : d.excellent_communities) {
    excellent.push_back({{"community", c.community},
                         {"street", c.street},
                         {"final_score", c.final_score},
                         {"company", c.company},
                         {"manager", c.manager}});
  }
  json managers = json::array();
  for (const auto& m : d.excellent_managers) {
    managers.push_back({{"manager", m.manager},
                        {"mean_final_score", m.mean_final_score},
                        {"rated_communities", m.rated_communities}});
  }
  json streets = json::array();
  for (const TargetRecord& t : d.streets) streets.push_back(target_json(t));
  json out{{"year", d.year},
           {"rating_date", d.rating_date},
           {"registered_communities", d.registered_communities},
           {"award_quota", d.award_quota},
           {"top_ten", top},
           {"excellent_communities", excellent},
           {"excellent_managers", managers},
           {"district", target_json(d.district)},
           {"streets", streets},
           {"rule_set", {{"id", d.rule_set_id}, {"hash", d.rule_set_hash}}}};
  if (d.targets) {
    out["targets"] = {{"passing_or_better", d.targets->passing_or_better},
                      {"exemplary", d.targets->exemplary},
                      {"standard", d.targets->standard},
                      {"standard_includes_exemplary", d.targets->standard_includes_exemplary}};
  }
  return out;
}

Result<json> parse_stored(std::string_view family, std::string_view bytes) {
  return decode<json>(family, bytes, [](const Fields& f) { return f.raw(); });
}

json explanation_json(const Explanation& x) {
  json scores = json::array();
  for (const ScoreLine& s : x.scores) {
    scores.push_back(
        {{"name", s.name}, {"weight", s.weight}, {"count", s.count}, {"mean", s.mean.to_string()}});
  }
  json deductions = json::array();
  for (const DeductionLine& d : x.deductions) {
    json line{{"kind", d.kind},
              {"count", d.count},
              {"per_item", d.per_item.to_string()},
              {"cap", d.cap.to_string()},
              {"amount", d.amount.to_string()},
              {"facts", d.facts}};
    if (!d.detail.empty()) line["detail"] = d.detail;
    deductions.push_back(std::move(line));
  }
  json out{{"street", x.street},
           {"tier", x.tier},
           {"tier_unnamed", x.tier_unnamed},
           {"fee", x.fee.to_string()},
           {"enclosure", std::string(to_string(x.enclosure))},
           {"category", std::string(to_string(x.category))},
           {"inspections", x.inspections},
           {"surveys", x.surveys},
           {"weight_divisor", x.weight_divisor},
           {"scores", std::move(scores)},
           {"deductions", std::move(deductions)},
           {"deductions_total", x.deductions_total.to_string()},
           {"thresholds",
            {{"exemplary", x.thresholds.exemplary.to_string()},
             {"standard", x.thresholds.standard.to_string()},
             {"passing", x.thresholds.passing.to_string()}}},
           {"vetoes", x.vetoes},
           {"rule_set", {{"id", x.rule_set_id}, {"hash", x.rule_set_hash}}}};
  if (x.has_score) {
    out["service_score"] = x.service.to_string();
    out["final_score"] = x.final_score.to_string();
  }
  return out;
}

json summary_json(const YearSummary& s) {
  return json{{"company", s.company.value},
              {"manager", s.manager.value},
              {"households", s.households},
              {"spot_checks", s.spot_checks},
              {"spot_checks_passed", s.spot_checks_passed},
              {"hotline_complaints", s.hotline_complaints},
              {"hotline_on_time", s.hotline_on_time},
              {"petitions_substantiated", s.petitions_substantiated},
              {"media_positive", s.media_positive},
              {"media_negative", s.media_negative},
              {"credit_points", s.credit_points},
              {"waste_inspections", s.waste_inspections},
              {"waste_compliant", s.waste_compliant}};
}

json rating_json(const Decision& d, const CommunityRated& r, const District& district) {
  // Nothing here depends on the order facts arrived in (no decision id, no decision date):
  // the same set of facts gives the same rating bytes.
  json out{{"decided_on", r.rated_on.to_string()},
           {"rule_set", {{"id", d.rule_set_id}, {"hash", d.rule_set_hash}}},
           {"community", r.community.value},
           {"name", r.name},
           {"year", r.year},
           {"street", r.explanation.street},
           {"street_name", district.street_name(StreetId(r.explanation.street))},
           {"grade", std::string(to_string(r.grade))},
           {"grade_zh", std::string(chinese_name(r.grade))},
           {"proposal_flagged", r.proposal_flagged},
           {"summary", summary_json(r.summary)},
           {"explanation", explanation_json(r.explanation)}};
  if (r.has_proposal) out["proposal"] = std::string(to_string(r.proposal));
  if (!r.explanation.after_review.empty())
    out["explanation"]["after_review"] = r.explanation.after_review;
  return out;
}

}  // namespace jiayuan
