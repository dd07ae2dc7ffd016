// Grading: the bureau's grade for one community's evaluation year, as a pure function.
//
//   YearRecord year = ...;            // what the year's facts added up to
//   Particulars p = ...;              // the community as of the rating date
//   Rating r = grade_year(year, p, rules);
//   r.grade, r.explanation            // 示范/规范/达标/不达标 or unrated, and why
//
// Follows DOMAIN.md "Precise definitions": the service score is exact (rationals, rounded
// half up to 0.01 once), deductions are per kind min(count × value, cap), final is floored
// at 0, thresholds per fee tier compared with ≥.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "config/rules.h"
#include "events/decisions.h"
#include "events/facts.h"

namespace jiayuan {

// A community's particulars from a date on (registry facts).
struct Particulars {
  Date from;
  std::string name;
  StreetId street;
  int32_t households = 0;
  Centi fee;
  Enclosure enclosure = Enclosure::kClosed;
  Category category = Category::kCommodity;

  template <class A>
  void serialize(A& ar) { ar(from, name, street, households, fee, enclosure, category); }
};

// What the facts of one evaluation year added up to.
struct YearRecord {
  int32_t inspections = 0;
  std::array<int64_t, kDimensionCount> score_sums{};  // hundredths
  int32_t surveys = 0;
  int64_t satisfaction_sum = 0;  // hundredths

  template <class A>
  void serialize(A& ar) { ar(inspections, score_sums, surveys, satisfaction_sum); }
};

struct TierResult {
  std::string tier;
  bool unnamed = false;
};

// Fee tier (分层) from fee and enclosure: T1 fee ≥ boundary and closed, T2 below and closed,
// T3 below and scattered; fee ≥ boundary and scattered maps to the configured tier, flagged.
TierResult fee_tier(Centi fee, Enclosure enclosure, const RuleSet& rules);

// The weighted service score, rounded half up to 0.01; nullopt with no inspection.
std::optional<Centi> service_score(const YearRecord& year, const RuleSet& rules);

// Grade from a final score and the tier's thresholds (no vetoes).
Grade grade_for_score(Centi final_score, const Thresholds& thresholds);

struct Rating {
  Grade grade = Grade::kUnrated;
  Explanation explanation;
};

Rating grade_year(const YearRecord& year, const Particulars& particulars, const RuleSet& rules);

}  // namespace jiayuan
