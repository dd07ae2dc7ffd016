// The stage loop: fold, relay, project, until caught up (or for ever, following the log).
//
//   std::atomic<bool> stop{false};
//   RunSummary s = *run_engine(log, store, config, {.batch_size = 1000, .until_idle = true}, stop);
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include "config/config.h"
#include "engine/log.h"
#include "engine/stages.h"
#include "projections/store.h"

namespace jiayuan {

// Threads: run_engine runs on the calling thread until `stop` is set (from any thread: a signal
// handler, the HTTP server's shutdown) or, with until_idle, the log is folded. Its callbacks
// (intake, progress, observe) are called on that thread; `caught_up` may be read from any. Over
// a log several threads may read at once (Log::concurrent_reads), each round's projection step
// runs on a thread of its own beside intake, stage 1 and the relay (and takes what the relay
// appended in the round after); stage 1 folds on engine.toml `fold_threads` threads. Unless
// `stage1_log` is set, the projection stage takes the events stage 1 read (read_handoff.h)
// instead of reading jiayuan.events a second time.
struct RunOptions {
  size_t batch_size = 1000;
  bool until_idle = true;  // false: keep following the log until stopped
  int idle_poll_ms = 200;
  // Stage 1's view of jiayuan.events when it is not `log` (Kafka: the consumer group's share).
  Log* stage1_log = nullptr;
  // A step run before the stages each round (Kafka: intake from the inboxes); returns how much
  // it took in.
  std::function<Result<size_t>(size_t max)> intake;
  // Called after every round with the records folded and the records to fold (stage 1's facts
  // plus the projector's events and decisions; the total grows as decisions are taken).
  std::function<void(int64_t done, int64_t total)> progress;
  // Called after every round that did work: what stage 1 did in it and how long it took.
  std::function<void(const StageCounters& round, double seconds)> observe;
  // Set once the stages have caught up with the log (readiness).
  std::atomic<bool>* caught_up = nullptr;
};

// Records folded and to fold, as `progress` gets them.
Result<std::pair<int64_t, int64_t>> fold_position(Log& log, const Store& store);

struct RunSummary {
  StageCounters stage1;
  size_t relayed = 0;
  size_t projected = 0;
};

// A read replica (`jiayuan serve`): the projection stage alone, over a log another process
// writes (the engine's embedded log through a RocksDB secondary, or Kafka), into a store of its
// own. Projections are a function of jiayuan.events and jiayuan.decisions, so once caught up its
// answers are the engine's, byte for byte. Runs on the calling thread until `stop` is set.
struct ReplicaOptions {
  size_t batch_size = 1000;
  int idle_poll_ms = 200;
  // Before each round: take in what the writer appended (a secondary's catch-up); may be empty.
  std::function<Status()> refresh;
  // After each round that did work, and once idle: records folded and to fold (the projector's
  // share of fold_position).
  std::function<void(int64_t done, int64_t total)> progress;
  std::atomic<bool>* caught_up = nullptr;
};
// The projector's position in the log: records folded, of records to fold.
Result<std::pair<int64_t, int64_t>> projection_position(Log& log, const Store& store);
Status run_replica(Log& log, Store& store, const Config& config, const ReplicaOptions& options,
                   const std::atomic<bool>& stop);

// Runs the stages over the log. Returns when caught up (until_idle) or when `stop` is set;
// every step it finished is durable, so stopping or crashing at any point loses nothing.
Result<RunSummary> run_engine(Log& log, Store& store, const Config& config,
                              const RunOptions& options, const std::atomic<bool>& stop);

}  // namespace jiayuan
