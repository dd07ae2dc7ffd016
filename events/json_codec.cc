#include "events/json_codec.h"

#include <nlohmann/json.hpp>

#include "events/fields.h"
#include "events/json_limits.h"

namespace jiayuan {
namespace {

using json = nlohmann::json;

std::string describe(const json& v) {
  std::string s = printable(v.dump(-1, ' ', false, json::error_handler_t::replace), 57);
  switch (v.type()) {
    case json::value_t::string:
      return "the string " + s;
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "the boolean " + s;
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return s;
  }
}

// "\"text\"" (appended, not `"\"" + s`: GCC 12 at -O3 warns falsely on that form, PR 105651).
std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  return out.append("\"").append(s).append("\"");
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
  // `inexact`: paths of numbers with more than two decimals (json_limits), which the double
  // read here cannot tell apart from their rounding.
  ObjectReader(const json& obj, std::string path,
               const std::vector<std::pair<std::string, std::string>>* inexact)
      : obj_(obj), path_(std::move(path)), inexact_(inexact) {}

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
    if (!v->is_string())
      return fail(field_error("wrong_type", join(path_, key), "a string", describe(*v)));
    std::string s = v->get<std::string>();
    if (s.empty())
      return fail(field_error("missing_field", join(path_, key), "a non-empty string", "\"\""));
    return s;
  }
  // An id (a community's, a fact's, a source's): at most kMaxIdBytes, no control characters.
  Result<std::string> identifier(const char* key, bool optional = false) {
    JY_TRY(std::string s, optional ? optional_string(key) : string(key));
    JY_CHECK(check_identifier(s, join(path_, key)));
    return s;
  }
  Result<std::string> optional_string(const char* key) {
    const json* v = optional(key);
    if (v == nullptr) return std::string();
    if (!v->is_string())
      return fail(field_error("wrong_type", join(path_, key), "a string", describe(*v)));
    return v->get<std::string>();
  }
  Result<int64_t> integer(const char* key, int64_t lo, int64_t hi) {
    JY_TRY(const json* v, required(key));
    return integer_value(*v, join(path_, key), lo, hi);
  }
  Result<Centi> number(const char* key, Centi lo, Centi hi) {
    JY_TRY(const json* v, required(key));
    const std::string path = join(path_, key);
    if (inexact_ != nullptr) {
      for (const auto& [at, text] : *inexact_) {
        if (at == path) {
          return fail(field_error(
              "bad_number", path,
              "a number " + lo.to_string() + ".." + hi.to_string() + " with at most two decimals",
              text));
        }
      }
    }
    return centi_value(*v, path, lo, hi);
  }
  Result<Date> date(const char* key) {
    JY_TRY(std::string s, string(key));
    auto d = Date::parse(s);
    if (!d)
      return fail(field_error("bad_date", join(path_, key), "a date YYYY-MM-DD",
                              "\"" + printable(s) + "\""));
    return *d;
  }
  template <class E>
  Result<E> one_of(const char* key, std::span<const std::string_view> names) {
    JY_TRY(std::string s, string(key));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == s) return static_cast<E>(i);
    }
    std::string expected = "one of";
    for (size_t i = 0; i < names.size(); ++i) expected.append(i ? ", " : " ").append(names[i]);
    return fail(field_error("bad_enum", join(path_, key), expected, "\"" + printable(s) + "\""));
  }
  Result<bool> boolean(const char* key) {
    JY_TRY(const json* v, required(key));
    if (!v->is_boolean())
      return fail(field_error("wrong_type", join(path_, key), "true or false", describe(*v)));
    return v->get<bool>();
  }
  Result<std::optional<Date>> optional_date(const char* key) {
    if (optional(key) == nullptr) return std::optional<Date>();
    JY_TRY(Date d, date(key));
    return std::optional<Date>(d);
  }
  Result<ObjectReader> object(const char* key) {
    JY_TRY(const json* v, required(key));
    if (!v->is_object())
      return fail(field_error("wrong_type", join(path_, key), "an object", describe(*v)));
    return ObjectReader(*v, join(path_, key), inexact_);
  }
  std::string path(const char* key) const { return join(path_, key); }
  Status no_other_fields() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      bool known = false;
      for (const char* k : seen_) known = known || it.key() == k;
      if (!known) {
        return fail(field_error("unexpected_field", join(path_, it.key()), "no such field",
                                describe(it.value())));
      }
    }
    return {};
  }

  static Status check_identifier(const std::string& s, const std::string& path) {
    constexpr size_t kMaxIdBytes = 200;
    if (s.size() > kMaxIdBytes) {
      return fail(field_error("too_long", path,
                              "an id of at most " + std::to_string(kMaxIdBytes) + " bytes",
                              std::to_string(s.size()) + " bytes"));
    }
    for (unsigned char c : s) {
      if (c < 0x20 || c == 0x7F) {
        return fail(field_error("bad_id", path, "an id without control characters",
                                in_quotes(printable(s, 60))));
      }
    }
    return {};
  }
  // Free text (a name, a reason): no control characters but tab and line breaks.
  static Status check_text(const std::string& s, const std::string& path) {
    for (unsigned char c : s) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        return fail(field_error("bad_text", path, "text without control characters",
                                in_quotes(printable(s, 60))));
      }
    }
    return {};
  }

  static Result<int64_t> integer_value(const json& v, const std::string& path, int64_t lo,
                                       int64_t hi) {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (!v.is_number_integer())
      return fail(field_error("wrong_type", path, "an integer " + range, describe(v)));
    const int64_t n =
        v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX ? INT64_MAX : v.get<int64_t>();
    if (n < lo || n > hi)
      return fail(field_error("out_of_range", path, "an integer " + range, describe(v)));
    return n;
  }
  static Result<Centi> centi_value(const json& v, const std::string& path, Centi lo, Centi hi) {
    const std::string range =
        "a number " + lo.to_string() + ".." + hi.to_string() + " with at most two decimals";
    if (!v.is_number()) return fail(field_error("wrong_type", path, range, describe(v)));
    auto c = Centi::from_double(v.get<double>());
    if (!c) return fail(field_error("bad_number", path, range, describe(v)));
    if (*c < lo || *c > hi) return fail(field_error("out_of_range", path, range, describe(v)));
    return *c;
  }

 private:
  const json& obj_;
  std::string path_;
  const std::vector<std::pair<std::string, std::string>>* inexact_;
  std::vector<const char*> seen_;
};

