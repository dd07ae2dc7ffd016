// A clock for tests that moves only when told (engine/clock.h). Thread-safe.
//
//   testing::ManualClock clock(1705312800000);  // 2024-01-15T10:00:00Z
//   intake->set_clock(clock);
//   clock.advance_ms(1500);
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/clock.h"

namespace jiayuan::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 0) : ms_(now_ms) {}
  int64_t now_ms() const override { return ms_.load(); }
  double monotonic_s() const override { return static_cast<double>(ms_.load()) / 1000.0; }
  void set_ms(int64_t ms) { ms_.store(ms); }
  void advance_ms(int64_t ms) { ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace jiayuan::testing
