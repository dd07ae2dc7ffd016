// Every fact a department publishes, as a plain struct with a stable numeric tag (never
// reused) and a CloudEvents type name. Event = envelope + fact.
//
//   Event e = ...;                       // from decode_event_json or decode_event_binary
//   std::visit([](const auto& f) { ... }, e.fact);
//   type_name(e.fact)  -> "jiayuan.inspection"
//
// Adding a fact type: a struct here, its entry in kFactTypes (facts.cc), its JSON form in
// json_codec.cc, its fields in serialize() below, and its publishers in config/authority.toml.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "events/centi.h"
#include "events/date.h"
#include "events/ids.h"

namespace jiayuan {

// 封闭 closed / 零星 scattered.
enum class Enclosure : uint8_t { kClosed = 0, kScattered = 1 };
// 商品房 commodity, 混合型 mixed, 动迁房 relocation, 保障房 affordable, 零星公房 scattered public.
enum class Category : uint8_t {
  kCommodity = 0,
  kMixed = 1,
  kRelocation = 2,
  kAffordable = 3,
  kScatteredPublic = 4
};

// The six inspection dimensions, in the policy's order.
enum class Dimension : uint8_t {
  kBasicManagement = 0,  // 物业基础管理
  kCleaning = 1,         // 保洁服务
  kSecurityPatrol = 2,   // 安全巡查
  kOrder = 3,            // 秩序维护
  kGreening = 4,         // 绿化养护
  kEquipment = 5,        // 设备管理
};
inline constexpr size_t kDimensionCount = 6;
inline constexpr std::array<std::string_view, kDimensionCount> kDimensionNames = {
    "basic_management", "cleaning", "security_patrol", "order", "greening", "equipment"};

// 住宅小区 registered (or re-registered with new particulars).
struct CommunityRegistered {
  CommunityId community;
  std::string name;
  StreetId street;
  int32_t households = 0;
  Centi fee;  // yuan per m² per month
  Enclosure enclosure = Enclosure::kClosed;
  Category category = Category::kCommodity;
};

// 测评: one inspection with the six dimension scores, each 0..100.
struct Inspection {
  CommunityId community;
  std::array<Centi, kDimensionCount> scores{};
};

// 居民满意度 resident satisfaction survey, 0..100.
struct SatisfactionSurvey {
  CommunityId community;
  Centi satisfaction;
};

// The bureau closed its review of a community's evaluation year: the grade is decided.
struct ReviewClosed {
  CommunityId community;
  int32_t year = 0;
};

using Fact = std::variant<CommunityRegistered, Inspection, SatisfactionSurvey, ReviewClosed>;

// CloudEvents 1.0 attributes plus ours. (source, id) identifies a fact.
struct Envelope {
  std::string id;
  std::string source;  // the publishing department, as proven by the transport
  std::string specversion = "1.0";
  std::string type;
  std::string time;  // RFC 3339 production time, informational; optional
  std::string subject;
  std::string dataschema;
  Date occurred;  // the date the fact occurred: decides year and rule set
  int32_t schema_version = 1;
};

struct Event {
  Envelope envelope;
  Fact fact;
};

struct FactTypeInfo {
  uint16_t tag;           // stable binary tag, never reused
  std::string_view name;  // CloudEvents type
  int32_t schema_version; // current version
};

std::span<const FactTypeInfo> fact_types();
const FactTypeInfo& type_info(const Fact& fact);
inline std::string_view type_name(const Fact& fact) { return type_info(fact).name; }
// nullptr when no fact type has that name.
const FactTypeInfo* find_fact_type(std::string_view name);

// The community (or company) the fact is about: the log key and the envelope's subject.
const std::string& subject_of(const Fact& fact);

std::string_view to_string(Enclosure e);
std::string_view to_string(Category c);

}  // namespace jiayuan
