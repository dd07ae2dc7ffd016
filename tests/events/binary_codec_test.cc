#include "events/binary_codec.h"

#include <gtest/gtest.h>

#include "events/json_codec.h"
#include "tests/support/facts.h"

namespace jiayuan {
namespace {

TEST(BinaryCodec, AStoredVersionOneSurveyReadsAsVersionTwo) {
  Event survey = testing::survey("C1", 60, "2023-04-01", "s1");
  std::get<SatisfactionSurvey>(survey.fact).respondents = 55;
  const std::string v1 = encode_event_binary(survey, 1);  // what a v1 build stored
  const std::string v2 = encode_event_binary(survey);
  EXPECT_LT(v1.size(), v2.size());
  auto old = decode_event_binary(v1);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->envelope.schema_version, 2);
  EXPECT_EQ(std::get<SatisfactionSurvey>(old->fact).respondents, 0);
  EXPECT_EQ(std::get<SatisfactionSurvey>(old->fact).satisfaction, Centi{6000});
  auto current = decode_event_binary(v2);
  ASSERT_TRUE(current);
  EXPECT_EQ(std::get<SatisfactionSurvey>(current->fact).respondents, 55);
}

TEST(BinaryCodec, RejectsTruncatedAndForeignBytes) {
  const std::string bytes = encode_event_binary(testing::survey("C1", 60, "2023-04-01", "s1"));
  EXPECT_FALSE(decode_event_binary(bytes.substr(0, bytes.size() - 3)));
  EXPECT_FALSE(decode_event_binary("hello"));
  EXPECT_EQ(decode_event_binary("").error().code, "bad_binary");
}

TEST(BinaryCodec, DecisionRoundTrips) {
  Decision d;
  d.id = derive_decision_id("community.rated", CommunityId("C1"), 2023, "bureau", "review-C1");
  d.community = CommunityId("C1");
  d.year = 2023;
  d.log_date = *Date::parse("2024-01-10");
  d.cause_source = "bureau";
  d.cause_id = "review-C1";
  CommunityRated r;
  r.community = d.community;
  r.year = 2023;
  r.grade = Grade::kStandard;
  r.explanation.tier = "T2";
  r.explanation.scores.push_back({"cleaning", 15, 2, Centi{8125}});
  r.explanation.vetoes.push_back("v");
  d.body = r;
  auto back = decode_decision_binary(encode_decision_binary(d));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(encode_decision_binary(*back), encode_decision_binary(d));
  EXPECT_EQ(std::get<CommunityRated>(back->body).explanation.scores[0].mean, Centi{8125});
}

TEST(DecisionId, IsDerivedFromTheCauseAndStable) {
  const auto a = derive_decision_id("community.rated", CommunityId("C1"), 2023, "bureau", "r1");
  EXPECT_EQ(a, derive_decision_id("community.rated", CommunityId("C1"), 2023, "bureau", "r1"));
  EXPECT_NE(a, derive_decision_id("community.rated", CommunityId("C1"), 2023, "bureau", "r2"));
  // FNV-1a is fixed by definition: this value holds on every machine.
  EXPECT_EQ(stable_hash64("a"), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace jiayuan
