// The seven lists a supervisor reads and downloads (communities, cases, companies, awards,
// targets, renovation, compliance): each answered once, here, for the API (/v1/<list>, JSON or
// ?format=csv|xlsx) and the CLI (`jiayuan query <list> --format csv|xlsx -o FILE`), so a file
// saved either way holds the same cells.
//
//   ListQuery q;  q.year = 2023;  q.street = "yueyang";
//   JY_TRY(json answer, list_answer(view, config, ListKind::kCommunities, q));
//   JY_TRY(std::string bytes, download_bytes(ListKind::kCommunities, DownloadFormat::kXlsx,
//                                            download_rows(ListKind::kCommunities, answer, q)));
//   download_file_name(ListKind::kCommunities, q, DownloadFormat::kXlsx);  // communities-2023.xlsx
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "connectors/table_export.h"
#include "events/date.h"
#include "events/result.h"
#include "projections/queries.h"
#include "projections/view.h"

namespace jiayuan {

enum class ListKind {
  kCommunities,
  kCases,
  kCompanies,
  kAwards,
  kTargets,
  kRenovation,
  kCompliance
};
inline constexpr ListKind kListKinds[] = {
    ListKind::kCommunities, ListKind::kCases,      ListKind::kCompanies, ListKind::kAwards,
    ListKind::kTargets,     ListKind::kRenovation, ListKind::kCompliance};

std::string_view list_name(ListKind kind);  // "communities", as in /v1/communities
std::optional<ListKind> list_kind(std::string_view name);

struct ListQuery {
  int32_t year = 0;  // the evaluation year (cases: only that year's cases when not 0)
  // Only this street's lines (a street supervisor's own; awards: its excellent communities).
  std::optional<std::string> street;
  CommunityFilter communities;  // communities: tier, category, grade (the street is `street`)
  std::optional<bool>
      eligible;            // companies: only those eligible for the top ten, or only those not
  Date cases_as_of;        // cases: the date days overdue count to
  bool all_cases = false;  // cases: closed ones too
};

// The list as /v1/<list> answers it before paging:
//   communities, cases, companies: {"items": [...]} (communities and companies with "year"; cases
//   with "as_of", the most overdue first, then by id);
//   renovation: {"items": [...], "window": {...}, "year"}; awards, targets: the year's objects;
//   compliance: {"streets": [...], "district": {...}, "targets": {...}}.
// Errors: "bad_argument" for a year no rule set defines, "not_found" when nothing is rated for
// the year yet (awards, targets), or the store's.
Result<nlohmann::json> list_answer(const ProjectionView& view, const Config& config, ListKind kind,
                                   const ListQuery& query);

// The answer's lines as a spreadsheet's rows, in the order the answer gives them (a street's
// lines, then the district's "全区" line, for targets and compliance; for awards the top ten, the
// excellent communities, then the managers). The district's line only when the query is not
// limited to a street.
nlohmann::json download_rows(ListKind kind, const nlohmann::json& answer, const ListQuery& query);
std::span<const ExportColumn> download_columns(ListKind kind);
const char* download_sheet(ListKind kind);  // the sheet's title: "小区评定结果"

enum class DownloadFormat { kCsv, kXlsx };
std::optional<DownloadFormat> download_format(std::string_view name);  // "csv", "xlsx"
const char* download_media_type(DownloadFormat format);
// "communities-2023.csv", "cases-2024-03-31.xlsx": what the browser saves it as.
std::string download_file_name(ListKind kind, const ListQuery& query, DownloadFormat format);
// The file's bytes: CSV as csv_table writes it, or a workbook (xlsx_table).
Result<std::string> download_bytes(ListKind kind, DownloadFormat format,
                                   const nlohmann::json& rows);

}  // namespace jiayuan
