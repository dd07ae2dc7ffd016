// The community-year workflow: a fold of facts over a community's state.
//
//   CommunityState s;                                  // empty: nothing known yet
//   Step step = apply(s, event, rules);                // mutates s; decisions or a rejection
//   Step fired = advance(s, community, log_time, rules); // deadlines log time has passed
//   s.next_deadline()                                  // when advance has work to do
//
// Pure: no I/O, no clock. Time is the fact's occurred date and the log time given.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "config/rules.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "events/result.h"
#include "workflows/failing_case.h"
#include "workflows/grading.h"

namespace jiayuan {

// One registry fact, kept so particulars can be resolved as of any date.
struct RegistryEntry {
  Date from;
  bool fee_only = false;  // a fee adjustment patches the fee alone
  Particulars particulars;

  template <class A>
  void serialize(A& ar) { ar(from, fee_only, particulars); }
};

struct Contract {
  Date from;
  CompanyId company;
  ManagerId manager;
  template <class A>
  void serialize(A& ar) { ar(from, company, manager); }
};

struct CommunityYear {
  YearRecord record;
  bool rated = false;
  Grade grade = Grade::kUnrated;
  bool published = false;
  Date published_on;  // P: the first publication
  FailingCase failing;

  template <class A>
  void serialize(A& ar) { ar(record, rated, grade, published, published_on, failing); }
};

struct CommunityState {
  std::vector<RegistryEntry> registry;  // by date; same date in log order
  std::vector<Contract> contracts;      // by date; same date in log order
  std::map<int32_t, CommunityYear> years;

  // The particulars in effect on a date; nullopt before the first registration.
  std::optional<Particulars> particulars_on(Date d) const;
  // The contract in effect on a date (one starting that day counts); nullptr when none.
  const Contract* contract_on(Date d) const;
  // The earliest date log time must reach for advance() to have work; nullopt when none.
  std::optional<Date> next_deadline() const;

  template <class A>
  void serialize(A& ar) { ar(registry, contracts, years); }
};

struct Step {
  std::vector<Decision> decisions;
  std::optional<Error> rejection;  // the fact could not be applied: why
};

// Applies one fact. On rejection the state is unchanged.
Step apply(CommunityState& state, const Event& event, const RuleCatalog& rules);

// Fires every deadline of the community that log time has passed.
Step advance(CommunityState& state, const CommunityId& community, Date log_time, const RuleCatalog& rules);

}  // namespace jiayuan
