// A calendar date (proleptic Gregorian), the only kind of time the pure core sees.
//
//   auto d = Date::parse("2023-12-31");   // std::optional<Date>
//   d->plus_days(30).to_string();          // "2024-01-30"
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jiayuan {

class Date {
 public:
  constexpr Date() = default;
  // Days since 1970-01-01.
  static constexpr Date from_days(int32_t days) { return Date(days); }
  static Date from_civil(int year, unsigned month, unsigned day);
  // Strict "YYYY-MM-DD"; nullopt for anything else, including 2023-02-30.
  static std::optional<Date> parse(std::string_view text);

  int32_t days() const { return days_; }
  int year() const;
  unsigned month() const;
  unsigned day() const;
  Date plus_days(int32_t n) const { return Date(days_ + n); }
  std::string to_string() const;

  friend constexpr auto operator<=>(Date, Date) = default;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(days_);
  }

 private:
  constexpr explicit Date(int32_t days) : days_(days) {}
  int32_t days_ = 0;
};

// The Asia/Shanghai calendar date of an instant given as seconds since the Unix epoch: UTC+8
// all year (China has kept no daylight saving since 1991). DOMAIN.md: every date derived from a
// clock is a Shanghai date. Pure: the caller reads the clock.
Date shanghai_date_of(int64_t unix_seconds);

// Number of days from a to b (b - a).
inline int32_t days_between(Date a, Date b) { return b.days() - a.days(); }

}  // namespace jiayuan
