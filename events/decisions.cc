#include "events/decisions.h"

#include <cstdio>

#include "events/binary_codec.h"
#include "events/decision_json.h"
#include "events/sha256.h"

namespace jiayuan {

std::string kind_of(const DecisionBody& body) {
  struct Visitor {
    std::string operator()(const CommunityRated&) const { return "community.rated"; }
    std::string operator()(const CommunityPublished&) const { return "community.published"; }
    std::string operator()(const CaseStep& s) const {
      return "case." + std::string(to_string(s.step));
    }
    std::string operator()(const CaseRevised&) const { return "case.revised"; }
  };
  return std::visit(Visitor{}, body);
}

std::string_view to_string(CaseStepKind step) {
  const auto i = static_cast<size_t>(step);
  return i < kCaseStepNames.size() ? kCaseStepNames[i] : "?";
}

std::string_view to_string(EscalationReason reason) {
  const auto i = static_cast<size_t>(reason);
  return i < kEscalationReasonNames.size() ? kEscalationReasonNames[i] : "?";
}

std::optional<CaseStepKind> parse_case_step(std::string_view name) {
  for (size_t i = 0; i < kCaseStepNames.size(); ++i) {
    if (kCaseStepNames[i] == name) return static_cast<CaseStepKind>(i);
  }
  return std::nullopt;
}

std::optional<EscalationReason> parse_escalation_reason(std::string_view name) {
  for (size_t i = 0; i < kEscalationReasonNames.size(); ++i) {
    if (kEscalationReasonNames[i] == name) return static_cast<EscalationReason>(i);
  }
  return std::nullopt;
}

std::string decision_hash(const Decision& decision) {
  if (decision.format == 0 || decision.format >= kJsonHashedFormat)
    return sha256_hex(encode_decision_json(decision));  // leaves the hash out
  if (decision.hash.empty()) return sha256_hex(encode_decision_binary(decision));
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
  id.append(":")
      .append(community.value)
      .append(":")
      .append(std::to_string(year))
      .append(":")
      .append(hex);
  return id;
}

}  // namespace jiayuan
