// The binary storage form of events and decisions (cereal portable binary, versioned).
//
//   std::string bytes = encode_event_binary(event);
//   Result<Event> back = decode_event_binary(bytes);   // upcasts older schema versions
//
// Layout: 'J' 'E' (or 'J' 'D'), a format byte, the fact's (decision's) u16 tag, then the cereal
// archive. The tag, not the variant index, is what is stored, so reordering types never breaks a
// log. Decisions are written in format 4 (events/decision_fields.h); formats 1 to 3 still read,
// and a decision read from one keeps it (Decision::format): it writes and hashes as it was stored.
#pragma once

#include <string>
#include <string_view>

#include "events/decisions.h"
#include "events/facts.h"
#include "events/result.h"

namespace jiayuan {

// Writes the current schema version of the fact, or an older `version` (tests of upcasting
// write what an older build stored).
std::string encode_event_binary(const Event& event, int32_t version = 0);
Result<Event> decode_event_binary(std::string_view bytes);

std::string encode_decision_binary(const Decision& decision);
Result<Decision> decode_decision_binary(std::string_view bytes);

}  // namespace jiayuan
