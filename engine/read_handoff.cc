#include "engine/read_handoff.h"

#include <algorithm>

namespace jiayuan {

void ReadHandoff::give(int32_t partition, Batch batch) {
  std::lock_guard lock(mu_);
  Partition& p = partitions_[partition];
  p.next = std::max(p.next, batch.next);
  p.waiting.push_back(std::move(batch));
  if (p.waiting.size() > kMaxWaiting) p.waiting.pop_front();
}

ReadHandoff::Take ReadHandoff::take(int32_t partition, int64_t at) {
  std::lock_guard lock(mu_);
  Take t;
  const auto it = partitions_.find(partition);
  if (it == partitions_.end()) return t;  // stage 1 has not read it here: read it
  Partition& p = it->second;
  while (!p.waiting.empty() && p.waiting.front().next <= at) p.waiting.pop_front();  // taken
  if (!p.waiting.empty() && p.waiting.front().from <= at) {
    t.batch = std::move(p.waiting.front());
    p.waiting.pop_front();
    std::erase_if(t.batch->entries, [at](const LogEntry& e) { return e.position.offset < at; });
  } else if (!p.waiting.empty()) {
    t.read_before = p.waiting.front().from;  // behind what was handed: read up to it
  } else if (at >= p.next) {
    t.wait = true;  // stage 1 hands what comes next
  } else {
    t.read_before = p.next;  // handed batches dropped: read up to where stage 1 read
  }
  return t;
}

}  // namespace jiayuan
