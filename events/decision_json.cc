#include "events/decision_json.h"

#include <nlohmann/json.hpp>
#include <span>
#include <type_traits>

#include "events/decision_fields.h"
#include "events/json_limits.h"

namespace jiayuan {
namespace {

using json = nlohmann::json;

// Whether visitor V walks T by a field list (a struct of decision_fields.h).
template <class V, class T>
concept Walked = requires(V& v, T& t) {
  internal::fields(v, t);
};
template <class T>
struct IsVector : std::false_type {};
template <class E>
struct IsVector<std::vector<E>> : std::true_type {};
template <class T>
struct IsId : std::false_type {};
template <class Tag>
struct IsId<Id<Tag>> : std::true_type {};

// The names an enum is written by, in its numbers' order.
std::span<const std::string_view> names_of(Grade) {
  static constexpr std::array<std::string_view, 5> kNames = {"failing", "passing", "standard",
                                                             "exemplary", "unrated"};
  return kNames;
}
std::span<const std::string_view> names_of(Enclosure) { return kEnclosureNames; }
std::span<const std::string_view> names_of(Category) { return kCategoryNames; }
std::span<const std::string_view> names_of(CaseStepKind) { return kCaseStepNames; }
std::span<const std::string_view> names_of(EscalationReason) { return kEscalationReasonNames; }
template <class T>
concept Named = requires(T t) {
  names_of(t);
};

// The format whose fields a decision's JSON holds: its own, or the current one when it was
// taken by this build (formats before the field lists are written with every field).
int32_t fields_format(const Decision& d) {
  return d.format == 0 ? kDecisionFormat : std::max(d.format, internal::kFieldListFormat);
}

struct Writer {
  json& out;
  int32_t format;

  template <class T>
  void operator()(const char* name, T& member, internal::Spec spec) {
    if (spec.since <= format) out[name] = value(member);
  }
  template <class T>
  json value(T& v) {
    if constexpr (Walked<Writer, T>) {
      json obj = json::object();
      Writer inner{obj, format};
      internal::fields(inner, v);
      return obj;
    } else if constexpr (IsVector<T>::value) {
      json arr = json::array();
      for (auto& e : v) arr.push_back(value(e));
      return arr;
    } else if constexpr (IsId<T>::value) {
      return v.value;
    } else if constexpr (std::is_same_v<T, Centi> || std::is_same_v<T, Date>) {
      return v.to_string();
    } else if constexpr (Named<T>) {
      return std::string(names_of(v)[static_cast<size_t>(v)]);
    } else {
      return v;  // std::string, bool, integers
    }
  }
};

std::string what_came(const json& v) {
  if (v.is_string()) return "\"" + printable(v.get<std::string>(), 60) + "\"";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return printable(v.dump(), 60);
}

// The names of a struct's fields in a format.
struct FieldNames {
  std::vector<std::string_view>& known;
  int32_t format;
  std::string_view skip;
  template <class M>
  void operator()(const char* name, M&, internal::Spec spec) {
    if (spec.since <= format && name != skip) known.push_back(name);
  }
};

struct Reader {
  const json& in;
  std::string path;
  int32_t format;
  Status status;
  std::string_view skip = {};  // a field the JSON form leaves out (the decision's hash)

  template <class T>
  void operator()(const char* name, T& member, internal::Spec spec) {
    if (!status || spec.since > format || name == skip) return;
    const std::string at = path.empty() ? name : path + "." + name;
    auto it = in.find(name);
    if (it == in.end()) {
      status = fail(field_error("missing_field", at, "a value", "nothing"));
      return;
    }
    status = value(*it, at, member);
  }

