// Every way in on Kafka: HTTP ingest, uploads and `jiayuan import` put a department's facts in
// that department's inbox, and the engine's intake judges them exactly as it judges what the
// department produces there itself (one path, one set of rules, the same dead letters). Intake
// answers every inbox message with a receipt on the department's receipt topic, in the same
// transaction as the fact or its dead letter; the gateway waits for the receipts of what it sent
// and answers each item as the embedded log does: accepted (with its position in
// jiayuan.events), duplicate, rejected (with the reason), or pending when no receipt came in time.
//
//   auto gw = *KafkaGateway::open({.settings = kafka, .departments = {"street.sijing"}});
//   auto outcomes = gw->submit(inputs);   // each input's proven_source picks its inbox
//
// How the source stays proven: the gateway writes the inbox of the department whose token (or
// whose Kafka credentials, for the CLI) it was given, and the inbox is the source; the broker's
// ACLs let each department write its own inbox only, and the gateway's credential (the engine's
// user, or User:gateway from `topics create --acls`) every inbox. Headers decide nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "connectors/kafka_log.h"
#include "engine/fact_sink.h"

namespace jiayuan {

// A department's receipt topic: jiayuan.receipts.<department> (one partition; the department
// may read it; only intake writes it).
std::string receipts_topic(std::string_view department);
inline constexpr std::string_view kReceiptsPrefix = "jiayuan.receipts.";
// On an inbox message: the sender's request id, copied to the message's receipt (and its key).
inline constexpr std::string_view kRequestHeader = "jiayuan_request";
// On an inbox message the gateway sends for input that never became a fact (a CSV row of the
// wrong shape): {"stage","code","reason"}; intake dead-letters the message with that reason.
// A department setting it on its own message only has that message refused.
inline constexpr std::string_view kRefusedHeader = "jiayuan_refused";

// Intake's receipt for one inbox message: key = the request id (else the fact's id); value =
// {"request","inbox","inbox_partition","inbox_offset","id","status":"accepted|duplicate|rejected",
//  "partition","offset" (jiayuan.events, accepted), "waiting_for", "code","reason" (rejected)}.
struct InboxMessage {
  std::string topic;  // physical name
  int32_t partition = 0;
  int64_t offset = 0;
  std::string request;  // kRequestHeader, or ""
  std::string fact_id;  // ce_id or the structured envelope's id, when known
};
Record receipt_record(const InboxMessage& message, const IntakeOutcome& outcome);
// A receipt's request id (its key) and outcome; an error for a record that is not a receipt.
Result<std::pair<std::string, IntakeOutcome>> read_receipt(const Record& receipt);

// Threads: submit and refuse may be called from any thread at once; one thread of its own reads
// the receipts. Borrows nothing.
class KafkaGateway final : public FactSink {
 public:
  struct Options {
    KafkaSettings settings;
    // The departments whose inboxes it writes and whose receipts it reads.
    std::vector<std::string> departments;
    // How long submit waits for intake's receipts; 0: not at all (every outcome is pending).
    std::chrono::milliseconds wait{30000};
    std::string client_id = "jiayuan-gateway";
  };
  static Result<std::unique_ptr<KafkaGateway>> open(Options options);
  ~KafkaGateway() override;
  KafkaGateway(const KafkaGateway&) = delete;
  KafkaGateway& operator=(const KafkaGateway&) = delete;

  // Sends each input to its department's inbox (acks=all) and waits for their receipts.
  // Pending outcomes carry the inbox position in `position` and say so in `reason`.
  Result<std::vector<IntakeOutcome>> submit(std::span<const IntakeInput> inputs) override;
  // Sends the input to the department's inbox marked refused (kRefusedHeader); returns once the
  // broker has it: intake dead-letters it with this reason.
  Status refuse(const IntakeInput& input, std::string_view stage, const Error& reason) override;

 private:
  explicit KafkaGateway(Options options) : options_(std::move(options)) {}
  Status start_listening();
  void listen();
  std::string next_request();

  Options options_;
  std::unique_ptr<KafkaLog> producer_;
  std::mutex produce_mu_;  // KafkaLog is used by one thread at a time
  rd_kafka_t* receipts_ = nullptr;
  std::thread listener_;
  std::atomic<bool> stop_{false};
  std::string instance_;  // this gateway's prefix of request ids
  std::atomic<uint64_t> sequence_{0};
  std::mutex mu_;
  std::condition_variable arrived_cv_;
  std::set<std::string> awaited_;
  std::map<std::string, IntakeOutcome> arrived_;
};

}  // namespace jiayuan
