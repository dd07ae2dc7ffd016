// Internal: the one list of each fact's fields, in storage order, with their JSON names and
// ranges. The JSON codec and the binary codec both walk it, so the two forms cannot drift.
//
//   template <class V> void fields(V& v, Inspection& f) { v("community", f.community); ... }
//
// A field is only ever appended, with `since` = the schema version that added it; decoding an
// older version leaves it at its default (the upcast). Never reorder or remove a field.
#pragma once

#include <cstdint>

#include "events/facts.h"

namespace jiayuan::internal {

struct Spec {
  int64_t lo = 0;
  int64_t hi = 0;
  bool optional = false;
  int32_t since = 1;  // the schema version that added the field; older versions lack it
  // A patch field (from schema version 2 of its fact): absent when it does not change; `bit`
  // marks it present in the fact's `changed` field.
  int32_t patch_bit = 0;
  bool in_json = true;  // false: stored only (derived from the JSON form, never written in it)
};

inline constexpr Spec kScore{0, 10000};  // Centi 0..100
inline constexpr Spec kFee{0, 100000};   // Centi 0..1000
inline constexpr Spec kYear{2000, 2100};
inline constexpr Spec kCount{0, 1000000};
inline constexpr Spec kPoints{1, 100};
inline constexpr Spec kOptional{0, 0, true};

template <class V>
void fields(V& v, CommunityRegistered& f) {
  v("community", f.community);
  v("name", f.name);
  v("street", f.street);
  v("households", f.households, kCount);
  v("fee", f.fee, kFee);
  v("enclosure", f.enclosure);
  v("category", f.category);
}
// The registration's fields in its order (schema version 1's stored form), each but the
// community a patch field from version 2, then the bits of those present.
template <class V>
void fields(V& v, CommunityChanged& f) {
  v("community", f.community);
  v("name", f.name, Spec{0, 0, false, 1, kChangedName});
  v("street", f.street, Spec{0, 0, false, 1, kChangedStreet});
  v("households", f.households, Spec{kCount.lo, kCount.hi, false, 1, kChangedHouseholds});
  v("fee", f.fee, Spec{kFee.lo, kFee.hi, false, 1, kChangedFee});
  v("enclosure", f.enclosure, Spec{0, 0, false, 1, kChangedEnclosure});
  v("category", f.category, Spec{0, 0, false, 1, kChangedCategory});
  v("changed", f.changed, Spec{0, 63, false, 2, 0, false});
}
template <class V>
void fields(V& v, FeeAdjusted& f) {
  v("community", f.community);
  v("fee", f.fee, kFee);
}
template <class V>
void fields(V& v, ContractAssigned& f) {
  v("community", f.community);
  v("company", f.company);
  v("manager", f.manager);
  v("manager_name", f.manager_name, Spec{0, 0, true, 2});
}
template <class V>
void fields(V& v, CompanyRegistered& f) {
  v("company", f.company);
  v("name", f.name);
  v("credit_code", f.credit_code);
}
template <class V>
void fields(V& v, Inspection& f) {
  v("community", f.community);
  v("scores", f.scores, kScore);
}
template <class V>
void fields(V& v, SatisfactionSurvey& f) {
  v("community", f.community);
  v("satisfaction", f.satisfaction, kScore);
  v("respondents", f.respondents, Spec{0, 1000000, false, 2});
}
template <class V>
void fields(V& v, SpotCheck& f) {
  v("community", f.community);
  v("passed", f.passed);
}
template <class V>
void fields(V& v, HotlineComplaint& f) {
  v("community", f.community);
  v("substantiated", f.substantiated);
  v("on_time", f.on_time);
}
template <class V>
void fields(V& v, Petition& f) {
  v("community", f.community);
  v("substantiated", f.substantiated);
}
template <class V>
void fields(V& v, CreditPoints& f) {
  v("community", f.community);
  v("company", f.company);
  v("points", f.points, kPoints);
}
template <class V>
void fields(V& v, DepartmentFinding& f) {
  v("community", f.community);
  v("kind", f.kind);
  v("severity", f.severity);
}
template <class V>
void fields(V& v, SafetyIncident& f) {
  v("community", f.community);
  v("severity", f.severity);
}
template <class V>
void fields(V& v, MediaReport& f) {
  v("company", f.company, kOptional);
  v("community", f.community, kOptional);
  v("tone", f.tone);
}
template <class V>
void fields(V& v, SocialResponsibility& f) {
  v("company", f.company);
  v("description", f.description);
}
template <class V>
void fields(V& v, StreetProposal& f) {
  v("community", f.community);
  v("year", f.year, kYear);
  v("grade", f.grade);
}
template <class V>
void fields(V& v, DepartmentOpinion& f) {
  v("community", f.community);
  v("year", f.year, kYear);
  v("stance", f.stance);
  v("reason", f.reason, kOptional);
}
template <class V>
void fields(V& v, ReviewClosed& f) {
  v("community", f.community);
  v("year", f.year, kYear);
}
template <class V>
void fields(V& v, RatingsPublished& f) {
  v("community", f.community, kOptional);  // none: district-wide (every community reviewed by then)
  v("year", f.year, kYear);
}
template <class V>
void fields(V& v, InterviewHeld& f) {
  v("community", f.community);
  v("year", f.year, kYear);
  v("measures", f.measures, kOptional);
  v("deadline", f.deadline);
}
template <class V>
void fields(V& v, RectificationSubmitted& f) {
  v("community", f.community);
  v("year", f.year, kYear);
}
template <class V>
void fields(V& v, Reinspection& f) {
  v("community", f.community);
  v("year", f.year, kYear);
  v("passed", f.passed);
}
template <class V>
void fields(V& v, SanctionApplied& f) {
  v("community", f.community);
  v("year", f.year, kYear);
  v("measure", f.measure);
  v("legal_basis", f.legal_basis, kOptional);
}
template <class V>
void fields(V& v, CommitteeElected& f) {
  v("community", f.community);
  v("members", f.members, kCount);
  v("party_members", f.party_members, kCount);
}
template <class V>
void fields(V& v, PartyBranchEstablished& f) {
  v("community", f.community);
}
template <class V>
void fields(V& v, GovernanceCompleted& f) {
  v("community", f.community);
  v("item", f.item);
}
template <class V>
void fields(V& v, WasteSortingInspection& f) {
  v("community", f.community);
  v("compliant", f.compliant);
}
template <class V>
void fields(V&, Tick&) {}
template <class V>
void fields(V& v, FactRetracted& f) {
  v("id", f.id);
  v("reason", f.reason);
}

// Names of each enum's values, in value order.
inline std::span<const std::string_view> enum_names(Enclosure) { return kEnclosureNames; }
inline std::span<const std::string_view> enum_names(Category) { return kCategoryNames; }
inline std::span<const std::string_view> enum_names(Severity) { return kSeverityNames; }
inline std::span<const std::string_view> enum_names(FindingKind) { return kFindingKindNames; }
inline std::span<const std::string_view> enum_names(Stance) { return kStanceNames; }
inline std::span<const std::string_view> enum_names(Tone) { return kToneNames; }
inline std::span<const std::string_view> enum_names(RenovationItem) { return kRenovationItemNames; }
inline std::span<const std::string_view> enum_names(Grade) { return kGradeNames; }

}  // namespace jiayuan::internal
