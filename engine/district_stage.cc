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

// A share or factor (0..1) as a percentage rounded half up to 0.01.
std::string percent(const Fraction& f) { return f.rounded_percent().to_string(); }
// A score already on 0..100, rounded half up to 0.01.
std::string score(const Fraction& f) { return percent(Fraction{f.num, f.den * 100}); }

StandingRecord standing_record(const CompanyStanding& s) {
  StandingRecord r;
  r.company = s.company.value;
  r.projects = s.projects;
  r.rated_projects = s.rated_projects;
  r.grade_mix = s.grade_mix;
  r.credit_points = s.credit_points;
  r.hotline_complaints = s.hotline_complaints;
  r.hotline_on_time = s.hotline_on_time;
  r.petitions_substantiated = s.petitions_substantiated;
  r.media_positive = s.media_positive;
  r.media_negative = s.media_negative;
  r.social_records = s.social_records;
  r.eligible = s.eligible;
  r.rank = s.rank;
  for (size_t i = 0; i < kFactorNames.size(); ++i)
    r.factors_percent[std::string(kFactorNames[i])] = percent(s.factors[i]);
  // No rated project: no composite and no mean (null, not a 50.00 that reads like one).
  if (s.rated_projects > 0) {
    r.composite = score(s.composite);
    r.mean_final_score = score(s.mean_final_score);
  }
  return r;
}

TargetRecord target_record(const TargetLine& t, const District& district) {
  TargetRecord r;
  r.rated = t.rated;
  r.grade_mix = t.grade_mix;
  r.met_passing_or_better = t.met_passing_or_better;
  r.met_exemplary = t.met_exemplary;
  r.met_standard = t.met_standard;
  if (t.rated > 0) {
    r.share_passing_or_better = percent(t.passing_or_better);
    r.share_exemplary = percent(t.exemplary);
    r.share_standard = percent(t.standard);
  }
  if (!t.street.empty()) {
    r.street = t.street;
    r.street_name = district.street_name(StreetId(t.street));
  }
  return r;
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
  JY_CHECK(scan_records<RatingRecord>(view, line_family(view.store(), cf::kProjGrade), prefix,
                                      decode_rating, [&](std::string_view, RatingRecord& r) {
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
DistrictRecord district_record(const DistrictYear& d, const DistrictInput& in, const RuleSet& rules,
                               const Config& config, const std::string& rating_day) {
  DistrictRecord r;
  r.year = in.year;
  r.rating_date = rating_day;
  r.registered_communities = in.registered_communities;
  r.award_quota = d.award_quota;
  r.district = target_record(d.district, config.district);
  r.rule_set_id = rules.id;
  r.rule_set_hash = rules.hash;
  for (const CompanyStanding& s : d.standings) {
    if (s.rank > 0 && s.rank <= static_cast<int32_t>(d.top_ten.size()))
      r.top_ten.push_back(standing_record(s));
  }
  for (const RatedCommunity& c : d.excellent_communities) {
    r.excellent_communities.push_back({c.community.value, c.street, c.final_score.to_string(),
                                       c.summary.company.value, c.summary.manager.value});
  }
  for (const ExcellentManager& m : d.excellent_managers)
    r.excellent_managers.push_back({m.manager.value, score(m.mean_final_score), m.communities});
  for (const TargetLine& t : d.streets) r.streets.push_back(target_record(t, config.district));
  if (d.has_targets) {
    r.targets = DistrictRecord::Targets{
        d.targets.passing_or_better.to_string(), d.targets.exemplary.to_string(),
        d.targets.standard.to_string(), rules.standard_target_includes_exemplary};
  }
  return r;
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
    out.standings.emplace_back(s.company.value, encode_standing(standing_record(s)));
  out.view = encode_district(district_record(d, in, *rules, config, rating_day));
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
