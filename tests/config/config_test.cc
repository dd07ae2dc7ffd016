#include "config/config.h"

#include <gtest/gtest.h>

namespace jiayuan {
namespace {

TEST(Config, ShippedConfigLoads) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->district.streets.size(), 17u);  // 6 streets and 11 towns of Songjiang
  EXPECT_TRUE(c->district.has_department(DepartmentId("street.yueyang")));
  EXPECT_FALSE(c->district.has_department(DepartmentId("street.atlantis")));
}

TEST(Authority, OnlyListedDepartmentsMayPublish) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->authority.check("jiayuan.inspection", DepartmentId("bureau"), nullptr));
  EXPECT_TRUE(c->authority.check("jiayuan.inspection", DepartmentId("street.jiuting"), nullptr));
  auto denied =
      c->authority.check("jiayuan.review.closed", DepartmentId("street.jiuting"), nullptr);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, "not_authorised");
  EXPECT_EQ(denied.error().message,
            "source: expected a department allowed to publish jiayuan.review.closed (bureau), got "
            "\"street.jiuting\"");
}

TEST(Authority, OwnStreetMatchesOnlyTheCommunitysStreet) {
  Authority a(std::map<std::string, std::vector<std::string>>{{"jiayuan.survey", {"street.own"}}});
  const StreetId yueyang("yueyang");
  EXPECT_TRUE(a.check("jiayuan.survey", DepartmentId("street.yueyang"), &yueyang));
  EXPECT_FALSE(a.check("jiayuan.survey", DepartmentId("street.fangsong"), &yueyang));
  EXPECT_FALSE(a.check("jiayuan.survey", DepartmentId("street.yueyang"), nullptr));
}

TEST(Authority, UnknownDepartmentInMatrixIsAConfigError) {
  District d;
  d.streets = {{"yueyang", "岳阳街道"}};
  d.departments = {{"bureau", "局"}};
  auto a = parse_authority("\"jiayuan.survey\" = [\"bureau\", \"aliens\"]\n", "authority.toml", d);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("authority.toml: key jiayuan.survey"), std::string::npos)
      << a.error().message;
  EXPECT_NE(a.error().message.find("\"aliens\""), std::string::npos);
}

TEST(EngineSettings, StateCacheIsOptionalAndANegativeOneNamesItsKey) {
  const std::string head = "[engine]\ndata_dir = \"d\"\nbatch_size = 10\nlog_level = \"info\"\n";
  auto absent = parse_engine_settings(head, "engine.toml");
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_EQ(absent->state_cache, EngineSettings{}.state_cache);
  auto none = parse_engine_settings(head + "state_cache = 0\n", "engine.toml");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->state_cache, 0);
  auto negative = parse_engine_settings(head + "state_cache = -1\n", "engine.toml");
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().message.find("state_cache"), std::string::npos)
      << negative.error().message;
  EXPECT_NE(negative.error().message.find("-1"), std::string::npos) << negative.error().message;
}

TEST(EngineSettings, ThreadsAndLogPartitionsAreOptionalAndZeroNamesTheKey) {
  const std::string head = "[engine]\ndata_dir = \"d\"\nbatch_size = 10\nlog_level = \"info\"\n";
  auto absent = parse_engine_settings(head, "engine.toml");
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_EQ(absent->fold_threads, EngineSettings{}.fold_threads);
  auto one = parse_engine_settings(head + "fold_threads = 1\n", "engine.toml");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->fold_threads, 1);
  auto zero = parse_engine_settings(head + "fold_threads = 0\n", "engine.toml");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("fold_threads"), std::string::npos) << zero.error().message;
  EXPECT_EQ(absent->log_partitions, EngineSettings{}.log_partitions);
  auto three = parse_engine_settings(head + "log_partitions = 3\n", "engine.toml");
  ASSERT_TRUE(three) << three.error().message;
  EXPECT_EQ(three->log_partitions, 3);
  auto none = parse_engine_settings(head + "log_partitions = 0\n", "engine.toml");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("log_partitions"), std::string::npos) << none.error().message;
  EXPECT_EQ(absent->intake_threads, EngineSettings{}.intake_threads);
  auto four = parse_engine_settings(head + "intake_threads = 4\n", "engine.toml");
  ASSERT_TRUE(four) << four.error().message;
  EXPECT_EQ(four->intake_threads, 4);
  auto no_intake = parse_engine_settings(head + "intake_threads = 0\n", "engine.toml");
  ASSERT_FALSE(no_intake);
  EXPECT_NE(no_intake.error().message.find("intake_threads"), std::string::npos)
      << no_intake.error().message;
}

}  // namespace
}  // namespace jiayuan
