// The engine's store (projections/store.h): offsets under one key layout, atomic batches, scans
// by prefix in key order, and a rebuild that drops the projections and only them.
#include "projections/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "projections/records.h"
#include "tests/support/store_fixture.h"

namespace jiayuan {
namespace {

using StoreTest = testing::StoreFixture;

TEST_F(StoreTest, AnOffsetIsNamedConsumerTopicPartitionAndReadsZeroUntilWritten) {
  EXPECT_EQ(Store::offset_name("stage1", "jiayuan.events", 3), "stage1/jiayuan.events/3");
  EXPECT_EQ(*store_->offset("stage1", "jiayuan.events", 3), 0);
  rocksdb::WriteBatch b;
  store_->put_offset(b, Store::offset_name("stage1", "jiayuan.events", 3), 1234567890123);
  ASSERT_TRUE(store_->write(b));
  EXPECT_EQ(*store_->offset("stage1", "jiayuan.events", 3), 1234567890123);
  EXPECT_EQ(*store_->offset("stage1", "jiayuan.events", 2), 0) << "another partition";
  EXPECT_EQ(*store_->offset("projector", "jiayuan.events", 3), 0) << "another consumer";
}

TEST_F(StoreTest, AScanReadsItsPrefixInKeyOrderAndStopsWhenAsked) {
  for (const char* k : {"2024/C2", "2023/C2", "2023/C1", "2022/C9"}) put(cf::kProjGrade, k, k);
  std::vector<std::string> seen;
  ASSERT_TRUE(store_->scan(cf::kProjGrade, "2023/", [&](std::string_view k, std::string_view v) {
    EXPECT_EQ(k, v);
    seen.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"2023/C1", "2023/C2"}));
  seen.clear();
  ASSERT_TRUE(store_->scan(cf::kProjGrade, "", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 2;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"2022/C9", "2023/C1"}));
  EXPECT_EQ(*store_->first_key_from(cf::kProjGrade, "2023/C3"),
            std::optional<std::string>("2024/C2"));
  EXPECT_EQ(*store_->first_key_from(cf::kProjGrade, "2025"), std::nullopt);
}

TEST_F(StoreTest, DroppingTheProjectionsKeepsTheStateTheOutboxAndStageOnesOffsets) {
  put(cf::kProjCommunity, "C1", "{}");
  put(cf::kProjGrade, "2023/C1", "{}");
  put(cf::kApplied, "decision-1", "");
  put(cf::kStage1, "C1", "state");
  put(cf::kOutbox, "00000001", "record");
  rocksdb::WriteBatch b;
  store_->put_offset(b, Store::offset_name("stage1", "jiayuan.events", 0), 10);
  store_->put_offset(b, Store::offset_name("projector", "jiayuan.events", 0), 10);
  store_->put_offset(b, Store::offset_name("projector", "jiayuan.decisions", 0), 4);
  ASSERT_TRUE(store_->write(b));
  const std::string before = *store_->projection_digest();

  ASSERT_TRUE(store_->drop_projections());
  EXPECT_EQ(*store_->get(cf::kProjCommunity, "C1"), std::nullopt);
  EXPECT_EQ(*store_->get(cf::kProjGrade, "2023/C1"), std::nullopt);
  EXPECT_EQ(*store_->get(cf::kApplied, "decision-1"), std::nullopt) << "applied-once goes too";
  EXPECT_EQ(*store_->offset("projector", "jiayuan.events", 0), 0) << "the projector starts over";
  EXPECT_EQ(*store_->offset("projector", "jiayuan.decisions", 0), 0);
  EXPECT_EQ(*store_->get(cf::kStage1, "C1"), std::optional<std::string>("state"));
  EXPECT_EQ(*store_->get(cf::kOutbox, "00000001"), std::optional<std::string>("record"));
  EXPECT_EQ(*store_->offset("stage1", "jiayuan.events", 0), 10);
  EXPECT_NE(*store_->projection_digest(), before);
  put(cf::kProjCommunity, "C1", "{}");  // the families are there again, writable
  EXPECT_EQ(*store_->get(cf::kProjCommunity, "C1"), std::optional<std::string>("{}"));
}

TEST_F(StoreTest, TheDigestIsOfTheProjectionsOnly) {
  const std::string empty = *store_->projection_digest();
  put(cf::kStage1, "C1", "state");
  put(cf::kOffsets, "stage1/jiayuan.events/0", std::string(8, '\0'));
  EXPECT_EQ(*store_->projection_digest(), empty) << "state and offsets are not projections";
  put(cf::kProjCommunity, "C1", "{\"name\":\"a\"}");
  const std::string one = *store_->projection_digest();
  EXPECT_NE(one, empty);
  put(cf::kProjCommunity, "C1", "{\"name\":\"b\"}");
  EXPECT_NE(*store_->projection_digest(), one) << "a value's change changes the digest";
}

// A store an earlier version wrote (projections, no list lines): opened for writing, its
// projections are dropped to be built again with their lines; opened read-only, it is read as it
// is, the lines' readers reading the whole values instead (line_family).
TEST_F(StoreTest, AStoreWithoutListLinesHasItsProjectionsBuiltAgain) {
  const std::string path = dir_ / "engine";
  put(cf::kProjCommunity, "C1", "{}");
  put(cf::kStage1, "C1", "state");
  rocksdb::WriteBatch b;
  store_->put_offset(b, Store::offset_name("projector", "jiayuan.events", 0), 10);
  ASSERT_TRUE(store_->write(b));
  EXPECT_FALSE(store_->rebuilt_projections());
  store_.reset();
  {  // what an earlier version's store looks like: no line families
    rocksdb::Options options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> all;
    for (const std::string& n : names) all.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, all, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == cf::kProjCommunityLine || names[i] == cf::kProjGradeLine) {
        ASSERT_TRUE(db->DropColumnFamily(handles[i]).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  auto read_only = Store::open(path, DiskOptions{.read_only = true});
  ASSERT_TRUE(read_only) << read_only.error().message;
  EXPECT_FALSE((*read_only)->has_family(cf::kProjCommunityLine));
  EXPECT_EQ(line_family(**read_only, cf::kProjCommunity), cf::kProjCommunity);
  EXPECT_EQ(*(*read_only)->get(cf::kProjCommunity, "C1"), std::optional<std::string>("{}"));
  EXPECT_FALSE((*read_only)->rebuilt_projections());
  read_only->reset();

  auto s = Store::open(path);
  ASSERT_TRUE(s) << s.error().message;
  store_ = std::move(*s);
  EXPECT_TRUE(store_->rebuilt_projections());
  EXPECT_EQ(line_family(*store_, cf::kProjCommunity), cf::kProjCommunityLine);
  EXPECT_EQ(line_family(*store_, cf::kProjGrade), cf::kProjGradeLine);
  EXPECT_EQ(*store_->get(cf::kProjCommunity, "C1"), std::nullopt) << "built again from the log";
  EXPECT_EQ(*store_->offset("projector", "jiayuan.events", 0), 0) << "from the log's start";
  EXPECT_EQ(*store_->get(cf::kStage1, "C1"), std::optional<std::string>("state"));
}

}  // namespace
}  // namespace jiayuan
