// Rule sets: the policy's numbers (and ours), by the dates they are in force.
//
//   Result<RuleCatalog> rules = load_rule_catalog("config/rules");
//   const RuleSet* rs = rules->in_force(date);      // nullptr: no rule set covers the date
//   std::optional<int32_t> y = rules->year_of(date); // evaluation year whose window holds it
//
// A rule set is a TOML file (format documented in config/README.md). Loading validates every
// key and reports file, key, line and reason; overlapping or gapped periods are errors.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/centi.h"
#include "events/date.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "events/result.h"

namespace jiayuan {

struct YearWindow {
  int32_t year = 0;
  Date from;
  Date to;  // inclusive; also the rating date
};

struct DeductionRule {
  Centi per_item;
  Centi cap;
};

struct FindingRule {
  Centi minor;
  Centi serious;
  Centi major;
  Centi cap;
};

struct YearTargets {
  int32_t year = 0;
  Centi passing_or_better;  // percent
  Centi exemplary;
  Centi standard;
};

struct LifecycleRules {
  int32_t interview_due_days = 30;
  int32_t rectification_days = 60;
  int32_t obligation_days = 30;
  int32_t process_fact_months = 12;
};

struct AwardRules {
  Centi excellent_share;  // percent
  int32_t top_ten = 10;
  // results, inspections, hotline, petitions, media, social: integer weights summing to 100
  std::array<int32_t, 6> weights{};
  Centi media_base;
  Centi media_step;
  int32_t social_records_for_full = 2;
};

struct GovernanceRules {
  int32_t renovation_years = 3;
  Centi party_branch_target;
  int32_t party_branch_min_members = 3;
  Centi waste_sorting_target;
};

struct RuleSet {
  std::string id;
  std::string hash;  // SHA-256 of the file's bytes, hex
  std::string path;
  Date from;
  Date to;  // inclusive
  std::vector<YearWindow> years;

  std::array<int32_t, kDimensionCount> dimension_weights{};
  int32_t satisfaction_weight = 0;
  int32_t minimum_inspections = 0;

  Centi fee_boundary;                       // fee ≥ boundary counts as "2.5 元及以上"
  std::string unnamed_tier;                 // tier for fee ≥ boundary and scattered
  std::map<std::string, Thresholds> tiers;  // "T1", "T2", "T3"

  DeductionRule hotline_substantiated;
  DeductionRule hotline_late;
  DeductionRule petition_substantiated;
  DeductionRule credit_point;
  FindingRule finding;
  DeductionRule spot_check_failed;

  std::vector<YearTargets> targets;
  bool standard_target_includes_exemplary = false;

  LifecycleRules lifecycle;
  AwardRules awards;
  GovernanceRules governance;

  const YearTargets* targets_for(int32_t year) const;

  const YearWindow* window(int32_t year) const;
};

class RuleCatalog {
 public:
  explicit RuleCatalog(std::vector<RuleSet> sets) : sets_(std::move(sets)) {}
  // The rule set whose period holds the date; nullptr when none does.
  const RuleSet* in_force(Date d) const;
  // The evaluation year whose window holds the date, across all rule sets.
  std::optional<int32_t> year_of(Date d) const;
  // The rule set that governs an evaluation year (the one defining its window).
  const RuleSet* for_year(int32_t year) const;
  const std::vector<RuleSet>& sets() const { return sets_; }

 private:
  std::vector<RuleSet> sets_;  // sorted by from, non-overlapping, gap-free
};

// Parses one rule set from TOML text; `path` names it in messages.
Result<RuleSet> parse_rule_set(const std::string& text, const std::string& path);
// Loads every *.toml in dir; validates each and that periods neither overlap nor leave gaps.
Result<RuleCatalog> load_rule_catalog(const std::filesystem::path& dir);

}  // namespace jiayuan
