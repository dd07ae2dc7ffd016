// Text rendering of query answers for the terminal.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace jiayuan {

std::string format_community(const nlohmann::json& view);
std::string format_summary(const nlohmann::json& summary, const RuleSet* rules);
// awards, companies, cases, renovation, compliance
std::string format_view(const std::string& what, const nlohmann::json& view);

}  // namespace jiayuan
