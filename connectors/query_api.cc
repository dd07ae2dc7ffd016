#include "connectors/query_api.h"


#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "connectors/openapi_document.h"
#include "connectors/table_export.h"
#include "events/json_limits.h"
#include "engine/district_stage.h"
#include "engine/intake.h"
#include "projections/queries.h"

namespace jiayuan {

using nlohmann::json;

namespace {

// Thrown inside a handler, answered by `guarded` as a problem.
struct HttpError {
  int status;
  std::string detail;
  json extra = json::object();
};

[[noreturn]] void bad_parameter(const std::string& name, const std::string& expected,
                                const std::string& got) {
  throw HttpError{
      400, name + ": expected " + expected + ", got \"" + printable(got, 80) + "\"", {{"parameter", name}}};
}

template <class T>
T must(Result<T> r) {
  if (!r) throw HttpError{503, r.error().message};
  return std::move(*r);
}
void must(Status s) {
  if (!s) throw HttpError{503, s.error().message};
}

// The request's parameters, checked against the ones the resource knows.
class Params {
 public:
  Params(const HttpRequest& req, std::initializer_list<const char*> known) : req_(req) {
    const bool dated = std::find_if(known.begin(), known.end(), [](const char* k) {
                         return std::string_view(k) == "as_of";
                       }) != known.end();
    for (const auto& param : req.params) {
      const std::string& name = param.first;
      if (dated && name == "as_known") continue;  // wherever as_of is, as_known is too
      if (std::find_if(known.begin(), known.end(), [&](const char* k) { return name == k; }) ==
          known.end()) {
        std::string list;
        for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        throw HttpError{400,
                        name + ": not a parameter of " + req.path +
                            " (known: " + (list.empty() ? "none" : list) + ")",
                        {{"parameter", name}}};
      }
    }
  }
  std::optional<std::string> text(const char* name) const {
    if (!req_.has_param(name)) return std::nullopt;
    return req_.param(name);
  }
  std::optional<int32_t> integer(const char* name, int32_t lo, int32_t hi) const {
    auto t = text(name);
    if (!t) return std::nullopt;
    int32_t v = 0;
    const auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (ec != std::errc() || p != t->data() + t->size() || v < lo || v > hi) {
      bad_parameter(name, "an integer " + std::to_string(lo) + ".." + std::to_string(hi), *t);
    }
    return v;
  }
  std::optional<Date> date(const char* name) const {
    auto t = text(name);
    if (!t) return std::nullopt;
    auto d = Date::parse(*t);
    if (!d) bad_parameter(name, "a date YYYY-MM-DD", *t);
    return d;
  }
  std::optional<std::string> one_of(const char* name,
                                    std::initializer_list<const char*> allowed) const {
    auto t = text(name);
    if (!t) return std::nullopt;
    for (const char* a : allowed) {
      if (*t == a) return t;
    }
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    bad_parameter(name, "one of " + list, *t);
  }

