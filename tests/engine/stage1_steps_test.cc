// Stage 1's steps: the states it keeps between them, its partitions folded on several threads,
// and what a step that fails leaves.
#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>

#include "connectors/embedded_log.h"
#include "engine/stages.h"
#include "engine/waiting.h"
#include "events/json_codec.h"
#include "tests/support/cereal_state.h"
#include "tests/support/facts.h"
#include "tests/support/memory_log.h"
#include "tests/support/stages_fixture.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using testing::decode_state;
using testing::StagesTest;

// Stage 1 keeps the states it wrote between steps (engine.toml state_cache) instead of reading
// them back: the same log folds to the same decisions, projections and stored states whether it
// keeps none, a few (most dropped and read back again), or all of them.
TEST_F(StagesTest, StatesKeptBetweenStepsFoldAsTheStoreHoldsThem) {
  const std::vector<std::string> lines = demo_lines(12);
  std::vector<std::string> registry_last = lines;  // waiting facts, placed across many steps
  std::stable_partition(registry_last.begin(), registry_last.end(), [](const std::string& l) {
    return l.find("\"jiayuan.community.registered\"") == std::string::npos;
  });
  for (const auto& order : {lines, registry_last}) {
    struct Outcome {
      std::string digest;
      std::vector<Record> decisions;
      std::map<std::string, std::string> states;
    };
    std::vector<Outcome> outcomes;
    for (int64_t kept : {0, 3, 4096}) {
      config_.engine.state_cache = kept;
      testing::MemoryLog log;
      Outcome o;
      o.digest = run_all(log, order, 7);
      const auto decisions = log.read(topics::kDecisions, 0, 0, 1 << 20);
      ASSERT_TRUE(decisions);
      for (const LogEntry& e : *decisions) o.decisions.push_back(e.record);
      EXPECT_TRUE(last_store_->scan(cf::kStage1, "", [&](std::string_view k, std::string_view v) {
        o.states.emplace(k, v);
        return true;
      }));
      outcomes.push_back(std::move(o));
    }
    ASSERT_GT(outcomes[0].decisions.size(), 12u);
    ASSERT_EQ(outcomes[0].states.size(), 12u);
    for (size_t i = 1; i < outcomes.size(); ++i) {
      EXPECT_EQ(outcomes[i].digest, outcomes[0].digest) << i;
      EXPECT_EQ(outcomes[i].decisions, outcomes[0].decisions) << i;
      EXPECT_EQ(outcomes[i].states, outcomes[0].states) << i;
    }
  }
}

// A step that fails part-way has folded facts into states it took from those kept: none of them
// may be kept, or the step that folds the same facts again would count them twice.
TEST_F(StagesTest, AStepThatFailsLeavesNoneOfItsStatesKept) {
  const CommunityChanged changed = testing::households_changed("C1", "yueyang", 2.5, 777);
  const std::vector<Event> first = {testing::registered("C1", "yueyang", 2.5),
                                    testing::inspection("C1", 80, "2023-03-01", "i1")};
  const std::vector<Event> second = {
      testing::inspection("C1", 90, "2023-04-01", "i2"),
      Event{testing::env("chg", "bureau", "2023-05-01", "C1"), changed}};
  testing::MemoryLog log;
  auto intake = Intake::open(log, config_);
  ASSERT_TRUE(intake);
  testing::TempDir dir, reference_dir;
  auto store = Store::open(dir / "engine");
  ASSERT_TRUE(store);
  CommunityStage stage(log, **store, config_);
  submit_all(**intake, first);
  ASSERT_EQ(stage.step(1000).value_or(0), 2u);
  // A corrupt waiting fact of C1: the registry fact of the next step reads C1's waiting facts
  // back (after i2 is folded into the state it kept) and the step fails there.
  const std::string corrupt = waiting_key("C1", "street.yueyang", "x");
  rocksdb::WriteBatch put;
  put.Put((*store)->cf(cf::kWaitingFacts), corrupt, "not a waiting fact");
  ASSERT_TRUE((*store)->write(put));
  submit_all(**intake, second);
  const auto failed = stage.step(1000);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, "bad_binary") << failed.error().message;
  rocksdb::WriteBatch mend;
  mend.Delete((*store)->cf(cf::kWaitingFacts), corrupt);
  ASSERT_TRUE((*store)->write(mend));
  ASSERT_EQ(stage.step(1000).value_or(0), 2u);

  auto reference = Store::open(reference_dir / "engine");
  ASSERT_TRUE(reference);
  CommunityStage fresh(log, **reference, config_);
  ASSERT_EQ(fresh.step(1000).value_or(0), 4u);
  const auto state = (*store)->get(cf::kStage1, "C1");
  const auto expected = (*reference)->get(cf::kStage1, "C1");
  ASSERT_TRUE(state && *state && expected && *expected);
  EXPECT_EQ(decode_state(**state).years.at(2023).record.inspections, 2);
  EXPECT_EQ(**state, **expected);
}

