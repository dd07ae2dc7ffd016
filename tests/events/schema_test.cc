// The published JSON Schemas and the C++ codec cannot drift: the committed files are what the
// code generates, the schemas accept everything the encoder writes, and they reject the
// invalid cases the decoder rejects (checked with Python's jsonschema, an independent validator).
#include "events/schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "events/decision_json.h"
#include "events/json_codec.h"
#include "tests/support/facts.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

const std::string kSchemaDir = std::string(JIAYUAN_SOURCE_DIR) + "/events/schema";

TEST(Schema, CommittedSchemasAreWhatTheCodeGenerates) {
  for (const FactTypeInfo& t : fact_types()) {
    std::ifstream in(kSchemaDir + "/" + std::string(t.name) + ".json");
    ASSERT_TRUE(in) << t.name << ": missing; run `jiayuan schema`";
    std::ostringstream os;
    os << in.rdbuf();
    EXPECT_EQ(os.str(), json_schema(t)) << t.name << ": stale; run `jiayuan schema`";
  }
}

TEST(Schema, CommittedDecisionSchemasAreWhatTheCodeGenerates) {
  EXPECT_EQ(decision_kinds().size(), 10u);
  for (const std::string& kind : decision_kinds()) {
    std::ifstream in(kSchemaDir + "/decisions/" + kind + ".json");
    ASSERT_TRUE(in) << kind << ": missing; run `jiayuan schema`";
    std::ostringstream os;
    os << in.rdbuf();
    EXPECT_EQ(os.str(), decision_json_schema(kind)) << kind << ": stale; run `jiayuan schema`";
  }
  EXPECT_EQ(decision_json_schema("case.lost"), "");
}

std::string with_data(const std::string& type, const std::string& data) {
  return R"({"specversion":"1.0","id":"x","source":"bureau","type":")" + type +
         R"(","occurred":"2023-05-01","data":)" + data + "}";
}

TEST(Schema, SchemasAcceptWhatTheEncoderWritesAndRejectWhatTheDecoderRejects) {
  testing::TempDir dir;
  {
    std::ofstream good(dir / "good.ndjson");
    for (const Event& e : testing::one_of_each()) good << encode_event_json(e) << "\n";
  }
  const std::string scores =
      R"("basic_management":80,"cleaning":80,"security_patrol":80,"order":80,"greening":80,"equipment":80)";
  const std::vector<std::string> bad = {
      R"({"specversion":"0.3","id":"x","source":"b","type":"jiayuan.petition","occurred":"2023-05-01","data":{"community":"C","substantiated":true}})",
      R"({"specversion":"1.0","source":"b","type":"jiayuan.petition","occurred":"2023-05-01","data":{"community":"C","substantiated":true}})",
      R"({"specversion":"1.0","id":"x","source":"b","type":"jiayuan.petition","data":{"community":"C","substantiated":true}})",
      with_data("jiayuan.petition", R"({"community":"C","substantiated":"yes"})"),
      with_data("jiayuan.petition", R"({"community":"C"})"),
      with_data("jiayuan.petition", R"({"community":"C","substantiated":true,"colour":1})"),
      with_data("jiayuan.survey", R"({"community":"C","satisfaction":130,"respondents":1})"),
      with_data("jiayuan.inspection", R"({"community":"C","scores":{"cleaning":80}})"),
      with_data("jiayuan.inspection",
                R"({"community":"C","scores":{)" + scores + R"(,"parking":1}})"),
      with_data("jiayuan.finding", R"({"community":"C","kind":"noise","severity":"minor"})"),
      with_data("jiayuan.credit.points", R"({"community":"C","company":"K","points":0})"),
      with_data(
          "jiayuan.community.registered",
          R"({"community":"C","name":"n","street":"s","households":1,"fee":2,"enclosure":"open","category":"mixed"})"),
      with_data("jiayuan.nope", "{}"),
  };
  {
    std::ofstream out(dir / "bad.ndjson");
    for (const std::string& b : bad) {
      EXPECT_FALSE(decode_event_json(b)) << "the decoder accepts: " << b;
      out << b << "\n";
    }
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(JIAYUAN_SOURCE_DIR) +
                          "/tests/events/validate_schema.py " + kSchemaDir + " " +
                          (dir / "good.ndjson") + " " + (dir / "bad.ndjson") + " > " +
                          (dir / "report.txt") + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream report(dir / "report.txt");
  std::ostringstream os;
  os << report.rdbuf();
  EXPECT_EQ(rc, 0) << os.str();
  EXPECT_NE(os.str().find("29 schemas; 0 disagreements"), std::string::npos) << os.str();
}

}  // namespace
}  // namespace jiayuan
