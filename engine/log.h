// Log: the one seam between the engine and where events live (ARCHITECTURE.md).
//
//   std::vector<Record> recs = {{"C0001", bytes, {{"ce_type", "jiayuan.inspection"}}}};
//   Result<std::vector<Position>> pos = log.append(topics::kEvents, recs);  // durable on return
//   Result<std::vector<LogEntry>> got = log.read(topics::kEvents, 0, next_offset, 1000);
//
// Offsets are per (topic, partition), start at 0 and only grow; the embedded log's have no
// gaps, Kafka's may (transaction markers: connectors/README.md), so a reader goes on
// from the last offset it read + 1, never counts records. A record goes to the partition of its
// key (partition_for). Committing consumed offsets is not part of Log: a
// consumer keeps them with its own state.
//
// Threads: each implementation says its own (connectors/embedded_log.h: thread-safe;
// connectors/kafka_log.h: one thread at a time). On the embedded log `run --http` shares one Log
// between the engine loop, HTTP ingest's intake (appending from the HTTP threads, one at a time)
// and /v1/dead-letters (reading); on Kafka the engine loop and the Kafka intake each have a
// KafkaLog of their own.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.h"

namespace jiayuan {

namespace topics {
inline constexpr std::string_view kEvents = "jiayuan.events";
inline constexpr std::string_view kDecisions = "jiayuan.decisions";
inline constexpr std::string_view kDeadLetter = "jiayuan.dead-letter";
}  // namespace topics

struct Header {
  std::string key;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

struct Record {
  std::string key;
  std::string value;
  std::vector<Header> headers;
  // Append-time routing: the partition to append to, or -1 for the partition of the key.
  // Not stored.
  int32_t partition = -1;

  // The value of the first header with that key, or "" when none.
  std::string_view header(std::string_view key) const;
  friend bool operator==(const Record& a, const Record& b) {
    return a.key == b.key && a.value == b.value && a.headers == b.headers;
  }
};

struct Position {
  int32_t partition = 0;
  int64_t offset = 0;
};

struct LogEntry {
  Position position;
  Record record;
};

// Which record types a reader wants, by their ce_type header.
using TypeFilter = bool (*)(std::string_view ce_type);

class Log {
 public:
  virtual ~Log() = default;

  virtual int32_t partition_count(std::string_view topic) const = 0;

  // Appends the records, in order, each to the partition of its key. On success every record
  // is durable and its position is returned (same order). On error none is visible.
  virtual Result<std::vector<Position>> append(std::string_view topic,
                                               std::span<const Record> records) = 0;

  // Up to `max` records of one partition from offset `from` on, in offset order; empty when
  // `from` is at the end.
  virtual Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition,
                                             int64_t from, size_t max) = 0;

  // The same records, but one whose ce_type `wanted` refuses comes back as a stub: its position,
  // key and the ce_type header, no value (a reader that skips most records need not decode them).
  // A record without ce_type comes back whole. The default reads whole records and stubs them.
  virtual Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition,
                                             int64_t from, size_t max, TypeFilter wanted);

  // The records read(topic, partition, from, max[, wanted]) gives (`wanted` nullptr: all
  // whole), into `out` (resized to them): a reader that reads step after step into the same
  // vector lets a log reuse the entries' storage (the embedded log does; the default assigns
  // what read gives). On error `out` is unspecified.
  virtual Status read_into(std::string_view topic, int32_t partition, int64_t from, size_t max,
                           std::vector<LogEntry>& out, TypeFilter wanted);

  // The offset the next appended record of the partition will get.
  virtual Result<int64_t> end_offset(std::string_view topic, int32_t partition) = 0;

  // Whether read and read_into of different partitions may be called from several threads at
  // once while nothing is appended (stage 1 reads its partitions on its fold threads then;
  // otherwise it takes turns reading).
  virtual bool concurrent_reads() const { return false; }

  // Whether offsets [from, to) of the partition hold nothing a reader needs: no record, only
  // what the log itself writes after records of this process (a transactional Kafka log's commit
  // marker after its own records of an earlier transaction). A reader that has learnt everything
  // before `from` and appended the record at `to` itself may then take it as learnt too, without
  // reading. Never true for a range another writer may have written into; by default, only for
  // an empty range.
  virtual bool only_markers(std::string_view topic, int32_t partition, int64_t from,
                            int64_t to) const {
    (void)topic, (void)partition;
    return from == to;
  }
};

// A Log that several threads may call at once, over one that only one thread at a time may (a
// KafkaLog, whose readers and known ends are unguarded): every call holds one lock. Borrows
// the log, which must outlive it.
class LockedLog final : public Log {
 public:
  explicit LockedLog(Log& log) : log_(log) {}
  int32_t partition_count(std::string_view topic) const override {
    std::lock_guard lock(mu_);
    return log_.partition_count(topic);
  }
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override {
    std::lock_guard lock(mu_);
    return log_.append(topic, records);
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override {
    std::lock_guard lock(mu_);
    return log_.read(topic, partition, from, max);
  }
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override {
    std::lock_guard lock(mu_);
    return log_.read(topic, partition, from, max, wanted);
  }
  Status read_into(std::string_view topic, int32_t partition, int64_t from, size_t max,
                   std::vector<LogEntry>& out, TypeFilter wanted) override {
    std::lock_guard lock(mu_);
    return log_.read_into(topic, partition, from, max, out, wanted);
  }
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override {
    std::lock_guard lock(mu_);
    return log_.end_offset(topic, partition);
  }
  bool concurrent_reads() const override { return true; }  // each call holds the lock
  bool only_markers(std::string_view topic, int32_t partition, int64_t from,
                    int64_t to) const override {
    std::lock_guard lock(mu_);
    return log_.only_markers(topic, partition, from, to);
  }

 private:
  Log& log_;
  mutable std::mutex mu_;
};

// A record's storage form (embedded log, outboxes), written by hand (no cereal). encode_record
// writes format 2 (varint lengths, the usual header keys and values as one-byte tags, hex values
// as bytes); decode_record reads it and format 1, cereal's portable binary of (key, value,
// headers), which logs written before 2026-12 hold. engine/log.cc describes both byte by byte.
std::string encode_record(const Record& r);
Result<Record> decode_record(std::string_view bytes);
// The same into `r`, reusing its strings' storage; on error `r` is unspecified.
Status decode_record_into(std::string_view bytes, Record& r);
// One header's value straight from the storage form ("" when the record has none).
Result<std::string> stored_record_header(std::string_view bytes, std::string_view key);
// The same into `value`, reusing its storage (a reader that looks at every record's type).
Status stored_record_header_into(std::string_view bytes, std::string_view key, std::string& value);

// The partition a key maps to: a stable hash, the same on every machine.
int32_t partition_for(std::string_view key, int32_t partitions);
// The partition a record is appended to: its explicit partition, else its key's.
int32_t partition_of(const Record& record, int32_t partitions);

}  // namespace jiayuan
