#include "events/date.h"

#include <gtest/gtest.h>

namespace jiayuan {
namespace {

TEST(Date, ParsesAndFormatsIsoDates) {
  auto d = Date::parse("2023-12-31");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->year(), 2023);
  EXPECT_EQ(d->month(), 12u);
  EXPECT_EQ(d->day(), 31u);
  EXPECT_EQ(d->to_string(), "2023-12-31");
  EXPECT_EQ(Date::parse("1970-01-01")->days(), 0);
}

TEST(Date, RejectsImpossibleAndMalformedDates) {
  for (const char* bad : {"2023-02-29", "2023-13-01", "2023-00-10", "2023-1-01", "20231201",
                          "2023-12-32", "abcd-ef-gh", "", "2023-12-01T00:00"}) {
    EXPECT_FALSE(Date::parse(bad)) << bad;
  }
  EXPECT_TRUE(Date::parse("2024-02-29"));  // leap year
}

TEST(Date, AddsDaysAcrossMonthsAndYears) {
  EXPECT_EQ(Date::parse("2023-12-31")->plus_days(30).to_string(), "2024-01-30");
  EXPECT_EQ(Date::parse("2024-02-28")->plus_days(1).to_string(), "2024-02-29");
  EXPECT_EQ(days_between(*Date::parse("2022-12-01"), *Date::parse("2023-12-31")), 395);
}

TEST(Date, TodayIsTheShanghaiDateOfTheInstant) {
  // 2024-01-14T23:59:59Z is 07:59:59 on the 15th in Shanghai; 16:00Z is midnight there.
  EXPECT_EQ(shanghai_date_of(1705276799).to_string(), "2024-01-15");
  EXPECT_EQ(shanghai_date_of(1705247999).to_string(), "2024-01-14");  // 15:59:59Z
  EXPECT_EQ(shanghai_date_of(1705248000).to_string(), "2024-01-15");  // 16:00:00Z
  EXPECT_EQ(shanghai_date_of(-28801).to_string(), "1969-12-31");      // before the epoch, floored
}

}  // namespace
}  // namespace jiayuan
