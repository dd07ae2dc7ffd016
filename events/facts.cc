#include "events/facts.h"

#include <algorithm>
#include <array>

namespace jiayuan {
namespace {

// Index = variant index of Fact. Tags never change and are never reused: 1.. registry,
// 10.. evaluation, 40.. process, 60.. governance, 80.. corrections, 90.. engine.
constexpr std::array<FactTypeInfo, std::variant_size_v<Fact>> kFactTypes = {{
    {1, "jiayuan.community.registered", 1, FactKind::kRegistry},
    {2, "jiayuan.community.changed", 2, FactKind::kRegistry},
    {3, "jiayuan.fee.adjusted", 1, FactKind::kRegistry},
    {4, "jiayuan.contract.assigned", 2, FactKind::kRegistry},
    {5, "jiayuan.company.registered", 1, FactKind::kRegistry},
    {10, "jiayuan.inspection", 1, FactKind::kEvaluation},
    {11, "jiayuan.survey", 2, FactKind::kEvaluation},
    {12, "jiayuan.spot.check", 1, FactKind::kEvaluation},
    {13, "jiayuan.hotline.complaint", 1, FactKind::kEvaluation},
    {14, "jiayuan.petition", 1, FactKind::kEvaluation},
    {15, "jiayuan.credit.points", 1, FactKind::kEvaluation},
    {16, "jiayuan.finding", 1, FactKind::kEvaluation},
    {17, "jiayuan.safety.incident", 1, FactKind::kEvaluation},
    {18, "jiayuan.media.report", 1, FactKind::kEvaluation},
    {19, "jiayuan.social.responsibility", 1, FactKind::kEvaluation},
    {41, "jiayuan.street.proposal", 1, FactKind::kProcess},
    {42, "jiayuan.department.opinion", 1, FactKind::kProcess},
    {40, "jiayuan.review.closed", 1, FactKind::kProcess},
    {43, "jiayuan.ratings.published", 1, FactKind::kProcess},
    {44, "jiayuan.interview.held", 1, FactKind::kProcess},
    {45, "jiayuan.rectification.submitted", 1, FactKind::kProcess},
    {46, "jiayuan.reinspection", 1, FactKind::kProcess},
    {47, "jiayuan.sanction.applied", 1, FactKind::kProcess},
    {60, "jiayuan.committee.elected", 1, FactKind::kGovernance},
    {61, "jiayuan.party.branch.established", 1, FactKind::kGovernance},
    {62, "jiayuan.governance.completed", 1, FactKind::kGovernance},
    {63, "jiayuan.waste.sorting.inspection", 1, FactKind::kGovernance},
    {90, "jiayuan.tick", 1, FactKind::kEngine},
    {80, "jiayuan.fact.retracted", 1, FactKind::kCorrection},
}};

template <class T>
concept HasCommunity = requires(const T& t) {
  t.community;
};
template <class T>
concept HasYear = requires(const T& t) {
  t.year;
};

}  // namespace

std::span<const FactTypeInfo> fact_types() { return kFactTypes; }

std::optional<char> credit_code_check_character(std::string_view first17) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";  // 31 characters
  static constexpr std::array<int, 17> kWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                   29, 25, 13, 8,  24, 10, 30, 28};
  if (first17.size() != kWeights.size()) return std::nullopt;
  int sum = 0;
  for (size_t i = 0; i < first17.size(); ++i) {
    const size_t v = kAlphabet.find(first17[i]);
    if (v == std::string_view::npos) return std::nullopt;
    sum += static_cast<int>(v) * kWeights[i];
  }
  return kAlphabet[static_cast<size_t>((31 - sum % 31) % 31)];
}

const FactTypeInfo& type_info(const Fact& fact) { return kFactTypes[fact.index()]; }

const FactTypeInfo* find_fact_type(std::string_view name) {
  // By name through an index sorted once at compile time: every record read asks (its
  // ce_type), and the names share their first eight bytes.
  static constexpr auto kByName = [] {
    std::array<const FactTypeInfo*, kFactTypes.size()> index{};
    for (size_t i = 0; i < kFactTypes.size(); ++i) index[i] = &kFactTypes[i];
    std::ranges::sort(index, {}, &FactTypeInfo::name);
    return index;
  }();
  const auto it = std::ranges::lower_bound(kByName, name, {}, &FactTypeInfo::name);
  return it != kByName.end() && (*it)->name == name ? *it : nullptr;
}

const CommunityId* community_of(const Fact& fact) {
  return std::visit(
      [](const auto& f) -> const CommunityId* {
        if constexpr (HasCommunity<std::decay_t<decltype(f)>>) {
          return f.community.empty() ? nullptr : &f.community;
        } else {
          return nullptr;
        }
      },
      fact);
}

std::string subject_of(const Fact& fact) {
  if (const CommunityId* c = community_of(fact)) return c->value;
  if (const auto* m = std::get_if<MediaReport>(&fact)) return m->company.value;
  if (const auto* s = std::get_if<SocialResponsibility>(&fact)) return s->company.value;
  if (const auto* r = std::get_if<CompanyRegistered>(&fact)) return r->company.value;
  return {};
}

std::optional<int32_t> named_year(const Fact& fact) {
  return std::visit(
      [](const auto& f) -> std::optional<int32_t> {
        if constexpr (HasYear<std::decay_t<decltype(f)>>) {
          return f.year;
        } else {
          return std::nullopt;
        }
      },
      fact);
}

std::string_view to_string(Enclosure e) { return kEnclosureNames[static_cast<size_t>(e)]; }
std::string_view to_string(Category c) { return kCategoryNames[static_cast<size_t>(c)]; }

std::string_view to_string(Grade g) {
  return g == Grade::kUnrated ? "unrated" : kGradeNames[static_cast<size_t>(g)];
}

std::string_view chinese_name(Grade g) {
  switch (g) {
    case Grade::kFailing:
      return "不达标";
    case Grade::kPassing:
      return "达标";
    case Grade::kStandard:
      return "规范";
    case Grade::kExemplary:
      return "示范";
    case Grade::kUnrated:
      return "未评定";
  }
  return "?";
}

}  // namespace jiayuan
