// What stage 1 read of jiayuan.events, handed to the projection stage of the same process so
// that it need not read the log a second time (it keeps 2% of the records: registry, governance
// and corrections; reading all of them again was a seventh of `run`'s CPU).
//
//   ReadHandoff h;
//   stage 1, after reading [from, next) of partition p (n records):
//       h.give(p, {from, next, n, the entries the projection stage reads});
//   projection stage, at offset `at` of p:
//       ReadHandoff::Take t = h.take(p, at);
//       t.batch: fold its entries (those at `at` or after), then go on at t.batch->next;
//       t.wait: nothing yet (stage 1 has not read past `at`);
//       else read the log for itself, at most up to t.read_before (-1: no bound).
//
// A batch is exactly the log's records in its range, whenever it is taken, so what the
// projection stage folds is what it would have read; only the steps' boundaries differ, and no
// outcome depends on those (StagesTest.SameLogGivesTheSameProjectionBytesAtAnyBatchSize). A
// partition stage 1 has not read in this process is read by the projection stage itself, as is
// a range it is behind on (after `rebuild`, or batches dropped because it fell far behind).
// Threads: give and take may be called from any threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/log.h"

namespace jiayuan {

class ReadHandoff {
 public:
  struct Batch {
    int64_t from = 0;  // the offset stage 1 read from
    int64_t next = 0;  // the offset after the last record it read
    size_t read = 0;   // how many records it read
    std::vector<LogEntry> entries;
  };
  struct Take {
    std::optional<Batch> batch;
    bool wait = false;
    int64_t read_before = -1;
  };

  // At most this many batches wait per partition; beyond, the oldest is dropped (the projection
  // stage then reads that range itself).
  static constexpr size_t kMaxWaiting = 8;

  void give(int32_t partition, Batch batch);
  Take take(int32_t partition, int64_t at);

 private:
  struct Partition {
    int64_t next = -1;  // the end of stage 1's last read
    std::deque<Batch> waiting;
  };
  std::mutex mu_;
  std::map<int32_t, Partition> partitions_;
};

}  // namespace jiayuan