// Stage 1 folds its partitions on engine.toml `fold_threads` threads and commits them in
// partition order: the same log gives the same decisions (each partition's, in order), dead
// letters, stored states and projection bytes on one thread and on several, over a log whose
// reads may run at once (the embedded log) and one whose reads take turns (the memory log).
TEST_F(StagesTest, PartitionsFoldedOnAnyNumberOfThreadsGiveTheSameBytes) {
  std::vector<std::string> lines = demo_lines(16);
  std::stable_partition(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("\"jiayuan.community.registered\"") == std::string::npos;
  });  // registrations last: waiting facts placed in later steps
  const std::map<std::string, int32_t> parts = {{std::string(topics::kEvents), 4},
                                                {std::string(topics::kDecisions), 3}};
  struct Outcome {
    std::string digest;
    std::vector<std::vector<Record>> decisions;  // each partition's
    std::vector<Record> dead;
    std::map<std::string, std::string> states;
  };
  auto outcome_of = [&](Log& log, int64_t threads) {
    config_.engine.fold_threads = threads;
    config_.engine.state_cache = 5;  // most states dropped and read back between steps
    Outcome o;
    o.digest = run_all(log, lines, 9);
    for (int32_t p = 0; p < log.partition_count(topics::kDecisions); ++p) {
      auto d = log.read(topics::kDecisions, p, 0, 1 << 20);
      EXPECT_TRUE(d);
      o.decisions.emplace_back();
      for (const LogEntry& e : *d) o.decisions.back().push_back(e.record);
    }
    auto dead = log.read(topics::kDeadLetter, 0, 0, 1 << 20);
    EXPECT_TRUE(dead);
    for (const LogEntry& e : *dead) o.dead.push_back(e.record);
    EXPECT_TRUE(last_store_->scan(cf::kStage1, "", [&](std::string_view k, std::string_view v) {
      o.states.emplace(k, v);
      return true;
    }));
    return o;
  };
  std::vector<Outcome> outcomes;
  for (int64_t threads : {1, 2, 4}) {
    testing::MemoryLog memory(parts);
    outcomes.push_back(outcome_of(memory, threads));
    testing::TempDir dir;
    auto embedded = EmbeddedLog::open(dir / "log", parts);
    ASSERT_TRUE(embedded) << embedded.error().message;
    ASSERT_TRUE((*embedded)->concurrent_reads());
    outcomes.push_back(outcome_of(**embedded, threads));
  }
  const Outcome& one = outcomes[0];
  ASSERT_EQ(one.decisions.size(), 3u);
  for (const auto& d : one.decisions) ASSERT_GT(d.size(), 4u) << "every partition decided";
  ASSERT_EQ(one.states.size(), 16u);
  for (size_t i = 1; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].digest, one.digest) << i;
    EXPECT_EQ(outcomes[i].decisions, one.decisions) << i;
    EXPECT_EQ(outcomes[i].dead, one.dead) << i;
    EXPECT_EQ(outcomes[i].states, one.states) << i;
  }
}

