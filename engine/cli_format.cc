#include "engine/cli_format.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>

namespace jiayuan {

using nlohmann::json;

namespace {

// A value that may be null (no denominator: nothing rated), for a table cell.
std::string or_dash(const json& j) {
  return j.is_string() ? j.get<std::string>() : std::string("—");
}

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

void format_rating(std::ostringstream& os, const json& r) {
  const json& x = r.at("explanation");
  os << "\n"
     << r.at("year").get<int>() << ": " << r.at("grade_zh").get<std::string>() << " ("
     << r.at("grade").get<std::string>() << ")";
  if (x.contains("final_score")) os << "   final score " << x.at("final_score").get<std::string>();
  const json& th = x.at("thresholds");
  os << "\n  fee tier " << x.at("tier").get<std::string>()
     << (x.at("tier_unnamed").get<bool>()
             ? " (fee ≥ boundary but scattered: not named by the policy)"
             : "")
     << ", thresholds 示范 ≥ " << th.at("exemplary").get<std::string>() << ", 规范 ≥ "
     << th.at("standard").get<std::string>() << ", 达标 ≥ " << th.at("passing").get<std::string>()
     << "\n";
  if (x.contains("service_score")) {
    os << "  service score " << x.at("service_score").get<std::string>() << " = Σ weight × mean ÷ "
       << x.at("weight_divisor").get<int>() << ", rounded half up:\n";
    for (const json& s : x.at("scores")) {
      os << "    " << pad(s.at("name").get<std::string>(), 18) << " weight "
         << s.at("weight").get<int>() << "  n=" << s.at("count").get<int>() << "  mean "
         << s.at("mean").get<std::string>() << "\n";
    }
  } else {
    os << "  no service score: no inspection in the year\n";
  }
  if (x.at("deductions").empty()) {
    os << "  deductions: none\n";
  } else {
    os << "  deductions (total " << x.at("deductions_total").get<std::string>() << "):\n";
    for (const json& d : x.at("deductions")) {
      os << "    " << pad(d.at("kind").get<std::string>(), 24) << d.at("count").get<int>() << " × "
         << d.at("per_item").get<std::string>() << " (cap " << d.at("cap").get<std::string>()
         << ") = " << d.at("amount").get<std::string>() << "\n";
    }
  }
  if (x.at("vetoes").empty()) {
    os << "  vetoes: none\n";
  } else {
    for (const json& v : x.at("vetoes")) os << "  veto: " << v.get<std::string>() << "\n";
  }
  os << "  rule set " << x.at("rule_set").at("id").get<std::string>() << " (sha256 "
     << x.at("rule_set").at("hash").get<std::string>().substr(0, 12) << "…)\n";
  if (r.contains("proposal")) {
    os << "  street proposal: " << r.at("proposal").get<std::string>()
       << (r.value("proposal_flagged", false) ? "  (FLAGGED: more than one grade from the grade)"
                                              : "")
       << "\n";
  }
  const json& sum = r.at("summary");
  if (!sum.at("company").get<std::string>().empty()) {
    os << "  serving on the rating date: " << sum.at("company").get<std::string>() << ", manager "
       << sum.at("manager").get<std::string>() << "\n";
  }
  if (r.contains("published_on"))
    os << "  published " << r.at("published_on").get<std::string>() << "\n";
  os << "  decided at the review of " << r.at("decided_on").get<std::string>() << "\n";
  if (x.contains("after_review")) {
    for (const json& a : x.at("after_review"))
      os << "  after the review (changes nothing): " << a.get<std::string>() << "\n";
  }
}

void format_case(std::ostringstream& os, const json& c) {
  os << "\nfailing case " << c.at("year").get<int>() << ": " << c.value("status", "?");
  if (c.contains("reason")) os << " (" << c.at("reason").get<std::string>() << ")";
  os << "\n";
  for (const json& s : c.at("steps")) {
    os << "  " << s.at("on").get<std::string>() << "  " << pad(s.at("step").get<std::string>(), 24);
    if (s.contains("due")) os << " due " << s.at("due").get<std::string>();
    if (s.contains("department")) os << " " << s.at("department").get<std::string>();
    os << "\n";
  }
}

}  // namespace

std::string format_community(const json& v) {
  std::ostringstream os;
  os << v.at("community").get<std::string>();
  if (v.contains("name")) {
    os << " " << v.at("name").get<std::string>() << "  (" << v.at("street_name").get<std::string>()
       << ", " << v.at("street").get<std::string>() << ")\n";
    os << "  " << v.at("households").get<int>() << " households, fee "
       << v.at("fee").get<std::string>() << " yuan/m²/month, "
       << v.at("enclosure").get<std::string>() << ", " << v.at("category").get<std::string>()
       << ", registered " << v.at("since").get<std::string>() << "\n";
  } else {
    os << "\n";
  }
  if (v.at("ratings").empty()) os << "\nno rating yet: the bureau has not closed a review for it\n";
  for (const json& r : v.at("ratings")) {
    if (r.contains("explanation")) format_rating(os, r);
  }
  for (const json& c : v.at("cases")) format_case(os, c);
  if (v.contains("revisions")) {
    os << "\nrevisions (what changed after it was first decided, in the order it was learnt):\n";
    os << (v.at("revisions").empty() ? std::string("  none\n")
                                     : format_revisions(v.at("revisions")));
  }
  return os.str();
}

namespace {

std::string outcome_text(const json& o) {
  if (!o.is_object()) return "none";
  if (o.contains("status"))
    return o.at("status").get<std::string>().empty() ? "no case"
                                                     : o.at("status").get<std::string>();
  std::string t =
      o.contains("grade_zh") ? o.at("grade_zh").get<std::string>() : std::string("unrated");
  if (o.contains("final_score") && o.at("final_score").is_string())
    t += " " + o.at("final_score").get<std::string>();
  t += o.contains("published_on") ? ", published " + o.at("published_on").get<std::string>()
                                  : ", unpublished";
  return t;
}

}  // namespace

std::string format_revisions(const json& list) {
  std::ostringstream os;
  for (const json& r : list) {
    os << "  " << r.at("log_date").get<std::string>() << "  "
       << r.at("community").get<std::string>() << " " << r.at("year").get<int>() << "  "
       << r.at("kind").get<std::string>() << ": " << outcome_text(r.at("before")) << " → "
       << outcome_text(r.at("after")) << "  (by " << r.at("cause").at("source").get<std::string>()
       << "/" << r.at("cause").at("id").get<std::string>() << ")"
       << (r.at("after_publication").get<bool>() ? "  REVISED AFTER PUBLICATION" : "") << "\n";
  }
  return os.str();
}

std::string format_summary(const json& s, const RuleSet* rules) {
  std::ostringstream os;
  const int year = s.at("year").get<int>();
  os << "Grades " << year << " per street (shares are of rated communities; unrated excluded)\n";
  char line[256];
  // CJK headers are wider than they print; keep the columns by using ASCII headers.
  std::snprintf(line, sizeof line, "%-14s %9s %9s %9s %9s %8s %6s %9s %8s %8s  %s\n", "street",
                "exemplary", "standard", "passing", "failing", "unrated", "rated", "pass+ %",
                "exem %", "stan %", "name");
  os << line;
  auto row = [&](const json& t) {
    std::snprintf(line, sizeof line, "%-14s %9d %9d %9d %9d %8d %6d %9s %8s %8s  %s\n",
                  t.at("street").get<std::string>().c_str(), t.at("exemplary").get<int>(),
                  t.at("standard").get<int>(), t.at("passing").get<int>(),
                  t.at("failing").get<int>(), t.at("unrated").get<int>(), t.at("rated").get<int>(),
                  or_dash(t.at("share_passing_or_better")).c_str(),
                  or_dash(t.at("share_exemplary")).c_str(), or_dash(t.at("share_standard")).c_str(),
                  t.at("street_name").get<std::string>().c_str());
    os << line;
  };
  for (const json& t : s.at("streets")) row(t);
  row(s.at("district"));
  if (rules != nullptr) {
    for (const YearTargets& t : rules->targets) {
      if (t.year != year) continue;
      os << "targets " << year << " (policy): 达标及以上 ≥ " << t.passing_or_better.to_string()
         << "%, 示范 ≥ " << t.exemplary.to_string() << "%, 规范 ≥ " << t.standard.to_string()
         << "%\n";
    }
  }
  return os.str();
}

namespace {

// The year's targets: the shares, met or missed, district-wide then per street.
std::string format_targets(const json& v) {
  std::ostringstream os;
  char line[256];
  if (v.contains("targets")) {
    const json& t = v["targets"];
    os << "targets: 达标及以上 ≥ " << t["passing_or_better"].get<std::string>() << "%, 示范 ≥ "
       << t["exemplary"].get<std::string>() << "%, 规范 ≥ " << t["standard"].get<std::string>()
       << "%\n";
  }
  auto target_row = [&](const std::string& name, const json& t) {
    auto mark = [](bool met) { return met ? "met" : "MISSED"; };
    std::snprintf(line, sizeof line,
                  "  %-12s rated %4d  达标+ %6s%% %-6s  示范 %6s%% %-6s  规范 %6s%% %-6s\n",
                  name.c_str(), t["rated"].get<int>(),
                  or_dash(t["share_passing_or_better"]).c_str(), mark(t["met_passing_or_better"]),
                  or_dash(t["share_exemplary"]).c_str(), mark(t["met_exemplary"]),
                  or_dash(t["share_standard"]).c_str(), mark(t["met_standard"]));
    os << line;
  };
  target_row("district", v["district"]);
  for (const json& s : v["streets"]) target_row(s["street"].get<std::string>(), s);
  return os.str();
}

std::string format_awards(const json& v) {
  std::ostringstream os;
  char line[256];
  os << "Awards " << v["year"].get<int>() << " (rating date " << v["rating_date"].get<std::string>()
     << ", " << v["registered_communities"].get<int>() << " communities registered, quota "
     << v["award_quota"].get<int>() << ")\n\n十佳物业服务企业 top ten companies:\n";
  if (v["top_ten"].empty()) os << "  none eligible (needs ≥ 1 示范 and no 不达标 project)\n";
  for (const json& c : v["top_ten"]) {
    std::snprintf(line, sizeof line, "  %2d. %-16s composite %6s  mean score %6s  projects %d",
                  c["rank"].get<int>(), c["company"].get<std::string>().c_str(),
                  or_dash(c["composite"]).c_str(), or_dash(c["mean_final_score"]).c_str(),
                  c["rated_projects"].get<int>());
    os << line;
    if (c.contains("company_name") && c["company_name"].is_string())
      os << "  " << c["company_name"].get<std::string>();
    os << "\n";
  }
  os << "\n优秀示范住宅小区 excellent communities:\n";
  if (v["excellent_communities"].empty()) os << "  none\n";
  for (const json& c : v["excellent_communities"]) {
    os << "  " << c["community"].get<std::string>();
    if (c.contains("community_name") && c["community_name"].is_string())
      os << " " << c["community_name"].get<std::string>();
    os << "  " << c["final_score"].get<std::string>() << "  (" << c["street"].get<std::string>();
    if (c.contains("company_name") && c["company_name"].is_string())
      os << ", " << c["company_name"].get<std::string>();
    os << ")\n";
  }
  os << "\n优秀项目经理 excellent project managers:\n";
  if (v["excellent_managers"].empty()) os << "  none\n";
  for (const json& m : v["excellent_managers"]) {
    os << "  " << m["manager"].get<std::string>();
    if (m.contains("manager_name") && m["manager_name"].is_string())
      os << " " << m["manager_name"].get<std::string>();
    os << "  mean " << m["mean_final_score"].get<std::string>() << " over "
       << m["rated_communities"].get<int>() << " rated\n";
  }
  os << "\n" << format_targets(v);
  return os.str();
}

std::string format_cases(const json& v) {
  std::ostringstream os;
  os << "Failing cases as of " << v["as_of"].get<std::string>() << "\n";
  if (v["items"].empty()) os << "  none open\n";
  for (const json& c : v["items"]) {
    os << "  " << c["community"].get<std::string>();
    if (c.contains("community_name") && c["community_name"].is_string())
      os << " " << c["community_name"].get<std::string>();
    os << " " << c["year"].get<int>() << "  " << c.value("status", "?");
    if (c.contains("reason")) os << " (" << c["reason"].get<std::string>() << ")";
    os << "\n";
    for (const json& o : c["open"]) {
      os << "      open: " << o["what"].get<std::string>() << " due " << o["due"].get<std::string>()
         << ", " << o["days_overdue"].get<int>() << " days overdue\n";
    }
  }
  return os.str();
}

}  // namespace

namespace {

// Columns on a terminal: East Asian characters take two cells.
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(head.size());
  for (size_t i = 0; i < head.size(); ++i) width[i] = display_width(head[i]);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      os << cells[i];
      if (i + 1 < cells.size()) os << std::string(width[i] - display_width(cells[i]) + 2, ' ');
    }
    os << "\n";
  };
  line(head);
  for (const auto& r : rows) line(r);
  return os.str();
}

