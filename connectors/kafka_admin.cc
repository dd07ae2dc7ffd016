// The administration jiayuan needs on a Kafka cluster (connectors/kafka_log.h): its topics and
// the departments' ACLs, through librdkafka's admin API.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "connectors/kafka_gateway.h"
#include "connectors/kafka_log.h"

namespace jiayuan {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kAdminTimeoutMs = 30000;
constexpr int kMetadataTimeoutMs = 10000;

}  // namespace

// ---- administration ----------------------------------------------------------------------

std::vector<std::string> all_departments(const District& district) {
  std::vector<std::string> out;
  for (const auto& [id, name] : district.departments) out.push_back(id);
  for (const auto& [id, name] : district.streets) out.push_back("street." + id);
  return out;
}

namespace {

struct AdminClient {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;
  ~AdminClient() {
    if (queue != nullptr) rd_kafka_queue_destroy(queue);
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

Status open_admin(const KafkaSettings& s, AdminClient& a) {
  JY_TRY(rd_kafka_conf_t * conf, kafka_conf(s, "jiayuan-admin"));
  char err[512];
  a.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (a.rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail("kafka_config", std::string("cannot create a Kafka client: ") + err);
  }
  a.queue = rd_kafka_queue_new(a.rk);
  return {};
}

Result<rd_kafka_event_t*> await_result(AdminClient& a, std::string_view what) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(a.queue, kAdminTimeoutMs);
  if (ev == nullptr)
    return fail("kafka_unavailable",
                std::string(what) + ": no answer from the cluster within 30 s");
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Error e{"kafka", std::string(what) + ": " + rd_kafka_event_error_string(ev)};
    rd_kafka_event_destroy(ev);
    return fail(std::move(e));
  }
  return ev;
}

}  // namespace

namespace {

struct TopicSpec {
  std::string name;
  int partitions;
  bool keep_forever;
};

// Every topic of a deployment: the departments' inboxes, jiayuan.events, jiayuan.decisions and
// the dead-letter log (the last three kept forever).
std::vector<TopicSpec> topic_specs(const KafkaSettings& s, const District& district) {
  std::vector<TopicSpec> specs;
  for (const std::string& d : all_departments(district)) {
    specs.push_back({s.topic_prefix + inbox_topic(d), 1, false});
    specs.push_back({s.topic_prefix + receipts_topic(d), 1, false});
  }
  const int partitions = static_cast<int>(s.partitions);
  specs.push_back({s.topic_prefix + std::string(topics::kEvents), partitions, true});
  specs.push_back({s.topic_prefix + std::string(topics::kDecisions), partitions, true});
  specs.push_back({s.topic_prefix + std::string(topics::kDeadLetter), 1, true});
  return specs;
}

// How many of `specs` the cluster's metadata shows with every partition led.
size_t topics_ready(AdminClient& a, const std::vector<TopicSpec>& specs) {
  const rd_kafka_metadata_t* md = nullptr;
  size_t ready = 0;
  if (rd_kafka_metadata(a.rk, 1, nullptr, &md, kMetadataTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return 0;
  }
  for (const TopicSpec& spec : specs) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& t = md->topics[i];
      if (spec.name != t.topic || t.err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partition_cnt == 0)
        continue;
      bool led = true;
      for (int p = 0; p < t.partition_cnt; ++p) led = led && t.partitions[p].leader >= 0;
      ready += led ? 1 : 0;
    }
  }
  rd_kafka_metadata_destroy(md);
  return ready;
}

// The cluster's answer to CreateTopics: a line per topic (created or exists), or the first
// failure.
Result<std::vector<std::string>> created_lines(rd_kafka_event_t* ev) {
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &count);
  std::vector<std::string> lines;
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      lines.push_back("created " + name);
    } else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      lines.push_back("exists  " + name);
    } else {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      return fail("kafka", name + ": " + (msg != nullptr ? msg : rd_kafka_err2str(e)));
    }
  }
  return lines;
}

}  // namespace

Result<std::vector<std::string>> create_topics(const KafkaSettings& s, const District& district) {
  AdminClient a;
  JY_CHECK(open_admin(s, a));
  const std::vector<TopicSpec> specs = topic_specs(s, district);
  std::vector<rd_kafka_NewTopic_t*> news;
  char err[512];
  for (const TopicSpec& spec : specs) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(
        spec.name.c_str(), spec.partitions, static_cast<int>(s.replication), err, sizeof err);
    if (t == nullptr) {
      for (auto* n : news) rd_kafka_NewTopic_destroy(n);
      return fail("kafka_config", spec.name + ": " + err);
    }
    if (spec.keep_forever) rd_kafka_NewTopic_set_config(t, "retention.ms", "-1");
    news.push_back(t);
  }
  rd_kafka_CreateTopics(a.rk, news.data(), news.size(), nullptr, a.queue);
  rd_kafka_NewTopic_destroy_array(news.data(), news.size());
  JY_TRY(rd_kafka_event_t * ev, await_result(a, "creating topics"));
  Result<std::vector<std::string>> lines = created_lines(ev);
  rd_kafka_event_destroy(ev);
  if (!lines) return lines;
  // The cluster answers before every broker knows the new topics: wait until the metadata shows
  // each with its partitions led, so that the topics can be used as soon as this returns.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  for (size_t ready = 0; (ready = topics_ready(a, specs)) < specs.size();) {
    if (SteadyClock::now() > deadline) {
      return fail("kafka", "creating topics: " + std::to_string(ready) + " of " +
                               std::to_string(specs.size()) + " are usable after 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::sort(lines->begin(), lines->end(),
            [](const std::string& a, const std::string& b) { return a.substr(8) < b.substr(8); });
  return lines;
}

