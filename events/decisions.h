// Decisions: the events the engine itself writes, one per step it takes. A decision's id is
// derived from its cause (the fact that triggered it), so a replay writes the same ids and a
// consumer applies each id once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/centi.h"
#include "events/date.h"
#include "events/facts.h"
#include "events/ids.h"
#include "events/result.h"

namespace jiayuan {

// 不达标 < 达标 < 规范 < 示范; unrated stands outside the order.
enum class Grade : uint8_t {
  kFailing = 0,    // 不达标
  kPassing = 1,    // 达标
  kStandard = 2,   // 规范
  kExemplary = 3,  // 示范
  kUnrated = 4,    // too few inspections
};
std::string_view to_string(Grade g);          // "failing", "passing", ...
std::string_view chinese_name(Grade g);       // "不达标", "达标", ...

// One line of the service score: a dimension (or satisfaction) with its weight and mean.
struct ScoreLine {
  std::string name;  // a kDimensionNames entry or "satisfaction"
  int32_t weight = 0;
  int32_t count = 0;
  Centi mean;  // shown rounded half up to 0.01; the score itself is computed exactly
};

struct DeductionLine {
  std::string kind;  // "hotline_substantiated", ...
  int32_t count = 0;
  Centi per_item;
  Centi cap;
  Centi amount;  // min(count × per_item, cap)
  std::vector<std::string> facts;  // "source/id" of each fact behind it
};

struct Thresholds {
  Centi exemplary;
  Centi standard;
  Centi passing;
};

// Why a community got its grade: structured, so the query side can show or compute with it.
struct Explanation {
  std::string street;
  std::string tier;           // "T1" | "T2" | "T3"
  bool tier_unnamed = false;  // fee ≥ 2.5 and scattered: a combination the policy does not name
  Centi fee;
  Enclosure enclosure = Enclosure::kClosed;
  Category category = Category::kCommodity;
  int32_t inspections = 0;
  int32_t surveys = 0;
  int32_t weight_divisor = 0;  // 100 with a survey, 90 without (sum of the weights used)
  std::vector<ScoreLine> scores;
  bool has_score = false;
  Centi service;  // weighted mean, rounded half up to 0.01
  std::vector<DeductionLine> deductions;
  Centi deductions_total;
  Centi final_score;  // max(0, service − deductions)
  Thresholds thresholds;
  std::vector<std::string> vetoes;  // in the order applied, each a sentence
  std::string rule_set_id;
  std::string rule_set_hash;
};

// The bureau's grade for a community's evaluation year (评定结果).
struct CommunityRated {
  CommunityId community;
  std::string name;
  int32_t year = 0;
  Grade grade = Grade::kUnrated;
  Explanation explanation;
};

using DecisionBody = std::variant<CommunityRated>;

struct Decision {
  std::string id;  // derived from the cause: replay gives the same id
  CommunityId community;
  int32_t year = 0;
  Date log_date;             // log time when taken (the cause's date)
  std::string cause_source;  // (source, id) of the fact that caused it
  std::string cause_id;
  DecisionBody body;
};

std::string_view kind_of(const DecisionBody& body);  // "community.rated", ...

// A stable, platform-independent 64-bit hash (FNV-1a) for deriving ids; not cryptographic.
uint64_t stable_hash64(std::string_view bytes);
// "<kind>:<community>:<year>:<16 hex digits of the cause's (source, id)>"
std::string derive_decision_id(std::string_view kind, const CommunityId& community, int32_t year,
                               std::string_view cause_source, std::string_view cause_id);

}  // namespace jiayuan
