#include "events/internal/json_tape.h"

#include "events/json_limits.h"

namespace jiayuan::internal {
namespace {

constexpr int kMaxDepth = 64;

bool digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

Status JsonTape::parse(std::string_view text) {
  in_ = text;
  at_ = 0;
  values_.clear();
  unescaped_used_ = 0;
  if (in_.starts_with("\xEF\xBB\xBF")) at_ = 3;  // a byte order mark
  skip_space();
  JY_CHECK(value(0));
  skip_space();
  if (at_ != in_.size()) return error("the end of the text after one value");
  return {};
}

uint32_t JsonTape::find(uint32_t object, std::string_view name) const {
  uint32_t found = 0;
  for (uint32_t k = first_member(object); k != 0; k = next_member(object, k)) {
    if (values_[k].text == name) found = k + 1;
  }
  return found;
}

Status JsonTape::error(std::string_view expected) const {
  std::string got = at_ < in_.size() ? "\"" + printable(in_.substr(at_, 12), 12) + "\"" : "the end";
  return fail("bad_json", "not valid JSON: at byte " + std::to_string(at_) + ", expected " +
                              std::string(expected) + ", got " + got);
}

void JsonTape::skip_space() {
  while (at_ < in_.size() &&
         (in_[at_] == ' ' || in_[at_] == '\n' || in_[at_] == '\r' || in_[at_] == '\t'))
    ++at_;
}

uint32_t JsonTape::push(Kind kind, std::string_view text) {
  values_.push_back(Value{kind, static_cast<uint32_t>(values_.size() + 1), text});
  return static_cast<uint32_t>(values_.size() - 1);
}

Status JsonTape::value(int depth) {
  if (at_ >= in_.size()) return error("a value");
  const char c = in_[at_];
  if (c == '"') return string_value();
  if (c == '-' || digit(c)) return number_value();
  if (c == 't') return expect_literal("true", Kind::kTrue);
  if (c == 'f') return expect_literal("false", Kind::kFalse);
  if (c == 'n') return expect_literal("null", Kind::kNull);
  if (c != '{' && c != '[') return error("a value");
  if (depth >= kMaxDepth) return error("at most 64 levels of nesting");
  const bool object = c == '{';
  const char close = object ? '}' : ']';
  const uint32_t self = push(object ? Kind::kObject : Kind::kArray);
  ++at_;
  skip_space();
  if (at_ < in_.size() && in_[at_] == close) {
    ++at_;
  } else {
    for (;;) {
      if (object) {
        if (at_ >= in_.size() || in_[at_] != '"') return error("a key in quotes");
        JY_CHECK(string_value());
        skip_space();
        if (at_ >= in_.size() || in_[at_] != ':') return error("':' after the key");
        ++at_;
        skip_space();
      }
      JY_CHECK(value(depth + 1));
      skip_space();
      if (at_ < in_.size() && in_[at_] == ',') {
        ++at_;
        skip_space();
        continue;
      }
      if (at_ < in_.size() && in_[at_] == close) {
        ++at_;
        break;
      }
      return error(object ? "',' or '}'" : "',' or ']'");
    }
  }
  values_[self].end = static_cast<uint32_t>(values_.size());
  return {};
}

Status JsonTape::expect_literal(std::string_view word, Kind kind) {
  if (in_.substr(at_, word.size()) != word) return error(word);
  at_ += word.size();
  push(kind);
  return {};
}

Status JsonTape::number_value() {
  const size_t start = at_;
  bool integer = true;
  if (in_[at_] == '-') ++at_;
  if (at_ >= in_.size() || !digit(in_[at_])) return error("a digit");
  if (in_[at_] == '0') {
    ++at_;
  } else {
    while (at_ < in_.size() && digit(in_[at_])) ++at_;
  }
  if (at_ < in_.size() && in_[at_] == '.') {
    integer = false;
    ++at_;
    if (at_ >= in_.size() || !digit(in_[at_])) return error("a digit after '.'");
    while (at_ < in_.size() && digit(in_[at_])) ++at_;
  }
  if (at_ < in_.size() && (in_[at_] == 'e' || in_[at_] == 'E')) {
    integer = false;
    ++at_;
    if (at_ < in_.size() && (in_[at_] == '+' || in_[at_] == '-')) ++at_;
    if (at_ >= in_.size() || !digit(in_[at_])) return error("a digit in the exponent");
    while (at_ < in_.size() && digit(in_[at_])) ++at_;
  }
  push(integer ? Kind::kInteger : Kind::kNumber, in_.substr(start, at_ - start));
  return {};
}

Status JsonTape::string_value() {
  const size_t start = ++at_;  // past the opening quote
  size_t plain = start;        // the end of the run without escapes
  while (plain < in_.size() && in_[plain] != '"' && in_[plain] != '\\' &&
         static_cast<unsigned char>(in_[plain]) >= 0x20)
    ++plain;
  if (plain < in_.size() && in_[plain] == '"') {  // the usual case: nothing to unescape
    at_ = plain + 1;
    push(Kind::kString, in_.substr(start, plain - start));
    return {};
  }
  if (unescaped_used_ == unescaped_.size()) unescaped_.push_back(std::make_unique<std::string>());
  std::string& out = *unescaped_[unescaped_used_++];
  out.assign(in_.substr(start, plain - start));
  at_ = plain;
  for (;;) {
    if (at_ >= in_.size()) return error("'\"' to close the string");
    const char c = in_[at_];
    if (c == '"') break;
    if (static_cast<unsigned char>(c) < 0x20) return error("a control character escaped");
    if (c != '\\') {
      out += c;
      ++at_;
      continue;
    }
    if (at_ + 1 >= in_.size()) return error("an escape");
    const char e = in_[at_ + 1];
    static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    if (const size_t k = kFrom.find(e); k != std::string_view::npos) {
      out += kTo[k];
      at_ += 2;
      continue;
    }
    if (e != 'u') return error("an escape: one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
    auto hex4 = [&](size_t from) -> int32_t {
      if (from + 4 > in_.size()) return -1;
      int32_t v = 0;
      for (size_t i = from; i < from + 4; ++i) {
        const int h = hex_value(in_[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
      }
      return v;
    };
    int32_t cp = hex4(at_ + 2);
    if (cp < 0) return error("four hex digits after \\u");
    at_ += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return error("a high surrogate before a low one");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      const int32_t low = in_.substr(at_, 2) == "\\u" ? hex4(at_ + 2) : -1;
      if (low < 0xDC00 || low > 0xDFFF) return error("a low surrogate (\\uDC00..\\uDFFF)");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      at_ += 6;
    }
    append_utf8(out, static_cast<uint32_t>(cp));
  }
  ++at_;
  push(Kind::kString, out);
  return {};
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // the start of the bytes not yet appended
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.substr(run));
  out += '"';
}

void append_json_centi(std::string& out, int64_t hundredths) {
  uint64_t magnitude =
      hundredths < 0 ? 0 - static_cast<uint64_t>(hundredths) : static_cast<uint64_t>(hundredths);
  if (hundredths < 0) out += '-';
  out += std::to_string(magnitude / 100);
  out += '.';
  const auto tenths = static_cast<char>('0' + magnitude / 10 % 10);
  const auto last = static_cast<char>('0' + magnitude % 10);
  out += tenths;
  if (last != '0') out += last;
}

}  // namespace jiayuan::internal
