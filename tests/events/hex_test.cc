#include "events/hex.h"

#include <gtest/gtest.h>

namespace jiayuan {
namespace {

TEST(Hex, EveryByteIsTwoLowercaseDigitsAndReadsBack) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string hex = to_hex(all);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 6), "000102");
  EXPECT_EQ(hex.substr(506), "fdfeff");
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(from_hex(hex), all);
  EXPECT_EQ(from_hex("0A1b"), std::string("\x0a\x1b"));
}

TEST(Hex, WhatIsNotHexDoesNotRead) {
  EXPECT_EQ(from_hex("abc"), std::nullopt) << "odd length";
  EXPECT_EQ(from_hex("0g"), std::nullopt);
  EXPECT_EQ(from_hex("+1"), std::nullopt) << "a sign is not a digit";
  EXPECT_EQ(from_hex(" 1"), std::nullopt);
  EXPECT_EQ(from_hex(""), std::string());
}

}  // namespace
}  // namespace jiayuan
