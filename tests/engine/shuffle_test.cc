// The same set of facts gives the same answers whatever order the departments' facts arrive in
// (DOMAIN.md "Late facts, retractions and the two time axes"). A generated district is
// published in date order, then grouped by source (each source's own order kept: what separate
// inboxes deliver) in several interleavings, each with one tick at the end; every answer is
// compared byte for byte with the date-ordered run's: the summary, awards and targets, company
// standings, every case, the community list, and every community now and as of four dates.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/district_stage.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "projections/queries.h"
#include "tests/support/config.h"
#include "tests/support/memory_log.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using nlohmann::json;

struct Fact {
  std::string line;
  std::string source;
};

class ShuffleTest : public ::testing::Test {
 protected:
  void SetUp() override { config_ = testing::shipped_config(); }

  std::vector<Fact> district(int communities, int streets, uint64_t seed) {
    std::vector<Fact> out;
    GeneratorOptions o;
    o.communities = communities;
    o.streets = streets;
    o.seed = seed;
    EXPECT_TRUE(generate_district(o, config_, [&](const std::string& l) {
      out.push_back({l, json::parse(l)["source"].get<std::string>()});
    }));
    return out;
  }

  // Every answer of the engine fed `facts` in this order, then a tick on `tick`, as text.
  std::string answers(const std::vector<Fact>& facts, const std::vector<std::string>& communities,
                      Date tick) {
    testing::MemoryLog log;
    auto intake = Intake::open(log, config_);
    std::vector<IntakeInput> in;
    for (const Fact& f : facts) in.push_back({f.line, "shuffle", std::nullopt});
    for (size_t at = 0; at < in.size(); at += 500) {  // deliveries of 500, as batches arrive
      std::vector<IntakeInput> part(in.begin() + static_cast<long>(at),
                                    in.begin() + static_cast<long>(std::min(in.size(), at + 500)));
      auto out = (*intake)->submit(part);
      EXPECT_TRUE(out);
      for (const auto& o : *out) EXPECT_NE(o.verdict, Verdict::kRejected) << o.reason.message;
    }
    Event t{Envelope{}, Tick{}};
    t.envelope.id = "tick-" + tick.to_string() + "-0";
    t.envelope.source = "jiayuan";
    t.envelope.occurred = tick;
    EXPECT_TRUE(log.append(topics::kEvents, std::vector<Record>{event_record(t)}));
    testing::TempDir dir;
    auto store = Store::open(dir / "engine");
    EXPECT_TRUE(store);
    std::atomic<bool> stop{false};
    EXPECT_TRUE(run_engine(log, **store, config_, RunOptions{}, stop));
    const ProjectionView now(**store);
    std::string out;
    auto add = [&](const std::string& what, const Result<json>& j) {
      EXPECT_TRUE(j) << what;
      out += what + " " + (j ? j->dump() : std::string("error")) + "\n";
      ++compared_;
    };
    add("summary", street_summary(now, 2023));
    add("awards", district_view_at(now, config_, 2023));
    add("companies", company_standings_at(now, config_, 2023));
    add("cases", failing_cases(now, tick, true));
    add("communities", community_list(now, 2023));
    const std::vector<Date> dates = {*Date::parse("2023-06-30"), *Date::parse("2023-12-31"),
                                     *Date::parse("2024-01-15"), tick};
    for (const std::string& c : communities) {
      auto v = community_view(now, CommunityId(c));
      add("community " + c, v ? Result<json>(v->value_or(json())) : Result<json>(fail(v.error())));
      for (Date d : dates) {
        auto then = community_view(ProjectionView(**store, d), CommunityId(c));
        add("community " + c + " as of " + d.to_string(),
            then ? Result<json>(then->value_or(json())) : Result<json>(fail(then.error())));
      }
    }
    for (Date d : dates)
      add("cases as of " + d.to_string(), failing_cases(ProjectionView(**store, d), d, true));
    return out;
  }

