#include "connectors/kafka_intake.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "events/json_limits.h"

namespace jiayuan {
namespace {

using nlohmann::json;

// "\"text\"", appended (GCC 12 at -O3 warns falsely on `"\"" + s`, PR 105651).
std::string in_quotes(std::string_view s) {
  std::string out;
  return out.append("\"").append(s).append("\"");
}

std::string snippet(std::string_view s) { return in_quotes(printable(s, 60)); }

// Eager rebalancing for the inboxes (one partition each: nothing to gain from cooperative
// moves), logged so an operator sees which instance reads which inbox.
void intake_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t* parts, void*) {
  std::string names;
  for (int i = 0; i < parts->cnt; ++i)
    names += (names.empty() ? "" : ", ") + std::string(parts->elems[i].topic);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk, parts);
    spdlog::info("intake: now reads {} inbox(es): {}", parts->cnt, names);
  } else {
    rd_kafka_assign(rk, nullptr);
    spdlog::info("intake: hands over {} inbox(es)", parts->cnt);
  }
}

// The sender's own refusal of input that never became a fact (kRefusedHeader): its stage and
// the reason, or nullopt. It can only have its own message dead-lettered.
std::optional<std::pair<std::string, Error>> refused_by_sender(const Record& message) {
  const std::string_view header = message.header(kRefusedHeader);
  if (header.empty() || header.size() > 4096 || !is_utf8(header)) return std::nullopt;
  const json v = json::parse(header, nullptr, false);
  if (!v.is_object()) return std::nullopt;
  auto text = [&](const char* k, const char* otherwise) {
    const auto it = v.find(k);
    return it != v.end() && it->is_string() ? printable(it->get<std::string>(), 1000)
                                            : std::string(otherwise);
  };
  return std::pair{text("stage", "gateway"),
                   Error{text("code", "refused"), text("reason", "refused by its sender")}};
}

}  // namespace

Result<IntakeInput> inbox_input(const Record& message, std::string_view department,
                                std::string origin) {
  IntakeInput in{message.value, std::move(origin), DepartmentId(std::string(department))};
  // Headers are bytes a department chose: bounded and UTF-8 before anything reads them.
  constexpr size_t kMaxHeaders = 64, kMaxHeaderBytes = 4096;
  if (message.headers.size() > kMaxHeaders) {
    return fail(field_error("too_many_headers", "headers",
                            "at most " + std::to_string(kMaxHeaders) + " headers",
                            std::to_string(message.headers.size())));
  }
  for (const Header& h : message.headers) {
    if (!is_utf8(h.key) || h.key.size() > 256) {
      return fail(field_error("bad_header", "header " + printable(h.key, 40),
                              "a UTF-8 name of at most 256 bytes",
                              in_quotes(printable(h.key, 40))));
    }
    if (!h.key.starts_with("ce_") && h.key != "content-type")
      continue;  // others are the sender's own
    if (h.value.size() > kMaxHeaderBytes || !is_utf8(h.value)) {
      return fail(field_error("bad_header", "header " + h.key,
                              "UTF-8 text of at most " + std::to_string(kMaxHeaderBytes) + " bytes",
                              in_quotes(printable(h.value, 60))
                                  .append(" (")
                                  .append(std::to_string(h.value.size()))
                                  .append(" bytes)")));
    }
  }
  if (message.header("ce_type").empty()) return in;  // structured mode: the value is the envelope
  JsonLimits limits;
  limits.max_depth = JsonLimits{}.max_depth - 1;  // the data sits one level inside the envelope
  JY_CHECK(check_json(message.value, limits, "data"));
  json data = json::parse(message.value, nullptr, false);
  if (data.is_discarded()) {
    return fail(
        field_error("bad_json", "data",
                    "the fact's data as JSON (binary content mode: the envelope is in ce_ headers)",
                    snippet(message.value)));
  }
  json env = json::object();
  for (const char* field :
       {"specversion", "id", "source", "type", "time", "subject", "dataschema", "occurred"}) {
    const std::string name = std::string("ce_") + field;
    for (const Header& h : message.headers) {
      if (h.key == name) env[field] = h.value;
    }
  }
  if (!env.contains("source")) env["source"] = std::string(department);
  if (std::string_view v = message.header("ce_schemaversion"); !v.empty()) {
    const bool digits =
        v.size() <= 9 && v.find_first_not_of("0123456789") == std::string_view::npos;
    env["schemaversion"] = digits ? json(std::stoi(std::string(v))) : json(std::string(v));
  }
  env["data"] = std::move(data);
  in.bytes = env.dump();
  return in;
}

