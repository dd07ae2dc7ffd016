#include "engine/seen_facts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "events/sha256.h"

namespace jiayuan {
namespace {

TEST(SeenFacts, TellsNewFromDuplicateFromConflictingResend) {
  SeenFacts seen;
  const std::string a = sha256_hex("content a");
  const std::string b = sha256_hex("content b");
  EXPECT_EQ(seen.find("hotline", "h-1", a), SeenFacts::kNew);
  seen.insert("hotline", "h-1", a);
  EXPECT_EQ(seen.find("hotline", "h-1", a), SeenFacts::kSame);
  EXPECT_EQ(seen.find("hotline", "h-1", b), SeenFacts::kDifferent);
  EXPECT_EQ(seen.find("bureau", "h-1", a), SeenFacts::kNew);  // another source's id
  seen.insert("ab", "c", a);
  EXPECT_EQ(seen.find("a", "bc", a), SeenFacts::kNew);  // the separator counts
  EXPECT_EQ(seen.size(), 2u);
}

TEST(SeenFacts, KeepsEveryFactAcrossGrowth) {
  SeenFacts seen;
  constexpr int kFacts = 200000;  // the table grows from 1024 slots many times
  for (int i = 0; i < kFacts; ++i)
    seen.insert("hotline", "h-" + std::to_string(i), sha256_hex(std::to_string(i)));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kFacts));
  for (int i = 0; i < kFacts; i += 7) {
    ASSERT_EQ(seen.find("hotline", "h-" + std::to_string(i), sha256_hex(std::to_string(i))),
              SeenFacts::kSame)
        << i;
    ASSERT_EQ(seen.find("hotline", "h-" + std::to_string(i), sha256_hex("other")),
              SeenFacts::kDifferent)
        << i;
  }
  EXPECT_EQ(seen.find("hotline", "h-" + std::to_string(kFacts), sha256_hex("x")), SeenFacts::kNew);
  EXPECT_LE(seen.bytes(), 24u * 2 * 4 * kFacts / 3 + 24);  // 24 bytes a slot, load over 3/8
  seen.insert("hotline", "h-5", sha256_hex("changed"));    // replaces, does not add
  EXPECT_EQ(seen.size(), static_cast<size_t>(kFacts));
  EXPECT_EQ(seen.find("hotline", "h-5", sha256_hex("changed")), SeenFacts::kSame);
}

// Snapshots keep the table's bytes, so a slot's words may never change meaning: the identity is
// the first 96 bits of SHA-256("source\0id") read as three big-endian words (the first with its
// low bit set), the content the first 32 bits of the content hash.
TEST(SeenFacts, ASlotHoldsTheDigestsSnapshotsWereWrittenWith) {
  SeenFacts seen;
  const std::string content = sha256_hex("content");
  seen.insert("hotline", "h-1", content, Position{2, 41});
  const std::string id = sha256_hex(std::string("hotline\0h-1", 11));
  const auto word = [](const std::string& hex, size_t at) {
    return static_cast<uint32_t>(std::stoul(hex.substr(at, 8), nullptr, 16));
  };
  const uint32_t expected[4] = {word(id, 0) | 1u, word(id, 8), word(id, 16), word(content, 0)};
  const std::string_view raw = seen.raw();
  bool found = false;
  for (size_t at = 0; at + 24 <= raw.size(); at += 24) {
    uint32_t words[4];
    std::memcpy(words, raw.data() + at, sizeof words);
    uint64_t position = 0;
    std::memcpy(&position, raw.data() + at + 16, sizeof position);
    if (std::equal(words, words + 4, expected)) found = position == (uint64_t{2} << 44 | 42);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace jiayuan