// Reads each field of a fact from its JSON object, stopping at the first error.
class Decoder {
 public:
  Decoder(ObjectReader& r, int32_t version) : r_(r), version_(version) {}
  template <class T>
  void operator()(const char* name, T& member, internal::Spec spec = {}) {
    if (error_ || spec.since > version_ || !spec.in_json)
      return;  // not in this version: the default stands
    if (spec.patch_bit != 0 && version_ >= 2) {
      if (r_.optional(name) == nullptr) return;  // a patch: absent when it does not change
      present_ |= spec.patch_bit;
    }
    Status s = read(name, member, spec);
    if (!s) error_ = s.error();
  }
  const std::optional<Error>& error() const { return error_; }
  int32_t present() const { return present_; }  // the patch fields present

 private:
  template <class Tag>
  Status read(const char* name, Id<Tag>& id, internal::Spec spec) {
    JY_TRY(id.value, r_.identifier(name, spec.optional));
    return {};
  }
  Status read(const char* name, std::string& s, internal::Spec spec) {
    JY_TRY(s, spec.optional ? r_.optional_string(name) : r_.string(name));
    return ObjectReader::check_text(s, r_.path(name));
  }
  Status read(const char* name, int32_t& n, internal::Spec spec) {
    JY_TRY(int64_t v, r_.integer(name, spec.lo, spec.hi));
    n = static_cast<int32_t>(v);
    return {};
  }
  Status read(const char* name, Centi& c, internal::Spec spec) {
    JY_TRY(c, r_.number(name, Centi{spec.lo}, Centi{spec.hi}));
    return {};
  }
  Status read(const char* name, bool& b, internal::Spec) {
    JY_TRY(b, r_.boolean(name));
    return {};
  }
  Status read(const char* name, std::optional<Date>& d, internal::Spec) {
    JY_TRY(d, r_.optional_date(name));
    return {};
  }
  Status read(const char* name, std::array<Centi, kDimensionCount>& scores, internal::Spec spec) {
    JY_TRY(ObjectReader obj, r_.object(name));
    for (size_t i = 0; i < kDimensionCount; ++i) {
      JY_TRY(scores[i], obj.number(kDimensionNames[i].data(), Centi{spec.lo}, Centi{spec.hi}));
    }
    return obj.no_other_fields();
  }
  template <class E>
  requires std::is_enum_v<E> Status read(const char* name, E& e, internal::Spec) {
    JY_TRY(e, r_.template one_of<E>(name, internal::enum_names(e)));
    return {};
  }

