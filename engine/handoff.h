// Handoff: items passed from one thread to another in order, at most `depth` waiting, so the giver
// works ahead of the taker without running away from it.
//
//   Handoff<Batch> h(2);
//   giver:  for (...) if (!h.put(std::move(batch))) break;   // false: the taker stopped
//           h.done();                                        // always, also after an error
//   taker:  while (std::optional<Batch> b = h.take()) { ...; if (failed) { h.stop(); break; } }
//
// `jiayuan publish` reads and decodes the next batch of facts while intake appends the last.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace jiayuan {

template <typename T>
class Handoff {
 public:
  explicit Handoff(size_t depth) : depth_(depth == 0 ? 1 : depth) {}

  // Waits while `depth` items are waiting; false (the item dropped) once the taker stopped.
  bool put(T item) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return items_.size() < depth_ || stopped_; });
    if (stopped_) return false;
    items_.push_back(std::move(item));
    changed_.notify_all();
    return true;
  }

  // The next item, in the order given; nullopt once the giver is done and none is left, or after
  // stop().
  std::optional<T> take() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return !items_.empty() || done_ || stopped_; });
    if (stopped_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    changed_.notify_all();
    return item;
  }

  // The giver gives no more.
  void done() {
    std::lock_guard lock(mu_);
    done_ = true;
    changed_.notify_all();
  }

  // The taker takes no more: a waiting put returns false, and so does every later one.
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    items_.clear();
    changed_.notify_all();
  }

 private:
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<T> items_;
  bool done_ = false;
  bool stopped_ = false;
};

}  // namespace jiayuan
