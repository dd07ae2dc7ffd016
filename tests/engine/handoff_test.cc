// Handoff: in order, at most `depth` waiting, and either side can end it.
#include "engine/handoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace
}  // namespace jiayuan
