#include "connectors/lists.h"

#include <algorithm>
#include <map>

#include "engine/district_stage.h"
#include "projections/records.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// The columns of each list as a download, with the headers the bureau's own tables use.
constexpr ExportColumn kCommunityColumns[] = {{"community", "小区编号"},
                                              {"name", "小区名称"},
                                              {"street_name", "街镇"},
                                              {"company", "物业服务企业编号"},
                                              {"company_name", "物业服务企业"},
                                              {"grade_zh", "等级"},
                                              {"final_score", "得分"},
                                              {"tier", "档次"},
                                              {"category", "房屋类型", true},
                                              {"households", "户数"},
                                              {"fee", "物业费"},
                                              {"published_on", "公布日期"},
                                              {"year", "年度"}};
constexpr ExportColumn kCaseColumns[] = {{"id", "案件"},
                                         {"community", "小区编号"},
                                         {"community_name", "小区名称"},
                                         {"street_name", "街镇"},
                                         {"year", "年度"},
                                         {"status", "状态", true},
                                         {"reason", "原因", true},
                                         {"published_on", "公布日期"},
                                         {"interview_due", "约谈期限"},
                                         {"escalated_on", "移送日期"},
                                         {"days_overdue", "逾期天数"},
                                         {"open", "未办事项"}};
constexpr ExportColumn kCompanyColumns[] = {{"rank", "排名"},
                                            {"company", "企业编号"},
                                            {"company_name", "企业名称"},
                                            {"composite", "综合得分"},
                                            {"eligible", "是否参评"},
                                            {"projects", "项目数"},
                                            {"rated_projects", "参评项目数"},
                                            {"mean_final_score", "项目平均得分"},
                                            {"factors_percent/results", "评定结果"},
                                            {"factors_percent/inspections", "检查"},
                                            {"factors_percent/hotline", "热线"},
                                            {"factors_percent/petitions", "信访"},
                                            {"factors_percent/media", "媒体"},
                                            {"factors_percent/social", "社会评价"},
                                            {"credit_points", "信用记分"},
                                            {"hotline_complaints", "热线工单"},
                                            {"hotline_on_time", "按时办结"},
                                            {"petitions_substantiated", "属实信访"},
                                            {"media_negative", "负面报道"},
                                            {"media_positive", "正面报道"}};
constexpr ExportColumn kAwardColumns[] = {{"award", "奖项"},
                                          {"place", "名次"},
                                          {"id", "编号"},
                                          {"name", "名称"},
                                          {"score", "得分"},
                                          {"street_name", "街镇"},
                                          {"company_name", "物业服务企业"}};
constexpr ExportColumn kTargetColumns[] = {{"street_name", "街镇"},
                                           {"rated", "参评小区"},
                                           {"grade_mix/exemplary", "示范"},
                                           {"grade_mix/standard", "规范"},
                                           {"grade_mix/passing", "达标"},
                                           {"grade_mix/failing", "不达标"},
                                           {"grade_mix/unrated", "未评定"},
                                           {"share_exemplary", "示范占比"},
                                           {"met_exemplary", "示范达标"},
                                           {"share_standard", "规范占比"},
                                           {"met_standard", "规范达标"},
                                           {"share_passing_or_better", "达标及以上占比"},
                                           {"met_passing_or_better", "达标及以上达标"}};
constexpr ExportColumn kRenovationColumns[] = {{"community", "小区编号"},
                                               {"community_name", "小区名称"},
                                               {"street_name", "街镇"},
                                               {"count", "事项数"},
                                               {"items", "事项", true}};
constexpr ExportColumn kComplianceColumns[] = {{"street_name", "街镇"},
                                               {"eligible_committees", "应建业委会"},
                                               {"with_party_branch", "已建党组织"},
                                               {"party_branch_share", "党组织覆盖率"},
                                               {"party_branch_met", "党组织达标"},
                                               {"waste_inspections", "垃圾分类检查"},
                                               {"waste_compliant", "垃圾分类合格"},
                                               {"waste_share", "垃圾分类合格率"},
                                               {"waste_met", "垃圾分类达标"}};

