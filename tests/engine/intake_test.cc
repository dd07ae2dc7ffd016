#include "engine/intake.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/generator.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
#include "tests/support/config.h"
#include "tests/support/facts.h"
#include "tests/support/manual_clock.h"
#include "tests/support/memory_log.h"
#include "tests/support/temp_dir.h"
#include "tests/support/watched_log.h"

namespace jiayuan {
namespace {

using testing::WatchedLog;

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::shipped_config();
    auto i = Intake::open(log_, config_);
    ASSERT_TRUE(i);
    intake_ = std::move(*i);
  }
  std::vector<IntakeOutcome> submit(const std::vector<std::string>& lines) {
    std::vector<IntakeInput> in;
    for (size_t i = 0; i < lines.size(); ++i)
      in.push_back({lines[i], "f:" + std::to_string(i + 1), std::nullopt});
    auto out = intake_->submit(in);
    EXPECT_TRUE(out);
    return *out;
  }
  Config config_;
  testing::MemoryLog log_;
  std::unique_ptr<Intake> intake_;
};

std::string json(const Event& e) { return encode_event_json(e); }

TEST_F(IntakeTest, AcceptedFactsGoToTheEventsLogAndBadOnesToTheDeadLetterLog) {
  auto out = submit({json(testing::registered("C1", "yueyang", 2.0)), "{not json",
                     json(testing::inspection("C1", 80, "2023-03-01", "i1"))});
  EXPECT_EQ(out[0].verdict, Verdict::kAccepted);
  EXPECT_EQ(out[1].verdict, Verdict::kRejected);
  EXPECT_EQ(out[1].reason.code, "bad_json");
  EXPECT_EQ(out[2].verdict, Verdict::kAccepted);
  EXPECT_EQ(*log_.end_offset(topics::kEvents, 0), 2);
  auto dead = log_.read(topics::kDeadLetter, 0, 0, 10);
  ASSERT_EQ(dead->size(), 1u);
  const Record& r = (*dead)[0].record;
  EXPECT_EQ(r.value, "{not json");  // original bytes
  EXPECT_EQ(r.header(headers::kErrorStage), "intake");
  EXPECT_EQ(r.header(headers::kErrorOrigin), "f:2");
  EXPECT_EQ(r.header(headers::kErrorCode), "bad_json");
}

TEST_F(IntakeTest, SameSourceAndIdWithSameContentIsANoOp) {
  const std::string reg = json(testing::registered("C1", "yueyang", 2.0));
  submit({reg});
  auto again = submit({reg});
  EXPECT_EQ(again[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(*log_.end_offset(topics::kEvents, 0), 1);
}

TEST_F(IntakeTest, SameSourceAndIdWithDifferentContentIsRejected) {
  submit({json(testing::registered("C1", "yueyang", 2.0)),
          json(testing::inspection("C1", 80, "2023-03-01", "i1"))});
  auto out = submit({json(testing::inspection("C1", 81, "2023-03-01", "i1"))});
  EXPECT_EQ(out[0].verdict, Verdict::kRejected);
  EXPECT_EQ(out[0].reason.code, "conflicting_resend");
}

// Within one call: the same (source, id) again is a duplicate or a conflicting resend as it is
// across calls; the same id from another source is another fact.
TEST_F(IntakeTest, WithinOneCallASecondFactOfTheSameSourceAndIdIsJudgedAgainstTheFirst) {
  Event other = testing::registered("C2", "yueyang", 2.0);
  other.envelope.id = "i1";
  ASSERT_NE(other.envelope.source, "bureau");
  const auto out = submit({json(testing::registered("C1", "yueyang", 2.0)),
                           json(testing::inspection("C1", 80, "2023-03-01", "i1")),
                           json(testing::inspection("C1", 80, "2023-03-01", "i1")),
                           json(testing::inspection("C1", 81, "2023-03-01", "i1")), json(other)});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].verdict, Verdict::kAccepted);
  EXPECT_EQ(out[1].verdict, Verdict::kAccepted);
  EXPECT_EQ(out[2].verdict, Verdict::kDuplicate);
  EXPECT_EQ(out[3].verdict, Verdict::kRejected);
  EXPECT_EQ(out[3].reason.code, "conflicting_resend");
  EXPECT_EQ(out[4].verdict, Verdict::kAccepted) << out[4].reason.message;
  EXPECT_EQ(*log_.end_offset(topics::kEvents, 0), 3);
}

