#include "engine/audit.h"

#include <array>
#include <atomic>
#include <set>
#include <tuple>

#include "engine/intake.h"
#include "engine/runner.h"
#include "events/binary_codec.h"
#include "events/sha256.h"
#include "projections/projector.h"
#include "projections/records.h"
#include "projections/store.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// The recorded log's jiayuan.events, with everything the stages write going to a scratch log.
class OverlayLog final : public Log {
 public:
  OverlayLog(Log& source, Log& scratch) : source_(source), scratch_(scratch) {}
  int32_t partition_count(std::string_view topic) const override {
    return source_.partition_count(topic);
  }
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override {
    if (topic == topics::kEvents) return fail("read_only", "audit never appends to jiayuan.events");
    return scratch_.append(topic, records);
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override {
    return of(topic).read(topic, partition, from, max);
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override {
    return of(topic).read(topic, partition, from, max, wanted);
  }
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override {
    return of(topic).end_offset(topic, partition);
  }

 private:
  Log& of(std::string_view topic) { return topic == topics::kEvents ? source_ : scratch_; }
  Log& source_;
  Log& scratch_;
};

// The recorded log as it was known at an instant: jiayuan.events holds only the facts intake
// had accepted by then (by their accepted-at stamp; one without a stamp counts as always
// known), everything else as OverlayLog has it.
class KnownLog final : public Log {
 public:
  KnownLog(Log& source, Log& scratch, int64_t known_ms)
      : overlay_(source, scratch), source_(source), known_ms_(known_ms) {}
  int32_t partition_count(std::string_view topic) const override {
    return overlay_.partition_count(topic);
  }
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override {
    return overlay_.append(topic, records);
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override {
    return read(topic, partition, from, max, nullptr);
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override {
    if (topic != topics::kEvents) return overlay_.read(topic, partition, from, max, wanted);
    // Skips what was accepted later, reading on until there is something or the log ends (an
    // empty answer means "caught up" to the stages).
    std::vector<LogEntry> out;
    while (out.empty()) {
      JY_TRY(std::vector<LogEntry> got, wanted != nullptr
                                            ? source_.read(topic, partition, from, max, wanted)
                                            : source_.read(topic, partition, from, max));
      if (got.empty()) break;
      for (LogEntry& e : got) {
        const auto at = parse_instant_ms(e.record.header(headers::kAcceptedAt));
        if (!at || *at <= known_ms_) out.push_back(std::move(e));
      }
      from = got.back().position.offset + 1;
    }
    return out;
  }
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override {
    return overlay_.end_offset(topic, partition);
  }

 private:
  OverlayLog overlay_;
  Log& source_;
  int64_t known_ms_;
};

// Every record of every partition of a topic, in partition then offset order.
Status read_all(Log& log, std::string_view topic,
                const std::function<Status(const LogEntry&)>& fn) {
  for (int32_t p = 0; p < log.partition_count(topic); ++p) {
    for (int64_t at = 0;;) {
      JY_TRY(std::vector<LogEntry> got, log.read(topic, p, at, 4096));
      if (got.empty()) break;
      for (const LogEntry& e : got) JY_CHECK(fn(e));
      at = got.back().position.offset + 1;
    }
  }
  return {};
}

std::string where(const LogEntry& e) {
  return std::string(topics::kDecisions) + "/" + std::to_string(e.position.partition) + "/" +
         std::to_string(e.position.offset);
}

// Folds the log through every stage into a fresh store at `dir`; returns it.
Result<std::unique_ptr<Store>> recompute(Log& log, Log& scratch, const std::string& dir,
                                         const Config& config, const AuditOptions& options) {
  JY_TRY(std::unique_ptr<Store> store, Store::open(dir));
  JY_TRY(std::optional<std::string> used,
         store->get(cf::kOffsets, Store::offset_name("stage1", topics::kEvents, 0)));
  if (used) return fail("bad_argument", dir + ": the scratch store must start empty");
  OverlayLog overlay(log, scratch);
  RunOptions run;
  run.batch_size = options.batch_size;
  run.until_idle = true;
  run.progress = options.progress;
  const std::atomic<bool> never{false};
  JY_TRY(RunSummary ignored, run_engine(overlay, *store, config, run, never));
  (void)ignored;
  return store;
}

}  // namespace

Result<std::unique_ptr<Store>> as_known_at(Log& log, Log& scratch, const std::string& dir,
                                           const Config& config, int64_t known_ms) {
  JY_TRY(std::unique_ptr<Store> store, Store::open(dir));
  KnownLog known(log, scratch, known_ms);
  RunOptions run;
  run.until_idle = true;
  const std::atomic<bool> never{false};
  JY_TRY(RunSummary ignored, run_engine(known, *store, config, run, never));
  (void)ignored;
  return store;
}

namespace {

void flatten(const json& j, const std::string& path, std::map<std::string, std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], path + "[" + std::to_string(i) + "]", out);
    if (j.empty()) out[path] = "[]";
  } else {
    out[path] = j.is_string() ? j.get<std::string>() : j.dump();
  }
}

std::string year_digest(const std::map<std::string, Decision>& decisions) {
  Sha256 h;
  for (const auto& [id, d] : decisions) {
    h.update_field(id);
    h.update_field(decision_hash(d));  // of the content as it is, whatever hash it carries
  }
  return h.hex_digest();
}

// The outcomes of a year a rule set decides: key -> value, by kind.
using Outcomes = std::map<std::pair<std::string, std::string>, std::string>;

void district_outcomes(const DistrictRecord& d, Outcomes& out);

Result<Outcomes> outcomes(const Store& store, int32_t year) {
  Outcomes out;
  const std::string prefix = std::to_string(year) + "/";
  const ProjectionView view(store);
  JY_CHECK(scan_records<RatingRecord>(view, cf::kProjGrade, prefix, decode_rating,
                                      [&](std::string_view, RatingRecord& r) {
                                        if (!r.grade) return true;
                                        std::string shown(to_string(*r.grade));
                                        if (r.final_score)
                                          shown += " (" + r.final_score->to_string() + ")";
                                        out[{"grade", r.community}] = shown;
                                        return true;
                                      }));
  JY_CHECK(scan_records<CaseRecord>(
      view, cf::kProjCase, prefix, decode_case, [&](std::string_view, CaseRecord& c) {
        out[{"case", c.community}] = c.status.empty() ? "open" : c.status;
        return true;
      }));
  JY_TRY(std::optional<std::string> district, store.get(cf::kProjDistrict, std::to_string(year)));
  if (district) {
    JY_TRY(const DistrictRecord d, decode_district(*district));
    district_outcomes(d, out);
  }
  return out;
}

// The awards and targets of a stored stage 2/3 answer (proj.district).
void district_outcomes(const DistrictRecord& d, Outcomes& out) {
  for (const auto& c : d.excellent_communities)
    out[{"excellent_community", c.community}] = c.final_score;
  for (const auto& m : d.excellent_managers)
    out[{"excellent_manager", m.manager}] = m.mean_final_score;
  for (const StandingRecord& t : d.top_ten)
    out[{"top_ten", t.company}] = "rank " + std::to_string(t.rank);
  auto targets = [&](const TargetRecord& line, const std::string& who) {
    const std::array<std::tuple<const char*, bool, const std::optional<std::string>&>, 3> lines{{
        {"passing_or_better", line.met_passing_or_better, line.share_passing_or_better},
        {"exemplary", line.met_exemplary, line.share_exemplary},
        {"standard", line.met_standard, line.share_standard},
    }};
    for (const auto& [name, met, share] : lines) {
      // The share as its JSON ("92.50" quoted, or null): the form audits have always shown.
      const std::string shown = share ? json(*share).dump() : "null";
      out[{"target", who + " " + name}] = std::string(met ? "met" : "missed") + " (" + shown + ")";
    }
  };
  targets(d.district, "district");
  for (const TargetRecord& s : d.streets) targets(s, s.street.value_or(""));
}

}  // namespace

