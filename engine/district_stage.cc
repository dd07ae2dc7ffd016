// Stages 2 and 3 materialised: company standings, awards, top ten and targets per year, from
// the ratings the projector holds (stage 1's decisions, through the log) and company facts.
#include "engine/district_stage.h"

#include <rocksdb/write_batch.h>

#include "projections/projector.h"
#include "projections/queries.h"
#include "projections/records.h"
#include "workflows/district.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// A rating as the district's arithmetic reads it.
RatedCommunity rated(const RatingRecord& r) {
  RatedCommunity c;
  c.community = CommunityId(r.community);
  c.street = r.street;
  c.grade = r.grade.value_or(Grade::kUnrated);
  c.has_score = r.final_score.has_value();
  c.final_score = r.final_score.value_or(Centi{});
  c.summary = r.summary;
  return c;
}

// The facts of a year dated on or after its company is known (its first registration or
// contract); a company known by no fact of the view counts none.
CompanyFacts counted(const CompanyFactsRecord& c, const std::optional<std::string>& known) {
  auto facts = [](const CompanyFactCounts& n) {
    return CompanyFacts{n.media_positive, n.media_negative, n.social_records, n.credit_points};
  };
  if (!c.dated) return facts(c.total);  // a store projected before dates were kept
  CompanyFacts f;
  if (!known) return f;
  for (const auto& [day, n] : c.by_date) {
    if (day < *known) continue;
    f.media_positive += n.media_positive;
    f.media_negative += n.media_negative;
    f.social_records += n.social_records;
    f.credit_points += n.credit_points;
  }
  return f;
}

json fraction_json(const Fraction& f) { return f.rounded_percent().to_string(); }
// A 0..1 factor shown on 0..1 with four decimals' precision as a percentage string.
json factor_json(const Fraction& f) { return f.rounded_percent().to_string(); }

json standing_json(const CompanyStanding& s) {
  json factors = json::object();
  for (size_t i = 0; i < kFactorNames.size(); ++i)
    factors[std::string(kFactorNames[i])] = factor_json(s.factors[i]);
  json mix = json::object();
  for (size_t g = 0; g < 5; ++g)
    mix[std::string(to_string(static_cast<Grade>(g)))] = s.grade_mix[g];
  // composite is already on 0..100: report it rounded half up to 0.01
  const Centi composite = Fraction{s.composite.num, s.composite.den * 100}.rounded_percent();
  const Centi mean =
      Fraction{s.mean_final_score.num, s.mean_final_score.den * 100}.rounded_percent();
  return json{{"company", s.company.value},
              {"projects", s.projects},
              {"rated_projects", s.rated_projects},
              {"grade_mix", mix},
              {"credit_points", s.credit_points},
              {"hotline_complaints", s.hotline_complaints},
              {"hotline_on_time", s.hotline_on_time},
              {"petitions_substantiated", s.petitions_substantiated},
              {"media_positive", s.media_positive},
              {"media_negative", s.media_negative},
              {"social_records", s.social_records},
              {"factors_percent", factors},
              // No rated project: no composite and no mean (null, not a 50.00 that reads like one).
              {"composite", s.rated_projects == 0 ? json() : json(composite.to_string())},
              {"mean_final_score", s.rated_projects == 0 ? json() : json(mean.to_string())},
              {"eligible", s.eligible},
              {"rank", s.rank}};
}

json target_json(const TargetLine& t, const District& district) {
  json mix = json::object();
  for (size_t g = 0; g < 5; ++g)
    mix[std::string(to_string(static_cast<Grade>(g)))] = t.grade_mix[g];
  json out{{"rated", t.rated},
           {"grade_mix", mix},
           {"share_passing_or_better", t.rated == 0 ? json() : fraction_json(t.passing_or_better)},
           {"share_exemplary", t.rated == 0 ? json() : fraction_json(t.exemplary)},
           {"share_standard", t.rated == 0 ? json() : fraction_json(t.standard)},
           {"met_passing_or_better", t.met_passing_or_better},
           {"met_exemplary", t.met_exemplary},
           {"met_standard", t.met_standard}};
  if (!t.street.empty()) {
    out["street"] = t.street;
    out["street_name"] = district.street_name(StreetId(t.street));
  }
  return out;
}

}  // namespace

