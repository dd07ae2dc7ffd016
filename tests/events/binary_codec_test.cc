#include "events/binary_codec.h"

#include <gtest/gtest.h>

#include <functional>

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

Decision a_published_decision() {
  Decision d;
  d.id = "community.published:C1:2023:0000000000000001";
  d.community = CommunityId("C1");
  d.year = 2023;
  d.log_date = *Date::parse("2024-01-10");
  d.cause_source = "bureau";
  d.cause_id = "pub-1";
  d.body = CommunityPublished{CommunityId("C1"), 2023, Grade::kFailing, *Date::parse("2024-01-10")};
  return d;
}

TEST(BinaryCodec, DecisionKeepsItsChainLinks) {
  Decision d = a_published_decision();
  d.cause_partition = 3;
  d.cause_offset = 1234567890123;
  d.prev_hash = std::string(64, 'a');
  d.hash = decision_hash(d);
  auto back = decode_decision_binary(encode_decision_binary(d));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->cause_partition, 3);
  EXPECT_EQ(back->cause_offset, 1234567890123);
  EXPECT_EQ(back->prev_hash, d.prev_hash);
  EXPECT_EQ(back->hash, d.hash);
  EXPECT_EQ(decision_hash(*back), d.hash);
}

TEST(DecisionHash, ChangesWithEveryFieldButNotWithTheHashItCarries) {
  const Decision d = a_published_decision();
  const std::string h = decision_hash(d);
  EXPECT_EQ(h.size(), 64u);
  std::vector<std::function<void(Decision&)>> edits = {
      [](Decision& x) { x.id += "x"; },
      [](Decision& x) { x.log_date = *Date::parse("2024-01-11"); },
      [](Decision& x) { x.cause_id = "pub-2"; },
      [](Decision& x) { x.rule_set_hash = "h"; },
      [](Decision& x) { std::get<CommunityPublished>(x.body).grade = Grade::kPassing; },
      [](Decision& x) { x.cause_partition = 0; },
      [](Decision& x) { x.cause_offset = 7; },
      [](Decision& x) { x.prev_hash = "b"; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    Decision e = d;
    edits[i](e);
    EXPECT_NE(decision_hash(e), h) << "edit " << i;
  }
  Decision carried = d;
  carried.hash = "anything";
  EXPECT_EQ(decision_hash(carried), h);
}

TEST(BinaryCodec, ADecisionOfFormatTwoReadsWithNoRevisionAndNothingWithdrawn) {
  // Format 2 is format 3 without its tail: `revises` (an empty string: an 8-byte length) and,
  // for a publication, `withdrawn` (1 byte).
  Decision d = a_published_decision();
  d.cause_partition = 3;
  d.cause_offset = 77;
  d.format = 3;  // what the builds before the field lists wrote
  std::string bytes = encode_decision_binary(d);
  ASSERT_EQ(bytes[2], 3);
  bytes[2] = 2;
  bytes.resize(bytes.size() - 9);
  auto back = decode_decision_binary(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->cause_offset, 77);
  EXPECT_TRUE(back->revises.empty());
  EXPECT_FALSE(std::get<CommunityPublished>(back->body).withdrawn);
  EXPECT_EQ(back->format, 2);
  EXPECT_EQ(encode_decision_binary(*back), bytes)
      << "a format 2 decision writes (and hashes) as format 2";
}

TEST(BinaryCodec, ADecisionStoredBeforeTheChainReadsWithEmptyLinks) {
  // Format 1 is format 2 without the four chain fields at the end: partition (4 bytes),
  // offset (8) and two empty strings (an 8-byte length each); format 2 is format 3 without its
  // 9-byte tail (above).
  Decision d = a_published_decision();
  d.format = 3;
  std::string bytes = encode_decision_binary(d);
  ASSERT_EQ(bytes[2], 3);
  bytes[2] = 1;
  bytes.resize(bytes.size() - 9 - 28);
  auto back = decode_decision_binary(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, a_published_decision().id);
  EXPECT_EQ(back->cause_offset, -1);
  EXPECT_TRUE(back->hash.empty());
  EXPECT_EQ(std::get<CommunityPublished>(back->body).grade, Grade::kFailing);
  EXPECT_EQ(encode_decision_binary(*back), bytes);
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
