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

SeenFacts::Identity SeenFacts::identity(std::string_view source, std::string_view id) {
  std::string identity;
  identity.reserve(source.size() + 1 + id.size());
  identity.append(source).append(1, '\0').append(id);
  const std::array<unsigned char, 32> h = sha256(identity);
  // The first 96 bits, big-endian, as the hex digest's first 24 digits read (what snapshots of
  // the table hold).
  auto be32 = [&](size_t at) {
    return static_cast<uint32_t>(h[at]) << 24 | static_cast<uint32_t>(h[at + 1]) << 16 |
           static_cast<uint32_t>(h[at + 2]) << 8 | static_cast<uint32_t>(h[at + 3]);
  };
  return {be32(0) | 1u, be32(4), be32(8)};  // never all zero
}

SeenFacts::Key SeenFacts::key(std::string_view source, std::string_view id,
                              std::string_view content_hash) {
  const Identity i = identity(source, id);
  Key k;
  std::copy(i.begin(), i.end(), k.slot_.id);
  k.slot_.content = hex32(content_hash, 0);
  return k;
}

size_t SeenFacts::probe(const Slot& key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = (static_cast<size_t>(key.id[1]) << 32 | key.id[2]) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id[0] == 0 || (s.id[0] == key.id[0] && s.id[1] == key.id[1] && s.id[2] == key.id[2]))
      return i;
  }
}

SeenFacts::Match SeenFacts::find(const Key& key) const {
  if (slots_.empty()) return kNew;
  const Slot& s = slots_[probe(key.slot_)];
  if (s.id[0] == 0) return kNew;
  return s.content == key.slot_.content ? kSame : kDifferent;
}

SeenFacts::Match SeenFacts::find(std::string_view source, std::string_view id,
                                 std::string_view content_hash) const {
  return find(key(source, id, content_hash));
}

void SeenFacts::insert(const Key& key, Position at) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // load ≤ 3/4
  Slot slot = key.slot_;
  if (at.offset >= 0 && at.partition >= 0) {
    slot.at = static_cast<uint64_t>(at.partition) << 44 | static_cast<uint64_t>(at.offset + 1);
  }
  Slot& s = slots_[probe(slot)];
  if (s.id[0] == 0) ++size_;
  if (slot.at == 0) slot.at = s.at;  // a re-insert without a position keeps the one known
  s = slot;
}

void SeenFacts::insert(std::string_view source, std::string_view id, std::string_view content_hash,
                       Position at) {
  insert(key(source, id, content_hash), at);
}

std::optional<Position> SeenFacts::position(std::string_view source, std::string_view id) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& s = slots_[probe(key(source, id, "").slot_)];
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
