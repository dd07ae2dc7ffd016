// The facts stage 1 keeps waiting for their community's registration (DOMAIN.md "Facts that
// arrive before what they name"), one key each in cf::kWaitingFacts (community '\0' source '\0'
// id): what the listing shows and the stored form a registration places.
//
//   std::string v = encode_waiting_entry(entry);      // stage 1's commit
//   auto e = decode_waiting_entry(v);                 // Result<std::optional<WaitingEntry>>
//   JY_CHECK(list_waiting_communities(store, [&](nlohmann::json w) { ... }));
//
// Kept beside the community's state rather than in it: the state is written by every batch that
// touches the community, a waiting fact only where it begins or stops waiting.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/date.h"
#include "events/result.h"
#include "projections/store.h"

namespace jiayuan {

struct WaitingEntry {
  bool reported = false;    // dead-lettered as dated before the registration; kept in case an
                            // earlier registration comes
  Date on;                  // when it occurred
  std::string accepted_at;  // when intake accepted it
  std::string position;     // where it is in the log ("jiayuan.events/0/17")
  std::string stored;       // encode_event_binary
};

std::string waiting_key(std::string_view community, std::string_view source, std::string_view id);
// A waiting_key's parts (views into `key`), or nullopt when it is not one.
struct WaitingKey {
  std::string_view community, source, id;
};
std::optional<WaitingKey> split_waiting_key(std::string_view key);

std::string encode_waiting_entry(const WaitingEntry& entry);
// nullopt for an entry of the earlier layout (the stored form alone, its listing in
// cf::kWaiting as JSON); bad_binary when it is neither.
Result<std::optional<WaitingEntry>> decode_waiting_entry(std::string_view bytes);

// Every waiting fact of a community as the dead-letter view lists it: {accepted_at, community,
// id, occurred, position, reason, source, status ("waiting" or "rejected")}, in key order (those of
// the earlier layout after the others).
Status list_waiting_communities(const Store& store,
                                const std::function<void(nlohmann::json)>& each);

// The facts waiting for the registration of the community (stage 1 keeps them) or the company
// (the projector keeps company facts) they name, each as the dead-letter view lists it, with its
// age at `now_ms`: {community or company, source, id, occurred, status ("waiting", or "rejected"
// once a registration dated after it came), reason, accepted_at, age_seconds, position}.
Result<std::vector<nlohmann::json>> waiting_facts(const Store& store, int64_t now_ms);

}  // namespace jiayuan