TEST_F(IntakeTest, IndexIsRebuiltFromTheLogOnOpen) {
  submit({json(testing::registered("C1", "yueyang", 2.0))});
  auto reopened = Intake::open(log_, config_);
  ASSERT_TRUE(reopened);
  std::vector<IntakeInput> in = {
      {json(testing::registered("C1", "yueyang", 2.0)), "x", std::nullopt},
      {json(testing::inspection("C1", 80, "2023-03-01", "i1")), "y", std::nullopt}};
  auto out = (*reopened)->submit(in);
  EXPECT_EQ((*out)[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ((*out)[1].verdict, Verdict::kAccepted);  // the community is known after reopening
}

TEST_F(IntakeTest, RejectsWithPreciseReasons) {
  submit({json(testing::registered("C1", "yueyang", 2.0))});
  Event wrong_source = testing::review_closed("C1", 2023, "2024-01-10");
  wrong_source.envelope.source = "street.yueyang";
  Event atlantis = testing::registered("C3", "atlantis", 2.0);
  atlantis.envelope.source = "bureau";
  Event unknown_dept = testing::inspection("C1", 80, "2023-03-01", "i9");
  unknown_dept.envelope.source = "aliens";
  struct Case {
    std::string line;
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {json(testing::inspection("C1", 80, "2025-03-01", "i3")), "no_rule_set",
       "occurred: expected a date with a rule set in force, got 2025-03-01"},
      {json(atlantis), "unknown_street",
       "data.street: expected a street or town of config/district.toml, got \"atlantis\""},
      {json(wrong_source), "not_authorised",
       "source: expected a department allowed to publish jiayuan.review.closed (bureau), got "
       "\"street.yueyang\""},
      {json(unknown_dept), "unknown_source",
       "source: expected a department of config/district.toml, got \"aliens\""},
      {json(testing::review_closed("C1", 2023, "2025-01-01")), "bad_date",
       "occurred: expected a date from 2022-12-01 to 2024-12-31 for year 2023, got 2025-01-01"},
      {json(testing::review_closed("C1", 2030, "2024-01-01")), "no_rule_set",
       "data.year: expected an evaluation year a rule set defines, got 2030"},
  };
  for (const Case& c : cases) {
    auto out = submit({c.line});
    ASSERT_EQ(out[0].verdict, Verdict::kRejected) << c.line;
    EXPECT_EQ(out[0].reason.code, c.code) << out[0].reason.message;
    EXPECT_EQ(out[0].reason.message, c.message);
  }
}

TEST_F(IntakeTest, AFactNamingACommunityNotYetRegisteredIsAcceptedAndWaits) {
  auto out = submit({json(testing::inspection("C2", 80, "2023-03-01", "i2"))});
  ASSERT_EQ(out[0].verdict, Verdict::kAccepted) << out[0].reason.message;
  EXPECT_EQ(out[0].waiting_for, "community C2");
}

TEST_F(IntakeTest, ProvenSourceOverridesWhatTheEnvelopeClaims) {
  std::vector<IntakeInput> in = {
      {json(testing::registered("C1", "yueyang", 2.0)), "x", DepartmentId("street.fangsong")}};
  auto out = intake_->submit(in);
  ASSERT_EQ((*out)[0].verdict, Verdict::kRejected);
  EXPECT_EQ((*out)[0].reason.code, "source_mismatch");
}

TEST(Ticks, MoveLogTimeOnEveryPartitionStampedWithTheGivenInstant) {
  testing::MemoryLog log({{std::string(topics::kEvents), 3}});
  auto n = append_ticks(log, *Date::parse("2024-03-01"), 1700000000123);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 3u);
  for (int32_t p = 0; p < 3; ++p) {
    auto got = log.read(topics::kEvents, p, 0, 10);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 1u) << "partition " << p;
    const Record& r = (*got)[0].record;
    EXPECT_EQ(r.header("ce_type"), "jiayuan.tick");
    EXPECT_EQ(r.header("ce_id"), "tick-2024-03-01-" + std::to_string(p));
    EXPECT_EQ(r.header(headers::kAcceptedAt), rfc3339_ms(1700000000123));
    auto ev = decode_event_binary(r.value);
    ASSERT_TRUE(ev);
    EXPECT_TRUE(std::holds_alternative<Tick>(ev->fact));
    EXPECT_EQ(ev->envelope.occurred.to_string(), "2024-03-01");
  }
}

