// Strong types for the domain's identifiers, so a company id cannot be passed where a
// community id is meant (Redpanda's named_type, in miniature).
#pragma once

#include <compare>
#include <functional>
#include <string>
#include <utility>

namespace jiayuan {

template <class Tag>
struct Id {
  std::string value;

  Id() = default;
  explicit Id(std::string v) : value(std::move(v)) {}
  bool empty() const { return value.empty(); }
  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(value);
  }
};

using CommunityId = Id<struct CommunityTag>;
using CompanyId = Id<struct CompanyTag>;
using ManagerId = Id<struct ManagerTag>;
using StreetId = Id<struct StreetTag>;
// A publishing department: "bureau", "hotline", "street.yueyang", ...
using DepartmentId = Id<struct DepartmentTag>;

}  // namespace jiayuan

template <class Tag>
struct std::hash<jiayuan::Id<Tag>> {
  size_t operator()(const jiayuan::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value);
  }
};
