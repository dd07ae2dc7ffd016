#include "events/centi.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace jiayuan {

std::optional<Centi> Centi::from_double(double v) {
  if (!std::isfinite(v) || std::fabs(v) > 1e12) return std::nullopt;
  const double scaled = v * 100.0;
  const double rounded = std::nearbyint(scaled);
  if (std::fabs(scaled - rounded) > 1e-6) return std::nullopt;
  return Centi{static_cast<int64_t>(rounded)};
}

std::optional<Centi> Centi::parse(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '-') {
    negative = true;
    i = 1;
  }
  int64_t whole = 0;
  size_t whole_digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++whole_digits) {
    if (whole > 1'000'000'000'000) return std::nullopt;
    whole = whole * 10 + (s[i] - '0');
  }
  if (whole_digits == 0) return std::nullopt;
  int64_t frac = 0;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    ++i;
    size_t frac_digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits) {
      if (frac_digits == 2)
        return std::nullopt;  // more than two places: refused, never accumulated
      frac = frac * 10 + (s[i] - '0');
    }
    if (i != s.size() || frac_digits == 0 || frac_digits > 2) return std::nullopt;
    if (frac_digits == 1) frac *= 10;
  }
  const int64_t v = whole * 100 + frac;
  return Centi{negative ? -v : v};
}

std::string Centi::to_string() const {
  const int64_t a = std::llabs(hundredths);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", hundredths < 0 ? "-" : "",
                static_cast<long long>(a / 100), static_cast<long long>(a % 100));
  return buf;
}

}  // namespace jiayuan