struct Place {
  std::string street;
  json street_name, name;
};

// Each registered community's street, street name and name, by id.
Result<std::map<std::string, Place>> places_of(const ProjectionView& view) {
  std::map<std::string, Place> out;
  JY_CHECK(scan_records<CommunityRecord>(
      view, cf::kProjCommunity, "", decode_community, [&](std::string_view k, CommunityRecord& c) {
        if (c.street) out[std::string(k)] = {*c.street, or_null(c.street_name), or_null(c.name)};
        return true;
      }));
  return out;
}

void place(const std::map<std::string, Place>& places, json& item) {
  const auto it = places.find(item["community"].get<std::string>());
  item["street"] = it == places.end() ? "" : it->second.street;
  item["street_name"] = it == places.end() ? json() : it->second.street_name;
  item["community_name"] = it == places.end() ? json() : it->second.name;
}

bool in_street(const ListQuery& q, const json& line) {
  return !q.street || line["street"] == *q.street;
}

// The year's awards and targets (stages 2 and 3); not_found when nothing is rated yet.
Result<json> district_of(const ProjectionView& view, const Config& config, int32_t year) {
  JY_TRY(json d, district_view_at(view, config, year));
  if (d.is_null() || d["district"].value("rated", 0) == 0) {
    return fail("not_found", "year " + std::to_string(year) + ": nothing rated yet");
  }
  return d;
}

Result<json> communities(const ProjectionView& view, const RuleSet& rules, const ListQuery& q) {
  CommunityFilter filter = q.communities;
  filter.street = q.street;
  if (const YearWindow* w = rules.window(q.year)) filter.rating_date = w->to;
  JY_TRY(json items, community_list(view, q.year, filter));
  return json{{"year", q.year}, {"items", std::move(items)}};
}

Result<json> companies(const ProjectionView& view, const Config& config, const ListQuery& q) {
  JY_TRY(json standings, company_standings_at(view, config, q.year));
  json items = json::array();
  for (json& c : standings["companies"]) {
    if (q.eligible && c["eligible"].get<bool>() != *q.eligible) continue;
    if (c["rank"].get<int>() == 0) c["rank"] = nullptr;
    items.push_back(std::move(c));
  }
  return json{{"year", q.year}, {"items", std::move(items)}};
}

Result<json> awards(const ProjectionView& view, const Config& config, const ListQuery& q) {
  JY_TRY(json d, district_of(view, config, q.year));
  json out{{"year", q.year},
           {"rating_date", d["rating_date"]},
           {"award_quota", d["award_quota"]},
           {"top_ten", d["top_ten"]},
           {"excellent_communities", json::array()},
           {"excellent_managers", d["excellent_managers"]},
           {"rule_set", d["rule_set"]}};
  for (json& c : d["excellent_communities"]) {  // named by name_awards
    if (!in_street(q, c)) continue;
    c["street_name"] = config.district.street_name(StreetId(c["street"].get<std::string>()));
    out["excellent_communities"].push_back(std::move(c));
  }
  return out;
}

Result<json> targets(const ProjectionView& view, const Config& config, const ListQuery& q) {
  JY_TRY(json d, district_of(view, config, q.year));
  json out{{"year", q.year},
           {"targets", d.value("targets", json())},
           {"district", d["district"]},
           {"streets", json::array()}};
  for (json& line : d["streets"]) {
    if (in_street(q, line)) out["streets"].push_back(std::move(line));
  }
  return out;
}

