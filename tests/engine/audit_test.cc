// Audit over a real embedded log and RocksDB: a generated year audits clean; an altered,
// re-hashed or deleted recorded decision is found and named; a what-if with raised thresholds
// lists exactly the communities whose score lies between the old and the new threshold.
#include "engine/audit.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "connectors/embedded_log.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
#include "projections/store.h"
#include "tests/support/config.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using nlohmann::json;

const std::map<std::string, int32_t> kPartitions = {{std::string(topics::kEvents), 2},
                                                    {std::string(topics::kDecisions), 2},
                                                    {std::string(topics::kDeadLetter), 1}};

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::shipped_config();
    auto log = EmbeddedLog::open(dir_ / "log", kPartitions);
    ASSERT_TRUE(log) << log.error().message;
    log_ = std::move(*log);
    // A generated year, with log time moved past its deadlines so cases open and escalate.
    GeneratorOptions g;
    g.communities = 80;
    g.streets = 3;
    g.year = 2023;
    g.seed = 77;
    std::vector<IntakeInput> in;
    ASSERT_TRUE(generate_district(g, config_, [&](const std::string& l) {
      in.push_back({l, "gen", std::nullopt});
    }));
    auto intake = Intake::open(*log_, config_);
    ASSERT_TRUE(intake);
    ASSERT_TRUE((*intake)->submit(in));
    std::vector<Record> ticks;
    for (int32_t p = 0; p < 2; ++p) {
      Event ev{Envelope{}, Tick{}};
      ev.envelope.id = "tick-2024-06-30-" + std::to_string(p);
      ev.envelope.source = "jiayuan";
      ev.envelope.type = "jiayuan.tick";
      ev.envelope.occurred = *Date::parse("2024-06-30");
      Record r = event_record(ev);
      r.partition = p;
      ticks.push_back(std::move(r));
    }
    ASSERT_TRUE(log_->append(topics::kEvents, ticks));
    auto store = Store::open(dir_ / "engine");
    ASSERT_TRUE(store);
    std::atomic<bool> stop{false};
    ASSERT_TRUE(run_engine(*log_, **store, config_, {}, stop));
  }

  // Audits `log` with a fresh scratch log and store.
  AuditReport audit(Log& log) {
    const std::string n = std::to_string(++scratches_);
    auto scratch = EmbeddedLog::open(dir_ / ("scratch-log-" + n), kPartitions);
    EXPECT_TRUE(scratch);
    auto r = audit_year(log, **scratch, dir_ / ("scratch-store-" + n), config_,
                        AuditOptions{.year = 2023, .batch_size = 1000, .progress = {}});
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  }

  // A copy of the recorded log with each decision record passed through `edit` (nullopt drops it).
  std::unique_ptr<EmbeddedLog> copy_with(
      const std::function<std::optional<Record>(const Decision&, const Record&)>& edit) {
    auto copy = EmbeddedLog::open(dir_ / ("copy-" + std::to_string(++scratches_)), kPartitions);
    EXPECT_TRUE(copy);
    for (std::string_view topic : {topics::kEvents, topics::kDecisions}) {
      for (int32_t p = 0; p < 2; ++p) {
        auto all = log_->read(topic, p, 0, 1 << 20);
        EXPECT_TRUE(all);
        std::vector<Record> out;
        for (const LogEntry& e : *all) {
          Record r = e.record;
          r.partition = p;
          if (topic == topics::kDecisions) {
            auto d = decode_decision_binary(r.value);
            EXPECT_TRUE(d);
            auto edited = edit(*d, r);
            if (!edited) continue;
            r = *edited;
            r.partition = p;
          }
          out.push_back(std::move(r));
        }
        if (!out.empty()) {
          EXPECT_TRUE((*copy)->append(topic, out));
        }
      }
    }
    return std::move(*copy);
  }

  // A copy of the recorded log in which the rating `victim` says 不达标; with `rehash`, its
  // hash is recomputed to match.
  std::unique_ptr<EmbeddedLog> with_failing_grade(const std::string& victim, bool rehash) {
    return copy_with([&](const Decision& d, const Record& r) -> std::optional<Record> {
      if (d.id != victim) return r;
      Decision worse = d;
      std::get<CommunityRated>(worse.body).grade = Grade::kFailing;
      if (rehash) worse.hash = decision_hash(worse);
      Record out = r;
      out.value = encode_decision_binary(worse);
      return out;
    });
  }

  // The id of a recorded 2023 rating that is neither first nor last in its chain.
  std::string a_middle_rating() {
    for (int32_t p = 0; p < 2; ++p) {
      auto all = log_->read(topics::kDecisions, p, 0, 1 << 20);
      for (size_t i = 1; i + 1 < all->size(); ++i) {
        auto d = decode_decision_binary((*all)[i].record.value);
        const auto* r = std::get_if<CommunityRated>(&d->body);
        if (r != nullptr && d->year == 2023 && r->grade == Grade::kPassing) return d->id;
      }
    }
    return "";
  }

  testing::TempDir dir_;
  Config config_;
  std::unique_ptr<EmbeddedLog> log_;
  int scratches_ = 0;
};