  template <class T>
  Status value(const json& v, const std::string& at, T& out) {
    auto wrong = [&](std::string_view expected) {
      return fail(field_error("bad_decision", at, expected, what_came(v)));
    };
    if constexpr (Walked<Reader, T>) {
      if (!v.is_object()) return wrong("an object");
      Reader inner{v, at, format, {}};
      internal::fields(inner, out);
      JY_CHECK(inner.status);
      return inner.only_known_fields(out);
    } else if constexpr (IsVector<T>::value) {
      if (!v.is_array()) return wrong("an array");
      out.resize(v.size());
      for (size_t i = 0; i < v.size(); ++i)
        JY_CHECK(value(v[i], at + "[" + std::to_string(i) + "]", out[i]));
      return {};
    } else if constexpr (IsId<T>::value || std::is_same_v<T, std::string>) {
      if (!v.is_string()) return wrong("a string");
      if constexpr (IsId<T>::value) {
        out.value = v.get<std::string>();
      } else {
        out = v.get<std::string>();
      }
      return {};
    } else if constexpr (std::is_same_v<T, Centi>) {
      const auto c = v.is_string() ? Centi::parse(v.get<std::string>()) : std::nullopt;
      if (!c) return wrong("a decimal with two places as text, such as \"72.66\"");
      out = *c;
      return {};
    } else if constexpr (std::is_same_v<T, Date>) {
      const auto d = v.is_string() ? Date::parse(v.get<std::string>()) : std::nullopt;
      if (!d) return wrong("a date YYYY-MM-DD");
      out = *d;
      return {};
    } else if constexpr (Named<T>) {
      const auto names = names_of(out);
      for (size_t i = 0; v.is_string() && i < names.size(); ++i) {
        if (names[i] == v.get<std::string>()) {
          out = static_cast<T>(i);
          return {};
        }
      }
      std::string expected = "one of";
      for (size_t i = 0; i < names.size(); ++i)
        expected.append(i ? ", \"" : " \"").append(names[i]).append("\"");
      return wrong(expected);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) return wrong("true or false");
      out = v.get<bool>();
      return {};
    } else {
      static_assert(std::is_integral_v<T>);
      if (!v.is_number_integer()) return wrong("an integer");
      const auto n = v.get<int64_t>();
      if (n < std::numeric_limits<T>::min() || n > std::numeric_limits<T>::max())
        return wrong("an integer in range");
      out = static_cast<T>(n);
      return {};
    }
  }

  // Every key of the object is one of T's fields (a forged or newer field is not ignored).
  template <class T>
  Status only_known_fields(T& sample, std::initializer_list<std::string_view> extra = {}) {
    std::vector<std::string_view> known(extra);
    FieldNames names{known, format, skip};
    internal::fields(names, sample);
    for (auto it = in.begin(); it != in.end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
        const std::string at = path.empty() ? it.key() : path + "." + it.key();
        return fail(field_error("bad_decision", at, "no such field", what_came(it.value())));
      }
    }
    return {};
  }
};

struct KindInfo {
  DecisionTag tag;
  std::optional<CaseStepKind> step;
};

std::optional<KindInfo> kind_info(std::string_view kind) {
  if (kind == "community.rated") return KindInfo{DecisionTag::kCommunityRated, std::nullopt};
  if (kind == "community.published")
    return KindInfo{DecisionTag::kCommunityPublished, std::nullopt};
  if (kind == "case.revised") return KindInfo{DecisionTag::kCaseRevised, std::nullopt};
  if (kind.starts_with("case.")) {
    if (auto step = parse_case_step(kind.substr(5))) return KindInfo{DecisionTag::kCaseStep, *step};
  }
  return std::nullopt;
}

DecisionBody body_of(DecisionTag tag) {
  switch (tag) {
    case DecisionTag::kCommunityRated:
      return CommunityRated{};
    case DecisionTag::kCommunityPublished:
      return CommunityPublished{};
    case DecisionTag::kCaseStep:
      return CaseStep{};
    case DecisionTag::kCaseRevised:
      break;
  }
  return CaseRevised{};
}

}  // namespace

std::string encode_decision_json(const Decision& decision) {
  Decision d = decision;
  d.hash.clear();
  json out = json::object();
  Writer w{out, fields_format(d)};
  internal::fields(w, d);
  out.erase("hash");
  json body = json::object();
  Writer b{body, w.format};
  std::visit([&](auto& x) { internal::fields(b, x); }, d.body);
  out["body"] = std::move(body);
  out["kind"] = kind_of(d.body);
  out["format"] = d.format == 0 ? kDecisionFormat : d.format;
  return out.dump(-1, ' ', false, json::error_handler_t::strict);
}

