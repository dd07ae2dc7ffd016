#include "engine/seen_facts.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace jiayuan
