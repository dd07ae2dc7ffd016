// Handoff: in order, at most `depth` waiting, and either side can end it.
#include "engine/handoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/read_handoff.h"

namespace jiayuan {
namespace {

TEST(Handoff, ItemsArriveInTheOrderGivenAndTakeEndsWhenTheGiverIsDone) {
  Handoff<std::string> h(2);
  std::jthread giver([&] {
    for (int i = 0; i < 500 && h.put(std::to_string(i)); ++i) {
    }
    h.done();
  });
  std::vector<std::string> got;
  while (std::optional<std::string> item = h.take()) got.push_back(*item);
  ASSERT_EQ(got.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(got[i], std::to_string(i));
  EXPECT_EQ(h.take(), std::nullopt) << "and stays ended";
}

TEST(Handoff, TheGiverWaitsWhileDepthItemsAreWaiting) {
  Handoff<int> h(2);
  std::atomic<int> given{0};
  std::jthread giver([&] {
    for (int i = 0; i < 3; ++i) {
      if (!h.put(i)) return;
      ++given;
    }
    h.done();
  });
  // Two go in at once; the third waits for a take (given a moment to show it would not).
  while (given.load() < 2) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(given.load(), 2);
  EXPECT_EQ(h.take(), 0);
  giver.join();
  EXPECT_EQ(given.load(), 3);
  EXPECT_EQ(h.take(), 1);
  EXPECT_EQ(h.take(), 2);
  EXPECT_EQ(h.take(), std::nullopt);
}

TEST(Handoff, AfterTheTakerStopsAWaitingPutAndEveryLaterOneIsRefused) {
  Handoff<int> h(1);
  ASSERT_TRUE(h.put(1));
  std::atomic<int> refused{0};
  std::jthread giver([&] {
    refused += h.put(2) ? 0 : 1;  // waits: one is waiting already
    refused += h.put(3) ? 0 : 1;
    h.done();
  });
  h.stop();
  giver.join();
  EXPECT_EQ(refused.load(), 2);
  EXPECT_EQ(h.take(), std::nullopt) << "what was waiting is dropped";
}

// Stage 1's reads as the projection stage takes them: a batch that covers its offset (from
// there on), a read of its own up to what was handed when it is behind, a wait when stage 1
// has read no further, and a read of its own where stage 1 read nothing in this process.
TEST(ReadHandoff, ThePositionDecidesBetweenABatchAReadOfItsOwnAndAWait) {
  auto entry = [](int64_t offset) { return LogEntry{{0, offset}, Record{"k", "v", {}}}; };
  ReadHandoff h;
  EXPECT_FALSE(h.take(0, 0).wait);  // nothing handed yet: read
  EXPECT_EQ(h.take(0, 0).read_before, -1);
  h.give(0, {10, 20, 10, {entry(12), entry(15)}});
  h.give(0, {20, 30, 10, {entry(25)}});
  const ReadHandoff::Take behind = h.take(0, 4);
  EXPECT_FALSE(behind.batch);
  EXPECT_EQ(behind.read_before, 10);  // read 4..9, then take what was handed
  const ReadHandoff::Take within = h.take(0, 13);
  ASSERT_TRUE(within.batch);
  EXPECT_EQ(within.batch->next, 20);
  ASSERT_EQ(within.batch->entries.size(), 1u);  // 12 lies before 13
  EXPECT_EQ(within.batch->entries[0].position.offset, 15);
  const ReadHandoff::Take next = h.take(0, 20);
  ASSERT_TRUE(next.batch);
  EXPECT_EQ(next.batch->from, 20);
  EXPECT_TRUE(h.take(0, 30).wait);  // stage 1 read no further
  EXPECT_FALSE(h.take(1, 0).wait);  // another partition, not handed
}

// Batches beyond kMaxWaiting drop the oldest: the projection stage reads that range itself.
TEST(ReadHandoff, AFarBehindTakerReadsWhatWasDroppedItself) {
  ReadHandoff h;
  for (int64_t i = 0; i <= static_cast<int64_t>(ReadHandoff::kMaxWaiting); ++i)
    h.give(0, {i * 10, i * 10 + 10, 10, {}});
  const ReadHandoff::Take t = h.take(0, 0);
  EXPECT_FALSE(t.batch);
  EXPECT_EQ(t.read_before, 10);
  EXPECT_TRUE(h.take(0, 10).batch);
}

}  // namespace
}  // namespace jiayuan
