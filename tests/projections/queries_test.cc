// The queries supervisors ask (projections/queries.h), over a store written by hand: what they
// answer for what is there, for what is not, and for what is damaged.
#include "projections/queries.h"

#include <gtest/gtest.h>

#include "projections/view.h"
#include "tests/support/store_fixture.h"

namespace jiayuan {
namespace {

using nlohmann::json;

using QueriesTest = testing::StoreFixture;

TEST_F(QueriesTest, ACommunityNobodyRegisteredIsNothingAndAnEmptyYearListsNothing) {
  const ProjectionView view(*store_);
  auto page = community_view(view, CommunityId("SJ00001"));
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(*page, std::nullopt);
  auto list = community_list(view, 2023);
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(*list, json::array());
}

TEST_F(QueriesTest, ACommunitysPageHasItsParticularsAndEachYearsRating) {
  put(cf::kProjCommunity, "SJ00001",
      json{{"community", "SJ00001"}, {"name", "测试家园"}, {"street", "xiaokunshan"}}.dump());
  put(cf::kProjGrade, "2023/SJ00001", json{{"community", "SJ00001"}, {"year", 2023}}.dump());
  put(cf::kProjGrade, "2024/SJ00001", json{{"community", "SJ00001"}, {"year", 2024}}.dump());
  put(cf::kProjGrade, "2023/SJ00002", json{{"community", "SJ00002"}, {"year", 2023}}.dump());
  auto page = community_view(ProjectionView(*store_), CommunityId("SJ00001"));
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_TRUE(page->has_value());
  const json& p = **page;
  EXPECT_EQ(p["name"], "测试家园");
  ASSERT_EQ(p["ratings"].size(), 2u) << p.dump();
  EXPECT_EQ(p["ratings"][0]["year"], 2023);
  EXPECT_EQ(p["ratings"][1]["year"], 2024);
}

// A projection damaged on disk (not JSON, or JSON of another shape) is the error
// projection_damaged, naming the query and the way out, never an exception.
TEST_F(QueriesTest, ADamagedProjectionIsAnErrorSayingHowToRebuildNeverAnException) {
  put(cf::kProjCommunity, "SJ00001", "{not json");
  put(cf::kProjGrade, "2023/SJ00001", "[1, 2");
  put(cf::kProjCommunity, "SJ00002", "42");
  put(cf::kProjCommunityLine, "SJ00001", "{not json");  // what the lists read
  put(cf::kProjGradeLine, "2023/SJ00001", "[1, 2");
  put(cf::kProjCommunityLine, "SJ00002", "42");
  const ProjectionView view(*store_);
  Result<std::optional<json>> page = fail("unset", "");
  EXPECT_NO_THROW(page = community_view(view, CommunityId("SJ00001")));
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, "projection_damaged");
  EXPECT_NE(page.error().message.find("community_view"), std::string::npos) << page.error().message;
  EXPECT_NE(page.error().message.find("jiayuan rebuild"), std::string::npos)
      << page.error().message;
  Result<json> list = fail("unset", "");
  EXPECT_NO_THROW(list = community_list(view, 2023));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, "projection_damaged");
}

}  // namespace
}  // namespace jiayuan
