#include "events/facts.h"

#include <array>

namespace jiayuan {
namespace {

// Index = variant index of Fact. Tags group by kind: 1.. registry, 10.. evaluation,
// 40.. process.
constexpr std::array<FactTypeInfo, std::variant_size_v<Fact>> kFactTypes = {{
    {1, "jiayuan.community.registered", 1},
    {10, "jiayuan.inspection", 1},
    {11, "jiayuan.survey", 1},
    {40, "jiayuan.review.closed", 1},
}};

}  // namespace

std::span<const FactTypeInfo> fact_types() { return kFactTypes; }

const FactTypeInfo& type_info(const Fact& fact) { return kFactTypes[fact.index()]; }

const FactTypeInfo* find_fact_type(std::string_view name) {
  for (const auto& t : kFactTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const std::string& subject_of(const Fact& fact) {
  return std::visit([](const auto& f) -> const std::string& { return f.community.value; }, fact);
}

std::string_view to_string(Enclosure e) {
  return e == Enclosure::kClosed ? "closed" : "scattered";
}

std::string_view to_string(Category c) {
  switch (c) {
    case Category::kCommodity: return "commodity";
    case Category::kMixed: return "mixed";
    case Category::kRelocation: return "relocation";
    case Category::kAffordable: return "affordable";
    case Category::kScatteredPublic: return "scattered_public";
  }
  return "unknown";
}

}  // namespace jiayuan
