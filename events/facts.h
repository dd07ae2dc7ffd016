// Every fact a department publishes, as a plain struct with a stable numeric tag (never
// reused) and a CloudEvents type name. Event = envelope + fact.
//
//   Event e = ...;                       // from decode_event_json or decode_event_binary
//   std::visit([](const auto& f) { ... }, e.fact);
//   type_name(e.fact)  -> "jiayuan.inspection"
//
// Adding a fact type: a struct here, its entry in kFactTypes (facts.cc), its fields in
// fields.h (the JSON and binary codecs, the schemas and the CSV importer all walk that list), and
// its publishers in config/authority.toml (events/README.md has the whole list).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "events/centi.h"
#include "events/date.h"
#include "events/ids.h"

namespace jiayuan {

// 不达标 < 达标 < 规范 < 示范; unrated stands outside the order.
enum class Grade : uint8_t {
  kFailing = 0,    // 不达标
  kPassing = 1,    // 达标
  kStandard = 2,   // 规范
  kExemplary = 3,  // 示范
  kUnrated = 4,    // too few inspections
};
inline constexpr std::array<std::string_view, 4> kGradeNames = {"failing", "passing", "standard",
                                                                "exemplary"};
std::string_view to_string(Grade g);     // "failing", "passing", ...
std::string_view chinese_name(Grade g);  // "不达标", "达标", ...

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

// Severity of a department finding or a safety incident.
enum class Severity : uint8_t { kMinor = 0, kSerious = 1, kMajor = 2 };
inline constexpr std::array<std::string_view, 3> kSeverityNames = {"minor", "serious", "major"};

// Kinds of department finding, each published by the department named in config/authority.toml.
enum class FindingKind : uint8_t {
  kIllegalConstruction = 0,     // 违章搭建 (城管执法)
  kGreenSpaceDestroyed = 1,     // 毁绿占绿 (城管执法)
  kRubbishDumped = 2,           // 任意弃置垃圾 (城管执法)
  kPoultryOrPigeons = 3,        // 饲养家禽家畜和食用鸽 (城管执法)
  kUnauthorisedAlteration = 4,  // 擅自改建 (城管执法)
  kCommonPartsOccupied = 5,     // 占用物业共用部分 (城管执法)
  kFireLaneBlocked = 6,         // 生命通道 (消防救援)
  kEbikeChargingFireRisk = 7,   // 电动自行车充电 (消防救援)
  kCivilDefenceWorks = 8,       // 侵占、破坏民防工程 (民防办)
  kWaterMisconnection = 9,      // 景观水体、出门井混接 (水务)
  kWasteSorting = 10,           // 生活垃圾分类 (绿化市容)
  kPublicSecurityCase = 11,     // 治安案件 (公安)
};
inline constexpr std::array<std::string_view, 12> kFindingKindNames = {
    "illegal_construction",    "green_space_destroyed",
    "rubbish_dumped",          "poultry_or_pigeons",
    "unauthorised_alteration", "common_parts_occupied",
    "fire_lane_blocked",       "ebike_charging_fire_risk",
    "civil_defence_works",     "water_misconnection",
    "waste_sorting",           "public_security_case"};

enum class Stance : uint8_t { kSupport = 0, kObject = 1 };
inline constexpr std::array<std::string_view, 2> kStanceNames = {"support", "object"};
enum class Tone : uint8_t { kNegative = 0, kPositive = 1 };
inline constexpr std::array<std::string_view, 2> kToneNames = {"negative", "positive"};

// The four governance completions that put a community first for renovation (旧住房修缮).
enum class RenovationItem : uint8_t {
  kFeeAdjustment = 0,           // 小区物业服务费调整
  kMaintenanceFundRenewal = 1,  // 专项维修资金续筹
  kEbikeCharging = 2,           // 新增电动自行车充电设施
  kElevatorConsultation = 3,    // 启动加梯征询
};
inline constexpr std::array<std::string_view, 4> kRenovationItemNames = {
    "fee_adjustment", "maintenance_fund_renewal", "ebike_charging", "elevator_consultation"};

inline constexpr std::array<std::string_view, 2> kEnclosureNames = {"closed", "scattered"};
inline constexpr std::array<std::string_view, 5> kCategoryNames = {
    "commodity", "mixed", "relocation", "affordable", "scattered_public"};

// ---- registry facts (any date) ---------------------------------------------------------

// 住宅小区 registered, with its particulars from the fact's date on.
struct CommunityRegistered {
  CommunityId community;
  std::string name;
  StreetId street;
  int32_t households = 0;
  Centi fee;  // yuan per m² per month
  Enclosure enclosure = Enclosure::kClosed;
  Category category = Category::kCommodity;
};

// Which particulars a community.changed carries (its `changed` bits).
inline constexpr int32_t kChangedFee = 1, kChangedName = 2, kChangedStreet = 4,
                         kChangedHouseholds = 8, kChangedEnclosure = 16, kChangedCategory = 32;

// The community's particulars changed, from the fact's date on. Schema version 2 carries only
// the fields that change (DOMAIN.md "Partial changes"), their bits in `changed`; version 1
// restated all of them, and reads with `changed` 0: every field.
struct CommunityChanged : CommunityRegistered {
  int32_t changed = 0;
  bool changes(int32_t field) const { return changed == 0 || (changed & field) != 0; }
};

// 物业服务费 adjusted from the fact's date on (may move the fee tier).
struct FeeAdjusted {
  CommunityId community;
  Centi fee;
};

// A property service contract: the company and project manager serving from the date on; the
// manager's name beside the id (schema version 2; optional).
struct ContractAssigned {
  CommunityId community;
  CompanyId company;
  ManagerId manager;
  std::string manager_name;
};

// A property service company registered (bureau): its name and 统一社会信用代码 (18 characters,
// the last a check character per GB 32100-2015). A company is known once registered or named by
// a contract.
struct CompanyRegistered {
  CompanyId company;
  std::string name;
  std::string credit_code;
};

// The check character GB 32100-2015 gives the first 17 characters of a unified social credit
// code; nullopt when one of them is not of its alphabet (0-9, A-Z without I, O, S, V, Z).
std::optional<char> credit_code_check_character(std::string_view first17);

// ---- evaluation facts (count for the year whose window holds their date) --------------

// 测评: one inspection with the six dimension scores, each 0..100.
struct Inspection {
  CommunityId community;
  std::array<Centi, kDimensionCount> scores{};
};

// 居民满意度 resident satisfaction survey, 0..100.
// Schema v2 added `respondents` (households that answered); a v1 survey reads as v2 with 0,
// meaning "not reported".
struct SatisfactionSurvey {
  CommunityId community;
  Centi satisfaction;
  int32_t respondents = 0;
};

// 督察·日常抽查: bureau supervision / spot check; failed when issues were found.
struct SpotCheck {
  CommunityId community;
  bool passed = true;
};

// 12345 hotline complaint about a community.
struct HotlineComplaint {
  CommunityId community;
  bool substantiated = false;
  bool on_time = true;
};

// 信访 petition.
struct Petition {
  CommunityId community;
  bool substantiated = false;
};

// 诚信记分: whole credit points against a company, recorded on one of its projects.
struct CreditPoints {
  CommunityId community;
  CompanyId company;
  int32_t points = 0;
};

// A department's finding in a community.
struct DepartmentFinding {
  CommunityId community;
  FindingKind kind = FindingKind::kIllegalConstruction;
  Severity severity = Severity::kMinor;
};

struct SafetyIncident {
  CommunityId community;
  Severity severity = Severity::kMinor;
};

// 媒体舆情: names a company, a community (project), or both.
struct MediaReport {
  CompanyId company;      // may be empty when a community is named
  CommunityId community;  // may be empty when a company is named
  Tone tone = Tone::kNegative;
};

// 履行社会责任: a record of a company's social responsibility.
struct SocialResponsibility {
  CompanyId company;
  std::string description;
};

// ---- process facts (name their evaluation year) ----------------------------------------

// 街镇初步评定: the street's proposed grade.
struct StreetProposal {
  CommunityId community;
  int32_t year = 0;
  Grade grade = Grade::kPassing;
};

// 部门意见: a department's written opinion (support / object) on a community's year.
struct DepartmentOpinion {
  CommunityId community;
  int32_t year = 0;
  Stance stance = Stance::kSupport;
  std::string reason;
};

// The bureau closed its review of a community's evaluation year: the grade is decided.
struct ReviewClosed {
  CommunityId community;
  int32_t year = 0;
};

// 公开: the year's ratings published, covering this community; with no community,
// district-wide: every community whose review for the year closed on or before its date.
struct RatingsPublished {
  CommunityId community;
  int32_t year = 0;
};

// 约谈: the bureau, with the street, interviewed the company; sets the rectification deadline.
struct InterviewHeld {
  CommunityId community;
  int32_t year = 0;
  std::string measures;
  std::optional<Date> deadline;  // default: interview + configured days
};

struct RectificationSubmitted {
  CommunityId community;
  int32_t year = 0;
};

struct Reinspection {
  CommunityId community;
  int32_t year = 0;
  bool passed = false;
};

// 联合惩戒: a sanction a department applied (the department is the fact's source).
struct SanctionApplied {
  CommunityId community;
  int32_t year = 0;
  std::string measure;
  std::string legal_basis;
};

// ---- governance facts (any date) --------------------------------------------------------

// 业委会 elected.
struct CommitteeElected {
  CommunityId community;
  int32_t members = 0;
  int32_t party_members = 0;
};

// 党支部 (or party working group) established in the owners' committee.
struct PartyBranchEstablished {
  CommunityId community;
};

// One of the renovation-priority items completed on the fact's date.
struct GovernanceCompleted {
  CommunityId community;
  RenovationItem item = RenovationItem::kFeeAdjustment;
};

// 垃圾分类 inspection.
struct WasteSortingInspection {
  CommunityId community;
  bool compliant = true;
};

// ---- corrections ---------------------------------------------------------------------------

// A department retracts one of its own facts (DOMAIN.md "Retractions and corrections"): the
// fact counts as never having happened, for every outcome as of any date. Only the source that
// published a fact may retract it (`id` is looked up under the retraction's own source). Intake
// stores the retracted fact with it (header jiayuan.retracts), keyed by the retracted fact's
// subject, so stage 1 meets it on the partition of the fact it retracts.
struct FactRetracted {
  std::string id;
  std::string reason;
};

// ---- engine facts -------------------------------------------------------------------------

// Log time passes `occurred` on this partition: deadlines up to it fire. Written by the engine.
struct Tick {};

using Fact =
    std::variant<CommunityRegistered, CommunityChanged, FeeAdjusted, ContractAssigned,
                 CompanyRegistered, Inspection, SatisfactionSurvey, SpotCheck, HotlineComplaint,
                 Petition, CreditPoints, DepartmentFinding, SafetyIncident, MediaReport,
                 SocialResponsibility, StreetProposal, DepartmentOpinion, ReviewClosed,
                 RatingsPublished, InterviewHeld, RectificationSubmitted, Reinspection,
                 SanctionApplied, CommitteeElected, PartyBranchEstablished, GovernanceCompleted,
                 WasteSortingInspection, Tick, FactRetracted>;

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

enum class FactKind : uint8_t {
  kRegistry,
  kEvaluation,
  kProcess,
  kGovernance,
  kEngine,
  kCorrection
};

struct FactTypeInfo {
  uint16_t tag;            // stable binary tag, never reused
  std::string_view name;   // CloudEvents type
  int32_t schema_version;  // current version
  FactKind kind;
};

std::span<const FactTypeInfo> fact_types();
const FactTypeInfo& type_info(const Fact& fact);
inline std::string_view type_name(const Fact& fact) { return type_info(fact).name; }
// nullptr when no fact type has that name.
const FactTypeInfo* find_fact_type(std::string_view name);

// The community (or company) the fact is about: the log key and the envelope's subject.
// Empty for a tick.
std::string subject_of(const Fact& fact);
// The community the fact concerns; empty for company facts and ticks.
const CommunityId* community_of(const Fact& fact);
// The evaluation year a process fact names; nullopt for other facts.
std::optional<int32_t> named_year(const Fact& fact);

std::string_view to_string(Enclosure e);
std::string_view to_string(Category c);

}  // namespace jiayuan
