// KafkaLog against librdkafka's mock cluster, for what a real broker does too rarely to test:
// here, a produce acknowledged without its offsets.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>

#include "connectors/kafka_log.h"

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

}  // namespace
}  // namespace jiayuan