Result<std::unique_ptr<KafkaIntake>> KafkaIntake::open(const KafkaSettings& settings,
                                                       const Config& config,
                                                       const std::string& instance) {
  std::unique_ptr<KafkaIntake> k(new KafkaIntake(config));
  k->log_options_ = {.settings = settings,
                     .client_id = "jiayuan-intake",
                     .transactional_id = settings.group + "-intake-" + instance,
                     .require_topics = true,
                     // catch_up reaches the end of jiayuan.events every step: 10 ms a step
                     // where 100 cost ~100 (docs/performance.md)
                     .fetch_wait_ms = 10};
  JY_CHECK(k->open_log());
  JY_TRY(rd_kafka_conf_t * conf,
         kafka_conf(settings, "jiayuan-intake",
                    {{"group.id", settings.topic_prefix + settings.group + "-intake"},
                     {"group.instance.id", instance + "-intake"},
                     {"session.timeout.ms", "10000"},
                     {"heartbeat.interval.ms", "1000"},
                     {"partition.assignment.strategy", "roundrobin"},
                     {"isolation.level", "read_committed"},
                     {"enable.auto.commit", "false"},
                     {"enable.partition.eof", "true"},
                     {"auto.offset.reset", "earliest"},
                     // A fetch waits (up to 100 ms, as an idle one does) for 64 KB of
                     // inbox messages rather than answering each as it arrives: fewer, larger
                     // steps and transactions under load (docs/performance.md, eighth round).
                     {"fetch.wait.max.ms", "100"},
                     {"fetch.min.bytes", "65536"}}));
  rd_kafka_conf_set_rebalance_cb(conf, intake_rebalance);
  char err[512];
  k->consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (k->consumer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("kafka_config", std::string("cannot create the intake consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(k->consumer_);
  // The inbox of every department of district.toml (`jiayuan topics create` makes them).
  const std::vector<std::string> departments = all_departments(config.district);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(departments.size()));
  for (const std::string& d : departments) {
    rd_kafka_topic_partition_list_add(list, (settings.topic_prefix + inbox_topic(d)).c_str(),
                                      RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t e = rd_kafka_subscribe(k->consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail("kafka", std::string("subscribing to the inboxes: ") + rd_kafka_err2str(e));
  spdlog::info("kafka: intake reads the {} inboxes {}jiayuan.inbox.* as group {}",
               departments.size(), settings.topic_prefix,
               settings.topic_prefix + settings.group + "-intake");
  return k;
}

KafkaIntake::~KafkaIntake() {
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
}

Status KafkaIntake::open_log() {
  intake_.reset();  // before the log it reads
  log_.reset();
  JY_TRY(log_, KafkaLog::open(log_options_));
  JY_TRY(intake_, Intake::open(*log_, config_));
  return {};
}

Status KafkaIntake::recover() {
  std::optional<Error> fatal = log_->fatal_error();
  if (!fatal) {
    Status aborted = log_->abort();
    if (!aborted && !(fatal = log_->fatal_error())) return aborted;
  }
  if (fatal && fatal->code == "kafka_fenced") {
    return fail("kafka_fenced",
                "intake's producer " + log_options_.transactional_id +
                    " was fenced by another with the same transactional id: another engine "
                    "instance runs with the same --instance name; this one stops (give each "
                    "instance its own): " +
                    fatal->message);
  }
  JY_CHECK(rewind());
  if (fatal) {
    // librdkafka's producer can do nothing more; a new one with the same transactional id
    // fences it (its open transaction is aborted by the broker) and intake relearns the log.
    spdlog::error(
        "intake: the transactional producer failed for good ({}); a new one takes "
        "its place",
        fatal->message);
    ++counters_.producers_replaced;
    return open_log();  // should it fail, both are gone and the next step opens them
  }
  // Relearnt from the log; what this cannot read now the next step's catch_up reads first.
  if (Status relearnt = intake_->reload(); !relearnt) {
    spdlog::warn("intake: relearning jiayuan.events after the abort: {}; the next step goes on",
                 relearnt.error().message);
  }
  return {};
}

Status KafkaIntake::rewind() {
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (rd_kafka_assignment(consumer_, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == nullptr)
    return {};
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
  if (rd_kafka_assignment(consumer_, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == nullptr)
    return false;
  bool all = parts->cnt > 0;
  for (int i = 0; i < parts->cnt && all; ++i)
    all = at_end_.contains({parts->elems[i].topic, parts->elems[i].partition});
  rd_kafka_topic_partition_list_destroy(parts);
  return all;
}

// The messages one step takes: each with its inbox position, the facts among them to judge,
// and those refused before they became facts (to the dead letters as they came).
struct KafkaIntake::Batch {
  using TopicPartition = std::pair<std::string, int32_t>;
  struct Taken {
    TopicPartition tp;
    int64_t offset = 0;
    std::optional<Error> refused;  // never became a fact: straight to the dead letters
    std::string refused_stage = "kafka";
    std::string department;  // of the inbox ("" for an inbox of no department)
    std::string request;     // kRequestHeader
    std::string fact_id;     // ce_id, when the message has one
  };
  std::vector<Taken> taken;         // every message, in the order polled
  std::vector<IntakeInput> inputs;  // the ones that are facts to judge
  std::vector<IntakeInput> refused_inputs;
};

Result<std::vector<rd_kafka_message_t*>> KafkaIntake::poll_inboxes(size_t max) {
  std::vector<rd_kafka_message_t*> messages;
  const auto started = std::chrono::steady_clock::now();
  for (int timeout = 100; messages.size() < max;) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, timeout);
    if (m == nullptr) {
      // Nothing now: done when every owned inbox is read to its end, else wait (10 s at most).
      if (!messages.empty() || caught_up()) break;
      if (std::chrono::steady_clock::now() - started > std::chrono::seconds(10)) {
        // Not "nothing to take": the inboxes' ends are not known yet.
        return fail("kafka_unavailable",
                    "intake waits for its inbox partitions (the group's assignment or the broker)");
      }
      continue;
    }
    const std::pair<std::string, int32_t> tp{m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "",
                                             m->partition};
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
  return messages;
}

KafkaIntake::Batch KafkaIntake::read_messages(std::vector<rd_kafka_message_t*>& messages) const {
  const std::string prefix = log_->settings().topic_prefix + std::string(kInboxPrefix);
  Batch batch;
  for (rd_kafka_message_t*& m : messages) {
    const std::string topic = rd_kafka_topic_name(m->rkt);
    LogEntry entry = kafka_entry(m);
    const std::string department = topic.substr(std::min(prefix.size(), topic.size()));
    std::string origin =
        topic + "[" + std::to_string(m->partition) + "]@" + std::to_string(m->offset);
    batch.taken.push_back({{topic, m->partition},
                           m->offset,
                           std::nullopt,
                           "kafka",
                           department,
                           printable(entry.record.header(kRequestHeader), 200),
                           printable(entry.record.header("ce_id"), 200)});
    if (const std::string_view from = entry.record.header("jiayuan_origin"); !from.empty())
      origin += " (" + printable(from, 200) + ")";
    rd_kafka_message_destroy(m);
    m = nullptr;
    if (!config_.district.has_department(DepartmentId(department))) {
      batch.taken.back().department.clear();
      batch.taken.back().refused =
          field_error("unknown_inbox", "topic", "the inbox of a department of config/district.toml",
                      "\"" + topic + "\"");
      batch.refused_inputs.push_back(IntakeInput{entry.record.value, origin, std::nullopt});
      continue;
    }
    if (auto refused = refused_by_sender(entry.record)) {  // a gateway's row of the wrong shape
      batch.taken.back().refused = refused->second;
      batch.taken.back().refused_stage = refused->first;
      batch.refused_inputs.push_back(
          IntakeInput{entry.record.value, origin, DepartmentId(department)});
      continue;
    }
    Result<IntakeInput> in = fail("internal_error", "not read");
    try {
      in = inbox_input(entry.record, department, origin);
    } catch (const std::exception& e) {
      in = fail(
          "internal_error",
          std::string("intake could not read this message (a bug; please report it): ") + e.what());
    }
    if (!in) {
      batch.taken.back().refused = in.error();
      batch.refused_inputs.push_back(
          IntakeInput{entry.record.value, origin, DepartmentId(department)});
      continue;
    }
    batch.inputs.push_back(std::move(*in));
  }
  messages.clear();
  return batch;
}

// One transaction: the facts judged and appended, the refused messages dead-lettered, the
// inbox offsets committed with them. A fact naming a community (or company) not yet registered
// is not held back: intake accepts it and it waits in stage 1 for the registration.
Status KafkaIntake::transact(const Batch& batch) {
  JY_CHECK(log_->begin());
  JY_TRY(std::vector<IntakeOutcome> outcomes, intake_->submit(batch.inputs));
  std::map<Batch::TopicPartition, int64_t> next_offsets;
  size_t refused_seen = 0, dead = 0;
  for (const Batch::Taken& t : batch.taken) {
    if (t.refused) {
      const IntakeInput& in = batch.refused_inputs[refused_seen++];
      JY_CHECK(intake_->dead_letter(in, t.refused_stage, *t.refused));
      spdlog::warn("intake: {}: rejected: {}", in.origin, t.refused->message);
      ++dead;
    }
    next_offsets[t.tp] = t.offset + 1;
  }
  JY_CHECK(send_receipts(batch, outcomes));
  JY_CHECK(log_->commit(consumer_, next_offsets));
  for (size_t k = 0; k < outcomes.size(); ++k) {
    switch (outcomes[k].verdict) {
      case Verdict::kAccepted:
        ++counters_.accepted;
        break;
      case Verdict::kDuplicate:
        ++counters_.duplicates;
        break;
      case Verdict::kRejected:
        ++counters_.rejected;
        spdlog::warn("intake: {}: rejected: {}", batch.inputs[k].origin,
                     outcomes[k].reason.message);
        break;
      case Verdict::kPending:  // never intake's own verdict
        break;
    }
  }
  counters_.rejected += dead;
  counters_.messages += batch.taken.size();
  return {};
}

Status KafkaIntake::send_receipts(const Batch& batch, const std::vector<IntakeOutcome>& outcomes) {
  std::map<std::string, std::vector<Record>> by_department;
  size_t judged = 0;
  for (const Batch::Taken& t : batch.taken) {
    if (t.department.empty()) continue;  // an inbox of no department: nobody to answer
    IntakeOutcome o;
    if (t.refused) {
      o.verdict = Verdict::kRejected;
      o.reason = *t.refused;
    } else {
      o = outcomes[judged++];
    }
    by_department[t.department].push_back(
        receipt_record(InboxMessage{t.tp.first, t.tp.second, t.offset, t.request, t.fact_id}, o));
  }
  for (const auto& [department, receipts] : by_department) {
    const std::string topic = receipts_topic(department);
    if (log_->partition_count(topic) == 0) {  // a deployment from before receipts
      if (without_receipts_.insert(department).second) {
        spdlog::warn(
            "intake: no topic {}{}: {}'s messages get no receipts (run `jiayuan topics "
            "create`)",
            log_->settings().topic_prefix, topic, department);
      }
      continue;
    }
    JY_CHECK(log_->send(topic, receipts));  // the commit waits for them
  }
  return {};
}

// Steps in a row without a message after which intake's reader of jiayuan.events stops asking
// the broker (it long-polls 10 ms); the next step with messages starts it again.
constexpr int kIdleStepsBeforeReaderStops = 10;

Result<size_t> KafkaIntake::step(size_t max) {
  if (intake_ == nullptr) JY_CHECK(open_log());  // its producer failed for good
  JY_TRY(std::vector<rd_kafka_message_t*> messages, poll_inboxes(max));
  if (messages.empty()) {
    if (++idle_steps_ == kIdleStepsBeforeReaderStops) log_->stop_readers();
    return 0;
  }
  idle_steps_ = 0;
  // What others appended (and what an aborted step forgot) is learnt before any message is
  // judged: a fact is judged against the whole log or not at all. Not learnt: the messages are
  // taken again next step.
  if (Status learnt = intake_->catch_up(); !learnt) {
    for (rd_kafka_message_t* m : messages) rd_kafka_message_destroy(m);
    JY_CHECK(rewind());
    return fail(learnt.error());
  }
  const Batch batch = read_messages(messages);
  Status done = transact(batch);
  if (done) return batch.taken.size();
  // Nothing of this step is visible: abort, take the same messages again next step.
  spdlog::warn("intake: transaction of {} inbox message(s) aborted: {}", batch.taken.size(),
               done.error().message);
  ++counters_.aborted;
  JY_CHECK(recover());
  return size_t{0};
}

}  // namespace jiayuan
