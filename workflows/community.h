// The community-year workflow: a community's outcomes as a function of the *set* of its facts
// (DOMAIN.md "Late facts, retractions and the two time axes"), whatever order they came in.
//
//   CommunityState s;                              // nothing known yet
//   PartitionTime time;                            // the partition's ticks and district
//   publications Step step = apply(s, event, {rules, authority, time});   // the fact folded;
//   decisions to take Step again = recompute(s, community, {rules, authority, time});  // after a
//   tick, say
//
// Each fold keeps what the outcomes are computed from (registry entries, every evaluation
// fact's contribution, every process fact, the community's own fact dates) and computes the
// outcomes again: a first outcome is a decision; a changed one, a revision naming the decision
// it revises. Ties on a date go by (occurred, source, id), never by arrival. A fact naming a
// community not registered on or before its date waits, kept in the state, and is placed when
// a registration dated on or before it arrives. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/rules.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "events/result.h"
#include "workflows/failing_case.h"
#include "workflows/grading.h"

namespace jiayuan {

// One registry fact, kept so particulars can be resolved as of any date. Same date: a
// registration before a change before a fee adjustment, then by (source, id).
struct RegistryEntry {
  Date from;
  uint8_t rank = 0;  // 0 registration, 1 change, 2 fee adjustment
  std::string source, id;
  // The particulars it patches (kChanged* bits of events/facts.h); 0: all of them. A fee
  // adjustment patches the fee (kChangedFee, 1: stored as `true` before partial changes).
  uint8_t patch = 0;
  Particulars particulars;

  template <class A>
  void serialize(A& ar) {
    ar(from, rank, source, id, patch, particulars);
  }
};

struct Contract {
  Date from;
  std::string source, id;
  CompanyId company;
  ManagerId manager;
  template <class A>
  void serialize(A& ar) {
    ar(from, source, id, company, manager);
  }
};

enum class ProcessKind : uint8_t {
  kProposal = 0,
  kOpinion = 1,
  kReview = 2,
  kPublication = 3,
  kInterview = 4,
  kRectification = 5,
  kReinspection = 6,
  kSanction = 7,
};

// A process fact of a year, kept so the year's outcomes can be computed again from all of them.
struct ProcessFact {
  Date on;
  std::string source, id;
  ProcessKind kind = ProcessKind::kProposal;
  Grade grade = Grade::kUnrated;     // proposal
  Stance stance = Stance::kSupport;  // opinion
  bool passed = false;               // re-inspection
  std::optional<Date> deadline;      // interview

  template <class A>
  void serialize(A& ar) {
    ar(on, source, id, kind, grade, stance, passed, deadline);
  }
};

// What stage 1 last decided for a year, to tell a change (a revision) from nothing new.
struct Decided {
  std::string rating_id;     // "" when no rating decision stands
  uint64_t rating_hash = 0;  // of the rating's body
  Grade grade = Grade::kUnrated;
  std::string publication_id;
  Date published_on;
  std::string case_id;  // the last case decision
  std::vector<CaseEntry> case_entries;

  template <class A>
  void serialize(A& ar) {
    ar(rating_id, rating_hash, grade, publication_id, published_on, case_id, case_entries);
  }
};

struct CommunityYear {
  YearRecord record;                 // the evaluation facts' contributions
  std::vector<ProcessFact> process;  // by (on, source, id)
  Decided decided;

  template <class A>
  void serialize(A& ar) {
    ar(record, process, decided);
  }
};

// A fact that cannot count yet: dated before the community's first registration, or naming a
// community with none. Stored as it came (the binary form), placed when a registration dated
// on or before it arrives.
struct WaitingFact {
  Date on;
  std::string source, id;
  std::string stored;     // encode_event_binary
  bool reported = false;  // dead-lettered as dated before the registration

  template <class A>
  void serialize(A& ar) {
    ar(on, source, id, stored, reported);
  }
};

// How a state stores its own days: sorted, so each as its distance from the one before (zigzag
// LEB128: one byte for most, where a day was four), behind a count with its top bit set. A count
// without that bit is the earlier form, a day in four bytes, still read. A malformed list throws
// std::runtime_error (as cereal does for bytes it cannot read).
struct StoredDays {
  static constexpr uint64_t kCompact = uint64_t{1} << 63;
  std::vector<int32_t>& days;

  std::string encode() const;
  void decode(uint64_t count, std::string_view bytes);

