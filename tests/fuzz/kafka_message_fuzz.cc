// libFuzzer target: one inbox message (headers, key, value; any bytes) through what intake does
// with it: inbox_input, then Intake::submit's judgement over a log that holds a registered
// community. Every message ends accepted, a duplicate, or rejected with a reason; nothing
// crashes, leaks or throws.
//
// Input layout: a byte N (headers, at most 15), then N × (name, value) and the key and the value,
// each a 2-byte little-endian length and its bytes (cut short where the input ends).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"
#include "connectors/kafka_intake.h"
#include "engine/intake.h"
#include "events/json_codec.h"
#include "tests/support/memory_log.h"

namespace {

using namespace jiayuan;

std::string take(std::string_view& in) {
  if (in.size() < 2) {
    in = {};
    return {};
  }
  const size_t n =
      static_cast<uint8_t>(in[0]) | (static_cast<size_t>(static_cast<uint8_t>(in[1])) << 8);
  in.remove_prefix(2);
  const std::string out(in.substr(0, n));
  in.remove_prefix(std::min(n, in.size()));
  return out;
}

const Config& config() {
  static const Config* c = new Config(*load_config(JIAYUAN_TEST_CONFIG_DIR));
  return *c;
}

// jiayuan.events holding one registered community, as intake's first look at the log finds it.
testing::MemoryLog log_with_registration() {
  static const Record registration = [] {
    auto ev = decode_event_json(
        R"({"specversion":"1.0","id":"reg-1","source":"street.yueyang","type":"jiayuan.community.registered",)"
        R"("occurred":"2022-06-01","data":{"community":"SJ00001","name":"n","street":"yueyang","households":10,)"
        R"("fee":2.5,"enclosure":"closed","category":"mixed"}})");
    return event_record(*ev);
  }();
  testing::MemoryLog log;
  (void)log.append(topics::kEvents, std::vector<Record>{registration});
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.empty()) return 0;
  const size_t headers = static_cast<uint8_t>(in[0]) % 16;
  in.remove_prefix(1);
  Record message;
  for (size_t i = 0; i < headers; ++i) {
    std::string name = take(in);
    message.headers.push_back({std::move(name), take(in)});
  }
  message.key = take(in);
  message.value = take(in);
  Result<IntakeInput> input = inbox_input(message, "bureau", "fuzz");
  if (!input) {
    if (input.error().code.empty() || input.error().message.empty()) std::abort();
    return 0;
  }
  // A fresh intake each run (what it accepts is not kept from run to run: no false leaks).
  testing::MemoryLog log = log_with_registration();
  auto intake = Intake::open(log, config());
  if (!intake) std::abort();
  auto outcomes = (*intake)->submit(std::vector<IntakeInput>{*input});
  if (!outcomes || outcomes->size() != 1) std::abort();
  const IntakeOutcome& o = outcomes->front();
  if (o.verdict == Verdict::kRejected &&
      (o.reason.code.empty() || o.reason.code == "internal_error"))
    std::abort();
  return 0;
}
