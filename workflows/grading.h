// Grading: the bureau's grade for one community's evaluation year, as a pure function.
//
//   YearRecord year = ...;            // what the year's facts added up to
//   Particulars p = ...;              // the community as of the rating date
//   Rating r = grade_year(year, p, rules);
//   r.grade, r.explanation            // 示范/规范/达标/不达标 or unrated, and why
//
// Follows DOMAIN.md "Precise definitions": the service score is exact (rationals, rounded
// half up to 0.01 once), deductions are per kind min(count × value, cap), final is floored
// at 0, thresholds per fee tier compared with ≥, then the vetoes in their order.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/rules.h"
#include "events/decisions.h"
#include "events/facts.h"

namespace jiayuan {

// A community's particulars (registry facts) as of some date.
struct Particulars {
  std::string name;
  StreetId street;
  int32_t households = 0;
  Centi fee;
  Enclosure enclosure = Enclosure::kClosed;
  Category category = Category::kCommodity;

  template <class A>
  void serialize(A& ar) {
    ar(name, street, households, fee, enclosure, category);
  }
};

// A dated stance: the latest one (by date, then log order) stands.
struct DatedGrade {
  Date on;
  Grade grade = Grade::kUnrated;
  template <class A>
  void serialize(A& ar) {
    ar(on, grade);
  }
};
struct DatedStance {
  Date on;
  Stance stance = Stance::kSupport;
  template <class A>
  void serialize(A& ar) {
    ar(on, stance);
  }
};

// What the facts of one evaluation year added up to. Fact references are "source/id".
struct YearRecord {
  int32_t inspections = 0;
  std::array<int64_t, kDimensionCount> score_sums{};  // hundredths
  int32_t surveys = 0;
  int64_t satisfaction_sum = 0;  // hundredths

  std::vector<std::string> hotline_substantiated;
  std::vector<std::string> hotline_late;
  int32_t hotline_complaints = 0;
  int32_t hotline_on_time = 0;
  std::vector<std::string> petitions_substantiated;
  std::vector<std::string> credit_facts;
  int32_t credit_points = 0;
  std::array<std::vector<std::string>, 3> findings;  // by severity
  int32_t spot_checks = 0;
  std::vector<std::string> spot_checks_failed;
  std::vector<std::string> major_incidents;
  int32_t media_positive = 0;
  int32_t media_negative = 0;
  int32_t waste_inspections = 0;
  int32_t waste_compliant = 0;

  bool has_proposal = false;
  DatedGrade proposal;
  std::map<std::string, DatedStance> opinions;  // department -> latest

  template <class A>
  void serialize(A& ar) {
    ar(inspections, score_sums, surveys, satisfaction_sum, hotline_substantiated, hotline_late,
       hotline_complaints, hotline_on_time, petitions_substantiated, credit_facts, credit_points,
       findings, spot_checks, spot_checks_failed, major_incidents, media_positive, media_negative,
       waste_inspections, waste_compliant, has_proposal, proposal, opinions);
  }
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

// The deduction lines with a count, in a fixed order, each min(count × value, cap).
std::vector<DeductionLine> deductions(const YearRecord& year, const RuleSet& rules);

// Grade from a final score and the tier's thresholds (no vetoes).
Grade grade_for_score(Centi final_score, const Thresholds& thresholds);

// Flagged when the proposal is more than one step from the grade; unrated never flagged.
bool proposal_flagged(Grade proposal, Grade grade);

struct Rating {
  Grade grade = Grade::kUnrated;
  Explanation explanation;
};

Rating grade_year(const YearRecord& year, const Particulars& particulars, const RuleSet& rules);

}  // namespace jiayuan
