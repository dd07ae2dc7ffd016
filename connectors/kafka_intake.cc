#include "connectors/kafka_intake.h"

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace jiayuan {
namespace {

using nlohmann::json;

std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string snippet(std::string_view s) {
  std::string out(s.substr(0, 60));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return "\"" + out + (s.size() > 60 ? "...\"" : "\"");
}

}  // namespace

Result<IntakeInput> inbox_input(const Record& message, std::string_view department, std::string origin) {
  IntakeInput in{message.value, std::move(origin), DepartmentId(std::string(department))};
  if (message.header("ce_type").empty()) return in;  // structured mode: the value is the envelope
  json data = json::parse(message.value, nullptr, false);
  if (data.is_discarded()) {
    return fail(field_error("bad_json", "data",
                            "the fact's data as JSON (binary content mode: the envelope is in ce_ headers)",
                            snippet(message.value)));
  }
  json env = json::object();
  for (const char* field : {"specversion", "id", "source", "type", "time", "subject", "dataschema", "occurred"}) {
    const std::string name = std::string("ce_") + field;
    for (const Header& h : message.headers) {
      if (h.key == name) env[field] = h.value;
    }
  }
  if (!env.contains("source")) env["source"] = std::string(department);
  if (std::string_view v = message.header("ce_schemaversion"); !v.empty()) {
    json n = json::parse(v, nullptr, false);
    env["schemaversion"] = n.is_number_integer() ? n : json(std::string(v));
  }
  env["data"] = std::move(data);
  in.bytes = env.dump();
  return in;
}

Result<std::unique_ptr<KafkaIntake>> KafkaIntake::open(const KafkaSettings& settings, const Config& config,
                                                       const std::string& instance) {
  std::unique_ptr<KafkaIntake> k(new KafkaIntake(config));
  JY_TRY(k->log_, KafkaLog::open({.settings = settings,
                                  .client_id = "jiayuan-intake",
                                  .transactional_id = settings.group + "-intake-" + instance,
                                  .require_topics = true}));
  JY_TRY(k->intake_, Intake::open(*k->log_, config));
  JY_TRY(rd_kafka_conf_t * conf, kafka_conf(settings, "jiayuan-intake"));
  for (auto [key, value] : {std::pair<const char*, std::string>{"group.id", settings.topic_prefix + settings.group + "-intake"},
                            {"partition.assignment.strategy", "cooperative-sticky"},
                            {"isolation.level", "read_committed"},
                            {"enable.auto.commit", "false"},
                            {"enable.partition.eof", "true"},
                            {"auto.offset.reset", "earliest"},
                            {"fetch.wait.max.ms", "100"},
                            {"topic.metadata.refresh.interval.ms", "10000"}}) {
    if (Status st = kafka_set(conf, key, value); !st) {
      rd_kafka_conf_destroy(conf);
      return fail(st.error());
    }
  }
  char err[512];
  k->consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (k->consumer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("kafka_config", std::string("cannot create the intake consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(k->consumer_);
  const std::string pattern = "^" + regex_escape(settings.topic_prefix + std::string(kInboxPrefix)) + ".*";
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, pattern.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t e = rd_kafka_subscribe(k->consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail("kafka", std::string("subscribing to the inboxes: ") + rd_kafka_err2str(e));
  spdlog::info("kafka: intake reads the inboxes ({}) as group {}", pattern, settings.topic_prefix + settings.group + "-intake");
  return k;
}

KafkaIntake::~KafkaIntake() {
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
}

Status KafkaIntake::rewind() {
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (rd_kafka_assignment(consumer_, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == nullptr) return {};
  Status out;
  if (parts->cnt > 0) {
    rd_kafka_committed(consumer_, parts, 30000);
    for (int i = 0; i < parts->cnt; ++i) {
      if (parts->elems[i].offset < 0) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer_, parts, 30000)) {
      out = fail("kafka", std::string("rewinding the inboxes: ") + rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  }
  rd_kafka_topic_partition_list_destroy(parts);
  return out;
}

bool KafkaIntake::caught_up() {
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (rd_kafka_assignment(consumer_, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == nullptr) return false;
  bool all = parts->cnt > 0;
  for (int i = 0; i < parts->cnt && all; ++i) all = at_end_.contains({parts->elems[i].topic, parts->elems[i].partition});
  rd_kafka_topic_partition_list_destroy(parts);
  return all;
}

Result<size_t> KafkaIntake::step(size_t max) {
  std::vector<rd_kafka_message_t*> messages;
  const auto started = std::chrono::steady_clock::now();
  for (int timeout = 100; messages.size() < max;) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, timeout);
    if (m == nullptr) {
      // Nothing now: done when every owned inbox is read to its end, else wait (10 s at most).
      if (!messages.empty() || caught_up()) break;
      if (std::chrono::steady_clock::now() - started > std::chrono::seconds(10)) {
        spdlog::info("intake: waiting for the inbox partitions (group assignment or the broker)");
        break;
      }
      continue;
    }
    const std::pair<std::string, int32_t> tp{m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "", m->partition};
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_.insert(tp);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("kafka: intake: {}", rd_kafka_message_errstr(m));
    } else {
      at_end_.erase(tp);
      messages.push_back(m);
      timeout = 0;
      continue;
    }
    rd_kafka_message_destroy(m);
  }
  if (messages.empty()) return 0;

  const std::string prefix = log_->settings().topic_prefix + std::string(kInboxPrefix);
  std::map<std::pair<std::string, int32_t>, int64_t> next_offsets;
  std::vector<IntakeInput> inputs;
  std::vector<std::pair<IntakeInput, Error>> refused;  // never became a fact: straight to dead letters
  for (rd_kafka_message_t* m : messages) {
    const std::string topic = rd_kafka_topic_name(m->rkt);
    LogEntry entry = kafka_entry(m);
    const std::string department = topic.substr(std::min(prefix.size(), topic.size()));
    std::string origin = topic + "[" + std::to_string(m->partition) + "]@" + std::to_string(m->offset);
    next_offsets[{topic, m->partition}] = m->offset + 1;
    rd_kafka_message_destroy(m);
    if (!config_.district.has_department(DepartmentId(department))) {
      refused.push_back({IntakeInput{entry.record.value, origin, std::nullopt},
                         field_error("unknown_inbox", "topic", "the inbox of a department of config/district.toml",
                                     "\"" + topic + "\"")});
      continue;
    }
    Result<IntakeInput> in = inbox_input(entry.record, department, origin);
    if (!in) {
      refused.push_back({IntakeInput{entry.record.value, origin, DepartmentId(department)}, in.error()});
      continue;
    }
    inputs.push_back(std::move(*in));
  }

  auto attempt = [&]() -> Status {
    JY_CHECK(log_->begin());
    for (const auto& [input, reason] : refused) JY_CHECK(intake_->dead_letter(input, "kafka", reason));
    JY_TRY(std::vector<IntakeOutcome> outcomes, intake_->submit(inputs));
    JY_CHECK(log_->commit(consumer_, next_offsets));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      switch (outcomes[i].verdict) {
        case Verdict::kAccepted: ++counters_.accepted; break;
        case Verdict::kDuplicate: ++counters_.duplicates; break;
        case Verdict::kRejected:
          ++counters_.rejected;
          spdlog::warn("intake: {}: rejected: {}", inputs[i].origin, outcomes[i].reason.message);
          break;
      }
    }
    for (const auto& [input, reason] : refused) spdlog::warn("intake: {}: rejected: {}", input.origin, reason.message);
    counters_.rejected += refused.size();
    counters_.messages += messages.size();
    return {};
  };
  Status done = attempt();
  if (done) return messages.size();
  // Nothing of this step is visible: abort, take the same messages again next step.
  spdlog::warn("intake: transaction of {} inbox message(s) aborted: {}", messages.size(), done.error().message);
  ++counters_.aborted;
  if (done.error().code == "kafka_fatal") return fail(done.error());
  if (Status a = log_->abort(); !a) return fail(a.error());
  JY_CHECK(rewind());
  JY_CHECK(intake_->reload());
  return size_t{0};
}

}  // namespace jiayuan
