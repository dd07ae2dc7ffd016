#include "workflows/failing_case.h"

#include <algorithm>

namespace jiayuan {

std::string_view to_string(CaseStatus s) {
  switch (s) {
    case CaseStatus::kNone:
      return "none";
    case CaseStatus::kInterviewDue:
      return "interview_due";
    case CaseStatus::kRectifying:
      return "rectifying";
    case CaseStatus::kRectified:
      return "rectified";
    case CaseStatus::kEscalated:
      return "escalated";
    case CaseStatus::kSanctioned:
      return "sanctioned";
  }
  return "?";
}

std::optional<Date> FailingCase::next_deadline() const {
  if (status == CaseStatus::kInterviewDue) return interview_due.plus_days(1);
  if (status == CaseStatus::kRectifying) return deadline.plus_days(1);
  return std::nullopt;
}

CaseStep step(CaseStepKind kind, Date on) {
  CaseStep s;
  s.step = kind;
  s.on = on;
  return s;
}

namespace {

CaseStep with_due(CaseStep s, Date due) {
  s.has_due = true;
  s.due = due;
  return s;
}

void escalate(FailingCase& c, Date on, EscalationReason reason, const RuleSet& rules,
              std::vector<CaseStep>& steps) {
  c.status = CaseStatus::kEscalated;
  c.escalated_on = on;
  c.reason = std::string(to_string(reason));
  const Date due = on.plus_days(rules.lifecycle.obligation_days);
  c.obligations.clear();
  for (std::string_view d : kSanctionDepartments)
    c.obligations.push_back({std::string(d), due, false, Date()});
  CaseStep s = with_due(step(CaseStepKind::kEscalated, on), due);
  s.reason = reason;
  steps.push_back(std::move(s));
}

}  // namespace

FailingCase open_case(Date published, const RuleSet& rules, std::vector<CaseStep>& steps) {
  FailingCase c;
  c.status = CaseStatus::kInterviewDue;
  c.published = published;
  c.interview_due = published.plus_days(rules.lifecycle.interview_due_days);
  steps.push_back(with_due(step(CaseStepKind::kOpened, published), c.interview_due));
  return c;
}

void on_interview(FailingCase& c, Date on, std::optional<Date> deadline, const RuleSet& rules,
                  std::vector<CaseStep>& steps) {
  // The first interview in [P, P+30] counts; later ones, or one before P, change nothing.
  if (c.status != CaseStatus::kInterviewDue || on < c.published || c.interview_due < on) return;
  c.status = CaseStatus::kRectifying;
  c.interview_on = on;
  c.deadline =
      deadline && !(*deadline < on) ? *deadline : on.plus_days(rules.lifecycle.rectification_days);
  steps.push_back(with_due(step(CaseStepKind::kInterviewHeld, on), c.deadline));
}

void on_rectification(FailingCase& c, Date on, std::vector<CaseStep>& steps) {
  if (c.status != CaseStatus::kRectifying || c.rectification_submitted || on < c.interview_on)
    return;
  c.rectification_submitted = true;
  steps.push_back(step(CaseStepKind::kRectificationSubmitted, on));
}

void on_reinspection(FailingCase& c, Date on, bool passed, const RuleSet& rules,
                     std::vector<CaseStep>& steps) {
  // The first re-inspection in [interview, D] decides.
  if (c.status != CaseStatus::kRectifying || on < c.interview_on || c.deadline < on) return;
  if (passed) {
    c.status = CaseStatus::kRectified;
    steps.push_back(step(CaseStepKind::kRectified, on));
  } else {
    escalate(c, on, EscalationReason::kFailedReinspection, rules, steps);
  }
}

void on_sanction(FailingCase& c, Date on, const std::string& department,
                 std::vector<CaseStep>& steps) {
  // A sanction dated on or after escalation fulfils its department's obligation.
  if (c.status != CaseStatus::kEscalated || on < c.escalated_on) return;
  bool all = true;
  bool recorded = false;
  for (Obligation& o : c.obligations) {
    if (o.department == department && !o.fulfilled) {
      o.fulfilled = true;
      o.fulfilled_on = on;
      recorded = true;
    }
    all = all && o.fulfilled;
  }
  if (!recorded) return;
  CaseStep s = step(CaseStepKind::kSanctionRecorded, on);
  s.department = department;
  steps.push_back(std::move(s));
  if (all) {
    c.status = CaseStatus::kSanctioned;
    steps.push_back(step(CaseStepKind::kSanctioned, on));
  }
}

void advance_case(FailingCase& c, Date log_time, const RuleSet& rules,
                  std::vector<CaseStep>& steps) {
  if (c.status == CaseStatus::kInterviewDue && c.interview_due < log_time) {
    escalate(c, c.interview_due.plus_days(1), EscalationReason::kMissedInterview, rules, steps);
  } else if (c.status == CaseStatus::kRectifying && c.deadline < log_time) {
    escalate(c, c.deadline.plus_days(1), EscalationReason::kMissedDeadline, rules, steps);
  }
}

namespace {

constexpr std::string_view kTimerSource = "jiayuan.timer";

// The first day of `horizon` on or after `d`, or nullopt.
std::optional<Date> first_on_or_after(std::span<const int32_t> horizon, Date d) {
  auto it = std::lower_bound(horizon.begin(), horizon.end(), d.days());
  if (it == horizon.end()) return std::nullopt;
  return Date::from_days(*it);
}

}  // namespace

CaseTimeline case_timeline(Date published, Date known_from, std::string_view opened_source,
                           std::string_view opened_id, std::span<const CaseFact> facts,
                           std::span<const int32_t> horizon, const RuleSet& rules) {
  CaseTimeline out;
  std::vector<CaseStep> steps;
  auto take = [&](Date known, std::string_view source, std::string_view id) {
    for (CaseStep& s : steps) {
      CaseEntry e;
      e.known = std::max(known, known_from);
      e.cause_source = std::string(source);
      const std::string name(to_string(s.step));
      e.cause_id =
          source == kTimerSource ? name + "@" + s.on.to_string() : std::string(id) + "#" + name;
      e.step = std::move(s);
      out.entries.push_back(std::move(e));
    }
    steps.clear();
  };
  FailingCase c = open_case(published, rules, steps);
  take(known_from, opened_source, opened_id);
  size_t i = 0;
  for (;;) {
    const std::optional<Date> due = c.next_deadline();
    const bool facts_left = i < facts.size();
    if (due && (!facts_left || !(facts[i].on < *due))) {
      // The deadline comes first: it fires once log time reaches it.
      const std::optional<Date> passed = first_on_or_after(horizon, *due);
      if (!passed) {
        out.next_deadline = due;
        break;
      }
      advance_case(c, *passed, rules, steps);
      take(*passed, kTimerSource, "");
      continue;
    }
    if (!facts_left) break;
    const CaseFact& f = facts[i++];
    switch (f.kind) {
      case CaseFact::kInterview:
        on_interview(c, f.on, f.deadline, rules, steps);
        break;
      case CaseFact::kRectification:
        on_rectification(c, f.on, steps);
        break;
      case CaseFact::kReinspection:
        on_reinspection(c, f.on, f.passed, rules, steps);
        break;
      case CaseFact::kSanction:
        on_sanction(c, f.on, f.source, steps);
        break;
    }
    take(f.on, f.source, f.id);
  }
  return out;
}

}  // namespace jiayuan