namespace {

// One grant: `principal` may do `ops` on `topic`.
struct Grant {
  std::string principal;
  std::string topic;
  std::vector<rd_kafka_AclOperation_t> ops;
  std::string line;
};

// Each department writes its own inbox and reads its own receipts; User:gateway (the HTTP and
// upload gateway of a deployment that does not run it as the engine's user) writes every inbox
// and reads every receipt topic; User:auditor reads jiayuan.events and jiayuan.decisions.
std::vector<Grant> grants(const KafkaSettings& s, const District& district) {
  std::vector<Grant> out;
  const auto write = std::vector{RD_KAFKA_ACL_OPERATION_WRITE, RD_KAFKA_ACL_OPERATION_DESCRIBE};
  const auto read = std::vector{RD_KAFKA_ACL_OPERATION_READ, RD_KAFKA_ACL_OPERATION_DESCRIBE};
  for (const std::string& d : all_departments(district)) {
    const std::string inbox = s.topic_prefix + inbox_topic(d);
    const std::string receipts = s.topic_prefix + receipts_topic(d);
    out.push_back({"User:" + d, inbox, write, "allow   User:" + d + " to write " + inbox});
    out.push_back({"User:" + d, receipts, read, "allow   User:" + d + " to read " + receipts});
    out.push_back({"User:gateway", inbox, write, ""});
    out.push_back({"User:gateway", receipts, read, ""});
  }
  out.back().line = "allow   User:gateway to write every inbox and read every receipt topic";
  for (std::string_view t : {topics::kEvents, topics::kDecisions}) {
    const std::string topic = s.topic_prefix + std::string(t);
    out.push_back({"User:auditor", topic, read, "allow   User:auditor to read " + topic});
  }
  return out;
}

// How many of the ACLs the broker now enforces (it applies new ones a moment after accepting).
Result<size_t> acls_enforced(AdminClient& a, const std::vector<rd_kafka_AclBinding_t*>& wanted) {
  char err[512];
  rd_kafka_AclBindingFilter_t* filter = rd_kafka_AclBindingFilter_new(
      RD_KAFKA_RESOURCE_TOPIC, nullptr, RD_KAFKA_RESOURCE_PATTERN_ANY, nullptr, nullptr,
      RD_KAFKA_ACL_OPERATION_ANY, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW, err, sizeof err);
  rd_kafka_DescribeAcls(a.rk, filter, nullptr, a.queue);
  rd_kafka_AclBinding_destroy(filter);
  JY_TRY(rd_kafka_event_t * described, await_result(a, "reading ACLs back"));
  size_t n = 0;
  const rd_kafka_AclBinding_t** found =
      rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(described), &n);
  size_t ours = 0;
  for (const rd_kafka_AclBinding_t* w : wanted) {
    for (size_t i = 0; i < n; ++i) {
      if (std::string_view(rd_kafka_AclBinding_name(found[i])) == rd_kafka_AclBinding_name(w) &&
          std::string_view(rd_kafka_AclBinding_principal(found[i])) ==
              rd_kafka_AclBinding_principal(w) &&
          rd_kafka_AclBinding_operation(found[i]) == rd_kafka_AclBinding_operation(w)) {
        ++ours;
        break;
      }
    }
  }
  rd_kafka_event_destroy(described);
  return ours;
}

}  // namespace

Result<std::vector<std::string>> create_department_acls(const KafkaSettings& s,
                                                        const District& district) {
  AdminClient a;
  JY_CHECK(open_admin(s, a));
  std::vector<rd_kafka_AclBinding_t*> acls;
  struct Free {
    std::vector<rd_kafka_AclBinding_t*>& acls;
    ~Free() { rd_kafka_AclBinding_destroy_array(acls.data(), acls.size()); }
  } free_acls{acls};
  std::vector<std::string> lines;
  char err[512];
  for (const Grant& g : grants(s, district)) {
    for (rd_kafka_AclOperation_t op : g.ops) {
      rd_kafka_AclBinding_t* b = rd_kafka_AclBinding_new(
          RD_KAFKA_RESOURCE_TOPIC, g.topic.c_str(), RD_KAFKA_RESOURCE_PATTERN_LITERAL,
          g.principal.c_str(), "*", op, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW, err, sizeof err);
      if (b == nullptr) return fail("kafka_config", g.topic + ": " + err);
      acls.push_back(b);
    }
    if (!g.line.empty()) lines.push_back(g.line);
  }
  rd_kafka_CreateAcls(a.rk, acls.data(), acls.size(), nullptr, a.queue);
  JY_TRY(rd_kafka_event_t * ev, await_result(a, "creating ACLs"));
  size_t count = 0;
  const rd_kafka_acl_result_t** results =
      rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &count);
  Status failure;
  for (size_t i = 0; i < count; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_acl_result_error(results[i]);
        e != nullptr && failure) {
      failure = fail("kafka", std::string("creating ACLs: ") + rd_kafka_error_string(e));
    }
  }
  rd_kafka_event_destroy(ev);
  if (!failure) return fail(failure.error());
  // Wait until the broker enforces them all, so that a department can write its inbox (and read
  // its receipts) as soon as this returns.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  for (;;) {
    JY_TRY(size_t ours, acls_enforced(a, acls));
    if (ours >= acls.size()) break;
    if (SteadyClock::now() > deadline)
      return fail("kafka", "creating ACLs: the broker enforces " + std::to_string(ours) + " of " +
                               std::to_string(acls.size()) + " after 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return lines;
}

}  // namespace jiayuan
