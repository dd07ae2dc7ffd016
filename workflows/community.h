// The community-year workflow: a fold of facts over a community's state.
//
//   CommunityState s;                        // empty: nothing known yet
//   Step step = apply(s, event, rules);      // mutates s; returns decisions or a rejection
//   for (const Decision& d : step.decisions) ...
//
// Pure: no I/O, no clock. Time is the fact's occurred date.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "config/rules.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "events/result.h"
#include "workflows/grading.h"

namespace jiayuan {

struct CommunityYear {
  YearRecord record;
  bool rated = false;
  Grade grade = Grade::kUnrated;

  template <class A>
  void serialize(A& ar) { ar(record, rated, grade); }
};

struct CommunityState {
  std::vector<Particulars> history;      // by from date, ascending; one entry per date
  std::map<int32_t, CommunityYear> years;

  // The particulars in effect on a date (the latest starting on or before it).
  const Particulars* particulars_on(Date d) const;

  template <class A>
  void serialize(A& ar) { ar(history, years); }
};

struct Step {
  std::vector<Decision> decisions;
  std::optional<Error> rejection;  // the fact could not be applied: why
};

// Applies one fact. On rejection the state is unchanged.
Step apply(CommunityState& state, const Event& event, const RuleCatalog& rules);

}  // namespace jiayuan
