#include "connectors/query_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "connectors/csv_import.h"
#include "connectors/list_cache.h"
#include "connectors/lists.h"
#include "connectors/openapi_document.h"
#include "engine/district_stage.h"
#include "engine/intake.h"
#include "engine/waiting.h"
#include "events/hex.h"
#include "events/json_limits.h"
#include "projections/queries.h"
#include "projections/records.h"

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
  throw HttpError{400,
                  name + ": expected " + expected + ", got \"" + printable(got, 80) + "\"",
                  {{"parameter", name}}};
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

// ?sort=, one of `sorts`; `default_sort` without it.
std::string sort_of(const Params& p, const std::string& default_sort,
                    std::initializer_list<const char*> sorts) {
  return p.one_of("sort", sorts).value_or(default_sort);
}

// The page after ?cursor= of `sorted`, ?limit= items (50 unless given).
// Downloaded (?format=csv|xlsx), every item after the cursor: a download is the whole list.
json page_of(const SortedItems& sorted, const Params& p, bool all = false) {
  const std::vector<SortedItems::Keyed>& v = sorted.order;
  const bool desc = sorted.sort.starts_with('-');
  const size_t limit =
      all ? v.size() : static_cast<size_t>(p.integer("limit", 1, 1000).value_or(50));
  size_t from = 0;
  if (auto c = p.text("cursor")) {
    auto raw = from_hex(*c);
    json at = raw && check_json(*raw, JsonLimits{}) ? json::parse(*raw, nullptr, false) : json();
    if (!at.is_array() || at.size() != 3 || at[2] != sorted.sort || !at[1].is_string()) {
      bad_parameter("cursor", "a next_cursor of this resource and sort", *c);
    }
    // The first item after the cursor's (key, id): the order is sorted, so a binary search.
    const std::string& after = at[1].get_ref<const std::string&>();
    from = static_cast<size_t>(std::partition_point(v.begin(), v.end(),
                                                    [&](const SortedItems::Keyed& k) {
                                                      return !sorted_before(desc, at[0], after,
                                                                            k.key, *k.id);
                                                    }) -
                               v.begin());
  }
  json out{{"items", json::array()},
           {"total", v.size()},
           {"sort", sorted.sort},
           {"next_cursor", nullptr}};
  const size_t to = std::min(v.size(), from + limit);
  for (size_t i = from; i < to; ++i) out["items"].push_back(*v[i].item);
  if (to < v.size() && to > 0) {
    out["next_cursor"] = to_hex(json::array({v[to - 1].key, *v[to - 1].id, sorted.sort}).dump());
  }
  return out;
}

// Sorts `items` and returns the page after ?cursor= (a list not kept: computed per request).
json page(const json& items, const Params& p, const std::string& default_sort,
          std::initializer_list<const char*> sorts, const std::string& id_field, bool all = false) {
  return page_of(sort_items(items, sort_of(p, default_sort, sorts), id_field), p, all);
}

// What a list answers as: JSON, or a download (?format=csv|xlsx, or an Accept naming only that).
std::optional<DownloadFormat> format_of(const Params& p, const HttpRequest& req) {
  if (auto f = p.one_of("format", {"json", "csv", "xlsx"})) return download_format(*f);
  const std::string accept = req.header("Accept");
  if (accept.find("application/json") != std::string::npos) return std::nullopt;
  for (DownloadFormat f : {DownloadFormat::kCsv, DownloadFormat::kXlsx}) {
    std::string type = download_media_type(f);
    type = type.substr(0, type.find(';'));
    if (accept.find(type) != std::string::npos) return f;
  }
  return std::nullopt;
}

// The list's rows as a download (.csv or .xlsx), as `jiayuan query … --format` saves it.
void reply_download(HttpResponse& res, ListKind kind, DownloadFormat format, const json& answer,
                    const ListQuery& q) {
  res.status = 200;
  res.set_content(must(download_bytes(kind, format, download_rows(kind, answer, q))),
                  download_media_type(format));
  res.set_header("Content-Disposition",
                 "attachment; filename=\"" + download_file_name(kind, q, format) + "\"");
}

// A list's answer: nothing rated yet for the year is 404 (of ?year=), the store's failure 503.
json answer_of(const ProjectionView& view, const Config& config, ListKind kind,
               const ListQuery& q) {
  auto r = list_answer(view, config, kind, q);
  if (!r && r.error().code == "not_found")
    throw HttpError{404, r.error().message, {{"parameter", "year"}}};
  if (!r && r.error().code == "bad_argument")
    throw HttpError{400, r.error().message, {{"parameter", "year"}}};
  return must(std::move(r));
}

