// The table of bad input: each line with the exact reason intake gives (field, expected, got).
// The registry holds community C1 (yueyang) and company CO1.
#include <gtest/gtest.h>

#include "engine/intake.h"
#include "tests/support/memory_log.h"

namespace jiayuan {
namespace {

struct Bad {
  std::string name;
  std::string line;
  std::string code;
  std::string message;
};

std::string ev(const std::string& type, const std::string& data,
               const std::string& source = "bureau", const std::string& occurred = "2023-05-01",
               const std::string& extra = "") {
  return R"({"specversion":"1.0","id":"x1","source":")" + source + R"(","type":"jiayuan.)" + type +
         R"(","occurred":")" + occurred + R"(",)" + extra + R"("data":)" + data + "}";
}

const std::string kScores =
    R"("basic_management":80,"cleaning":80,"security_patrol":80,"order":80,"greening":80,"equipment":80)";
std::string scores(const std::string& replace_cleaning) {
  std::string s = kScores;
  s.replace(s.find("\"cleaning\":80"), 13, replace_cleaning);
  return R"({"community":"C1","scores":{)" + s + "}}";
}
const std::string kReg = R"("community":"C2","name":"n","households":10,"fee":2)";

// clang-format off
const std::vector<Bad> kTable = {
  {"not json", "{oops", "bad_json", ""},
  {"number overflow", ev("survey", R"({"community":"C1","satisfaction":1e999,"respondents":1})"), "out_of_range", "data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got 1e999"},
  {"an array", "[1]", "wrong_type", "(event): expected a JSON object, got an array"},
  {"empty object", "{}", "missing_field", "specversion: expected a value, got nothing"},
  {"old specversion", R"({"specversion":"0.3"})", "bad_enum", "specversion: expected \"1.0\", got \"0.3\""},
  {"no id", R"({"specversion":"1.0"})", "missing_field", "id: expected a value, got nothing"},
  {"numeric id", R"({"specversion":"1.0","id":7})", "wrong_type", "id: expected a string, got 7"},
  {"empty id", R"({"specversion":"1.0","id":""})", "missing_field", "id: expected a non-empty string, got \"\""},
  {"no source", R"({"specversion":"1.0","id":"a"})", "missing_field", "source: expected a value, got nothing"},
  {"no type", R"({"specversion":"1.0","id":"a","source":"bureau"})", "missing_field", "type: expected a value, got nothing"},
  {"unknown type", ev("nope", "{}"), "unknown_type", "type: expected one of jiayuan.community.registered, "},
  {"no occurred", R"({"specversion":"1.0","id":"a","source":"bureau","type":"jiayuan.petition"})", "missing_field", "occurred: expected a value, got nothing"},
  {"slashed date", ev("petition", "{}", "petitions", "2023/05/01"), "bad_date", "occurred: expected a date YYYY-MM-DD, got \"2023/05/01\""},
  {"impossible date", ev("petition", "{}", "petitions", "2023-02-30"), "bad_date", "occurred: expected a date YYYY-MM-DD, got \"2023-02-30\""},
  {"no data", R"({"specversion":"1.0","id":"a","source":"bureau","type":"jiayuan.petition","occurred":"2023-05-01"})", "missing_field", "data: expected a value, got nothing"},
  {"data not object", ev("petition", "3", "petitions"), "wrong_type", "data: expected an object, got 3"},
  {"schemaversion 0", ev("petition", "{}", "petitions", "2023-05-01", R"("schemaversion":0,)"), "out_of_range", "schemaversion: expected an integer 1..1, got 0"},
  {"schemaversion text", ev("petition", "{}", "petitions", "2023-05-01", R"("schemaversion":"1",)"), "wrong_type", "schemaversion: expected an integer 1..1, got the string \"1\""},
  {"subject mismatch", ev("petition", R"({"community":"C1","substantiated":true})", "petitions", "2023-05-01", R"("subject":"C9",)"), "subject_mismatch", "subject: expected the id the data names (\"C1\"), got \"C9\""},
  {"unknown department", ev("petition", R"({"community":"C1","substantiated":true})", "aliens"), "unknown_source", "source: expected a department of config/district.toml, got \"aliens\""},
  {"score above 100", ev("inspection", scores("\"cleaning\":130")), "out_of_range", "data.scores.cleaning: expected a number 0.00..100.00 with at most two decimals, got 130"},
  {"negative score", ev("inspection", scores("\"cleaning\":-1")), "out_of_range", "data.scores.cleaning: expected a number 0.00..100.00 with at most two decimals, got -1"},
  {"three decimals", ev("inspection", scores("\"cleaning\":80.125")), "bad_number", "data.scores.cleaning: expected a number 0.00..100.00 with at most two decimals, got 80.125"},
  {"missing dimension", ev("inspection", R"({"community":"C1","scores":{"basic_management":80}})"), "missing_field", "data.scores.cleaning: expected a value, got nothing"},
  {"extra dimension", ev("inspection", scores("\"cleaning\":80,\"parking\":70")), "unexpected_field", "data.scores.parking: expected no such field, got 70"},
  {"date after every rule set", ev("survey", R"({"community":"C1","satisfaction":80,"respondents":10})", "bureau", "2025-03-01"), "no_rule_set", "occurred: expected a date with a rule set in force, got 2025-03-01"},
  {"date before every rule set", ev("survey", R"({"community":"C1","satisfaction":80,"respondents":10})", "bureau", "2022-11-30"), "no_rule_set", "occurred: expected a date with a rule set in force, got 2022-11-30"},
  {"satisfaction as text", ev("survey", R"({"community":"C1","satisfaction":"good"})"), "wrong_type", "data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got the string \"good\""},
  {"boolean as text", ev("hotline.complaint", R"({"community":"C1","substantiated":"yes","on_time":true})", "hotline"), "wrong_type", "data.substantiated: expected true or false, got the string \"yes\""},
  {"hotline from the bureau", ev("hotline.complaint", R"({"community":"C1","substantiated":true,"on_time":true})"), "not_authorised", "source: expected a department allowed to publish jiayuan.hotline.complaint (hotline), got \"bureau\""},
  {"petition from the hotline", ev("petition", R"({"community":"C1","substantiated":true})", "hotline"), "not_authorised", "source: expected a department allowed to publish jiayuan.petition (petitions), got \"hotline\""},
  {"zero credit points", ev("credit.points", R"({"community":"C1","company":"CO1","points":0})"), "out_of_range", "data.points: expected an integer 1..100, got 0"},
  {"fractional credit points", ev("credit.points", R"({"community":"C1","company":"CO1","points":2.5})"), "wrong_type", "data.points: expected an integer 1..100, got 2.5"},
  {"unknown finding kind", ev("finding", R"({"community":"C1","kind":"noise","severity":"minor"})", "chengguan"), "bad_enum", "data.kind: expected one of illegal_construction, "},
  {"unknown severity", ev("finding", R"({"community":"C1","kind":"rubbish_dumped","severity":"awful"})", "chengguan"), "bad_enum", "data.severity: expected one of minor, serious, major, got \"awful\""},
  {"finding from another department", ev("finding", R"({"community":"C1","kind":"illegal_construction","severity":"minor"})", "fire"), "not_authorised", "source: expected \"chengguan\" (the department that publishes illegal_construction findings), got \"fire\""},
  {"unknown street", ev("community.registered", "{" + kReg + R"(,"street":"atlantis","enclosure":"closed","category":"mixed"})"), "unknown_street", "data.street: expected a street or town of config/district.toml, got \"atlantis\""},
  {"bad enclosure", ev("community.registered", "{" + kReg + R"(,"street":"yueyang","enclosure":"open","category":"mixed"})"), "bad_enum", "data.enclosure: expected one of closed, scattered, got \"open\""},
  {"bad category", ev("community.registered", "{" + kReg + R"(,"street":"yueyang","enclosure":"closed","category":"villa"})"), "bad_enum", "data.category: expected one of commodity, mixed, relocation, affordable, scattered_public, got \"villa\""},
  {"negative households", ev("community.registered", R"({"community":"C2","name":"n","street":"yueyang","households":-5,"fee":2,"enclosure":"closed","category":"mixed"})"), "out_of_range", "data.households: expected an integer 0..1000000, got -5"},
  {"another street's proposal", ev("street.proposal", R"({"community":"C1","year":2023,"grade":"standard"})", "street.fangsong", "2024-01-03"), "not_authorised", "source: expected a department allowed to publish jiayuan.street.proposal (street.own), got \"street.fangsong\""},
  {"proposal of unrated", ev("street.proposal", R"({"community":"C1","year":2023,"grade":"unrated"})", "street.yueyang", "2024-01-03"), "bad_enum", "data.grade: expected one of failing, passing, standard, exemplary, got \"unrated\""},
  {"review closed by a street", ev("review.closed", R"({"community":"C1","year":2023})", "street.yueyang", "2024-01-10"), "not_authorised", "source: expected a department allowed to publish jiayuan.review.closed (bureau), got \"street.yueyang\""},
  {"review of a year without rules", ev("review.closed", R"({"community":"C1","year":2030})", "bureau", "2024-01-10"), "no_rule_set", "data.year: expected an evaluation year a rule set defines, got 2030"},
  {"review too late", ev("review.closed", R"({"community":"C1","year":2023})", "bureau", "2025-01-01"), "bad_date", "occurred: expected a date from 2022-12-01 to 2024-12-31 for year 2023, got 2025-01-01"},
  {"deadline before interview", ev("interview.held", R"({"community":"C1","year":2023,"deadline":"2024-01-01"})", "bureau", "2024-02-01"), "bad_date", "data.deadline: expected a date on or after the interview (2024-02-01), got 2024-01-01"},
  {"media naming nobody", ev("media.report", R"({"tone":"negative"})"), "missing_field", "data.company: expected a company or a community (data.community) named, got neither"},
  {"more party members than members", ev("committee.elected", R"({"community":"C1","members":5,"party_members":6})", "civil_affairs"), "out_of_range", "data.party_members: expected at most data.members (5), got 6"},
  {"a department writing ticks", ev("tick", "{}", "bureau"), "not_authorised", "source: expected a department allowed to publish jiayuan.tick (), got \"bureau\""},
  {"unexpected data field", ev("petition", R"({"community":"C1","substantiated":true,"colour":"red"})", "petitions"), "unexpected_field", "data.colour: expected no such field, got the string \"red\""},
  {"retraction of an id never published", ev("fact.retracted", R"({"id":"nope","reason":"x"})", "bureau", "2024-04-02"), "unknown_fact", "data.id: expected the id of a fact bureau published, got \"nope\""},
  {"retraction of another department's fact", ev("fact.retracted", R"({"id":"f1","reason":"x"})", "hotline", "2024-04-02"), "unknown_fact", "data.id: expected the id of a fact hotline published, got \"f1\""},
  {"retraction of a registry fact", ev("fact.retracted", R"({"id":"r","reason":"x"})", "bureau", "2024-04-02"), "not_retractable", "data.id: expected a fact that is not a registry fact (correct a registration with jiayuan.community.changed, a contract with a new contract), got \"r\" (jiayuan.community.registered)"},
  {"retraction of a retraction", ev("fact.retracted", R"({"id":"rt1","reason":"x"})", "bureau", "2024-04-02"), "not_retractable", "data.id: expected a fact that is not a retraction (publish the fact again under a new id instead), got \"rt1\""},
  {"a fact already retracted", ev("fact.retracted", R"({"id":"f1","reason":"again"})", "bureau", "2024-05-01"), "already_retracted", "data.id: expected a fact not yet retracted, got \"f1\" (retracted by rt1)"},
  {"sanction from the bureau", ev("sanction.applied", R"({"community":"C1","year":2023,"measure":"m"})", "bureau", "2024-03-01"), "not_authorised", "source: expected a department allowed to publish jiayuan.sanction.applied (market, chengguan, police), got \"bureau\""},
};
// clang-format on

