// The read models (projections/records.h) over values written by hand: damaged values are the
// error projection_damaged naming the family, the field, what was expected and what came, and
// the key when scanned; never an exception. (What the projector writes decodes: projector_test.)
#include "projections/records.h"

#include <gtest/gtest.h>

#include "tests/support/store_fixture.h"

namespace jiayuan {
namespace {

using nlohmann::json;

// The error's message, or a failure when there is none.
template <class T>
std::string damage(const Result<T>& r) {
  EXPECT_FALSE(r) << "a damaged value decoded";
  if (r) return "";
  EXPECT_EQ(r.error().code, "projection_damaged") << r.error().message;
  EXPECT_NE(r.error().message.find("jiayuan rebuild"), std::string::npos) << r.error().message;
  return r.error().message;
}

bool says(const std::string& message, std::string_view part) {
  return message.find(part) != std::string::npos;
}

TEST(Records, BytesThatAreNotJsonOrNotAnObjectAreDamage) {
  const std::string not_json = damage(decode_rating("{\"grade\": "));
  EXPECT_TRUE(says(not_json, cf::kProjGrade)) << not_json;
  EXPECT_TRUE(says(not_json, "not JSON")) << not_json;
  const std::string array = damage(decode_community("[1, 2]"));
  EXPECT_TRUE(says(array, "expected an object")) << array;
  EXPECT_TRUE(says(array, "got array [1,2]")) << array;
  EXPECT_TRUE(says(damage(parse_stored(cf::kProjDistrict, "42")), "got number 42"));
}

TEST(Records, AFieldOfAnotherTypeIsNamedWithWhatCame) {
  const std::string m = damage(decode_community(R"({"community":"SJ1","households":"many"})"));
  EXPECT_TRUE(says(m, "field households")) << m;
  EXPECT_TRUE(says(m, "expected an integer")) << m;
  EXPECT_TRUE(says(m, "got string \"many\"")) << m;
  const std::string missing = damage(decode_company(R"({"name":"X"})"));
  EXPECT_TRUE(says(missing, "field company")) << missing;
  EXPECT_TRUE(says(missing, "the field is missing")) << missing;
}

TEST(Records, ANestedFieldIsNamedByItsPath) {
  const json rating = {{"community", "SJ1"},
                       {"year", 2023},
                       {"grade", "standard"},
                       {"grade_zh", "规范"},
                       {"street", "yueyang"},
                       {"decided_on", "2024-01-10"},
                       {"explanation", {{"tier", "closed_high"}, {"final_score", "87.50"}}},
                       {"summary", {{"company", "CO1"}, {"spot_checks", 2.5}}}};
  const std::string m = damage(decode_rating(rating.dump()));
  EXPECT_TRUE(says(m, "field summary.spot_checks")) << m;
  json bad_score = rating;
  bad_score["summary"]["spot_checks"] = 2;
  bad_score["explanation"]["final_score"] = "eighty";
  const std::string s = damage(decode_rating(bad_score.dump()));
  EXPECT_TRUE(says(s, "field explanation.final_score: expected a score")) << s;
  json bad_grade = bad_score;
  bad_grade["explanation"]["final_score"] = "87.50";
  bad_grade["grade"] = "superb";
  EXPECT_TRUE(says(damage(decode_rating(bad_grade.dump())), "field grade: expected a grade"));
  bad_grade["grade"] = "standard";
  auto good = decode_rating(bad_grade.dump());
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->grade, Grade::kStandard);
  EXPECT_EQ(good->final_score, Centi::parse("87.50"));
  EXPECT_EQ(good->summary.spot_checks, 2);
}

TEST(Records, APublishedYearWithoutARatingHasNoGrade) {
  auto r = decode_rating(R"({"community":"SJ1","year":2023,"published_on":"2024-02-01"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->grade, std::nullopt);
  EXPECT_EQ(r->published_on, "2024-02-01");
}

TEST(Records, ACaseObligationOfAnotherShapeIsNamed) {
  const std::string m = damage(decode_case(
      R"({"community":"SJ1","year":2023,"status":"escalated","obligations":[{"department":7}]})"));
  EXPECT_TRUE(says(m, "field obligations[].department")) << m;
}

// A district year of stage 3 with every part set: what encode_district writes decodes to the
// same record, and encoding that again gives the same JSON.
DistrictRecord a_district_year() {
  StandingRecord s;
  s.company = "CO1";
  s.projects = 4;
  s.rated_projects = 3;
  s.grade_mix = {0, 1, 1, 1, 1};
  s.hotline_complaints = 9;
  s.factors_percent = {{"grades", "75.00"}, {"hotline", "88.89"}};
  s.composite = "81.25";
  s.mean_final_score = "86.10";
  s.eligible = true;
  s.rank = 1;
  DistrictRecord d;
  d.year = 2023;
  d.rating_date = "2023-12-31";
  d.registered_communities = 40;
  d.award_quota = 4;
  d.top_ten = {s};
  d.excellent_communities = {{"SJ1", "yueyang", "93.00", "CO1", "PM1"}};
  d.excellent_managers = {{"PM1", "93.00", 1}};
  d.district.rated = 3;
  d.district.grade_mix = {0, 1, 1, 1, 0};
  d.district.share_passing_or_better = "100.00";
  d.district.share_exemplary = "33.33";
  d.district.share_standard = "33.33";
  d.district.met_passing_or_better = true;
  TargetRecord street = d.district;
  street.street = "yueyang";
  street.street_name = "岳阳街道";
  TargetRecord empty;
  empty.street = "yongfeng";
  empty.street_name = "永丰街道";
  d.streets = {street, empty};
  d.rule_set_id = "songjiang-2022-134";
  d.rule_set_hash = "abc";
  d.targets = DistrictRecord::Targets{"90.00", "5.00", "40.00", false};
  return d;
}

TEST(Records, ADistrictYearEncodesAndDecodesToItself) {
  const json encoded = encode_district(a_district_year());
  EXPECT_EQ(encoded["streets"][1]["share_standard"], json()) << "none rated: no share";
  EXPECT_EQ(encoded["top_ten"][0]["grade_mix"]["unrated"], 1);
  auto decoded = decode_district(encoded.dump());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->top_ten.at(0).factors_percent.at("hotline"), "88.89");
  EXPECT_EQ(decoded->streets.at(1).share_standard, std::nullopt);
  EXPECT_EQ(decoded->streets.at(0).street_name, "岳阳街道");
  ASSERT_TRUE(decoded->targets);
  EXPECT_EQ(decoded->targets->standard, "40.00");
  EXPECT_EQ(encode_district(*decoded), encoded);
  auto standing = decode_standing(encoded["top_ten"][0].dump());
  ASSERT_TRUE(standing) << standing.error().message;
  EXPECT_EQ(encode_standing(*standing), encoded["top_ten"][0]);
}

TEST(Records, ADamagedDistrictYearNamesTheNestedField) {
  json d = encode_district(a_district_year());
  d["streets"][0]["met_standard"] = "yes";
  const std::string m = damage(decode_district(d.dump()));
  EXPECT_TRUE(says(m, "field streets[].met_standard: expected true or false")) << m;
  d = encode_district(a_district_year());
  d["top_ten"][0]["factors_percent"]["grades"] = 75;
  const std::string f = damage(decode_district(d.dump()));
  EXPECT_TRUE(says(f, "field top_ten[].factors_percent.grades")) << f;
}

using ScanRecords = testing::StoreFixture;

TEST_F(ScanRecords, TheFirstDamagedValueStopsTheScanAndNamesItsKey) {
  put(cf::kProjCommunity, "SJ1", R"({"community":"SJ1","street":"yueyang"})");
  put(cf::kProjCommunity, "SJ2", R"({"community":"SJ2","street":3})");
  put(cf::kProjCommunity, "SJ3", R"({"community":"SJ3","street":"yongfeng"})");
  std::vector<std::string> seen;
  Status s;
  EXPECT_NO_THROW(s = scan_records<CommunityRecord>(ProjectionView(*store_), cf::kProjCommunity, "",
                                                    decode_community,
                                                    [&](std::string_view key, CommunityRecord& c) {
                                                      seen.emplace_back(key);
                                                      EXPECT_EQ(c.community, key);
                                                      return true;
                                                    }));
  EXPECT_EQ(seen, std::vector<std::string>{"SJ1"});
  const std::string m = damage(s);
  EXPECT_TRUE(says(m, "field street")) << m;
  EXPECT_TRUE(says(m, "(key SJ2)")) << m;
}

TEST_F(ScanRecords, UseReturningFalseStopsTheScanWithoutAnError) {
  put(cf::kProjWaste, "2023/SJ1", R"({"inspections":4,"compliant":3})");
  put(cf::kProjWaste, "2023/SJ2", R"({"inspections":2,"compliant":2})");
  int64_t inspections = 0;
  const Status s = scan_records<WasteRecord>(ProjectionView(*store_), cf::kProjWaste, "2023/",
                                             decode_waste, [&](std::string_view, WasteRecord& w) {
                                               inspections += w.inspections;
                                               return false;
                                             });
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(inspections, 4);
}

}  // namespace
}  // namespace jiayuan
