// Internal to KafkaLog: the records of jiayuan.events and jiayuan.decisions this process
// appended lately, in their storage form, by cluster and topic, partition and offset. What reads
// them back (intake's catch-up of its own appends, stage 1 and the projection stage of the facts
// and decisions this process produced) takes them from here instead of parsing their JSON again.
//
//   ReadBack::instance().remember(log.produced_key(topic), records, positions);   // append
//   std::optional<Record> r = ReadBack::instance().recall(where, partition, offset, consumed);
//
// from_wire(to_wire(r)) is r, byte for byte, for every record the engine writes
// (tests/connectors/kafka_wire_test.cc), so what a reader gets does not depend on whether it was
// here. Shared by every KafkaLog of the process (intake's and the engine loop's are two), bounded
// (64 MB; the oldest go first), and checked against the consumed message (same key, same ce_id
// or decision id) in case a topic was deleted and made again under the same name. A record of an
// aborted transaction is never consumed, so never recalled; it ages out. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tuple>

#include "engine/log.h"

namespace jiayuan {

class ReadBack {
 public:
  static ReadBack& instance();
  // `records` were appended at `positions` (same order) of the topic named by `where`.
  void remember(const std::string& where, std::span<const Record> records,
                std::span<const Position> positions);
  // The record appended at that position, if it is still here and `consumed` (the wire form
  // read there) is the same record.
  std::optional<Record> recall(const std::string& where, int32_t partition, int64_t offset,
                               const Record& consumed);
  uint64_t hits();  // records recalled so far

 private:
  using Key = std::tuple<std::string, int32_t, int64_t>;
  static constexpr size_t kBudget = 64u << 20;
  std::mutex mu_;
  uint64_t hits_ = 0;
  std::map<Key, Record> records_;
  std::deque<Key> order_;
  size_t held_ = 0;
};

}  // namespace jiayuan
