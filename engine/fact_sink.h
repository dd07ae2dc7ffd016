// Where facts go in: intake in this process (the embedded log), or a department's inbox on
// Kafka (connectors/kafka_gateway.h), where the engine's intake judges them exactly as it
// judges what a department produces there itself. HTTP ingest and `jiayuan import` write
// through one of these, so both ways in give the same answers on both logs.
//
//   LocalSink sink(*intake);                      // embedded: judged here, at once
//   auto outcomes = sink.submit(inputs);          // one per input, in order
//   sink.refuse(row, "csv", why);                 // a row that never became a fact
#pragma once

#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "engine/intake.h"

namespace jiayuan {

// Threads: a sink may be called from several threads at once (the HTTP server's workers).
class FactSink {
 public:
  virtual ~FactSink() = default;
  // One outcome per input, in order; every input carries the department that sent it
  // (`proven_source`). An outcome may be Verdict::kPending when the judgement did not come back
  // in time (Kafka): the fact is in its inbox and will be judged. Errors: nothing could be sent
  // (the disk is full, the broker does not answer); whatever was sent is a duplicate next time.
  virtual Result<std::vector<IntakeOutcome>> submit(std::span<const IntakeInput> inputs) = 0;
  // Input that never became a fact (a CSV row of the wrong shape): to the dead-letter log with
  // its bytes and why, as the department's.
  virtual Status refuse(const IntakeInput& input, std::string_view stage, const Error& reason) = 0;
};

// Intake in this process: the embedded log's way in. Borrows the intake, which must outlive it.
class LocalSink final : public FactSink {
 public:
  explicit LocalSink(Intake& intake) : intake_(intake) {}
  Result<std::vector<IntakeOutcome>> submit(std::span<const IntakeInput> inputs) override {
    std::lock_guard lock(mu_);  // Intake is single-threaded; callers take turns
    return intake_.submit(inputs);
  }
  Status refuse(const IntakeInput& input, std::string_view stage, const Error& reason) override {
    std::lock_guard lock(mu_);
    return intake_.dead_letter(input, stage, reason);
  }

 private:
  Intake& intake_;
  std::mutex mu_;
};

}  // namespace jiayuan
