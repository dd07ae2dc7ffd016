// Queries over the projections: what supervisors ask, as JSON.
//
//   Result<std::optional<json>> c = community_view(ProjectionView(store), CommunityId("C0001"));
//   Result<json> s = street_summary(ProjectionView(store, *Date::parse("2023-06-30")), 2023);  //
//   as of
//
// Every question takes a view: the projections now, or as of a past date (view.h). Stages 2
// and 3 (awards, targets, standings) as of a date are computed by engine/district_stage.h.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "config/rules.h"
#include "events/date.h"
#include "events/ids.h"
#include "events/result.h"
#include "projections/store.h"
#include "projections/view.h"

namespace jiayuan {

// The community's particulars and its rating for every year it has one; nullopt when the
// community is unknown.
Result<std::optional<nlohmann::json>> community_view(const ProjectionView& store,
                                                     const CommunityId& id);

// Revisions (DOMAIN.md "Revisions"): every outcome changed after it was first decided, with the
// fact that changed it, the decision it revises, before and after, and whether the year's rating
// was already published then. Transaction time: they depend on the order facts arrived in, so
// no default answer includes them. Sorted by (log date, community, decision); as of a date,
// those whose log date is on or before it.
struct RevisionFilter {
  std::optional<int32_t> year;
  std::optional<std::string> street, community;
  std::optional<Date> since;  // log date on or after
};
Result<nlohmann::json> revisions(const ProjectionView& store, const RevisionFilter& filter);

struct CommunityFilter {
  std::optional<std::string> street, tier, category, grade;  // grade: "unrated" for none
  // The year's rating date: particulars (street, fee, category, company) as they stood on it,
  // and only the communities registered by then. Unset: as they stand in the view.
  std::optional<Date> rating_date;
};

// Every registered community with its grade for the year (tier, final score, publication;
// "unrated" when none), in id order, those the filter lets through.
Result<nlohmann::json> community_list(const ProjectionView& store, int32_t year,
                                      const CommunityFilter& filter = {});

// Per street: counts of each grade among the year's ratings, rated total and shares (%).
// {"year":2023,"streets":[{"street":"yueyang","street_name":"岳阳街道","exemplary":3,...}],
//  "district":{...}}
Result<nlohmann::json> street_summary(const ProjectionView& store, int32_t year);

// Stages 2 and 3 of a year: awards, top ten, targets per street and district-wide; null when
// nothing has been rated for the year.
Result<nlohmann::json> district_view(const ProjectionView& store, int32_t year);

// Company standings of a year: eligible companies by rank, then the rest by id.
Result<nlohmann::json> company_standings(const ProjectionView& store, int32_t year);
// The same order over standings computed elsewhere (as of a date).
nlohmann::json order_standings(nlohmann::json list, int32_t year);
// The registered name of each item's "company" set as its "company_name" (null: not registered
// by jiayuan.company.registered), as of the view's date.
Status name_companies(const ProjectionView& view, nlohmann::json& items);
// The awards' names beside ids: the top ten's and the excellent communities' companies
// (name_companies), each excellent community's "community_name" and "manager_name", and each
// excellent manager's "manager_name" (from the registrations and contracts of the view's date;
// null if none names one).
Status name_awards(const ProjectionView& view, nlohmann::json& awards);

// Failing cases with days overdue as of a date: every open interview, rectification and
// sanction obligation (or every case, with all = true).
Result<nlohmann::json> failing_cases(const ProjectionView& store, Date as_of, bool all);

// Renovation priority (旧住房修缮) for a year: communities that completed any of the four items
// within the configured calendar years ending with it; more items first, then id.
Result<nlohmann::json> renovation_priority(const ProjectionView& store, int32_t year,
                                           const RuleSet& rules);

// Party building (eligible committees with a branch, as of the rating date) and waste-sorting
// compliance (share of compliant inspections in the year), district-wide and per street.
Result<nlohmann::json> governance_compliance(const ProjectionView& store, int32_t year,
                                             const RuleSet& rules);

}  // namespace jiayuan