 private:
  const HttpRequest& req_;
};

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int v = 0;
    const auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc() || p != s.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

// Sorts `items` by `field` (then `id_field`), and returns the page after `cursor`.
// Downloaded (?format=csv|xlsx), every item after the cursor: a download is the whole list.
json page(json items, const Params& p, const std::string& default_sort,
          std::initializer_list<const char*> sorts, const std::string& id_field, bool all = false) {
  const std::string sort = p.one_of("sort", sorts).value_or(default_sort);
  const bool desc = sort.starts_with('-');
  const std::string field = desc ? sort.substr(1) : sort;
  // Numbers written as text ("80.35") sort as numbers.
  auto key = [&](const json& item) -> json {
    if (!item.contains(field) || item[field].is_null()) return json();
    const json& v = item[field];
    if (v.is_string() && !v.get<std::string>().empty() && field != id_field && field != "name") {
      const std::string s = v.get<std::string>();
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str() + s.size()) return d;
    }
    return v;
  };
  auto less = [&](const json& ka, const std::string& ida, const json& kb, const std::string& idb) {
    if (ka != kb) {
      if (ka.is_null()) return false;  // absent values last, either way
      if (kb.is_null()) return true;
      return desc ? kb < ka : ka < kb;
    }
    return ida < idb;
  };
  std::vector<json> v(items.begin(), items.end());
  std::stable_sort(v.begin(), v.end(), [&](const json& a, const json& b) {
    return less(key(a), a[id_field].get<std::string>(), key(b), b[id_field].get<std::string>());
  });
  const size_t limit = all ? items.size() : static_cast<size_t>(p.integer("limit", 1, 1000).value_or(50));
  size_t from = 0;
  if (auto c = p.text("cursor")) {
    auto raw = unhex(*c);
    json at = raw && check_json(*raw, JsonLimits{}) ? json::parse(*raw, nullptr, false) : json();
    if (!at.is_array() || at.size() != 3 || at[2] != sort || !at[1].is_string()) {
      bad_parameter("cursor", "a next_cursor of this resource and sort", *c);
    }
    while (from < v.size() && !less(at[0], at[1].get<std::string>(), key(v[from]),
                                    v[from][id_field].get<std::string>()))
      ++from;
  }
  json out{{"items", json::array()}, {"total", v.size()}, {"sort", sort}, {"next_cursor", nullptr}};
  const size_t to = std::min(v.size(), from + limit);
  for (size_t i = from; i < to; ++i) out["items"].push_back(v[i]);
  if (to < v.size() && to > 0) {
    out["next_cursor"] = hex(json::array({key(v[to - 1]), v[to - 1][id_field], sort}).dump());
  }
  return out;
}

// The columns of each list as a download, with the headers the bureau's own tables use.
constexpr ExportColumn kCommunityColumns[] = {
    {"community", "小区编号"}, {"name", "小区名称"},          {"street_name", "街镇"},        {"company", "物业服务企业编号"},
    {"company_name", "物业服务企业"}, {"grade_zh", "等级"}, {"final_score", "得分"},       {"tier", "档次"},
    {"category", "房屋类型", true}, {"households", "户数"},        {"fee", "物业费"},             {"published_on", "公布日期"},
    {"year", "年度"}};
constexpr ExportColumn kCaseColumns[] = {
    {"id", "案件"},           {"community", "小区编号"},     {"community_name", "小区名称"}, {"street_name", "街镇"},
    {"year", "年度"},         {"status", "状态", true},      {"reason", "原因", true},           {"published_on", "公布日期"},
    {"interview_due", "约谈期限"}, {"escalated_on", "移送日期"}, {"days_overdue", "逾期天数"}, {"open", "未办事项"}};
constexpr ExportColumn kCompanyColumns[] = {
    {"rank", "排名"},                       {"company", "企业编号"},         {"company_name", "企业名称"},
    {"composite", "综合得分"},              {"eligible", "是否参评"},        {"projects", "项目数"},
    {"rated_projects", "参评项目数"},       {"mean_final_score", "项目平均得分"}, {"factors_percent/results", "评定结果"},
    {"factors_percent/inspections", "检查"}, {"factors_percent/hotline", "热线"}, {"factors_percent/petitions", "信访"},
    {"factors_percent/media", "媒体"},      {"factors_percent/social", "社会评价"}, {"credit_points", "信用记分"},
    {"hotline_complaints", "热线工单"},     {"hotline_on_time", "按时办结"},  {"petitions_substantiated", "属实信访"},
    {"media_negative", "负面报道"},         {"media_positive", "正面报道"}};
constexpr ExportColumn kAwardColumns[] = {{"award", "奖项"},  {"place", "名次"},  {"id", "编号"},
                                          {"name", "名称"},    {"score", "得分"},  {"street_name", "街镇"},
                                          {"company_name", "物业服务企业"}};
constexpr ExportColumn kTargetColumns[] = {
    {"street_name", "街镇"},        {"rated", "参评小区"},           {"grade_mix/exemplary", "示范"},
    {"grade_mix/standard", "规范"}, {"grade_mix/passing", "达标"},   {"grade_mix/failing", "不达标"},
    {"grade_mix/unrated", "未评定"}, {"share_exemplary", "示范占比"}, {"met_exemplary", "示范达标"},
    {"share_standard", "规范占比"}, {"met_standard", "规范达标"},    {"share_passing_or_better", "达标及以上占比"},
    {"met_passing_or_better", "达标及以上达标"}};
constexpr ExportColumn kRenovationColumns[] = {
    {"community", "小区编号"}, {"community_name", "小区名称"}, {"street_name", "街镇"}, {"count", "事项数"}, {"items", "事项", true}};
constexpr ExportColumn kComplianceColumns[] = {
    {"street_name", "街镇"},             {"eligible_committees", "应建业委会"}, {"with_party_branch", "已建党组织"},
    {"party_branch_share", "党组织覆盖率"}, {"party_branch_met", "党组织达标"}, {"waste_inspections", "垃圾分类检查"},
    {"waste_compliant", "垃圾分类合格"},  {"waste_share", "垃圾分类合格率"},  {"waste_met", "垃圾分类达标"}};

constexpr const char* kXlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// What a list answers as: JSON, or a download (?format=csv|xlsx, or an Accept naming only that).
enum class Format { kJson, kCsv, kXlsx };
Format format_of(const Params& p, const HttpRequest& req) {
  if (auto f = p.one_of("format", {"json", "csv", "xlsx"})) {
    return *f == "csv" ? Format::kCsv : *f == "xlsx" ? Format::kXlsx : Format::kJson;
  }
  const std::string accept = req.header("Accept");
  if (accept.find("application/json") != std::string::npos) return Format::kJson;
  if (accept.find("text/csv") != std::string::npos) return Format::kCsv;
  if (accept.find(kXlsxType) != std::string::npos) return Format::kXlsx;
  return Format::kJson;
}

// The rows as a download named `name` (.csv or .xlsx), its sheet titled `sheet`.
void reply_table(HttpResponse& res, Format format, const json& rows, std::span<const ExportColumn> columns,
                 const std::string& name, const std::string& sheet) {
  res.status = 200;
  if (format == Format::kXlsx) {
    res.set_content(must(xlsx_table(rows, columns, sheet)), kXlsxType);
    res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".xlsx\"");
    return;
  }
  res.set_content(csv_table(rows, columns), "text/csv; charset=utf-8");
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
}

