#include "config/rules.h"

#include <gtest/gtest.h>

#include <fstream>

#include "config/toml_reader.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

std::string shipped_rules() {
  auto text =
      internal::read_file(std::string(JIAYUAN_TEST_CONFIG_DIR) + "/rules/songjiang-2022-134.toml");
  EXPECT_TRUE(text);
  return *text;
}

TEST(RuleSet, ShippedPolicyRuleSetLoadsWithThePolicysNumbers) {
  auto rs = parse_rule_set(shipped_rules(), "songjiang.toml");
  ASSERT_TRUE(rs) << rs.error().message;
  EXPECT_EQ(rs->id, "songjiang-2022-134");
  EXPECT_EQ(rs->from.to_string(), "2022-12-01");
  EXPECT_EQ(rs->to.to_string(), "2024-12-31");
  EXPECT_EQ(rs->fee_boundary, Centi{250});
  EXPECT_EQ(rs->tiers.at("T2").standard, Centi::whole(78));
  EXPECT_EQ(rs->hotline_late.per_item, Centi{20});
  ASSERT_EQ(rs->targets.size(), 2u);
  EXPECT_EQ(rs->targets[1].passing_or_better, Centi::whole(95));
  EXPECT_EQ(rs->window(2023)->from.to_string(), "2022-12-01");
  EXPECT_EQ(rs->hash.size(), 64u);
}

TEST(RuleSet, BadValueNamesFileKeyLineAndReason) {
  std::string text = shipped_rules();
  const std::string from = "exemplary = 88";
  text.replace(text.find(from), from.size(), "exemplary = \"high\"");
  auto rs = parse_rule_set(text, "x.toml");
  ASSERT_FALSE(rs);
  EXPECT_NE(rs.error().message.find("x.toml: key tiers.T2.exemplary (line "), std::string::npos)
      << rs.error().message;
  EXPECT_NE(rs.error().message.find("got \"high\""), std::string::npos) << rs.error().message;
}

TEST(RuleSet, MissingKeyIsReported) {
  std::string text = shipped_rules();
  const std::string from = "minimum_inspections = 2";
  text.replace(text.find(from), from.size(), "");
  auto rs = parse_rule_set(text, "x.toml");
  ASSERT_FALSE(rs);
  EXPECT_NE(rs.error().message.find("key score.minimum_inspections: expected"), std::string::npos)
      << rs.error().message;
}

TEST(RuleSet, InvalidTomlReportsLine) {
  auto rs = parse_rule_set("id = \"x\"\nfrom = = 3\n", "bad.toml");
  ASSERT_FALSE(rs);
  EXPECT_NE(rs.error().message.find("bad.toml (line 2"), std::string::npos) << rs.error().message;
}

TEST(RuleSet, UnorderedThresholdsAreRejected) {
  std::string text = shipped_rules();
  const std::string from = "passing = 60";
  text.replace(text.find(from), from.size(), "passing = 80");
  auto rs = parse_rule_set(text, "x.toml");
  ASSERT_FALSE(rs);
  EXPECT_NE(rs.error().message.find("passing ≤ standard ≤ exemplary"), std::string::npos)
      << rs.error().message;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string with_period(std::string text, const std::string& id, const std::string& from,
                        const std::string& to, const std::string& year_from,
                        const std::string& year_to) {
  // Replace the header and reduce the years to one window inside the period.
  const size_t years = text.find("[[years]]");
  const size_t score = text.find("[score]");
  text.replace(years, score - years,
               "[[years]]\nyear = " + year_from.substr(0, 4) + "\nfrom = " + year_from +
                   "\nto = " + year_to + "\n\n");
  const size_t targets = text.find("[[targets]]");
  text.erase(targets, text.find("[lifecycle]") - targets);
  text.replace(text.find("id = \"songjiang-2022-134\""), 25, "id = \"" + id + "\"");
  text.replace(text.find("from = 2022-12-01"), 17, "from = " + from);
  text.replace(text.find("to = 2024-12-31"), 15, "to = " + to);
  return text;
}

TEST(RuleCatalog, OverlappingPeriodsAreAnError) {
  testing::TempDir dir;
  const std::string base = shipped_rules();
  write(dir / "a.toml",
        with_period(base, "a", "2025-01-01", "2025-12-31", "2025-01-01", "2025-12-31"));
  write(dir / "b.toml",
        with_period(base, "b", "2025-06-01", "2026-12-31", "2026-01-01", "2026-12-31"));
  auto c = load_rule_catalog(dir.path());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("overlaps"), std::string::npos) << c.error().message;
}

TEST(RuleCatalog, GappedPeriodsAreAnError) {
  testing::TempDir dir;
  const std::string base = shipped_rules();
  write(dir / "a.toml",
        with_period(base, "a", "2025-01-01", "2025-12-31", "2025-01-01", "2025-12-31"));
  write(dir / "b.toml",
        with_period(base, "b", "2026-02-01", "2026-12-31", "2026-02-01", "2026-12-31"));
  auto c = load_rule_catalog(dir.path());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("the days between would have no rule set"), std::string::npos)
      << c.error().message;
}

TEST(RuleCatalog, FindsTheRuleSetInForceOnADateAndTheYearItCountsFor) {
  auto c = load_rule_catalog(std::string(JIAYUAN_TEST_CONFIG_DIR) + "/rules");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NE(c->in_force(*Date::parse("2022-12-01")), nullptr);  // first day of the period
  EXPECT_NE(c->in_force(*Date::parse("2024-12-31")), nullptr);  // last day
  EXPECT_EQ(c->in_force(*Date::parse("2022-11-30")), nullptr);
  EXPECT_EQ(c->in_force(*Date::parse("2025-01-01")), nullptr);
  EXPECT_EQ(c->year_of(*Date::parse("2022-12-01")), 2023);
  EXPECT_EQ(c->year_of(*Date::parse("2023-12-31")), 2023);
  EXPECT_EQ(c->year_of(*Date::parse("2024-01-01")), 2024);
  EXPECT_FALSE(c->year_of(*Date::parse("2022-11-30")));
}

}  // namespace
}  // namespace jiayuan
