#include "connectors/embedded_log.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

Record rec(const std::string& key, const std::string& value) {
  return Record{key, value, {{"h", "v-" + value}}};
}

TEST(EmbeddedLog, AppendsInOrderWithGaplessOffsets) {
  testing::TempDir dir;
  auto log = EmbeddedLog::open(dir / "log");
  ASSERT_TRUE(log) << log.error().message;
  std::vector<Record> batch = {rec("a", "1"), rec("b", "2"), rec("a", "3")};
  auto pos = (*log)->append("t", batch);
  ASSERT_TRUE(pos);
  ASSERT_EQ(pos->size(), 3u);
  EXPECT_EQ((*pos)[0].offset, 0);
  EXPECT_EQ((*pos)[2].offset, 2);
  auto more = (*log)->append("t", std::vector<Record>{rec("c", "4")});
  EXPECT_EQ((*more)[0].offset, 3);
  auto got = (*log)->read("t", 0, 1, 10);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].record, rec("b", "2"));
  EXPECT_EQ((*got)[0].position.offset, 1);
  EXPECT_EQ((*got)[2].record.header("h"), "v-4");
  EXPECT_EQ(*(*log)->end_offset("t", 0), 4);
  EXPECT_TRUE((*log)->read("t", 0, 4, 10)->empty());
  EXPECT_TRUE((*log)->read("other", 0, 0, 10)->empty());
}

TEST(EmbeddedLog, RecordsSurviveReopening) {
  testing::TempDir dir;
  {
    auto log = EmbeddedLog::open(dir / "log");
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->append("t", std::vector<Record>{rec("a", "1"), rec("a", "2")}));
  }
  auto log = EmbeddedLog::open(dir / "log");
  ASSERT_TRUE(log);
  EXPECT_EQ(*(*log)->end_offset("t", 0), 2);
  auto pos = (*log)->append("t", std::vector<Record>{rec("a", "3")});
  EXPECT_EQ((*pos)[0].offset, 2);
  EXPECT_EQ((*log)->read("t", 0, 0, 10)->size(), 3u);
}

TEST(EmbeddedLog, KeysMapToStablePartitions) {
  testing::TempDir dir;
  auto log = EmbeddedLog::open(dir / "log", {{"t", 4}});
  ASSERT_TRUE(log);
  std::vector<Record> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(rec("k" + std::to_string(i % 8), std::to_string(i)));
  auto pos = (*log)->append("t", batch);
  ASSERT_TRUE(pos);
  size_t total = 0;
  for (int32_t p = 0; p < 4; ++p) {
    auto got = (*log)->read("t", p, 0, 100);
    for (const LogEntry& e : *got) EXPECT_EQ(partition_for(e.record.key, 4), p);
    total += got->size();
  }
  EXPECT_EQ(total, 40u);
}

TEST(EmbeddedLog, ASecondProcessIsToldTheLogIsInUse) {
  testing::TempDir dir;
  auto first = EmbeddedLog::open(dir / "log");
  ASSERT_TRUE(first);
  auto second = EmbeddedLog::open(dir / "log");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, "locked");
  EXPECT_NE(second.error().message.find("in use by another jiayuan process"), std::string::npos);
}

}  // namespace
}  // namespace jiayuan
