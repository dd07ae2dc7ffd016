// jiayuan query: supervisors' questions answered from the projections (now, --as-of a date,
// --as-known an instant), printed as tables or JSON, or saved as CSV / .xlsx.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "connectors/lists.h"
#include "connectors/table_export.h"
#include "engine/cli_format.h"
#include "engine/district_stage.h"
#include "engine/intake.h"
#include "projections/queries.h"

namespace jiayuan::cli {
namespace {

// ---- query -------------------------------------------------------------------------------
// The projections now, or as of --as-of D (what the log held on that date).
Result<std::optional<Date>> as_of_date(const std::string& text) {
  if (text.empty()) return std::optional<Date>();
  auto d = Date::parse(text);
  if (!d) return fail("bad_argument", "--as-of: expected a date YYYY-MM-DD, got \"" + text + "\"");
  return std::optional<Date>(*d);
}

ProjectionView view_of(const Store& store, const std::optional<Date>& as_of) {
  return as_of ? ProjectionView(store, *as_of) : ProjectionView(store);
}

int cmd_query_community(const Globals& g, const std::string& id, const std::string& as_of_text,
                        bool as_json, bool with_revisions) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  auto v = community_view(view_of(*o->store, *as_of), CommunityId(id));
  if (!v) return report(v.error());
  if (!*v) {
    return report(
        Error{"not_found", "community " + id + " is not known to the projections" +
                               (*as_of ? " as of " + (*as_of)->to_string() : std::string()) +
                               " (is it registered, and has `jiayuan run` folded the log?)"});
  }
  if (with_revisions) {
    RevisionFilter filter;
    filter.community = id;
    auto r = revisions(view_of(*o->store, *as_of), filter);
    if (!r) return report(r.error());
    (**v)["revisions"] = std::move(*r);
  }
  std::cout << (as_json ? (**v).dump(2) + "\n" : format_community(**v));
  return 0;
}

int cmd_query_revisions(const Globals& g, RevisionFilter filter, const std::string& since,
                        const std::string& as_of_text, bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  if (!since.empty()) {
    filter.since = Date::parse(since);
    if (!filter.since)
      return report(
          Error{"bad_argument", "--since: expected a date YYYY-MM-DD, got \"" + since + "\""});
  }
  if (filter.street && !o->config.district.has_street(StreetId(*filter.street))) {
    return report(Error{
        "bad_argument",
        "--street: expected a street or town of district.toml, got \"" + *filter.street + "\""});
  }
  auto r = revisions(view_of(*o->store, *as_of), filter);
  if (!r) return report(r.error());
  if (as_json) {
    std::cout << nlohmann::json{{"revisions", *r}}.dump(2) << "\n";
  } else {
    std::cout << (r->empty() ? std::string("no revisions\n") : format_revisions(*r));
  }
  return 0;
}

int cmd_query_summary(const Globals& g, int year, const std::string& as_of_text, bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  auto s = street_summary(view_of(*o->store, *as_of), year);
  if (!s) return report(s.error());
  std::cout << (as_json ? s->dump(2) + "\n" : format_summary(*s, o->config.rules.for_year(year)));
  return 0;
}

int cmd_query_json(const Globals& g, const std::string& what, int year,
                   const std::string& as_of_text, bool all, bool as_json,
                   const CommunityFilter& filter = {},
                   const std::optional<std::string>& street = {}) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  const ProjectionView view = view_of(*o->store, *as_of);
  const RuleSet* rules = o->config.rules.for_year(year);
  if (rules == nullptr && what != "cases") {
    return report(Error{"bad_argument",
                        "--year " + std::to_string(year) + ": no rule set defines that year"});
  }
  if (street && !o->config.district.has_street(StreetId(*street))) {
    return report(
        Error{"bad_argument",
              "--street: expected a street or town of district.toml, got \"" + *street + "\""});
  }
  Result<nlohmann::json> r = nlohmann::json();
  if (what == "awards") r = district_view_at(view, o->config, year);
  if (what == "companies") r = company_standings_at(view, o->config, year);
  if (what == "targets" || what == "renovation" || what == "compliance" || what == "cases") {
    ListQuery q;
    q.year = year;
    q.street = street;
    q.cases_as_of = as_of->value_or(*today());
    q.all_cases = all;
    r = list_answer(view, o->config, *list_kind(what), q);
  }
  if (what == "communities") {
    CommunityFilter on_rating_date = filter;
    if (const YearWindow* w = rules->window(year)) on_rating_date.rating_date = w->to;
    auto items = community_list(view, year, on_rating_date);
    if (!items) return report(items.error());
    r = nlohmann::json{{"year", year}, {"items", *items}};
  }
  if (!r && r.error().code == "not_found") {
    return report(Error{"not_found", r.error().message + " (has `jiayuan run` folded the log?)"});
  }
  if (!r) return report(r.error());
  if (r->is_null()) {
    return report(Error{"not_found", "nothing rated for " + std::to_string(year) +
                                         " yet (has `jiayuan run` folded the log?)"});
  }
  std::cout << (as_json ? r->dump(2) + "\n" : format_view(what, *r));
  return 0;
}

