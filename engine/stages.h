// The stages the engine runs, each a fold from the log into the store with atomic progress:
// one RocksDB WriteBatch holds a step's state changes, its outbox and the offsets it consumed.
//
//   CommunityStage s1(log, store, config);  // jiayuan.events -> community state + outbox
//   Relay relay(log, store);                // outbox -> jiayuan.decisions / jiayuan.dead-letter
//   ProjectionStage proj(log, store, config);  // events + decisions -> proj.*
//   size_t n = *s1.step(1000);              // facts folded this step (0: caught up)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "engine/log.h"
#include "engine/read_handoff.h"
#include "projections/projector.h"
#include "projections/store.h"
#include "workflows/community.h"

namespace jiayuan {

// Threads: the stages belong to run_engine's loop (runner.h) and are driven by it alone. Each
// borrows the Log and the Store it is built on. Stage 1's step folds its partitions on up to
// engine.toml `fold_threads` threads of its own and returns when all are done.
struct StageCounters {
  size_t facts = 0;
  size_t decisions = 0;
  size_t rejected = 0;
  std::map<std::string, size_t> decisions_by_kind;  // "community.rated", "case.opened", ...
  std::map<std::string, size_t> rejected_by_code;

  void add(const StageCounters& d);
};

// Stage 1. Deadlines fire when log time passes them, never by the process clock: a community's
// own evaluation and process facts move its time (its deadlines before a fact's date fire
// first), and a tick moves the whole partition's (every deadline up to it fires). Registry and
// governance facts may be back- or forward-dated and move nothing. Because one community's
// facts never move another's time, reordering facts of different communities changes nothing.
class CommunityStage {
 public:
  CommunityStage(Log& log, Store& store, const Config& config)
      : log_(log), store_(store), config_(config) {}
  // Folds up to `max_facts` facts from each partition of jiayuan.events. Returns how many.
  // Partitions are folded on several threads and committed in partition order, each its own
  // atomic write: when one fails, those before it are committed and none after it.
  Result<size_t> step(size_t max_facts);
  const StageCounters& counters() const { return counters_; }
  // Whether the last step filled a partition's share (more may be waiting in the log).
  bool behind() const { return behind_; }
  // From now on, what each step reads is handed to `handoff` (the projection stage's records
  // of it), which must outlive the stage.
  void hand_reads_to(ReadHandoff* handoff) { handoff_ = handoff; }

 private:
  class Batch;
  struct Folded;  // a partition's step, folded and ready to commit
  // Reads and folds a partition's next facts into `entries` (the thread's), holding `read_lock`
  // (if any) while it reads; touches nothing shared but the partition's kept states, so
  // partitions fold on several threads at once.
  Result<Folded> fold_partition(int32_t partition, size_t max_facts, std::vector<LogEntry>& entries,
                                std::mutex* read_lock);
  // Writes a folded step (outbox numbers continue from the step committed before it).
  Result<size_t> commit_partition(int32_t partition, Folded& folded);
  Result<size_t> step_on_threads(int32_t parts, size_t max_facts, size_t threads);
  void keep(int32_t partition, std::map<std::string, CommunityState>&& states);

  Log& log_;
  Store& store_;
  const Config& config_;
  StageCounters counters_;
  // The decoded states of the communities the last steps wrote (engine.toml `state_cache` of
  // them, the least recently written dropped first): a step that touches one takes it from here
  // instead of reading and decoding the bytes it wrote. Only a committed step's states enter,
  // each as the store now holds it; a step that fails has taken its states out, and the next
  // reads them from the store. Stage 1 is the store's only writer of them while it runs. One
  // map per partition (its share of the budget), which only the thread folding it touches.
  struct Kept {
    CommunityState state;
    uint64_t step = 0;  // when it was written
  };
  std::vector<std::unordered_map<std::string, Kept>> kept_;
  uint64_t steps_ = 0;
  bool behind_ = false;
  // Each fold thread's records, read into step after step (Log::read_into).
  std::vector<std::vector<LogEntry>> entries_;
  ReadHandoff* handoff_ = nullptr;
};

// Publishes the outbox, in order, and removes what it published. A crash between the two
// re-publishes the same records (same decision ids) next time: consumers apply ids once.
class Relay {
 public:
  Relay(Log& log, Store& store) : log_(log), store_(store) {}
  Result<size_t> step(size_t max_records);

 private:
  Log& log_;
  Store& store_;
  // Outbox keys only grow, and what is published is deleted in the batch that records how far
  // publishing got ("relay/next"): each step seeks there instead of stepping over every deleted
  // item again (until compaction they are tombstones at the front; a rebuild used to spend half
  // its time on them). Read from the store on the first step.
  std::optional<std::string> from_;
};

class ProjectionStage {
 public:
  ProjectionStage(Log& log, Store& store, const Config& config)
      : log_(log), store_(store), config_(config), projector_(store, config) {}
  // Projects up to `max_records` of each partition. With `settle`, once every partition's end
  // is reached it also computes stages 2 and 3 of the years the step left dirty; without, they
  // wait for a step with it (run_engine's while stage 1 is still deciding).
  Result<size_t> step(size_t max_records, bool settle = true);
  // From now on, jiayuan.events is taken from what stage 1 of this process read and handed to
  // `handoff` (read_handoff.h) where it can be, instead of read again; `handoff` must outlive
  // the stage.
  void take_reads_from(ReadHandoff* handoff) { handoff_ = handoff; }

 private:
  Result<size_t> step_topic(std::string_view topic, int32_t partition, size_t max_records);
  // A step's records of the partition from `from` on into entries_: those stage 1 handed over,
  // or read from the log. `next`: where the following step begins; returns how many records
  // the step covers (0: none now).
  Result<size_t> records(std::string_view topic, int32_t partition, int64_t from,
                         size_t max_records, int64_t& next);

  Log& log_;
  Store& store_;
  const Config& config_;
  Projector projector_;
  std::vector<LogEntry> entries_;  // read into step after step (Log::read_into)
  ReadHandoff* handoff_ = nullptr;
};

// The outbox value: topic '\0' encoded record.
std::string encode_outbox_item(std::string_view topic, const Record& record);

}  // namespace jiayuan
