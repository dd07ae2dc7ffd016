#include "events/decisions.h"

#include <cstdio>

namespace jiayuan {

std::string_view to_string(Grade g) {
  switch (g) {
    case Grade::kFailing: return "failing";
    case Grade::kPassing: return "passing";
    case Grade::kStandard: return "standard";
    case Grade::kExemplary: return "exemplary";
    case Grade::kUnrated: return "unrated";
  }
  return "unknown";
}

std::string_view chinese_name(Grade g) {
  switch (g) {
    case Grade::kFailing: return "不达标";
    case Grade::kPassing: return "达标";
    case Grade::kStandard: return "规范";
    case Grade::kExemplary: return "示范";
    case Grade::kUnrated: return "未评定";
  }
  return "?";
}

std::string_view kind_of(const DecisionBody& body) {
  struct Visitor {
    std::string_view operator()(const CommunityRated&) const { return "community.rated"; }
  };
  return std::visit(Visitor{}, body);
}

uint64_t stable_hash64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string derive_decision_id(std::string_view kind, const CommunityId& community, int32_t year,
                               std::string_view cause_source, std::string_view cause_id) {
  std::string cause(cause_source);
  cause.push_back('\0');
  cause.append(cause_id);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(stable_hash64(cause)));
  std::string id(kind);
  id.append(":").append(community.value).append(":").append(std::to_string(year)).append(":").append(hex);
  return id;
}

}  // namespace jiayuan
