#include "events/json_codec.h"

#include <nlohmann/json.hpp>

namespace jiayuan {
namespace {

using json = nlohmann::json;

std::string describe(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  switch (v.type()) {
    case json::value_t::string: return "the string " + s;
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "the boolean " + s;
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return s;
  }
}

std::string join(std::string_view path, std::string_view key) {
  std::string p(path);
  if (!p.empty()) p += '.';
  p += key;
  return p;
}

// One JSON object being read, with its path for messages. Every field read is remembered so
// that unexpected fields can be reported.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  Result<const json*> required(const char* key) {
    seen_.push_back(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      return fail(field_error("missing_field", join(path_, key), "a value", "nothing"));
    }
    return &*it;
  }
  const json* optional(const char* key) {
    seen_.push_back(key);
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  Result<std::string> string(const char* key) {
    JY_TRY(const json* v, required(key));
    if (!v->is_string()) return fail(field_error("wrong_type", join(path_, key), "a string", describe(*v)));
    std::string s = v->get<std::string>();
    if (s.empty()) return fail(field_error("missing_field", join(path_, key), "a non-empty string", "\"\""));
    return s;
  }
  Result<std::string> optional_string(const char* key) {
    const json* v = optional(key);
    if (v == nullptr) return std::string();
    if (!v->is_string()) return fail(field_error("wrong_type", join(path_, key), "a string", describe(*v)));
    return v->get<std::string>();
  }
  Result<int64_t> integer(const char* key, int64_t lo, int64_t hi) {
    JY_TRY(const json* v, required(key));
    return integer_value(*v, join(path_, key), lo, hi);
  }
  Result<Centi> number(const char* key, Centi lo, Centi hi) {
    JY_TRY(const json* v, required(key));
    return centi_value(*v, join(path_, key), lo, hi);
  }
  Result<Date> date(const char* key) {
    JY_TRY(std::string s, string(key));
    auto d = Date::parse(s);
    if (!d) return fail(field_error("bad_date", join(path_, key), "a date YYYY-MM-DD", "\"" + s + "\""));
    return *d;
  }
  template <class E, size_t N>
  Result<E> one_of(const char* key, const std::array<std::string_view, N>& names) {
    JY_TRY(std::string s, string(key));
    for (size_t i = 0; i < N; ++i) {
      if (names[i] == s) return static_cast<E>(i);
    }
    std::string expected = "one of";
    for (size_t i = 0; i < N; ++i) expected.append(i ? ", " : " ").append(names[i]);
    return fail(field_error("bad_enum", join(path_, key), expected, "\"" + s + "\""));
  }
  Result<ObjectReader> object(const char* key) {
    JY_TRY(const json* v, required(key));
    if (!v->is_object()) return fail(field_error("wrong_type", join(path_, key), "an object", describe(*v)));
    return ObjectReader(*v, join(path_, key));
  }
  Status no_other_fields() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      bool known = false;
      for (const char* k : seen_) known = known || it.key() == k;
      if (!known) {
        return fail(field_error("unexpected_field", join(path_, it.key()), "no such field", describe(it.value())));
      }
    }
    return {};
  }

  static Result<int64_t> integer_value(const json& v, const std::string& path, int64_t lo, int64_t hi) {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (!v.is_number_integer()) return fail(field_error("wrong_type", path, "an integer " + range, describe(v)));
    const int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX ? INT64_MAX : v.get<int64_t>();
    if (n < lo || n > hi) return fail(field_error("out_of_range", path, "an integer " + range, describe(v)));
    return n;
  }
  static Result<Centi> centi_value(const json& v, const std::string& path, Centi lo, Centi hi) {
    const std::string range = "a number " + lo.to_string() + ".." + hi.to_string() + " with at most two decimals";
    if (!v.is_number()) return fail(field_error("wrong_type", path, range, describe(v)));
    auto c = Centi::from_double(v.get<double>());
    if (!c) return fail(field_error("bad_number", path, range, describe(v)));
    if (*c < lo || *c > hi) return fail(field_error("out_of_range", path, range, describe(v)));
    return *c;
  }

 private:
  const json& obj_;
  std::string path_;
  std::vector<const char*> seen_;
};

constexpr std::array<std::string_view, 2> kEnclosureNames = {"closed", "scattered"};
constexpr std::array<std::string_view, 5> kCategoryNames = {"commodity", "mixed", "relocation",
                                                            "affordable", "scattered_public"};
const Centi kScoreMin = Centi::whole(0);
const Centi kScoreMax = Centi::whole(100);

Result<Fact> decode_registered(ObjectReader& d) {
  CommunityRegistered f;
  JY_TRY(f.community.value, d.string("community"));
  JY_TRY(f.name, d.string("name"));
  JY_TRY(f.street.value, d.string("street"));
  JY_TRY(int64_t households, d.integer("households", 0, 1'000'000));
  f.households = static_cast<int32_t>(households);
  JY_TRY(f.fee, d.number("fee", Centi::whole(0), Centi::whole(1000)));
  JY_TRY(f.enclosure, d.one_of<Enclosure>("enclosure", kEnclosureNames));
  JY_TRY(f.category, d.one_of<Category>("category", kCategoryNames));
  return Fact(std::move(f));
}

