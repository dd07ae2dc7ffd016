// Stages 2 and 3 as pure functions: company standings, awards, the top ten and targets for
// one evaluation year, from the year's ratings (stage 1's decisions) and company facts.
//
//   DistrictInput in{.year = 2023, .ratings = ..., .companies = ..., .registered_communities =
//   100}; DistrictYear out = compute_district(in, rules); out.top_ten, out.excellent_communities,
//   out.targets ...
//
// DOMAIN.md "Precise definitions": every comparison is exact (fractions, not floating point);
// shares and composites are reported rounded half up to 0.01.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/rules.h"
#include "events/decisions.h"

namespace jiayuan {

// An exact non-negative fraction with small terms.
struct Fraction {
  int64_t num = 0;
  int64_t den = 1;
  static Fraction of(int64_t num, int64_t den) {
    return den == 0 ? Fraction{0, 1} : Fraction{num, den};
  }
  Centi rounded_percent() const;  // num/den × 100, rounded half up to 0.01
  friend bool operator<(const Fraction& a, const Fraction& b);
  friend bool operator==(const Fraction& a, const Fraction& b);
};

struct RatedCommunity {
  CommunityId community;
  std::string street;  // on the rating date
  Grade grade = Grade::kUnrated;
  bool has_score = false;
  Centi final_score;
  YearSummary summary;  // company and manager on the rating date, counts
};

// Company facts that name the company itself, for the year.
struct CompanyFacts {
  int32_t media_positive = 0;
  int32_t media_negative = 0;
  int32_t social_records = 0;
  int32_t credit_points = 0;
};

struct DistrictInput {
  int32_t year = 0;
  std::vector<RatedCommunity> ratings;            // the latest rating of each community
  std::map<std::string, CompanyFacts> companies;  // by company id
  int64_t registered_communities = 0;             // on the rating date, unrated included
};

// Composite factors, in the order of AwardRules::weights.
inline constexpr std::array<std::string_view, 6> kFactorNames = {
    "results", "inspections", "hotline", "petitions", "media", "social"};

struct CompanyStanding {
  CompanyId company;
  int32_t projects = 0;  // communities it served on the rating date that were rated or unrated
  int32_t rated_projects = 0;  // excluding unrated
  std::array<int32_t, 5>
      grade_mix{};  // by Grade value: failing, passing, standard, exemplary, unrated
  int32_t credit_points = 0;
  int32_t hotline_complaints = 0;
  int32_t hotline_on_time = 0;
  int32_t petitions_substantiated = 0;
  int32_t media_positive = 0;
  int32_t media_negative = 0;
  int32_t social_records = 0;
  std::array<Fraction, 6> factors{};
  Fraction composite;         // 0..100
  Fraction mean_final_score;  // over rated projects
  bool eligible = false;      // ≥ 1 示范 and no 不达标
  int32_t rank = 0;           // 1.. among eligible companies; 0 when not eligible
};

struct ExcellentManager {
  ManagerId manager;
  Fraction mean_final_score;
  int32_t communities = 0;
};

struct TargetLine {
  std::string street;  // "" for the district
  int32_t rated = 0;
  std::array<int32_t, 5> grade_mix{};
  Fraction passing_or_better;  // shares of rated communities
  Fraction exemplary;
  Fraction standard;
  bool met_passing_or_better = false;
  bool met_exemplary = false;
  bool met_standard = false;
};

struct DistrictYear {
  int32_t year = 0;
  std::vector<CompanyStanding> standings;  // by rank, then the ineligible by id
  std::vector<CompanyId> top_ten;
  int64_t award_quota = 0;  // floor(10% × registered communities)
  std::vector<RatedCommunity> excellent_communities;
  std::vector<ExcellentManager> excellent_managers;
  bool has_targets = false;
  YearTargets targets;
  TargetLine district;
  std::vector<TargetLine> streets;  // by street id
};

DistrictYear compute_district(const DistrictInput& input, const RuleSet& rules);

}  // namespace jiayuan