TEST(BadInput, EachIsRejectedWithItsExactReason) {
  ASSERT_GE(kTable.size(), 40u);
  auto config = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(config) << config.error().message;
  testing::MemoryLog log;
  auto intake = Intake::open(log, *config);
  ASSERT_TRUE(intake);
  std::vector<IntakeInput> setup = {
      {R"({"specversion":"1.0","id":"r","source":"bureau","type":"jiayuan.community.registered","occurred":"2022-01-01","data":{"community":"C1","name":"n","street":"yueyang","households":10,"fee":2,"enclosure":"closed","category":"mixed"}})",
       "setup", std::nullopt},
      {R"({"specversion":"1.0","id":"k","source":"bureau","type":"jiayuan.contract.assigned","occurred":"2022-01-01","data":{"community":"C1","company":"CO1","manager":"PM1"}})",
       "setup", std::nullopt},
      {R"({"specversion":"1.0","id":"f1","source":"bureau","type":"jiayuan.spot.check","occurred":"2023-03-01","data":{"community":"C1","passed":false}})",
       "setup", std::nullopt},
      {R"({"specversion":"1.0","id":"rt1","source":"bureau","type":"jiayuan.fact.retracted","occurred":"2024-04-01","data":{"id":"f1","reason":"录入错误"}})",
       "setup", std::nullopt}};
  auto ok = (*intake)->submit(setup);
  ASSERT_TRUE(ok);
  for (const auto& o : *ok) ASSERT_EQ(o.verdict, Verdict::kAccepted) << o.reason.message;
  for (const Bad& b : kTable) {
    std::vector<IntakeInput> in = {{b.line, b.name, std::nullopt}};
    auto out = (*intake)->submit(in);
    ASSERT_TRUE(out) << b.name;
    const IntakeOutcome& o = (*out)[0];
    EXPECT_EQ(o.verdict, Verdict::kRejected) << b.name;
    EXPECT_EQ(o.reason.code, b.code) << b.name << ": " << o.reason.message;
    // Where the message lists a long set of choices, the table keeps its start.
    EXPECT_EQ(o.reason.message.substr(0, b.message.size()), b.message) << b.name;
    if (b.code != "bad_json" && b.code != "unknown_type" && b.name != "unknown finding kind") {
      EXPECT_EQ(o.reason.message, b.message) << b.name;
    }
  }
  // Nothing rejected reached the events log; every rejection reached the dead-letter log.
  EXPECT_EQ(*log.end_offset(topics::kEvents, 0), 4);
  EXPECT_EQ(*log.end_offset(topics::kDeadLetter, 0), static_cast<int64_t>(kTable.size()));
}