  template <class A>
  void save(A& ar) const {
    ar(kCompact | days.size(), encode());
  }
  template <class A>
  void load(A& ar) {
    uint64_t count = 0;
    ar(count);
    if ((count & kCompact) == 0) {
      days.clear();
      for (uint64_t i = 0; i < count; ++i) {  // a corrupt count ends at the input's end
        int32_t day = 0;
        ar(day);
        days.push_back(day);
      }
      return;
    }
    std::string bytes;
    ar(bytes);
    decode(count & ~kCompact, bytes);
  }
};

struct CommunityState {
  std::vector<RegistryEntry> registry;  // by (from, rank, source, id)
  std::vector<Contract> contracts;      // by (from, source, id)
  std::map<int32_t, CommunityYear> years;
  std::vector<int32_t> own_days;     // the day of each of its evaluation and process facts (sorted,
                                     // repeated): its log time
  std::vector<WaitingFact> waiting;  // by (on, source, id)
  // Retracted facts ("source/id") with the retraction that stands ("<occurred> <id>"): of two
  // retractions of one fact the earlier by (occurred, source, id) stands.
  std::map<std::string, std::string> retracted;

  // The first registration's date; nullopt when none.
  std::optional<Date> registered_on() const;
  // The particulars in effect on a date; nullopt before the first registration.
  std::optional<Particulars> particulars_on(Date d) const;
  // The contract in effect on a date (one starting that day counts); nullptr when none.
  const Contract* contract_on(Date d) const;
  // True while a fact of it waits for its registration (none yet).
  bool unregistered() const { return registered_on() == std::nullopt; }

  template <class A>
  void serialize(A& ar) {
    ar(registry, contracts, years, StoredDays{own_days}, waiting, retracted);
  }
};

// What one partition of jiayuan.events knows beyond a single community: time moved by ticks,
// district-wide publications, and which communities those touch.
struct DistrictPublication {
  Date on;
  std::string source, id;
  int32_t year = 0;
  template <class A>
  void serialize(A& ar) {
    ar(on, source, id, year);
  }
};

struct PartitionTime {
  std::vector<int32_t> ticks;                     // sorted days
  std::vector<DistrictPublication> publications;  // by (on, source, id)
  std::map<int32_t, std::vector<std::string>>
      reviewed;                         // year -> communities with a review (sorted)
  std::vector<std::string> with_cases;  // communities with a case (sorted)

  template <class A>
  void serialize(A& ar) {
    ar(ticks, publications, reviewed, with_cases);
  }
};

struct FoldContext {
  const RuleCatalog& rules;
  const Authority& authority;
  const PartitionTime& time;
};

// A fact stage 1 cannot apply: the event (as it came) and why.
struct Rejection {
  Event event;
  Error reason;
};

// A change to the community's waiting facts, so that the listing of them follows the fold
// without reading the whole set again: a fact began to wait (reported: dated before the
// registration there is), was found dated before a registration that came (reported), or left
// (placed by a registration, or retracted).
struct WaitingChange {
  enum class What : uint8_t { kWaits, kReported, kLeft };
  What what = What::kWaits;
  std::string source, id;
  Date on;
  bool reported =
      false;  // kWaits: rejected already, still kept in case an earlier registration comes
};

struct Step {
  std::vector<Decision> decisions;
  std::vector<Rejection>
      rejected;  // this fact, or waiting facts found dated before the registration
  std::vector<WaitingChange> waiting;
};

// Folds one fact of the community (a retraction carries the fact it retracts in `retracted`)
// and takes the decisions its outcomes now call for. `stored`: the fact's stored form
// (encode_event_binary) when the caller has it, kept as it is if the fact waits; encoded here
// when empty.
Step apply(CommunityState& state, const Event& event, const FoldContext& context,
           const Event* retracted = nullptr, std::string_view stored = {});

// Computes outcomes again and takes the decisions that calls for: `year`'s rating, publication
// and case (a district-wide publication), or with no year every year's case (the partition's
// log time moved: a tick). `cause` names what moved it.
Step recompute(CommunityState& state, const CommunityId& community, const FoldContext& context,
               std::optional<int32_t> year, std::string_view cause_source,
               std::string_view cause_id, Date cause_date);

// Whether a year of the state has a review (for PartitionTime::reviewed) or a standing case.
bool has_review(const CommunityState& state, int32_t year);
bool has_case(const CommunityState& state);

}  // namespace jiayuan
