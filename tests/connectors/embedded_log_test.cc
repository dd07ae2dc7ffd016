#include "connectors/embedded_log.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <functional>
#include <map>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace jiayuan {

// Found by cereal through ADL: the layout the log's stored form keeps.
template <class A>
void serialize(A& ar, Header& h) {
  ar(h.key, h.value);
}

namespace {

Record rec(const std::string& key, const std::string& value) {
  return Record{key, value, {{"h", "v-" + value}}};
}

// Format 1 of the stored form, what logs written before 2026-12 hold: cereal's portable binary.
std::string cereal_bytes(Record r, cereal::PortableBinaryOutputArchive::Options options =
                                       cereal::PortableBinaryOutputArchive::Options::Default()) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os, options);
    ar(r.key, r.value, r.headers);
  }
  return std::move(os).str();
}

TEST(StoredRecord, Format1CerealsPortableBinaryStillReadsBothWays) {
  const Record r{
      "SJ00001", std::string("\0bin\xff", 5), {{"ce_type", "jiayuan.inspection"}, {"empty", ""}}};
  auto back = decode_record(cereal_bytes(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, r);
  // Written on a big-endian machine: the first byte says so and the lengths are big-endian.
  auto big =
      decode_record(cereal_bytes(r, cereal::PortableBinaryOutputArchive::Options::BigEndian()));
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(*big, r);
  auto type = stored_record_header(cereal_bytes(r), "ce_type");
  ASSERT_TRUE(type);
  EXPECT_EQ(*type, "jiayuan.inspection");
  EXPECT_EQ(*stored_record_header(cereal_bytes(r), "ce_id"), "");
}

// Format 2, what the log writes now: every way a header can be stored comes back as it was.
TEST(StoredRecord, Format2KeepsEveryHeaderExactlyAndIsSmaller) {
  const std::string hash(64, 'a');
  const Record r{"SJ00001",
                 std::string("\0bin\xff", 5),
                 {{"ce_specversion", "1.0"},                      // known key, known value
                  {"ce_subject", "SJ00001"},                      // the record's key
                  {"jiayuan_content_hash", hash + "0123456789"},  // lowercase hex, as bytes
                  {"ce_id", "ABCDEF"},                            // upper case: kept as text
                  {"ce_time", "abc"},                             // odd length: kept as text
                  {"x-own", std::string("\xe5\xae\xb6\0", 4)},    // a key of its own, binary
                  {"ce_source", ""},
                  {"ce_schemaversion", "1"},
                  {"ce_subject", "SJ00001"}}};
  const std::string stored = encode_record(r);
  EXPECT_EQ(stored[0], 2);
  auto back = decode_record(stored);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, r);
  EXPECT_LT(stored.size() * 2, cereal_bytes(r).size());
  for (const Header& h : r.headers) {
    auto v = stored_record_header(stored, h.key);
    ASSERT_TRUE(v) << h.key;
    EXPECT_EQ(*v, r.header(h.key)) << h.key;
  }
  EXPECT_EQ(*stored_record_header(stored, "absent"), "");
  // A tag that says two things at once, or names a key no table holds, is corrupt.
  std::string bad = encode_record(Record{"k", "v", {{"ce_type", "t"}}});
  bad[bad.size() - 3] = static_cast<char>(0x64);  // value known and value is key
  EXPECT_FALSE(decode_record(bad));
  bad[bad.size() - 3] = static_cast<char>(0x1f);  // key 31: no such known key
  EXPECT_FALSE(decode_record(bad));
}

TEST(StoredRecord, EveryTruncationIsACorruptRecordNotACrash) {
  const std::string bytes =
      encode_record(Record{"SJ1", "value", {{"ce_type", "t"}, {"ce_id", "x"}}});
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode_record(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, "bad_binary");
    EXPECT_TRUE(r.error().message.starts_with("corrupt stored record: ")) << r.error().message;
  }
  auto longer = decode_record(bytes + "x");
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error().message, "corrupt stored record: bytes after the last header");
  std::string huge = bytes;
  huge[1] = '\x7f';  // a key length far past the end
  EXPECT_FALSE(decode_record(huge));
  EXPECT_FALSE(stored_record_header(huge, "ce_type"));
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

