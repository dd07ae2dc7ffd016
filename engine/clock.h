// The clock, read at the edges only (the pure core reads none): intake's accepted-at
// (transaction time), the HTTP rate limiter, the ages of waiting facts, "today" of the command
// line and of /v1/cases. Production passes system_clock(); unit tests a ManualClock
// (tests/support/manual_clock.h) that they move by hand, so no unit test sleeps for time to pass.
//
//   const Clock& clock = system_clock();
//   int64_t accepted = clock.now_ms();      // wall clock
//   double t = clock.monotonic_s();         // rates and intervals
//   Date d = clock.today();                 // the district's day (Shanghai, UTC+8)
//
// Implementations are thread-safe: the HTTP server's threads read the one the engine reads.
#pragma once

#include <cstdint>

#include "events/date.h"

namespace jiayuan {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch.
  virtual int64_t now_ms() const = 0;
  // Seconds from an arbitrary start that never go back.
  virtual double monotonic_s() const = 0;
  // The date in Shanghai at now_ms().
  Date today() const { return shanghai_date_of(now_ms() / 1000); }
};

// The system's clocks (std::chrono::system_clock, steady_clock). Lives for the process.
const Clock& system_clock();

}  // namespace jiayuan
