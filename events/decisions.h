// Decisions: the events the engine itself writes, one per step it takes. A decision's id is
// derived from its cause (the fact that triggered it), so a replay writes the same ids and a
// consumer applies each id once.
#pragma once

#include <array>
#include <cereal/details/helpers.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/centi.h"
#include "events/date.h"
#include "events/facts.h"
#include "events/ids.h"
#include "events/result.h"

namespace jiayuan {

// One line of the service score: a dimension (or satisfaction) with its weight and mean.
struct ScoreLine {
  std::string name;  // a kDimensionNames entry or "satisfaction"
  int32_t weight = 0;
  int32_t count = 0;
  Centi mean;  // shown rounded half up to 0.01; the score itself is computed exactly
};

struct DeductionLine {
  std::string kind;    // "hotline_substantiated", ...
  std::string detail;  // e.g. "2 minor × 1.00 + 1 serious × 3.00" where per_item varies
  int32_t count = 0;
  Centi per_item;
  Centi cap;
  Centi amount;                    // min(count × per_item, cap)
  std::vector<std::string> facts;  // "source/id" of each fact behind it
};

struct Thresholds {
  Centi exemplary;
  Centi standard;
  Centi passing;
};

// Why a community got its grade: structured, so the query side can show or compute with it.
struct Explanation {
  std::string street;
  std::string tier;           // "T1" | "T2" | "T3"
  bool tier_unnamed = false;  // fee ≥ 2.5 and scattered: a combination the policy does not name
  Centi fee;
  Enclosure enclosure = Enclosure::kClosed;
  Category category = Category::kCommodity;
  int32_t inspections = 0;
  int32_t surveys = 0;
  int32_t weight_divisor = 0;  // 100 with a survey, 90 without (sum of the weights used)
  std::vector<ScoreLine> scores;
  bool has_score = false;
  Centi service;  // weighted mean, rounded half up to 0.01
  std::vector<DeductionLine> deductions;
  Centi deductions_total;
  Centi final_score;  // max(0, service − deductions)
  Thresholds thresholds;
  std::vector<std::string> vetoes;  // in the order applied, each a sentence
  std::string rule_set_id;
  std::string rule_set_hash;
  // Proposals and opinions dated after the review (DOMAIN.md: recorded, changing nothing), each
  // "<source>/<id> (<kind> of <date>)".
  std::vector<std::string> after_review;
};

// What later stages need of a rated year: who served it on the rating date and the counts
// behind the company composite (DOMAIN.md "Top ten composite").
struct YearSummary {
  CompanyId company;  // serving on the rating date; empty when none
  ManagerId manager;
  int32_t households = 0;
  int32_t spot_checks = 0;
  int32_t spot_checks_passed = 0;
  int32_t hotline_complaints = 0;
  int32_t hotline_on_time = 0;
  int32_t petitions_substantiated = 0;
  int32_t media_positive = 0;  // reports naming the community (project)
  int32_t media_negative = 0;
  int32_t credit_points = 0;
  int32_t waste_inspections = 0;
  int32_t waste_compliant = 0;
};

// The bureau's grade for a community's evaluation year (评定结果).
struct CommunityRated {
  CommunityId community;
  std::string name;
  int32_t year = 0;
  Grade grade = Grade::kUnrated;
  Explanation explanation;
  bool has_proposal = false;
  Grade proposal = Grade::kUnrated;  // the street's latest proposal
  bool proposal_flagged = false;     // more than one grade away from the grade
  YearSummary summary;
  Date rated_on;           // R: the date of the year's first review closed
  bool withdrawn = false;  // the review was retracted: the year is no longer rated
};

// 公开: the first publication covering the community for the year (P).
struct CommunityPublished {
  CommunityId community;
  int32_t year = 0;
  Grade grade = Grade::kUnrated;
  Date published_on;
  bool withdrawn = false;  // the publication was retracted: the year is not published
};

// The steps of a failing (不达标) case (DOMAIN.md "Failing-case lifecycle"). Stored by number
// from decision format 4: a number is fixed for ever, a new step takes the next one.
enum class CaseStepKind : uint8_t {
  kOpened = 0,
  kInterviewHeld = 1,
  kRectificationSubmitted = 2,
  kRectified = 3,
  kEscalated = 4,
  kSanctionRecorded = 5,
  kSanctioned = 6,
};
inline constexpr std::array<std::string_view, 7> kCaseStepNames = {
    "opened",    "interview_held", "rectification_submitted",
    "rectified", "escalated",      "sanction_recorded",
    "sanctioned"};

// Why a case escalated (none for every other step); stored by number like the steps.
enum class EscalationReason : uint8_t {
  kNone = 0,
  kMissedInterview = 1,
  kMissedDeadline = 2,
  kFailedReinspection = 3,
};
inline constexpr std::array<std::string_view, 4> kEscalationReasonNames = {
    "", "missed_interview", "missed_deadline", "failed_reinspection"};

std::string_view to_string(CaseStepKind step);
std::string_view to_string(EscalationReason reason);  // "" for none
std::optional<CaseStepKind> parse_case_step(std::string_view name);
std::optional<EscalationReason> parse_escalation_reason(std::string_view name);  // "" is none

// One step of a failing case.
struct CaseStep {
  CommunityId community;
  int32_t year = 0;
  CaseStepKind step = CaseStepKind::kOpened;
  Date on;  // the date the step takes effect
  bool has_due = false;
  Date due;  // what falls due next: interview (opened), deadline (interview_held),
             // obligations (escalated)
  EscalationReason reason = EscalationReason::kNone;  // escalated
  std::string department;  // sanction_recorded: market | chengguan | police (config's ids)

