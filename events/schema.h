// What each fact type's data holds, for tools that need it without the C++ types: the CSV
// importer (column names and how to read a cell) and the JSON Schema published under
// events/schema/. Both are derived from internal::fields(), the one field list.
//
//   for (const FieldInfo& f : describe_fields(*find_fact_type("jiayuan.inspection"))) ...
//   std::string schema = json_schema(*find_fact_type("jiayuan.inspection"));  // 2020-12
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/facts.h"

namespace jiayuan {

enum class FieldKind { kString, kInteger, kNumber, kBoolean, kEnum, kDate, kScores };

struct FieldInfo {
  std::string name;
  FieldKind kind = FieldKind::kString;
  int64_t lo = 0;  // integers: the range; numbers: the range in hundredths
  int64_t hi = 0;
  bool optional = false;
  bool patch = false;  // present only when it changes (community.changed from version 2)
  int32_t since = 1;
  std::vector<std::string> values;  // enums
};

// The fields of a type's current schema version, in order.
std::vector<FieldInfo> describe_fields(const FactTypeInfo& type);

// The JSON Schema (draft 2020-12) of a whole event of the type, pretty-printed.
std::string json_schema(const FactTypeInfo& type);

}  // namespace jiayuan