TEST_F(AuditTest, AGeneratedYearAuditsClean) {
  const AuditReport r = audit(*log_);
  EXPECT_TRUE(r.clean());
  EXPECT_TRUE(r.chain.empty()) << r.chain.front().problem;
  EXPECT_TRUE(r.diffs.empty()) << r.diffs.front().decision << " " << r.diffs.front().field;
  EXPECT_GT(r.recorded, 80u);  // a rating per community and the case steps
  EXPECT_EQ(r.recorded, r.recomputed);
  EXPECT_EQ(r.recorded_digest, r.recomputed_digest);
  EXPECT_EQ(r.recorded_digest.size(), 64u);
}

TEST_F(AuditTest, EveryDecisionLinksToThePreviousOneOfItsPartition) {
  for (int32_t p = 0; p < 2; ++p) {
    auto all = log_->read(topics::kDecisions, p, 0, 1 << 20);
    ASSERT_TRUE(all);
    ASSERT_FALSE(all->empty());
    std::string prev;
    for (const LogEntry& e : *all) {
      auto d = decode_decision_binary(e.record.value);
      ASSERT_TRUE(d);
      EXPECT_EQ(d->prev_hash, prev) << d->id;
      EXPECT_EQ(d->hash, decision_hash(*d));
      EXPECT_EQ(d->cause_partition, p);
      EXPECT_GE(d->cause_offset, 0);
      prev = d->hash;
    }
  }
}

TEST_F(AuditTest, AnAlteredDecisionIsFoundAndNamed) {
  const std::string victim = a_middle_rating();
  ASSERT_FALSE(victim.empty());
  auto tampered = with_failing_grade(victim, false);  // hash left as it was
  const AuditReport rep = audit(*tampered);
  EXPECT_FALSE(rep.clean());
  ASSERT_EQ(rep.chain.size(), 1u);
  EXPECT_EQ(rep.chain[0].decision, victim);
  EXPECT_NE(rep.chain[0].problem.find("does not match its hash"), std::string::npos)
      << rep.chain[0].problem;
  ASSERT_EQ(rep.diffs.size(), 1u);
  EXPECT_EQ(rep.diffs[0].decision, victim);
  EXPECT_EQ(rep.diffs[0].field, "body.grade");
  EXPECT_EQ(rep.diffs[0].recorded, "failing");
  EXPECT_EQ(rep.diffs[0].recomputed, "passing");
  EXPECT_NE(rep.recorded_digest, rep.recomputed_digest);
}

TEST_F(AuditTest, AnAlteredDecisionWithItsHashRecomputedBreaksTheNextLink) {
  const std::string victim = a_middle_rating();
  ASSERT_FALSE(victim.empty());
  auto tampered = with_failing_grade(victim, true);  // a careful forger
  const AuditReport rep = audit(*tampered);
  EXPECT_FALSE(rep.clean());
  ASSERT_EQ(rep.chain.size(), 1u);
  EXPECT_NE(rep.chain[0].decision, victim);  // its successor no longer finds what it follows
  EXPECT_NE(rep.chain[0].problem.find("not in the log"), std::string::npos) << rep.chain[0].problem;
  std::set<std::string> fields;
  for (const FieldDiff& d : rep.diffs) {
    EXPECT_EQ(d.decision, victim);
    fields.insert(d.field);
  }
  EXPECT_TRUE(fields.contains("body.grade"));
  EXPECT_TRUE(fields.contains("hash"));
}