// A list saved as a spreadsheet (--format csv|xlsx): the rows /v1/<list>?format= downloads.
struct DownloadArgs {
  std::string format;  // empty: print instead
  std::string out;     // the file (default: its download name here); "-": standard output
};

int cmd_query_download(const Globals& g, ListKind kind, ListQuery q, const std::string& as_of_text,
                       const DownloadArgs& d) {
  const auto format = download_format(d.format);
  if (!format)
    return report(
        Error{"bad_argument", "--format: expected csv or xlsx, got \"" + d.format + "\""});
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  if (q.street && !o->config.district.has_street(StreetId(*q.street))) {
    return report(
        Error{"bad_argument",
              "--street: expected a street or town of district.toml, got \"" + *q.street + "\""});
  }
  if (kind == ListKind::kCases) q.cases_as_of = as_of->value_or(*today());
  auto answer = list_answer(view_of(*o->store, *as_of), o->config, kind, q);
  if (!answer) return report(answer.error());
  const nlohmann::json rows = download_rows(kind, *answer, q);
  auto bytes = download_bytes(kind, *format, rows);
  if (!bytes) return report(bytes.error());
  if (d.out == "-") {
    std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    return std::cout ? 0 : report(Error{"io", "standard output: write failed"});
  }
  // Written beside, then renamed: a reader never opens half a file.
  const std::string path = d.out.empty() ? download_file_name(kind, q, *format) : d.out;
  const std::string tmp = path + ".part";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!file.flush()) {
      std::remove(tmp.c_str());
      return report(Error{"io", path + ": cannot write here (" + std::strerror(errno) + ")"});
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return report(Error{"io", path + ": cannot write here (" + std::strerror(errno) + ")"});
  }
  std::cout << "wrote " << path << ": " << rows.size() << (rows.size() == 1 ? " row" : " rows")
            << " of " << download_sheet(kind) << " (" << list_name(kind) << ")\n";
  return 0;
}

// Everything the query subcommands' options fill in.
struct QueryArgs {
  std::string as_of;
  bool as_json = false;
  std::string community;
  bool with_revisions = false;
  RevisionFilter revision_filter;
  std::string revisions_since;
  int revision_year = 0;
  int year = 0;
  bool all_cases = false;
  DownloadArgs download;
  std::optional<std::string> list_street;
  CommunityFilter filter;
};

// One of the lists (communities, cases, awards, companies, targets, renovation, compliance):
// printed, or saved with --format.
int query_list(const Globals& g, const std::string& name, const QueryArgs& a) {
  if (!a.download.format.empty()) {
    ListQuery lq;
    lq.year = a.year;
    lq.street = name == "communities" ? a.filter.street : a.list_street;
    lq.communities = a.filter;
    lq.all_cases = a.all_cases;
    return cmd_query_download(g, *list_kind(name), lq, a.as_of, a.download);
  }
  if (!a.download.out.empty())
    return report(Error{"bad_argument",
                        "-o/--output: names the file of --format csv|xlsx; give --format too"});
  if (name != "communities")
    return cmd_query_json(g, name, a.year, a.as_of, a.all_cases, a.as_json, {}, a.list_street);
  if (a.filter.street && !a.filter.street->empty()) {
    auto cfg = load(g);
    if (cfg && !cfg->district.has_street(StreetId(*a.filter.street))) {
      return report(Error{"bad_argument", "--street: expected a street of district.toml, got \"" +
                                              *a.filter.street + "\""});
    }
  }
  return cmd_query_json(g, "communities", a.year, a.as_of, false, a.as_json, a.filter);
}

void downloadable(CLI::App* q, QueryArgs& a) {
  q->add_option("--format", a.download.format,
                "save the list as a spreadsheet instead of printing it: csv "
                "(UTF-8 with BOM, as Excel opens it) or xlsx, Chinese headers")
      ->check(CLI::IsMember({"csv", "xlsx"}));
  q->add_option("-o,--output", a.download.out,
                "with --format: the file (default: its download name, e.g. "
                "communities-2023.xlsx, here; - for standard output)");
}