Result<json> cases(const ProjectionView& view, const ListQuery& q) {
  JY_TRY(json found, failing_cases(view, q.cases_as_of, q.all_cases));
  JY_TRY(auto places, places_of(view));
  json items = json::array();
  for (json& c : found["cases"]) {
    place(places, c);
    c["id"] = c["community"].get<std::string>() + "/" + std::to_string(c["year"].get<int>());
    int days = 0;
    for (const json& o : c["open"]) days = std::max(days, o["days_overdue"].get<int>());
    c["days_overdue"] = days;
    if (!in_street(q, c)) continue;
    if (q.year != 0 && c["year"].get<int>() != q.year) continue;
    items.push_back(std::move(c));
  }
  // The most overdue first, then by id: the order /v1/cases pages in by default.
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    const int da = a["days_overdue"].get<int>(), db = b["days_overdue"].get<int>();
    return da != db ? da > db : a["id"].get<std::string>() < b["id"].get<std::string>();
  });
  return json{{"as_of", q.cases_as_of.to_string()}, {"items", std::move(items)}};
}

Result<json> renovation(const ProjectionView& view, const RuleSet& rules, const ListQuery& q) {
  JY_TRY(json r, renovation_priority(view, q.year, rules));
  JY_TRY(auto places, places_of(view));
  json items = json::array();
  for (json& c : r["communities"]) {
    place(places, c);
    if (in_street(q, c)) items.push_back(std::move(c));
  }
  return json{{"year", q.year}, {"window", r["window"]}, {"items", std::move(items)}};
}

Result<json> compliance(const ProjectionView& view, const Config& config, const RuleSet& rules,
                        const ListQuery& q) {
  JY_TRY(json c, governance_compliance(view, q.year, rules));
  json streets = json::array();
  for (json& line : c["streets"]) {
    if (!in_street(q, line)) continue;
    line["street_name"] = config.district.street_name(StreetId(line["street"].get<std::string>()));
    streets.push_back(std::move(line));
  }
  c["streets"] = std::move(streets);
  return c;
}

// A street's lines, then (for the whole district) the district's, as "全区".
json street_rows(const json& streets, const json& district, bool whole_district) {
  json rows = streets;
  if (whole_district) {
    rows.push_back(district);
    rows.back()["street_name"] = "全区";
  }
  return rows;
}

}  // namespace

std::string_view list_name(ListKind kind) {
  switch (kind) {
    case ListKind::kCommunities:
      return "communities";
    case ListKind::kCases:
      return "cases";
    case ListKind::kCompanies:
      return "companies";
    case ListKind::kAwards:
      return "awards";
    case ListKind::kTargets:
      return "targets";
    case ListKind::kRenovation:
      return "renovation";
    case ListKind::kCompliance:
      return "compliance";
  }
  return "?";
}

std::optional<ListKind> list_kind(std::string_view name) {
  for (ListKind k : kListKinds) {
    if (list_name(k) == name) return k;
  }
  return std::nullopt;
}

Result<json> list_answer(const ProjectionView& view, const Config& config, ListKind kind,
                         const ListQuery& query) {
  if (kind == ListKind::kCases) return cases(view, query);
  const RuleSet* rules = config.rules.for_year(query.year);
  if (rules == nullptr) {
    return fail("bad_argument", "year " + std::to_string(query.year) +
                                    ": no rule set defines that evaluation year");
  }
  switch (kind) {
    case ListKind::kCommunities:
      return communities(view, *rules, query);
    case ListKind::kCompanies:
      return companies(view, config, query);
    case ListKind::kAwards:
      return awards(view, config, query);
    case ListKind::kTargets:
      return targets(view, config, query);
    case ListKind::kRenovation:
      return renovation(view, *rules, query);
    case ListKind::kCompliance:
      return compliance(view, config, *rules, query);
    case ListKind::kCases:
      break;
  }
  return fail("bad_argument", "not a list");
}

