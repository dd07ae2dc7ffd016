// The read models: what each projection family holds, typed, and the one place its stored JSON
// is read. What computes over the projections (stages 2 and 3, lists, targets, audit) reads
// these structs; only what shows a value whole (a community's page, a case's steps) passes the
// JSON on.
//
//   JY_TRY(RatingRecord r, decode_rating(bytes));      // proj.grade "<year>/<community>"
//   if (r.grade) tally[*r.grade] += 1;                  // unset: published, not yet rated
//
// decode_* never throw: bytes that are not JSON, a missing field or a field of another type give
// the error projection_damaged naming the family, the field, what was expected and what came,
// and the remedy (`jiayuan rebuild`). The projector (projector.cc) writes these values; a field
// added there is read here. Pure functions, thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "events/centi.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "events/result.h"
#include "projections/view.h"

namespace jiayuan {

// proj.community "<community>": the particulars, each as the latest fact that set it left it.
// A community named only by a contract has no street (nor name) and is not registered.
struct CommunityRecord {
  std::string community;
  std::optional<std::string> name, street, street_name, enclosure, category, fee;
  std::optional<int64_t> households;
  std::optional<std::string> company, manager, manager_name;  // the contract in force
  std::optional<std::string> registered_on;                   // the earliest registration
  bool registered() const { return street.has_value(); }
};

// proj.grade "<year>/<community>": the year's rating (from community.rated) and publication.
struct RatingRecord {
  std::string community;
  int32_t year = 0;
  std::optional<Grade> grade;  // unset: published but not (or no longer) rated
  std::string grade_zh, street, street_name, tier, decided_on;
  std::optional<Centi> final_score;  // unset: rated without a score (a veto before scoring)
  std::optional<std::string> published_on;
  YearSummary summary;  // the year's counts, company and manager on the rating date
};

// proj.case "<year>/<community>": a failing community's interview-to-sanction case.
struct CaseRecord {
  struct Obligation {
    std::string department, due;
    std::optional<std::string> fulfilled_on;
  };
  std::string community;
  int32_t year = 0;
  std::string status;  // interview_due, rectifying, rectified, escalated, sanctioned
  std::optional<std::string> interview_due, deadline;
  std::vector<Obligation> obligations;  // sanctions owed once escalated
};

// The company facts of a year (media reports naming the company, social responsibility, credit
// points): counts.
struct CompanyFactCounts {
  int32_t media_positive = 0, media_negative = 0, social_records = 0, credit_points = 0;
};

// proj.company "<year>/<company>": the year's company facts, in all and by date.
struct CompanyFactsRecord {
  CompanyFactCounts total;
  std::map<std::string, CompanyFactCounts> by_date;  // occurred date -> counts of that day
  bool dated = true;  // false: a store projected before dates were kept (totals only)
};

// proj.company "registry/<company>": a company's registration.
struct CompanyRecord {
  std::string company;
  std::optional<std::string> name, credit_code;
  std::optional<std::string> known_from;  // its first registration or contract
};

// proj.governance "<community>": committee, party branch and renovation items.
struct GovernanceRecord {
  struct Committee {
    int64_t members = 0, party_members = 0;
    std::string on;
  };
  std::string community;
  std::optional<Committee> committee;  // the latest election
  std::optional<std::string> party_branch_on;
  std::map<std::string, std::vector<std::string>> items;  // renovation item -> completion dates
};

// proj.waste "<year>/<community>": the year's waste-sorting inspections.
struct WasteRecord {
  int64_t inspections = 0, compliant = 0;
};

// The counts of rated communities in each grade, the shares and the targets met: of the
// district, or of a street (stage 3).
struct TargetRecord {
  std::optional<std::string> street, street_name;  // unset for the district
  int32_t rated = 0;
  std::array<int32_t, 5> grade_mix{};  // by Grade value: failing .. exemplary, unrated
  // Percentages such as "92.50"; unset when nothing is rated.
  std::optional<std::string> share_passing_or_better, share_exemplary, share_standard;
  bool met_passing_or_better = false, met_exemplary = false, met_standard = false;
};

// proj.standing "<year>/<company>" (and each of the district's top ten): a company's standing
// (stage 2).
struct StandingRecord {
  std::string company;
  int32_t projects = 0, rated_projects = 0;
  std::array<int32_t, 5> grade_mix{};  // by Grade value
  int32_t credit_points = 0, hotline_complaints = 0, hotline_on_time = 0,
          petitions_substantiated = 0, media_positive = 0, media_negative = 0, social_records = 0;
  std::map<std::string, std::string> factors_percent;      // factor -> percentage
  std::optional<std::string> composite, mean_final_score;  // unset: no rated project
  bool eligible = false;
  int32_t rank = 0;  // 0: not eligible
};

// proj.district "<year>": the year's awards and targets (stage 3).
struct DistrictRecord {
  struct ExcellentCommunity {
    std::string community, street, final_score, company, manager;
  };
  struct ExcellentManager {
    std::string manager, mean_final_score;
    int32_t rated_communities = 0;
  };
  struct Targets {
    std::string passing_or_better, exemplary, standard;  // the rule set's shares
    bool standard_includes_exemplary = false;
  };
  int32_t year = 0;
  std::string rating_date;
  int64_t registered_communities = 0, award_quota = 0;
  std::vector<StandingRecord> top_ten;  // by rank
  std::vector<ExcellentCommunity> excellent_communities;
  std::vector<ExcellentManager> excellent_managers;
  TargetRecord district;
  std::vector<TargetRecord> streets;  // by street id
  std::string rule_set_id, rule_set_hash;
  std::optional<Targets> targets;  // unset: the rule set sets none for the year
};

// The JSON form of a rating as proj.grade stores it (rating_json: nothing in it depends on the
// order facts arrived in), with its explanation and year summary.
nlohmann::json explanation_json(const Explanation& x);
nlohmann::json summary_json(const YearSummary& s);
nlohmann::json rating_json(const Decision& d, const CommunityRated& r, const District& district);

// The one JSON form of the values stages 2 and 3 write (what is stored and what the API shows).
nlohmann::json encode_standing(const StandingRecord& standing);
nlohmann::json encode_district(const DistrictRecord& district);

Result<CommunityRecord> decode_community(std::string_view bytes);
Result<RatingRecord> decode_rating(std::string_view bytes);

// The list lines (proj.community_line, proj.grade_line): of a proj.community value, the fields
// decode_community reads; of a proj.grade value, those decode_rating reads (its explanation
// reduced to the tier and final score). The same names, so the decoders read a line as they
// read the whole value, at a fraction of the bytes (no stamps, no explanation).
nlohmann::json community_line(const nlohmann::json& particulars);
nlohmann::json rating_line(const nlohmann::json& rating);
// The family a reader of lines reads: the line family `family`'s values have in this store, or
// `family` itself in a store an earlier version wrote, opened read-only (it has no lines).
std::string_view line_family(const Store& store, std::string_view family);
Result<CaseRecord> decode_case(std::string_view bytes);
Result<CaseRecord> decode_case_value(const nlohmann::json& value);  // parsed already, to show
Result<CompanyFactsRecord> decode_company_facts(std::string_view bytes);
Result<CompanyRecord> decode_company(std::string_view bytes);
Result<GovernanceRecord> decode_governance(std::string_view bytes);
Result<WasteRecord> decode_waste(std::string_view bytes);
Result<StandingRecord> decode_standing(std::string_view bytes);
Result<DistrictRecord> decode_district(std::string_view bytes);

// A value shown whole (a stored stage 2/3 answer, a community's particulars): parsed, or
// projection_damaged naming the family, never an exception.
Result<nlohmann::json> parse_stored(std::string_view family, std::string_view bytes);

// An optional value as JSON: the value, or null when unset.
template <class T>
nlohmann::json or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

// Runs `body` (returning a Result or Status) with a damaged projection met inside it (a field
// of another type that nlohmann::json refuses) answered as the error projection_damaged, never
// an exception out of a Result; a projection_damaged error from `body` is prefixed by `what`.
template <class F>
auto guard_damage(std::string_view what, F&& body) -> decltype(body()) {
  try {
    auto r = body();
    if (!r && r.error().code == "projection_damaged")
      r.error().message = std::string(what) + ": " + r.error().message;
    return r;
  } catch (const nlohmann::json::exception& e) {
    return fail("projection_damaged",
                std::string(what) + ": a stored projection could not be read (" + e.what() +
                    "); `jiayuan rebuild` writes the projections again from the log");
  }
}

// What scan_records does with a stored value before decoding it (`take(key, bytes)`): decode it
// and give it to `use`, pass over it undecoded, or stop.
enum class Take { kDecode, kSkip, kStop };

// Every value of `family` under `prefix` in the view, decoded and given to `use(key, record)` in
// key order; `use` returns false to stop. `take`, when given, says first which values to decode
// at all. The first value that does not decode stops the scan and is the error, its key named.
template <class Record>
Status scan_records(const ProjectionView& view, std::string_view family, std::string_view prefix,
                    Result<Record> (*decode)(std::string_view),
                    const std::function<bool(std::string_view, Record&)>& use,
                    const std::function<Take(std::string_view, std::string_view)>& take = {}) {
  Status failed;
  JY_CHECK(view.scan(family, prefix, [&](std::string_view k, std::string_view v) {
    if (take) {
      const Take t = take(k, v);
      if (t != Take::kDecode) return t == Take::kSkip;
    }
    Result<Record> r = decode(v);
    if (!r) {
      failed = fail(r.error().code, r.error().message + " (key " + std::string(k) + ")");
      return false;
    }
    return use(k, *r);
  }));
  return failed;
}

}  // namespace jiayuan
