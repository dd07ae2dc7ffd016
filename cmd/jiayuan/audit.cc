// jiayuan audit: a year recomputed from the log in a scratch store, the decisions' hash chains
// verified, recorded outcomes diffed against recomputed ones (or against a proposed rule set).
#include "engine/audit.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "connectors/embedded_log.h"
#include "engine/cli_format.h"

namespace jiayuan::cli {
namespace {

struct AuditArgs {
  int32_t year = 0;
  std::string rules;     // what-if rule set file
  std::string work_dir;  // parent of the scratch directories
  bool as_json = false;
  int64_t limit = 50;
};

// --rules FILE: the year under the rules in force and under the proposed ones; what would change.
int cmd_what_if(Opened& o, const ScratchDir& dir, const AuditArgs& a, AuditOptions opts) {
  std::ifstream in(a.rules, std::ios::binary);
  if (!in) return report(Error{"io", a.rules + ": cannot open the proposed rule set"});
  std::stringstream text;
  text << in.rdbuf();
  auto proposed = parse_rule_set(text.str(), a.rules);
  if (!proposed) return report(proposed.error());
  auto now_log = scratch_log(dir, "now-log", *o.log);
  auto new_log = scratch_log(dir, "proposed-log", *o.log);
  if (!now_log) return report(now_log.error());
  if (!new_log) return report(new_log.error());
  ProgressBar bar("what-if " + std::to_string(a.year) + " (rules in force, then proposed)");
  opts.progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); };
  auto w = what_if(*o.log, **now_log, dir.sub("now-store"), **new_log, dir.sub("proposed-store"),
                   o.config, *proposed, opts);
  bar.finish();
  if (!w) return report(w.error());
  const int done = w->changes.empty() ? kDone : kDoneWithRejections;  // as diff: 1 = differences
  if (a.as_json) {
    std::cout << what_if_json(*w, *proposed).dump(2) << "\n";
    return done;
  }
  std::cout << "what-if " << w->year << " with " << a.rules << " (" << proposed->id << ", "
            << proposed->hash.substr(0, 16) << "…): " << w->changes.size()
            << " outcome(s) would change\n";
  std::map<std::string, size_t> by_kind;
  for (const Change& c : w->changes) ++by_kind[c.what];
  for (const auto& [k, n] : by_kind) std::cout << "  " << k << ": " << n << "\n";
  for (const Change& c : w->changes) {
    std::cout << c.what << "\t" << c.key << "\t" << (c.from.empty() ? "(none)" : c.from) << " -> "
              << (c.to.empty() ? "(none)" : c.to) << "\n";
  }
  return done;
}

// The audit as a person reads it: digests, chains, the first `limit` differences.
void print_audit(const AuditReport& r, int64_t limit) {
  std::cout << "audit " << r.year << ": " << r.recorded << " decisions recorded, " << r.recomputed
            << " recomputed\n"
            << "digest recorded   " << r.recorded_digest << "\n"
            << "digest recomputed " << r.recomputed_digest << "\n";
  if (r.chain.empty()) {
    std::cout << "hash chains: intact\n";
  } else {
    std::cout << "hash chains: " << r.chain.size() << " problem(s)\n";
    for (const ChainProblem& p : r.chain)
      std::cout << "  " << p.where << "  " << p.decision << ": " << p.problem << "\n";
  }
  if (r.diffs.empty()) {
    std::cout << "decisions: identical\n";
    return;
  }
  std::cout << "decisions: " << r.diffs.size()
            << " difference(s)\ndecision\tfield\trecorded\trecomputed\n";
  int64_t shown = 0;
  for (const FieldDiff& d : r.diffs) {
    if (limit > 0 && shown++ == limit) {
      std::cout << "… " << r.diffs.size() - static_cast<size_t>(limit)
                << " more (--limit 0 shows all, --json lists them)\n";
      break;
    }
    std::cout << d.decision << "\t" << d.field << "\t" << d.recorded << "\t" << d.recomputed
              << "\n";
  }
}

int cmd_audit(const Globals& g, const AuditArgs& a) {
  auto o = open_all(g, false, Access::kRead);
  if (!o) return report(o.error());
  auto dir = ScratchDir::make(a.work_dir, "audit");
  if (!dir) return report(dir.error());
  AuditOptions opts;
  opts.year = a.year;
  opts.batch_size = static_cast<size_t>(o->config.engine.batch_size);
  if (!a.rules.empty()) return cmd_what_if(*o, **dir, a, opts);
  auto scratch = scratch_log(**dir, "log", *o->log);
  if (!scratch) return report(scratch.error());
  ProgressBar bar("audit " + std::to_string(a.year));
  opts.progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); };
  auto r = audit_year(*o->log, **scratch, (*dir)->sub("store"), o->config, opts);
  bar.finish();
  if (!r) return report(r.error());
  if (a.as_json) {
    std::cout << audit_json(*r).dump(2) << "\n";
  } else {
    print_audit(*r, a.limit);
  }
  return r->clean() ? 0 : 1;
}

}  // namespace

void add_audit_command(CLI::App& app, const Globals& g, int& exit_code) {
  auto a = std::make_shared<AuditArgs>();
  auto* audit =
      app.add_subcommand("audit",
                         "recompute a year from the log, verify the decisions' hash chains and "
                         "diff recorded against recomputed (exit 1 on any difference)");
  audit->add_option("--year", a->year, "evaluation year")->required();
  audit->add_option("--rules", a->rules,
                    "what-if: a proposed rule set (TOML) replacing the one in force "
                    "that year; lists every outcome that would change, writes nothing");
  audit->add_option("--work-dir", a->work_dir,
                    "where the scratch store and log go (default: the system temp directory)");
  audit->add_option("--limit", a->limit, "differences to print (0: all)")->capture_default_str();
  audit->add_flag("--json", a->as_json, "print JSON");
  audit->callback([&g, &exit_code, a] { exit_code = cmd_audit(g, *a); });
}

}  // namespace jiayuan::cli