// The log underneath, watched: counts the events a reader takes; while `away`, its
// jiayuan.events cannot be read (a broker that does not answer).
TEST_F(IntakeTest, ARetractionWhoseTargetCannotBeReadBackIsRefusedAsAWholeNotRejected) {
  WatchedLog away(log_);
  auto opened = Intake::open(away, config_);
  ASSERT_TRUE(opened) << opened.error().message;
  Intake& intake = **opened;
  const std::string retraction =
      R"({"specversion":"1.0","id":"rt1","source":"bureau","type":"jiayuan.fact.retracted","occurred":"2023-04-01","data":{"id":"i1","reason":"录入错误"}})";
  std::vector<IntakeInput> first = {
      {json(testing::registered("C1", "yueyang", 2.0)), "a", std::nullopt},
      {json(testing::inspection("C1", 80, "2023-03-01", "i1")), "b", std::nullopt}};
  ASSERT_TRUE(intake.submit(first));
  away.away = true;
  std::vector<IntakeInput> second = {
      {json(testing::inspection("C1", 81, "2023-03-02", "i2")), "c", std::nullopt},
      {retraction, "d", std::nullopt}};
  auto refused = intake.submit(second);
  ASSERT_FALSE(refused);  // the sender's facts are not at fault: no verdict, nothing dead-lettered
  EXPECT_EQ(refused.error().code, "kafka_unavailable");
  EXPECT_EQ(*log_.end_offset(topics::kEvents, 0), 2);
  EXPECT_EQ(*log_.end_offset(topics::kDeadLetter, 0), 0);
  away.away = false;
  auto again = intake.submit(second);  // taken again once the log answers
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)[0].verdict, Verdict::kAccepted);
  EXPECT_EQ((*again)[1].verdict, Verdict::kAccepted) << (*again)[1].reason.message;
}

