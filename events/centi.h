// Centi: an exact decimal in hundredths (86.5 is Centi{8650}). All score arithmetic of the
// policy is done in Centi or exact rationals, never binary floating point, so a score that
// lies on a threshold is on it (DOMAIN.md, "Precise definitions").
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jiayuan {

struct Centi {
  int64_t hundredths = 0;

  static constexpr Centi whole(int64_t n) { return Centi{n * 100}; }
  // From a JSON/TOML number: accepted only when it has at most two decimals.
  static std::optional<Centi> from_double(double v);
  // From decimal text "86", "86.5", "86.50", "-3.1"; nullopt for more than two decimals.
  static std::optional<Centi> parse(std::string_view text);
  double to_double() const { return static_cast<double>(hundredths) / 100.0; }
  // "86.50"
  std::string to_string() const;

  friend constexpr auto operator<=>(Centi, Centi) = default;
  friend constexpr Centi operator+(Centi a, Centi b) { return Centi{a.hundredths + b.hundredths}; }
  friend constexpr Centi operator-(Centi a, Centi b) { return Centi{a.hundredths - b.hundredths}; }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(hundredths);
  }
};

// Rounds num/den (den > 0, num >= 0) half up to an integer.
constexpr int64_t round_half_up(int64_t num, int64_t den) { return (2 * num + den) / (2 * den); }

}  // namespace jiayuan
