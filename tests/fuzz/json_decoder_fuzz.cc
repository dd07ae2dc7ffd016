// libFuzzer target: the JSON event decoder. Whatever the bytes, decoding returns an event or a
// reason, never crashes, leaks or reads out of bounds; a decoded event encodes and decodes to
// the same JSON. And the tape it reads with accepts what nlohmann::json accepts and refuses
// what it refuses (within check_json's bounds), but for a number too large for a double, which
// the tape leaves to the field that reads it, and a NUL byte, where nlohmann stops reading as if
// the text ended there ("1\0garbage" is 1 to it) and the tape refuses the text.
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "events/binary_codec.h"
#include "events/internal/json_tape.h"
#include "events/json_codec.h"
#include "events/json_limits.h"

namespace {

bool has_number_beyond_a_double(const jiayuan::internal::JsonTape& tape) {
  using Kind = jiayuan::internal::JsonTape::Kind;
  for (uint32_t i = 0; i < tape.at(0).end; ++i) {
    const auto& v = tape.at(i);
    if (v.kind != Kind::kNumber && v.kind != Kind::kInteger) continue;
    double d = 0;
    if (std::from_chars(v.text.data(), v.text.data() + v.text.size(), d).ec != std::errc())
      return true;
  }
  return false;
}

void tape_agrees_with_nlohmann(std::string_view text) {
  if (!jiayuan::check_json(text, jiayuan::JsonLimits{.max_decimals = -1})) return;
  jiayuan::internal::JsonTape tape;
  const bool ours = static_cast<bool>(tape.parse(text));
  if (text.find('\0') != std::string_view::npos) {
    if (ours) std::abort();  // raw NUL is nowhere valid JSON
    return;
  }
  const bool theirs = !nlohmann::json::parse(text, nullptr, false).is_discarded();
  if (ours != theirs && !(ours && has_number_beyond_a_double(tape))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tape_agrees_with_nlohmann(text);
  auto ev = jiayuan::decode_event_json(text);
  if (!ev) return 0;
  const std::string json = jiayuan::encode_event_json(*ev);
  auto again = jiayuan::decode_event_json(json);
  if (!again || jiayuan::encode_event_json(*again) != json) std::abort();
  auto stored = jiayuan::decode_event_binary(jiayuan::encode_event_binary(*again));
  if (!stored || jiayuan::encode_event_json(*stored) != json) std::abort();
  return 0;
}
