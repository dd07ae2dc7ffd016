#include "engine/seen_facts.h"

#include <string>

#include "events/sha256.h"

namespace jiayuan {
namespace {

uint32_t hex32(std::string_view hex, size_t at) {
  uint32_t v = 0;
  for (size_t i = at; i < at + 8 && i < hex.size(); ++i) {
    const char c = hex[i];
    const uint32_t d = c >= '0' && c <= '9'   ? static_cast<uint32_t>(c - '0')
                       : c >= 'a' && c <= 'f' ? static_cast<uint32_t>(c - 'a' + 10)
                                              : 0u;
    v = (v << 4) | d;
  }
  return v;
}

}  // namespace

SeenFacts::Slot SeenFacts::digest(std::string_view source, std::string_view id,
                                  std::string_view content_hash) {
  std::string key(source);
  key.push_back('\0');
  key.append(id);
  const std::string h = sha256_hex(key);
  Slot s;
  s.id[0] = hex32(h, 0) | 1u;  // never all zero
  s.id[1] = hex32(h, 8);
  s.id[2] = hex32(h, 16);
  s.content = hex32(content_hash, 0);
  return s;
}

size_t SeenFacts::probe(const Slot& key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = (static_cast<size_t>(key.id[1]) << 32 | key.id[2]) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id[0] == 0 || (s.id[0] == key.id[0] && s.id[1] == key.id[1] && s.id[2] == key.id[2]))
      return i;
  }
}

SeenFacts::Match SeenFacts::find(std::string_view source, std::string_view id,
                                 std::string_view content_hash) const {
  if (slots_.empty()) return kNew;
  const Slot key = digest(source, id, content_hash);
  const Slot& s = slots_[probe(key)];
  if (s.id[0] == 0) return kNew;
  return s.content == key.content ? kSame : kDifferent;
}

void SeenFacts::insert(std::string_view source, std::string_view id, std::string_view content_hash,
                       Position at) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // load ≤ 3/4
  Slot key = digest(source, id, content_hash);
  if (at.offset >= 0 && at.partition >= 0) {
    key.at = static_cast<uint64_t>(at.partition) << 44 | static_cast<uint64_t>(at.offset + 1);
  }
  Slot& s = slots_[probe(key)];
  if (s.id[0] == 0) ++size_;
  if (key.at == 0) key.at = s.at;  // a re-insert without a position keeps the one known
  s = key;
}

std::optional<Position> SeenFacts::position(std::string_view source, std::string_view id) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& s = slots_[probe(digest(source, id, ""))];
  if (s.id[0] == 0 || s.at == 0) return std::nullopt;
  return Position{static_cast<int32_t>(s.at >> 44),
                  static_cast<int64_t>(s.at & ((uint64_t{1} << 44) - 1)) - 1};
}

std::string_view SeenFacts::raw() const {
  return {reinterpret_cast<const char*>(slots_.data()), slots_.size() * sizeof(Slot)};
}

bool SeenFacts::restore(size_t raw_bytes, size_t size,
                        const std::function<bool(std::span<char>)>& fill) {
  const size_t n = raw_bytes / sizeof(Slot);
  if (raw_bytes % sizeof(Slot) != 0 || (n & (n - 1)) != 0 || size * 4 > n * 3) return false;
  std::vector<Slot> slots(n);
  if (n > 0 && !fill({reinterpret_cast<char*>(slots.data()), raw_bytes})) return false;
  size_t used = 0;
  for (const Slot& s : slots) used += s.id[0] != 0 ? 1 : 0;
  if (used != size) return false;
  slots_ = std::move(slots);
  size_ = size;
  return true;
}

void SeenFacts::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  for (const Slot& s : old) {
    if (s.id[0] != 0) slots_[probe(s)] = s;
  }
}

}  // namespace jiayuan
