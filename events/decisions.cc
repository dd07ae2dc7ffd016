#include "events/decisions.h"

#include "events/binary_codec.h"
#include "events/sha256.h"

#include <cstdio>

namespace jiayuan {

std::string kind_of(const DecisionBody& body) {
  struct Visitor {
    std::string operator()(const CommunityRated&) const { return "community.rated"; }
    std::string operator()(const CommunityPublished&) const { return "community.published"; }
    std::string operator()(const CaseStep& s) const { return "case." + s.step; }
    std::string operator()(const CaseRevised&) const { return "case.revised"; }
  };
  return std::visit(Visitor{}, body);
}

std::string decision_hash(const Decision& decision) {
  Decision unhashed = decision;
  unhashed.hash.clear();
  return sha256_hex(encode_decision_binary(unhashed));
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
