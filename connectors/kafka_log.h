// The Log on Apache Kafka (librdkafka), and the administration jiayuan needs on a cluster.
//
//   KafkaLog::Options o{.settings = config.engine.kafka, .client_id = "jiayuan-engine"};
//   std::unique_ptr<KafkaLog> log = *KafkaLog::open(o);   // checks the topics exist
//   log->append(topics::kDecisions, records);             // idempotent producer, acks=all
//   log->read(topics::kEvents, 3, 1200, 1000);            // read_committed, any partition
//
// Topic names in the code are logical ("jiayuan.events"); on the cluster each carries the
// deployment's `topic_prefix`. Offsets increase but may have gaps (transaction markers): a
// reader continues from the last offset it read + 1, never from `from + count`.
//
// KafkaGroupLog is stage 1's view: jiayuan.events through a consumer group (cooperative-sticky),
// so several engines share its partitions. On assignment it starts each partition at the offset
// the engine keeps with its state in RocksDB; a partition it does not own reads as empty.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/log.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_conf_s rd_kafka_conf_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;

namespace jiayuan {

// Threads: a KafkaLog, and a KafkaGroupLog over it, are used from one thread at a time (their
// readers and known ends are unguarded; librdkafka's own handles are thread-safe). The engine
// loop has one; intake has its own transactional one.
// The inbox topic a department publishes to (logical name): jiayuan.inbox.<department>.
std::string inbox_topic(std::string_view department);
inline constexpr std::string_view kInboxPrefix = "jiayuan.inbox.";

// librdkafka properties, in order.
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;
// A librdkafka configuration: what every client shares (bootstrap, security, client id, logging)
// and then `extra`. Errors name the property and librdkafka's reason.
Result<rd_kafka_conf_t*> kafka_conf(const KafkaSettings& settings, const std::string& client_id,
                                    const KafkaProperties& extra = {});
// Sets one librdkafka property, with the property and the reason in the error.
Status kafka_set(rd_kafka_conf_t* conf, const char* key, const std::string& value);
// A record of a consumed message (headers, key, value, position).
LogEntry kafka_entry(const rd_kafka_message_t* m);
// How many records of jiayuan.events and jiayuan.decisions this process's reads took from what
// it had produced itself (kept in memory, up to 64 MB) instead of parsing their JSON again.
uint64_t kafka_records_read_back_from_memory();

class KafkaLog final : public Log {
 public:
  struct Options {
    KafkaSettings settings;
    std::string client_id = "jiayuan";
    // Non-empty: the producer is transactional; appends belong to the open transaction.
    std::string transactional_id;
    // Check at open that jiayuan's topics exist (false for `topics create`).
    bool require_topics = true;
    // How long the reader's fetch waits at a partition's end for more (fetch.wait.max.ms): a
    // read that must reach the end waits for the fetch under way. Less for a reader that
    // reaches the end every step (intake's catch_up), at the cost of asking the broker that
    // often while idle.
    int fetch_wait_ms = 100;
  };
  static Result<std::unique_ptr<KafkaLog>> open(Options options);
  ~KafkaLog() override;

  int32_t partition_count(std::string_view topic) const override;
  // Produces the records (each to the partition of its key, as the embedded log does) and waits
  // until the broker has acknowledged every one (acks=all); logs while it waits for the broker.
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override;
  // Empty only when `from` is at the partition's end as the broker last told it and no record
  // this process knows of (its own appends, expect()) lies beyond; when the broker does not answer
  // within `read_wait_ms`, an error "kafka_unavailable" (never an empty answer that only looks
  // like the end).
  // jiayuan.events and jiayuan.decisions are read in their storage form (kafka_wire.h).
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override;
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override;
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override;
  // True for [L + 1, L + 2) when L is the last record this log appended to the partition in a
  // committed transaction: the one offset between it and this log's next record there is that
  // transaction's commit marker (a producer's next transaction writes to a partition only after
  // its last one's markers are written), whoever else writes to the partition.
  bool only_markers(std::string_view topic, int32_t partition, int64_t from,
                    int64_t to) const override;

  // Records up to `end` (exclusive) exist on the partition (another client of this process
  // appended them): a read does not take an older end of partition for the end.
  void expect(std::string_view topic, int32_t partition, int64_t end);
  // Per partition, the offset after the last record this log appended to `topic`.
  std::map<int32_t, int64_t> appended_ends(std::string_view topic) const;
  // The end expect() and this log's appends make known for the partition (-1: none).
  int64_t known_end(std::string_view topic, int32_t partition) const;
  // Stops the reader's fetching until each partition's next read, which starts it again (a
  // reader otherwise goes on asking the broker every fetch_wait_ms, read or not).
  void stop_readers();
  // The kafka_unavailable error of a read that got no answer within read_wait_ms.
  Error no_answer(std::string_view topic, int32_t partition, int64_t from) const;