namespace {

// What the district's arithmetic reads of a year: the ratings, each company's facts dated from
// when it is known, and the communities registered by the rating date.
Result<DistrictInput> district_input(const ProjectionView& view, int32_t year,
                                     const std::string& rating_day) {
  DistrictInput in;
  in.year = year;
  const std::string prefix = std::to_string(year) + "/";
  JY_CHECK(scan_records<RatingRecord>(view, cf::kProjGrade, prefix, decode_rating,
                                      [&](std::string_view, RatingRecord& r) {
                                        if (r.grade) in.ratings.push_back(rated(r));
                                        return true;
                                      }));
  std::vector<std::pair<std::string, CompanyFactsRecord>> company_facts;
  JY_CHECK(scan_records<CompanyFactsRecord>(view, cf::kProjCompany, prefix, decode_company_facts,
                                            [&](std::string_view k, CompanyFactsRecord& c) {
                                              company_facts.emplace_back(k.substr(prefix.size()),
                                                                         std::move(c));
                                              return true;
                                            }));
  for (const auto& [company, c] : company_facts) {
    JY_TRY(std::optional<std::string> registry,
           view.get(cf::kProjCompany, company_registry_key(company)));
    std::optional<std::string> known;
    if (registry) {
      JY_TRY(CompanyRecord r, decode_company(*registry));
      known = r.known_from;
    }
    in.companies[company] = counted(c, known);
  }
  JY_CHECK(scan_records<CommunityRecord>(view, cf::kProjCommunity, "", decode_community,
                                         [&](std::string_view, CommunityRecord& c) {
                                           if (c.registered_on && *c.registered_on <= rating_day)
                                             ++in.registered_communities;
                                           return true;
                                         }));
  return in;
}

// The year's answer as the district projection keeps it.
json district_json(const DistrictYear& d, const DistrictInput& in, const RuleSet& rules,
                   const Config& config, const std::string& rating_day) {
  json top = json::array();
  for (const CompanyStanding& s : d.standings) {
    if (s.rank > 0 && s.rank <= static_cast<int32_t>(d.top_ten.size()))
      top.push_back(standing_json(s));
  }
  json excellent = json::array();
  for (const RatedCommunity& c : d.excellent_communities) {
    excellent.push_back({{"community", c.community.value},
                         {"street", c.street},
                         {"final_score", c.final_score.to_string()},
                         {"company", c.summary.company.value},
                         {"manager", c.summary.manager.value}});
  }
  json managers = json::array();
  for (const ExcellentManager& m : d.excellent_managers) {
    managers.push_back(
        {{"manager", m.manager.value},
         {"mean_final_score", Fraction{m.mean_final_score.num, m.mean_final_score.den * 100}
                                  .rounded_percent()
                                  .to_string()},
         {"rated_communities", m.communities}});
  }
  json streets = json::array();
  for (const TargetLine& t : d.streets) streets.push_back(target_json(t, config.district));
  json out{{"year", in.year},
           {"rating_date", rating_day},
           {"registered_communities", in.registered_communities},
           {"award_quota", d.award_quota},
           {"top_ten", top},
           {"excellent_communities", excellent},
           {"excellent_managers", managers},
           {"district", target_json(d.district, config.district)},
           {"streets", streets},
           {"rule_set", {{"id", rules.id}, {"hash", rules.hash}}}};
  if (d.has_targets) {
    out["targets"] = {{"passing_or_better", d.targets.passing_or_better.to_string()},
                      {"exemplary", d.targets.exemplary.to_string()},
                      {"standard", d.targets.standard.to_string()},
                      {"standard_includes_exemplary", rules.standard_target_includes_exemplary}};
  }
  return out;
}

}  // namespace

Result<std::optional<DistrictYearView>> compute_district_year(const ProjectionView& view,
                                                              const Config& config, int32_t year) {
  const RuleSet* rules = config.rules.for_year(year);
  if (rules == nullptr) return std::optional<DistrictYearView>();
  const std::string rating_day = rules->window(year)->to.to_string();
  JY_TRY(const DistrictInput in, district_input(view, year, rating_day));
  const DistrictYear d = compute_district(in, *rules);
  DistrictYearView out;
  for (const CompanyStanding& s : d.standings)
    out.standings.emplace_back(s.company.value, standing_json(s));
  out.view = district_json(d, in, *rules, config, rating_day);
  return std::optional<DistrictYearView>(std::move(out));
}

namespace {

Status materialize(Store& store_, const Config& config_, int32_t year) {
  rocksdb::WriteBatch b;
  b.Delete(store_.cf(cf::kOffsets), std::string(kDirtyPrefix) + std::to_string(year));
  JY_TRY(std::optional<DistrictYearView> d,
         compute_district_year(ProjectionView(store_), config_, year));
  if (!d) return store_.write(b);
  std::vector<std::string> stale;
  JY_CHECK(store_.scan(cf::kProjStanding, std::to_string(year) + "/",
                       [&](std::string_view k, std::string_view) {
                         stale.emplace_back(k);
                         return true;
                       }));
  for (const std::string& k : stale) b.Delete(store_.cf(cf::kProjStanding), k);
  for (const auto& [company, standing] : d->standings) {
    b.Put(store_.cf(cf::kProjStanding), year_key(year, company), standing.dump());
  }
  b.Put(store_.cf(cf::kProjDistrict), std::to_string(year), d->view.dump());
  return store_.write(b);
}

}  // namespace

Result<json> district_view_at(const ProjectionView& view, const Config& config, int32_t year) {
  if (!view.as_of()) return district_view(view, year);
  JY_TRY(std::optional<DistrictYearView> d, compute_district_year(view, config, year));
  if (!d) return json();
  JY_CHECK(name_awards(view, d->view));
  return d->view;
}

Result<json> company_standings_at(const ProjectionView& view, const Config& config, int32_t year) {
  if (!view.as_of()) return company_standings(view, year);
  JY_TRY(std::optional<DistrictYearView> d, compute_district_year(view, config, year));
  json list = json::array();
  if (d) {
    for (auto& [company, standing] : d->standings) list.push_back(standing);
  }
  JY_CHECK(name_companies(view, list));
  return order_standings(std::move(list), year);
}

Status materialize_dirty(Store& store_, const Config& config_) {
  std::vector<int32_t> years;
  JY_CHECK(store_.scan(cf::kOffsets, kDirtyPrefix, [&](std::string_view k, std::string_view) {
    years.push_back(std::stoi(std::string(k.substr(kDirtyPrefix.size()))));
    return true;
  }));
  for (int32_t y : years) JY_CHECK(materialize(store_, config_, y));
  return {};
}

}  // namespace jiayuan
