#include "connectors/internal/kafka_read_back.h"

namespace jiayuan {
namespace {

size_t bytes(const Record& r) {
  size_t n = r.key.size() + r.value.size() + 64;
  for (const Header& h : r.headers) n += h.key.size() + h.value.size() + 32;
  return n;
}

// A decision's id is a header of its storage form and ce_id on the wire.
std::string_view identity(const Record& r) {
  const std::string_view id = r.header("ce_id");
  return id.empty() ? r.header("jiayuan.decision.id") : id;
}

}  // namespace

ReadBack& ReadBack::instance() {
  static ReadBack r;
  return r;
}

void ReadBack::remember(const std::string& where, std::span<const Record> records,
                        std::span<const Position> positions) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < records.size() && i < positions.size(); ++i) {
    Key k{where, positions[i].partition, positions[i].offset};
    if (auto [it, fresh] = records_.try_emplace(k, records[i]); fresh) {
      order_.push_back(std::move(k));
      held_ += bytes(records[i]);
    }
  }
  while (held_ > kBudget && !order_.empty()) {
    auto it = records_.find(order_.front());
    held_ -= bytes(it->second);
    records_.erase(it);
    order_.pop_front();
  }
}

std::optional<Record> ReadBack::recall(const std::string& where, int32_t partition, int64_t offset,
                                       const Record& consumed) {
  std::lock_guard lock(mu_);
  auto it = records_.find(Key{where, partition, offset});
  if (it == records_.end() || it->second.key != consumed.key ||
      identity(it->second) != identity(consumed))
    return std::nullopt;
  ++hits_;
  return it->second;
}

uint64_t ReadBack::hits() {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace jiayuan
