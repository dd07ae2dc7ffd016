// How an inbox message becomes intake input (pure; no broker needed).
#include "connectors/kafka_intake.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace jiayuan {
namespace {

Record binary(std::string value, std::vector<Header> extra = {}) {
  Record r{"SJ00001",
           std::move(value),
           {{"ce_specversion", "1.0"},
            {"ce_id", "spot-1"},
            {"ce_type", "jiayuan.spot.check"},
            {"ce_occurred", "2023-05-04"},
            {"ce_schemaversion", "1"}}};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

TEST(InboxInput, BinaryModeTakesTheEnvelopeFromCeHeadersAndTheSourceFromTheInbox) {
  auto in = inbox_input(binary(R"({"community":"SJ00001","passed":true})"), "bureau",
                        "inbox.bureau[0]@7");
  ASSERT_TRUE(in) << in.error().message;
  const auto env = nlohmann::json::parse(in->bytes);
  EXPECT_EQ(env["id"], "spot-1");
  EXPECT_EQ(env["type"], "jiayuan.spot.check");
  EXPECT_EQ(env["occurred"], "2023-05-04");
  EXPECT_EQ(env["schemaversion"], 1);
  EXPECT_EQ(env["source"], "bureau");
  EXPECT_EQ(env["data"]["passed"], true);
  EXPECT_EQ(in->proven_source->value, "bureau");
  EXPECT_EQ(in->origin, "inbox.bureau[0]@7");
}

TEST(InboxInput, ASenderWrittenSourceIsKeptSoIntakeCanRefuseIt) {
  auto in =
      inbox_input(binary(R"({"community":"SJ00001","passed":true})", {{"ce_source", "hotline"}}),
                  "bureau", "o");
  ASSERT_TRUE(in);
  EXPECT_EQ(nlohmann::json::parse(in->bytes)["source"], "hotline");
  EXPECT_EQ(in->proven_source->value, "bureau");  // the inbox decides; intake rejects the mismatch
}

TEST(InboxInput, BinaryModeDataThatIsNotJsonIsRefusedWithTheReason) {
  auto in = inbox_input(binary("passed=yes"), "bureau", "o");
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().code, "bad_json");
  EXPECT_NE(in.error().message.find("data: expected the fact's data as JSON"), std::string::npos)
      << in.error().message;
  EXPECT_NE(in.error().message.find("\"passed=yes\""), std::string::npos) << in.error().message;
}

TEST(InboxInput, StructuredModePassesTheValueThroughUntouched) {
  const std::string value = R"({"specversion":"1.0","id":"x","type":"jiayuan.spot.check"})";
  auto in = inbox_input(Record{"k", value, {{"content-type", "application/cloudevents+json"}}},
                        "bureau", "o");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, value);
}

TEST(InboxInput, HeadersThatAreNotUtf8OrTooManyAreRefusedNamingTheHeader) {
  auto id = inbox_input(
      binary(R"({"community":"SJ00001","passed":true})", {{"ce_id", std::string("\xff\xfe\x00"
                                                                                "bad",
                                                                                6)}}),
      "bureau", "o");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, "bad_header");
  EXPECT_NE(
      id.error().message.find(
          R"(header ce_id: expected UTF-8 text of at most 4096 bytes, got "\xff\xfe\u0000bad")"),
      std::string::npos)
      << id.error().message;
  auto occurred = inbox_input(binary("{}", {{"ce_occurred", "2024-07-01\xff"}}), "bureau", "o");
  ASSERT_FALSE(occurred);
  EXPECT_EQ(occurred.error().code, "bad_header");
  std::vector<Header> many;
  for (int i = 0; i < 70; ++i) many.push_back({"x-" + std::to_string(i), "1"});
  auto crowded = inbox_input(binary("{}", many), "bureau", "o");
  ASSERT_FALSE(crowded);
  EXPECT_EQ(crowded.error().code, "too_many_headers");
  // A header of the sender's own (not ce_*) may hold any bytes: it is never read.
  EXPECT_TRUE(inbox_input(binary(R"({"community":"SJ00001","passed":true})", {{"x-trace", "\xff"}}),
                          "bureau", "o"));
}

TEST(InboxInput, ANestingBombInBinaryModeDataIsRefusedBeforeParsing) {
  auto in = inbox_input(binary(std::string(100000, '[') + std::string(100000, ']')), "bureau", "o");
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().code, "too_deep");
  EXPECT_NE(in.error().message.find("data: expected at most 15 levels"), std::string::npos)
      << in.error().message;
}

}  // namespace
}  // namespace jiayuan
