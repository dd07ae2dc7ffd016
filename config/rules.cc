#include "config/rules.h"

#include <algorithm>

#include "config/toml_reader.h"
#include "events/sha256.h"

namespace jiayuan {
namespace {

using internal::TomlReader;

const Centi kZero = Centi::whole(0);
const Centi kHundred = Centi::whole(100);

Result<DeductionRule> read_deduction(const TomlReader& d, const char* key) {
  JY_TRY(TomlReader t, d.table(key));
  DeductionRule r;
  JY_TRY(r.per_item, t.number("per_item", kZero, kHundred));
  JY_TRY(r.cap, t.number("cap", kZero, kHundred));
  return r;
}

Result<Thresholds> read_thresholds(const TomlReader& tiers, const char* key) {
  JY_TRY(TomlReader t, tiers.table(key));
  Thresholds th;
  JY_TRY(th.exemplary, t.number("exemplary", kZero, kHundred));
  JY_TRY(th.standard, t.number("standard", kZero, kHundred));
  JY_TRY(th.passing, t.number("passing", kZero, kHundred));
  if (!(th.passing <= th.standard && th.standard <= th.exemplary)) {
    return fail(t.error("", "passing ≤ standard ≤ exemplary",
                        th.passing.to_string() + " / " + th.standard.to_string() + " / " +
                            th.exemplary.to_string()));
  }
  return th;
}

Status read_years(const TomlReader& r, RuleSet& rs) {
  JY_TRY(std::vector<TomlReader> years, r.tables("years"));
  if (years.empty()) return fail(r.error("years", "at least one [[years]] table", "none"));
  for (const TomlReader& y : years) {
    YearWindow w;
    JY_TRY(int64_t year, y.integer("year", 2000, 2100));
    w.year = static_cast<int32_t>(year);
    JY_TRY(w.from, y.date("from"));
    JY_TRY(w.to, y.date("to"));
    if (w.to < w.from) return fail(y.error("to", "a date on or after from", w.to.to_string()));
    if (w.from < rs.from || rs.to < w.to) {
      return fail(y.error(
          "from",
          "a window inside the rule set's period " + rs.from.to_string() + ".." + rs.to.to_string(),
          w.from.to_string() + ".." + w.to.to_string()));
    }
    for (const YearWindow& other : rs.years) {
      if (other.year == w.year || !(w.to < other.from || other.to < w.from)) {
        return fail(y.error("year", "a year whose window overlaps no other",
                            std::to_string(w.year) + " overlaps " + std::to_string(other.year)));
      }
    }
    rs.years.push_back(w);
  }
  std::sort(rs.years.begin(), rs.years.end(),
            [](const YearWindow& a, const YearWindow& b) { return a.from < b.from; });
  return {};
}

Status read_score(const TomlReader& r, RuleSet& rs) {
  JY_TRY(TomlReader score, r.table("score"));
  JY_TRY(int64_t min_insp, score.integer("minimum_inspections", 0, 1000));
  rs.minimum_inspections = static_cast<int32_t>(min_insp);
  JY_TRY(TomlReader w, score.table("weights"));
  int64_t sum = 0;
  for (size_t i = 0; i < kDimensionCount; ++i) {
    JY_TRY(int64_t v, w.integer(kDimensionNames[i].data(), 0, 100));
    rs.dimension_weights[i] = static_cast<int32_t>(v);
    sum += v;
  }
  JY_TRY(int64_t sat, w.integer("satisfaction", 0, 100));
  rs.satisfaction_weight = static_cast<int32_t>(sat);
  if (sum == 0) return fail(w.error("", "dimension weights summing to more than 0", "0"));
  return {};
}

Status read_tiers(const TomlReader& r, RuleSet& rs) {
  JY_TRY(TomlReader tiers, r.table("tiers"));
  JY_TRY(rs.fee_boundary, tiers.number("fee_boundary", kZero, Centi::whole(1000)));
  JY_TRY(rs.unnamed_tier, tiers.string("unnamed_combination"));
  for (const char* name : {"T1", "T2", "T3"}) {
    JY_TRY(Thresholds th, read_thresholds(tiers, name));
    rs.tiers[name] = th;
  }
  if (!rs.tiers.contains(rs.unnamed_tier)) {
    return fail(
        tiers.error("unnamed_combination", "one of T1, T2, T3", "\"" + rs.unnamed_tier + "\""));
  }
  return {};
}

Status read_deductions(const TomlReader& r, RuleSet& rs) {
  JY_TRY(TomlReader d, r.table("deductions"));
  JY_TRY(rs.hotline_substantiated, read_deduction(d, "hotline_substantiated"));
  JY_TRY(rs.hotline_late, read_deduction(d, "hotline_late"));
  JY_TRY(rs.petition_substantiated, read_deduction(d, "petition_substantiated"));
  JY_TRY(rs.credit_point, read_deduction(d, "credit_point"));
  JY_TRY(rs.spot_check_failed, read_deduction(d, "spot_check_failed"));
  JY_TRY(TomlReader f, d.table("finding"));
  JY_TRY(rs.finding.minor, f.number("minor", kZero, kHundred));
  JY_TRY(rs.finding.serious, f.number("serious", kZero, kHundred));
  JY_TRY(rs.finding.major, f.number("major", kZero, kHundred));
  JY_TRY(rs.finding.cap, f.number("cap", kZero, kHundred));
  return {};
}

Status read_targets(const TomlReader& r, RuleSet& rs) {
  JY_TRY(std::vector<TomlReader> targets, r.tables("targets"));
  for (const TomlReader& t : targets) {
    YearTargets y;
    JY_TRY(int64_t year, t.integer("year", 2000, 2100));
    y.year = static_cast<int32_t>(year);
    if (rs.window(y.year) == nullptr) {
      return fail(t.error("year", "a year defined under [[years]]", std::to_string(y.year)));
    }
    JY_TRY(y.passing_or_better, t.number("passing_or_better", kZero, kHundred));
    JY_TRY(y.exemplary, t.number("exemplary", kZero, kHundred));
    JY_TRY(y.standard, t.number("standard", kZero, kHundred));
    rs.targets.push_back(y);
  }
  JY_TRY(rs.standard_target_includes_exemplary,
         r.boolean("standard_target_includes_exemplary", false));
  return {};
}

Status read_lifecycle(const TomlReader& r, RuleSet& rs) {
  JY_TRY(TomlReader t, r.table("lifecycle"));
  auto days = [&](const char* key, int32_t& out) -> Status {
    JY_TRY(int64_t v, t.integer(key, 0, 3650));
    out = static_cast<int32_t>(v);
    return {};
  };
  JY_CHECK(days("interview_due_days", rs.lifecycle.interview_due_days));
  JY_CHECK(days("rectification_days", rs.lifecycle.rectification_days));
  JY_CHECK(days("obligation_days", rs.lifecycle.obligation_days));
  JY_TRY(int64_t months, t.integer("process_fact_months", 0, 120));
  rs.lifecycle.process_fact_months = static_cast<int32_t>(months);
  return {};
}

Status read_awards(const TomlReader& r, RuleSet& rs) {
  JY_TRY(TomlReader t, r.table("awards"));
  AwardRules& a = rs.awards;
  JY_TRY(a.excellent_share, t.number("excellent_share", kZero, kHundred));
  JY_TRY(int64_t top, t.integer("top_ten", 0, 1000));
  a.top_ten = static_cast<int32_t>(top);
  JY_TRY(TomlReader w, t.table("weights"));
  int64_t sum = 0;
  const char* names[] = {"results", "inspections", "hotline", "petitions", "media", "social"};
  for (size_t i = 0; i < 6; ++i) {
    JY_TRY(int64_t v, w.integer(names[i], 0, 100));
    a.weights[i] = static_cast<int32_t>(v);
    sum += v;
  }
  if (sum != 100) return fail(w.error("", "weights summing to 100", std::to_string(sum)));
  JY_TRY(a.media_base, t.number("media_base", kZero, Centi::whole(1)));
  JY_TRY(a.media_step, t.number("media_step", kZero, Centi::whole(1)));
  JY_TRY(int64_t records, t.integer("social_records_for_full", 1, 1000));
  a.social_records_for_full = static_cast<int32_t>(records);
  return {};
}

Status read_governance(const TomlReader& r, RuleSet& rs) {
  JY_TRY(TomlReader t, r.table("governance"));
  GovernanceRules& g = rs.governance;
  JY_TRY(int64_t years, t.integer("renovation_years", 1, 50));
  g.renovation_years = static_cast<int32_t>(years);
  JY_TRY(g.party_branch_target, t.number("party_branch_target", kZero, kHundred));
  JY_TRY(int64_t min_members, t.integer("party_branch_min_members", 0, 1000));
  g.party_branch_min_members = static_cast<int32_t>(min_members);
  JY_TRY(g.waste_sorting_target, t.number("waste_sorting_target", kZero, kHundred));
  return {};
}

}  // namespace

const YearTargets* RuleSet::targets_for(int32_t year) const {
  for (const YearTargets& t : targets) {
    if (t.year == year) return &t;
  }
  return nullptr;
}

const YearWindow* RuleSet::window(int32_t year) const {
  for (const YearWindow& w : years) {
    if (w.year == year) return &w;
  }
  return nullptr;
}

Result<RuleSet> parse_rule_set(const std::string& text, const std::string& path) {
  JY_TRY(toml::table doc, internal::parse_toml(text, path));
  TomlReader r(doc, path);
  RuleSet rs;
  rs.path = path;
  rs.hash = sha256_hex(text);
  JY_TRY(rs.id, r.string("id"));
  JY_TRY(rs.from, r.date("from"));
  JY_TRY(rs.to, r.date("to"));
  if (rs.to < rs.from) return fail(r.error("to", "a date on or after from", rs.to.to_string()));
  JY_CHECK(read_years(r, rs));
  JY_CHECK(read_score(r, rs));
  JY_CHECK(read_tiers(r, rs));
  JY_CHECK(read_deductions(r, rs));
  JY_CHECK(read_targets(r, rs));
  JY_CHECK(read_lifecycle(r, rs));
  JY_CHECK(read_awards(r, rs));
  JY_CHECK(read_governance(r, rs));
  return rs;
}

Result<RuleCatalog> load_rule_catalog(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail("bad_config", dir.string() + ": not a directory of rule sets (*.toml)");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return fail("bad_config", dir.string() + ": holds no rule set (*.toml)");
  std::vector<RuleSet> sets;
  for (const auto& f : files) {
    JY_TRY(std::string text, internal::read_file(f.string()));
    JY_TRY(RuleSet rs, parse_rule_set(text, f.string()));
    sets.push_back(std::move(rs));
  }
  std::sort(sets.begin(), sets.end(),
            [](const RuleSet& a, const RuleSet& b) { return a.from < b.from; });
  for (size_t i = 1; i < sets.size(); ++i) {
    const RuleSet& prev = sets[i - 1];
    const RuleSet& next = sets[i];
    if (prev.id == next.id) {
      return fail("bad_config",
                  next.path + ": id \"" + next.id + "\" is also used by " + prev.path);
    }
    if (!(prev.to < next.from)) {
      return fail("bad_config", next.path + ": period " + next.from.to_string() + ".." +
                                    next.to.to_string() + " overlaps " + prev.path + " (" +
                                    prev.from.to_string() + ".." + prev.to.to_string() + ")");
    }
    if (prev.to.plus_days(1) != next.from) {
      return fail("bad_config", next.path + ": period starts " + next.from.to_string() + " but " +
                                    prev.path + " ends " + prev.to.to_string() +
                                    ": the days between would have no rule set");
    }
  }
  return RuleCatalog(std::move(sets));
}

const RuleSet* RuleCatalog::in_force(Date d) const {
  for (const RuleSet& rs : sets_) {
    if (rs.from <= d && d <= rs.to) return &rs;
  }
  return nullptr;
}

std::optional<int32_t> RuleCatalog::year_of(Date d) const {
  for (const RuleSet& rs : sets_) {
    for (const YearWindow& w : rs.years) {
      if (w.from <= d && d <= w.to) return w.year;
    }
  }
  return std::nullopt;
}

const RuleSet* RuleCatalog::for_year(int32_t year) const {
  for (const RuleSet& rs : sets_) {
    if (rs.window(year) != nullptr) return &rs;
  }
  return nullptr;
}

}  // namespace jiayuan
