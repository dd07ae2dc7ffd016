// libFuzzer target: the NDJSON line reader that `jiayuan publish` reads files with, and the
// decoder each line goes to. Whatever the bytes: no line handed on is longer than the bound, a
// too-long line keeps only its first bytes, the lines read are the input's lines, and decoding
// each gives an event or a reason; nothing crashes, leaks or reads out of bounds.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "connectors/ndjson.h"
#include "events/json_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  constexpr size_t kMax = 512;
  jiayuan::NdjsonReader reader(in, "fuzz", kMax);
  int64_t last = 0;
  for (jiayuan::NdjsonLine line; reader.next(line);) {
    if (line.number <= last) std::abort();  // line numbers only grow
    last = line.number;
    if (line.too_long) {
      if (line.size <= kMax || line.text.size() > jiayuan::NdjsonReader::kKeptBytes) std::abort();
      continue;
    }
    if (line.text.size() > kMax || line.text.find('\n') != std::string::npos) std::abort();
    auto ev = jiayuan::decode_event_json(line.text);
    if (!ev && ev.error().message.empty()) std::abort();
  }
  // Every line of the input was counted (a last line without "\n" too).
  int64_t lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++lines;
  if (reader.lines_read() != lines) std::abort();
  return 0;
}
