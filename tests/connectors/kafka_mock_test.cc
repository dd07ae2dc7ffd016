// KafkaLog and KafkaIntake against librdkafka's mock cluster, for what a real broker does too
// rarely to test: a produce acknowledged without its offsets, a transactional producer that
// fails for good.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "connectors/kafka_gateway.h"
#include "connectors/kafka_intake.h"
#include "connectors/kafka_log.h"
#include "tests/support/config.h"
#include "tests/support/read_to_end.h"

namespace jiayuan {
namespace {

// A mock cluster of one broker with jiayuan's three topics (4 partitions each) under `prefix`.
struct MockCluster {
  explicit MockCluster(const std::string& prefix) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);  // it connects to nothing itself
    handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (handle == nullptr) return;
    cluster = rd_kafka_mock_cluster_new(handle, 1);
    if (cluster == nullptr) return;
    for (std::string_view t : {topics::kEvents, topics::kDecisions, topics::kDeadLetter})
      rd_kafka_mock_topic_create(cluster, (prefix + std::string(t)).c_str(), 4, 1);
  }
  // Every department's inbox and receipt topic, as `topics create` makes them. Made by asking
  // for their metadata (the mock creates a topic a client asks for): rd_kafka_mock_topic_create
  // often waits a second for the mock's thread, and there are sixty of them.
  void add_inboxes(const std::string& prefix, const District& district) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(cluster), err,
                      sizeof err);
    rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (client == nullptr) return;
    for (const std::string& d : all_departments(district)) {
      for (const std::string& topic : {inbox_topic(d), receipts_topic(d)}) {
        rd_kafka_topic_t* t = rd_kafka_topic_new(client, (prefix + topic).c_str(), nullptr);
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(client, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
          rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
      }
    }
    rd_kafka_destroy(client);
  }
  ~MockCluster() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (handle != nullptr) rd_kafka_destroy(handle);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  rd_kafka_t* handle = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
};

// The broker answers a produce with DUPLICATE_SEQUENCE_NUMBER when a retried request was
// written already: librdkafka reports the records delivered at offset -1001 (unknown). An append
// must not hand such a position on (intake would remember the fact there and tell its
// department so): it fails as kafka_unavailable, which the engine loop waits out and takes
// again; the next append is answered with its offsets.
TEST(KafkaMock, AnAppendAcknowledgedWithoutOffsetsFailsAndIsTakenAgain) {
  const std::string prefix = "mock.";
  MockCluster mock(prefix);
  ASSERT_NE(mock.cluster, nullptr);
  KafkaSettings settings;
  settings.bootstrap = rd_kafka_mock_cluster_bootstraps(mock.cluster);
  settings.security_protocol = "plaintext";
  settings.topic_prefix = prefix;
  auto log = KafkaLog::open(
      {.settings = settings, .client_id = "mock", .transactional_id = "", .require_topics = true});
  ASSERT_TRUE(log) << log.error().message;
  const std::vector<Record> records = {Record{"SJ1", "v", {{"ce_id", "a"}}}};
  rd_kafka_mock_push_request_errors(mock.cluster, 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_DUPLICATE_SEQUENCE_NUMBER);
  auto unknown = (*log)->append(topics::kDeadLetter, records);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "kafka_unavailable");
  EXPECT_NE(unknown.error().message.find("without saying at which offset"), std::string::npos)
      << unknown.error().message;
  auto again = (*log)->append(topics::kDeadLetter, records);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_GE(again->front().offset, 0);
}

// A community's registration as a street sends it to its inbox (structured mode).
Record registration(const std::string& id) {
  const nlohmann::json fact = {{"specversion", "1.0"},
                               {"id", id},
                               {"source", "street.xiaokunshan"},
                               {"type", "jiayuan.community.registered"},
                               {"subject", "SJ-MOCK-1"},
                               {"occurred", "2020-03-01"},
                               {"data",
                                {{"community", "SJ-MOCK-1"},
                                 {"name", "模拟家园"},
                                 {"street", "xiaokunshan"},
                                 {"households", 320},
                                 {"fee", 1.8},
                                 {"enclosure", "closed"},
                                 {"category", "commodity"}}}};
  return Record{id, fact.dump(), {}};
}