  // Stage 1's state keeps steps by name (its bytes as before the enums).
  template <class A>
  void save(A& ar) const {
    ar(community, year, std::string(to_string(step)), on, has_due, due,
       std::string(to_string(reason)), department);
  }
  template <class A>
  void load(A& ar) {
    std::string s, r;
    ar(community, year, s, on, has_due, due, r, department);
    const auto kind = parse_case_step(s);
    const auto why = parse_escalation_reason(r);
    if (!kind) throw cereal::Exception("unknown case step \"" + s + "\"");
    if (!why) throw cereal::Exception("unknown escalation reason \"" + r + "\"");
    step = *kind;
    reason = *why;
  }
};

// One step of a case with the date from which it is known (as of that date it shows) and the
// fact that caused it ("jiayuan.timer" and "<step>@<date>" for a deadline).
struct CaseEntry {
  CaseStep step;
  Date known;
  std::string cause_source, cause_id;
  bool operator==(const CaseEntry& o) const {
    return step.step == o.step.step && step.on == o.step.on && known == o.known &&
           cause_source == o.cause_source && cause_id == o.cause_id;
  }
  template <class A>
  void serialize(A& ar) {
    ar(step, known, cause_source, cause_id);
  }
};

// A case changed other than by a step added at its end (a late fact, a retraction, a grade
// revised): the whole case as it now stands; empty entries: there is no case any more.
struct CaseRevised {
  CommunityId community;
  int32_t year = 0;
  std::vector<CaseEntry> entries;
};

using DecisionBody = std::variant<CommunityRated, CommunityPublished, CaseStep, CaseRevised>;

// The storage format this build writes decisions in (events/binary_codec.h): 5. From format 5 a
// decision's hash is over its JSON form (events/decision_json.h), which any program can compute
// from a record of jiayuan.decisions alone; formats 1 to 4 hash their binary form.
inline constexpr int32_t kDecisionFormat = 5;
inline constexpr int32_t kJsonHashedFormat = 5;

// The stored type tag of each decision kind: fixed for ever, whatever the variant's order (a new
// kind takes the next number; a number is never reused).
enum class DecisionTag : uint16_t {
  kCommunityRated = 0,
  kCommunityPublished = 1,
  kCaseStep = 2,
  kCaseRevised = 3,  // from format 3
};
constexpr DecisionTag tag_of(const CommunityRated&) { return DecisionTag::kCommunityRated; }
constexpr DecisionTag tag_of(const CommunityPublished&) { return DecisionTag::kCommunityPublished; }
constexpr DecisionTag tag_of(const CaseStep&) { return DecisionTag::kCaseStep; }
constexpr DecisionTag tag_of(const CaseRevised&) { return DecisionTag::kCaseRevised; }
inline DecisionTag tag_of(const DecisionBody& body) {
  return std::visit([](const auto& b) { return tag_of(b); }, body);
}

struct Decision {
  std::string id;  // derived from the cause: replay gives the same id
  CommunityId community;
  int32_t year = 0;
  Date log_date;             // log time when taken (the cause's date)
  std::string cause_source;  // (source, id) of the fact that caused it
  std::string cause_id;
  std::string rule_set_id;    // the rule set that governed it
  std::string rule_set_hash;  // SHA-256 of that rule set's file
  DecisionBody body;
  // A revision (DOMAIN.md "Revisions"): the id of the decision whose outcome this one
  // replaces; empty for a first decision. Its cause (above) is the fact that changed it.
  std::string revises;
  // The hash chain (one per partition of jiayuan.events, in the order stage 1 took the
  // decisions): where the cause sits in the log, the previous decision's hash ("" for the
  // first) and this decision's own hash over everything above (decision_hash).
  int32_t cause_partition = -1;
  int64_t cause_offset = -1;
  std::string prev_hash;
  std::string hash;
  // The storage format it was read from (binary_codec.h); 0 for one taken by this build, which
  // is written in the current format. A decision is hashed, and written again, in its own.
  int32_t format = 0;
};

// "community.rated", "community.published", "case.<step>", "case.revised".
std::string kind_of(const DecisionBody& body);

// SHA-256 (hex) of the decision with `hash` left empty: from format 5 of its JSON form
// (encode_decision_json), before that of its stored binary form. Any change to any field, the
// chain links included, changes it.
std::string decision_hash(const Decision& decision);

// A stable, platform-independent 64-bit hash (FNV-1a) for deriving ids; not cryptographic.
uint64_t stable_hash64(std::string_view bytes);
// "<kind>:<community>:<year>:<16 hex digits of the cause's (source, id)>"
std::string derive_decision_id(std::string_view kind, const CommunityId& community, int32_t year,
                               std::string_view cause_source, std::string_view cause_id);

}  // namespace jiayuan