std::string text(const json& j) {
  if (j.is_null()) return "-";
  return j.is_string() ? j.get<std::string>() : j.dump();
}

}  // namespace

std::string format_view(const std::string& what, const json& v) {
  if (what == "awards") return format_awards(v);
  if (what == "cases") return format_cases(v);
  if (what == "targets") return "Targets " + text(v["year"]) + "\n" + format_targets(v);
  std::vector<std::vector<std::string>> rows;
  if (what == "communities") {
    for (const json& c : v.at("items")) {
      rows.push_back({text(c["community"]), text(c["name"]), text(c["street_name"]),
                      text(c["category"]), text(c["tier"]), text(c["final_score"]),
                      text(c["grade_zh"])});
    }
    return table({"id", "name", "street", "category", "tier", "score", "grade"}, rows) +
           std::to_string(rows.size()) + " communities\n";
  }
  if (what == "companies") {
    for (const json& c : v.at("companies")) {
      const json& m = c["grade_mix"];
      rows.push_back({c["rank"].get<int>() > 0 ? std::to_string(c["rank"].get<int>()) : "-",
                      text(c["company"]), text(c.value("company_name", json())),
                      text(c["projects"]),
                      text(m["exemplary"]) + "/" + text(m["standard"]) + "/" + text(m["passing"]) +
                          "/" + text(m["failing"]),
                      text(c["credit_points"]), text(c["composite"]),
                      c["eligible"].get<bool>() ? "yes" : "no"});
    }
    return table({"rank", "company", "name", "projects", "示范/规范/达标/不达标", "credit",
                  "composite", "eligible"},
                 rows);
  }
  if (what == "renovation") {
    for (const json& c : v.at("items")) {
      std::string items;
      for (const json& i : c["items"]) items += (items.empty() ? "" : ", ") + i.get<std::string>();
      rows.push_back({text(c["community"]), text(c["count"]), items});
    }
    return "renovation priority " + text(v["year"]) + " (completions " + text(v["window"]["from"]) +
           " to " + text(v["window"]["to"]) + ")\n" + table({"community", "items", "which"}, rows);
  }
  if (what == "compliance") {
    auto row = [&](const std::string& who, const json& l) {
      rows.push_back({who, text(l["eligible_committees"]), text(l["with_party_branch"]),
                      text(l["party_branch_share"]) + "%",
                      l["party_branch_met"].get<bool>() ? "met" : "missed",
                      text(l["waste_inspections"]), text(l["waste_share"]) + "%",
                      l["waste_met"].get<bool>() ? "met" : "missed"});
    };
    row("district", v["district"]);
    for (const json& s : v["streets"]) row(text(s["street"]), s);
    return "party building target " + text(v["targets"]["party_branch"]) +
           "%, waste sorting target " + text(v["targets"]["waste_sorting"]) + "%\n" +
           table({"", "committees", "with branch", "share", "", "waste insp.", "compliant", ""},
                 rows);
  }
  return v.dump(2) + "\n";
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressBar::update(int64_t done, int64_t total) {
  done_ = done;
  total_ = total;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000)))
    return;
  last_ = now;
  draw(false);
}

void ProgressBar::finish() { draw(true); }

void ProgressBar::draw(bool final) {
  const double share = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  char line[200];
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(share * kWidth);
  std::snprintf(line, sizeof line, "%s [%s%s] %5.1f%% %lld/%lld records, %.0f/s, %.1f s",
                label_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), share * 100.0,
                static_cast<long long>(done_), static_cast<long long>(total_), rate, seconds);
  if (tty_) {
    std::cerr << "\r" << line << (final ? "\n" : "") << std::flush;
  } else {
    std::cerr << line << "\n" << std::flush;
  }
}

}  // namespace jiayuan