TEST_F(AuditTest, ADeletedDecisionIsFound) {
  const std::string victim = a_middle_rating();
  ASSERT_FALSE(victim.empty());
  auto shortened = copy_with([&](const Decision& d, const Record& r) -> std::optional<Record> {
    if (d.id == victim) return std::nullopt;
    return r;
  });
  const AuditReport rep = audit(*shortened);
  EXPECT_FALSE(rep.clean());
  ASSERT_EQ(rep.chain.size(), 1u);
  EXPECT_NE(rep.chain[0].problem.find("removed"), std::string::npos) << rep.chain[0].problem;
  ASSERT_EQ(rep.diffs.size(), 1u);
  EXPECT_EQ(rep.diffs[0].decision, victim);
  EXPECT_EQ(rep.diffs[0].field, "(decision)");
  EXPECT_EQ(rep.diffs[0].recorded, "absent");
  EXPECT_EQ(rep.recorded + 1, rep.recomputed);
}

TEST_F(AuditTest, ARevisionMustReviseAnEarlierDecisionOfTheSameOutcome) {
  const std::string victim = a_middle_rating();
  ASSERT_FALSE(victim.empty());
  // The first recorded decision of another community, to name as what the victim revises.
  std::string other, first_rating;
  for (int32_t p = 0; p < 2 && other.empty(); ++p) {
    auto all = log_->read(topics::kDecisions, p, 0, 1 << 20);
    for (const LogEntry& e : *all) {
      auto d = decode_decision_binary(e.record.value);
      if (d->id == victim) break;
      if (std::holds_alternative<CommunityRated>(d->body)) {
        other = d->id;
        break;
      }
    }
  }
  ASSERT_FALSE(other.empty());
  for (const auto& [revises, expected] : std::vector<std::pair<std::string, std::string>>{
           {"community.rated:NOPE:2023:0000000000000000", "which is not in the log"},
           {other, "which decides another outcome"}}) {
    auto forged = copy_with([&](const Decision& d, const Record& r) -> std::optional<Record> {
      if (d.id != victim) return r;
      Decision f = d;
      f.revises = revises;
      Record out = r;
      out.value = encode_decision_binary(f);  // the hash left as it was: that is found too
      return out;
    });
    const AuditReport rep = audit(*forged);
    EXPECT_FALSE(rep.clean());
    bool named = false;
    for (const ChainProblem& p : rep.chain) {
      if (p.decision == victim && p.problem.find(expected) != std::string::npos) named = true;
    }
    EXPECT_TRUE(named) << revises;
  }
}

TEST_F(AuditTest, ARepublishedDecisionIsNotAProblem) {
  // The relay re-publishes after a crash: the same records again, later in the log.
  auto all = log_->read(topics::kDecisions, 0, 0, 5);
  ASSERT_TRUE(all);
  std::vector<Record> again;
  for (const LogEntry& e : *all) {
    Record r = e.record;
    r.partition = 0;
    again.push_back(r);
  }
  ASSERT_TRUE(log_->append(topics::kDecisions, again));
  EXPECT_TRUE(audit(*log_).clean());
}

