#include "workflows/grading.h"

#include <algorithm>

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

namespace {

DeductionLine line(std::string kind, const std::vector<std::string>& facts, int32_t count,
                   const DeductionRule& rule) {
  DeductionLine d;
  d.kind = std::move(kind);
  d.count = count;
  d.per_item = rule.per_item;
  d.cap = rule.cap;
  d.amount = std::min(Centi{count * rule.per_item.hundredths}, rule.cap);
  d.facts = facts;
  return d;
}

}  // namespace

std::vector<DeductionLine> deductions(const YearRecord& y, const RuleSet& rules) {
  std::vector<DeductionLine> out;
  auto add = [&](std::string kind, const std::vector<std::string>& facts, int32_t count,
                 const DeductionRule& rule) {
    if (count > 0) out.push_back(line(std::move(kind), facts, count, rule));
  };
  auto n = [](const std::vector<std::string>& v) { return static_cast<int32_t>(v.size()); };
  // A complaint costs 0.5 if substantiated and, independently, 0.2 if handled late.
  add("hotline_substantiated", y.hotline_substantiated, n(y.hotline_substantiated),
      rules.hotline_substantiated);
  add("hotline_late", y.hotline_late, n(y.hotline_late), rules.hotline_late);
  add("petition_substantiated", y.petitions_substantiated, n(y.petitions_substantiated),
      rules.petition_substantiated);
  // Credit points: 1 per whole point, charged to the community they were recorded against.
  add("credit_points", y.credit_facts, y.credit_points, rules.credit_point);
  // Department findings: by severity, one cap over all of them.
  const std::array<Centi, 3> per = {rules.finding.minor, rules.finding.serious,
                                    rules.finding.major};
  int64_t total = 0;
  int32_t count = 0;
  std::string detail;
  std::vector<std::string> facts;
  for (size_t s = 0; s < 3; ++s) {
    const auto k = n(y.findings[s]);
    if (k == 0) continue;
    total += k * per[s].hundredths;
    count += k;
    detail.append(detail.empty() ? "" : " + ")
        .append(std::to_string(k) + " " + std::string(kSeverityNames[s]) + " × " +
                per[s].to_string());
    facts.insert(facts.end(), y.findings[s].begin(), y.findings[s].end());
  }
  if (count > 0) {
    DeductionLine d;
    d.kind = "department_findings";
    d.detail = detail;
    d.count = count;
    d.cap = rules.finding.cap;
    d.amount = std::min(Centi{total}, rules.finding.cap);
    d.facts = std::move(facts);
    out.push_back(std::move(d));
  }
  add("spot_check_failed", y.spot_checks_failed, n(y.spot_checks_failed), rules.spot_check_failed);
  return out;
}

Grade grade_for_score(Centi s, const Thresholds& t) {
  if (s >= t.exemplary) return Grade::kExemplary;
  if (s >= t.standard) return Grade::kStandard;
  if (s >= t.passing) return Grade::kPassing;
  return Grade::kFailing;
}

bool proposal_flagged(Grade proposal, Grade grade) {
  if (proposal == Grade::kUnrated || grade == Grade::kUnrated) return false;
  const int diff = static_cast<int>(proposal) - static_cast<int>(grade);
  return diff > 1 || diff < -1;
}

namespace {

std::vector<ScoreLine> score_lines(const YearRecord& year, const RuleSet& rules) {
  std::vector<ScoreLine> lines;
  if (year.inspections > 0) {
    for (size_t i = 0; i < kDimensionCount; ++i) {
      lines.push_back({std::string(kDimensionNames[i]), rules.dimension_weights[i],
                       year.inspections,
                       Centi{round_half_up(year.score_sums[i], year.inspections)}});
    }
  }
  if (year.surveys > 0) {
    lines.push_back({"satisfaction", rules.satisfaction_weight, year.surveys,
                     Centi{round_half_up(year.satisfaction_sum, year.surveys)}});
  }
  return lines;
}

void describe_particulars(Explanation& x, const Particulars& p, const RuleSet& rules) {
  const TierResult tier = fee_tier(p.fee, p.enclosure, rules);
  x.street = p.street.value;
  x.tier = tier.tier;
  x.tier_unnamed = tier.unnamed;
  x.fee = p.fee;
  x.enclosure = p.enclosure;
  x.category = p.category;
  x.thresholds = rules.tiers.at(tier.tier);
  x.rule_set_id = rules.id;
  x.rule_set_hash = rules.hash;
}

// The departments whose latest opinion for the year is "object".
std::vector<std::string> objecting(const YearRecord& y) {
  std::vector<std::string> out;
  for (const auto& [dept, op] : y.opinions) {
    if (op.stance == Stance::kObject) out.push_back(dept);
  }
  return out;
}

}  // namespace

Rating grade_year(const YearRecord& year, const Particulars& p, const RuleSet& rules) {
  Rating r;
  Explanation& x = r.explanation;
  describe_particulars(x, p, rules);
  x.inspections = year.inspections;
  x.surveys = year.surveys;
  x.scores = score_lines(year, rules);
  int32_t divisor = 0;
  for (int32_t w : rules.dimension_weights) divisor += w;
  if (year.surveys > 0) divisor += rules.satisfaction_weight;
  x.weight_divisor = divisor;
  x.deductions = deductions(year, rules);
  for (const DeductionLine& d : x.deductions) x.deductions_total = x.deductions_total + d.amount;
  if (const auto service = service_score(year, rules)) {
    x.has_score = true;
    x.service = *service;
    x.final_score = std::max(Centi{0}, x.service - x.deductions_total);
  }

  // Vetoes, in this order (DOMAIN.md): (1) a major safety incident → 不达标, even with too few
  // inspections; (2) too few inspections → unrated; (3) an objection caps 示范 at 规范.
  if (!year.major_incidents.empty()) {
    x.vetoes.push_back("major safety incident (" + year.major_incidents.front() + "): 不达标");
    r.grade = Grade::kFailing;
    return r;
  }
  if (year.inspections < rules.minimum_inspections) {
    x.vetoes.push_back("fewer than " + std::to_string(rules.minimum_inspections) +
                       " inspections (" + std::to_string(year.inspections) + "): unrated");
    r.grade = Grade::kUnrated;
    return r;
  }
  r.grade = grade_for_score(x.final_score, x.thresholds);
  const std::vector<std::string> objections = objecting(year);
  if (r.grade == Grade::kExemplary && !objections.empty()) {
    std::string who;
    for (const auto& d : objections) who.append(who.empty() ? "" : ", ").append(d);
    x.vetoes.push_back("department objection (" + who + "): 示范 capped at 规范");
    r.grade = Grade::kStandard;
  }
  return r;
}

}  // namespace jiayuan
