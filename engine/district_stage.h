// Stages 2 and 3: company standings, awards, the top ten and target attainment per year.
// They read typed read models (projections/records.h): each community's year rating as the
// projector applied stage 1's community.rated decision (grade, score, street and the decision's
// YearSummary), each company's facts by date and the registry; compute with the pure functions
// of workflows/district.h; and write proj.district and proj.standing as StandingRecord and
// DistrictRecord in their one JSON form (encode_standing, encode_district).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "config/config.h"
#include "projections/store.h"
#include "projections/view.h"

namespace jiayuan {

// A year of stages 2 and 3: the proj.district value and each company's proj.standing value.
struct DistrictYearView {
  nlohmann::json view;
  std::vector<std::pair<std::string, nlohmann::json>> standings;  // company id -> standing
};

// Computes stages 2 and 3 of a year from a view of the projections (now, or as of a date);
// nullopt when no rule set defines the year.
Result<std::optional<DistrictYearView>> compute_district_year(const ProjectionView& view,
                                                              const Config& config, int32_t year);

// What /v1/awards, /v1/targets and /v1/companies read: stored when the view is now, computed
// from the view when it is as of a date. district_view_at is null when nothing is known.
Result<nlohmann::json> district_view_at(const ProjectionView& view, const Config& config,
                                        int32_t year);
Result<nlohmann::json> company_standings_at(const ProjectionView& view, const Config& config,
                                            int32_t year);

// Recomputes every year the projector marked dirty and clears its mark in the same write; a
// crash before that leaves the mark, so the next run recomputes it.
Status materialize_dirty(Store& store, const Config& config);

}  // namespace jiayuan
