// The form jiayuan's records take on Kafka: JSON that any client reads (CloudEvents, binary
// content mode). Inside the engine, and on the embedded log, events and decisions keep their
// binary storage form (events/binary_codec.h), where it pays; KafkaLog converts at the edge,
// to_wire on append and from_wire on read, so nothing else knows the difference.
//
//   Record on_kafka = to_wire(topics::kDecisions, outbox_record);   // JSON body, ce_ headers
//   Record inside = from_wire(topics::kDecisions, consumed);         // binary again
//
// jiayuan.events: the value is the fact's data as JSON (content-type application/json); the
// envelope is in ce_ headers (ce_id, ce_source, ce_type, ce_subject, ce_occurred,
// ce_schemaversion, ce_time), beside intake's jiayuan_accepted_at and jiayuan_content_hash; a
// retraction's jiayuan_retracts header holds the retracted fact as a structured CloudEvent.
// jiayuan.decisions: the value is the decision's JSON (events/decision_json.h); ce_id is the
// decision id, ce_type "jiayuan.decision.<kind>", ce_subject the community, ce_source
// "jiayuan.engine", ce_jiayuanhash its hash (SHA-256 of the value, for format 5 on) and
// ce_dataschema the schema's path under events/schema/decisions/.
// Records of other topics, and records in the binary form (written by builds before this one),
// pass unchanged both ways; so does a record that does not decode (its reader refuses it as it
// would refuse corrupt bytes).
#pragma once

#include <string_view>

#include "engine/log.h"

namespace jiayuan {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kDecisionHashHeader = "ce_jiayuanhash";

Record to_wire(std::string_view topic, const Record& stored);
Record from_wire(std::string_view topic, const Record& wire);

}  // namespace jiayuan
