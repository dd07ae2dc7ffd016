// Transaction time (DOMAIN.md "as known at K"): every answer as known at the end of delivery k
// equals that of an engine fed only deliveries 1..k, now and as of a date.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "engine/audit.h"
#include "engine/district_stage.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "projections/queries.h"
#include "tests/support/config.h"
#include "tests/support/manual_clock.h"
#include "tests/support/memory_log.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using nlohmann::json;

class AsKnownTest : public ::testing::Test {
 protected:
  void SetUp() override { config_ = testing::shipped_config(); }

  // The facts of a generated district, shuffled across sources, in `parts` deliveries.
  std::vector<std::vector<std::string>> deliveries(int parts) {
    std::vector<std::string> lines;
    GeneratorOptions o;
    o.communities = 30;
    o.seed = 5;
    EXPECT_TRUE(generate_district(o, config_, [&](const std::string& l) { lines.push_back(l); }));
    std::mt19937 rng(3);
    std::shuffle(lines.begin(), lines.end(), rng);
    std::vector<std::vector<std::string>> out(static_cast<size_t>(parts));
    for (size_t i = 0; i < lines.size(); ++i)
      out[i * out.size() / lines.size()].push_back(lines[i]);
    return out;
  }

  static void deliver(Intake& intake, const std::vector<std::string>& lines) {
    std::vector<IntakeInput> in;
    for (const std::string& l : lines) in.push_back({l, "delivery", std::nullopt});
    auto out = intake.submit(in);
    ASSERT_TRUE(out);
  }

  std::string answers(const Store& store, std::optional<Date> as_of) {
    const ProjectionView v = as_of ? ProjectionView(store, *as_of) : ProjectionView(store);
    std::string out;
    auto add = [&](const Result<json>& j) { out += (j ? j->dump() : "error") + "\n"; };
    add(street_summary(v, 2023));
    add(district_view_at(v, config_, 2023));
    add(company_standings_at(v, config_, 2023));
    add(failing_cases(v, as_of.value_or(*Date::parse("2024-06-30")), true));
    add(community_list(v, 2023));
    for (int i = 1; i <= 30; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "SJ%05d", i);
      auto c = community_view(v, CommunityId(id));
      add(c ? Result<json>(c->value_or(json())) : Result<json>(fail(c.error())));
    }
    return out;
  }

  Config config_;
};

TEST_F(AsKnownTest,
       EveryAnswerAsKnownAtTheEndOfADeliveryIsThatOfAnEngineFedOnlyTheDeliveriesUntilThen) {
  const auto parts = deliveries(3);
  // One engine gets every delivery, each at its own instant.
  testing::MemoryLog all;
  auto intake = Intake::open(all, config_);
  ASSERT_TRUE(intake);
  testing::ManualClock clock(1705312800000);  // 2024-01-15T10:00:00Z
  (*intake)->set_clock(clock);
  std::vector<int64_t> ends;
  for (const auto& part : parts) {
    deliver(**intake, part);
    ends.push_back(clock.now_ms());
    clock.advance_ms(3600 * 1000);  // the next delivery an hour later
  }
  testing::TempDir dir;
  for (size_t k = 0; k < parts.size(); ++k) {
    // The engine fed only deliveries 1..k.
    testing::MemoryLog prefix;
    auto only = Intake::open(prefix, config_);
    for (size_t i = 0; i <= k; ++i) deliver(**only, parts[i]);
    auto fed = Store::open(dir / ("fed-" + std::to_string(k)));
    ASSERT_TRUE(fed);
    std::atomic<bool> stop{false};
    ASSERT_TRUE(run_engine(prefix, **fed, config_, RunOptions{}, stop));
    // The whole log, as known at the end of delivery k (a minute after it).
    testing::MemoryLog scratch;
    auto known = as_known_at(all, scratch, dir / ("known-" + std::to_string(k)), config_,
                             ends[k] + 60 * 1000);
    ASSERT_TRUE(known) << known.error().message;
    for (const std::optional<Date> as_of :
         {std::optional<Date>(), std::optional<Date>(*Date::parse("2023-12-31")),
          std::optional<Date>(*Date::parse("2024-02-15"))}) {
      EXPECT_EQ(answers(**known, as_of), answers(**fed, as_of))
          << "delivery " << k + 1 << (as_of ? " as of " + as_of->to_string() : std::string());
    }
  }
}

TEST_F(AsKnownTest, BeforeAnyDeliveryNothingIsKnown) {
  const auto parts = deliveries(2);
  testing::MemoryLog all;
  auto intake = Intake::open(all, config_);
  const testing::ManualClock clock(1705312800000);
  (*intake)->set_clock(clock);
  deliver(**intake, parts[0]);
  testing::MemoryLog scratch;
  testing::TempDir dir;
  auto known = as_known_at(all, scratch, dir / "known", config_, 1705312800000 - 1);
  ASSERT_TRUE(known);
  EXPECT_EQ(*community_list(ProjectionView(**known), 2023), json::array());
}

}  // namespace
}  // namespace jiayuan