json decision_json(const Decision& d) {
  json body;
  if (const auto* r = std::get_if<CommunityRated>(&d.body)) {
    body = {{"community", r->community.value},
            {"name", r->name},
            {"year", r->year},
            {"grade", std::string(to_string(r->grade))},
            {"explanation", explanation_json(r->explanation)},
            {"proposal_flagged", r->proposal_flagged},
            {"summary", summary_json(r->summary)}};
    if (r->has_proposal) body["proposal"] = std::string(to_string(r->proposal));
  } else if (const auto* p = std::get_if<CommunityPublished>(&d.body)) {
    body = {{"community", p->community.value},
            {"year", p->year},
            {"grade", std::string(to_string(p->grade))},
            {"published_on", p->published_on.to_string()}};
  } else if (const auto* s = std::get_if<CaseStep>(&d.body)) {
    body = {{"community", s->community.value},
            {"year", s->year},
            {"step", std::string(to_string(s->step))},
            {"on", s->on.to_string()}};
    if (s->has_due) body["due"] = s->due.to_string();
    if (s->reason != EscalationReason::kNone) body["reason"] = std::string(to_string(s->reason));
    if (!s->department.empty()) body["department"] = s->department;
  }
  return json{{"id", d.id},
              {"kind", kind_of(d.body)},
              {"community", d.community.value},
              {"year", d.year},
              {"log_date", d.log_date.to_string()},
              {"cause",
               {{"source", d.cause_source},
                {"id", d.cause_id},
                {"partition", d.cause_partition},
                {"offset", d.cause_offset}}},
              {"rule_set", {{"id", d.rule_set_id}, {"hash", d.rule_set_hash}}},
              {"prev_hash", d.prev_hash},
              {"hash", d.hash},
              {"body", std::move(body)}};
}

