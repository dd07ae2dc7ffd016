#include "connectors/kafka_log.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "connectors/internal/kafka_common.h"
#include "connectors/internal/kafka_read_back.h"
#include "connectors/kafka_wire.h"

namespace jiayuan {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMetadataTimeoutMs = 10000;
constexpr int kTxnTimeoutMs = 60000;

void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const auto lvl = level <= 3   ? spdlog::level::err
                   : level <= 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  spdlog::log(lvl, "kafka: {} {}: {}", rd_kafka_name(rk), facility, message);
}

// Errors of the cluster as a whole (all brokers down, authentication refused): logged, the
// client keeps reconnecting by itself, and whoever waits on it says what it waits for.
void error_cb(rd_kafka_t* rk, int err, const char* reason, void*) {
  spdlog::warn("kafka: {}: {} ({})", rd_kafka_name(rk), reason,
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
}

// Runs a transactional call until it is done or fails for good, logging while it waits.
template <class F>
Status with_retries(std::string_view what, F call) {
  for (int attempt = 1;; ++attempt) {
    Status s = from_error(what, call());
    if (s || s.error().code != "kafka_retriable") return s;
    spdlog::warn("kafka: {} not yet done (attempt {}): {}; retrying", what, attempt,
                 s.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5000, 200 * attempt)));
  }
}

struct Delivery {
  Position position;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool done = false;
};

void dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivery*>(m->_private);
  if (d == nullptr) return;
  d->position = Position{m->partition, m->offset};
  d->err = m->err;
  d->done = true;
}

}  // namespace

Error kafka_error(std::string_view what, rd_kafka_resp_err_t err) {
  return Error{"kafka", std::string(what) + ": " + rd_kafka_err2str(err)};
}

Status from_error(std::string_view what, rd_kafka_error_t* e) {
  if (e == nullptr) return {};
  std::string code = rd_kafka_error_txn_requires_abort(e) ? "kafka_txn_abort"
                     : rd_kafka_error_is_fatal(e)         ? "kafka_fatal"
                     : rd_kafka_error_is_retriable(e)     ? "kafka_retriable"
                                                          : "kafka";
  Error out{std::move(code), std::string(what) + ": " + rd_kafka_error_string(e)};
  rd_kafka_error_destroy(e);
  return fail(std::move(out));
}

PartitionList partition_list(int size) {
  return PartitionList(rd_kafka_topic_partition_list_new(size),
                       &rd_kafka_topic_partition_list_destroy);
}

std::string inbox_topic(std::string_view department) {
  return std::string(kInboxPrefix) + std::string(department);
}

Status kafka_set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    return fail("kafka_config",
                std::string("librdkafka property ") + key + "=\"" + value + "\": " + err);
  }
  return {};
}

Result<rd_kafka_conf_t*> kafka_conf(const KafkaSettings& s, const std::string& client_id,
                                    const KafkaProperties& extra) {
  if (s.bootstrap.empty()) {
    return fail("kafka_config",
                "kafka.bootstrap: expected host:port of the Kafka cluster, got nothing "
                "(set it in engine.toml [kafka] or with --kafka)");
  }
  KafkaProperties props = {{"bootstrap.servers", s.bootstrap},
                           {"client.id", client_id},
                           {"security.protocol", s.security_protocol}};
  if (s.security_protocol.starts_with("sasl")) {
    props.insert(props.end(), {{"sasl.mechanisms", s.sasl_mechanism},
                               {"sasl.username", s.username},
                               {"sasl.password", s.password}});
  }
  props.insert(props.end(), extra.begin(), extra.end());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : props) {
    if (Status st = kafka_set(conf, key.c_str(), value); !st) {
      rd_kafka_conf_destroy(conf);
      return fail(st.error());
    }
  }
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  return conf;
}

LogEntry kafka_entry(const rd_kafka_message_t* m) {
  LogEntry e;
  e.position = Position{m->partition, m->offset};
  if (m->key != nullptr) e.record.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload != nullptr) e.record.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    e.record.headers.reserve(rd_kafka_header_cnt(hdrs));
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      e.record.headers.push_back(
          {name, value == nullptr ? "" : std::string(static_cast<const char*>(value), size)});
    }
  }
  return e;
}

// ---- KafkaLog ----------------------------------------------------------------------------

