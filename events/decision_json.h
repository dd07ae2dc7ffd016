// The JSON form of decisions: what jiayuan.decisions carries on Kafka (a CloudEvent in binary
// content mode, content-type application/json), what any program reads there, and what the hash
// of a decision of format 5 or later is computed over.
//
//   std::string body = encode_decision_json(d);        // canonical: keys sorted, no spaces
//   sha256_hex(body) == d.hash;                          // format 5 on: the chain is over this
//   Result<Decision> back = decode_decision_json(body);  // errors name the field; never throws
//
//   {"body":{"community":"SJ00001","grade":"passing",...},"cause_id":"review-SJ00001-2023",
//    "cause_offset":412,"cause_partition":0,"cause_source":"bureau","community":"SJ00001",
//    "format":5,"id":"community.rated:SJ00001:2023:…","kind":"community.rated",
//    "log_date":"2024-01-10","prev_hash":"…","revises":"","rule_set_hash":"…",
//    "rule_set_id":"songjiang-2022","year":2023}
//
// Every field of decision_fields.h but `hash` (a record carries its hash beside the body, in the
// ce_jiayuanhash header): the Decision's own fields at the top, its kind's under "body". Scores
// are decimal text with two places ("72.66"), dates "YYYY-MM-DD", enums by name. The form is
// part of the decision format: a field added to a list appears here from its format on.
#pragma once

#include <string>
#include <string_view>

#include "events/decisions.h"
#include "events/result.h"

namespace jiayuan {

// The canonical JSON of the decision without its hash.
std::string encode_decision_json(const Decision& decision);
// A decision from its JSON form; `hash` (from the record's header) is taken as given: check it
// with decision_hash. Refuses unknown formats, kinds, fields and values, naming which.
Result<Decision> decode_decision_json(std::string_view text, std::string hash = "");

// The CloudEvents type of a decision kind: "jiayuan.decision.community.rated", ...
std::string decision_event_type(std::string_view kind);
// Every decision kind ("community.rated", "case.opened", ..., "case.revised").
std::vector<std::string> decision_kinds();
// The JSON Schema (2020-12) of a decision kind's JSON form, pretty-printed.
std::string decision_json_schema(std::string_view kind);

}  // namespace jiayuan
