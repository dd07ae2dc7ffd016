#include "workflows/grading.h"

namespace jiayuan {

TierResult fee_tier(Centi fee, Enclosure enclosure, const RuleSet& rules) {
  const bool high_fee = fee >= rules.fee_boundary;  // "2.5 元及以上": exactly 2.5 is high
  const bool closed = enclosure == Enclosure::kClosed;
  if (high_fee && closed) return {"T1", false};
  if (!high_fee && closed) return {"T2", false};
  if (!high_fee && !closed) return {"T3", false};
  return {rules.unnamed_tier, true};
}

std::optional<Centi> service_score(const YearRecord& year, const RuleSet& rules) {
  if (year.inspections == 0) return std::nullopt;
  // service = (Σ_d w_d·S_d/n + w_s·Sat/m) / W, in hundredths, with S_d and Sat sums over n
  // inspections and m surveys. Over the common denominator n·m·W it is an exact fraction.
  const int64_t n = year.inspections;
  int64_t dims = 0;
  int64_t weight_sum = 0;
  for (size_t i = 0; i < kDimensionCount; ++i) {
    dims += rules.dimension_weights[i] * year.score_sums[i];
    weight_sum += rules.dimension_weights[i];
  }
  if (year.surveys == 0) {
    // "With no survey, satisfaction's weight is spread over the six dimensions (sum ÷ 90)."
    return Centi{round_half_up(dims, n * weight_sum)};
  }
  const int64_t m = year.surveys;
  weight_sum += rules.satisfaction_weight;
  const int64_t num = m * dims + n * rules.satisfaction_weight * year.satisfaction_sum;
  return Centi{round_half_up(num, n * m * weight_sum)};
}

Grade grade_for_score(Centi s, const Thresholds& t) {
  if (s >= t.exemplary) return Grade::kExemplary;
  if (s >= t.standard) return Grade::kStandard;
  if (s >= t.passing) return Grade::kPassing;
  return Grade::kFailing;
}

namespace {

std::vector<ScoreLine> score_lines(const YearRecord& year, const RuleSet& rules) {
  std::vector<ScoreLine> lines;
  if (year.inspections > 0) {
    for (size_t i = 0; i < kDimensionCount; ++i) {
      lines.push_back({std::string(kDimensionNames[i]), rules.dimension_weights[i], year.inspections,
                       Centi{round_half_up(year.score_sums[i], year.inspections)}});
    }
  }
  if (year.surveys > 0) {
    lines.push_back({"satisfaction", rules.satisfaction_weight, year.surveys,
                     Centi{round_half_up(year.satisfaction_sum, year.surveys)}});
  }
  return lines;
}

}  // namespace

Rating grade_year(const YearRecord& year, const Particulars& p, const RuleSet& rules) {
  Rating r;
  Explanation& x = r.explanation;
  const TierResult tier = fee_tier(p.fee, p.enclosure, rules);
  x.street = p.street.value;
  x.tier = tier.tier;
  x.tier_unnamed = tier.unnamed;
  x.fee = p.fee;
  x.enclosure = p.enclosure;
  x.category = p.category;
  x.inspections = year.inspections;
  x.surveys = year.surveys;
  x.thresholds = rules.tiers.at(tier.tier);
  x.rule_set_id = rules.id;
  x.rule_set_hash = rules.hash;
  x.scores = score_lines(year, rules);
  int32_t divisor = 0;
  for (int32_t w : rules.dimension_weights) divisor += w;
  if (year.surveys > 0) divisor += rules.satisfaction_weight;
  x.weight_divisor = divisor;

  if (const auto service = service_score(year, rules)) {
    x.has_score = true;
    x.service = *service;
    x.final_score = std::max(Centi{0}, x.service - x.deductions_total);
  }
  if (year.inspections < rules.minimum_inspections) {
    x.vetoes.push_back("fewer than " + std::to_string(rules.minimum_inspections) +
                       " inspections (" + std::to_string(year.inspections) + "): unrated");
    r.grade = Grade::kUnrated;
    return r;
  }
  r.grade = grade_for_score(x.final_score, x.thresholds);
  return r;
}

}  // namespace jiayuan