// read_into gives what read gives, whatever the vector held before: longer or shorter strings,
// more or fewer headers, more or fewer entries than this read has.
TEST(EmbeddedLog, ReadIntoGivesWhatReadGivesWhateverTheVectorHeld) {
  testing::TempDir dir;
  auto log = EmbeddedLog::open(dir / "log");
  ASSERT_TRUE(log) << log.error().message;
  std::vector<Record> batch;
  for (int i = 0; i < 40; ++i) {
    Record r{"key-" + std::to_string(i % 3), std::string(static_cast<size_t>(i * 7 % 50), 'v'), {}};
    for (int h = 0; h < i % 5; ++h)
      r.headers.push_back({"ce_type", "jiayuan.header-" + std::to_string(i + h)});
    if (i % 4 == 0) r.headers.push_back({"jiayuan.content_sha256", std::string(64, 'a')});
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*log)->append("t", batch));
  std::vector<LogEntry> into;
  LogEntry big;
  big.position = {9, 99};
  big.record = Record{std::string(100, 'k'), std::string(500, 'x'),
                      std::vector<Header>(9, Header{std::string(40, 'h'), std::string(40, 'w')})};
  big.record.partition = 3;
  into.assign(25, big);
  size_t stubs = 0;
  for (const auto& [from, max] : std::vector<std::pair<int64_t, size_t>>{
           {0, 10}, {5, 30}, {0, 40}, {30, 5}, {3, 17}, {38, 10}, {40, 10}}) {
    // Whole, and with every third type refused (stubs among whole records).
    for (const TypeFilter wanted : {TypeFilter{nullptr}, TypeFilter{[](std::string_view type) {
                                      return !type.ends_with("3") && !type.ends_with("6");
                                    }}}) {
      auto want =
          wanted ? (*log)->read("t", 0, from, max, wanted) : (*log)->read("t", 0, from, max);
      ASSERT_TRUE(want);
      ASSERT_TRUE((*log)->read_into("t", 0, from, max, into, wanted)) << from;
      ASSERT_EQ(into.size(), want->size()) << from;
      for (size_t i = 0; i < into.size(); ++i) {
        EXPECT_EQ(into[i].record, (*want)[i].record) << from << " " << i;
        EXPECT_EQ(into[i].record.partition, -1);
        EXPECT_EQ(into[i].position.partition, 0);
        EXPECT_EQ(into[i].position.offset, (*want)[i].position.offset);
      }
      stubs += static_cast<size_t>(std::count_if(into.begin(), into.end(), [](const LogEntry& e) {
        return e.record.key.empty() && e.record.headers.size() == 1;
      }));
    }
  }
  EXPECT_GT(stubs, 5u) << "the filter refused some records";
  EXPECT_TRUE(into.empty()) << "the last read was past the end";
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

// A log keeps the partition counts it was created with, whatever a later open asks for: its
// records stay where its keys put them.
TEST(EmbeddedLog, ALogKeepsThePartitionCountsItWasCreatedWith) {
  testing::TempDir dir;
  {
    auto log = EmbeddedLog::open(dir / "log", {{"t", 4}});
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->append("t", std::vector<Record>{rec("k3", "1")}));
  }
  for (const std::map<std::string, int32_t>& asked :
       {std::map<std::string, int32_t>{}, {{"t", 6}, {"u", 2}}}) {
    auto log = EmbeddedLog::open(dir / "log", asked);
    ASSERT_TRUE(log) << log.error().message;
    EXPECT_EQ((*log)->partition_count("t"), 4);
    EXPECT_EQ((*log)->partition_count("u"), 1) << "not in the log's counts: one partition";
  }
  DiskOptions read_only;
  read_only.read_only = true;
  auto reader = EmbeddedLog::open(dir / "log", {}, read_only);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ((*reader)->partition_count("t"), 4);
  auto follower = EmbeddedLog::open_secondary(dir / "log", dir / "follower");
  ASSERT_TRUE(follower) << follower.error().message;
  EXPECT_EQ((*follower)->partition_count("t"), 4);
  // The count is no record: every record of the topic is read back, and only them.
  size_t records = 0;
  for (int32_t p = 0; p < 4; ++p) records += (*reader)->read("t", p, 0, 100)->size();
  EXPECT_EQ(records, 1u);
}

// A log written before logs kept their counts was written with one partition a topic (every
// `jiayuan` command opened it so): it is read so whatever is asked, and from then on says so.
// A damaged record of the counts is an error naming the log, never a guess.
TEST(EmbeddedLog, ALogWrittenBeforeItKeptItsCountsHasOnePartitionATopic) {
  testing::TempDir dir;
  const std::string layout_key("\0layout", 7);
  {
    auto log = EmbeddedLog::open(dir / "log", {{"t", 4}});
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->append("t", std::vector<Record>{rec("a", "1"), rec("b", "2")}));
  }
  auto raw = [&](const std::function<void(rocksdb::DB&)>& with) {
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir / "log", &db).ok());
    with(*db);
    delete db;
  };
  std::string layout;
  raw([&](rocksdb::DB& db) {
    ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), layout_key, &layout).ok());
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), layout_key).ok());  // as an earlier one
  });
  EXPECT_EQ(layout, "t 4\n");
  {
    auto log = EmbeddedLog::open(dir / "log", {{"t", 4}});
    ASSERT_TRUE(log) << log.error().message;
    EXPECT_EQ((*log)->partition_count("t"), 1);
  }
  raw([&](rocksdb::DB& db) {
    EXPECT_TRUE(db.Get(rocksdb::ReadOptions(), layout_key, &layout).ok());
    EXPECT_EQ(layout, "") << "recorded: no topic of more than one partition";
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), layout_key, "t four\n").ok());
  });
  auto damaged = EmbeddedLog::open(dir / "log", {{"t", 4}});
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, "bad_binary");
  EXPECT_NE(damaged.error().message.find(dir / "log"), std::string::npos)
      << damaged.error().message;
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
