// KafkaGroupLog: stage 1's view of jiayuan.events through a consumer group (kafka_log.h).
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "connectors/internal/kafka_common.h"
#include "connectors/kafka_log.h"

namespace jiayuan {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxBuffered = 50000;  // records a group reader holds ahead of the stage

}  // namespace

// ---- KafkaGroupLog -----------------------------------------------------------------------

namespace {
struct GroupCallbacks {
  static void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* parts, void* opaque);
};
}  // namespace

Result<std::unique_ptr<KafkaGroupLog>> KafkaGroupLog::open(KafkaLog& log, StartOffset start,
                                                           const std::string& instance) {
  std::unique_ptr<KafkaGroupLog> g(new KafkaGroupLog(log, std::move(start)));
  const KafkaSettings& s = log.settings();
  JY_TRY(rd_kafka_conf_t * conf,
         kafka_conf(s, "jiayuan-stage1",
                    {{"group.id", s.topic_prefix + s.group},
                     {"group.instance.id", instance + "-stage1"},
                     {"partition.assignment.strategy", "cooperative-sticky"},
                     {"isolation.level", "read_committed"},
                     {"enable.auto.commit", "false"},
                     {"enable.auto.offset.store", "false"},
                     {"enable.partition.eof", "true"},
                     {"auto.offset.reset", "earliest"},
                     {"fetch.wait.max.ms", "100"},
                     {"session.timeout.ms", "10000"},
                     {"heartbeat.interval.ms", "1000"}}));
  rd_kafka_conf_set_rebalance_cb(conf, GroupCallbacks::rebalance);
  rd_kafka_conf_set_opaque(conf, g.get());
  char err[512];
  g->consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (g->consumer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("kafka_config", std::string("cannot create the stage-1 consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(g->consumer_);
  PartitionList topics = partition_list(1);
  rd_kafka_topic_partition_list_add(topics.get(), log.physical(topics::kEvents).c_str(),
                                    RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(g->consumer_, topics.get());
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(kafka_error("subscribing to " + log.physical(topics::kEvents), e));
  }
  spdlog::info("kafka: stage 1 joins consumer group {} on {}", s.topic_prefix + s.group,
               log.physical(topics::kEvents));
  return g;
}

KafkaGroupLog::~KafkaGroupLog() {
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);  // leaves the group: its partitions go to the others now
    rd_kafka_destroy(consumer_);
  }
}

void GroupCallbacks::rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<KafkaGroupLog*>(opaque);
  self->on_rebalance(rk, static_cast<int>(err), parts);
}

void KafkaGroupLog::expect(int32_t partition, int64_t end) {
  log_.expect(topics::kEvents, partition,
              end);  // kept there: the projections read through log_ too
}

void KafkaGroupLog::on_rebalance(rd_kafka_t* rk, int err, void* partitions) {
  auto* parts = static_cast<rd_kafka_topic_partition_list_t*>(partitions);
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
  std::string names;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assigned_ = true;
    for (int i = 0; i < parts->cnt; ++i) {
      const int32_t p = parts->elems[i].partition;
      Result<int64_t> at = start_(p);
      if (!at) {
        failure_ = fail(at.error());
        at = 0;
      }
      parts->elems[i].offset = *at;
      owned_.insert(p);
      next_[p] = *at;
      buffered_.erase(p);
      at_end_.erase(p);
      names += (names.empty() ? "" : ", ") + std::to_string(p) + "@" + std::to_string(*at);
    }
    rd_kafka_error_t* e = cooperative ? rd_kafka_incremental_assign(rk, parts) : nullptr;
    if (!cooperative) rd_kafka_assign(rk, parts);
    if (Status s = from_error("taking partitions", e); !s) failure_ = s;
    if (parts->cnt > 0)
      spdlog::info("kafka: stage 1 now owns {} partition(s) of jiayuan.events: {}", parts->cnt,
                   names);
  } else {
    for (int i = 0; i < parts->cnt; ++i) {
      const int32_t p = parts->elems[i].partition;
      owned_.erase(p);
      buffered_.erase(p);
      next_.erase(p);
      at_end_.erase(p);
      names += (names.empty() ? "" : ", ") + std::to_string(p);
    }
    rd_kafka_error_t* e = cooperative ? rd_kafka_incremental_unassign(rk, parts) : nullptr;
    if (!cooperative) rd_kafka_assign(rk, nullptr);
    if (Status s = from_error("handing partitions over", e); !s) failure_ = s;
    if (parts->cnt > 0)
      spdlog::info("kafka: stage 1 hands over partition(s) {} of jiayuan.events", names);
  }
}