  ObjectReader& r_;
  int32_t version_;
  std::optional<Error> error_;
  int32_t present_ = 0;
};

// Writes each field of a fact into a JSON object.
class Encoder {
 public:
  explicit Encoder(int32_t patch = 0) : patch_(patch) {}
  template <class T>
  void operator()(const char* name, const T& member, internal::Spec spec = {}) {
    if (!spec.in_json || (spec.patch_bit != 0 && patch_ != 0 && (patch_ & spec.patch_bit) == 0))
      return;
    write(name, member, spec);
  }
  json& out() { return out_; }

 private:
  template <class Tag>
  void write(const char* name, const Id<Tag>& id, internal::Spec spec) {
    if (!(spec.optional && id.empty())) out_[name] = id.value;
  }
  void write(const char* name, const std::string& s, internal::Spec spec) {
    if (!(spec.optional && s.empty())) out_[name] = s;
  }
  void write(const char* name, int32_t n, internal::Spec) { out_[name] = n; }
  void write(const char* name, Centi c, internal::Spec) { out_[name] = c.to_double(); }
  void write(const char* name, bool b, internal::Spec) { out_[name] = b; }
  void write(const char* name, const std::optional<Date>& d, internal::Spec) {
    if (d) out_[name] = d->to_string();
  }
  void write(const char* name, const std::array<Centi, kDimensionCount>& scores, internal::Spec) {
    json obj = json::object();
    for (size_t i = 0; i < kDimensionCount; ++i)
      obj[std::string(kDimensionNames[i])] = scores[i].to_double();
    out_[name] = std::move(obj);
  }
  template <class E>
  requires std::is_enum_v<E>
  void write(const char* name, E e, internal::Spec) {
    out_[name] = std::string(internal::enum_names(e)[static_cast<size_t>(e)]);
  }

  json out_ = json::object();
  int32_t patch_;  // the patch fields to write; 0: all
};

template <size_t I = 0>
Result<Fact> decode_data(const FactTypeInfo& type, int32_t version, ObjectReader& d) {
  if constexpr (I == std::variant_size_v<Fact>) {
    return fail("unknown_type", "type " + std::string(type.name) + " has no JSON decoder");
  } else {
    if (fact_types()[I].tag != type.tag) return decode_data<I + 1>(type, version, d);
    std::variant_alternative_t<I, Fact> f;
    Decoder dec(d, version);
    internal::fields(dec, f);
    if (dec.error()) return fail(*dec.error());
    JY_CHECK(d.no_other_fields());
    if constexpr (std::is_same_v<decltype(f), CommunityChanged>) {
      if (version >= 2 && dec.present() == 0) {
        return fail(field_error("missing_field", "data",
                                "at least one particular that changes (name, street, households, "
                                "fee, enclosure or category) beside data.community",
                                "only data.community"));
      }
      f.changed = dec.present();
    }
    return Fact(std::move(f));
  }
}