TEST_F(AuditTest, AWhatIfWithARaisedPassingThresholdListsExactlyTheCommunitiesBetween) {
  // The rule set in force with every tier's 达标 threshold raised by 5 points.
  const RuleSet& now = *config_.rules.for_year(2023);
  std::ifstream in(now.path);
  std::stringstream text;
  text << in.rdbuf();
  std::string toml = text.str();
  std::map<std::string, Centi> raised;
  for (const auto& [tier, th] : now.tiers) {
    const std::string from =
        "passing = " + th.passing.to_string().substr(0, th.passing.to_string().find('.'));
    const size_t at = toml.find(from, toml.find("[tiers." + tier + "]"));
    ASSERT_NE(at, std::string::npos) << from;
    const Centi higher = th.passing + *Centi::parse("5");
    toml.replace(at, from.size(), "passing = " + higher.to_string());
    raised[tier] = higher;
  }
  auto proposed = parse_rule_set(toml, "raised.toml");
  ASSERT_TRUE(proposed) << proposed.error().message;

  // Expected: every unvetoed community whose final score lies in [old passing, new passing).
  auto store = Store::open(dir_ / "engine");
  ASSERT_TRUE(store);
  std::set<std::string> expected;
  ASSERT_TRUE((*store)->scan(cf::kProjGrade, "2023/", [&](std::string_view, std::string_view v) {
    const json r = json::parse(v);
    const json& x = r["explanation"];
    if (!x.contains("final_score") || !x["vetoes"].empty()) return true;
    const Centi score = *Centi::parse(x["final_score"].get<std::string>());
    const Centi old_passing = *Centi::parse(x["thresholds"]["passing"].get<std::string>());
    if (old_passing <= score && score < raised.at(x["tier"].get<std::string>())) {
      expected.insert(r["community"].get<std::string>());
    }
    return true;
  }));
  store->reset();
  ASSERT_FALSE(expected.empty())
      << "the generated year has no score in the band: choose another seed";

  std::vector<int64_t> ends_before;
  for (std::string_view t : {topics::kEvents, topics::kDecisions}) {
    for (int32_t p = 0; p < 2; ++p) ends_before.push_back(*log_->end_offset(t, p));
  }
  auto a = EmbeddedLog::open(dir_ / "wi-a", kPartitions);
  auto b = EmbeddedLog::open(dir_ / "wi-b", kPartitions);
  ASSERT_TRUE(a && b);
  auto w = what_if(*log_, **a, dir_ / "wi-a-store", **b, dir_ / "wi-b-store", config_, *proposed,
                   AuditOptions{.year = 2023, .batch_size = 1000, .progress = {}});
  ASSERT_TRUE(w) << w.error().message;
  std::set<std::string> graded;
  for (const Change& c : w->changes) {
    if (c.what != "grade") continue;
    graded.insert(c.key);
    EXPECT_EQ(c.from.substr(0, c.from.find(' ')), "passing") << c.key;
    EXPECT_EQ(c.to.substr(0, c.to.find(' ')), "failing") << c.key;
  }
  EXPECT_EQ(graded, expected);
  std::vector<int64_t> ends_after;  // no side effects on the recorded log
  for (std::string_view t : {topics::kEvents, topics::kDecisions}) {
    for (int32_t p = 0; p < 2; ++p) ends_after.push_back(*log_->end_offset(t, p));
  }
  EXPECT_EQ(ends_after, ends_before);
}

TEST_F(AuditTest, AWhatIfMustCoverThePeriodOfTheRuleSetItReplaces) {
  RuleSet shorter = *config_.rules.for_year(2023);
  shorter.to = *Date::parse("2023-12-31");
  shorter.path = "short.toml";
  auto a = EmbeddedLog::open(dir_ / "wi-a", kPartitions);
  auto b = EmbeddedLog::open(dir_ / "wi-b", kPartitions);
  auto w = what_if(*log_, **a, dir_ / "wi-a-store", **b, dir_ / "wi-b-store", config_, shorter,
                   AuditOptions{.year = 2023, .batch_size = 1000, .progress = {}});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message,
            "short.toml: a proposed rule set replaces songjiang-2022-134 and must cover its period "
            "2022-12-01 to "
            "2024-12-31; it covers 2022-12-01 to 2023-12-31");
}

TEST_F(AuditTest, AYearNoRuleSetDefinesIsRefused) {
  auto scratch = EmbeddedLog::open(dir_ / "s", kPartitions);
  auto r = audit_year(*log_, **scratch, dir_ / "s-store", config_,
                      AuditOptions{.year = 2031, .batch_size = 1000, .progress = {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--year 2031: no rule set defines that evaluation year");
}

}  // namespace
}  // namespace jiayuan