void KafkaGroupLog::take(rd_kafka_message_t* m) {
  const int32_t p = m->partition;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (owned_.contains(p)) {
      at_end_.insert(p);
      eof_at_[p] = m->offset;
    }
  } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("kafka: stage 1 consumer: {}", rd_kafka_message_errstr(m));
  } else if (owned_.contains(p)) {
    std::vector<LogEntry>& buf = buffered_[p];
    const int64_t expected = buf.empty() ? next_[p] : buf.back().position.offset + 1;
    if (m->offset >= expected) {
      buf.push_back(kafka_entry(m));
      at_end_.erase(p);
    }
  }
  rd_kafka_message_destroy(m);
}

Status KafkaGroupLog::poll() {
  size_t held = 0;
  for (const auto& [p, buf] : buffered_) held += buf.size();
  while (held < kMaxBuffered) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 0);
    if (m == nullptr) break;
    held += m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? 1 : 0;
    take(m);
  }
  if (!failure_) {
    Status f = failure_;
    failure_ = {};
    return f;
  }
  return {};
}

Result<std::vector<LogEntry>> KafkaGroupLog::read(std::string_view topic, int32_t partition,
                                                  int64_t from, size_t max) {
  if (topic != topics::kEvents) return log_.read(topic, partition, from, max);
  JY_TRY(std::vector<LogEntry> raw, read_owned(partition, from, max));
  return in_storage_form(topic, log_.produced_key(topic), std::move(raw), nullptr);
}

Result<std::vector<LogEntry>> KafkaGroupLog::read(std::string_view topic, int32_t partition,
                                                  int64_t from, size_t max, TypeFilter wanted) {
  if (topic != topics::kEvents) return log_.read(topic, partition, from, max, wanted);
  JY_TRY(std::vector<LogEntry> raw, read_owned(partition, from, max));
  return in_storage_form(topic, log_.produced_key(topic), std::move(raw), wanted);
}

Result<std::vector<LogEntry>> KafkaGroupLog::read_owned(int32_t partition, int64_t from,
                                                        size_t max) {
  const std::string_view topic = topics::kEvents;
  if (partition == 0) JY_CHECK(poll());
  if (partition == 0 && !assigned_) {
    // Until the group has assigned partitions, "nothing owned" is not "nothing to read".
    const auto until = Clock::now() + std::chrono::milliseconds(log_.settings().read_wait_ms);
    while (!assigned_ && Clock::now() < until) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 100)) take(m);
    }
    JY_CHECK(poll());
    if (!assigned_) {
      return fail("kafka_unavailable", "stage 1 waits for consumer group " +
                                           log_.settings().topic_prefix + log_.settings().group +
                                           " to assign it partitions of " +
                                           log_.physical(topics::kEvents));
    }
  }
  std::vector<LogEntry> out;
  if (!owned_.contains(partition)) return out;
  if (next_[partition] != from) {
    PartitionList list = partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), log_.physical(topic).c_str(), partition)->offset =
        from;
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer_, list.get(), 10000)) {
      Status s =
          from_error("seeking " + log_.physical(topic) + "[" + std::to_string(partition) + "]", e);
      return fail(s.error());
    }
    next_[partition] = from;
    buffered_.erase(partition);
    at_end_.erase(partition);
  }
  // A poll may run the rebalance callback, which drops a revoked partition's buffer: look the
  // buffer up again after every poll, never hold on to it across one.
  auto buffered = [&]() -> std::vector<LogEntry>* {
    auto it = buffered_.find(partition);
    return it == buffered_.end() ? nullptr : &it->second;
  };
  // An end reached before this process's intake appended more is not the end.
  const int64_t known = log_.known_end(topic, partition);
  auto at_end = [&] {
    const auto eof = eof_at_.find(partition);
    return at_end_.contains(partition) && eof != eof_at_.end() && eof->second >= known;
  };
  const auto deadline = Clock::now() + std::chrono::milliseconds(log_.settings().read_wait_ms);
  while ((buffered() == nullptr || buffered()->empty()) && !at_end() &&
         owned_.contains(partition) && Clock::now() < deadline) {
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 100)) take(m);
  }
  if (!owned_.contains(partition)) return out;
  if ((buffered() == nullptr || buffered()->empty()) && !at_end())
    return fail(log_.no_answer(topic, partition, from));
  if (buffered() == nullptr) return out;
  std::vector<LogEntry>& buf = *buffered();
  const size_t n = std::min(max, buf.size());
  out.assign(std::make_move_iterator(buf.begin()),
             std::make_move_iterator(buf.begin() + static_cast<ptrdiff_t>(n)));
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
  if (!out.empty()) next_[partition] = out.back().position.offset + 1;
  return out;
}

}  // namespace jiayuan
