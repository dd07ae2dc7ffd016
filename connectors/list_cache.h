// The query API's lists kept per state of the store: ListCache (one computation per key and
// state of the store, shared by the requests that wait for it) and SortedItems (a list's items
// in one sort's order, so that a page copies only its own items).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace jiayuan {

// A list's items in the order of one sort: each item's key computed once, the items kept by
// reference (in `answer`, when the list is kept), so a page copies only its own items.
struct SortedItems {
  struct Keyed {
    nlohmann::json key;
    const std::string* id;
    const nlohmann::json* item;
  };
  std::string sort;
  std::vector<Keyed> order;
  std::shared_ptr<const nlohmann::json> answer;  // what `order` points into, when kept
};

// Whether (ka, ida) comes before (kb, idb): by key (descending when `desc`; absent keys last,
// either way), then by id.
bool sorted_before(bool desc, const nlohmann::json& ka, const std::string& ida,
                   const nlohmann::json& kb, const std::string& idb);

// `items` sorted by `sort` ("field" or "-field" for descending; numbers written as text sort as
// numbers), then by `id_field`.
SortedItems sort_items(const nlohmann::json& items, const std::string& sort,
                       const std::string& id_field);

// The lists' answers (and their sorted orders), each computed once per state of the store: the
// same list asked again before anything is written is answered from memory (Store::sequence
// says whether anything was). A supervisor's list otherwise reads every community's particulars
// per request. One computation per key: requests arriving while it runs wait for it rather than
// each computing the same (a large district's list takes a while, and 32 at once took 30 times
// as long). An error is not kept: every waiter gets it, the next request computes afresh. Holds
// at most kMaxAnswers values of one state; thread-safe.
class ListCache {
 public:
  template <class T>
  std::shared_ptr<const T> get(const std::string& key, uint64_t sequence,
                               const std::function<std::shared_ptr<const T>()>& compute) {
    std::promise<Kept> mine;
    std::shared_future<Kept> theirs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (sequence != sequence_) {
        kept_.clear();
        sequence_ = sequence;
      }
      if (auto it = kept_.find(key); it != kept_.end()) {
        theirs = it->second;
      } else {
        if (kept_.size() >= kMaxAnswers) kept_.clear();
        kept_.emplace(key, mine.get_future().share());
      }
    }
    if (theirs.valid()) return std::static_pointer_cast<const T>(theirs.get());
    try {
      std::shared_ptr<const T> value = compute();  // outside the lock: readers go on
      mine.set_value(value);
      return value;
    } catch (...) {
      mine.set_exception(std::current_exception());
      std::lock_guard<std::mutex> lock(mu_);
      if (sequence == sequence_) kept_.erase(key);
      throw;
    }
  }

 private:
  using Kept = std::shared_ptr<const void>;
  static constexpr size_t kMaxAnswers = 256;
  std::mutex mu_;
  uint64_t sequence_ = 0;
  std::map<std::string, std::shared_future<Kept>> kept_;
};

}  // namespace jiayuan