namespace {

struct Link {
  std::string id;
  std::string at;
};
// One partition's chain of decisions, as read.
struct Chain {
  std::map<std::string, Link> by_hash;               // distinct decisions
  std::map<std::string, std::vector<Link>> by_prev;  // prev_hash -> the decisions naming it
  std::vector<std::pair<std::string, Link>> order;   // (prev_hash, decision) in log order
};

// One record of jiayuan.decisions: readable, hashed, its hash its content's, one content per
// id; then a link of its partition's chain.
void read_link(const LogEntry& e, ChainCheck& check, std::map<int32_t, Chain>& chains) {
  Result<Decision> d = decode_decision_binary(e.record.value);
  if (!d) {
    check.problems.push_back({-1, where(e), std::string(e.record.header("jiayuan.decision.id")),
                              "not a readable decision: " + d.error().message});
    return;
  }
  if (d->hash.empty()) {
    check.problems.push_back(
        {d->cause_partition, where(e), d->id, "carries no hash (written before the chain)"});
    return;
  }
  if (decision_hash(*d) != d->hash) {
    check.problems.push_back({d->cause_partition, where(e), d->id,
                              "content does not match its hash " + d->hash.substr(0, 16) +
                                  "…: altered after it was recorded"});
    // It still holds its place in the chain (its successor names the hash it carries), and
    // its fields go to the diff.
  }
  auto [known, fresh] = check.by_id.try_emplace(d->id, *d);
  if (!fresh && known->second.hash != d->hash) {
    check.problems.push_back({d->cause_partition, where(e), d->id,
                              "recorded twice with different content (hashes " +
                                  known->second.hash.substr(0, 16) + "… and " +
                                  d->hash.substr(0, 16) + "…)"});
    return;
  }
  Chain& c = chains[d->cause_partition];
  if (c.by_hash.contains(d->hash)) return;  // a re-published copy
  const Link link{d->id, where(e)};
  c.by_hash.emplace(d->hash, link);
  c.by_prev[d->prev_hash].push_back(link);
  c.order.emplace_back(d->prev_hash, link);
}

// Every link names a decision of the chain, and no two name the same one.
void check_links(int32_t partition, const Chain& c, ChainCheck& check) {
  for (const auto& [prev, link] : c.order) {
    if (!prev.empty() && !c.by_hash.contains(prev)) {
      check.problems.push_back(
          {partition, link.at, link.id,
           "follows decision hash " + prev.substr(0, 16) +
               "…, which is not in the log: a decision before it was removed"});
    }
  }
  for (const auto& [prev, links] : c.by_prev) {
    for (size_t i = 1; i < links.size(); ++i) {
      check.problems.push_back({partition, links[i].at, links[i].id,
                                (prev.empty() ? std::string("starts the chain again")
                                              : "follows " + prev.substr(0, 16) + "…") +
                                    ", as " + links[0].id + " does: the chain forks"});
    }
  }
}

// Chain order: each decision's place from the chain's start along the links
// (jiayuan.decisions may interleave chains).
std::map<std::string, size_t> chain_positions(const Chain& c, const ChainCheck& check) {
  std::map<std::string, size_t> position;
  std::string at_hash;
  for (size_t n = 0;; ++n) {
    const auto next = c.by_prev.find(at_hash);
    if (next == c.by_prev.end() || next->second.empty()) break;
    const Link& l = next->second.front();
    if (!position.emplace(l.id, n).second) break;  // a loop: reported as forks
    at_hash = check.by_id.at(l.id).hash;
  }
  return position;
}

// Revisions: each names a decision in the log, of the same community and year and the same
// outcome (a rating, a publication, a case), recorded before it on the same chain.
void check_revisions(int32_t partition, const Chain& c, ChainCheck& check) {
  const std::map<std::string, size_t> position = chain_positions(c, check);
  auto outcome = [](const Decision& x) {
    const std::string kind = kind_of(x.body);
    return kind.starts_with("case.") ? std::string("case") : kind;
  };
  for (const auto& [prev, link] : c.order) {
    const Decision& d = check.by_id.at(link.id);
    if (d.revises.empty()) continue;
    const auto revised = check.by_id.find(d.revises);
    std::string problem;
    if (revised == check.by_id.end()) {
      problem = "revises " + d.revises + ", which is not in the log";
    } else if (revised->second.community != d.community || revised->second.year != d.year ||
               outcome(revised->second) != outcome(d)) {
      problem = "revises " + d.revises + ", which decides another outcome (" +
                outcome(revised->second) + " of " + revised->second.community.value + " " +
                std::to_string(revised->second.year) + ")";
    } else if (const auto at = position.find(d.revises), self = position.find(d.id);
               at != position.end() && self != position.end() && at->second > self->second) {
      problem = "revises " + d.revises + ", which the chain records after it";
    }
    if (!problem.empty()) check.problems.push_back({partition, link.at, link.id, problem});
  }
}

}  // namespace