void add_particulars(CLI::App* query, const Globals& g, int& exit_code,
                     const std::shared_ptr<QueryArgs>& a) {
  auto* q_comm = query->add_subcommand("community", "a community's particulars, grade and why");
  q_comm->add_option("id", a->community, "community id, e.g. SJ00001")->required();
  q_comm->add_flag("--json", a->as_json, "print JSON");
  q_comm->add_flag(
      "--revisions", a->with_revisions,
      "also what changed after it was first decided (in the order it was learnt: unlike the rest, "
      "this depends on arrival order)");
  q_comm->callback([&g, &exit_code, a] {
    exit_code = cmd_query_community(g, a->community, a->as_of, a->as_json, a->with_revisions);
  });
  auto* q_rev =
      query->add_subcommand("revisions",
                            "outcomes changed after they were first decided: when, by which "
                            "fact, from what to what, whether after publication");
  q_rev->add_option("--year", a->revision_year, "evaluation year (default: every year)");
  q_rev->add_option("--street", a->revision_filter.street, "a street id, e.g. yueyang");
  q_rev->add_option("--since", a->revisions_since, "only those dated on or after this date");
  q_rev->add_flag("--json", a->as_json, "print JSON");
  q_rev->callback([&g, &exit_code, a] {
    if (a->revision_year != 0) a->revision_filter.year = a->revision_year;
    exit_code =
        cmd_query_revisions(g, a->revision_filter, a->revisions_since, a->as_of, a->as_json);
  });
  auto* q_sum =
      query->add_subcommand("summary", "the year's grade mix per street and district-wide");
  q_sum->add_option("--year", a->year, "evaluation year")->required();
  q_sum->add_flag("--json", a->as_json, "print JSON");
  q_sum->callback(
      [&g, &exit_code, a] { exit_code = cmd_query_summary(g, a->year, a->as_of, a->as_json); });
}

void add_lists(CLI::App* query, const Globals& g, int& exit_code,
               const std::shared_ptr<QueryArgs>& a) {
  auto list = [&g, &exit_code, a](CLI::App* q, const std::string& name) {
    downloadable(q, *a);
    q->callback([&g, &exit_code, a, name] { exit_code = query_list(g, name, *a); });
  };
  for (const auto& [name, help] : std::vector<std::pair<std::string, std::string>>{
           {"awards", "the year's top ten, excellent communities and managers, targets per street"},
           {"companies", "company standings: projects, grade mix, composite factors, rank"},
           {"targets",
            "the year's targets per street and district-wide: shares of each grade, met or missed"},
           {"renovation", "renovation priority list (旧住房修缮)"},
           {"compliance", "party-branch and waste-sorting compliance"}}) {
    auto* q = query->add_subcommand(name, help);
    q->add_option("--year", a->year, "evaluation year")->required();
    if (name == "targets" || name == "renovation" || name == "compliance") {
      q->add_option("--street", a->list_street, "only this street's lines, e.g. yueyang");
    }
    q->add_flag("--json", a->as_json, "print JSON");
    list(q, name);
  }
  auto* q_list = query->add_subcommand(
      "communities", "communities with their grade: filter by street, tier, category, grade");
  q_list->add_option("--year", a->year, "evaluation year")->required();
  q_list->add_option("--street", a->filter.street, "a street id, e.g. yueyang");
  q_list->add_option("--tier", a->filter.tier, "T1, T2 or T3")
      ->check(CLI::IsMember({"T1", "T2", "T3"}));
  q_list
      ->add_option("--category", a->filter.category,
                   "commodity, mixed, relocation, affordable, scattered_public")
      ->check(
          CLI::IsMember({"commodity", "mixed", "relocation", "affordable", "scattered_public"}));
  q_list->add_option("--grade", a->filter.grade, "exemplary, standard, passing, failing or unrated")
      ->check(CLI::IsMember({"exemplary", "standard", "passing", "failing", "unrated"}));
  q_list->add_flag("--json", a->as_json, "print JSON");
  list(q_list, "communities");
  auto* q_cases = query->add_subcommand(
      "cases", "failing cases: open interviews, rectifications, sanctions, days overdue");
  q_cases->add_option(
      "--as-of", a->as_of,
      "as of this date: the cases then, days overdue counted to it (default: today)");
  q_cases->add_flag("--all", a->all_cases, "closed cases too");
  q_cases->add_option("--year", a->year, "only that evaluation year's cases");
  q_cases->add_option("--street", a->list_street, "only this street's cases");
  q_cases->add_flag("--json", a->as_json, "print JSON");
  list(q_cases, "cases");
}

}  // namespace

void add_query_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto a = std::make_shared<QueryArgs>();
  auto* query = app.add_subcommand("query", "answer supervisors' questions from the projections");
  query->require_subcommand(1);
  query->add_option("--as-of", a->as_of,
                    "answer as of a past date: what the log held then (cases: also the date "
                    "days overdue count to; default today)");
  query->add_option("--as-known", g.as_known,
                    "answer as known at an instant (e.g. 2024-01-15T18:00:00+08:00): from "
                    "the facts accepted by then; with --as-of, both");
  add_particulars(query, g, exit_code, a);
  add_lists(query, g, exit_code, a);
}

}  // namespace jiayuan::cli