TEST_F(IntakeTest, ARetractionNamesAFactAcceptedEarlierInTheSameCallAsThatFactWasStored) {
  auto opened = Intake::open(log_, config_);
  ASSERT_TRUE(opened) << opened.error().message;
  const std::string retract_i1 =
      R"({"specversion":"1.0","id":"rt1","source":"bureau","type":"jiayuan.fact.retracted","occurred":"2023-04-01","data":{"id":"i1","reason":"录入错误"}})";
  const std::string retract_rt1 =
      R"({"specversion":"1.0","id":"rt2","source":"bureau","type":"jiayuan.fact.retracted","occurred":"2023-04-02","data":{"id":"rt1","reason":"x"}})";
  std::vector<IntakeInput> in = {
      {json(testing::registered("C1", "yueyang", 2.0)), "a", std::nullopt},
      {json(testing::inspection("C1", 80, "2023-03-01", "i1")), "b", std::nullopt},
      {retract_i1, "c", std::nullopt},
      {retract_rt1, "d", std::nullopt}};
  auto out = (*opened)->submit(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ((*out)[2].verdict, Verdict::kAccepted) << (*out)[2].reason.message;
  EXPECT_EQ((*out)[3].verdict, Verdict::kRejected);
  EXPECT_EQ((*out)[3].reason.code, "not_retractable");
  auto events = log_.read(topics::kEvents, 0, 0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  const Record& retraction = (*events)[2].record;
  EXPECT_EQ(retraction.key, "C1");  // stage 1 meets it where the inspection is
  EXPECT_EQ(retraction.header(headers::kRetracts), (*events)[1].record.value);
}

class IntakeSnapshotTest : public IntakeTest {
 protected:
  std::vector<IntakeOutcome> submit_to(Intake& intake, const std::vector<std::string>& lines) {
    std::vector<IntakeInput> in;
    for (const auto& l : lines) in.push_back({l, "f", std::nullopt});
    auto out = intake.submit(in);
    EXPECT_TRUE(out) << out.error().message;
    return out ? *out : std::vector<IntakeOutcome>{};
  }
  static std::vector<std::string> inspections(const std::string& community, int from, int count) {
    std::vector<std::string> out;
    for (int i = from; i < from + count; ++i) {
      out.push_back(
          json(testing::inspection(community, 80, "2023-03-01", "i" + std::to_string(i))));
    }
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(IntakeSnapshotTest, AStartReadsOnlyWhatCameAfterTheSnapshot) {
  const std::string snapshot = dir_ / "intake.snapshot";
  {
    auto a = Intake::open(log_, config_, snapshot);
    ASSERT_TRUE(a) << a.error().message;
    submit_to(**a, {json(testing::registered("C1", "yueyang", 2.0))});
    submit_to(**a, inspections("C1", 0, 20));
    ASSERT_TRUE((*a)->save_snapshot());
  }
  ASSERT_TRUE(intake_->catch_up());
  submit(inspections("C1", 20, 5));  // another writer, after the snapshot
  WatchedLog counting(log_);
  auto c = Intake::open(counting, config_, snapshot);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_LE(counting.events_read,
            5u + 1u + 1u);  // the tail, the fact at the recorded position (twice: load, save)
  EXPECT_GT(*log_.end_offset(topics::kEvents, 0), 25);
  auto again = submit_to(
      **c, {inspections("C1", 3, 1)[0], inspections("C1", 22, 1)[0], inspections("C1", 40, 1)[0]});
  EXPECT_EQ(again[0].verdict, Verdict::kDuplicate);  // known from the snapshot
  EXPECT_EQ(again[1].verdict, Verdict::kDuplicate);  // learned from the tail
  EXPECT_EQ(again[2].verdict, Verdict::kAccepted);   // C1's registration known: a new fact
}

TEST_F(IntakeSnapshotTest, WhatItAppendedIsNotReadBackAndItsSnapshotIsTheOneLearntFromTheLog) {
  const std::string mine = dir_ / "mine.snapshot";
  WatchedLog counting(log_);
  auto a = Intake::open(counting, config_, mine);
  ASSERT_TRUE(a) << a.error().message;
  submit_to(**a, {json(testing::registered("C1", "yueyang", 2.0))});
  submit_to(**a, inspections("C1", 0, 20));
  counting.events_read = 0;
  ASSERT_TRUE((*a)->save_snapshot());
  // Only the fact at each recorded position, to name it in the snapshot; none of the 21 appended.
  EXPECT_LE(counting.events_read, static_cast<size_t>(log_.partition_count(topics::kEvents)));

  // Another writer in between: its facts are read, and known after.
  ASSERT_TRUE(intake_->catch_up());
  submit(inspections("C1", 20, 5));
  submit_to(**a, inspections("C1", 25, 3));
  counting.events_read = 0;
  ASSERT_TRUE((*a)->catch_up());
  EXPECT_GE(counting.events_read, 5u);
  auto again = submit_to(**a, {inspections("C1", 21, 1)[0], inspections("C1", 26, 1)[0]});
  EXPECT_EQ(again[0].verdict, Verdict::kDuplicate);  // the other writer's, read back
  EXPECT_EQ(again[1].verdict, Verdict::kDuplicate);  // its own, never read back

  // What it knows is what an intake learning the whole log knows: the same snapshot bytes.
  ASSERT_TRUE((*a)->save_snapshot());
  const std::string learnt = dir_ / "learnt.snapshot";
  ASSERT_TRUE(Intake::open(log_, config_, learnt));  // no snapshot there: learns the whole log
  auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_FALSE(bytes(mine).empty());
  EXPECT_EQ(bytes(mine), bytes(learnt));
}

TEST_F(IntakeSnapshotTest, ASnapshotOfAnotherLogIsIgnored) {
  const std::string snapshot = dir_ / "intake.snapshot";
  testing::MemoryLog other;
  {
    auto a = Intake::open(other, config_, snapshot);
    ASSERT_TRUE(a);
    submit_to(**a, {json(testing::registered("C9", "yueyang", 2.0))});
    submit_to(**a, inspections("C9", 0, 3));
    ASSERT_TRUE((*a)->save_snapshot());
  }
  // This log has as many facts, other ones.
  submit({json(testing::registered("C1", "yueyang", 2.0))});
  submit(inspections("C1", 0, 3));
  auto c = Intake::open(log_, config_, snapshot);
  ASSERT_TRUE(c) << c.error().message;
  auto out =
      submit_to(**c, {inspections("C1", 1, 1)[0], json(testing::registered("C9", "yueyang", 2.0))});
  EXPECT_EQ(out[0].verdict, Verdict::kDuplicate);  // learned from this log
  EXPECT_EQ(out[1].verdict, Verdict::kAccepted);   // the other log's fact is not here
}

TEST_F(IntakeSnapshotTest, ADamagedSnapshotIsIgnoredAndWrittenAgain) {
  submit({json(testing::registered("C1", "yueyang", 2.0))});
  submit(inspections("C1", 0, 4));
  const std::string snapshot = dir_ / "intake.snapshot";
  for (const std::string& damage : {std::string("JYIX"), std::string("not a snapshot at all"),
                                    std::string("JYIX\x01\x01\xff\xff\xff\xff\xff\xff\xff\x7f")}) {
    std::ofstream(snapshot, std::ios::binary | std::ios::trunc) << damage;
    auto c = Intake::open(log_, config_, snapshot);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(submit_to(**c, {inspections("C1", 2, 1)[0]})[0].verdict, Verdict::kDuplicate);
    EXPECT_GT(std::filesystem::file_size(snapshot), damage.size());  // written again, whole
  }
}

// A generated district's lines (over 1,000) with, at line 701, a duplicate, a conflicting
// resend, a broken line, an unknown source, a retraction, another broken line and a duplicate.
std::vector<std::string> lines_with_every_verdict(const Config& config) {
  std::vector<std::string> lines;
  GeneratorOptions g;
  g.communities = 8;
  g.hotline_per_community = 150;
  g.seed = 3;
  EXPECT_TRUE(generate_district(g, config, [&](const std::string& l) { lines.push_back(l); }));
  nlohmann::json inspection;
  for (const std::string& l : lines) {
    inspection = nlohmann::json::parse(l);
    if (inspection["type"] == "jiayuan.inspection") break;
  }
  EXPECT_EQ(inspection["type"], "jiayuan.inspection");
  nlohmann::json conflicting = inspection;
  conflicting["data"]["score"] = 1;
  const nlohmann::json retraction = {{"specversion", "1.0"},
                                     {"id", "rt-1"},
                                     {"source", inspection["source"]},
                                     {"type", "jiayuan.fact.retracted"},
                                     {"occurred", inspection["occurred"]},
                                     {"data", {{"id", inspection["id"]}, {"reason", "录入错误"}}}};
  nlohmann::json stranger = inspection;
  stranger["source"] = "aliens";
  lines.insert(lines.begin() + 700, {lines[5], conflicting.dump(), "{not json", stranger.dump(),
                                     retraction.dump(), "[1,2", lines[600]});
  return lines;
}

// A prepared call is the caller's after submit (its inputs as they were); submitted again it is
// judged afresh: the facts are duplicates now, and a broken line is refused for the same reason.
TEST(IntakePrepared, SubmittedAgainAPreparedCallIsJudgedAfresh) {
  Config config = testing::shipped_config();
  testing::MemoryLog log;
  auto intake = Intake::open(log, config);
  ASSERT_TRUE(intake);
  std::vector<IntakeInput> in;
  for (const Event& e : {testing::registered("C1", "yueyang", 2.5),
                         testing::inspection("C1", 80, "2023-03-01", "i1")})
    in.push_back({encode_event_json(e), "t", std::nullopt});
  in.push_back({"{not json", "t", std::nullopt});
  PreparedInputs prepared = (*intake)->prepare(in);
  const auto first = (*intake)->submit(prepared);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[0].verdict, Verdict::kAccepted);
  EXPECT_EQ((*first)[1].verdict, Verdict::kAccepted);
  EXPECT_EQ((*first)[2].verdict, Verdict::kRejected);
  ASSERT_EQ(prepared.inputs.size(), 3u);
  EXPECT_EQ(prepared.inputs[2].bytes, "{not json");
  const auto again = (*intake)->submit(prepared);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ((*again)[1].verdict, Verdict::kDuplicate);
  EXPECT_EQ((*again)[2].verdict, Verdict::kRejected);
  EXPECT_EQ((*again)[2].reason.message, (*first)[2].reason.message);
  EXPECT_FALSE((*first)[2].reason.message.empty());
}

// Intake decodes, hashes and builds the records of a call's facts on engine.toml
// `intake_threads` threads and judges them in order after: the same call gives the same
// verdicts, reasons, positions and records (facts and dead letters) on one thread and on several,
// and when each call is prepared ahead (the next on another thread, as `jiayuan publish` does),
// with duplicates, a conflicting resend, a retraction, broken lines and an unknown source among
// the facts, and again when the whole call is sent a second time.
TEST(IntakeThreads, TheSameCallGivesTheSameVerdictsAndRecordsOnAnyNumberOfThreadsAndPreparedAhead) {
  Config config = testing::shipped_config();
  const std::vector<std::string> lines = lines_with_every_verdict(config);
  ASSERT_GT(lines.size(), 1000u);  // enough for every thread to take a share
  std::vector<IntakeInput> in;
  for (size_t i = 0; i < lines.size(); ++i)
    in.push_back({lines[i], "f:" + std::to_string(i + 1), std::nullopt});

  // `ahead`: each call prepared first, the second on another thread while the first is submitted
  // (as `jiayuan publish` does).
  auto run = [&](int64_t threads, bool ahead = false) {
    config.engine.intake_threads = threads;
    testing::MemoryLog log({{std::string(topics::kEvents), 3}});
    testing::ManualClock clock(1'700'000'000'000);
    auto intake = Intake::open(log, config);
    EXPECT_TRUE(intake);
    (*intake)->set_clock(clock);
    std::vector<std::string> seen;
    std::optional<PreparedInputs> next;
    if (ahead) next = (*intake)->prepare(in);
    for (int call = 0; call < 2; ++call) {
      std::optional<PreparedInputs> later;
      std::jthread preparing;
      if (ahead && call == 0) preparing = std::jthread([&] { later = (*intake)->prepare(in); });
      auto out = ahead ? (*intake)->submit(*next) : (*intake)->submit(in);
      if (preparing.joinable()) preparing.join();
      next = std::move(later);
      EXPECT_TRUE(out) << out.error().message;
      for (const IntakeOutcome& o : *out) {
        seen.push_back(std::to_string(static_cast<int>(o.verdict)) + " " +
                       std::to_string(o.position.partition) + "/" +
                       std::to_string(o.position.offset) + " " + o.reason.code + " " +
                       o.reason.message + " " + o.waiting_for);
      }
    }
    std::vector<Record> records;
    for (std::string_view topic : {topics::kEvents, topics::kDeadLetter}) {
      for (int32_t p = 0; p < log.partition_count(topic); ++p) {
        const auto got = log.read(topic, p, 0, 1 << 20);
        EXPECT_TRUE(got);
        for (const LogEntry& e : *got) records.push_back(e.record);
      }
    }
    return std::pair(seen, records);
  };
  const auto one = run(1);
  size_t accepted = 0, duplicates = 0, rejected = 0;
  for (const std::string& v : one.first) {
    accepted += v.starts_with(std::to_string(static_cast<int>(Verdict::kAccepted)) + " ");
    duplicates += v.starts_with(std::to_string(static_cast<int>(Verdict::kDuplicate)) + " ");
    rejected += v.starts_with(std::to_string(static_cast<int>(Verdict::kRejected)) + " ");
  }
  EXPECT_EQ(accepted, lines.size() - 6) << "all but the duplicates and the four refused";
  EXPECT_EQ(rejected, 8u) << "four refused, each twice";
  EXPECT_EQ(duplicates, lines.size() + 2 - 4)
      << "two in the first call, all accepted in the second";
  for (int64_t threads : {2, 5}) {
    const auto many = run(threads);
    EXPECT_EQ(many.first, one.first) << threads << " threads";
    EXPECT_EQ(many.second, one.second) << threads << " threads";
  }
  for (int64_t threads : {1, 2}) {
    const auto ahead = run(threads, true);
    EXPECT_EQ(ahead.first, one.first) << threads << " threads, prepared ahead";
    EXPECT_EQ(ahead.second, one.second) << threads << " threads, prepared ahead";
  }
}

}  // namespace
}  // namespace jiayuan
