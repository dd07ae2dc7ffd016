#include "workflows/community.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "events/binary_codec.h"

namespace jiayuan {
namespace {

std::string ref(std::string_view source, std::string_view id) {
  return std::string(source) + "/" + std::string(id);
}
std::string ref(const Event& ev) { return ref(ev.envelope.source, ev.envelope.id); }

// Sorted vectors stand for sets: what is inserted or erased is found by binary search, so the
// contents never depend on arrival order.
template <class T>
void insert_sorted(std::vector<T>& v, T item) {
  auto it = std::lower_bound(v.begin(), v.end(), item);
  if (it == v.end() || *it != item) v.insert(it, std::move(item));
}
template <class T>
void erase_sorted(std::vector<T>& v, const T& item) {
  auto it = std::lower_bound(v.begin(), v.end(), item);
  if (it != v.end() && *it == item) v.erase(it);
}

auto key_of(const RegistryEntry& e) { return std::tie(e.from, e.rank, e.source, e.id); }
auto key_of(const Contract& c) { return std::tie(c.from, c.source, c.id); }
auto key_of(const ProcessFact& p) { return std::tie(p.on, p.source, p.id); }
auto key_of(const WaitingFact& w) { return std::tie(w.on, w.source, w.id); }

template <class T>
void insert_keyed(std::vector<T>& v, T item) {
  auto it = std::lower_bound(v.begin(), v.end(), item,
                             [](const T& a, const T& b) { return key_of(a) < key_of(b); });
  if (it != v.end() && key_of(*it) == key_of(item)) {
    *it = std::move(item);  // the same fact again: the log holds it once, so nothing changes
  } else {
    v.insert(it, std::move(item));
  }
}
template <class T>
bool erase_by_identity(std::vector<T>& v, std::string_view source, std::string_view id) {
  auto it = std::find_if(v.begin(), v.end(),
                         [&](const T& e) { return e.source == source && e.id == id; });
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

Particulars particulars_of(const CommunityRegistered& f) {
  return Particulars{f.name, f.street, f.households, f.fee, f.enclosure, f.category};
}

// The fields of `change` that `bits` (kChanged*) name, over `p`.
void patch_particulars(Particulars& p, const Particulars& change, uint8_t bits) {
  if (bits & kChangedFee) p.fee = change.fee;
  if (bits & kChangedName) p.name = change.name;
  if (bits & kChangedStreet) p.street = change.street;
  if (bits & kChangedHouseholds) p.households = change.households;
  if (bits & kChangedEnclosure) p.enclosure = change.enclosure;
  if (bits & kChangedCategory) p.category = change.category;
}

// ---- evaluation facts: what each adds to (or, retracted, takes from) its year -----------

struct RecordVisitor {
  YearRecord& y;
  const std::string& r;  // "source/id"
  int sign;              // +1 folds the fact in, -1 takes it out (a retraction)
  void set(std::vector<std::string>& v) const {
    sign > 0 ? insert_sorted(v, r) : erase_sorted(v, r);
  }
  void operator()(const Inspection& f) const {
    y.inspections += sign;
    for (size_t i = 0; i < kDimensionCount; ++i) y.score_sums[i] += sign * f.scores[i].hundredths;
  }
  void operator()(const SatisfactionSurvey& f) const {
    y.surveys += sign;
    y.satisfaction_sum += sign * f.satisfaction.hundredths;
  }
  void operator()(const SpotCheck& f) const {
    y.spot_checks += sign;
    if (!f.passed) set(y.spot_checks_failed);
  }
  void operator()(const HotlineComplaint& f) const {
    y.hotline_complaints += sign;
    if (f.on_time) y.hotline_on_time += sign;
    if (f.substantiated) set(y.hotline_substantiated);
    if (!f.on_time) set(y.hotline_late);
  }
  void operator()(const Petition& f) const {
    if (f.substantiated) set(y.petitions_substantiated);
  }
  void operator()(const CreditPoints& f) const {
    y.credit_points += sign * f.points;
    set(y.credit_facts);
  }
  void operator()(const DepartmentFinding& f) const {
    set(y.findings[static_cast<size_t>(f.severity)]);
  }
  void operator()(const SafetyIncident& f) const {
    // Minor and serious incidents cost nothing in the score; a major one vetoes the year.
    if (f.severity == Severity::kMajor) set(y.major_incidents);
  }
  void operator()(const MediaReport& f) const {
    // A report naming a company counts for that company (stage 2); one naming only a
    // community counts for the company serving it on the rating date, through this record.
    if (!f.company.empty()) return;
    (f.tone == Tone::kPositive ? y.media_positive : y.media_negative) += sign;
  }
  void operator()(const WasteSortingInspection& f) const {
    y.waste_inspections += sign;
    if (f.compliant) y.waste_compliant += sign;
  }
  void operator()(const auto&) const {}
};

std::optional<ProcessFact> process_fact(const Event& ev) {
  ProcessFact p;
  p.on = ev.envelope.occurred;
  p.source = ev.envelope.source;
  p.id = ev.envelope.id;
  if (const auto* f = std::get_if<StreetProposal>(&ev.fact)) {
    p.kind = ProcessKind::kProposal;
    p.grade = f->grade;
  } else if (const auto* f = std::get_if<DepartmentOpinion>(&ev.fact)) {
    p.kind = ProcessKind::kOpinion;
    p.stance = f->stance;
  } else if (std::holds_alternative<ReviewClosed>(ev.fact)) {
    p.kind = ProcessKind::kReview;
  } else if (std::holds_alternative<RatingsPublished>(ev.fact)) {
    p.kind = ProcessKind::kPublication;
  } else if (const auto* f = std::get_if<InterviewHeld>(&ev.fact)) {
    p.kind = ProcessKind::kInterview;
    p.deadline = f->deadline;
  } else if (std::holds_alternative<RectificationSubmitted>(ev.fact)) {
    p.kind = ProcessKind::kRectification;
  } else if (const auto* f = std::get_if<Reinspection>(&ev.fact)) {
    p.kind = ProcessKind::kReinspection;
    p.passed = f->passed;
  } else if (std::holds_alternative<SanctionApplied>(ev.fact)) {
    p.kind = ProcessKind::kSanction;
  } else {
    return std::nullopt;
  }
  return p;
}

const ProcessFact* first_of(const CommunityYear& y, ProcessKind kind) {
  for (const ProcessFact& p : y.process) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

// ---- outcomes -------------------------------------------------------------------------------

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

std::string_view process_name(ProcessKind k) {
  return k == ProcessKind::kProposal ? "proposal" : "opinion";
}

// The year's rating by DOMAIN.md "When the grade is decided": every evaluation fact of the
// year; the proposals and opinions dated on or before R (the first review); nullopt when the
// year has no review or the community was not registered by the rating date.
std::optional<CommunityRated> rating(const CommunityState& s, const CommunityId& c, int32_t year,
                                     CommunityYear& y, const RuleSet& rs) {
  const ProcessFact* review = first_of(y, ProcessKind::kReview);
  if (review == nullptr) return std::nullopt;
  const Date rating_date = rs.window(year)->to;
  const auto p = s.particulars_on(rating_date);
  if (!p) return std::nullopt;
  YearRecord& record = y.record;
  record.has_proposal = false;
  record.opinions.clear();
  std::vector<std::string> after;
  for (const ProcessFact& f : y.process) {  // in (on, source, id) order: the last one stands
    if (f.kind != ProcessKind::kProposal && f.kind != ProcessKind::kOpinion) continue;
    if (review->on < f.on) {
      after.push_back(ref(f.source, f.id) + " (" + std::string(process_name(f.kind)) + " of " +
                      f.on.to_string() + ")");
    } else if (f.kind == ProcessKind::kProposal) {
      record.has_proposal = true;
      record.proposal = {f.on, f.grade};
    } else {
      record.opinions[f.source] = {f.on, f.stance};
    }
  }
  Rating graded = grade_year(record, *p, rs);
  CommunityRated body;
  body.community = c;
  body.name = p->name;
  body.year = year;
  body.grade = graded.grade;
  body.explanation = std::move(graded.explanation);
  body.explanation.after_review = std::move(after);
  body.has_proposal = record.has_proposal;
  body.proposal = record.proposal.grade;
  body.proposal_flagged = body.has_proposal && proposal_flagged(body.proposal, body.grade);
  body.summary = summarise(record, *p, s.contract_on(rating_date));
  body.rated_on = review->on;
  return body;
}

// P: the first publication covering the community for the year, its own or a district-wide
// one dated on or after its review; with the fact that made it.
struct Publication {
  Date on;
  std::string source, id;
};
std::optional<Publication> publication(const CommunityYear& y, int32_t year,
                                       const PartitionTime& time) {
  std::optional<Publication> best;
  auto consider = [&](Date on, const std::string& source, const std::string& id) {
    if (!best || std::tie(on, source, id) < std::tie(best->on, best->source, best->id))
      best = Publication{on, source, id};
  };
  for (const ProcessFact& f : y.process) {
    if (f.kind == ProcessKind::kPublication) consider(f.on, f.source, f.id);
  }
  if (const ProcessFact* review = first_of(y, ProcessKind::kReview)) {
    for (const DistrictPublication& d : time.publications) {
      if (d.year == year && !(d.on < review->on)) consider(d.on, d.source, d.id);
    }
  }
  return best;
}

std::vector<int32_t> horizon(const CommunityState& s, const PartitionTime& time) {
  std::vector<int32_t> h = s.own_days;
  h.insert(h.end(), time.ticks.begin(), time.ticks.end());
  std::sort(h.begin(), h.end());
  h.erase(std::unique(h.begin(), h.end()), h.end());
  return h;
}

std::vector<CaseEntry> case_of(const CommunityState& s, const CommunityYear& y,
                               const CommunityRated* rated, const std::optional<Publication>& p,
                               const RuleSet& rs, const PartitionTime& time) {
  if (rated == nullptr || rated->grade != Grade::kFailing || !p) return {};
  std::vector<CaseFact> facts;
  for (const ProcessFact& f : y.process) {
    CaseFact c{f.on, f.source, f.id, CaseFact::kInterview, f.passed, f.deadline};
    switch (f.kind) {
      case ProcessKind::kInterview:
        c.kind = CaseFact::kInterview;
        break;
      case ProcessKind::kRectification:
        c.kind = CaseFact::kRectification;
        break;
      case ProcessKind::kReinspection:
        c.kind = CaseFact::kReinspection;
        break;
      case ProcessKind::kSanction:
        c.kind = CaseFact::kSanction;
        break;
      default:
        continue;
    }
    facts.push_back(std::move(c));
  }
  // The case is known once the year is both rated 不达标 and published: from the later of
  // the review and P, caused by whichever of them is later.
  const ProcessFact* review = first_of(y, ProcessKind::kReview);
  if (review == nullptr) return {};
  const bool review_later =
      std::tie(review->on, review->source, review->id) > std::tie(p->on, p->source, p->id);
  const Date known = std::max(review->on, p->on);
  const std::string& source = review_later ? review->source : p->source;
  const std::string& id = review_later ? review->id : p->id;
  const std::vector<int32_t> h = horizon(s, time);
  return case_timeline(p->on, known, source, id, facts, h, rs).entries;
}

Decision decision(const RuleSet& rules, const CommunityId& community, int32_t year, Date on,
                  std::string_view cause_source, std::string_view cause_id, DecisionBody body,
                  std::string revises) {
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
  d.revises = std::move(revises);
  return d;
}

uint64_t body_hash(const CommunityRated& r) {
  Decision d;
  d.body = r;
  return stable_hash64(encode_decision_binary(d));
}

// The cause of a fold, for the decisions it takes.
struct Cause {
  std::string source, id;
  Date on;
};

// Computes year `number`'s outcomes again and takes a decision for each that changed: with
// `full`, its rating, publication and case; without, its case alone (log time moved).
void decide_year(CommunityState& s, const CommunityId& c, int32_t number, CommunityYear& y,
                 const FoldContext& ctx, const Cause& cause, bool full, Step& out) {
  const RuleSet* rs = ctx.rules.for_year(number);
  if (rs == nullptr) return;
  Decided& done = y.decided;
  // A decision is dated by when it became true in valid time: not before what it decides.
  auto dated = [&](Date at_least) { return std::max(cause.on, at_least); };
  // Every id derives from its cause and from the decision it follows, so a step that returns
  // after a revision took it away is a decision of its own.
  auto take = [&](Date on, std::string_view source, std::string_view id, DecisionBody body,
                  const std::string& after, std::string revises) {
    const std::string cause_id = after.empty() ? std::string(id) : std::string(id) + "\x1f" + after;
    Decision d = decision(*rs, c, number, on, source, id, std::move(body), std::move(revises));
    d.id = derive_decision_id(kind_of(d.body), c, number, source, cause_id);
    out.decisions.push_back(std::move(d));
    return out.decisions.back().id;
  };

  std::optional<CommunityRated> rated;
  std::optional<Publication> p;
  if (full) {
    rated = rating(s, c, number, y, *rs);
    const uint64_t hash = rated ? body_hash(*rated) : 0;
    if (rated && (done.rating_id.empty() || hash != done.rating_hash)) {
      done.rating_id = take(dated(rated->rated_on), cause.source, cause.id, *rated, done.rating_id,
                            done.rating_id);
      done.rating_hash = hash;
      done.grade = rated->grade;
    } else if (!rated && !done.rating_id.empty()) {
      CommunityRated withdrawn;
      withdrawn.community = c;
      withdrawn.year = number;
      withdrawn.withdrawn = true;
      take(cause.on, cause.source, cause.id, withdrawn, done.rating_id, done.rating_id);
      done.rating_id.clear();
      done.rating_hash = 0;
      done.grade = Grade::kUnrated;
    }
    p = publication(y, number, ctx.time);
    if (p && (done.publication_id.empty() || p->on != done.published_on)) {
      done.publication_id = take(dated(p->on), cause.source, cause.id,
                                 CommunityPublished{c, number, done.grade, p->on, false},
                                 done.publication_id, done.publication_id);
      done.published_on = p->on;
    } else if (!p && !done.publication_id.empty()) {
      take(cause.on, cause.source, cause.id,
           CommunityPublished{c, number, done.grade, done.published_on, true}, done.publication_id,
           done.publication_id);
      done.publication_id.clear();
    }
  } else if (!done.rating_id.empty() && done.grade == Grade::kFailing &&
             !done.publication_id.empty()) {
    rated = CommunityRated{};
    rated->grade = done.grade;
    p = publication(y, number, ctx.time);
  }

  // The failing case: steps added at its end are decisions of their own; any other change
  // is one revision carrying the case as it now stands.
  std::vector<CaseEntry> entries = case_of(s, y, rated ? &*rated : nullptr, p, *rs, ctx.time);
  const std::vector<CaseEntry>& before = done.case_entries;
  if (entries == before) return;
  const bool extends =
      entries.size() >= before.size() && std::equal(before.begin(), before.end(), entries.begin());
  for (CaseEntry& e : entries) {
    e.step.community = c;
    e.step.year = number;
  }
  if (extends) {
    for (size_t i = before.size(); i < entries.size(); ++i) {
      const CaseEntry& e = entries[i];
      done.case_id = take(e.known, e.cause_source, e.cause_id, e.step, done.case_id, "");
    }
  } else {
    const std::string id = take(cause.on, cause.source, cause.id, CaseRevised{c, number, entries},
                                done.case_id, done.case_id);
    done.case_id = entries.empty() ? std::string() : id;
  }
  done.case_entries = std::move(entries);
}

// ---- placing facts --------------------------------------------------------------------------

// The year an evaluation or process fact counts for, or why it counts for none.
Result<int32_t> year_of(const Event& ev, const RuleCatalog& rules) {
  if (const auto named = named_year(ev.fact)) {
    if (rules.for_year(*named) == nullptr) {
      return fail(field_error("no_rule_set", "data.year",
                              "an evaluation year some rule set defines", std::to_string(*named)));
    }
    return *named;
  }
  const auto year = rules.year_of(ev.envelope.occurred);
  if (!year) {
    return fail(field_error("no_rule_set", "occurred",
                            "a date inside an evaluation year of a rule set",
                            ev.envelope.occurred.to_string()));
  }
  return *year;
}

// Folds a placed evaluation, process or governance fact into its year (sign -1: takes it out).
// Returns the year it touched, or nullopt.
Result<std::optional<int32_t>> fold_fact(CommunityState& s, const Event& ev, const FoldContext& ctx,
                                         int sign) {
  const FactKind kind = type_info(ev.fact).kind;
  if (kind == FactKind::kGovernance) {
    // Governance facts may carry any date; only waste-sorting inspections count for a year.
    if (!std::holds_alternative<WasteSortingInspection>(ev.fact)) return std::optional<int32_t>();
    const auto year = ctx.rules.year_of(ev.envelope.occurred);
    if (!year) return std::optional<int32_t>();
    const std::string r = ref(ev);
    std::visit(RecordVisitor{s.years[*year].record, r, sign}, ev.fact);
    return std::optional<int32_t>(*year);
  }
  if (kind != FactKind::kEvaluation && kind != FactKind::kProcess) return std::optional<int32_t>();
  JY_TRY(int32_t year, year_of(ev, ctx.rules));
  CommunityYear& y = s.years[year];
  if (kind == FactKind::kEvaluation) {
    const std::string r = ref(ev);
    std::visit(RecordVisitor{y.record, r, sign}, ev.fact);
  } else if (sign > 0) {
    insert_keyed(y.process, *process_fact(ev));
  } else {
    erase_by_identity(y.process, ev.envelope.source, ev.envelope.id);
  }
  // The community's own evaluation and process facts move its log time (one day a fact, so a
  // retraction takes back only its own).
  const int32_t day = ev.envelope.occurred.days();
  if (sign > 0) {
    s.own_days.insert(std::upper_bound(s.own_days.begin(), s.own_days.end(), day), day);
  } else if (auto it = std::lower_bound(s.own_days.begin(), s.own_days.end(), day);
             it != s.own_days.end() && *it == day) {
    s.own_days.erase(it);
  }
  return std::optional<int32_t>(year);
}

// A waiting fact, once its community's street is known: may its source publish it there?
Status authorised(const Event& ev, const CommunityState& s, const Authority& authority) {
  const auto p = s.particulars_on(ev.envelope.occurred);
  const StreetId* street = p ? &p->street : nullptr;
  return authority.check(type_name(ev.fact), DepartmentId(ev.envelope.source), street);
}

// Places the waiting facts a registration now covers; reports (once) those dated before it.
void place_waiting(CommunityState& s, const FoldContext& ctx, std::vector<int32_t>& years,
                   Step& out) {
  const auto registered = s.registered_on();
  if (!registered) return;
  std::vector<WaitingFact> still;  // rebuilt, not erased one by one: a community may hold thousands
  for (WaitingFact& w : s.waiting) {
    auto ev = decode_event_binary(w.stored);
    if (!ev) {  // stored by this same build: cannot happen, but never loses the fact silently
      still.push_back(std::move(w));
      continue;
    }
    if (w.on < *registered) {
      if (!w.reported) {
        out.rejected.push_back(
            {*ev, field_error("not_registered_then", "occurred",
                              "a date on or after the community's registration (" +
                                  registered->to_string() + ")",
                              w.on.to_string())});
        w.reported = true;
        out.waiting.push_back({WaitingChange::What::kReported, w.source, w.id, w.on, true});
      }
      still.push_back(std::move(w));
      continue;
    }
    Status allowed = authorised(*ev, s, ctx.authority);
    Result<std::optional<int32_t>> touched =
        allowed ? fold_fact(s, *ev, ctx, +1) : fail(allowed.error());
    if (!touched) {
      out.rejected.push_back({*ev, touched.error()});
    } else if (*touched) {
      years.push_back(**touched);
    }
    out.waiting.push_back(
        {WaitingChange::What::kLeft, std::move(w.source), std::move(w.id), w.on, w.reported});
  }
  s.waiting = std::move(still);
}

void apply_registry(CommunityState& s, const Event& ev) {
  const Date on = ev.envelope.occurred;
  RegistryEntry e{on, 0, ev.envelope.source, ev.envelope.id, false, {}};
  if (const auto* f = std::get_if<CommunityRegistered>(&ev.fact)) {
    e.particulars = particulars_of(*f);
  } else if (const auto* f = std::get_if<CommunityChanged>(&ev.fact)) {
    e.rank = 1;
    e.patch = static_cast<uint8_t>(f->changed);
    e.particulars = particulars_of(*f);
  } else if (const auto* f = std::get_if<FeeAdjusted>(&ev.fact)) {
    e.rank = 2;
    e.patch = kChangedFee;
    e.particulars.fee = f->fee;
  } else if (const auto* f = std::get_if<ContractAssigned>(&ev.fact)) {
    insert_keyed(s.contracts,
                 Contract{on, ev.envelope.source, ev.envelope.id, f->company, f->manager});
    return;
  } else {
    return;
  }
  insert_keyed(s.registry, std::move(e));
}

// Every year fully (`full_year` nullopt), or `full_year` fully and every other year's case.
Step decide(CommunityState& s, const CommunityId& c, const FoldContext& ctx, const Cause& cause,
            std::optional<int32_t> full_year, bool all_full, Step out) {
  for (auto& [number, year] : s.years) {
    decide_year(s, c, number, year, ctx, cause, all_full || full_year == number, out);
  }
  return out;
}

}  // namespace

std::optional<Date> CommunityState::registered_on() const {
  std::optional<Date> first;
  for (const RegistryEntry& e : registry) {
    if (e.rank == 0 && (!first || e.from < *first)) first = e.from;
  }
  return first;
}

std::optional<Particulars> CommunityState::particulars_on(Date d) const {
  std::optional<Particulars> p;
  for (const RegistryEntry& e : registry) {
    if (d < e.from) break;
    if (e.rank != 0 && !p) continue;  // a change before the first registration changes nothing
    if (e.patch == 0) {
      p = e.particulars;
    } else {
      patch_particulars(*p, e.particulars, e.patch);
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

bool has_review(const CommunityState& state, int32_t year) {
  auto it = state.years.find(year);
  return it != state.years.end() && first_of(it->second, ProcessKind::kReview) != nullptr;
}

bool has_case(const CommunityState& state) {
  for (const auto& [number, y] : state.years) {
    if (!y.decided.case_entries.empty()) return true;
  }
  return false;
}

Step apply(CommunityState& s, const Event& ev, const FoldContext& ctx, const Event* retracted,
           std::string_view stored) {
  const CommunityId* community = community_of(retracted != nullptr ? retracted->fact : ev.fact);
  const Cause cause{ev.envelope.source, ev.envelope.id, ev.envelope.occurred};
  Step out;
  if (retracted != nullptr) {
    // The retracted fact counts as never having happened (DOMAIN.md "Retractions"); a second
    // retraction of it changes nothing, and the later of the two is rejected.
    const std::string target = ref(*retracted);
    const std::string key = ev.envelope.occurred.to_string() + " " + ev.envelope.id;
    if (auto standing = s.retracted.find(target); standing != s.retracted.end()) {
      Event later = ev;
      std::string stands = standing->second;
      if (key < standing->second) {
        later.envelope.occurred = *Date::parse(standing->second.substr(0, 10));
        later.envelope.id = standing->second.substr(11);
        stands = key;
        standing->second = key;
      }
      out.rejected.push_back(
          {later, field_error("already_retracted", "data.id", "a fact not yet retracted",
                              "\"" + retracted->envelope.id + "\" (retracted by " +
                                  stands.substr(11) + ")")});
      return out;
    }
    s.retracted[target] = key;
    if (erase_by_identity(s.waiting, retracted->envelope.source, retracted->envelope.id)) {
      out.waiting.push_back({WaitingChange::What::kLeft, retracted->envelope.source,
                             retracted->envelope.id, retracted->envelope.occurred, false});
    } else if (type_info(retracted->fact).kind != FactKind::kRegistry) {
      auto touched = fold_fact(s, *retracted, ctx, -1);
      (void)touched;  // a fact that never counted takes nothing away
    }
    return decide(s, *community, ctx, cause, std::nullopt, true, std::move(out));
  }
  const FactKind kind = type_info(ev.fact).kind;
  if (kind == FactKind::kRegistry) {
    const auto before = s.registered_on();
    apply_registry(s, ev);
    if (s.registered_on() != before) {
      std::vector<int32_t> years;
      place_waiting(s, ctx, years, out);
    }
    // Particulars and contracts on a rating date may have changed: every year again.
    return decide(s, *community, ctx, cause, std::nullopt, true, std::move(out));
  }
  if (kind != FactKind::kEvaluation && kind != FactKind::kProcess && kind != FactKind::kGovernance)
    return out;
  const auto registered = s.registered_on();
  if (!registered || ev.envelope.occurred < *registered) {
    // It waits for a registration dated on or before it (DOMAIN.md "Facts that arrive before
    // what they name"); dated before the one there is, it is rejected, and still kept in case
    // an earlier registration comes.
    WaitingFact w{ev.envelope.occurred, ev.envelope.source, ev.envelope.id,
                  stored.empty() ? encode_event_binary(ev) : std::string(stored), false};
    if (registered) {
      out.rejected.push_back({ev, field_error("not_registered_then", "occurred",
                                              "a date on or after the community's registration (" +
                                                  registered->to_string() + ")",
                                              ev.envelope.occurred.to_string())});
      w.reported = true;
    }
    out.waiting.push_back({WaitingChange::What::kWaits, w.source, w.id, w.on, w.reported});
    insert_keyed(s.waiting, std::move(w));
    return out;
  }
  auto touched = fold_fact(s, ev, ctx, +1);
  if (!touched) {
    out.rejected.push_back({ev, touched.error()});
    return out;
  }
  if (kind == FactKind::kGovernance && !*touched) return out;
  // Its year again; and own facts move the community's log time, which every case reads.
  return decide(s, *community, ctx, cause, *touched, false, std::move(out));
}

Step recompute(CommunityState& s, const CommunityId& community, const FoldContext& ctx,
               std::optional<int32_t> year, std::string_view cause_source,
               std::string_view cause_id, Date cause_date) {
  return decide(s, community, ctx,
                Cause{std::string(cause_source), std::string(cause_id), cause_date}, year, false,
                {});
}

std::string StoredDays::encode() const {
  std::string out;
  out.reserve(days.size() + 4);
  int64_t before = 0;
  for (const int32_t day : days) {
    const int64_t d = int64_t{day} - before;
    uint64_t z = (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
    while (z >= 0x80) {
      out.push_back(static_cast<char>((z & 0x7f) | 0x80));
      z >>= 7;
    }
    out.push_back(static_cast<char>(z));
    before = day;
  }
  return out;
}

void StoredDays::decode(uint64_t count, std::string_view bytes) {
  auto bad = [](const char* why) {
    throw std::runtime_error(std::string("corrupt community state: its own days: ") + why);
  };
  if (count > bytes.size()) bad("more days than bytes");
  days.clear();
  days.reserve(count);
  int64_t before = 0;
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t z = 0;
    for (int shift = 0;; shift += 7) {
      if (at == bytes.size() || shift > 35) bad("a distance cut short or too long");
      const auto b = static_cast<uint8_t>(bytes[at++]);
      z |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) break;
    }
    const int64_t day = before + (static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1));
    if (day < INT32_MIN || day > INT32_MAX) bad("a day out of range");
    days.push_back(static_cast<int32_t>(day));
    before = day;
  }
  if (at != bytes.size()) bad("bytes after the last day");
}

}  // namespace jiayuan
