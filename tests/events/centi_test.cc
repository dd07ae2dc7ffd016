#include "events/centi.h"

#include <gtest/gtest.h>

#include <string>

namespace jiayuan {
namespace {

TEST(Centi, ParsesDecimalsWithAtMostTwoPlaces) {
  EXPECT_EQ(Centi::parse("86")->hundredths, 8600);
  EXPECT_EQ(Centi::parse("86.5")->hundredths, 8650);
  EXPECT_EQ(Centi::parse("86.55")->hundredths, 8655);
  EXPECT_EQ(Centi::parse("-0.2")->hundredths, -20);
  EXPECT_FALSE(Centi::parse("86.555"));
  EXPECT_FALSE(Centi::parse("8x"));
  EXPECT_FALSE(Centi::parse("."));
}

TEST(Centi, RefusesLongNumbersWithoutOverflow) {
  // Found by the CSV fuzzer: a fraction of 24 digits overflowed while it was read.
  EXPECT_FALSE(Centi::parse("2.333333333333333333333338"));
  EXPECT_FALSE(Centi::parse("1." + std::string(400, '9')));
  EXPECT_FALSE(Centi::parse(std::string(400, '9')));
  EXPECT_FALSE(Centi::parse("-" + std::string(40, '9') + ".5"));
  EXPECT_EQ(Centi::parse("1000000000000.99")->hundredths, 100000000000099);
}

TEST(Centi, FromDoubleIsExactForTwoDecimals) {
  EXPECT_EQ(Centi::from_double(0.1)->hundredths, 10);
  EXPECT_EQ(Centi::from_double(89.99)->hundredths, 8999);
  EXPECT_EQ(Centi::from_double(2.5)->hundredths, 250);
  EXPECT_FALSE(Centi::from_double(1.005));
}

TEST(Centi, FormatsWithTwoDecimals) {
  EXPECT_EQ(Centi{8650}.to_string(), "86.50");
  EXPECT_EQ(Centi{-5}.to_string(), "-0.05");
  EXPECT_EQ(Centi{0}.to_string(), "0.00");
}

TEST(Centi, RoundHalfUpRoundsHalvesUp) {
  EXPECT_EQ(round_half_up(5, 2), 3);  // 2.5 -> 3
  EXPECT_EQ(round_half_up(7, 3), 2);  // 2.33 -> 2
  EXPECT_EQ(round_half_up(8, 3), 3);  // 2.67 -> 3
  EXPECT_EQ(round_half_up(0, 7), 0);
}

}  // namespace
}  // namespace jiayuan
