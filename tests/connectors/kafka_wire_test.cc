// The JSON form of jiayuan.events and jiayuan.decisions on Kafka (connectors/kafka_wire.h): every
// record of a generated year (every fact type the generator writes, retractions, every decision
// kind it takes) goes out as JSON any client reads and comes back as the bytes the engine stored.
#include "connectors/kafka_wire.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "connectors/embedded_log.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "events/binary_codec.h"
#include "events/decision_json.h"
#include "events/sha256.h"
#include "projections/store.h"
#include "tests/support/config.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using nlohmann::json;

class KafkaWire : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::shipped_config();
    auto log = EmbeddedLog::open(dir_ / "log", {});
    ASSERT_TRUE(log) << log.error().message;
    log_ = std::move(*log);
    GeneratorOptions g;
    g.communities = 60;
    g.streets = 3;
    g.seed = 17;
    std::vector<IntakeInput> in;
    ASSERT_TRUE(generate_district(g, config_, [&](const std::string& l) {
      in.push_back({l, "gen", std::nullopt});
    }));
    auto intake = Intake::open(*log_, config_);
    ASSERT_TRUE(intake);
    ASSERT_TRUE((*intake)->submit(in));
    ASSERT_TRUE(append_ticks(*log_, *Date::parse("2024-06-30"), 1719700000000));
    auto store = Store::open(dir_ / "engine");
    ASSERT_TRUE(store);
    std::atomic<bool> stop{false};
    ASSERT_TRUE(run_engine(*log_, **store, config_, {}, stop));
  }

  std::vector<Record> all(std::string_view topic) {
    std::vector<Record> out;
    for (int32_t p = 0; p < log_->partition_count(topic); ++p) {
      auto got = log_->read(topic, p, 0, 1'000'000);
      EXPECT_TRUE(got);
      for (LogEntry& e : *got) out.push_back(std::move(e.record));
    }
    return out;
  }

  testing::TempDir dir_;
  Config config_;
  std::unique_ptr<EmbeddedLog> log_;
};

TEST_F(KafkaWire, EveryFactGoesOutAsJsonDataWithItsEnvelopeInHeadersAndComesBackByteForByte) {
  std::set<std::string> types;
  size_t retractions = 0;
  for (const Record& stored : all(topics::kEvents)) {
    const Record wire = to_wire(topics::kEvents, stored);
    EXPECT_EQ(wire.header("content-type"), "application/json");
    const json data = json::parse(wire.value, nullptr, false);
    ASSERT_TRUE(data.is_object()) << wire.value;
    EXPECT_EQ(wire.header("ce_type"), stored.header("ce_type"));
    EXPECT_FALSE(wire.header("ce_id").empty());
    EXPECT_FALSE(wire.header("jiayuan_accepted_at").empty());
    if (!wire.header("jiayuan_retracts").empty()) {
      ++retractions;
      EXPECT_TRUE(json::parse(wire.header("jiayuan_retracts"), nullptr, false).is_object());
    }
    types.insert(std::string(wire.header("ce_type")));
    const Record back = from_wire(topics::kEvents, wire);
    EXPECT_EQ(back.value, stored.value) << wire.header("ce_id");
    EXPECT_EQ(back.headers, stored.headers) << wire.header("ce_id");
  }
  EXPECT_GE(types.size(), 15u);
  EXPECT_GT(retractions, 0u);
}

TEST_F(KafkaWire, EveryDecisionGoesOutAsACloudEventWhoseHashAnyProgramRecomputesFromTheRecord) {
  std::set<std::string> kinds;
  for (const Record& stored : all(topics::kDecisions)) {
    const Record wire = to_wire(topics::kDecisions, stored);
    EXPECT_EQ(wire.header("content-type"), "application/json");
    EXPECT_EQ(wire.header("ce_specversion"), "1.0");
    const json body = json::parse(wire.value, nullptr, false);
    ASSERT_TRUE(body.is_object()) << wire.value;
    EXPECT_EQ(wire.header("ce_id"), body["id"].get<std::string>());
    EXPECT_EQ(wire.header("ce_type"), decision_event_type(body["kind"].get<std::string>()));
    EXPECT_EQ(body["format"], kDecisionFormat);
    // The chain link, from the record alone: the hash is SHA-256 of the value.
    EXPECT_EQ(sha256_hex(wire.value), wire.header("ce_jiayuanhash"));
    kinds.insert(body["kind"].get<std::string>());
    const Record back = from_wire(topics::kDecisions, wire);
    EXPECT_EQ(back.value, stored.value) << wire.header("ce_id");
    EXPECT_EQ(back.headers, stored.headers);
    EXPECT_EQ(back.key, stored.key);
  }
  EXPECT_TRUE(kinds.contains("community.rated"));
  EXPECT_TRUE(kinds.contains("community.published"));
  EXPECT_TRUE(kinds.contains("case.opened"));
}

// Checked by an independent validator (Python's jsonschema) against events/schema/decisions/.
TEST_F(KafkaWire, EveryDecisionValidatesAgainstTheSchemaOfItsKindAndBrokenOnesDoNot) {
  std::ofstream good(dir_ / "good.ndjson"), bad(dir_ / "bad.ndjson");
  size_t n = 0;
  for (const Record& stored : all(topics::kDecisions)) {
    const Record wire = to_wire(topics::kDecisions, stored);
    good << wire.value << "\n";
    if (n++ % 50 != 0) continue;
    json broken = json::parse(wire.value);
    broken["body"]["year"] = "2023";
    bad << broken.dump() << "\n";
    broken = json::parse(wire.value);
    broken["body"].erase("community");
    bad << broken.dump() << "\n";
    broken = json::parse(wire.value);
    broken["surprise"] = 1;
    bad << broken.dump() << "\n";
  }
  good.close();
  bad.close();
  const std::string report = dir_ / "report.txt";
  const std::string cmd = "/usr/bin/python3 " + std::string(JIAYUAN_SOURCE_DIR) +
                          "/tests/events/validate_schema.py --decisions " +
                          std::string(JIAYUAN_SOURCE_DIR) + "/events/schema/decisions " +
                          (dir_ / "good.ndjson") + " " + (dir_ / "bad.ndjson") + " > " + report +
                          " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(report);
  std::ostringstream os;
  os << in.rdbuf();
  EXPECT_EQ(rc, 0) << os.str();
  EXPECT_NE(os.str().find("10 schemas; 0 disagreements"), std::string::npos) << os.str();
  EXPECT_GT(n, 50u);
}

TEST_F(KafkaWire, RecordsInTheBinaryFormOfEarlierBuildsAndOtherTopicsPassUnchanged) {
  const std::vector<Record> decisions = all(topics::kDecisions);
  ASSERT_FALSE(decisions.empty());
  // A decision an earlier build relayed in its binary form reads as it is.
  EXPECT_EQ(from_wire(topics::kDecisions, decisions.front()), decisions.front());
  const Record letter{"k", "not json", {{"jiayuan.errors.reason", "why"}}};
  EXPECT_EQ(to_wire(topics::kDeadLetter, letter), letter);
  EXPECT_EQ(from_wire(topics::kDeadLetter, letter), letter);
  // JSON that is not a decision comes back as it came: its reader refuses it, naming why.
  Record forged = to_wire(topics::kDecisions, decisions.front());
  forged.value = "{\"format\":5}";
  EXPECT_EQ(from_wire(topics::kDecisions, forged).value, forged.value);
  EXPECT_FALSE(decode_decision_binary(from_wire(topics::kDecisions, forged).value));
}

}  // namespace
}  // namespace jiayuan