// When one partition's step fails, the partitions before it are committed and none after it,
// whichever thread folded them first; the next step goes on from there, its outbox numbered on
// from the last committed, to the same state and outbox as a stage that never failed.
TEST_F(StagesTest, AFailedPartitionCommitsThoseBeforeItAndNoneAfter) {
  config_.engine.fold_threads = 3;
  const std::map<std::string, int32_t> parts = {{std::string(topics::kEvents), 3}};
  testing::MemoryLog log(parts);
  // One community in each partition.
  std::vector<std::string> ids(3);
  for (int n = 1; std::find(ids.begin(), ids.end(), "") != ids.end(); ++n) {
    const std::string id = "C" + std::to_string(n);
    Record r;
    r.key = id;
    std::string& slot = ids[static_cast<size_t>(partition_of(r, 3))];
    if (slot.empty()) slot = id;
  }
  auto intake = Intake::open(log, config_);
  ASSERT_TRUE(intake);
  std::vector<Event> first, second;
  for (const std::string& id : ids) {
    first.push_back(testing::registered(id, "yueyang", 2.5));
    first.push_back(testing::inspection(id, 50, "2023-03-01", "i1-" + id));
    second.push_back(testing::inspection(id, 55, "2023-04-01", "i2-" + id));
    second.push_back(Event{testing::env("chg-" + id, "bureau", "2023-05-01", id),
                           testing::households_changed(id, "yueyang", 2.5, 777)});
    second.push_back(testing::review_closed(id, 2023, "2023-06-01"));  // rated: decisions
  }
  testing::TempDir dir, reference_dir;
  auto store = Store::open(dir / "engine");
  ASSERT_TRUE(store);
  CommunityStage stage(log, **store, config_);
  submit_all(**intake, first);
  ASSERT_EQ(stage.step(1000).value_or(0), 6u);
  // A corrupt waiting fact of the middle partition's community: its change reads them back.
  const std::string corrupt = waiting_key(ids[1], "street.yueyang", "x");
  rocksdb::WriteBatch put;
  put.Put((*store)->cf(cf::kWaitingFacts), corrupt, "not a waiting fact");
  ASSERT_TRUE((*store)->write(put));
  submit_all(**intake, second);
  const auto failed = stage.step(1000);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, "bad_binary") << failed.error().message;
  auto offset = [&](int32_t p) { return *(*store)->offset("stage1", topics::kEvents, p); };
  EXPECT_EQ(offset(0), 5) << "the partition before the failed one is committed";
  EXPECT_EQ(offset(1), 2) << "the failed partition is not";
  EXPECT_EQ(offset(2), 2) << "nor the one after it, though it may have been folded";
  rocksdb::WriteBatch mend;
  mend.Delete((*store)->cf(cf::kWaitingFacts), corrupt);
  ASSERT_TRUE((*store)->write(mend));
  ASSERT_EQ(stage.step(1000).value_or(0), 6u);

  auto reference = Store::open(reference_dir / "engine");
  ASSERT_TRUE(reference);
  config_.engine.fold_threads = 1;
  CommunityStage fresh(log, **reference, config_);
  ASSERT_EQ(fresh.step(1000).value_or(0), 15u);
  auto contents = [](Store& s, std::string_view family) {
    std::map<std::string, std::string> all;
    EXPECT_TRUE(s.scan(family, "", [&](std::string_view k, std::string_view v) {
      all.emplace(k, v);
      return true;
    }));
    return all;
  };
  EXPECT_EQ(contents(**store, cf::kStage1), contents(**reference, cf::kStage1));
  const auto outbox = contents(**store, cf::kOutbox);
  EXPECT_EQ(outbox.size(), 3u) << "one rating a community";
  EXPECT_EQ(outbox, contents(**reference, cf::kOutbox)) << "numbered on, in partition order";
}

}  // namespace
}  // namespace jiayuan
