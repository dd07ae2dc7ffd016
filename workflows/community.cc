#include "workflows/community.h"

#include <algorithm>

namespace jiayuan {
namespace {

constexpr std::string_view kTimerSource = "jiayuan.timer";

Step reject(Error e) {
  Step s;
  s.rejection = std::move(e);
  return s;
}

std::string ref(const Event& ev) { return ev.envelope.source + "/" + ev.envelope.id; }

Decision decision(const RuleSet& rules, const CommunityId& community, int32_t year, Date on,
                  std::string_view cause_source, std::string_view cause_id, DecisionBody body) {
  Decision d;
  d.rule_set_id = rules.id;
  d.rule_set_hash = rules.hash;
  d.id = derive_decision_id(kind_of(body), community, year, cause_source, cause_id);
  d.community = community;
  d.year = year;
  d.log_date = on;
  d.cause_source = std::string(cause_source);
  d.cause_id = std::string(cause_id);
  d.body = std::move(body);
  return d;
}

// Case steps become decisions: caused by the fact, or (for deadlines) by the timer and date.
void emit_steps(Step& out, std::vector<CaseStep>& steps, const RuleSet& rules, const CommunityId& c, int32_t year,
                std::string_view cause_source, std::string_view cause_id) {
  for (CaseStep& s : steps) {
    s.community = c;
    s.year = year;
    const std::string id = cause_source == kTimerSource
                               ? s.step + "@" + s.on.to_string()
                               : std::string(cause_id) + "#" + s.step;
    const Date on = s.on;
    out.decisions.push_back(decision(rules, c, year, on, cause_source, id, std::move(s)));
  }
  steps.clear();
}

template <class T>
void insert_dated(std::vector<T>& v, T item) {
  auto it = std::upper_bound(v.begin(), v.end(), item.from, [](Date d, const T& e) { return d < e.from; });
  v.insert(it, std::move(item));
}

Particulars particulars_of(const CommunityRegistered& f) {
  return Particulars{f.name, f.street, f.households, f.fee, f.enclosure, f.category};
}

// ---- which year a fact counts for ------------------------------------------------------

Result<int32_t> evaluation_year(const CommunityState& s, const Event& ev, const RuleCatalog& rules) {
  const Date d = ev.envelope.occurred;
  if (s.registry.empty() || d < s.registry.front().from) {
    return fail(field_error("unknown_community", "data.community",
                            "a community registered on or before " + d.to_string(), "\"" + ev.envelope.subject + "\""));
  }
  const auto year = rules.year_of(d);
  if (!year) {
    return fail(field_error("no_rule_set", "occurred", "a date inside an evaluation year of a rule set", d.to_string()));
  }
  return *year;
}

Result<const RuleSet*> process_year(const CommunityState& s, const Event& ev, int32_t year, const RuleCatalog& rules) {
  const RuleSet* rs = rules.for_year(year);
  if (rs == nullptr) {
    return fail(field_error("no_rule_set", "data.year", "an evaluation year some rule set defines", std::to_string(year)));
  }
  if (s.registry.empty()) {
    return fail(field_error("unknown_community", "data.community", "a registered community",
                            "\"" + ev.envelope.subject + "\""));
  }
  return rs;
}

// ---- evaluation facts -------------------------------------------------------------------

struct RecordVisitor {
  YearRecord& y;
  const Event& ev;
  void operator()(const Inspection& f) const {
    y.inspections += 1;
    for (size_t i = 0; i < kDimensionCount; ++i) y.score_sums[i] += f.scores[i].hundredths;
  }
  void operator()(const SatisfactionSurvey& f) const {
    y.surveys += 1;
    y.satisfaction_sum += f.satisfaction.hundredths;
  }
  void operator()(const SpotCheck& f) const {
    y.spot_checks += 1;
    if (!f.passed) y.spot_checks_failed.push_back(ref(ev));
  }
  void operator()(const HotlineComplaint& f) const {
    y.hotline_complaints += 1;
    if (f.on_time) y.hotline_on_time += 1;
    if (f.substantiated) y.hotline_substantiated.push_back(ref(ev));
    if (!f.on_time) y.hotline_late.push_back(ref(ev));
  }
  void operator()(const Petition& f) const {
    if (f.substantiated) y.petitions_substantiated.push_back(ref(ev));
  }
  void operator()(const CreditPoints& f) const {
    y.credit_points += f.points;
    y.credit_facts.push_back(ref(ev));
  }
  void operator()(const DepartmentFinding& f) const {
    y.findings[static_cast<size_t>(f.severity)].push_back(ref(ev));
  }
  void operator()(const SafetyIncident& f) const {
    // Minor and serious incidents cost nothing in the score; a major one vetoes the year.
    if (f.severity == Severity::kMajor) y.major_incidents.push_back(ref(ev));
  }
  void operator()(const MediaReport& f) const {
    // A report naming a company counts for that company (stage 2); one naming only a
    // community counts for the company serving it on the rating date, through this record.
    if (!f.company.empty()) return;
    (f.tone == Tone::kPositive ? y.media_positive : y.media_negative) += 1;
  }
  void operator()(const WasteSortingInspection& f) const {
    y.waste_inspections += 1;
    if (f.compliant) y.waste_compliant += 1;
  }
  void operator()(const auto&) const {}
};

void record(YearRecord& y, const Event& ev) { std::visit(RecordVisitor{y, ev}, ev.fact); }

// ---- rating and publication -------------------------------------------------------------

YearSummary summarise(const YearRecord& y, const Particulars& p, const Contract* contract) {
  YearSummary s;
  if (contract != nullptr) {
    s.company = contract->company;
    s.manager = contract->manager;
  }
  s.households = p.households;
  s.spot_checks = y.spot_checks;
  s.spot_checks_passed = y.spot_checks - static_cast<int32_t>(y.spot_checks_failed.size());
  s.hotline_complaints = y.hotline_complaints;
  s.hotline_on_time = y.hotline_on_time;
  s.petitions_substantiated = static_cast<int32_t>(y.petitions_substantiated.size());
  s.media_positive = y.media_positive;
  s.media_negative = y.media_negative;
  s.credit_points = y.credit_points;
  s.waste_inspections = y.waste_inspections;
  s.waste_compliant = y.waste_compliant;
  return s;
}

void maybe_open_case(CommunityYear& y, const RuleSet& rs, std::vector<CaseStep>& steps) {
  if (y.rated && y.published && y.grade == Grade::kFailing && y.failing.status == CaseStatus::kNone) {
    y.failing = open_case(y.published_on, rs, steps);
  }
}

Step on_review_closed(CommunityState& s, const Event& ev, const ReviewClosed& f, const RuleSet& rs) {
  const Date rating_date = rs.window(f.year)->to;
  const auto p = s.particulars_on(rating_date);
  if (!p) {
    return reject(field_error("unknown_community", "data.community",
                              "a community registered by the rating date " + rating_date.to_string(),
                              "\"" + f.community.value + "\""));
  }
  CommunityYear& year = s.years[f.year];
  Rating rating = grade_year(year.record, *p, rs);
  year.rated = true;
  year.grade = rating.grade;

  CommunityRated body;
  body.community = f.community;
  body.name = p->name;
  body.year = f.year;
  body.grade = rating.grade;
  body.explanation = std::move(rating.explanation);
  body.has_proposal = year.record.has_proposal;
  body.proposal = year.record.proposal.grade;
  body.proposal_flagged = body.has_proposal && proposal_flagged(body.proposal, body.grade);
  body.summary = summarise(year.record, *p, s.contract_on(rating_date));
  Step step;
  step.decisions.push_back(decision(rs, f.community, f.year, ev.envelope.occurred, ev.envelope.source, ev.envelope.id, body));
  std::vector<CaseStep> steps;
  maybe_open_case(year, rs, steps);
  emit_steps(step, steps, rs, f.community, f.year, ev.envelope.source, ev.envelope.id);
  return step;
}

Step on_published(CommunityState& s, const Event& ev, const RatingsPublished& f, const RuleSet& rs) {
  CommunityYear& year = s.years[f.year];
  Step step;
  if (year.published) return step;  // P is the first publication
  year.published = true;
  year.published_on = ev.envelope.occurred;
  step.decisions.push_back(decision(rs, f.community, f.year, ev.envelope.occurred, ev.envelope.source, ev.envelope.id,
                                    CommunityPublished{f.community, f.year, year.grade, year.published_on}));
  std::vector<CaseStep> steps;
  maybe_open_case(year, rs, steps);
  emit_steps(step, steps, rs, f.community, f.year, ev.envelope.source, ev.envelope.id);
  return step;
}

// ---- process facts ----------------------------------------------------------------------

Step on_process(CommunityState& s, const Event& ev, const RuleCatalog& rules) {
  const int32_t year_number = *named_year(ev.fact);
  auto rs = process_year(s, ev, year_number, rules);
  if (!rs) return reject(rs.error());
  const Date on = ev.envelope.occurred;
  CommunityYear& year = s.years[year_number];
  Step step;
  std::vector<CaseStep> steps;
  if (const auto* f = std::get_if<StreetProposal>(&ev.fact)) {
    if (!year.record.has_proposal || !(on < year.record.proposal.on)) year.record.proposal = {on, f->grade};
    year.record.has_proposal = true;
  } else if (const auto* f = std::get_if<DepartmentOpinion>(&ev.fact)) {
    auto it = year.record.opinions.find(ev.envelope.source);
    if (it == year.record.opinions.end() || !(on < it->second.on)) {
      year.record.opinions[ev.envelope.source] = {on, f->stance};
    }
  } else if (const auto* f = std::get_if<ReviewClosed>(&ev.fact)) {
    return on_review_closed(s, ev, *f, **rs);
  } else if (const auto* f = std::get_if<RatingsPublished>(&ev.fact)) {
    return on_published(s, ev, *f, **rs);
  } else if (const auto* f = std::get_if<InterviewHeld>(&ev.fact)) {
    on_interview(year.failing, on, f->deadline, **rs, steps);
  } else if (std::holds_alternative<RectificationSubmitted>(ev.fact)) {
    on_rectification(year.failing, on, steps);
  } else if (const auto* f = std::get_if<Reinspection>(&ev.fact)) {
    on_reinspection(year.failing, on, f->passed, **rs, steps);
  } else if (std::holds_alternative<SanctionApplied>(ev.fact)) {
    on_sanction(year.failing, on, ev.envelope.source, steps);
  }
  emit_steps(step, steps, **rs, *community_of(ev.fact), year_number, ev.envelope.source, ev.envelope.id);
  return step;
}

}  // namespace

std::optional<Particulars> CommunityState::particulars_on(Date d) const {
  std::optional<Particulars> p;
  for (const RegistryEntry& e : registry) {
    if (d < e.from) break;
    if (e.fee_only) {
      if (p) p->fee = e.particulars.fee;
    } else {
      p = e.particulars;
    }
  }
  return p;
}

const Contract* CommunityState::contract_on(Date d) const {
  const Contract* found = nullptr;
  for (const Contract& c : contracts) {
    if (d < c.from) break;
    found = &c;
  }
  return found;
}

std::optional<Date> CommunityState::next_deadline() const {
  std::optional<Date> next;
  for (const auto& [number, year] : years) {
    const auto d = year.failing.next_deadline();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

Step apply(CommunityState& state, const Event& ev, const RuleCatalog& rules) {
  const Date on = ev.envelope.occurred;
  switch (type_info(ev.fact).kind) {
    case FactKind::kRegistry: {
      if (const auto* f = std::get_if<CommunityRegistered>(&ev.fact)) {
        insert_dated(state.registry, RegistryEntry{on, false, particulars_of(*f)});
      } else if (const auto* f = std::get_if<CommunityChanged>(&ev.fact)) {
        insert_dated(state.registry, RegistryEntry{on, false, particulars_of(*f)});
      } else if (const auto* f = std::get_if<FeeAdjusted>(&ev.fact)) {
        if (state.registry.empty() || on < state.registry.front().from) {
          return reject(field_error("unknown_community", "data.community",
                                    "a community registered on or before " + on.to_string(),
                                    "\"" + f->community.value + "\""));
        }
        Particulars p;
        p.fee = f->fee;
        insert_dated(state.registry, RegistryEntry{on, true, p});
      } else if (const auto* f = std::get_if<ContractAssigned>(&ev.fact)) {
        insert_dated(state.contracts, Contract{on, f->company, f->manager});
      }
      return {};
    }
    case FactKind::kEvaluation: {
      auto year = evaluation_year(state, ev, rules);
      if (!year) return reject(year.error());
      record(state.years[*year].record, ev);
      return {};
    }
    case FactKind::kGovernance: {
      // Governance facts may carry any date; only waste-sorting inspections count for a year.
      if (std::holds_alternative<WasteSortingInspection>(ev.fact)) {
        if (const auto year = rules.year_of(on); year && !state.registry.empty()) {
          record(state.years[*year].record, ev);
        }
      }
      return {};
    }
    case FactKind::kProcess: return on_process(state, ev, rules);
    case FactKind::kEngine: return {};
  }
  return {};
}

Step advance(CommunityState& state, const CommunityId& community, Date log_time, const RuleCatalog& rules) {
  Step step;
  for (auto& [number, year] : state.years) {
    const RuleSet* rs = rules.for_year(number);
    if (rs == nullptr || !year.failing.open()) continue;
    std::vector<CaseStep> steps;
    advance_case(year.failing, log_time, *rs, steps);
    emit_steps(step, steps, *rs, community, number, kTimerSource, "");
  }
  return step;
}

}  // namespace jiayuan