  // The facts grouped by source, each source's own order kept, the sources taken in `order`.
  static std::vector<Fact> grouped(const std::vector<Fact>& facts,
                                   const std::vector<std::string>& order) {
    std::map<std::string, std::vector<Fact>> by;
    for (const Fact& f : facts) by[f.source].push_back(f);
    std::vector<Fact> out;
    for (const std::string& s : order) out.insert(out.end(), by[s].begin(), by[s].end());
    return out;
  }
  // Sources interleaved at random: each time a random source delivers its next 1..50 facts.
  static std::vector<Fact> interleaved(const std::vector<Fact>& facts, uint64_t seed) {
    std::map<std::string, std::vector<Fact>> by;
    for (const Fact& f : facts) by[f.source].push_back(f);
    std::vector<std::pair<std::vector<Fact>*, size_t>> left;
    for (auto& [s, v] : by) left.push_back({&v, 0});
    std::mt19937_64 rng(seed);
    std::vector<Fact> out;
    while (!left.empty()) {
      const size_t i = rng() % left.size();
      auto& [v, at] = left[i];
      const size_t n = 1 + rng() % 50;
      for (size_t k = 0; k < n && at < v->size(); ++k) out.push_back((*v)[at++]);
      if (at == v->size()) left.erase(left.begin() + static_cast<long>(i));
    }
    return out;
  }

  void check(int communities, int streets, uint64_t seed, int random_interleavings) {
    const std::vector<Fact> facts = district(communities, streets, seed);
    std::vector<std::string> ids, sources;
    for (const Fact& f : facts) {
      const json j = json::parse(f.line);
      if (j["type"] == "jiayuan.community.registered") ids.push_back(j["data"]["community"]);
      if (std::find(sources.begin(), sources.end(), f.source) == sources.end())
        sources.push_back(f.source);
    }
    std::sort(sources.begin(), sources.end());
    const Date tick = *Date::parse("2024-06-30");
    const std::string expected = answers(facts, ids, tick);
    std::vector<std::pair<std::string, std::vector<Fact>>> orders;
    orders.push_back({"by source", grouped(facts, sources)});
    orders.push_back({"by source, reversed", grouped(facts, {sources.rbegin(), sources.rend()})});
    for (int k = 0; k < random_interleavings; ++k) {
      orders.push_back({"interleaved " + std::to_string(k),
                        interleaved(facts, seed * 31 + static_cast<uint64_t>(k))});
    }
    int differing = 0;
    for (const auto& [name, order] : orders) {
      const std::string got = answers(order, ids, tick);
      if (got != expected) {
        ++differing;
        // The first differing answer, to say where.
        size_t at = 0;
        while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
        const size_t line =
            expected.rfind('\n', at) == std::string::npos ? 0 : expected.rfind('\n', at) + 1;
        ADD_FAILURE() << name
                      << ": first difference in\n  date order: " << expected.substr(line, 300)
                      << "\n  " << name << ": " << got.substr(line, 300);
      }
    }
    std::printf(
        "shuffle: %d communities, %zu facts, %zu interleavings, %zu answers compared, differing: "
        "%d\n",
        communities, facts.size(), orders.size(), compared_, differing);
  }

  Config config_;
  size_t compared_ = 0;
};

// Under the sanitizers one random interleaving (of four): the same code paths, a third the time.
#ifdef JIAYUAN_SANITIZED
constexpr int kDemoInterleavings = 1;
#else
constexpr int kDemoInterleavings = 4;
#endif
TEST_F(ShuffleTest, TheDemoDistrictGivesTheSameAnswersInEveryDeliveryOrder) {
  check(100, 3, 20231, kDemoInterleavings);
}

// 1,500 communities (a real district's count): long, so under the sanitizers only the demo
// district runs (JIAYUAN_SANITIZED builds skip this one).
TEST_F(ShuffleTest, AFifteenHundredCommunityYearGivesTheSameAnswersInEveryDeliveryOrder) {
#ifdef JIAYUAN_SANITIZED
  GTEST_SKIP() << "long: runs in the default build only";
#endif
  check(1500, 15, 7, 3);
}

}  // namespace
}  // namespace jiayuan
