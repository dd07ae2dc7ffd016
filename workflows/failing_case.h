// The failing (不达标) case: interview → rectification → re-inspection, or joint sanctions.
//
//   FailingCase c = open_case(published_on, rules);       // interview due P+30
//   auto steps = on_interview(c, date, deadline, rules);  // each returns the CaseSteps taken
//   auto fired = advance_case(c, log_time, rules);         // deadlines passed by log time
//
// DOMAIN.md "Failing-case lifecycle", in calendar days. Pure: time is a date argument.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/rules.h"
#include "events/decisions.h"

namespace jiayuan {

enum class CaseStatus : uint8_t {
  kNone = 0,
  kInterviewDue = 1,
  kRectifying = 2,
  kRectified = 3,   // closed: the re-inspection passed
  kEscalated = 4,   // joint sanctions open
  kSanctioned = 5,  // closed: every obligation fulfilled
};
std::string_view to_string(CaseStatus s);

// The three departments of joint sanctions (联合惩戒).
inline constexpr std::array<std::string_view, 3> kSanctionDepartments = {"market", "chengguan",
                                                                         "police"};

struct Obligation {
  std::string department;
  Date due;
  bool fulfilled = false;
  Date fulfilled_on;
  template <class A>
  void serialize(A& ar) {
    ar(department, due, fulfilled, fulfilled_on);
  }
};

struct FailingCase {
  CaseStatus status = CaseStatus::kNone;
  Date published;      // P
  Date interview_due;  // P + 30
  Date interview_on;
  Date deadline;  // D
  bool rectification_submitted = false;
  Date escalated_on;
  std::string reason;
  std::vector<Obligation> obligations;

  bool open() const {
    return status == CaseStatus::kInterviewDue || status == CaseStatus::kRectifying ||
           status == CaseStatus::kEscalated;
  }
  // The date log time must reach for a deadline to fire; nullopt when none is pending.
  std::optional<Date> next_deadline() const;

  template <class A>
  void serialize(A& ar) {
    ar(status, published, interview_due, interview_on, deadline, rectification_submitted,
       escalated_on, reason, obligations);
  }
};

// A step with no community or year yet: the caller fills them in.
CaseStep step(CaseStepKind kind, Date on);

FailingCase open_case(Date published, const RuleSet& rules, std::vector<CaseStep>& steps);
void on_interview(FailingCase& c, Date on, std::optional<Date> deadline, const RuleSet& rules,
                  std::vector<CaseStep>& steps);
void on_rectification(FailingCase& c, Date on, std::vector<CaseStep>& steps);
void on_reinspection(FailingCase& c, Date on, bool passed, const RuleSet& rules,
                     std::vector<CaseStep>& steps);
void on_sanction(FailingCase& c, Date on, const std::string& department,
                 std::vector<CaseStep>& steps);
// Fires the deadlines log time has passed: no interview by P+30 escalates on P+31, no
// re-inspection by D escalates on D+1.
void advance_case(FailingCase& c, Date log_time, const RuleSet& rules,
                  std::vector<CaseStep>& steps);

// ---- the case as a function of its facts ----------------------------------------------------

// A process fact of the case's year that the lifecycle reads.
struct CaseFact {
  enum Kind : uint8_t { kInterview = 0, kRectification = 1, kReinspection = 2, kSanction = 3 };
  Date on;
  std::string source, id;  // ties on a date by (source, id), never by arrival
  Kind kind = kInterview;
  bool passed = false;           // re-inspection
  std::optional<Date> deadline;  // interview
};

struct CaseTimeline {
  std::vector<CaseEntry> entries;     // in order; empty: no case
  std::optional<Date> next_deadline;  // a deadline log time has not yet passed
};

// The case of a failing, published year as a pure function of its inputs (DOMAIN.md
// "Failing-case lifecycle"): opened at P (`published`), known from `known_from` (the later of
// the review and P); then `facts` (sorted by (on, source, id)) in date order, a deadline
// coming before a fact of its own date or later. A step caused by a fact is known from the
// fact's date; a deadline's escalation from the first day of `horizon` (the community's log
// time: the sorted days of its own facts and of the partition's ticks) on or after the
// deadline, so the same set of facts gives the same timeline whatever order they came in.
CaseTimeline case_timeline(Date published, Date known_from, std::string_view opened_source,
                           std::string_view opened_id, std::span<const CaseFact> facts,
                           std::span<const int32_t> horizon, const RuleSet& rules);

}  // namespace jiayuan