Result<Decision> decode_decision_json(std::string_view text, std::string hash) {
  JY_CHECK(check_json(text, JsonLimits{}, "decision"));
  const json in = json::parse(text, nullptr, false);
  if (in.is_discarded() || !in.is_object())
    return fail(field_error("bad_decision", "decision", "a JSON object", "something else"));
  auto format_it = in.find("format");
  if (format_it == in.end() || !format_it->is_number_integer() || format_it->get<int64_t>() < 1 ||
      format_it->get<int64_t>() > kDecisionFormat) {
    return fail(field_error("bad_decision", "format",
                            "a decision format 1.." + std::to_string(kDecisionFormat),
                            format_it == in.end() ? "nothing" : what_came(*format_it)));
  }
  Decision d;
  d.format = format_it->get<int32_t>();
  const auto kind_it = in.find("kind");
  const auto kind = kind_it != in.end() && kind_it->is_string()
                        ? kind_info(kind_it->get<std::string>())
                        : std::nullopt;
  if (!kind) {
    return fail(field_error("bad_decision", "kind", "a decision kind such as \"community.rated\"",
                            kind_it == in.end() ? "nothing" : what_came(*kind_it)));
  }
  Reader top{in, "", fields_format(d), {}, "hash"};
  internal::fields(top, d);
  if (top.status && !hash.empty()) d.hash = std::move(hash);
  JY_CHECK(top.status);
  JY_CHECK(top.only_known_fields(d, {"body", "kind", "format"}));
  d.body = body_of(kind->tag);
  const auto body_it = in.find("body");
  if (body_it == in.end()) return fail(field_error("missing_field", "body", "a value", "nothing"));
  JY_CHECK(std::visit([&](auto& x) { return top.value(*body_it, "body", x); }, d.body));
  if (kind->step && std::get<CaseStep>(d.body).step != *kind->step) {
    return fail(field_error("bad_decision", "body.step",
                            "the step its kind names (" + std::string(to_string(*kind->step)) + ")",
                            "\"" + std::string(to_string(std::get<CaseStep>(d.body).step)) + "\""));
  }
  return d;
}

std::string decision_event_type(std::string_view kind) {
  return "jiayuan.decision." + std::string(kind);
}

std::vector<std::string> decision_kinds() {
  std::vector<std::string> kinds = {"community.rated", "community.published"};
  for (std::string_view step : kCaseStepNames) kinds.push_back("case." + std::string(step));
  kinds.push_back("case.revised");
  return kinds;
}

namespace {

// The schema of a value of each type the field lists hold.
struct Schema {
  int32_t format;

  template <class T>
  void operator()(const char* name, T& member, internal::Spec spec) {
    if (spec.since > format) return;
    (*props)[name] = of(member);
    required->push_back(name);
  }
  json* props = nullptr;
  json* required = nullptr;

  template <class T>
  json of(T& v) {
    if constexpr (Walked<Schema, T>) {
      json props_of = json::object(), req = json::array();
      Schema inner{format, &props_of, &req};
      internal::fields(inner, v);
      return {{"type", "object"},
              {"properties", props_of},
              {"required", req},
              {"additionalProperties", false}};
    } else if constexpr (IsVector<T>::value) {
      typename T::value_type e{};
      return {{"type", "array"}, {"items", of(e)}};
    } else if constexpr (IsId<T>::value || std::is_same_v<T, std::string>) {
      return {{"type", "string"}};
    } else if constexpr (std::is_same_v<T, Centi>) {
      return {{"type", "string"}, {"pattern", "^-?[0-9]+\\.[0-9]{2}$"}};
    } else if constexpr (std::is_same_v<T, Date>) {
      return {{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}};
    } else if constexpr (Named<T>) {
      json names = json::array();
      for (std::string_view n : names_of(v)) names.push_back(std::string(n));
      return {{"enum", names}};
    } else if constexpr (std::is_same_v<T, bool>) {
      return {{"type", "boolean"}};
    } else {
      return {{"type", "integer"}};
    }
  }
};

}  // namespace

std::string decision_json_schema(std::string_view kind) {
  const auto info = kind_info(kind);
  if (!info) return "";
  json props = json::object(), required = json::array();
  Schema s{kDecisionFormat, &props, &required};
  Decision d;
  internal::fields(s, d);
  props.erase("hash");
  required.erase(std::find(required.begin(), required.end(), "hash"));
  DecisionBody body = body_of(info->tag);
  json body_schema = std::visit([&](auto& x) { return s.of(x); }, body);
  if (info->step) body_schema["properties"]["step"] = {{"const", to_string(*info->step)}};
  props["body"] = body_schema;
  props["kind"] = {{"const", std::string(kind)}};
  props["format"] = {{"type", "integer"}, {"minimum", 5}, {"maximum", kDecisionFormat}};
  for (const char* k : {"body", "kind", "format"}) required.push_back(k);
  const json schema = {
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"$id", "https://jiayuan.songjiang.gov.cn/schema/decisions/" + std::string(kind) + ".json"},
      {"title", decision_event_type(kind)},
      {"description",
       "A decision of jiayuan's engine as jiayuan.decisions carries it (the CloudEvent's data, "
       "content-type application/json); its hash is SHA-256 of these bytes, in the record's "
       "ce_jiayuanhash header. Generated from events/decision_fields.h."},
      {"type", "object"},
      {"properties", props},
      {"required", required},
      {"additionalProperties", false}};
  return schema.dump(2) + "\n";
}

}  // namespace jiayuan
