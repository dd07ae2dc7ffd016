// Text rendering of query answers for the terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"

namespace jiayuan {

std::string format_community(const nlohmann::json& view);
// Revisions (projections/queries.h `revisions`), one per line, oldest first.
std::string format_revisions(const nlohmann::json& list);
std::string format_summary(const nlohmann::json& summary, const RuleSet* rules);
// awards, companies, cases, renovation, compliance
std::string format_view(const std::string& what, const nlohmann::json& view);

// A progress bar on standard error: redrawn in place on a terminal (at most 10 times a
// second), one line every 5 seconds otherwise (logs, CI).
//
//   ProgressBar bar("rebuild");
//   bar.update(done, total);   // as often as you like
//   bar.finish();              // the final figures and a newline
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void update(int64_t done, int64_t total);
  void finish();

 private:
  void draw(bool final);
  std::string label_;
  bool tty_;
  int64_t done_ = 0;
  int64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace jiayuan
