#include "connectors/list_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace jiayuan {
namespace {

using nlohmann::json;

TEST(ListCache, RequestsArrivingWhileAListIsComputedWaitForThatOneComputation) {
  ListCache cache;
  std::atomic<int> computed{0};
  std::function<std::shared_ptr<const json>()> slow = [&] {
    ++computed;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return std::make_shared<const json>(json{{"items", json::array({1, 2, 3})}});
  };
  std::vector<std::thread> readers;
  std::vector<std::shared_ptr<const json>> got(8);
  for (size_t i = 0; i < got.size(); ++i) {
    readers.emplace_back([&, i] { got[i] = cache.get<json>("list", 7, slow); });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(computed.load(), 1);
  for (const auto& g : got) {
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g, got[0]);  // the very same answer
  }
  cache.get<json>("list", 8, slow);  // a write since: computed afresh
  EXPECT_EQ(computed.load(), 2);
}

TEST(ListCache, AnErrorReachesEveryWaiterAndIsNotKept) {
  ListCache cache;
  int calls = 0;
  std::function<std::shared_ptr<const json>()> failing = [&]() -> std::shared_ptr<const json> {
    ++calls;
    throw std::runtime_error("the store did not answer");
  };
  EXPECT_THROW(cache.get<json>("list", 1, failing), std::runtime_error);
  std::function<std::shared_ptr<const json>()> fine = [&] {
    ++calls;
    return std::make_shared<const json>(json::array());
  };
  EXPECT_NE(cache.get<json>("list", 1, fine), nullptr);
  EXPECT_EQ(calls, 2);  // the failure was not kept: the same state computed again
}

TEST(SortItems, NumbersWrittenAsTextSortAsNumbersAbsentLastThenById) {
  const json items = json::array({{{"id", "b"}, {"score", "9.5"}},
                                  {{"id", "a"}, {"score", "10.25"}},
                                  {{"id", "c"}, {"score", nullptr}},
                                  {{"id", "d"}, {"score", "9.5"}}});
  auto ids = [](const SortedItems& s) {
    std::string out;
    for (const auto& k : s.order) out += *k.id;
    return out;
  };
  EXPECT_EQ(ids(sort_items(items, "score", "id")), "bdac");
  EXPECT_EQ(ids(sort_items(items, "-score", "id")), "abdc");
  const SortedItems s = sort_items(items, "score", "id");
  EXPECT_EQ(s.order[0].item, &items[0]);  // kept by reference, not copied
}

}  // namespace
}  // namespace jiayuan
