// Bounds on untrusted JSON, checked before any library parses it.
//
//   if (Status s = check_json(line, JsonLimits{}); !s) return fail(s.error());
//   json doc = json::parse(line);   // now safe: UTF-8, depth, lengths and numbers are bounded
//
// One linear scan with no recursion and no allocation beyond the key path: whatever the bytes
// (a nesting bomb of 100,000 brackets, invalid UTF-8, a 10 MB string), it returns in time
// proportional to the input with a reason naming where the limit was passed ("data.scores.
// cleaning: expected a number with at most two decimals, got 80.0000000000000000000000000001").
// It does not check JSON syntax: the parser that follows does; it only guarantees that what
// that parser sees is bounded. Pure, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/result.h"

namespace jiayuan {

struct JsonLimits {
  size_t max_bytes = 1 << 20;       // the whole text
  int max_depth = 16;               // nested arrays and objects
  size_t max_string_bytes = 16384;  // one string, keys included, after the quotes
  size_t max_number_chars = 40;     // one number's text
  int max_decimals = 2;             // exactly: 80.10 passes, 80.001 and 1e-400 do not; -1: any
};

// OK when `text` is within `limits`; else the first violation, with its path (`what` names
// the whole text in messages: "body", "(event)"...). Codes: too_large, too_deep, not_utf8,
// too_long, bad_number.
Status check_json(std::string_view text, const JsonLimits& limits,
                  std::string_view what = "(event)");
// The same, but a number with more decimals than `limits.max_decimals` is not an error: its
// path and text go into `inexact` (for a reader that knows the field's range and says it).
Status check_json(std::string_view text, const JsonLimits& limits, std::string_view what,
                  std::vector<std::pair<std::string, std::string>>* inexact);

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_utf8(std::string_view s);

// The bytes of `s` a person can read: valid UTF-8 as it is, other bytes as \xNN, control
// characters as \u00NN, cut to about `max` bytes with "..." (for messages that quote input).
std::string printable(std::string_view s, size_t max = 80);

}  // namespace jiayuan