Result<ChainCheck> verify_chains(Log& log, const ProgressFn& progress) {
  ChainCheck check;
  std::map<int32_t, Chain> chains;
  int64_t total = 0;
  for (int32_t p = 0; p < log.partition_count(topics::kDecisions); ++p) {
    JY_TRY(int64_t end, log.end_offset(topics::kDecisions, p));
    total += end;
  }
  JY_CHECK(read_all(log, topics::kDecisions, [&](const LogEntry& e) -> Status {
    ++check.records;
    if (progress && check.records % 4096 == 0) progress(static_cast<int64_t>(check.records), total);
    read_link(e, check, chains);
    return {};
  }));
  for (const auto& [partition, c] : chains) check_links(partition, c, check);
  for (const auto& [partition, c] : chains) check_revisions(partition, c, check);
  check.decisions = check.by_id.size();
  if (progress) progress(static_cast<int64_t>(check.records), total);
  return check;
}

Result<AuditReport> audit_year(Log& log, Log& scratch, const std::string& store_dir,
                               const Config& config, const AuditOptions& options) {
  if (config.rules.for_year(options.year) == nullptr) {
    return fail("bad_argument", "--year " + std::to_string(options.year) +
                                    ": no rule set defines that evaluation year");
  }
  AuditReport report;
  report.year = options.year;
  JY_TRY(ChainCheck recorded, verify_chains(log));
  report.chain = std::move(recorded.problems);
  JY_TRY(std::unique_ptr<Store> store, recompute(log, scratch, store_dir, config, options));
  JY_TRY(ChainCheck again, verify_chains(scratch));
  for (ChainProblem& p : again.problems) {
    p.problem = "recomputed: " + p.problem;  // cannot happen unless the engine itself is wrong
    report.chain.push_back(std::move(p));
  }

  std::map<std::string, Decision> mine;
  std::map<std::string, Decision> theirs;
  for (auto& [id, d] : recorded.by_id) {
    if (d.year == options.year) mine.emplace(id, d);
  }
  for (auto& [id, d] : again.by_id) {
    if (d.year == options.year) theirs.emplace(id, d);
  }
  report.recorded = mine.size();
  report.recomputed = theirs.size();
  report.recorded_digest = year_digest(mine);
  report.recomputed_digest = year_digest(theirs);
  std::set<std::string> ids;
  for (const auto& [id, d] : mine) ids.insert(id);
  for (const auto& [id, d] : theirs) ids.insert(id);
  for (const std::string& id : ids) {
    auto a = mine.find(id);
    auto b = theirs.find(id);
    if (a == mine.end()) {
      report.diffs.push_back(
          {id, "(decision)", "absent", "taken on " + b->second.log_date.to_string()});
      continue;
    }
    if (b == theirs.end()) {
      report.diffs.push_back(
          {id, "(decision)", "recorded on " + a->second.log_date.to_string(), "absent"});
      continue;
    }
    if (encode_decision_binary(a->second) == encode_decision_binary(b->second)) continue;
    std::map<std::string, std::string> fa;
    std::map<std::string, std::string> fb;
    flatten(decision_json(a->second), "", fa);
    flatten(decision_json(b->second), "", fb);
    std::set<std::string> fields;
    for (const auto& [k, v] : fa) fields.insert(k);
    for (const auto& [k, v] : fb) fields.insert(k);
    for (const std::string& f : fields) {
      const std::string va = fa.contains(f) ? fa[f] : "(none)";
      const std::string vb = fb.contains(f) ? fb[f] : "(none)";
      if (va != vb) report.diffs.push_back({id, f, va, vb});
    }
  }
  return report;
}

