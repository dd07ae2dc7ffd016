#include "engine/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/intake.h"
#include "events/sha256.h"
#include "tests/support/memory_log.h"

namespace jiayuan {
namespace {

std::vector<std::string> generate(const Config& c, uint64_t seed, int communities = 100) {
  std::vector<std::string> lines;
  GeneratorOptions o;
  o.seed = seed;
  o.communities = communities;
  EXPECT_TRUE(generate_district(o, c, [&](const std::string& l) { lines.push_back(l); }));
  return lines;
}

TEST(Generator, IsDeterministicForASeed) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c);
  EXPECT_EQ(generate(*c, 1), generate(*c, 1));
  EXPECT_NE(generate(*c, 1), generate(*c, 2));
}

TEST(Generator, SpillingToTemporaryFilesGivesTheSameYear) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c);
  auto with_spill = [&](size_t spill_after) {
    std::vector<std::string> lines;
    GeneratorOptions o;
    o.communities = 60;
    o.hotline_per_community = 30;
    o.spill_after = spill_after;
    EXPECT_TRUE(generate_district(o, *c, [&](const std::string& l) { lines.push_back(l); }));
    return lines;
  };
  const auto in_memory = with_spill(1u << 30);
  ASSERT_GT(in_memory.size(), 2000u);
  EXPECT_EQ(with_spill(97), in_memory);  // ~20 runs of a few communities each, merged
  EXPECT_EQ(with_spill(1), in_memory);   // one run per community
}

TEST(Generator, ADistrictOfFifteenHundredHasNoTwoCommunitiesCompaniesOrManagersOfOneName) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c);
  std::map<std::string, std::set<std::string>> names;  // kind -> names
  std::map<std::string, size_t> counts;
  std::set<std::string> managers;
  size_t retractions = 0, late = 0;
  for (const auto& l : generate(*c, 20231, 1500)) {
    const auto e = nlohmann::json::parse(l);
    const std::string type = e["type"];
    if (type == "jiayuan.community.registered" || type == "jiayuan.company.registered") {
      names[type].insert(e["data"]["name"].get<std::string>());
      ++counts[type];
    }
    if (type == "jiayuan.contract.assigned") {
      managers.insert(e["data"]["manager"].get<std::string>() + "=" +
                      e["data"]["manager_name"].get<std::string>());
    }
    if (type == "jiayuan.fact.retracted") ++retractions;
    if (e["id"].get<std::string>().starts_with("hotline-late-")) ++late;
  }
  EXPECT_EQ(counts["jiayuan.community.registered"], 1500u);
  EXPECT_EQ(names["jiayuan.community.registered"].size(), 1500u);
  EXPECT_GE(counts["jiayuan.company.registered"], 200u);
  EXPECT_EQ(names["jiayuan.company.registered"].size(), counts["jiayuan.company.registered"]);
  std::map<std::string, std::string> by_name;  // each manager one name, each name one manager
  for (const auto& m : managers) {
    const auto eq = m.find('=');
    const auto [it, fresh] = by_name.emplace(m.substr(eq + 1), m.substr(0, eq));
    EXPECT_TRUE(fresh || it->second == m.substr(0, eq)) << m << " and " << it->second;
  }
  // A few revisions after publication, as a real year has.
  EXPECT_GT(retractions, 5u);
  EXPECT_GT(late, 5u);
}

TEST(Generator, EveryGeneratedFactPassesIntake) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c);
  testing::MemoryLog log;
  auto intake = Intake::open(log, *c);
  std::vector<IntakeInput> in;
  for (const auto& l : generate(*c, 3)) in.push_back({l, "gen", std::nullopt});
  auto out = (*intake)->submit(in);
  ASSERT_TRUE(out);
  for (const auto& o : *out) EXPECT_EQ(o.verdict, Verdict::kAccepted) << o.reason.message;
  EXPECT_GT(in.size(), 400u);  // ~100 communities × (registration, inspections, surveys, review)
}

TEST(Generator, RefusesAYearWithoutRuleSet) {
  auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
  ASSERT_TRUE(c);
  GeneratorOptions o;
  o.year = 2031;
  auto s = generate_district(o, *c, [](const std::string&) {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "--year 2031: no rule set in config defines that year");
}

}  // namespace
}  // namespace jiayuan
