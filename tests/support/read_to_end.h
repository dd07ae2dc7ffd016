// Every record of a partition from an offset to its end. A read may answer fewer records than
// there are (Kafka: one fetched batch; Log::read's contract), so this reads on until an empty
// answer; a failed read is a test failure and ends it.
#pragma once

#include <gtest/gtest.h>

#include <iterator>
#include <string_view>
#include <vector>

#include "engine/log.h"

namespace jiayuan::testing {

inline std::vector<LogEntry> read_to_end(Log& log, std::string_view topic, int32_t partition,
                                         int64_t from = 0) {
  std::vector<LogEntry> out;
  for (int64_t at = from;;) {
    auto got = log.read(topic, partition, at, 1000);
    EXPECT_TRUE(got) << got.error().message;
    if (!got || got->empty()) return out;
    at = got->back().position.offset + 1;
    out.insert(out.end(), std::make_move_iterator(got->begin()),
               std::make_move_iterator(got->end()));
  }
}

}  // namespace jiayuan::testing
