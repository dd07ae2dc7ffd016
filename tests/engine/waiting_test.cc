// The stored form of a fact waiting for its community's registration (engine/waiting.h).
#include "engine/waiting.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/binary_codec.h"
#include "tests/support/facts.h"

namespace jiayuan {
namespace {

WaitingEntry entry(bool reported) {
  return {reported, *Date::parse("2023-03-07"), "2023-03-08T09:00:00.000+08:00",
          "jiayuan.events/0/17",
          encode_event_binary(testing::inspection("NEW1", 80, "2023-03-07", "i1"))};
}

TEST(WaitingTest, AnEntryDecodesToWhatWasEncodedWaitingOrReported) {
  for (bool reported : {false, true}) {
    auto e = decode_waiting_entry(encode_waiting_entry(entry(reported)));
    ASSERT_TRUE(e && *e);
    const WaitingEntry want = entry(reported);
    EXPECT_EQ((*e)->reported, reported);
    EXPECT_EQ((*e)->on, want.on);
    EXPECT_EQ((*e)->accepted_at, want.accepted_at);
    EXPECT_EQ((*e)->position, want.position);
    EXPECT_EQ((*e)->stored, want.stored);
    EXPECT_TRUE(decode_event_binary((*e)->stored));
  }
}

TEST(WaitingTest, TheEarlierLayoutIsToldApartAndAnythingElseIsAnError) {
  const std::string stored = entry(false).stored;
  auto earlier = decode_waiting_entry(stored);
  ASSERT_TRUE(earlier);
  EXPECT_FALSE(*earlier) << "the stored form alone: the earlier layout";
  std::string bad_flag = encode_waiting_entry(entry(false));
  bad_flag[0] = 'x';
  std::string bad_date = encode_waiting_entry(entry(false));
  bad_date[5] = '/';
  const std::string cut = encode_waiting_entry(entry(false)).substr(0, 20);
  for (const std::string& v : {bad_flag, bad_date, cut, std::string()}) {
    auto e = decode_waiting_entry(v);
    ASSERT_FALSE(e) << v;
    EXPECT_EQ(e.error().code, "bad_binary");
  }
}

TEST(WaitingTest, TheKeyIsCommunitySourceAndIdSeparatedByNul) {
  EXPECT_EQ(waiting_key("C1", "street-a", "f1"), std::string("C1\0street-a\0f1", 14));
  const std::string key = waiting_key("C1", "street-a", "f1");
  const std::optional<WaitingKey> parts = split_waiting_key(key);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->community, "C1");
  EXPECT_EQ(parts->source, "street-a");
  EXPECT_EQ(parts->id, "f1");
  EXPECT_FALSE(split_waiting_key(std::string("C1\0street-a", 11)));
  EXPECT_FALSE(split_waiting_key("C1"));
}

}  // namespace
}  // namespace jiayuan
