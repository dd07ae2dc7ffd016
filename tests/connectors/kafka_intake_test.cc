// How an inbox message becomes intake input (pure; no broker needed).
#include "connectors/kafka_intake.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace jiayuan {
namespace {

Record binary(std::string value, std::vector<Header> extra = {}) {
  Record r{"SJ00001", std::move(value),
           {{"ce_specversion", "1.0"}, {"ce_id", "spot-1"}, {"ce_type", "jiayuan.spot.check"},
            {"ce_occurred", "2023-05-04"}, {"ce_schemaversion", "1"}}};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

TEST(InboxInput, BinaryModeTakesTheEnvelopeFromCeHeadersAndTheSourceFromTheInbox) {
  auto in = inbox_input(binary(R"({"community":"SJ00001","passed":true})"), "bureau", "inbox.bureau[0]@7");
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
  auto in = inbox_input(binary(R"({"community":"SJ00001","passed":true})", {{"ce_source", "hotline"}}), "bureau", "o");
  ASSERT_TRUE(in);
  EXPECT_EQ(nlohmann::json::parse(in->bytes)["source"], "hotline");
  EXPECT_EQ(in->proven_source->value, "bureau");  // the inbox decides; intake rejects the mismatch
}

TEST(InboxInput, BinaryModeDataThatIsNotJsonIsRefusedWithTheReason) {
  auto in = inbox_input(binary("passed=yes"), "bureau", "o");
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().code, "bad_json");
  EXPECT_NE(in.error().message.find("data: expected the fact's data as JSON"), std::string::npos) << in.error().message;
  EXPECT_NE(in.error().message.find("\"passed=yes\""), std::string::npos) << in.error().message;
}

TEST(InboxInput, StructuredModePassesTheValueThroughUntouched) {
  const std::string value = R"({"specversion":"1.0","id":"x","type":"jiayuan.spot.check"})";
  auto in = inbox_input(Record{"k", value, {{"content-type", "application/cloudevents+json"}}}, "bureau", "o");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, value);
}

}  // namespace
}  // namespace jiayuan