  // Transactions (transactional producer only): appends between begin() and commit() become
  // visible to read_committed consumers together with the consumer offsets passed to commit().
  Status begin();
  Status commit(rd_kafka_t* consumer,
                const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets);
  Status abort();
  // Why the producer failed for good, when it has (librdkafka's fatal error: it can do nothing
  // more, a new producer must take its place): "kafka_fenced" when a producer with the same
  // transactional id took over, else "kafka_fatal"; nullopt while it works.
  std::optional<Error> fatal_error() const;
  // Appends the records within the open transaction without waiting for the broker: commit()
  // waits for them and fails (the transaction aborts) if one is not delivered. For records
  // whose positions nobody needs (receipts).
  Status send(std::string_view topic, std::span<const Record> records);

  // The cluster's name of a logical topic.
  std::string physical(std::string_view topic) const {
    return options_.settings.topic_prefix + std::string(topic);
  }
  const KafkaSettings& settings() const { return options_.settings; }
  // The cluster and physical topic, naming the records this process produced (kafka_log.cc).
  std::string produced_key(std::string_view topic) const {
    return options_.settings.bootstrap + '\0' + physical(topic);
  }

 private:
  explicit KafkaLog(Options options);
  struct Reader;
  Result<Reader*> reader(std::string_view topic, int32_t partition, int64_t from);
  // The topic's partition count, or kafka_no_topic when the cluster does not have it.
  Result<int32_t> existing_partitions(std::string_view topic) const;
  // The records as they are on the cluster (kafka_wire.h's form).
  Result<std::vector<LogEntry>> read_raw(std::string_view topic, int32_t partition, int64_t from,
                                         size_t max);

  Options options_;
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_t* consumer_ = nullptr;  // the reader: no group, legacy per-partition consume
  mutable std::map<std::string, int32_t> partitions_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<Reader>> readers_;
  std::map<std::pair<std::string, int32_t>, int64_t> known_end_;  // physical topic, partition
  // Physical topic and partition: the last offset this log appended there in the open
  // transaction, and in the last committed transaction that wrote there (only_markers).
  std::map<std::pair<std::string, int32_t>, int64_t> in_transaction_, committed_last_;
  std::map<std::string, rd_kafka_topic_t*> consumer_topics_;
};

class KafkaGroupLog final : public Log {
 public:
  // The offset to start a newly assigned partition of jiayuan.events at.
  using StartOffset = std::function<Result<int64_t>(int32_t partition)>;
  // `instance` is this engine's stable name (static group membership: a restarted instance
  // takes its partitions back at once; a stopped one's move after the session timeout).
  static Result<std::unique_ptr<KafkaGroupLog>> open(KafkaLog& log, StartOffset start,
                                                     const std::string& instance);
  ~KafkaGroupLog() override;

  int32_t partition_count(std::string_view topic) const override {
    return log_.partition_count(topic);
  }
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override {
    return log_.append(topic, records);
  }
  // jiayuan.events: the partitions this instance owns (others read as empty); partition 0's
  // read first serves the group (rebalances happen between steps) and, until the group has
  // assigned this member its partitions, fails with "kafka_unavailable" after `read_wait_ms`.
  // An owned partition reads as empty only at its end (as KafkaLog::read). Other topics: the log's.
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override;
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override;
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override {
    return log_.end_offset(topic, partition);
  }
  std::set<int32_t> owned() const { return owned_; }
  // Records up to `end` exist on partition `partition` of jiayuan.events (this process's intake
  // appended them): until the consumer has read that far, the partition is not at its end.
  void expect(int32_t partition, int64_t end);
  // Serves the group: rebalances, errors. Called at the start of each step.
  Status poll();
  // librdkafka's rebalance callback (takes or hands over partitions); internal.
  void on_rebalance(rd_kafka_t* rk, int err, void* partitions);

 private:
  KafkaGroupLog(KafkaLog& log, StartOffset start) : log_(log), start_(std::move(start)) {}
  void take(rd_kafka_message_t* m);
  // An owned partition of jiayuan.events as the cluster has it (kafka_wire.h's form).
  Result<std::vector<LogEntry>> read_owned(int32_t partition, int64_t from, size_t max);

  KafkaLog& log_;
  StartOffset start_;
  rd_kafka_t* consumer_ = nullptr;
  std::set<int32_t> owned_;
  std::map<int32_t, std::vector<LogEntry>> buffered_;
  std::map<int32_t, int64_t> next_;  // the offset each owned partition is positioned at
  std::set<int32_t> at_end_;
  std::map<int32_t, int64_t> eof_at_;  // where the consumer last reached the end of a partition
  bool assigned_ = false;              // the group has assigned this member its partitions once
  Status failure_;                     // an error seen in a callback, reported by the next read
};

// `jiayuan topics create`: the inbox and the receipt topic of every department and street
// office, jiayuan.events, jiayuan.decisions (settings.partitions each, unlimited retention) and
// jiayuan.dead-letter. Idempotent; one line per topic saying whether it was created or already
// there.
Result<std::vector<std::string>> create_topics(const KafkaSettings& settings,
                                               const District& district);
// ACLs that let each department (User:<department>) write its own inbox and read its own
// receipts and nothing else, the gateway (User:gateway) write every inbox and read every
// receipt topic, and the auditor (User:auditor) read jiayuan.events and jiayuan.decisions.
Result<std::vector<std::string>> create_department_acls(const KafkaSettings& settings,
                                                        const District& district);
// Every department id of the district, street offices as street.<id>.
std::vector<std::string> all_departments(const District& district);

}  // namespace jiayuan
