// The facts intake has accepted, by identity (source, id), with a digest of each one's content:
// what tells a re-sent fact (a duplicate) from a conflicting re-send, and its position in
// jiayuan.events (what finds the fact a retraction names). 24 bytes a fact in one
// open-addressing table (about 230 MB at 10M facts; a map of strings took ~270 bytes a fact):
// the identity is kept as 96 bits of SHA-256 (a false match among 10M identities has odds
// ~1e-15), the content as 32 bits of its content hash (a conflicting re-send passes for a
// duplicate with odds 2^-32). docs/rules.md, "Duplicates".
//
//   SeenFacts seen;
//   if (seen.find("hotline", "h-1", hash) == SeenFacts::kNew) seen.insert("hotline", "h-1", hash);
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log.h"

namespace jiayuan {

// Threads: not thread-safe; intake owns one and uses it from one thread at a time.
class SeenFacts {
 public:
  enum Match { kNew, kSame, kDifferent };

  // A fact as the table knows it: digests of its identity and content. Computed once by whoever
  // both looks a fact up and then records it.
  class Key;
  // `content_hash` is the fact's content hash in hex (content_hash()).
  static Key key(std::string_view source, std::string_view id, std::string_view content_hash);
  // The 96 bits of (source, id) the table tells facts apart by: two identities with the same
  // digest are one fact to it (a chance of 2^-96 a pair), and to whatever keys by it.
  using Identity = std::array<uint32_t, 3>;
  struct IdentityHash {
    size_t operator()(const Identity& i) const { return uint64_t{i[1]} << 32 | i[2]; }
  };
  static Identity identity(std::string_view source, std::string_view id);
  Match find(const Key& key) const;
  Match find(std::string_view source, std::string_view id, std::string_view content_hash) const;
  // Records the fact (or replaces the content of the one with that identity), with where it is
  // in jiayuan.events (to find it again: a retraction names it).
  void insert(const Key& key, Position at = {-1, -1});
  void insert(std::string_view source, std::string_view id, std::string_view content_hash,
              Position at = {-1, -1});
  // Where the fact with that identity is in jiayuan.events; nullopt when unknown or not recorded.
  std::optional<Position> position(std::string_view source, std::string_view id) const;
  size_t size() const { return size_; }
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

  // The table as bytes (this machine's byte order), to keep in a file; restore() takes them back
  // and says false when they cannot be a table (wrong length, not a power of two, wrong count).
  // `fill` writes the `raw_bytes` stored bytes straight into the table's memory (so a table of
  // 400 MB is not held twice while it loads) and says false when it could not read them all.
  std::string_view raw() const;
  bool restore(size_t raw_bytes, size_t size, const std::function<bool(std::span<char>)>& fill);

 private:
  struct Slot {
    uint32_t id[3] = {0, 0, 0};  // all zero: empty (a digest is never all zero)
    uint32_t content = 0;
    uint64_t at = 0;  // partition << 44 | (offset + 1); 0: not recorded
  };
  size_t probe(const Slot& key) const;  // the slot holding key's identity, or the empty one to use
  void grow();

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

class SeenFacts::Key {
 public:
  Identity identity() const { return {slot_.id[0], slot_.id[1], slot_.id[2]}; }

 private:
  friend class SeenFacts;
  Slot slot_;
};

}  // namespace jiayuan