// Intake over the mock cluster with one registration waiting in its inbox, and the error the
// broker answers intake's first transaction with (AddPartitionsToTxn, which librdkafka's
// transactional producer takes as fatal).
class KafkaMockIntake : public ::testing::Test {
 protected:
  void start(rd_kafka_resp_err_t first_transaction_error) {
    ASSERT_NE(mock_.cluster, nullptr);
    mock_.add_inboxes(kPrefix, config_.district);
    settings_.bootstrap = rd_kafka_mock_cluster_bootstraps(mock_.cluster);
    settings_.security_protocol = "plaintext";
    settings_.topic_prefix = kPrefix;
    auto sender =
        KafkaLog::open({.settings = settings_, .client_id = "street", .transactional_id = ""});
    ASSERT_TRUE(sender) << sender.error().message;
    ASSERT_TRUE((*sender)->append(inbox_topic("street.xiaokunshan"),
                                  std::vector<Record>{registration("reg-1")}));
    auto intake = KafkaIntake::open(settings_, config_, "mock-1");
    ASSERT_TRUE(intake) << intake.error().message;
    intake_ = std::move(*intake);
    rd_kafka_mock_push_request_errors(mock_.cluster, 24 /* AddPartitionsToTxn */, 1,
                                      first_transaction_error);
  }
  // Steps until the registration is accepted (60 s at most); the first error a step gives.
  Status step_until_accepted() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (intake_->counters().accepted == 0 && std::chrono::steady_clock::now() < deadline) {
      auto taken = intake_->step(100);
      if (!taken && taken.error().code != "kafka_unavailable") return fail(taken.error());
    }
    return {};
  }
  // The facts on jiayuan.events, every partition, as a read_committed reader sees them.
  size_t events() {
    auto reader =
        KafkaLog::open({.settings = settings_, .client_id = "auditor", .transactional_id = ""});
    if (!reader) return 0;
    size_t n = 0;
    for (int32_t p = 0; p < (*reader)->partition_count(topics::kEvents); ++p)
      n += jiayuan::testing::read_to_end(**reader, topics::kEvents, p).size();
    return n;
  }

  static constexpr const char* kPrefix = "mockintake.";
  Config config_ = jiayuan::testing::shipped_config();
  MockCluster mock_{kPrefix};
  KafkaSettings settings_;
  std::unique_ptr<KafkaIntake> intake_;
};

// librdkafka's transactional producer can fail for good (a fatal error: INVALID_TXN_STATE was
// seen from a real broker's abort). Intake used to stop the engine then; now a new producer with
// the same transactional id takes the old one's place and the same inbox messages are taken
// again: the fact is accepted once, nothing of the failed transaction is visible.
TEST_F(KafkaMockIntake, AProducerThatFailedForGoodIsReplacedAndTheMessagesTakenAgain) {
  start(RD_KAFKA_RESP_ERR_INVALID_TXN_STATE);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const Status done = step_until_accepted();
  ASSERT_TRUE(done) << done.error().code << ": " << done.error().message;
  EXPECT_EQ(intake_->counters().accepted, 1u);
  EXPECT_EQ(intake_->counters().producers_replaced, 1u);
  EXPECT_GE(intake_->counters().aborted, 1u);
  EXPECT_EQ(events(), 1u);
}

// A producer fenced by another with its transactional id means another engine instance runs
// under the same name: replacing it would fence that one in turn, so intake stops, saying why.
TEST_F(KafkaMockIntake, AFencedProducerStopsIntakeNamingTheCause) {
  start(RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const Status done = step_until_accepted();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "kafka_fenced") << done.error().message;
  EXPECT_NE(done.error().message.find("same --instance name"), std::string::npos)
      << done.error().message;
  EXPECT_EQ(intake_->counters().accepted, 0u);
  EXPECT_EQ(intake_->counters().producers_replaced, 0u);
}

}  // namespace
}  // namespace jiayuan