// DOMAIN.md "Facts that arrive before what they name": not bad input. They are accepted, say
// what they wait for, and count once a registration dated on or before them arrives.
TEST(BadInput, AFactNamingAnUnknownCommunityOrCompanyIsAcceptedAndSaysWhatItWaitsFor) {
  auto config = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(config) << config.error().message;
  testing::MemoryLog log;
  auto intake = Intake::open(log, *config);
  ASSERT_TRUE(intake);
  std::vector<IntakeInput> in = {
      {ev("survey", R"({"community":"C9","satisfaction":80,"respondents":10})"), "c", std::nullopt},
      {ev("social.responsibility", R"({"company":"CO9","description":"助老"})"), "s", std::nullopt},
      {ev("street.proposal", R"({"community":"C8","year":2023,"grade":"standard"})",
          "street.yueyang", "2024-01-03"),
       "p", std::nullopt}};
  in[1].bytes = std::string(in[1].bytes).replace(in[1].bytes.find("x1"), 2, "x2");
  in[2].bytes = std::string(in[2].bytes).replace(in[2].bytes.find("x1"), 2, "x3");
  auto out = (*intake)->submit(in);
  ASSERT_TRUE(out);
  ASSERT_EQ((*out)[0].verdict, Verdict::kAccepted) << (*out)[0].reason.message;
  EXPECT_EQ((*out)[0].waiting_for, "community C9");
  ASSERT_EQ((*out)[1].verdict, Verdict::kAccepted) << (*out)[1].reason.message;
  EXPECT_EQ((*out)[1].waiting_for, "company CO9");
  // A street office's fact: whether the community is in its street is judged on registration.
  ASSERT_EQ((*out)[2].verdict, Verdict::kAccepted) << (*out)[2].reason.message;
  EXPECT_EQ((*out)[2].waiting_for, "community C8");
}

}  // namespace
}  // namespace jiayuan
