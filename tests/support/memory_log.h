// MemoryLog: an in-memory Log for unit tests (a fake, not a mock: it really keeps records).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/log.h"

namespace jiayuan::testing {

class MemoryLog final : public Log {
 public:
  explicit MemoryLog(std::map<std::string, int32_t> partitions = {})
      : partitions_(std::move(partitions)) {}

  int32_t partition_count(std::string_view topic) const override {
    auto it = partitions_.find(std::string(topic));
    return it == partitions_.end() ? 1 : it->second;
  }
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override {
    std::vector<Position> out;
    for (const Record& r : records) {
      const int32_t p = partition_of(r, partition_count(topic));
      auto& part = data_[{std::string(topic), p}];
      out.push_back({p, static_cast<int64_t>(part.size())});
      part.push_back(r);
    }
    return out;
  }
  using Log::read;
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override {
    std::vector<LogEntry> out;
    const auto& part = data_[{std::string(topic), partition}];
    for (int64_t o = from; o < static_cast<int64_t>(part.size()) && out.size() < max; ++o) {
      out.push_back({{partition, o}, part[static_cast<size_t>(o)]});
    }
    return out;
  }
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override {
    return static_cast<int64_t>(data_[{std::string(topic), partition}].size());
  }

 private:
  std::map<std::string, int32_t> partitions_;
  std::map<std::pair<std::string, int32_t>, std::vector<Record>> data_;
};

}  // namespace jiayuan::testing
