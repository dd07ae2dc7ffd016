#include "events/sha256.h"

#include <gtest/gtest.h>

#include "events/hex.h"

namespace jiayuan {
namespace {

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256, GivesTheStandardDigestsOneShotAndIncrementally) {  // FIPS 180-2 test vectors
  EXPECT_EQ(sha256_hex("abc"), kAbc);
  EXPECT_EQ(sha256_hex(""), kEmpty);
  const auto raw = sha256("abc");
  EXPECT_EQ(to_hex(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size())), kAbc);
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(Sha256, StartsOverAfterEachDigestSoOneObjectServesManyHashes) {
  Sha256 h;
  h.update("abc");
  EXPECT_EQ(h.hex_digest(), kAbc);
  EXPECT_EQ(h.hex_digest(), kEmpty);  // nothing since the last digest
  h.update("abc");
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(Sha256, FieldsAreLengthPrefixedSoTheirBoundaryCounts) {
  Sha256 a, b;
  a.update_field("ab");
  a.update_field("c");
  b.update_field("a");
  b.update_field("bc");
  EXPECT_NE(a.hex_digest(), b.hex_digest());
}

}  // namespace
}  // namespace jiayuan
