// A transactional KafkaLog against a real broker (tests/support/kafka.h): which offsets it
// knows hold only its own commit markers, records sent without waiting, and intake learning its
// own transactions without reading them back while still reading what another writer appended.
#include <gtest/gtest.h>

#include "connectors/kafka_log.h"
#include "engine/intake.h"
#include "events/json_codec.h"
#include "tests/support/config.h"
#include "tests/support/facts.h"
#include "tests/support/kafka.h"
#include "tests/support/read_to_end.h"
#include "tests/support/watched_log.h"

namespace jiayuan {
namespace {

Result<std::unique_ptr<KafkaLog>> open_log(const KafkaSettings& settings, const std::string& id,
                                           bool transactional) {
  return KafkaLog::open({.settings = settings,
                         .client_id = id,
                         .transactional_id = transactional ? id : "",
                         .require_topics = true});
}

std::vector<Record> to_partition(int32_t p, int n, const std::string& tag) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Record{"k", tag + std::to_string(i), {{"ce_id", tag + std::to_string(i)}}, p});
  }
  return out;
}

// The values of partition p of `topic` from `from` to its end.
std::vector<std::string> values_from(Log& log, std::string_view topic, int32_t p, int64_t from) {
  std::vector<std::string> out;
  for (const LogEntry& e : testing::read_to_end(log, topic, p, from)) out.push_back(e.record.value);
  return out;
}

// One transaction of `records` on partition p of `topic`: the offset of its last record.
int64_t committed(KafkaLog& log, std::string_view topic, std::vector<Record> records) {
  EXPECT_TRUE(log.begin());
  auto at = log.append(topic, records);
  EXPECT_TRUE(at) << at.error().message;
  EXPECT_TRUE(log.commit(nullptr, {}));
  return at->back().offset;
}

TEST(KafkaTransactions, TheOneOffsetAfterACommittedTransactionsRecordsIsKnownAsItsMarker) {
  JY_KAFKA_OR_SKIP(settings, "markers");
  ASSERT_TRUE(create_topics(settings, District{}));
  auto mine = open_log(settings, "markers-mine", true);
  auto other = open_log(settings, "markers-other", false);
  ASSERT_TRUE(mine && other);
  KafkaLog& log = **mine;
  const std::string_view events = topics::kEvents;

  // Before any commit nothing is known as a marker; an empty range always holds none.
  EXPECT_TRUE(log.only_markers(events, 1, 5, 5));
  EXPECT_FALSE(log.only_markers(events, 1, 0, 1));

  const int64_t last = committed(log, events, to_partition(1, 3, "a"));
  ASSERT_TRUE(log.begin());
  auto next = log.append(events, to_partition(1, 1, "b"));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->front().offset, last + 2);  // the marker took last + 1
  EXPECT_TRUE(log.only_markers(events, 1, last + 1, last + 2));
  EXPECT_FALSE(log.only_markers(events, 1, last, last + 2));      // `last` is a record
  EXPECT_FALSE(log.only_markers(events, 0, last + 1, last + 2));  // another partition
  // Another writer's record between this transaction's last record and its commit: the next
  // transaction's first record is two after it, and nothing in between is taken for a marker.
  auto theirs = (*other)->append(events, to_partition(1, 1, "theirs"));
  ASSERT_TRUE(theirs) << theirs.error().message;
  ASSERT_TRUE(log.commit(nullptr, {}));
  const int64_t b = next->front().offset;
  ASSERT_EQ(theirs->front().offset, b + 1);
  const int64_t c = committed(log, events, to_partition(1, 1, "c"));
  EXPECT_EQ(c, b + 3);  // b, theirs, b's marker, c
  EXPECT_FALSE(log.only_markers(events, 1, b + 1, c));
  EXPECT_FALSE(log.only_markers(events, 1, b + 2, c));  // true, but not provable from b alone

  // An aborted transaction's records and marker are not markers of a committed one.
  ASSERT_TRUE(log.begin());
  ASSERT_TRUE(log.append(events, to_partition(1, 2, "aborted")));
  ASSERT_TRUE(log.abort());
  ASSERT_TRUE(log.begin());
  auto after = log.append(events, to_partition(1, 1, "d"));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->front().offset, c + 5);  // c's marker, two aborted, the abort marker
  EXPECT_FALSE(log.only_markers(events, 1, after->front().offset - 1, after->front().offset));
  ASSERT_TRUE(log.commit(nullptr, {}));

  // A log without transactions writes no markers and knows of none.
  auto plain = (*other)->append(events, to_partition(2, 1, "p"));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(
      (*other)->only_markers(events, 2, plain->front().offset + 1, plain->front().offset + 2));
}

