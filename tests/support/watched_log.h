// A Log over another that counts the records of jiayuan.events read through it (and those read
// by a reader that skips some types: the projection stage) and, while `away`, answers every read
// of them as a broker that does not answer would.
#pragma once

#include "engine/log.h"

namespace jiayuan::testing {

class WatchedLog final : public Log {
 public:
  explicit WatchedLog(Log& log) : log_(log) {}
  int32_t partition_count(std::string_view topic) const override {
    return log_.partition_count(topic);
  }
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override {
    return log_.append(topic, records);
  }
  using Log::read;
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override {
    if (away && topic == topics::kEvents)
      return fail("kafka_unavailable", "no answer from the broker");
    auto got = log_.read(topic, partition, from, max);
    if (got && topic == topics::kEvents) events_read += got->size();
    return got;
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override {
    auto got = Log::read(topic, partition, from, max, wanted);
    if (got && topic == topics::kEvents) filtered_events_read += got->size();
    return got;
  }
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override {
    return log_.end_offset(topic, partition);
  }
  bool only_markers(std::string_view topic, int32_t partition, int64_t from,
                    int64_t to) const override {
    return log_.only_markers(topic, partition, from, to);
  }
  size_t events_read = 0;
  size_t filtered_events_read = 0;
  bool away = false;

 private:
  Log& log_;
};

}  // namespace jiayuan::testing
