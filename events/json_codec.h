// The JSON wire form of events: a CloudEvents 1.0 structured-mode object.
//
//   {"specversion":"1.0","id":"insp-1","source":"street.yueyang","type":"jiayuan.inspection",
//    "subject":"C0001","occurred":"2023-03-01","schemaversion":1,
//    "data":{"community":"C0001","scores":{"basic_management":86,...}}}
//
//   Result<Event> e = decode_event_json(line);   // error says which field, expected, got
//   std::string s = encode_event_json(*e);       // canonical: keys sorted, no spaces
//
// An event of an older `schemaversion` is read as the current one (fields added since take
// their defaults); events are always written in the current version.
//
// Decoding checks form and ranges only; what needs state or config (is the community
// registered, is a rule set in force, may this source publish it) is the intake's job.
#pragma once

#include <string>
#include <string_view>

#include "events/facts.h"
#include "events/result.h"

namespace jiayuan {

Result<Event> decode_event_json(std::string_view text);
std::string encode_event_json(const Event& event);
// The canonical JSON of the fact's data alone: what content identity is computed over.
std::string encode_fact_data_json(const Fact& fact);

}  // namespace jiayuan