void reply(HttpResponse& res, const json& body) {
  res.status = 200;
  // Dead letters keep the bytes as received, which need not be UTF-8.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// What names one list's answer: the list, its query and the view's date.
std::string list_key(ListKind kind, const ListQuery& q, const ProjectionView& view) {
  return json::array({list_name(kind), q.year, or_null(q.street), or_null(q.communities.tier),
                      or_null(q.communities.category), or_null(q.communities.grade),
                      or_null(q.eligible), q.cases_as_of.to_string(), q.all_cases,
                      view.as_of() ? json(view.as_of()->to_string()) : json()})
      .dump();
}

// The resources of /v1, one function each; `install` routes them.
class Resources {
 public:
  Resources(const Store& store, const Config& config, const QueryApiOptions& options)
      : store_(store), config_(config), options_(options) {}

  // ---- health, metrics, the document ------------------------------------------------------
  void healthz(const Principal*, const HttpRequest&, HttpResponse& res) const {
    reply(res, {{"status", "ok"}});
  }
  void readyz(const Principal*, const HttpRequest&, HttpResponse& res) const {
    const json position = options_.position ? options_.position() : json();
    if (options_.ready && !options_.ready()) {
      json extra = json::object();
      if (!position.is_null()) extra["position"] = position;
      problem(res, 503, "not caught up with the log yet", extra);
      return;
    }
    json out{{"status", "ready"}};
    if (!position.is_null()) out["position"] = position;
    reply(res, out);
  }
  void metrics(const Principal*, const HttpRequest&, HttpResponse& res) const;
  void openapi(const Principal*, const HttpRequest&, HttpResponse& res) const {
    res.set_content(std::string(kOpenApiDocument), "application/json");
  }
  void me(const Principal* who, const HttpRequest& req, HttpResponse& res) const;

  // ---- what a department fills in ---------------------------------------------------------
  void templates(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void template_file(const Principal* who, const HttpRequest& req, HttpResponse& res) const;

  // ---- the lists and one community ---------------------------------------------------------
  void communities(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void community(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void revisions_list(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void companies(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void awards(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void targets(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
    street_lines(ListKind::kTargets, who, req, res);
  }
  void cases(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void renovation(const Principal* who, const HttpRequest& req, HttpResponse& res) const;
  void compliance(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
    street_lines(ListKind::kCompliance, who, req, res);
  }
  void dead_letters(const Principal* who, const HttpRequest& req, HttpResponse& res) const;

 private:
  int64_t now_ms() const { return options_.clock->now_ms(); }
  int32_t year_of(const Params& p) const;
  std::optional<std::string> street_filter(const Principal* who, const Params& p) const;
  ProjectionView view_of(const Params& p) const;
  std::string example_street(const Principal* who) const;
  void street_lines(ListKind kind, const Principal* who, const HttpRequest& req,
                    HttpResponse& res) const;
  std::vector<LogEntry> dead_letter_page(const std::optional<std::string>& mine, int64_t from,
                                         int32_t limit, int64_t* at, int64_t* scanned) const;

  // A list's answer (answer_of), from the cache when the view is of this process's store (not
  // of a store built for ?as_known=).
  std::shared_ptr<const json> answer(const ProjectionView& view, ListKind kind,
                                     const ListQuery& q) const {
    std::function<std::shared_ptr<const json>()> compute = [&] {
      return std::make_shared<const json>(answer_of(view, config_, kind, q));
    };
    if (&view.store() != &store_) return compute();
    return lists_.get(list_key(kind, q, view), store_.sequence(), compute);
  }
  // The page of a list's items in ?sort= order; the sorted order is kept like the answer.
  json list_page(const ProjectionView& view, ListKind kind, const ListQuery& q, const Params& p,
                 const std::string& default_sort, std::initializer_list<const char*> sorts,
                 const std::string& id_field, bool all) const {
    const std::string sort = sort_of(p, default_sort, sorts);
    std::function<std::shared_ptr<const SortedItems>()> compute = [&] {
      std::shared_ptr<const json> a = answer(view, kind, q);
      auto sorted = std::make_shared<SortedItems>(sort_items(a->at("items"), sort, id_field));
      sorted->answer = std::move(a);
      return std::shared_ptr<const SortedItems>(std::move(sorted));
    };
    if (&view.store() != &store_) return page_of(*compute(), p, all);
    return page_of(
        *lists_.get(list_key(kind, q, view) + " sorted by " + sort, store_.sequence(), compute), p,
        all);
  }

  const Store& store_;
  const Config& config_;
  const QueryApiOptions& options_;
  mutable ListCache lists_;
};

// ---- the year asked about, the street a principal may see, the view -------------------------

// ?year=, or the latest year anything was rated in.
int32_t Resources::year_of(const Params& p) const {
  if (auto y = p.integer("year", 1900, 2999)) {
    if (config_.rules.for_year(*y) == nullptr)
      bad_parameter("year", "an evaluation year of the rule sets", std::to_string(*y));
    return *y;
  }
  int32_t latest = 0;
  must(scan_records<DistrictRecord>(ProjectionView(store_), cf::kProjDistrict, "", decode_district,
                                    [&](std::string_view, DistrictRecord& d) {
                                      if (d.district.rated > 0) latest = std::max(latest, d.year);
                                      return true;
                                    }));
  if (latest == 0)
    throw HttpError{404, "year: nothing has been rated yet; give ?year=", {{"parameter", "year"}}};
  return latest;
}

// The street the answer is limited to: the principal's own, or ?street= when it may choose.
std::optional<std::string> Resources::street_filter(const Principal* who, const Params& p) const {
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
}

// The projections now, or as of ?as_of= (what the log held on that date), as known now or at
// ?as_known= (from the facts accepted by that instant).
ProjectionView Resources::view_of(const Params& p) const {
  const auto as_of = p.date("as_of");
  if (auto known = p.text("as_known")) {
    const auto ms = parse_instant_ms(*known);
    if (!ms) bad_parameter("as_known", "an instant such as 2024-01-15T18:00:00+08:00", *known);
    if (!options_.as_known)
      throw HttpError{400,
                      "as_known: this process cannot answer as known at an instant",
                      {{"parameter", "as_known"}}};
    return ProjectionView(must(options_.as_known(*ms)), as_of);
  }
  return as_of ? ProjectionView(store_, *as_of) : ProjectionView(store_);
}

// ---- health and who is asking ---------------------------------------------------------------

void Resources::metrics(const Principal*, const HttpRequest&, HttpResponse& res) const {
  if (options_.metrics == nullptr)
    throw HttpError{404, "metrics are not collected by this process"};
  size_t waiting = 0;
  for (const json& w : must(waiting_facts(store_, now_ms())))
    waiting += w["status"] == "waiting" ? 1 : 0;
  options_.metrics->waiting(waiting);
  res.set_content(options_.metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
}

void Resources::me(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {});
  static const char* kScopes[] = {"district", "street", "department", "auditor"};
  json out{{"scope", kScopes[static_cast<int>(who->scope)]}, {"description", who->describe()}};
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
    case Scope::kDepartment: {
      out["department"] = who->department.value;
      const std::string& d = who->department.value;
      const auto it = config_.district.departments.find(d);
      out["department_name"] = it != config_.district.departments.end() ? it->second
                               : d.starts_with("street.")
                                   ? config_.district.street_name(StreetId(d.substr(7))) + "办事处"
                                   : d;
      out["description_zh"] = out["department_name"].get<std::string>() + " 数据报送";
      break;
    }
  }
  reply(res, out);
}

// ---- what a department fills in -------------------------------------------------------------

// The street a template's example row names: a street office's own (which "street.own" needs),
// else the district's first.
std::string Resources::example_street(const Principal* who) const {
  if (who->scope == Scope::kDepartment && who->department.value.starts_with("street.")) {
    return who->department.value.substr(7);
  }
  return config_.district.streets.empty() ? "" : config_.district.streets.begin()->first;
}

// Every fact type a sheet can carry (a department's: those it may send), with its columns.
void Resources::templates(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {});
  const std::string street = example_street(who);
  const StreetId own(street);
  json types = json::array();
  for (const FactTypeInfo& t : fact_types()) {
    if (!has_import_template(t)) continue;
    if (who->scope == Scope::kDepartment && !config_.authority.check(t.name, who->department, &own))
      continue;
    const ImportTemplate tpl = import_template(t, street);
    json columns = json::array();
    for (size_t i = 0; i < tpl.fields.size(); ++i) {
      columns.push_back({{"field", tpl.fields[i]}, {"header", tpl.headers[i]}});
    }
    types.push_back({{"type", std::string(t.name)},
                     {"name", std::string(t.name.substr(8))},
                     {"columns", columns}});
  }
  reply(res, json{{"types", types}});
}

// One fact type's sheet as a file with one example row.
void Resources::template_file(const Principal* who, const HttpRequest& req,
                              HttpResponse& res) const {
  Params p(req, {"format"});
  const std::string name = req.matches[1];
  const FactTypeInfo* type = find_fact_type(name);
  if (type == nullptr) type = find_fact_type("jiayuan." + name);
  if (type == nullptr || !has_import_template(*type)) {
    throw HttpError{404, "template " + printable(name, 60) +
                             ": not a fact type a sheet carries (see /v1/templates)"};
  }
  const DownloadFormat format =
      download_format(p.one_of("format", {"csv", "xlsx"}).value_or("csv")).value();
  const ImportTemplate tpl = import_template(*type, example_street(who));
  std::vector<ExportColumn> columns;
  json row = json::object();
  for (size_t i = 0; i < tpl.fields.size(); ++i) {
    columns.push_back({tpl.fields[i].c_str(), tpl.headers[i].c_str()});
    row[tpl.fields[i]] = tpl.example[i];
  }
  const json rows = json::array({row});
  const std::string stem = "template-" + std::string(type->name.substr(8));
  res.status = 200;
  if (format == DownloadFormat::kXlsx) {
    res.set_content(must(xlsx_table(rows, columns, std::string(type->name.substr(8)))),
                    download_media_type(format));
  } else {
    res.set_content(csv_table(rows, columns), download_media_type(format));
  }
  res.set_header("Content-Disposition", "attachment; filename=\"" + stem +
                                            (format == DownloadFormat::kXlsx ? ".xlsx" : ".csv") +
                                            "\"");
}

// ---- communities ----------------------------------------------------------------------------

void Resources::communities(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {"year", "street", "tier", "category", "grade", "as_of", "sort", "limit", "cursor",
                 "format"});
  const auto format = format_of(p, req);
  ListQuery q;
  q.year = year_of(p);
  q.street = street_filter(who, p);
  q.communities.tier = p.one_of("tier", {"T1", "T2", "T3"});
  q.communities.category =
      p.one_of("category", {"commodity", "mixed", "relocation", "affordable", "scattered_public"});
  q.communities.grade =
      p.one_of("grade", {"exemplary", "standard", "passing", "failing", "unrated"});
  const ProjectionView view = view_of(p);
  json out = list_page(
      view, ListKind::kCommunities, q, p, "community",
      {"community", "-community", "name", "final_score", "-final_score", "grade", "street"},
      "community", format.has_value());
  if (format) return reply_download(res, ListKind::kCommunities, *format, out, q);
  out["year"] = q.year;
  if (view.as_of()) out["as_of"] = view.as_of()->to_string();
  reply(res, out);
}

void Resources::community(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {"as_of", "include"});
  const std::string id = req.matches[1];
  const bool with_revisions = p.one_of("include", {"revisions"}).has_value();
  const ProjectionView at = view_of(p);
  auto view = must(community_view(at, CommunityId(id)));
  if (!view) {
    throw HttpError{404, "community " + id + ": not registered" +
                             (p.text("as_of") ? " as of " + *p.text("as_of") : std::string())};
  }
  if (who->scope == Scope::kStreet && view->value("street", "") != who->street) {
    throw HttpError{403, "community " + id + " is in street " +
                             view->value("street", std::string("?")) + "; " + who->describe() +
                             " reads street " + who->street + " only"};
  }
  if (with_revisions) {
    RevisionFilter only;
    only.community = id;
    (*view)["revisions"] = must(revisions(at, only));
  }
  reply(res, *view);
}

// Revisions: transaction time (what changed after it was first decided, in the order it was
// learnt), so no other resource includes them unless asked (?include=revisions).
void Resources::revisions_list(const Principal* who, const HttpRequest& req,
                               HttpResponse& res) const {
  Params p(req, {"year", "street", "since", "as_of", "limit", "cursor"});
  RevisionFilter filter;
  filter.year = p.integer("year", 1900, 2999);
  filter.street = street_filter(who, p);
  filter.since = p.date("since");
  json out = page(must(revisions(view_of(p), filter)), p, "log_date", {"log_date"}, "decision");
  if (filter.year) out["year"] = *filter.year;
  reply(res, out);
}

// ---- companies, awards, targets, compliance -------------------------------------------------

void Resources::companies(const Principal*, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {"year", "eligible", "as_of", "sort", "limit", "cursor", "format"});
  const auto format = format_of(p, req);
  ListQuery q;
  q.year = year_of(p);
  if (auto e = p.one_of("eligible", {"true", "false"})) q.eligible = *e == "true";
  json out = list_page(view_of(p), ListKind::kCompanies, q, p, "rank",
                       {"rank", "company", "composite", "-composite", "projects", "-projects"},
                       "company", format.has_value());
  if (format) return reply_download(res, ListKind::kCompanies, *format, out, q);
  out["year"] = q.year;
  reply(res, out);
}

void Resources::awards(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {"year", "as_of", "format"});
  const auto format = format_of(p, req);
  ListQuery q;
  q.year = year_of(p);
  if (who->scope == Scope::kStreet) q.street = who->street;  // its own excellent communities
  json out = *answer(view_of(p), ListKind::kAwards, q);
  if (format) return reply_download(res, ListKind::kAwards, *format, out, q);
  reply(res, out);
}

// A year's lines per street (targets, compliance): no paging, a street's own or ?street=.
void Resources::street_lines(ListKind kind, const Principal* who, const HttpRequest& req,
                             HttpResponse& res) const {
  Params p(req, {"year", "street", "as_of", "format"});
  const auto format = format_of(p, req);
  ListQuery q;
  q.year = year_of(p);
  q.street = street_filter(who, p);
  json out = *answer(view_of(p), kind, q);
  if (format) return reply_download(res, kind, *format, out, q);
  reply(res, out);
}

// ---- cases, renovation ----------------------------------------------------------------------

void Resources::cases(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {"as_of", "status", "street", "year", "sort", "limit", "cursor", "format"});
  const auto format = format_of(p, req);
  ListQuery q;
  q.year = p.integer("year", 1900, 2999).value_or(0);
  q.street = street_filter(who, p);
  q.cases_as_of = p.date("as_of").value_or(options_.clock->today());
  q.all_cases = p.one_of("status", {"open", "all"}).value_or("open") == "all";
  json out =
      list_page(view_of(p), ListKind::kCases, q, p, "-days_overdue",
                {"-days_overdue", "days_overdue", "id", "community"}, "id", format.has_value());
  if (format) return reply_download(res, ListKind::kCases, *format, out, q);
  out["as_of"] = q.cases_as_of.to_string();
  reply(res, out);
}

void Resources::renovation(const Principal* who, const HttpRequest& req, HttpResponse& res) const {
  Params p(req, {"year", "street", "as_of", "limit", "cursor", "sort", "format"});
  const auto format = format_of(p, req);
  ListQuery q;
  q.year = year_of(p);
  q.street = street_filter(who, p);
  json r = *answer(view_of(p), ListKind::kRenovation, q);
  json out =
      page(r["items"], p, "-count", {"-count", "community"}, "community", format.has_value());
  if (format) return reply_download(res, ListKind::kRenovation, *format, out, q);
  out["year"] = q.year;
  out["window"] = r["window"];
  reply(res, out);
}

// ---- dead letters ---------------------------------------------------------------------------

// The dead letters from offset `from`, up to `limit` + 1 of them (the one more says a page
// follows). A department's (`mine`): read on in batches until a page more is found or 100,000
// read; `at` is where reading stopped, `scanned` how many were read.
std::vector<LogEntry> Resources::dead_letter_page(const std::optional<std::string>& mine,
                                                  int64_t from, int32_t limit, int64_t* at,
                                                  int64_t* scanned) const {
  std::vector<LogEntry> entries;
  *at = from;
  *scanned = 0;
  while (entries.size() <= static_cast<size_t>(limit) && *scanned < 100000) {
    auto batch = must(options_.dead_letters->read(topics::kDeadLetter, 0, *at,
                                                  mine ? 1000 : static_cast<size_t>(limit) + 1));
    if (batch.empty()) break;
    *scanned += static_cast<int64_t>(batch.size());
    *at = batch.back().position.offset + 1;
    for (LogEntry& e : batch) {
      if (!mine || e.record.header(headers::kErrorDepartment) == *mine)
        entries.push_back(std::move(e));
    }
    if (!mine) break;
  }
  return entries;
}

// Rejected input (district and auditor tokens; a department reads what it sent only: its
// rejected input and its waiting facts).
void Resources::dead_letters(const Principal* who, const HttpRequest& req,
                             HttpResponse& res) const {
  Params p(req, {"limit", "cursor"});
  const std::optional<std::string> mine =
      who->scope == Scope::kDepartment ? std::optional(who->department.value) : std::nullopt;
  if (who->scope == Scope::kStreet)
    throw HttpError{403, who->describe() +
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
  int64_t at = 0, scanned = 0;
  const std::vector<LogEntry> entries = dead_letter_page(mine, from, limit, &at, &scanned);
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
  // Facts accepted that wait for the registration of their community or company (DOMAIN.md),
  // with their age: not dead letters, but what a sender looks for here.
  json waiting = json::array();
  for (json& w : must(waiting_facts(store_, now_ms()))) {
    if (!mine || w.value("source", "") == *mine) waiting.push_back(std::move(w));
  }
  json out{{"items", items}, {"waiting", waiting}, {"next_cursor", nullptr}};
  if (entries.size() > static_cast<size_t>(limit)) {
    out["next_cursor"] = std::to_string(entries[static_cast<size_t>(limit)].position.offset);
  } else if (scanned >= 100000) {
    out["next_cursor"] = std::to_string(at);
  }
  reply(res, out);
}

// ---- the route table ------------------------------------------------------------------------

// Who a resource answers: anyone (no token), readers (supervisors, auditors), or readers and
// departments (what concerns a department's own uploads).
enum class Access { kPublic, kReaders, kDepartmentsToo };

struct Route {
  const char* path;
  Access access;
  void (Resources::*handle)(const Principal*, const HttpRequest&, HttpResponse&) const;
};

constexpr Route kRoutes[] = {
    {"/healthz", Access::kPublic, &Resources::healthz},
    {"/readyz", Access::kPublic, &Resources::readyz},
    {"/metrics", Access::kPublic, &Resources::metrics},
    {"/v1/openapi.json", Access::kPublic, &Resources::openapi},
    {"/v1/me", Access::kDepartmentsToo, &Resources::me},
    {"/v1/templates", Access::kDepartmentsToo, &Resources::templates},
    {"/v1/templates/{type}", Access::kDepartmentsToo, &Resources::template_file},
    {"/v1/communities", Access::kReaders, &Resources::communities},
    {"/v1/communities/{id}", Access::kReaders, &Resources::community},
    {"/v1/revisions", Access::kReaders, &Resources::revisions_list},
    {"/v1/companies", Access::kReaders, &Resources::companies},
    {"/v1/awards", Access::kReaders, &Resources::awards},
    {"/v1/targets", Access::kReaders, &Resources::targets},
    {"/v1/cases", Access::kReaders, &Resources::cases},
    {"/v1/renovation", Access::kReaders, &Resources::renovation},
    {"/v1/compliance", Access::kReaders, &Resources::compliance},
    {"/v1/dead-letters", Access::kDepartmentsToo, &Resources::dead_letters},
};

// Who asks, when a resource needs a token: null (answered already) when none or not allowed.
const Principal* admitted(HttpServer& server, Access access, const HttpRequest& req,
                          HttpResponse& res) {
  const Principal* who = server.authenticate(req, res);
  if (who != nullptr && !who->reads() && access != Access::kDepartmentsToo) {
    problem(
        res, 403,
        who->describe() + " publishes facts; reading needs a supervisor's or an auditor's token");
    return nullptr;
  }
  return who;
}

}  // namespace

// Each route wrapped: authentication (unless public), problems for what a handler throws,
// metrics.
void QueryApi::install(HttpServer& server) {
  auto resources = std::make_shared<const Resources>(store_, config_, options_);
  HttpServer* srv = &server;
  Metrics* metrics = options_.metrics;
  for (const Route& r : kRoutes) {
    server.route(
        "GET", r.path, [resources, srv, metrics, r](const HttpRequest& req, HttpResponse& res) {
          const auto start = std::chrono::steady_clock::now();
          const Principal* who =
              r.access == Access::kPublic ? nullptr : admitted(*srv, r.access, req, res);
          if (r.access == Access::kPublic || who != nullptr) {
            try {
              ((*resources).*r.handle)(who, req, res);
            } catch (const HttpError& e) {
              problem(res, e.status, e.detail, e.extra);
            } catch (const json::exception& e) {
              problem(res, 500, std::string("a stored projection could not be read: ") + e.what());
            }
          }
          if (metrics != nullptr) {
            metrics->request(
                r.path, req.method, res.status,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
          }
        });
  }
}

}  // namespace jiayuan
