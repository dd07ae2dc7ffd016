// The tape reader and the canonical writers against nlohmann::json, the library they replace on
// the hot path: the same texts accepted and refused, the same values read, the same bytes
// written (content identity is SHA-256 over those bytes, so one byte of difference would make
// every fact of an existing log look new).
#include "events/internal/json_tape.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "events/json_codec.h"
#include "tests/support/facts.h"

namespace jiayuan::internal {
namespace {

using json = nlohmann::json;

// The tape's values as nlohmann would hold them, to compare the two readings of one text.
json to_nlohmann(const JsonTape& tape, uint32_t i) {
  const JsonTape::Value& v = tape.at(i);
  switch (v.kind) {
    case JsonTape::Kind::kNull:
      return nullptr;
    case JsonTape::Kind::kTrue:
      return true;
    case JsonTape::Kind::kFalse:
      return false;
    case JsonTape::Kind::kString:
      return std::string(v.text);
    case JsonTape::Kind::kInteger:
    case JsonTape::Kind::kNumber:
      return json::parse(v.text);
    case JsonTape::Kind::kArray: {
      json a = json::array();
      for (uint32_t e = i + 1; e < v.end; e = tape.at(e).end) a.push_back(to_nlohmann(tape, e));
      return a;
    }
    case JsonTape::Kind::kObject: {
      json o = json::object();
      for (uint32_t k = tape.first_member(i); k != 0; k = tape.next_member(i, k))
        o[std::string(tape.at(k).text)] = to_nlohmann(tape, k + 1);
      return o;
    }
  }
  return nullptr;
}

const char* const kTexts[] = {
    R"({})", R"([])", R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})", R"(  {"a" : 1 }  )",
    "\xEF\xBB\xBF{\"bom\":1}", R"("just a string")", R"(-0)", R"(0.5)", R"(-12.50e+3)", R"(1E-2)",
    R"({"esc":"\"\\\/\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00\u0000"})", R"({"a":1,"a":2})",
    R"([[[[[[1]]]]]])", R"({"k":"中文 text"})", R"(12345678901234567890)", "{\"a\":1}\n\n",
    // refused by both
    "", " ", "{", "}", "[1,]", R"({"a":1,})", R"({"a" 1})", R"({a:1})", "01", "1.", ".5", "+1", "-",
    "1e", "1e+", "tru", "nul", "[1 2]", R"({"a":1}x)", R"({"a":1} {})", R"("unclosed)",
    "\"raw\ttab\"", R"("\x")", R"("\u12")", R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")",
    "// c\n{}", "[1]]", "NaN", "Infinity", "[-]"};

TEST(JsonTape, AcceptsAndRefusesWhatNlohmannDoesAndReadsTheSameValues) {
  JsonTape tape;  // one tape for every text: its buffers are reused
  for (const char* text : kTexts) {
    const json theirs = json::parse(text, nullptr, false);
    const Status ours = tape.parse(text);
    ASSERT_EQ(static_cast<bool>(ours), !theirs.is_discarded())
        << text << ": " << (ours ? "" : ours.error().message);
    if (!ours) {
      EXPECT_EQ(ours.error().code, "bad_json");
      EXPECT_NE(ours.error().message.find("at byte"), std::string::npos) << ours.error().message;
      continue;
    }
    EXPECT_EQ(to_nlohmann(tape, 0), theirs) << text;
  }
}

// nlohmann stops at a NUL byte as at the end of the text, so it reads "1\0garbage" as 1; a raw
// NUL is nowhere valid JSON, and the tape refuses it.
TEST(JsonTape, ARawNulByteIsRefusedWhereNlohmannWouldStopReadingAtIt) {
  JsonTape tape;
  const std::string text("{\"a\":1}\0{\"b\"", 12);
  EXPECT_FALSE(json::parse(text, nullptr, false).is_discarded());
  const Status s = tape.parse(text);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("at byte 7"), std::string::npos) << s.error().message;
}

TEST(JsonTape, ARepeatedKeyReadsAsItsLastValue) {
  JsonTape tape;
  ASSERT_TRUE(tape.parse(R"({"a":1,"b":2,"a":3})"));
  EXPECT_EQ(tape.at(tape.find(0, "a")).text, "3");
  EXPECT_EQ(tape.at(tape.find(0, "b")).text, "2");
  EXPECT_EQ(tape.find(0, "c"), 0u);
}

TEST(JsonTape, RefusesNestingDeeperThanSixtyFourWithoutRecursingFurther) {
  JsonTape tape;
  EXPECT_TRUE(tape.parse(std::string(64, '[') + std::string(64, ']')));
  const Status deep = tape.parse(std::string(100000, '['));
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("at most 64 levels"), std::string::npos);
}

TEST(JsonWriters, StringsAreEscapedAsNlohmannDumpsThem) {
  std::string every_byte_below_128;
  for (int c = 0; c < 128; ++c) every_byte_below_128 += static_cast<char>(c);
  for (const std::string& s : {every_byte_below_128, std::string("中文 ☃ 😀"), std::string()}) {
    std::string ours;
    append_json_string(ours, s);
    EXPECT_EQ(ours, json(s).dump());
  }
}

TEST(JsonWriters, HundredthsAreWrittenAsNlohmannDumpsTheDouble) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> values = {
      0, 1, 5, 10, 99, 100, 101, 8650, 8657, -1, -310, 10000, 99999999999999, -99999999999999};
  for (int i = 0; i < 20000; ++i) {
    const int64_t range = i % 2 ? 100000 : 100000000000000;
    values.push_back(static_cast<int64_t>(rng() % (2 * range)) - range);
  }
  for (int64_t h : values) {
    std::string ours;
    append_json_centi(ours, h);
    ASSERT_EQ(ours, json(static_cast<double>(h) / 100.0).dump()) << h;
  }
}

// Canonical: what nlohmann makes of the text is the text again, and the values are the fact's.
TEST(JsonWriters, EveryFactTypesJsonIsTheBytesNlohmannWouldWrite) {
  for (const Event& e : testing::one_of_each()) {
    for (const std::string& text : {encode_event_json(e), encode_fact_data_json(e.fact)}) {
      EXPECT_EQ(json::parse(text).dump(), text);
    }
    auto back = decode_event_json(encode_event_json(e));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(encode_fact_data_json(back->fact), encode_fact_data_json(e.fact));
  }
}

}  // namespace
}  // namespace jiayuan::internal
