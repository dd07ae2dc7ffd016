// Stages 2 and 3: company standings, awards, the top ten and target attainment per year.
// They read what the projector holds of stage 1's decisions (which came through the log) and
// company facts, compute with the pure functions of workflows/district.h, and write
// proj.district and proj.standing.
#pragma once

#include "config/config.h"
#include "projections/store.h"

namespace jiayuan {

// Recomputes every year the projector marked dirty and clears its mark in the same write; a
// crash before that leaves the mark, so the next run recomputes it.
Status materialize_dirty(Store& store, const Config& config);

}  // namespace jiayuan
