// Intake over Kafka: each department writes its own inbox topic (jiayuan.inbox.<department>,
// which broker ACLs let only that department write); intake reads every inbox in a consumer
// group, validates and authorises each fact with the inbox's department as its source, and
// writes it to jiayuan.events (or jiayuan.dead-letter) in one Kafka transaction together with
// the inbox offsets it consumed (consume-transform-produce). A crash anywhere leaves either the
// whole step or none of it.
//
//   auto in = *KafkaIntake::open(settings, config, "engine-1");
//   size_t n = *in->step(1000);   // inbox messages taken this step (0: nothing waiting)
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "config/config.h"
#include "connectors/kafka_gateway.h"
#include "connectors/kafka_log.h"
#include "engine/intake.h"

namespace jiayuan {

// A message of an inbox as intake input. Binary content mode (CloudEvents Kafka binding): the
// envelope is in ce_ headers and the value is the fact's data; a missing ce_source is the
// inbox's department. Structured mode (no ce_type header): the value is the whole envelope.
// Every message gets a receipt on jiayuan.receipts.<department> (connectors/kafka_gateway.h).
Result<IntakeInput> inbox_input(const Record& message, std::string_view department,
                                std::string origin);

// Threads: a KafkaIntake is driven by the engine loop alone (RunOptions::intake).
struct KafkaIntakeCounters {
  size_t messages = 0;
  size_t accepted = 0;
  size_t duplicates = 0;
  size_t rejected = 0;
  size_t aborted = 0;             // transactions aborted (their messages are taken again)
  size_t producers_replaced = 0;  // producers that failed for good and were replaced
};

class KafkaIntake {
 public:
  // `instance` names this engine instance: its transactional id is <group>-intake-<instance>,
  // the same across restarts so that a restarted instance fences its former self.
  static Result<std::unique_ptr<KafkaIntake>> open(const KafkaSettings& settings,
                                                   const Config& config,
                                                   const std::string& instance);
  ~KafkaIntake();
  KafkaIntake(const KafkaIntake&) = delete;
  KafkaIntake& operator=(const KafkaIntake&) = delete;

  // Takes up to `max` waiting inbox messages into one transaction. Returns how many it took;
  // 0 only once every inbox partition it owns is read to its end, or when the transaction
  // failed (its messages are taken again next step). After waiting 10 s for the group or the
  // broker without knowing that, fails with "kafka_unavailable" (nothing taken). A producer
  // that failed for good (librdkafka's fatal errors) is replaced by a new one, which fences it;
  // one fenced by another producer with the same transactional id (another engine instance
  // with the same name) fails the step with "kafka_fenced": two instances must not share one.
  Result<size_t> step(size_t max);
  const KafkaIntakeCounters& counters() const { return counters_; }
  // Per partition of jiayuan.events, the offset after the last fact this intake appended (for
  // the stages of the same process: KafkaGroupLog::expect).
  std::map<int32_t, int64_t> appended_ends() const {
    return log_ ? log_->appended_ends(topics::kEvents) : std::map<int32_t, int64_t>{};
  }

 private:
  KafkaIntake(const Config& config) : config_(config) {}
  struct Batch;
  // A step: poll the inboxes, read the messages (those that cannot be facts refused), then one
  // transaction; on failure, abort, rewind to the committed offsets and relearn the log.
  Result<std::vector<rd_kafka_message_t*>> poll_inboxes(size_t max);
  Batch read_messages(std::vector<rd_kafka_message_t*>& messages) const;  // destroys them
  Status transact(const Batch& batch);
  // After a failed transaction: aborts it, or replaces a producer that failed for good; then
  // rewinds the inboxes to their committed offsets and relearns the log.
  Status recover();
  // Opens the transactional log and intake over it (intake learns the log from its start).
  Status open_log();
  Status rewind();
  bool caught_up();
  // Each message's receipt to its department's receipt topic, in the open transaction.
  Status send_receipts(const Batch& batch, const std::vector<IntakeOutcome>& outcomes);

  const Config& config_;
  KafkaLog::Options log_options_;
  // The transactional producer and reader of jiayuan.events, and intake over it: both null
  // after a producer failed for good until a new one is open (each step tries).
  std::unique_ptr<KafkaLog> log_;
  std::unique_ptr<Intake> intake_;
  rd_kafka_t* consumer_ = nullptr;
  KafkaIntakeCounters counters_;
  std::set<std::pair<std::string, int32_t>> at_end_;  // inbox partitions read to their end
  std::set<std::string> without_receipts_;  // departments whose receipt topic is missing (warned)
  int idle_steps_ = 0;                      // steps in a row that found no message
};

}  // namespace jiayuan