TEST(KafkaTransactions, SentRecordsAreVisibleWithTheCommitAndGoneWithAnAbort) {
  JY_KAFKA_OR_SKIP(settings, "send");
  ASSERT_TRUE(create_topics(settings, District{}));
  auto mine = open_log(settings, "send-mine", true);
  auto reader = open_log(settings, "send-reader", false);
  ASSERT_TRUE(mine && reader);
  KafkaLog& log = **mine;
  const std::string_view dead = topics::kDeadLetter;
  ASSERT_TRUE(log.begin());
  ASSERT_TRUE(log.send(dead, to_partition(0, 3, "kept")));
  ASSERT_TRUE(log.commit(nullptr, {}));
  ASSERT_TRUE(log.begin());
  ASSERT_TRUE(log.send(dead, to_partition(0, 2, "dropped")));
  ASSERT_TRUE(log.abort());
  ASSERT_TRUE(log.begin());
  ASSERT_TRUE(log.send(dead, to_partition(0, 1, "later")));
  ASSERT_TRUE(log.commit(nullptr, {}));
  EXPECT_EQ(values_from(**reader, dead, 0, 0),
            (std::vector<std::string>{"kept0", "kept1", "kept2", "later0"}));

  // Records someone reads back (facts, decisions) and a log without transactions are refused.
  auto facts = log.send(topics::kEvents, to_partition(0, 1, "x"));
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, "internal_error");
  auto plain = (*reader)->send(dead, to_partition(0, 1, "x"));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, "internal_error");
}

TEST(KafkaReaders, AStoppedReaderStartsAgainWhereTheNextReadAsks) {
  JY_KAFKA_OR_SKIP(settings, "stopped");
  ASSERT_TRUE(create_topics(settings, District{}));
  auto log = open_log(settings, "stopped-reader", false);
  ASSERT_TRUE(log);
  const std::string_view dead = topics::kDeadLetter;
  auto first = (*log)->append(dead, to_partition(0, 3, "a"));
  ASSERT_TRUE(first) << first.error().message;
  const int64_t start = first->front().offset;
  auto got = (*log)->read(dead, 0, start, 100);
  ASSERT_TRUE(got && got->size() == 3u);
  (*log)->stop_readers();
  ASSERT_TRUE((*log)->append(dead, to_partition(0, 2, "b")));
  auto rest = (*log)->read(dead, 0, start + 3, 100);
  ASSERT_TRUE(rest) << rest.error().message;
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(rest->front().record.value, "b0");
  (*log)->stop_readers();
  EXPECT_EQ(values_from(**log, dead, 0, start),
            (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1"}));
}

std::vector<IntakeInput> inputs(const std::vector<Event>& events) {
  std::vector<IntakeInput> out;
  for (const Event& e : events) out.push_back({encode_event_json(e), "test", std::nullopt});
  return out;
}

std::vector<Event> inspections(int from, int n) {
  std::vector<Event> out;
  for (int i = from; i < from + n; ++i) {
    out.push_back(testing::inspection("C1", 80, "2023-03-01", "i" + std::to_string(i)));
  }
  return out;
}

std::vector<Verdict> verdicts(Result<std::vector<IntakeOutcome>> outcomes) {
  EXPECT_TRUE(outcomes) << outcomes.error().message;
  std::vector<Verdict> out;
  if (outcomes) {
    for (const IntakeOutcome& o : *outcomes) out.push_back(o.verdict);
  }
  return out;
}

TEST(KafkaTransactions, IntakeLearnsItsOwnTransactionsWithoutReadingThemButReadsAnotherWriters) {
  JY_KAFKA_OR_SKIP(settings, "ownappends");
  ASSERT_TRUE(create_topics(settings, District{}));
  auto mine = open_log(settings, "own-intake", true);
  auto other = open_log(settings, "own-other", false);
  ASSERT_TRUE(mine && other);
  testing::WatchedLog watched(**mine);
  auto opened = Intake::open(watched, testing::shipped_config());
  ASSERT_TRUE(opened) << opened.error().message;
  Intake& intake = **opened;
  auto step = [&](const std::vector<Event>& facts) {
    EXPECT_TRUE(intake.catch_up());
    EXPECT_TRUE((*mine)->begin());
    auto out = verdicts(intake.submit(inputs(facts)));
    EXPECT_TRUE((*mine)->commit(nullptr, {}));
    return out;
  };
  std::vector<Event> first = {testing::registered("C1", "yueyang", 2.0)};
  for (const Event& e : inspections(0, 5)) first.push_back(e);
  EXPECT_EQ(step(first), std::vector<Verdict>(6, Verdict::kAccepted));
  for (int k = 1; k <= 3; ++k) {
    EXPECT_EQ(step(inspections(5 * k, 5)), std::vector<Verdict>(5, Verdict::kAccepted));
  }
  EXPECT_EQ(watched.events_read, 0u);  // its own four transactions: none read back

  // Another writer's fact, appended between two of intake's transactions, is read and known.
  const Event theirs = testing::inspection("C1", 70, "2023-03-02", "theirs");
  const std::vector<Record> record = {event_record(theirs, "2023-03-02T09:00:00.000+08:00")};
  ASSERT_TRUE((*other)->append(topics::kEvents, record));
  EXPECT_EQ(step({theirs, inspections(3, 1)[0], inspections(17, 1)[0], inspections(30, 1)[0]}),
            (std::vector<Verdict>{Verdict::kDuplicate, Verdict::kDuplicate, Verdict::kDuplicate,
                                  Verdict::kAccepted}));
  EXPECT_EQ(watched.events_read, 1u);
}

}  // namespace
}  // namespace jiayuan
