#include "workflows/community.h"

#include <algorithm>

namespace jiayuan {
namespace {

Step reject(Error e) {
  Step s;
  s.rejection = std::move(e);
  return s;
}

Step on_registered(CommunityState& s, const Event& ev, const CommunityRegistered& f) {
  Particulars p{ev.envelope.occurred, f.name, f.street, f.households, f.fee, f.enclosure, f.category};
  auto it = std::lower_bound(s.history.begin(), s.history.end(), p.from,
                             [](const Particulars& a, Date d) { return a.from < d; });
  if (it != s.history.end() && it->from == p.from) {
    *it = std::move(p);  // the later fact of the same day stands
  } else {
    s.history.insert(it, std::move(p));
  }
  return {};
}

// The evaluation year an evaluation fact counts for: the window holding its date.
Result<CommunityYear*> evaluation_year(CommunityState& s, const Event& ev, const RuleCatalog& rules) {
  const Date d = ev.envelope.occurred;
  if (s.history.empty() || d < s.history.front().from) {
    return fail(field_error("unknown_community", "data.community",
                            "a community registered on or before " + d.to_string(),
                            "\"" + ev.envelope.subject + "\""));
  }
  const auto year = rules.year_of(d);
  if (!year) {
    return fail(field_error("no_rule_set", "occurred", "a date inside an evaluation year of a rule set",
                            d.to_string()));
  }
  return &s.years[*year];
}

Step on_inspection(CommunityState& s, const Event& ev, const Inspection& f, const RuleCatalog& rules) {
  auto y = evaluation_year(s, ev, rules);
  if (!y) return reject(y.error());
  YearRecord& r = (*y)->record;
  r.inspections += 1;
  for (size_t i = 0; i < kDimensionCount; ++i) r.score_sums[i] += f.scores[i].hundredths;
  return {};
}

Step on_survey(CommunityState& s, const Event& ev, const SatisfactionSurvey& f, const RuleCatalog& rules) {
  auto y = evaluation_year(s, ev, rules);
  if (!y) return reject(y.error());
  (*y)->record.surveys += 1;
  (*y)->record.satisfaction_sum += f.satisfaction.hundredths;
  return {};
}

Step on_review_closed(CommunityState& s, const Event& ev, const ReviewClosed& f, const RuleCatalog& rules) {
  const RuleSet* rs = rules.for_year(f.year);
  if (rs == nullptr) {
    return reject(field_error("no_rule_set", "data.year", "an evaluation year some rule set defines",
                              std::to_string(f.year)));
  }
  const Date rating_date = rs->window(f.year)->to;
  const Particulars* p = s.particulars_on(rating_date);
  if (p == nullptr) {
    return reject(field_error("unknown_community", "data.community",
                              "a community registered by the rating date " + rating_date.to_string(),
                              "\"" + f.community.value + "\""));
  }
  CommunityYear& year = s.years[f.year];
  Rating rating = grade_year(year.record, *p, *rs);
  year.rated = true;
  year.grade = rating.grade;

  Decision d;
  d.id = derive_decision_id("community.rated", f.community, f.year, ev.envelope.source, ev.envelope.id);
  d.community = f.community;
  d.year = f.year;
  d.log_date = ev.envelope.occurred;
  d.cause_source = ev.envelope.source;
  d.cause_id = ev.envelope.id;
  d.body = CommunityRated{f.community, p->name, f.year, rating.grade, std::move(rating.explanation)};
  Step step;
  step.decisions.push_back(std::move(d));
  return step;
}

}  // namespace

const Particulars* CommunityState::particulars_on(Date d) const {
  const Particulars* found = nullptr;
  for (const Particulars& p : history) {
    if (p.from <= d) found = &p;
  }
  return found;
}

Step apply(CommunityState& state, const Event& event, const RuleCatalog& rules) {
  struct Visitor {
    CommunityState& s;
    const Event& ev;
    const RuleCatalog& rules;
    Step operator()(const CommunityRegistered& f) const { return on_registered(s, ev, f); }
    Step operator()(const Inspection& f) const { return on_inspection(s, ev, f, rules); }
    Step operator()(const SatisfactionSurvey& f) const { return on_survey(s, ev, f, rules); }
    Step operator()(const ReviewClosed& f) const { return on_review_closed(s, ev, f, rules); }
  };
  return std::visit(Visitor{state, event, rules}, event.fact);
}

}  // namespace jiayuan
