// One contract, both logs: the same typed tests run over the embedded log and over Apache
// Kafka (a real broker; see tests/support/kafka.h).
#include <gtest/gtest.h>

#include <set>

#include "connectors/embedded_log.h"
#include "connectors/kafka_log.h"
#include "connectors/kafka_wire.h"
#include "engine/intake.h"
#include "events/json_codec.h"
#include "tests/support/facts.h"
#include "tests/support/kafka.h"
#include "tests/support/read_to_end.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

constexpr int32_t kPartitions = 4;

struct EmbeddedKind {
  static constexpr const char* kName = "embedded";
  testing::TempDir dir;
  Result<std::unique_ptr<Log>> open() {
    JY_TRY(std::unique_ptr<EmbeddedLog> log,
           EmbeddedLog::open(dir / "log", {{std::string(topics::kEvents), kPartitions}}));
    return std::unique_ptr<Log>(std::move(log));
  }
  bool available() { return true; }
};

struct KafkaKind {
  static constexpr const char* kName = "kafka";
  std::optional<KafkaSettings> settings = testing::test_kafka("contract");
  bool created = false;
  bool available() { return settings.has_value(); }
  Result<std::unique_ptr<Log>> open() {
    if (!created) {
      settings->partitions = kPartitions;
      JY_TRY(std::vector<std::string> ignored, create_topics(*settings, District{}));
      created = true;
    }
    JY_TRY(std::unique_ptr<KafkaLog> log, KafkaLog::open({.settings = *settings,
                                                          .client_id = "contract-test",
                                                          .transactional_id = "",
                                                          .require_topics = true}));
    return std::unique_ptr<Log>(std::move(log));
  }
};

template <class Kind>
class LogContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kind_.available()) {
      if (testing::kafka_required()) FAIL() << "JIAYUAN_KAFKA_BOOTSTRAP is not set";
      GTEST_SKIP() << "no Kafka broker: set JIAYUAN_KAFKA_BOOTSTRAP (scripts/test starts one)";
    }
    auto log = kind_.open();
    ASSERT_TRUE(log) << log.error().message;
    log_ = std::move(*log);
  }
  Kind kind_;
  std::unique_ptr<Log> log_;
};

using Kinds = ::testing::Types<EmbeddedKind, KafkaKind>;
struct KindNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(LogContract, Kinds, KindNames);

Record rec(const std::string& key, const std::string& value) {
  return Record{key, value, {{"ce_id", "id-" + value}, {"empty", ""}}};
}

TYPED_TEST(LogContract, ReadsBackWhatItAppendedInOrderWithHeaders) {
  Log& log = *this->log_;
  std::vector<Record> batch = {rec("C1", "1"), rec("C2", "2"), rec("C1", "3")};
  auto pos = log.append(topics::kEvents, batch);
  ASSERT_TRUE(pos) << pos.error().message;
  ASSERT_EQ(pos->size(), 3u);
  EXPECT_EQ((*pos)[0].partition, (*pos)[2].partition);
  EXPECT_LT((*pos)[0].offset, (*pos)[2].offset);
  auto got = log.read(topics::kEvents, (*pos)[0].partition, (*pos)[0].offset, 10);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].record, batch[0]);
  EXPECT_EQ((*got)[1].record, batch[2]);
  EXPECT_EQ((*got)[1].position.offset, (*pos)[2].offset);
  EXPECT_EQ((*got)[1].record.header("ce_id"), "id-3");
}

TYPED_TEST(LogContract, EachKeyGoesToTheSamePartitionOnEveryLog) {
  Log& log = *this->log_;
  EXPECT_EQ(log.partition_count(topics::kEvents), kPartitions);
  std::vector<Record> batch;
  for (int i = 0; i < 40; ++i)
    batch.push_back(rec("SJ" + std::to_string(i % 9), std::to_string(i)));
  batch.push_back(rec("any", "explicit"));
  batch.back().partition = 2;
  auto pos = log.append(topics::kEvents, batch);
  ASSERT_TRUE(pos) << pos.error().message;
  for (size_t i = 0; i + 1 < batch.size(); ++i) {
    EXPECT_EQ((*pos)[i].partition, partition_for(batch[i].key, kPartitions)) << batch[i].key;
  }
  EXPECT_EQ(pos->back().partition, 2);
  size_t total = 0;
  for (int32_t p = 0; p < kPartitions; ++p) {
    const std::vector<LogEntry> got = testing::read_to_end(log, topics::kEvents, p);
    for (const LogEntry& e : got) EXPECT_EQ(e.position.partition, p);
    total += got.size();
  }
  EXPECT_EQ(total, batch.size());
}