// Checks that span fields: what a single field's range cannot say.
Status check_fact(const Fact& fact) {
  if (const auto* m = std::get_if<MediaReport>(&fact)) {
    if (m->company.empty() && m->community.empty()) {
      return fail(field_error("missing_field", "data.company",
                              "a company or a community (data.community) named", "neither"));
    }
  }
  if (const auto* r = std::get_if<CompanyRegistered>(&fact)) {
    const std::string& code = r->credit_code;
    if (code.size() != 18) {
      return fail(field_error(
          "bad_credit_code", "data.credit_code",
          "a unified social credit code of 18 characters (GB 32100-2015)",
          "\"" + printable(code) + "\" (" + std::to_string(code.size()) + " characters)"));
    }
    const std::optional<char> check =
        credit_code_check_character(std::string_view(code).substr(0, 17));
    if (!check) {
      return fail(
          field_error("bad_credit_code", "data.credit_code",
                      "digits and capital letters other than I, O, S, V and Z (GB 32100-2015)",
                      "\"" + printable(code) + "\""));
    }
    if (code[17] != *check) {
      return fail(
          field_error("bad_credit_code", "data.credit_code",
                      std::string("the check character ") + *check + " (GB 32100-2015) at the end",
                      "\"" + printable(code) + "\" (ends in " + code[17] + ")"));
    }
  }
  if (const auto* c = std::get_if<CommitteeElected>(&fact)) {
    if (c->party_members > c->members) {
      return fail(field_error("out_of_range", "data.party_members",
                              "at most data.members (" + std::to_string(c->members) + ")",
                              std::to_string(c->party_members)));
    }
  }
  return {};
}

json data_json(const Fact& fact) {
  return std::visit(
      [](const auto& f) {
        int32_t patch = 0;
        if constexpr (std::is_same_v<std::decay_t<decltype(f)>, CommunityChanged>)
          patch = f.changed;
        Encoder enc(patch);
        internal::fields(enc, const_cast<std::decay_t<decltype(f)>&>(f));
        return std::move(enc.out());
      },
      fact);
}

}  // namespace

Result<Event> decode_event_json(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> inexact;
  JY_CHECK(check_json(text, JsonLimits{}, "(event)", &inexact));
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    return fail("bad_json", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) {
    return fail(field_error("wrong_type", "(event)", "a JSON object", describe(doc)));
  }
  ObjectReader r(doc, "", &inexact);
  Event ev;
  Envelope& env = ev.envelope;
  JY_TRY(env.specversion, r.string("specversion"));
  if (env.specversion != "1.0") {
    return fail(field_error("bad_enum", "specversion", "\"1.0\"",
                            "\"" + printable(env.specversion) + "\""));
  }
  JY_TRY(env.id, r.identifier("id"));
  JY_TRY(env.source, r.identifier("source"));
  JY_TRY(env.type, r.identifier("type"));
  JY_TRY(env.time, r.identifier("time", true));
  JY_TRY(env.subject, r.identifier("subject", true));
  JY_TRY(env.dataschema, r.optional_string("dataschema"));
  JY_CHECK(ObjectReader::check_text(env.dataschema, "dataschema"));
  JY_TRY(env.occurred, r.date("occurred"));
  const FactTypeInfo* type = find_fact_type(env.type);
  if (type == nullptr) {
    std::string known;
    for (const auto& t : fact_types()) known.append(known.empty() ? "" : ", ").append(t.name);
    return fail(
        field_error("unknown_type", "type", "one of " + known, "\"" + printable(env.type) + "\""));
  }
  env.schema_version = type->schema_version;
  if (const json* v = r.optional("schemaversion")) {
    JY_TRY(int64_t version,
           ObjectReader::integer_value(*v, "schemaversion", 1, type->schema_version));
    env.schema_version = static_cast<int32_t>(version);
  }
  JY_TRY(ObjectReader data, r.object("data"));
  JY_TRY(ev.fact, decode_data(*type, env.schema_version, data));
  env.schema_version = type->schema_version;  // read as the current version (upcast)
  if (!inexact.empty()) {  // read by no field as a number (every field was read, none failed)
    return fail(field_error("bad_number", inexact.front().first,
                            "a number with at most two decimals", inexact.front().second));
  }
  JY_CHECK(check_fact(ev.fact));
  const std::string subject = subject_of(ev.fact);
  if (env.subject.empty()) {
    env.subject = subject;
  } else if (!subject.empty() &&
             env.subject != subject) {  // a retraction names no subject of its own
    return fail(field_error("subject_mismatch", "subject",
                            "the id the data names (\"" + subject + "\")",
                            "\"" + printable(env.subject) + "\""));
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
           {"schemaversion", type_info(event.fact).schema_version},
           {"data", data_json(event.fact)}};
  if (!e.time.empty()) doc["time"] = e.time;
  if (!e.dataschema.empty()) doc["dataschema"] = e.dataschema;
  return doc.dump();
}

}  // namespace jiayuan
