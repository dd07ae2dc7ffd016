#include "events/json_limits.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "events/hex.h"

namespace jiayuan {
namespace {

// The length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Where the first byte that is not UTF-8 is, or npos.
size_t first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint64_t eight = 0;  // the usual case: ASCII, eight bytes at a time
    if (i + 8 <= s.size() &&
        (std::memcpy(&eight, s.data() + i, 8), eight & 0x8080808080808080u) == 0) {
      i += 8;
      continue;
    }
    const size_t n = utf8_sequence(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string hex_byte(unsigned char c) {
  std::string out;
  append_hex(out, c);
  return out;
}

// The path of the value being read: object keys and array indexes from the top.
class Path {
 public:
  struct Level {
    bool object = false;
    bool expect_key = false;
    size_t index = 0;
    std::string key;
  };
  size_t depth() const { return levels_.size(); }
  void push(bool object) { levels_.push_back(Level{object, object, 0, {}}); }
  void pop() {
    if (!levels_.empty()) levels_.pop_back();
  }
  Level* top() { return levels_.empty() ? nullptr : &levels_.back(); }
  // "data.scores.cleaning", "[3].data"; `keys_only` leaves out array indexes (for nesting,
  // where a path of a thousand "[0]" says less than the key above them).
  std::string str(std::string_view what, bool keys_only = false) const {
    std::string out;
    for (const Level& l : levels_) {
      if (l.object) {
        if (l.key.empty()) continue;
        if (!out.empty()) out += '.';
        out += printable(l.key, 40);
      } else if (!keys_only) {
        out.append("[").append(std::to_string(l.index)).append("]");
      }
    }
    return out.empty() ? std::string(what) : out;
  }

 private:
  std::vector<Level> levels_;
};

// How many decimals the number's exact value has (80.10 has 1, 1e-400 has 400), or -1 when the
// text is not a number's.
int64_t decimals_of(std::string_view n) {
  size_t i = 0;
  if (i < n.size() && n[i] == '-') ++i;
  std::string mantissa;
  int64_t scale = 0;
  for (; i < n.size() && n[i] >= '0' && n[i] <= '9'; ++i) mantissa += n[i];
  if (i < n.size() && n[i] == '.') {
    for (++i; i < n.size() && n[i] >= '0' && n[i] <= '9'; ++i, ++scale) mantissa += n[i];
  }
  if (mantissa.empty()) return -1;
  if (i < n.size() && (n[i] == 'e' || n[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < n.size() && (n[i] == '+' || n[i] == '-')) negative = n[i++] == '-';
    int64_t e = 0;
    size_t digits = 0;
    for (; i < n.size() && n[i] >= '0' && n[i] <= '9'; ++i, ++digits)
      e = std::min<int64_t>(e * 10 + (n[i] - '0'), 1000000);
    if (digits == 0) return -1;
    scale += negative ? e : -e;
  }
  if (i != n.size()) return -1;
  if (mantissa.find_first_not_of('0') == std::string::npos) return 0;
  while (!mantissa.empty() && mantissa.back() == '0' && scale > 0) {
    mantissa.pop_back();
    --scale;
  }
  return std::max<int64_t>(0, scale);
}

// Where the string whose contents start at `i` ends (its closing quote), or past the text.
size_t string_end(std::string_view text, size_t i) {
  for (;;) {  // the usual case: no escapes before the quote, found by memchr
    if (i >= text.size()) return text.size();
    const auto* quote =
        static_cast<const char*>(std::memchr(text.data() + i, '"', text.size() - i));
    if (quote == nullptr) return text.size();
    const size_t q = static_cast<size_t>(quote - text.data());
    const auto* escape = static_cast<const char*>(std::memchr(text.data() + i, '\\', q - i));
    if (escape == nullptr) return q;
    i = static_cast<size_t>(escape - text.data()) + 2;  // past the escape and what it escapes
  }
}

bool number_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

}  // namespace

bool is_utf8(std::string_view s) { return first_invalid_utf8(s) == std::string_view::npos; }

std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (out.size() >= max) return out + "...";
    const size_t n = utf8_sequence(s, i);
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 0) {
      out += "\\x" + hex_byte(c);
      ++i;
    } else if (n == 1 && (c < 0x20 || c == 0x7F)) {
      out += "\\u00" + hex_byte(c);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

Status check_json(std::string_view text, const JsonLimits& limits, std::string_view what) {
  return check_json(text, limits, what, nullptr);
}

Status check_json(std::string_view text, const JsonLimits& limits, std::string_view what,
                  std::vector<std::pair<std::string, std::string>>* inexact) {
  if (text.size() > limits.max_bytes) {
    return fail(field_error("too_large", what,
                            "at most " + std::to_string(limits.max_bytes) + " bytes",
                            std::to_string(text.size()) + " bytes"));
  }
  if (const size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    return fail(field_error("not_utf8", what, "UTF-8 text",
                            "the byte 0x" + hex_byte(static_cast<unsigned char>(text[bad])) +
                                " at byte " + std::to_string(bad)));
  }
  Path path;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    Path::Level* top = path.top();
    if (c == '"') {
      const size_t start = ++i;
      i = string_end(text, i);
      const size_t end = std::min(i, text.size());
      const std::string_view s = text.substr(start, end - start);
      const bool is_key = top != nullptr && top->object && top->expect_key;
      if (s.size() > limits.max_string_bytes) {
        std::string at = path.str(what);
        if (is_key) at += " (a key)";
        return fail(
            field_error("too_long", at,
                        "a string of at most " + std::to_string(limits.max_string_bytes) + " bytes",
                        std::to_string(s.size()) + " bytes"));
      }
      if (is_key) {
        top->key.assign(s);  // the level's string is reused from key to key
        top->expect_key = false;
      }
    } else if (c == '{' || c == '[') {
      path.push(c == '{');
      if (path.depth() > static_cast<size_t>(limits.max_depth)) {
        path.pop();
        return fail(field_error(
            "too_deep", path.str(what, true),
            "at most " + std::to_string(limits.max_depth) + " levels of nested arrays and objects",
            "more at byte " + std::to_string(i)));
      }
    } else if (c == '}' || c == ']') {
      path.pop();
    } else if (c == ',') {
      if (top != nullptr) {
        if (top->object) {
          top->expect_key = true;
          top->key.clear();
        } else {
          ++top->index;
        }
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = i;
      while (end < text.size() && number_char(text[end])) ++end;
      const std::string_view n = text.substr(i, end - i);
      if (n.size() > limits.max_number_chars) {
        return fail(field_error(
            "too_long", path.str(what),
            "a number of at most " + std::to_string(limits.max_number_chars) + " characters",
            printable(n, 48)));
      }
      if (limits.max_decimals >= 0) {
        const int64_t decimals = decimals_of(n);
        if (decimals > limits.max_decimals && inexact != nullptr) {
          inexact->emplace_back(path.str(what), printable(n, 48));
        } else if (decimals > limits.max_decimals) {
          return fail(field_error(
              "bad_number", path.str(what),
              "a number with at most " + std::to_string(limits.max_decimals) + " decimals",
              printable(n, 48)));
        }
      }
      i = end - 1;
    }
  }
  return {};
}

}  // namespace jiayuan