TYPED_TEST(LogContract, ReadsFromAnyOffsetUpToTheEnd) {
  Log& log = *this->log_;
  std::vector<Record> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(rec("SJ1", std::to_string(i)));
  auto pos = log.append(topics::kEvents, batch);
  ASSERT_TRUE(pos) << pos.error().message;
  const int32_t p = (*pos)[0].partition;
  auto middle = log.read(topics::kEvents, p, (*pos)[2].offset, 10);
  ASSERT_TRUE(middle);
  ASSERT_EQ(middle->size(), 3u);
  EXPECT_EQ(middle->front().record.value, "2");
  auto two = log.read(topics::kEvents, p, (*pos)[1].offset, 2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ(two->back().record.value, "2");
  auto ahead = log.read(topics::kEvents, p, (*pos)[4].offset, 10);  // skipping one
  ASSERT_TRUE(ahead);
  ASSERT_EQ(ahead->size(), 1u);
  EXPECT_EQ(ahead->front().record.value, "4");
  auto end = log.end_offset(topics::kEvents, p);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, (*pos)[4].offset + 1);
  auto none = log.read(topics::kEvents, p, *end, 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(LogContract, WithoutTransactionsNoOffsetIsTakenForAMarker) {
  Log& log = *this->log_;
  auto pos = log.append(topics::kEvents, std::vector<Record>{rec("SJ3", "a"), rec("SJ3", "b")});
  ASSERT_TRUE(pos) << pos.error().message;
  const int32_t p = (*pos)[0].partition;
  const int64_t a = (*pos)[0].offset, b = (*pos)[1].offset;
  EXPECT_TRUE(log.only_markers(topics::kEvents, p, b, b));  // an empty range
  EXPECT_FALSE(log.only_markers(topics::kEvents, p, a, b));
  EXPECT_FALSE(log.only_markers(topics::kEvents, p, b + 1, b + 2));
}

bool only_inspections(std::string_view type) { return type == "jiayuan.inspection"; }

TYPED_TEST(LogContract, AFilteredReadStubsTheRecordsItRefuses) {
  Log& log = *this->log_;
  std::vector<Record> batch = {
      {"SJ7", "complaint", {{"ce_type", "jiayuan.hotline_complaint"}, {"ce_id", "h1"}}},
      {"SJ7", "inspection", {{"ce_id", "i1"}, {"ce_type", "jiayuan.inspection"}}},
      {"SJ7", "untyped", {{"ce_id", "u1"}}},
  };
  auto pos = log.append(topics::kEvents, batch);
  ASSERT_TRUE(pos) << pos.error().message;
  auto got =
      log.read(topics::kEvents, (*pos)[0].partition, (*pos)[0].offset, 10, &only_inspections);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].position.offset, (*pos)[0].offset);
  EXPECT_EQ((*got)[0].record.value, "");
  EXPECT_EQ((*got)[0].record.header("ce_type"), "jiayuan.hotline_complaint");
  EXPECT_EQ((*got)[0].record.header("ce_id"), "");
  EXPECT_EQ((*got)[1].record, batch[1]);  // wanted: whole
  EXPECT_EQ((*got)[2].record, batch[2]);  // no ce_type: whole
  EXPECT_EQ((*got)[2].position.offset, (*pos)[2].offset);
}

TYPED_TEST(LogContract, ARecordOutlivesTheWriter) {
  auto pos = this->log_->append(topics::kEvents, std::vector<Record>{rec("SJ7", "kept")});
  ASSERT_TRUE(pos) << pos.error().message;
  this->log_.reset();
  auto reopened = this->kind_.open();
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto got = (*reopened)->read(topics::kEvents, (*pos)[0].partition, (*pos)[0].offset, 1);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().record.value, "kept");
}

// Kafka only: the facts and decisions this process produced are read back from memory, not
// parsed from their JSON again, and a reader gets the same records either way (the JSON form
// gives them back byte for byte: tests/connectors/kafka_wire_test.cc).
TEST(KafkaReadBack, WhatThisProcessProducedReadsBackFromMemoryAsTheBrokerHasIt) {
  JY_KAFKA_OR_SKIP(settings, "readback");
  const auto made = create_topics(settings, District{});
  ASSERT_TRUE(made) << made.error().message;
  auto open = [&](const std::string& id) {
    return KafkaLog::open(
        {.settings = settings, .client_id = id, .transactional_id = "", .require_topics = true});
  };
  auto writer = open("readback-writer");
  ASSERT_TRUE(writer) << writer.error().message;
  auto reader = open("readback-reader");
  ASSERT_TRUE(reader) << reader.error().message;
  // As intake writes them: events as their JSON decodes (every envelope field set).
  std::vector<Record> facts;
  for (int i = 0; i < 12; ++i) {
    const Event made = testing::inspection("SJ0000" + std::to_string(i % 4), 80 + i, "2023-03-01",
                                           "f" + std::to_string(i));
    auto ev = decode_event_json(encode_event_json(made));
    ASSERT_TRUE(ev) << ev.error().message;
    facts.push_back(event_record(*ev, "2023-03-02T09:00:00.000+08:00"));
  }
  auto pos = (*writer)->append(topics::kEvents, facts);
  ASSERT_TRUE(pos) << pos.error().message;
  const uint64_t before = kafka_records_read_back_from_memory();
  size_t read = 0;
  for (size_t i = 0; i < facts.size(); ++i) {
    auto got = (*reader)->read(topics::kEvents, (*pos)[i].partition, (*pos)[i].offset, 1);
    ASSERT_TRUE(got) << "fact " << i << ": " << got.error().message;
    ASSERT_EQ(got->size(), 1u) << "fact " << i << " at " << (*pos)[i].partition << "/"
                               << (*pos)[i].offset;
    EXPECT_EQ(got->front().record, facts[i]);
    EXPECT_EQ(from_wire(topics::kEvents, to_wire(topics::kEvents, facts[i])), facts[i]);
    ++read;
  }
  EXPECT_EQ(kafka_records_read_back_from_memory() - before, read);
}

}  // namespace
}  // namespace jiayuan
