#include "engine/generator.h"

#include <gtest/gtest.h>

#include "events/sha256.h"
#include "engine/intake.h"
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
