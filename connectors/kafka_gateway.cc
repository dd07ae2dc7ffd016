#include "connectors/kafka_gateway.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>

#include "events/hex.h"
#include "events/json_limits.h"

namespace jiayuan {
namespace {

using json = nlohmann::json;

std::string_view status_name(Verdict v) {
  switch (v) {
    case Verdict::kAccepted:
      return "accepted";
    case Verdict::kDuplicate:
      return "duplicate";
    case Verdict::kRejected:
      return "rejected";
    case Verdict::kPending:
      break;
  }
  return "pending";
}

// The community a structured CloudEvent names (its subject), the inbox message's key.
std::string subject_of(const std::string& bytes) {
  if (!check_json(bytes, JsonLimits{})) return {};
  const json doc = json::parse(bytes, nullptr, false);
  if (!doc.is_object()) return {};
  const auto it = doc.find("subject");
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Record inbox_record(const IntakeInput& input, const std::string& request) {
  Record r{subject_of(input.bytes),
           input.bytes,
           {{"content-type", "application/cloudevents+json"},
            {std::string(kRequestHeader), request},
            {"jiayuan_origin", input.origin}}};
  return r;
}

IntakeOutcome pending(const Position& at, const std::string& inbox, const std::string& department,
                      std::chrono::milliseconds w) {
  IntakeOutcome o;
  o.verdict = Verdict::kPending;
  o.position = at;
  o.reason = Error{"pending", "in " + inbox + " at offset " + std::to_string(at.offset) +
                                  (w.count() > 0 ? "; intake has not judged it within " +
                                                       std::to_string(w.count() / 1000) +
                                                       " s (is the engine running?)"
                                                 : "") +
                                  "; its receipt will be on " + receipts_topic(department) +
                                  " and a rejection in the dead-letter log"};
  return o;
}

}  // namespace

std::string receipts_topic(std::string_view department) {
  return std::string(kReceiptsPrefix) + std::string(department);
}

Record receipt_record(const InboxMessage& m, const IntakeOutcome& o) {
  json v{{"request", m.request},     {"inbox", m.topic}, {"inbox_partition", m.partition},
         {"inbox_offset", m.offset}, {"id", m.fact_id},  {"status", status_name(o.verdict)}};
  if (o.verdict == Verdict::kAccepted) {
    v["partition"] = o.position.partition;
    v["offset"] = o.position.offset;
    if (!o.waiting_for.empty()) v["waiting_for"] = o.waiting_for;
  } else if (o.verdict == Verdict::kRejected) {
    v["code"] = o.reason.code;
    v["reason"] = o.reason.message;
  }
  Record r{m.request.empty() ? m.fact_id : m.request,
           v.dump(-1, ' ', false, json::error_handler_t::replace),
           {{"content-type", "application/json"}}};
  if (!m.request.empty()) r.headers.push_back({std::string(kRequestHeader), m.request});
  return r;
}

Result<std::pair<std::string, IntakeOutcome>> read_receipt(const Record& receipt) {
  const json v = json::parse(receipt.value, nullptr, false);
  auto text = [&](const char* k) {
    const auto it = v.find(k);
    return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto number = [&](const char* k) {
    const auto it = v.find(k);
    return it != v.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{-1};
  };
  if (!v.is_object()) return fail("bad_receipt", "a receipt is a JSON object");
  IntakeOutcome o;
  const std::string status = text("status");
  if (status == "accepted") {
    o.verdict = Verdict::kAccepted;
    o.position = {static_cast<int32_t>(number("partition")), number("offset")};
    o.waiting_for = text("waiting_for");
  } else if (status == "duplicate") {
    o.verdict = Verdict::kDuplicate;
  } else if (status == "rejected") {
    o.verdict = Verdict::kRejected;
    o.reason = Error{text("code"), text("reason")};
  } else {
    return fail("bad_receipt", "status: expected accepted, duplicate or rejected, got \"" +
                                   printable(status, 40) + "\"");
  }
  return std::pair{text("request"), o};
}

Result<std::unique_ptr<KafkaGateway>> KafkaGateway::open(Options options) {
  std::unique_ptr<KafkaGateway> g(new KafkaGateway(std::move(options)));
  JY_TRY(g->producer_, KafkaLog::open({.settings = g->options_.settings,
                                       .client_id = g->options_.client_id,
                                       .transactional_id = "",
                                       .require_topics = false}));
  std::random_device random;
  g->instance_ = to_hex(std::to_string(random()) + std::to_string(random())).substr(0, 16);
  if (g->options_.wait.count() > 0) JY_CHECK(g->start_listening());
  return g;
}

Status KafkaGateway::start_listening() {
  JY_TRY(rd_kafka_conf_t * conf, kafka_conf(options_.settings, options_.client_id + "-receipts",
                                            {{"isolation.level", "read_committed"},
                                             {"enable.auto.commit", "false"},
                                             {"enable.auto.offset.store", "false"},
                                             {"fetch.wait.max.ms", "20"}}));
  char err[512];
  receipts_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (receipts_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("kafka_config", std::string("cannot create the receipts consumer: ") + err);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(receipts_);
  if (queue == nullptr) queue = rd_kafka_queue_new(receipts_);
  // From each receipt topic's end now: every receipt of what this gateway will send comes after.
  for (const std::string& d : options_.departments) {
    const std::string name = options_.settings.topic_prefix + receipts_topic(d);
    int64_t lo = 0, hi = 0;
    const rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(receipts_, name.c_str(), 0, &lo, &hi, 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_queue_destroy(queue);
      return fail("kafka_no_topic",
                  "reading " + name + ": " + rd_kafka_err2str(e) +
                      ": it does not exist, or this user is not authorized to read it (run "
                      "`jiayuan topics create --acls`, and log in as the department whose inbox "
                      "--source names)");
    }
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(receipts_, name.c_str(), nullptr);
    if (rd_kafka_consume_start_queue(rkt, 0, hi, queue) == -1) {
      rd_kafka_topic_destroy(rkt);
      rd_kafka_queue_destroy(queue);
      return fail("kafka", "reading " + name + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    }
    rd_kafka_topic_destroy(rkt);  // the consumer keeps its own reference while consuming
  }
  listener_ = std::thread([this, queue] {
    while (!stop_.load()) {
      rd_kafka_message_t* m = rd_kafka_consume_queue(queue, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        auto receipt = read_receipt(kafka_entry(m).record);
        if (receipt) {
          std::lock_guard lock(mu_);
          if (awaited_.contains(receipt->first)) {
            arrived_[receipt->first] = std::move(receipt->second);
            arrived_cv_.notify_all();
          }
        }
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::warn("gateway: receipts: {}", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_queue_destroy(queue);
  });
  return {};
}

KafkaGateway::~KafkaGateway() {
  stop_.store(true);
  if (listener_.joinable()) listener_.join();
  if (receipts_ != nullptr) rd_kafka_destroy(receipts_);
}

std::string KafkaGateway::next_request() {
  return instance_ + "-" + std::to_string(sequence_.fetch_add(1));
}

Result<std::vector<IntakeOutcome>> KafkaGateway::submit(std::span<const IntakeInput> inputs) {
  std::vector<IntakeOutcome> out(inputs.size());
  std::vector<std::string> requests(inputs.size());
  std::map<std::string, std::vector<size_t>> by_department;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].proven_source)
      return fail("internal_error", "the gateway sends only facts of a known department");
    requests[i] = next_request();
    by_department[inputs[i].proven_source->value].push_back(i);
  }
  const bool wait = options_.wait.count() > 0;
  if (wait) {
    std::lock_guard lock(mu_);
    awaited_.insert(requests.begin(), requests.end());
  }
  auto forget = [&] {
    std::lock_guard lock(mu_);
    for (const std::string& r : requests) {
      awaited_.erase(r);
      arrived_.erase(r);
    }
  };
  for (const auto& [department, items] : by_department) {
    std::vector<Record> records;
    for (size_t i : items) records.push_back(inbox_record(inputs[i], requests[i]));
    Result<std::vector<Position>> at = fail("kafka", "not sent");
    {
      std::lock_guard lock(produce_mu_);
      at = producer_->append(inbox_topic(department), records);
    }
    if (!at) {
      forget();
      return fail(at.error());
    }
    const std::string inbox = options_.settings.topic_prefix + inbox_topic(department);
    for (size_t k = 0; k < items.size(); ++k)
      out[items[k]] = pending((*at)[k], inbox, department, options_.wait);
  }
  if (wait) {
    std::unique_lock lock(mu_);
    arrived_cv_.wait_for(lock, options_.wait, [&] {
      for (const std::string& r : requests) {
        if (!arrived_.contains(r)) return false;
      }
      return true;
    });
    for (size_t i = 0; i < requests.size(); ++i) {
      if (auto it = arrived_.find(requests[i]); it != arrived_.end()) out[i] = it->second;
    }
  }
  forget();
  return out;
}

Status KafkaGateway::refuse(const IntakeInput& input, std::string_view stage, const Error& reason) {
  if (!input.proven_source)
    return fail("internal_error", "the gateway sends only input of a known department");
  Record r = inbox_record(input, next_request());
  r.key.clear();
  r.headers.push_back(
      {std::string(kRefusedHeader),
       json{{"stage", stage}, {"code", reason.code}, {"reason", reason.message}}.dump(
           -1, ' ', false, json::error_handler_t::replace)});
  std::lock_guard lock(produce_mu_);
  const std::vector<Record> one = {std::move(r)};
  JY_TRY(std::vector<Position> at, producer_->append(inbox_topic(input.proven_source->value), one));
  (void)at;
  return {};
}

}  // namespace jiayuan
