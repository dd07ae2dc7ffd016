// Queries over the projections: what supervisors ask, as JSON.
//
//   Result<std::optional<json>> c = community_view(store, CommunityId("C0001"));
//   Result<json> s = street_summary(store, 2023);
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "events/ids.h"
#include "events/result.h"
#include "projections/store.h"

namespace jiayuan {

// The community's particulars and its rating for every year it has one; nullopt when the
// community is unknown.
Result<std::optional<nlohmann::json>> community_view(const Store& store, const CommunityId& id);

// Per street: counts of each grade among the year's ratings, rated total and shares (%).
// {"year":2023,"streets":[{"street":"yueyang","street_name":"岳阳街道","exemplary":3,...}],
//  "district":{...}}
Result<nlohmann::json> street_summary(const Store& store, int32_t year);

}  // namespace jiayuan