Result<Fact> decode_inspection(ObjectReader& d) {
  Inspection f;
  JY_TRY(f.community.value, d.string("community"));
  JY_TRY(ObjectReader scores, d.object("scores"));
  for (size_t i = 0; i < kDimensionCount; ++i) {
    JY_TRY(f.scores[i], scores.number(kDimensionNames[i].data(), kScoreMin, kScoreMax));
  }
  JY_CHECK(scores.no_other_fields());
  return Fact(std::move(f));
}

Result<Fact> decode_survey(ObjectReader& d) {
  SatisfactionSurvey f;
  JY_TRY(f.community.value, d.string("community"));
  JY_TRY(f.satisfaction, d.number("satisfaction", kScoreMin, kScoreMax));
  return Fact(std::move(f));
}

Result<Fact> decode_review_closed(ObjectReader& d) {
  ReviewClosed f;
  JY_TRY(f.community.value, d.string("community"));
  JY_TRY(int64_t year, d.integer("year", 2000, 2100));
  f.year = static_cast<int32_t>(year);
  return Fact(std::move(f));
}

Result<Fact> decode_data(const FactTypeInfo& type, ObjectReader& d) {
  Result<Fact> f = fail("bad_type", "no decoder");
  switch (type.tag) {
    case 1: f = decode_registered(d); break;
    case 10: f = decode_inspection(d); break;
    case 11: f = decode_survey(d); break;
    case 40: f = decode_review_closed(d); break;
    default: return fail("bad_type", "type " + std::string(type.name) + " has no JSON decoder");
  }
  if (!f) return f;
  JY_CHECK(d.no_other_fields());
  return f;
}

json data_json(const Fact& fact) {
  struct Visitor {
    json operator()(const CommunityRegistered& f) const {
      return json{{"community", f.community.value}, {"name", f.name},
                  {"street", f.street.value},       {"households", f.households},
                  {"fee", f.fee.to_double()},       {"enclosure", to_string(f.enclosure)},
                  {"category", to_string(f.category)}};
    }
    json operator()(const Inspection& f) const {
      json scores = json::object();
      for (size_t i = 0; i < kDimensionCount; ++i) {
        scores[std::string(kDimensionNames[i])] = f.scores[i].to_double();
      }
      return json{{"community", f.community.value}, {"scores", std::move(scores)}};
    }
    json operator()(const SatisfactionSurvey& f) const {
      return json{{"community", f.community.value}, {"satisfaction", f.satisfaction.to_double()}};
    }
    json operator()(const ReviewClosed& f) const {
      return json{{"community", f.community.value}, {"year", f.year}};
    }
  };
  return std::visit(Visitor{}, fact);
}

}  // namespace

Result<Event> decode_event_json(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return fail("bad_json", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) {
    return fail(field_error("wrong_type", "(event)", "a JSON object", describe(doc)));
  }
  ObjectReader r(doc, "");
  Event ev;
  Envelope& env = ev.envelope;
  JY_TRY(env.specversion, r.string("specversion"));
  if (env.specversion != "1.0") {
    return fail(field_error("bad_enum", "specversion", "\"1.0\"", "\"" + env.specversion + "\""));
  }
  JY_TRY(env.id, r.string("id"));
  JY_TRY(env.source, r.string("source"));
  JY_TRY(env.type, r.string("type"));
  JY_TRY(env.time, r.optional_string("time"));
  JY_TRY(env.subject, r.optional_string("subject"));
  JY_TRY(env.dataschema, r.optional_string("dataschema"));
  JY_TRY(env.occurred, r.date("occurred"));
  const FactTypeInfo* type = find_fact_type(env.type);
  if (type == nullptr) {
    std::string known;
    for (const auto& t : fact_types()) known.append(known.empty() ? "" : ", ").append(t.name);
    return fail(field_error("unknown_type", "type", "one of " + known, "\"" + env.type + "\""));
  }
  env.schema_version = type->schema_version;
  if (const json* v = r.optional("schemaversion")) {
    JY_TRY(int64_t version, ObjectReader::integer_value(*v, "schemaversion", 1, type->schema_version));
    env.schema_version = static_cast<int32_t>(version);
  }
  JY_TRY(ObjectReader data, r.object("data"));
  JY_TRY(ev.fact, decode_data(*type, data));
  const std::string& subject = subject_of(ev.fact);
  if (env.subject.empty()) {
    env.subject = subject;
  } else if (env.subject != subject) {
    return fail(field_error("subject_mismatch", "subject", "the id the data names (\"" + subject + "\")",
                            "\"" + env.subject + "\""));
  }
  return ev;
}

std::string encode_fact_data_json(const Fact& fact) { return data_json(fact).dump(); }

std::string encode_event_json(const Event& event) {
  const Envelope& e = event.envelope;
  json doc{{"specversion", e.specversion},
           {"id", e.id},
           {"source", e.source},
           {"type", std::string(type_name(event.fact))},
           {"subject", e.subject},
           {"occurred", e.occurred.to_string()},
           {"schemaversion", e.schema_version},
           {"data", data_json(event.fact)}};
  if (!e.time.empty()) doc["time"] = e.time;
  if (!e.dataschema.empty()) doc["dataschema"] = e.dataschema;
  return doc.dump();
}

}  // namespace jiayuan
