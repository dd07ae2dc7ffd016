// A JSON text read into a flat array of values (a tape), without a tree of allocated nodes:
// strings and numbers are views into the text (a string with escapes is unescaped once into a
// buffer the tape owns). What json_codec reads events with; not a general JSON library.
//
//   JsonTape tape;
//   if (Status s = tape.parse(line); !s) return fail(s.error());   // bad_json, with the byte
//   for (uint32_t k = tape.first_member(0); k != 0; k = tape.next_member(0, k)) ...
//
// Strict RFC 8259, as nlohmann::json::parse reads it: no trailing commas, no comments, no
// leading zeros, no raw control characters in strings, \u escapes with surrogate pairs, one
// value and only whitespace around it (a UTF-8 byte order mark before it is skipped). Bounds
// (depth, lengths, UTF-8) are check_json's job, run before; the parser still refuses nesting
// deeper than 64 so that it never recurses without limit. Pure; a tape is reused across parses
// (its buffers are kept), one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.h"

namespace jiayuan::internal {

class JsonTape {
 public:
  enum class Kind : uint8_t { kNull, kFalse, kTrue, kInteger, kNumber, kString, kArray, kObject };

  // One value. An object's members follow it as key (a kString) then value; `end` is the index
  // just past the value and everything inside it.
  struct Value {
    Kind kind = Kind::kNull;
    uint32_t end = 0;
    std::string_view text;  // a string's contents (unescaped), a number's text
  };

  // Reads `text`, which must outlive the tape's use. OK, or bad_json naming the byte and what
  // was expected there.
  Status parse(std::string_view text);

  const Value& at(uint32_t i) const { return values_[i]; }
  // An object's first member's key, or 0 when it has none; the key's value is at key + 1.
  uint32_t first_member(uint32_t object) const {
    return object + 1 < values_[object].end ? object + 1 : 0;
  }
  // The key of the member of `object` after the one whose key is at `key`, or 0.
  uint32_t next_member(uint32_t object, uint32_t key) const {
    const uint32_t next = values_[key + 1].end;
    return next < values_[object].end ? next : 0;
  }
  // The value of the last member named `name` (a repeated key: the last one counts, as
  // nlohmann's), or 0 when there is none.
  uint32_t find(uint32_t object, std::string_view name) const;

 private:
  Status value(int depth);
  Status string_value();
  Status number_value();
  Status expect_literal(std::string_view word, Kind kind);
  Status error(std::string_view expected) const;
  void skip_space();
  uint32_t push(Kind kind, std::string_view text = {});

  std::string_view in_;
  size_t at_ = 0;
  std::vector<Value> values_;
  std::vector<std::unique_ptr<std::string>> unescaped_;  // strings that had escapes
  size_t unescaped_used_ = 0;
};

// Appends `s` quoted as a JSON string, escaped as nlohmann::json::dump escapes it (and so the
// canonical form content identity is computed over): \" \\ \b \f \n \r \t, other control
// characters as \u00xx, everything else as it is. `s` must be UTF-8.
void append_json_string(std::string& out, std::string_view s);

// Appends the hundredths as nlohmann::json::dump writes the double hundredths / 100 (the
// shortest text that reads back as it): "86.5", "86.0", "0.05", "-3.1". Exact for |hundredths|
// below 10^15, which every Centi read from JSON is (Centi::from_double).
void append_json_centi(std::string& out, int64_t hundredths);

}  // namespace jiayuan::internal