Result<WhatIf> what_if(Log& log, Log& scratch_now, const std::string& dir_now,
                       Log& scratch_proposed, const std::string& dir_proposed, const Config& config,
                       const RuleSet& proposed, const AuditOptions& options) {
  const RuleSet* current = config.rules.for_year(options.year);
  if (current == nullptr) {
    return fail("bad_argument", "--year " + std::to_string(options.year) +
                                    ": no rule set defines that evaluation year");
  }
  if (proposed.from != current->from || proposed.to != current->to) {
    return fail("bad_argument", proposed.path + ": a proposed rule set replaces " + current->id +
                                    " and must cover its period " + current->from.to_string() +
                                    " to " + current->to.to_string() + "; it covers " +
                                    proposed.from.to_string() + " to " + proposed.to.to_string());
  }
  if (proposed.window(options.year) == nullptr) {
    return fail("bad_argument",
                proposed.path + ": defines no evaluation year " + std::to_string(options.year));
  }
  Config changed = config;
  std::vector<RuleSet> sets;
  for (const RuleSet& rs : config.rules.sets())
    sets.push_back(rs.id == current->id && rs.from == current->from ? proposed : rs);
  changed.rules = RuleCatalog(std::move(sets));

  JY_TRY(std::unique_ptr<Store> before, recompute(log, scratch_now, dir_now, config, options));
  JY_TRY(std::unique_ptr<Store> after,
         recompute(log, scratch_proposed, dir_proposed, changed, options));
  JY_TRY(Outcomes a, outcomes(*before, options.year));
  JY_TRY(Outcomes b, outcomes(*after, options.year));
  WhatIf w;
  w.year = options.year;
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const auto& k : keys) {
    const std::string va = a.contains(k) ? a[k] : "";
    const std::string vb = b.contains(k) ? b[k] : "";
    // A score moving with the same grade is not an outcome; the grade is.
    auto grade_of = [](const std::string& v) { return v.substr(0, v.find(' ')); };
    if (k.first == "grade" ? grade_of(va) == grade_of(vb) : va == vb) continue;
    w.changes.push_back({k.first, k.second, va, vb});
  }
  return w;
}

nlohmann::json audit_json(const AuditReport& r) {
  nlohmann::json out{{"year", r.year},
                     {"identical", r.clean()},
                     {"recorded", r.recorded},
                     {"recomputed", r.recomputed},
                     {"recorded_digest", r.recorded_digest},
                     {"recomputed_digest", r.recomputed_digest},
                     {"chain_problems", nlohmann::json::array()},
                     {"differences", nlohmann::json::array()}};
  for (const ChainProblem& p : r.chain) {
    out["chain_problems"].push_back({{"partition", p.partition},
                                     {"at", p.where},
                                     {"decision", p.decision},
                                     {"problem", p.problem}});
  }
  for (const FieldDiff& d : r.diffs) {
    out["differences"].push_back({{"decision", d.decision},
                                  {"field", d.field},
                                  {"recorded", d.recorded},
                                  {"recomputed", d.recomputed}});
  }
  return out;
}

nlohmann::json what_if_json(const WhatIf& w, const RuleSet& proposed) {
  nlohmann::json out{{"year", w.year},
                     {"rules", proposed.id},
                     {"rules_hash", proposed.hash},
                     {"changes", nlohmann::json::array()}};
  for (const Change& c : w.changes)
    out["changes"].push_back({{"what", c.what}, {"key", c.key}, {"from", c.from}, {"to", c.to}});
  return out;
}

}  // namespace jiayuan
