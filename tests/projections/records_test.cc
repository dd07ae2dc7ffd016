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
