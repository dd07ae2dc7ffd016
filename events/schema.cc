#include "events/schema.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "events/fields.h"

namespace jiayuan {
namespace {

using nlohmann::ordered_json;

class Describer {
 public:
  explicit Describer(int32_t version) : version_(version) {}
  template <class T>
  void operator()(const char* name, const T& member, internal::Spec spec = {}) {
    if (spec.since > version_ || !spec.in_json) return;
    FieldInfo f;
    f.name = name;
    f.lo = spec.lo;
    f.hi = spec.hi;
    f.optional = spec.optional || (spec.patch_bit != 0 && version_ >= 2);
    f.patch = spec.patch_bit != 0 && version_ >= 2;
    f.since = spec.since;
    kind(f, member);
    out.push_back(std::move(f));
  }
  std::vector<FieldInfo> out;

 private:
  template <class Tag>
  void kind(FieldInfo& f, const Id<Tag>&) {
    f.kind = FieldKind::kString;
  }
  void kind(FieldInfo& f, const std::string&) { f.kind = FieldKind::kString; }
  void kind(FieldInfo& f, int32_t) { f.kind = FieldKind::kInteger; }
  void kind(FieldInfo& f, Centi) { f.kind = FieldKind::kNumber; }
  void kind(FieldInfo& f, bool) { f.kind = FieldKind::kBoolean; }
  void kind(FieldInfo& f, const std::optional<Date>&) {
    f.kind = FieldKind::kDate;
    f.optional = true;
  }
  void kind(FieldInfo& f, const std::array<Centi, kDimensionCount>&) {
    f.kind = FieldKind::kScores;
  }
  template <class E>
  requires std::is_enum_v<E>
  void kind(FieldInfo& f, E e) {
    f.kind = FieldKind::kEnum;
    for (std::string_view v : internal::enum_names(e)) f.values.emplace_back(v);
  }
  int32_t version_;
};

template <size_t I = 0>
std::vector<FieldInfo> describe(const FactTypeInfo& type) {
  if constexpr (I == std::variant_size_v<Fact>) {
    return {};
  } else {
    if (fact_types()[I].tag != type.tag) return describe<I + 1>(type);
    std::variant_alternative_t<I, Fact> f;
    Describer d(type.schema_version);
    internal::fields(d, f);
    return d.out;
  }
}

double hundredths(int64_t v) { return static_cast<double>(v) / 100.0; }

ordered_json field_schema(const FieldInfo& f) {
  switch (f.kind) {
    case FieldKind::kString:
      return f.optional ? ordered_json{{"type", "string"}}
                        : ordered_json{{"type", "string"}, {"minLength", 1}};
    case FieldKind::kInteger:
      return {{"type", "integer"}, {"minimum", f.lo}, {"maximum", f.hi}};
    case FieldKind::kNumber:
      return {{"type", "number"}, {"minimum", hundredths(f.lo)}, {"maximum", hundredths(f.hi)}};
    case FieldKind::kBoolean:
      return {{"type", "boolean"}};
    case FieldKind::kEnum:
      return {{"enum", f.values}};
    case FieldKind::kDate:
      return {{"type", "string"}, {"format", "date"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}};
    case FieldKind::kScores: {
      ordered_json props = ordered_json::object();
      ordered_json required = ordered_json::array();
      for (std::string_view d : kDimensionNames) {
        props[std::string(d)] = {{"type", "number"}, {"minimum", 0}, {"maximum", 100}};
        required.push_back(std::string(d));
      }
      return {{"type", "object"},
              {"properties", props},
              {"required", required},
              {"additionalProperties", false}};
    }
  }
  return {};
}

}  // namespace

std::vector<FieldInfo> describe_fields(const FactTypeInfo& type) { return describe(type); }

std::string json_schema(const FactTypeInfo& type) {
  ordered_json props = ordered_json::object();
  ordered_json required = ordered_json::array();
  for (const FieldInfo& f : describe_fields(type)) {
    props[f.name] = field_schema(f);
    if (!f.optional) required.push_back(f.name);
  }
  const std::string name(type.name);
  ordered_json data{{"type", "object"},
                    {"properties", props},
                    {"required", required},
                    {"additionalProperties", false}};
  const auto fields = describe_fields(type);
  if (std::any_of(fields.begin(), fields.end(), [](const FieldInfo& f) { return f.patch; })) {
    data["minProperties"] = 2;  // the subject and at least one field that changes
  }
  ordered_json schema{
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"$id", "urn:jiayuan:schema:" + name + ":v" + std::to_string(type.schema_version)},
      {"title", name + " (schema version " + std::to_string(type.schema_version) + ")"},
      {"description",
       "A CloudEvents 1.0 event in structured JSON; data holds the fact. Generated from "
       "events/fields.h "
       "by `jiayuan schema`; do not edit by hand. This is the current version; an event of an "
       "older "
       "schemaversion is accepted too and read as this one."},
      {"type", "object"},
      {"properties",
       {{"specversion", {{"const", "1.0"}}},
        {"id", {{"type", "string"}, {"minLength", 1}}},
        {"source", {{"type", "string"}, {"minLength", 1}}},
        {"type", {{"const", name}}},
        {"time", {{"type", "string"}}},
        {"subject", {{"type", "string"}}},
        {"dataschema", {{"type", "string"}}},
        {"occurred",
         {{"type", "string"}, {"format", "date"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}},
        {"schemaversion", {{"type", "integer"}, {"minimum", 1}, {"maximum", type.schema_version}}},
        {"data", data}}},
      {"required", {"specversion", "id", "source", "type", "occurred", "data"}}};
  return schema.dump(2) + "\n";
}

}  // namespace jiayuan
