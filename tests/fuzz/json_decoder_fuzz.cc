// libFuzzer target: the JSON event decoder. Whatever the bytes, decoding returns an event or a
// reason, never crashes, leaks or reads out of bounds; a decoded event encodes and decodes to
// the same JSON.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "events/binary_codec.h"
#include "events/json_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ev = jiayuan::decode_event_json(text);
  if (!ev) return 0;
  const std::string json = jiayuan::encode_event_json(*ev);
  auto again = jiayuan::decode_event_json(json);
  if (!again || jiayuan::encode_event_json(*again) != json) std::abort();
  auto stored = jiayuan::decode_event_binary(jiayuan::encode_event_binary(*again));
  if (!stored || jiayuan::encode_event_json(*stored) != json) std::abort();
  return 0;
}
