// A synthetic district year, deterministic for a seed on every machine (own PRNG, no
// std:: distributions, whose results differ between standard libraries).
//
//   GeneratorOptions o{.communities = 100, .streets = 3, .year = 2023, .seed = 42};
//   generate_district(o, [](const std::string& line) { out << line << '\n'; });
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "config/config.h"

namespace jiayuan {

struct GeneratorOptions {
  int32_t communities = 100;
  int32_t streets = 3;
  int32_t year = 2023;
  uint64_t seed = 20231;
  int32_t companies = 0;              // 0: one per four communities, at least 12
  int32_t hotline_per_community = 8;  // mean complaints per community and year
  bool lifecycle = true;              // publication, interviews, rectification, sanctions
  size_t spill_after = 0;             // facts held in memory before a sorted run goes to a
                                      // temporary file (0: 250,000); the output is the same
};

// Emits NDJSON event lines in log order (by date): registrations and contracts, the year's
// evaluation facts (inspections, surveys, spot checks, hotline complaints, petitions, credit
// points, findings, incidents, media, social responsibility), street proposals, department
// opinions, review closed, publication, and for low-quality communities interviews,
// rectifications, re-inspections and sanctions; governance completions. Memory stays bounded
// (about `spill_after` facts) however large the district: sorted runs spill to temporary files
// and are merged. Fails when the year has no rule set, more streets are asked for than the
// district has, or a temporary file cannot be written.
Status generate_district(const GeneratorOptions& options, const Config& config,
                         const std::function<void(const std::string&)>& emit);

}  // namespace jiayuan
