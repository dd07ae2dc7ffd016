// Audit: prove a year's recorded decisions from the log, or ask what a proposed rule set would
// have changed. Nothing here writes to the log or store it audits.
//
//   ChainCheck chain = *verify_chains(log);                 // every partition's hash chain
//   AuditReport r = *audit_year(log, scratch, dir, config, {.year = 2023});
//   r.clean();    // chains intact and every recorded decision of 2023 recomputed identically
//   WhatIf w = *what_if(log, scratch_a, dir_a, scratch_b, dir_b, config, proposed, 2023);
//
// Recomputing runs the same stages as `jiayuan run` over the log's jiayuan.events into a fresh
// store (`dir`) and a scratch log that takes the decisions and dead letters, so the recorded
// log and store are only read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/log.h"
#include "events/decisions.h"
#include "projections/store.h"

namespace jiayuan {

// The projections as known at an instant (transaction time, DOMAIN.md "as known at K"): the
// stages run over only the facts intake had accepted by `known_ms` (their accepted-at stamp; a
// fact without one, from before stamps, counts as always known) into a fresh store at `dir`,
// writing decisions and dead letters to `scratch`. Answers read from it are those of an engine
// fed only what had been delivered by then; as of a date too.
Result<std::unique_ptr<Store>> as_known_at(Log& log, Log& scratch, const std::string& dir,
                                           const Config& config, int64_t known_ms);

// Where recomputation stands: records folded of records to fold (grows as decisions appear).
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

struct ChainProblem {
  int32_t partition = 0;  // the chain (a partition of jiayuan.events)
  std::string where;      // "jiayuan.decisions/<partition>/<offset>"
  std::string decision;   // its id
  std::string problem;    // a sentence
};

struct ChainCheck {
  size_t records = 0;    // decision records read
  size_t decisions = 0;  // distinct decisions (re-published copies counted once)
  std::vector<ChainProblem> problems;
  // The recorded decisions by id (the first copy of each).
  std::map<std::string, Decision> by_id;
};

// Reads every partition of jiayuan.decisions and checks each chain: every decision's hash
// matches its content, every link names a decision in the log, one chain start, no forks.
// A decision re-published after a crash (same id, same hash) counts once.
Result<ChainCheck> verify_chains(Log& log, const ProgressFn& progress = {});

struct FieldDiff {
  std::string decision;  // id
  std::string field;     // JSON path, e.g. "body.grade"; "(decision)" when one side has none
  std::string recorded;
  std::string recomputed;
};

struct AuditReport {
  int32_t year = 0;
  size_t recorded = 0;    // decisions of the year in the log
  size_t recomputed = 0;  // decisions of the year the stages take again
  std::string
      recorded_digest;  // SHA-256 over the year's decisions (id, hash of content), in id order
  std::string recomputed_digest;
  std::vector<ChainProblem> chain;
  std::vector<FieldDiff> diffs;
  bool clean() const { return chain.empty() && diffs.empty(); }
};

struct AuditOptions {
  int32_t year = 0;
  size_t batch_size = 1000;
  ProgressFn progress;
};

// Recomputes every decision from jiayuan.events into `scratch` (empty) and `store_dir` (absent
// or empty) with `config`'s rules, verifies the chains and compares the year's decisions field
// by field.
Result<AuditReport> audit_year(Log& log, Log& scratch, const std::string& store_dir,
                               const Config& config, const AuditOptions& options);

// One outcome that a proposed rule set changes.
struct Change {
  std::string what;  // grade | case | excellent_community | excellent_manager | top_ten | target
  std::string key;   // community, manager, company or "district"/street id and target name
  std::string from;  // "" when absent before
  std::string to;    // "" when absent after
};

struct WhatIf {
  int32_t year = 0;
  std::vector<Change> changes;
};

// The year's outcomes (grades, cases, awards, targets) under `config`'s rules and under
// `proposed` (a rule set replacing the one that governs the year, over the same period),
// each recomputed from the log into its own scratch log and store; what differs.
Result<WhatIf> what_if(Log& log, Log& scratch_now, const std::string& dir_now,
                       Log& scratch_proposed, const std::string& dir_proposed, const Config& config,
                       const RuleSet& proposed, const AuditOptions& options);

// `jiayuan audit --json`: the report (its chain problems and differences in full), and the
// what-if's changes under the proposed rule set.
nlohmann::json audit_json(const AuditReport& r);
nlohmann::json what_if_json(const WhatIf& w, const RuleSet& proposed);

// The decision as JSON (every field, the chain included): what audit diffs compare.
nlohmann::json decision_json(const Decision& d);

}  // namespace jiayuan
