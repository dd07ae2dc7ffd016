#include "connectors/kafka_wire.h"

#include <nlohmann/json.hpp>

#include "events/binary_codec.h"
#include "events/decision_json.h"
#include "events/json_codec.h"

namespace jiayuan {
namespace {

using json = nlohmann::json;

constexpr std::string_view kStoredEventType = "application/vnd.jiayuan.event+cereal";
constexpr std::string_view kRetractsHeader = "jiayuan_retracts";  // engine/intake.h headers

void set_header(Record& r, std::string_view key, std::string value) {
  for (Header& h : r.headers) {
    if (h.key == key) {
      h.value = std::move(value);
      return;
    }
  }
  r.headers.push_back({std::string(key), std::move(value)});
}

// The structured CloudEvent of an event of jiayuan.events in binary content mode.
std::optional<std::string> structured(const Record& wire) {
  json data = json::parse(wire.value, nullptr, false);
  if (data.is_discarded()) return std::nullopt;
  json env = json::object();
  for (const Header& h : wire.headers) {
    if (!h.key.starts_with("ce_")) continue;
    const std::string field = h.key.substr(3);
    if (field == "schemaversion") {
      const bool digits = !h.value.empty() && h.value.size() <= 9 &&
                          h.value.find_first_not_of("0123456789") == std::string::npos;
      if (digits) env[field] = std::stoi(h.value);
    } else if (field != "jiayuanhash") {
      env[field] = h.value;
    }
  }
  env["data"] = std::move(data);
  return env.dump();
}

Record event_to_wire(const Record& stored) {
  auto ev = decode_event_binary(stored.value);
  if (!ev) return stored;
  Record wire = stored;
  wire.value = encode_fact_data_json(ev->fact);  // the "data" of encode_event_json
  set_header(wire, "content-type", std::string(kJsonContentType));
  if (!ev->envelope.dataschema.empty()) set_header(wire, "ce_dataschema", ev->envelope.dataschema);
  if (const std::string_view t = stored.header(kRetractsHeader); !t.empty()) {
    if (auto target = decode_event_binary(t))
      set_header(wire, kRetractsHeader, encode_event_json(*target));
  }
  return wire;
}

Record event_from_wire(const Record& wire) {
  if (wire.header("content-type") != kJsonContentType) return wire;
  const auto text = structured(wire);
  if (!text) return wire;
  auto ev = decode_event_json(*text);
  if (!ev) return wire;
  Record stored = wire;
  stored.value = encode_event_binary(*ev);
  set_header(stored, "content-type", std::string(kStoredEventType));
  if (const std::string_view t = wire.header(kRetractsHeader); !t.empty()) {
    auto target = decode_event_json(t);
    if (!target) return wire;
    set_header(stored, kRetractsHeader, encode_event_binary(*target));
  }
  return stored;
}

Record decision_to_wire(const Record& stored) {
  auto d = decode_decision_binary(stored.value);
  if (!d) return stored;
  const std::string kind = kind_of(d->body);
  Record wire = stored;
  wire.value = encode_decision_json(*d);
  wire.headers.insert(wire.headers.begin(),
                      {{"ce_specversion", "1.0"},
                       {"ce_id", d->id},
                       {"ce_source", "jiayuan.engine"},
                       {"ce_type", decision_event_type(kind)},
                       {"ce_subject", d->community.value},
                       {"ce_dataschema", "events/schema/decisions/" + kind + ".json"},
                       {std::string(kDecisionHashHeader), d->hash},
                       {"content-type", std::string(kJsonContentType)}});
  return wire;
}

Record decision_from_wire(const Record& wire) {
  if (wire.header("content-type") != kJsonContentType) return wire;
  auto d = decode_decision_json(wire.value, std::string(wire.header(kDecisionHashHeader)));
  if (!d) return wire;
  Record stored;
  stored.key = wire.key;
  stored.value = encode_decision_binary(*d);
  for (const Header& h : wire.headers) {
    if (!h.key.starts_with("ce_") && h.key != "content-type") stored.headers.push_back(h);
  }
  return stored;
}

}  // namespace

Record to_wire(std::string_view topic, const Record& stored) {
  if (topic == topics::kEvents) return event_to_wire(stored);
  if (topic == topics::kDecisions) return decision_to_wire(stored);
  return stored;
}

Record from_wire(std::string_view topic, const Record& wire) {
  if (topic == topics::kEvents) return event_from_wire(wire);
  if (topic == topics::kDecisions) return decision_from_wire(wire);
  return wire;
}

}  // namespace jiayuan