struct KafkaLog::Reader {
  rd_kafka_topic_t* topic = nullptr;
  int32_t partition = 0;
  int64_t next = -1;  // the offset the consumer is positioned at
  bool at_end = false;
  int64_t eof_at = -1;  // the partition's end where the consumer last reached it
};

KafkaLog::KafkaLog(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<KafkaLog>> KafkaLog::open(Options options) {
  std::unique_ptr<KafkaLog> log(new KafkaLog(std::move(options)));
  const KafkaSettings& s = log->options_.settings;
  // linger.ms 0: an append produces all its records at once and then waits for them, so
  // lingering only delays it (librdkafka still batches what queues while a request is out).
  KafkaProperties props = {{"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "0"}};
  if (!log->options_.transactional_id.empty()) {
    props.insert(props.end(),
                 {{"transactional.id", s.topic_prefix + log->options_.transactional_id},
                  {"transaction.timeout.ms", std::to_string(kTxnTimeoutMs)},
                  {"message.timeout.ms", std::to_string(kTxnTimeoutMs - 5000)}});
  } else {
    props.push_back({"message.timeout.ms", "0"});  // never give up: append waits for the broker
  }
  JY_TRY(rd_kafka_conf_t * conf, kafka_conf(s, log->options_.client_id, props));
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  char err[512];
  log->producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (log->producer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("kafka_config", std::string("cannot create a Kafka producer: ") + err);
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t mderr =
      rd_kafka_metadata(log->producer_, 1, nullptr, &md, kMetadataTimeoutMs);
  if (mderr != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(
        "kafka_unavailable",
        "no answer from the Kafka cluster at " + s.bootstrap + " within " +
            std::to_string(kMetadataTimeoutMs / 1000) + " s: " + rd_kafka_err2str(mderr) +
            " (is the broker up, and are kafka.security_protocol and the credentials right?)");
  }
  rd_kafka_metadata_destroy(md);
  if (log->options_.require_topics) {
    for (std::string_view t : {topics::kEvents, topics::kDecisions, topics::kDeadLetter}) {
      JY_CHECK(log->existing_partitions(t));
    }
  }
  if (!log->options_.transactional_id.empty()) {
    JY_CHECK(with_retries("initialising the transactional producer", [&] {
      return rd_kafka_init_transactions(log->producer_, kTxnTimeoutMs);
    }));
  }
  return log;
}

KafkaLog::~KafkaLog() {
  for (auto& [key, r] : readers_) {
    if (r->next >= 0) rd_kafka_consume_stop(r->topic, r->partition);
  }
  for (auto& [name, t] : consumer_topics_) rd_kafka_topic_destroy(t);
  if (consumer_ != nullptr) rd_kafka_destroy(consumer_);
  if (producer_ != nullptr) {
    rd_kafka_flush(producer_, 10000);
    rd_kafka_destroy(producer_);
  }
}

int32_t KafkaLog::partition_count(std::string_view topic) const {
  const std::string name = physical(topic);
  if (auto it = partitions_.find(name); it != partitions_.end()) return it->second;
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(producer_, 1, nullptr, &md, kMetadataTimeoutMs) !=
      RD_KAFKA_RESP_ERR_NO_ERROR)
    return 0;
  int32_t count = 0;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (name == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (count > 0) partitions_[name] = count;
  return count;
}

uint64_t kafka_records_read_back_from_memory() { return ReadBack::instance().hits(); }

namespace {

// Produces each record to its partition of `name` (`parts` partitions); deliveries[i], when
// given, learns what became of records[i]. Waits only while librdkafka's own queue is full.
Status produce_all(rd_kafka_t* producer, const std::string& name, int32_t parts,
                   std::span<const Record> records, Delivery* deliveries) {
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    for (;;) {
      rd_kafka_headers_t* hdrs = rd_kafka_headers_new(r.headers.size());
      for (const Header& h : r.headers) {
        rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
      }
      // rd_kafka_produceva rather than the RD_KAFKA_V_* macros, which use GNU statement
      // expressions (an error under clang's -Wpedantic -Werror).
      rd_kafka_vu_t vu[7] = {};
      vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
      vu[0].u.cstr = name.c_str();
      vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
      vu[1].u.i32 = partition_of(r, parts);
      vu[2].vtype = RD_KAFKA_VTYPE_KEY;
      vu[2].u.mem = {const_cast<char*>(r.key.data()), r.key.size()};
      vu[3].vtype = RD_KAFKA_VTYPE_VALUE;
      vu[3].u.mem = {const_cast<char*>(r.value.data()), r.value.size()};
      vu[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
      vu[4].u.i = RD_KAFKA_MSG_F_COPY;
      vu[5].vtype = RD_KAFKA_VTYPE_HEADERS;
      vu[5].u.headers = hdrs;
      vu[6].vtype = RD_KAFKA_VTYPE_OPAQUE;
      vu[6].u.ptr = deliveries == nullptr ? nullptr : &deliveries[i];
      rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
      if (rd_kafka_error_t* e = rd_kafka_produceva(producer, vu, 7)) {
        err = rd_kafka_error_code(e);
        rd_kafka_error_destroy(e);
      }
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      rd_kafka_headers_destroy(hdrs);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return fail(kafka_error("producing to " + name, err));
      rd_kafka_poll(producer, 100);  // the local queue is full: let deliveries drain
    }
  }
  return {};
}

}  // namespace

Result<int32_t> KafkaLog::existing_partitions(std::string_view topic) const {
  const int32_t parts = partition_count(topic);
  if (parts > 0) return parts;
  return fail("kafka_no_topic", "topic " + physical(topic) + " does not exist on " +
                                    options_.settings.bootstrap +
                                    ": run `jiayuan topics create` first");
}

Result<std::vector<Position>> KafkaLog::append(std::string_view topic,
                                               std::span<const Record> records) {
  if (records.empty()) return std::vector<Position>{};
  JY_TRY(const int32_t parts, existing_partitions(topic));
  const std::string name = physical(topic);
  // jiayuan.events and jiayuan.decisions go out in their JSON form (kafka_wire.h).
  std::vector<Record> wire;
  if (topic == topics::kEvents || topic == topics::kDecisions) {
    wire.reserve(records.size());
    for (const Record& r : records) wire.push_back(to_wire(topic, r));
  }
  std::vector<Delivery> deliveries(records.size());
  JY_CHECK(produce_all(producer_, name, parts, wire.empty() ? records : wire, deliveries.data()));
  // Wait until the broker acknowledged every record (acks=all), saying what it waits for.
  auto last_note = Clock::now();
  for (;;) {
    size_t done = 0;
    for (const Delivery& d : deliveries) done += d.done ? 1 : 0;
    if (done == deliveries.size()) break;
    rd_kafka_poll(producer_, 50);
    if (Clock::now() - last_note > std::chrono::seconds(5)) {
      last_note = Clock::now();
      spdlog::warn("kafka: waiting for {} to acknowledge {} record(s) to {}",
                   options_.settings.bootstrap, deliveries.size() - done, name);
    }
  }
  std::vector<Position> out;
  out.reserve(records.size());
  for (const Delivery& d : deliveries) {
    if (d.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail(kafka_error("delivering to " + name, d.err));
    // A retried request the broker had already written is acknowledged without its offsets
    // (DUPLICATE_SEQUENCE_NUMBER): the records are there, where is not known. Refused as if
    // unanswered, so that the caller sends them again: intake aborts its transaction first;
    // a resent inbox message is judged a duplicate and a resent decision is applied once.
    if (d.position.offset < 0) {
      return fail("kafka_unavailable",
                  "delivering to " + name + "[" + std::to_string(d.position.partition) +
                      "]: " + options_.settings.bootstrap +
                      " took a record on a retried request without saying at which offset; "
                      "refused as unanswered, to be sent again");
    }
    out.push_back(d.position);
  }
  for (const Position& p : out) {
    expect(topic, p.partition, p.offset + 1);
    if (!options_.transactional_id.empty()) {
      int64_t& last = in_transaction_[{name, p.partition}];
      last = std::max(last, p.offset);
    }
  }
  if (!wire.empty()) ReadBack::instance().remember(produced_key(topic), records, out);
  return out;
}

Status KafkaLog::send(std::string_view topic, std::span<const Record> records) {
  if (options_.transactional_id.empty() || topic == topics::kEvents ||
      topic == topics::kDecisions) {
    return fail("internal_error",
                "KafkaLog::send is for a transactional log's records nobody reads back, not " +
                    std::string(topic));
  }
  if (records.empty()) return {};
  JY_TRY(const int32_t parts, existing_partitions(topic));
  return produce_all(producer_, physical(topic), parts, records, nullptr);
}

bool KafkaLog::only_markers(std::string_view topic, int32_t partition, int64_t from,
                            int64_t to) const {
  if (from == to) return true;
  const auto it = committed_last_.find({physical(topic), partition});
  return to == from + 1 && it != committed_last_.end() && it->second == from - 1;
}

void KafkaLog::expect(std::string_view topic, int32_t partition, int64_t end) {
  int64_t& known = known_end_[{physical(topic), partition}];
  known = std::max(known, end);
}

int64_t KafkaLog::known_end(std::string_view topic, int32_t partition) const {
  const auto it = known_end_.find({physical(topic), partition});
  return it == known_end_.end() ? -1 : it->second;
}

Error KafkaLog::no_answer(std::string_view topic, int32_t partition, int64_t from) const {
  return Error{"kafka_unavailable",
               "reading " + physical(topic) + "[" + std::to_string(partition) + "] from offset " +
                   std::to_string(from) + ": no answer from " + options_.settings.bootstrap +
                   " within " + std::to_string(options_.settings.read_wait_ms) + " ms"};
}

std::map<int32_t, int64_t> KafkaLog::appended_ends(std::string_view topic) const {
  std::map<int32_t, int64_t> out;
  const std::string name = physical(topic);
  for (auto it = known_end_.lower_bound({name, INT32_MIN});
       it != known_end_.end() && it->first.first == name; ++it) {
    out[it->first.second] = it->second;
  }
  return out;
}

Result<KafkaLog::Reader*> KafkaLog::reader(std::string_view topic, int32_t partition,
                                           int64_t from) {
  if (consumer_ == nullptr) {
    JY_TRY(rd_kafka_conf_t * conf,
           kafka_conf(options_.settings, options_.client_id + "-reader",
                      {{"enable.partition.eof", "true"},
                       {"isolation.level", "read_committed"},
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       {"fetch.wait.max.ms", std::to_string(options_.fetch_wait_ms)}}));
    char err[512];
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (consumer_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return fail("kafka_config", std::string("cannot create a Kafka consumer: ") + err);
    }
  }
  const std::string name = physical(topic);
  rd_kafka_topic_t*& rkt = consumer_topics_[name];
  if (rkt == nullptr) rkt = rd_kafka_topic_new(consumer_, name.c_str(), nullptr);
  std::unique_ptr<Reader>& r = readers_[{name, partition}];
  if (!r) r = std::make_unique<Reader>(Reader{rkt, partition});
  // A little further on (intake's catch_up after its own appends): the reader goes on and drops
  // what lies before `from` (read_raw takes nothing below next), keeping what it fetched ahead.
  // Going back, or far ahead (after reading a retraction's target far back), it starts again.
  constexpr int64_t kGoOnWithin = 8192;
  if (r->next >= 0 && from >= r->next && from - r->next <= kGoOnWithin) {
    r->next = from;
    if (from > r->eof_at) r->at_end = false;  // an end before `from` is not its end
    return r.get();
  }
  if (r->next >= 0) rd_kafka_consume_stop(rkt, partition);
  if (rd_kafka_consume_start(rkt, partition, from) == -1) {
    r->next = -1;
    return fail(kafka_error("reading " + name + "[" + std::to_string(partition) + "] from offset " +
                                std::to_string(from),
                            rd_kafka_last_error()));
  }
  r->next = from;
  r->at_end = false;
  r->eof_at = -1;
  return r.get();
}

std::vector<LogEntry> in_storage_form(std::string_view topic, const std::string& where,
                                      std::vector<LogEntry> entries, TypeFilter wanted) {
  if (topic != topics::kEvents && topic != topics::kDecisions) return entries;
  for (LogEntry& e : entries) {
    const std::string_view type = e.record.header("ce_type");
    if (wanted != nullptr && !type.empty() && !wanted(type)) {
      e.record = Record{e.record.key, "", {{"ce_type", std::string(type)}}};
      continue;
    }
    if (auto own =
            ReadBack::instance().recall(where, e.position.partition, e.position.offset, e.record)) {
      e.record = std::move(*own);
    } else {
      e.record = from_wire(topic, e.record);
    }
  }
  return entries;
}

Result<std::vector<LogEntry>> KafkaLog::read(std::string_view topic, int32_t partition,
                                             int64_t from, size_t max) {
  JY_TRY(std::vector<LogEntry> raw, read_raw(topic, partition, from, max));
  return in_storage_form(topic, produced_key(topic), std::move(raw), nullptr);
}

Result<std::vector<LogEntry>> KafkaLog::read(std::string_view topic, int32_t partition,
                                             int64_t from, size_t max, TypeFilter wanted) {
  JY_TRY(std::vector<LogEntry> raw, read_raw(topic, partition, from, max));
  return in_storage_form(topic, produced_key(topic), std::move(raw), wanted);
}

Result<std::vector<LogEntry>> KafkaLog::read_raw(std::string_view topic, int32_t partition,
                                                 int64_t from, size_t max) {
  std::vector<LogEntry> out;
  if (max == 0 || partition >= partition_count(topic)) return out;
  JY_TRY(Reader * r, reader(topic, partition, from));
  std::vector<rd_kafka_message_t*> buf(max);
  Status failure;
  auto take = [&](rd_kafka_message_t* m) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      r->at_end = true;
      r->eof_at = m->offset;
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (failure) failure = fail(kafka_error("reading " + physical(topic), m->err));
    } else if (m->offset >= r->next) {
      out.push_back(kafka_entry(m));
      r->next = m->offset + 1;
      r->at_end = false;
    }
    rd_kafka_message_destroy(m);
  };
  auto drain = [&] {
    if (out.size() >= max) return;
    const ssize_t n = rd_kafka_consume_batch(r->topic, partition, 0, buf.data(), max - out.size());
    for (ssize_t i = 0; i < n; ++i) take(buf[static_cast<size_t>(i)]);
  };
  // The end the consumer last reached is the end unless records this process knows of lie
  // beyond it (it reached the end before they were appended).
  const int64_t known = known_end(topic, partition);
  auto at_end = [&] { return r->at_end && r->eof_at >= known; };
  drain();
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.settings.read_wait_ms);
  while (out.empty() && !at_end() && failure && Clock::now() < deadline) {
    if (rd_kafka_message_t* m = rd_kafka_consume(r->topic, partition, 100)) {
      take(m);
      if (out.size() < max) drain();
    }
  }
  if (!failure) return fail(failure.error());
  if (out.empty() && !at_end()) return fail(no_answer(topic, partition, from));
  return out;
}

void KafkaLog::stop_readers() {
  for (auto& [tp, r] : readers_) {
    if (r->next < 0) continue;
    rd_kafka_consume_stop(r->topic, r->partition);
    r->next = -1;
    r->at_end = false;
    r->eof_at = -1;
  }
}

Result<int64_t> KafkaLog::end_offset(std::string_view topic, int32_t partition) {
  int64_t lo = 0, hi = 0;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      producer_, physical(topic).c_str(), partition, &lo, &hi, kMetadataTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail(kafka_error("end offset of " + physical(topic), err));
  return hi;
}

Status KafkaLog::begin() {
  in_transaction_.clear();
  return from_error("beginning a transaction", rd_kafka_begin_transaction(producer_));
}

Status KafkaLog::commit(rd_kafka_t* consumer,
                        const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets) {
  if (!next_offsets.empty()) {
    PartitionList list = partition_list(static_cast<int>(next_offsets.size()));
    for (const auto& [tp, offset] : next_offsets) {
      rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset;
    }
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer);
    Status sent = with_retries("sending the consumed offsets to the transaction", [&] {
      return rd_kafka_send_offsets_to_transaction(producer_, list.get(), group, kTxnTimeoutMs);
    });
    rd_kafka_consumer_group_metadata_destroy(group);
    JY_CHECK(sent);
  }
  JY_CHECK(with_retries("committing the transaction",
                        [&] { return rd_kafka_commit_transaction(producer_, kTxnTimeoutMs); }));
  for (const auto& [tp, last] : in_transaction_) committed_last_[tp] = last;
  in_transaction_.clear();
  return {};
}

Status KafkaLog::abort() {
  in_transaction_.clear();
  return with_retries("aborting the transaction",
                      [&] { return rd_kafka_abort_transaction(producer_, kTxnTimeoutMs); });
}

std::optional<Error> KafkaLog::fatal_error() const {
  char reason[512] = "";
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(producer_, reason, sizeof reason);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const bool fenced = err == RD_KAFKA_RESP_ERR__FENCED ||
                      err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                      err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
  return Error{fenced ? "kafka_fenced" : "kafka_fatal",
               std::string(rd_kafka_err2name(err)) + ": " + reason};
}

}  // namespace jiayuan
