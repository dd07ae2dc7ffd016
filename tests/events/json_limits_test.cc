#include "events/json_limits.h"

#include <gtest/gtest.h>

#include "events/json_codec.h"

namespace jiayuan {
namespace {

std::string survey(const std::string& satisfaction, const std::string& id = "x") {
  return R"({"specversion":"1.0","id":")" + id +
         R"(","source":"bureau","type":"jiayuan.survey","occurred":"2023-05-01","data":{"community":"C1","satisfaction":)" +
         satisfaction + R"(,"respondents":10}})";
}

TEST(JsonLimits, ANestingBombOfAHundredThousandArraysIsRefusedAtTheLimit) {
  const std::string bomb = std::string(100000, '[') + std::string(100000, ']');
  auto s = check_json(bomb, JsonLimits{}, "body");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "too_deep");
  EXPECT_NE(s.error().message.find("expected at most 16 levels of nested arrays and objects"),
            std::string::npos)
      << s.error().message;
  // The decoder says the same of an event whose data is a bomb, and does not crash.
  auto e = decode_event_json(R"({"specversion":"1.0","id":"x","data":)" + bomb + "}");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, "too_deep");
}

TEST(JsonLimits, SixteenLevelsPassSeventeenDoNot) {
  EXPECT_TRUE(check_json(std::string(16, '[') + std::string(16, ']'), JsonLimits{}));
  EXPECT_FALSE(check_json(std::string(17, '[') + std::string(17, ']'), JsonLimits{}));
  // Brackets inside strings are text, not nesting.
  EXPECT_TRUE(check_json(R"({"a":")" + std::string(100, '[') + R"("})", JsonLimits{}));
}

TEST(JsonLimits, BytesThatAreNotUtf8AreRefusedWithWhereTheyAre) {
  for (const std::string& bad : {std::string("{\"a\":\"\xff\"}"),              // never valid
                                 std::string("{\"a\":\"\xc0\xae\"}"),          // overlong "."
                                 std::string("{\"a\":\"\xed\xa0\x80\"}"),      // a surrogate
                                 std::string("{\"a\":\"\xf4\x90\x80\x80\"}"),  // above U+10FFFF
                                 std::string("{\"a\":\"\xe4\xb8\"}")}) {       // cut short
    auto s = check_json(bad, JsonLimits{});
    ASSERT_FALSE(s) << printable(bad);
    EXPECT_EQ(s.error().code, "not_utf8");
    EXPECT_NE(s.error().message.find("at byte 6"), std::string::npos) << s.error().message;
  }
  EXPECT_TRUE(check_json("{\"name\":\"云江公寓 \xf0\x9f\x8f\xa0\"}", JsonLimits{}));
}

TEST(JsonLimits, LongStringsAndNumbersAreRefusedNamingTheField) {
  JsonLimits limits;
  limits.max_string_bytes = 10;
  auto s = check_json(R"({"data":{"name":"01234567890"}})", limits);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "too_long");
  EXPECT_NE(
      s.error().message.find("data.name: expected a string of at most 10 bytes, got 11 bytes"),
      std::string::npos)
      << s.error().message;
  auto n = check_json(R"({"n":)" + std::string(50, '1') + "}", JsonLimits{});
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, "too_long");
}

TEST(JsonLimits, NumbersWithMoreThanTwoDecimalsAreRefusedExactly) {
  for (const char* bad : {"80.0000000000000000000000000001", "99.999999999999999999", "1e-400",
                          "80.001", "8.0001e1"}) {
    auto e = decode_event_json(survey(bad));
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, "bad_number") << bad;
    EXPECT_EQ(e.error().message,
              "data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got " +
                  std::string(bad));
  }
  for (const char* good : {"80", "80.1", "80.10", "80.100", "8.01e1", "8010e-2", "0.5e2"}) {
    auto e = decode_event_json(survey(good));
    EXPECT_TRUE(e) << good << ": " << (e ? "" : e.error().message);
  }
}

TEST(JsonLimits, IdsWithControlCharactersAreRefused) {
  auto e = decode_event_json(survey("80", "ab\\u0001c"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, "bad_id");
  EXPECT_NE(
      e.error().message.find(R"(id: expected an id without control characters, got "ab\u0001c")"),
      std::string::npos)
      << e.error().message;
  auto nul = decode_event_json(survey("80", std::string("\\u0000bad")));
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, "bad_id");
}

TEST(Printable, ShowsAnyBytesSafely) {
  EXPECT_EQ(printable("ok 云"), "ok 云");
  EXPECT_EQ(printable(std::string("\xff\xfe\x00"
                                  "bad",
                                  6)),
            "\\xff\\xfe\\u0000bad");
  EXPECT_EQ(printable(std::string(100, 'a'), 10), std::string(10, 'a') + "...");
}

}  // namespace
}  // namespace jiayuan