void reply(HttpResponse& res, const json& body) {
  res.status = 200;
  // Dead letters keep the bytes as received, which need not be UTF-8.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

}  // namespace

int64_t QueryApi::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void QueryApi::install(HttpServer& server) {
  HttpServer* srv = &server;

  // Wraps a handler: authentication (unless public), scope, metrics, problems.
  using Handler =
      std::function<void(const Principal*, const HttpRequest&, HttpResponse&)>;
  auto route = [this, srv](const std::string& name, bool is_public, Handler h) {
    return [this, srv, name, is_public, h](const HttpRequest& req, HttpResponse& res) {
      const auto start = std::chrono::steady_clock::now();
      const Principal* who = nullptr;
      bool go = true;
      if (!is_public) {
        who = srv->authenticate(req, res);
        go = who != nullptr;
        if (go && !who->reads()) {
          problem(res, 403,
                  who->describe() +
                      " publishes facts; reading needs a supervisor's or an auditor's token");
          go = false;
        }
      }
      if (go) {
        try {
          h(who, req, res);
        } catch (const HttpError& e) {
          problem(res, e.status, e.detail, e.extra);
        } catch (const json::exception& e) {
          problem(res, 500, std::string("a stored projection could not be read: ") + e.what());
        }
      }
      if (options_.metrics != nullptr) {
        options_.metrics->request(
            name, req.method, res.status,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    };
  };

  // ---- the year asked about, and the street a principal may see ---------------------------
  auto year_of = [this](const Params& p) -> int32_t {
    if (auto y = p.integer("year", 1900, 2999)) {
      if (config_.rules.for_year(*y) == nullptr)
        bad_parameter("year", "an evaluation year of the rule sets", std::to_string(*y));
      return *y;
    }
    int32_t latest = 0;  // the latest year anything was rated in
    must(store_.scan(cf::kProjDistrict, "", [&](std::string_view k, std::string_view v) {
      if (json::parse(v)["district"].value("rated", 0) > 0)
        latest = std::max(latest, std::stoi(std::string(k)));
      return true;
    }));
    if (latest == 0)
      throw HttpError{
          404, "year: nothing has been rated yet; give ?year=", {{"parameter", "year"}}};
    return latest;
  };
  // The street the answer is limited to: the principal's own, or ?street= when it may choose.
  auto street_filter = [this](const Principal* who, const Params& p) -> std::optional<std::string> {
    auto asked = p.text("street");
    if (asked && !config_.district.has_street(StreetId(*asked)))
      bad_parameter("street", "a street of the district", *asked);
    if (who->scope == Scope::kStreet) {
      if (asked && *asked != who->street) {
        throw HttpError{
            403,
            "street " + *asked + ": " + who->describe() + " reads street " + who->street + " only",
            {{"parameter", "street"}}};
      }
      return who->street;
    }
    return asked;
  };
  // Each registered community's street, street name and name, by id.
  struct Place {
    std::string street;
    json street_name, name;
  };
  auto streets_of = [](const ProjectionView& view) {
    std::map<std::string, Place> out;
    must(view.scan(cf::kProjCommunity, "", [&](std::string_view k, std::string_view v) {
      const json c = json::parse(v);
      if (c.contains("street")) out[std::string(k)] = {c["street"], c.value("street_name", json()), c.value("name", json())};
      return true;
    }));
    return out;
  };
  auto place = [](const std::map<std::string, Place>& places, json& item) {
    const auto it = places.find(item["community"].get<std::string>());
    item["street"] = it == places.end() ? "" : it->second.street;
    item["street_name"] = it == places.end() ? json() : it->second.street_name;
    item["community_name"] = it == places.end() ? json() : it->second.name;
  };
  auto named_street = [this](json& line) {
    line["street_name"] = config_.district.street_name(StreetId(line["street"].get<std::string>()));
  };

  // The projections now, or as of ?as_of= (what the log held on that date), as known now or
  // at ?as_known= (from the facts accepted by that instant).
  auto view_of = [this](const Params& p) {
    const auto as_of = p.date("as_of");
    if (auto known = p.text("as_known")) {
      const auto ms = parse_instant_ms(*known);
      if (!ms) bad_parameter("as_known", "an instant such as 2024-01-15T18:00:00+08:00", *known);
      if (!options_.as_known) throw HttpError{400, "as_known: this process cannot answer as known at an instant", {{"parameter", "as_known"}}};
      return ProjectionView(must(options_.as_known(*ms)), as_of);
    }
    return as_of ? ProjectionView(store_, *as_of) : ProjectionView(store_);
  };

  // ---- health, metrics, the document ------------------------------------------------------
  server.route("GET", "/healthz", route("/healthz", true,
                          [](const Principal*, const HttpRequest&, HttpResponse& res) {
                            reply(res, {{"status", "ok"}});
                          }));
  server.route("GET", "/readyz", route("/readyz", true,
                         [this](const Principal*, const HttpRequest&, HttpResponse& res) {
                           if (options_.ready && !options_.ready())
                             throw HttpError{503, "the engine has not caught up with the log yet"};
                           reply(res, {{"status", "ready"}});
                         }));
  server.route("GET", "/metrics",
        route("/metrics", true,
              [this](const Principal*, const HttpRequest&, HttpResponse& res) {
                if (options_.metrics == nullptr)
                  throw HttpError{404, "metrics are not collected by this process"};
                size_t waiting = 0;
                for (const json& w : must(waiting_facts(store_, now_ms()))) waiting += w["status"] == "waiting" ? 1 : 0;
                options_.metrics->waiting(waiting);
                res.set_content(options_.metrics->render(),
                                "text/plain; version=0.0.4; charset=utf-8");
              }));
  server.route("GET", "/v1/openapi.json",
        route("/v1/openapi.json", true,
              [](const Principal*, const HttpRequest&, HttpResponse& res) {
                res.set_content(std::string(kOpenApiDocument), "application/json");
              }));

  server.route("GET", "/v1/me",
        route("/v1/me", false,
              [this](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {});
                static const char* kScopes[] = {"district", "street", "department", "auditor"};
                json out{{"scope", kScopes[static_cast<int>(who->scope)]},
                         {"description", who->describe()}};
                switch (who->scope) {
                  case Scope::kDistrict:
                    out["description_zh"] = "区级监管";
                    break;
                  case Scope::kAuditor:
                    out["description_zh"] = "审计";
                    break;
                  case Scope::kStreet:
                    out["street"] = who->street;
                    out["street_name"] = config_.district.street_name(StreetId(who->street));
                    out["description_zh"] = out["street_name"].get<std::string>() + " 街镇监管";
                    break;
                  case Scope::kDepartment:
                    break;
                }
                reply(res, out);
              }));

  // ---- communities -------------------------------------------------------------------------
  server.route("GET", "/v1/communities",
        route("/v1/communities", false,
              [=, this](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"year", "street", "tier", "category", "grade", "as_of", "sort",
                               "limit", "cursor", "format"});
                const Format format = format_of(p, req);
                const bool download = format != Format::kJson;
                const int32_t year = year_of(p);
                const ProjectionView view = view_of(p);
                const auto street = street_filter(who, p);
                const auto tier = p.one_of("tier", {"T1", "T2", "T3"});
                const auto category = p.one_of("category", {"commodity", "mixed", "relocation",
                                                            "affordable", "scattered_public"});
                const auto grade =
                    p.one_of("grade", {"exemplary", "standard", "passing", "failing", "unrated"});
                CommunityFilter filter{street, tier, category, grade, std::nullopt};
                if (const RuleSet* rs = config_.rules.for_year(year); rs && rs->window(year))
                  filter.rating_date = rs->window(year)->to;
                json items = must(community_list(view, year, filter));
                json out = page(std::move(items), p, "community",
                                {"community", "-community", "name", "final_score", "-final_score",
                                 "grade", "street"},
                                "community", download);
                if (download) return reply_table(res, format, out["items"], kCommunityColumns, "communities-" + std::to_string(year), "小区评定结果");
                out["year"] = year;
                if (view.as_of()) out["as_of"] = view.as_of()->to_string();
                reply(res, out);
              }));
  server.route("GET", "/v1/communities/{id}",
        route("/v1/communities/{id}", false,
              [=](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"as_of", "include"});
                const std::string id = req.matches[1];
                const bool with_revisions = p.one_of("include", {"revisions"}).has_value();
                const ProjectionView at = view_of(p);
                auto view = must(community_view(at, CommunityId(id)));
                if (!view) {
                  throw HttpError{
                      404, "community " + id + ": not registered" +
                               (p.text("as_of") ? " as of " + *p.text("as_of") : std::string())};
                }
                if (who->scope == Scope::kStreet && view->value("street", "") != who->street) {
                  throw HttpError{403, "community " + id + " is in street " +
                                           view->value("street", std::string("?")) + "; " +
                                           who->describe() + " reads street " + who->street +
                                           " only"};
                }
                if (with_revisions) {
                  RevisionFilter only;
                  only.community = id;
                  (*view)["revisions"] = must(revisions(at, only));
                }
                reply(res, *view);
              }));
  // Revisions: transaction time (what changed after it was first decided, in the order it was
  // learnt), so no other resource includes them unless asked (?include=revisions).
  server.route("GET", "/v1/revisions",
        route("/v1/revisions", false,
              [=](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"year", "street", "since", "as_of", "limit", "cursor"});
                RevisionFilter filter;
                filter.year = p.integer("year", 1900, 2999);
                filter.street = street_filter(who, p);
                filter.since = p.date("since");
                json out = page(must(revisions(view_of(p), filter)), p, "log_date", {"log_date"}, "decision");
                if (filter.year) out["year"] = *filter.year;
                reply(res, out);
              }));

  // ---- companies, awards, targets ------------------------------------------------------------
  server.route("GET", "/v1/companies",
        route("/v1/companies", false,
              [=, this](const Principal*, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"year", "eligible", "as_of", "sort", "limit", "cursor", "format"});
                const Format format = format_of(p, req);
                const bool download = format != Format::kJson;
                const int32_t year = year_of(p);
                const auto eligible = p.one_of("eligible", {"true", "false"});
                json all = must(company_standings_at(view_of(p), config_, year))["companies"];
                json items = json::array();
                for (json& c : all) {
                  if (eligible && c["eligible"].get<bool>() != (*eligible == "true")) continue;
                  if (c["rank"].get<int>() == 0) c["rank"] = nullptr;
                  items.push_back(std::move(c));
                }
                json out =
                    page(std::move(items), p, "rank",
                         {"rank", "company", "composite", "-composite", "projects", "-projects"},
                         "company", download);
                if (download) return reply_table(res, format, out["items"], kCompanyColumns, "companies-" + std::to_string(year), "物业服务企业排名");
                out["year"] = year;
                reply(res, out);
              }));
  auto district_of = [this](const ProjectionView& view, int32_t year) {
    json d = must(district_view_at(view, config_, year));
    if (d.is_null() || d["district"].value("rated", 0) == 0) {
      throw HttpError{
          404, "year " + std::to_string(year) + ": nothing rated yet", {{"parameter", "year"}}};
    }
    return d;
  };
  server.route("GET", "/v1/awards",
        route("/v1/awards", false,
              [=](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"year", "as_of", "format"});
                const Format format = format_of(p, req);
                const bool download = format != Format::kJson;
                const int32_t year = year_of(p);
                const ProjectionView view = view_of(p);
                json d = district_of(view, year);
                json out{{"year", year},
                         {"rating_date", d["rating_date"]},
                         {"award_quota", d["award_quota"]},
                         {"top_ten", d["top_ten"]},
                         {"excellent_communities", json::array()},
                         {"excellent_managers", d["excellent_managers"]},
                         {"rule_set", d["rule_set"]}};
                for (const json& c : d["excellent_communities"]) {
                  if (who->scope == Scope::kStreet && c["street"] != who->street) continue;
                  out["excellent_communities"].push_back(c);
                }
                if (download) {
                  // One table: the top ten, then the excellent communities, then the managers.
                  json rows = json::array();
                  for (const json& c : out["top_ten"]) {
                    rows.push_back({{"award", "十佳物业服务企业"}, {"place", c["rank"]}, {"id", c["company"]},
                                    {"name", c["company_name"]}, {"score", c["composite"]}});
                  }
                  int place_no = 0;
                  for (json c : out["excellent_communities"]) {  // named by name_awards
                    named_street(c);
                    rows.push_back({{"award", "优秀物业服务小区"}, {"place", ++place_no}, {"id", c["community"]},
                                    {"name", c["community_name"]}, {"score", c["final_score"]},
                                    {"street_name", c["street_name"]}, {"company_name", c["company_name"]}});
                  }
                  place_no = 0;
                  for (const json& m : out["excellent_managers"]) {
                    rows.push_back({{"award", "优秀项目经理"}, {"place", ++place_no}, {"id", m["manager"]},
                                    {"name", m["manager_name"]}, {"score", m["mean_final_score"]}});
                  }
                  return reply_table(res, format, rows, kAwardColumns, "awards-" + std::to_string(year), "评优");
                }
                reply(res, out);
              }));
  server.route("GET", "/v1/targets",
        route("/v1/targets", false,
              [=](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"year", "street", "as_of", "format"});
                const Format format = format_of(p, req);
                const bool download = format != Format::kJson;
                const int32_t year = year_of(p);
                const auto street = street_filter(who, p);
                json d = district_of(view_of(p), year);
                json out{{"year", year},
                         {"targets", d.value("targets", json())},
                         {"district", d["district"]},
                         {"streets", json::array()}};
                for (const json& line : d["streets"]) {
                  if (street && line["street"] != *street) continue;
                  out["streets"].push_back(line);
                }
                if (download) {
                  json rows = out["streets"];
                  if (!street) {
                    rows.push_back(out["district"]);
                    rows.back()["street_name"] = "全区";
                  }
                  return reply_table(res, format, rows, kTargetColumns, "targets-" + std::to_string(year), "年度目标");
                }
                reply(res, out);
              }));

  // ---- cases -------------------------------------------------------------------------------
  server.route("GET", "/v1/cases",
        route("/v1/cases", false,
              [=, this](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"as_of", "status", "street", "year", "sort", "limit", "cursor", "format"});
                const Format format = format_of(p, req);
                const bool download = format != Format::kJson;
                const Date as_of = p.date("as_of").value_or(options_.today ? options_.today()
                                                                           : Date::from_days(0));
                const bool all = p.one_of("status", {"open", "all"}).value_or("open") == "all";
                const auto street = street_filter(who, p);
                const auto year = p.integer("year", 1900, 2999);
                const ProjectionView view = view_of(p);
                const auto streets = streets_of(view);
                json cases = must(failing_cases(view, as_of, all))["cases"];
                json items = json::array();
                for (json& c : cases) {
                  place(streets, c);
                  c["id"] = c["community"].get<std::string>() + "/" +
                            std::to_string(c["year"].get<int>());
                  int days = 0;
                  for (const json& o : c["open"])
                    days = std::max(days, o["days_overdue"].get<int>());
                  c["days_overdue"] = days;
                  if (street && c["street"] != *street) continue;
                  if (year && c["year"].get<int>() != *year) continue;
                  items.push_back(std::move(c));
                }
                json out = page(std::move(items), p, "-days_overdue",
                                {"-days_overdue", "days_overdue", "id", "community"}, "id", download);
                if (download) {
                  for (json& c : out["items"]) {  // 市场监管处罚 2024-03-21 逾期 3 天
                    json open = json::array();
                    for (const json& o : c["open"]) {
                      open.push_back(std::string(chinese_label(o.value("what", ""))) + " " + o.value("due", "") + " 逾期 " +
                                     std::to_string(o.value("days_overdue", 0)) + " 天");
                    }
                    c["open"] = open;
                  }
                  return reply_table(res, format, out["items"], kCaseColumns, "cases-" + as_of.to_string(), "不达标案件");
                }
                out["as_of"] = as_of.to_string();
                reply(res, out);
              }));

  // ---- renovation, compliance --------------------------------------------------------------
  auto rules_of = [this](int32_t year) -> const RuleSet& { return *config_.rules.for_year(year); };
  server.route("GET", 
      "/v1/renovation",
      route("/v1/renovation", false,
            [=](const Principal* who, const HttpRequest& req, HttpResponse& res) {
              Params p(req, {"year", "street", "as_of", "limit", "cursor", "sort", "format"});
              const Format format = format_of(p, req);
              const bool download = format != Format::kJson;
              const int32_t year = year_of(p);
              const auto street = street_filter(who, p);
              const ProjectionView view = view_of(p);
              const auto streets = streets_of(view);
              json r = must(renovation_priority(view, year, rules_of(year)));
              json items = json::array();
              for (json& c : r["communities"]) {
                place(streets, c);
                if (street && c["street"] != *street) continue;
                items.push_back(std::move(c));
              }
              json out = page(std::move(items), p, "-count", {"-count", "community"}, "community", download);
              if (download) return reply_table(res, format, out["items"], kRenovationColumns, "renovation-" + std::to_string(year), "旧住房修缮");
              out["year"] = year;
              out["window"] = r["window"];
              reply(res, out);
            }));
  server.route("GET", "/v1/compliance",
        route("/v1/compliance", false,
              [=](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"year", "street", "as_of", "format"});
                const Format format = format_of(p, req);
                const bool download = format != Format::kJson;
                const int32_t year = year_of(p);
                const auto street = street_filter(who, p);
                json c = must(governance_compliance(view_of(p), year, rules_of(year)));
                json streets = json::array();
                for (const json& line : c["streets"]) {
                  if (street && line["street"] != *street) continue;
                  streets.push_back(line);
                  named_street(streets.back());
                }
                c["streets"] = streets;
                if (download) {
                  json rows = streets;
                  if (!street) {
                    rows.push_back(c["district"]);
                    rows.back()["street_name"] = "全区";
                  }
                  return reply_table(res, format, rows, kComplianceColumns, "compliance-" + std::to_string(year), "业委会与垃圾分类");
                }
                reply(res, c);
              }));

  // ---- dead letters ------------------------------------------------------------------------
  server.route("GET", "/v1/dead-letters",
        route("/v1/dead-letters", false,
              [this](const Principal* who, const HttpRequest& req, HttpResponse& res) {
                Params p(req, {"limit", "cursor"});
                if (who->scope == Scope::kStreet)
                  throw HttpError{
                      403,
                      who->describe() +
                          " does not read the dead-letter log (district and auditor tokens do)"};
                if (options_.dead_letters == nullptr)
                  throw HttpError{404, "this process does not read the dead-letter log"};
                const int32_t limit = p.integer("limit", 1, 1000).value_or(50);
                int64_t from = 0;
                if (auto c = p.text("cursor")) {
                  const auto [ptr, ec] = std::from_chars(c->data(), c->data() + c->size(), from);
                  if (ec != std::errc() || ptr != c->data() + c->size() || from < 0)
                    bad_parameter("cursor", "a next_cursor of /v1/dead-letters", *c);
                }
                auto entries = must(options_.dead_letters->read(topics::kDeadLetter, 0, from,
                                                                static_cast<size_t>(limit) + 1));
                json items = json::array();
                for (size_t i = 0; i < entries.size() && i < static_cast<size_t>(limit); ++i) {
                  const Record& r = entries[i].record;
                  items.push_back({{"offset", entries[i].position.offset},
                                   {"stage", std::string(r.header("jiayuan.errors.stage"))},
                                   {"code", std::string(r.header("jiayuan.errors.code"))},
                                   {"reason", std::string(r.header("jiayuan.errors.reason"))},
                                   {"origin", std::string(r.header("jiayuan.errors.origin"))},
                                   {"bytes", r.value}});
                }
                // Facts accepted that wait for their community's registration (DOMAIN.md), with
                // their age: not dead letters, but what a sender looks for here.
                json out{{"items", items}, {"waiting", must(waiting_facts(store_, now_ms()))}, {"next_cursor", nullptr}};
                if (entries.size() > static_cast<size_t>(limit))
                  out["next_cursor"] =
                      std::to_string(entries[static_cast<size_t>(limit)].position.offset);
                reply(res, out);
              }));
}

}  // namespace jiayuan