json download_rows(ListKind kind, const json& answer, const ListQuery& query) {
  switch (kind) {
    case ListKind::kCommunities:
    case ListKind::kCompanies:
    case ListKind::kRenovation:
      return answer["items"];
    case ListKind::kCases: {
      json rows = answer["items"];
      for (json& c : rows) {  // 市场监管处罚 2024-03-21 逾期 3 天
        json open = json::array();
        for (const json& o : c["open"]) {
          open.push_back(std::string(chinese_label(o.value("what", ""))) + " " +
                         o.value("due", "") + " 逾期 " +
                         std::to_string(o.value("days_overdue", 0)) + " 天");
        }
        c["open"] = std::move(open);
      }
      return rows;
    }
    case ListKind::kAwards: {
      json rows = json::array();
      for (const json& c : answer["top_ten"]) {
        rows.push_back({{"award", "十佳物业服务企业"},
                        {"place", c["rank"]},
                        {"id", c["company"]},
                        {"name", c["company_name"]},
                        {"score", c["composite"]}});
      }
      int place_no = 0;
      for (const json& c : answer["excellent_communities"]) {
        rows.push_back({{"award", "优秀物业服务小区"},
                        {"place", ++place_no},
                        {"id", c["community"]},
                        {"name", c["community_name"]},
                        {"score", c["final_score"]},
                        {"street_name", c["street_name"]},
                        {"company_name", c["company_name"]}});
      }
      place_no = 0;
      for (const json& m : answer["excellent_managers"]) {
        rows.push_back({{"award", "优秀项目经理"},
                        {"place", ++place_no},
                        {"id", m["manager"]},
                        {"name", m["manager_name"]},
                        {"score", m["mean_final_score"]}});
      }
      return rows;
    }
    case ListKind::kTargets:
    case ListKind::kCompliance:
      return street_rows(answer["streets"], answer["district"], !query.street);
  }
  return json::array();
}

std::span<const ExportColumn> download_columns(ListKind kind) {
  switch (kind) {
    case ListKind::kCommunities:
      return kCommunityColumns;
    case ListKind::kCases:
      return kCaseColumns;
    case ListKind::kCompanies:
      return kCompanyColumns;
    case ListKind::kAwards:
      return kAwardColumns;
    case ListKind::kTargets:
      return kTargetColumns;
    case ListKind::kRenovation:
      return kRenovationColumns;
    case ListKind::kCompliance:
      return kComplianceColumns;
  }
  return {};
}

const char* download_sheet(ListKind kind) {
  switch (kind) {
    case ListKind::kCommunities:
      return "小区评定结果";
    case ListKind::kCases:
      return "不达标案件";
    case ListKind::kCompanies:
      return "物业服务企业排名";
    case ListKind::kAwards:
      return "评优";
    case ListKind::kTargets:
      return "年度目标";
    case ListKind::kRenovation:
      return "旧住房修缮";
    case ListKind::kCompliance:
      return "业委会与垃圾分类";
  }
  return "?";
}

std::optional<DownloadFormat> download_format(std::string_view name) {
  if (name == "csv") return DownloadFormat::kCsv;
  if (name == "xlsx") return DownloadFormat::kXlsx;
  return std::nullopt;
}

const char* download_media_type(DownloadFormat format) {
  return format == DownloadFormat::kXlsx
             ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
             : "text/csv; charset=utf-8";
}

std::string download_file_name(ListKind kind, const ListQuery& query, DownloadFormat format) {
  const std::string when =
      kind == ListKind::kCases ? query.cases_as_of.to_string() : std::to_string(query.year);
  return std::string(list_name(kind)) + "-" + when +
         (format == DownloadFormat::kXlsx ? ".xlsx" : ".csv");
}

Result<std::string> download_bytes(ListKind kind, DownloadFormat format, const json& rows) {
  if (format == DownloadFormat::kXlsx)
    return xlsx_table(rows, download_columns(kind), download_sheet(kind));
  return csv_table(rows, download_columns(kind));
}

}  // namespace jiayuan
