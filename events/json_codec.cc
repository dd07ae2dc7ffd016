#include "events/json_codec.h"

#include <algorithm>
#include <charconv>

#include "events/fields.h"
#include "events/internal/json_tape.h"
#include "events/json_limits.h"

namespace jiayuan {
namespace {

using internal::JsonTape;
using Inexact = std::vector<std::pair<std::string, std::string>>;

// A value as a message quotes it: "the string \"red\"", "130", "an object".
std::string describe(const JsonTape::Value& v) {
  switch (v.kind) {
    case JsonTape::Kind::kString: {
      std::string quoted;
      internal::append_json_string(quoted, v.text);
      return "the string " + printable(quoted, 57);
    }
    case JsonTape::Kind::kNull:
      return "null";
    case JsonTape::Kind::kTrue:
      return "the boolean true";
    case JsonTape::Kind::kFalse:
      return "the boolean false";
    case JsonTape::Kind::kArray:
      return "an array";
    case JsonTape::Kind::kObject:
      return "an object";
    default:
      return printable(v.text, 57);
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
  ObjectReader(const JsonTape& tape, uint32_t obj, std::string path, const Inexact* inexact)
      : tape_(tape), obj_(obj), path_(std::move(path)), inexact_(inexact) {}

  // The value's index on the tape; a missing or null field is an error.
  Result<uint32_t> required(const char* key) {
    const uint32_t v = optional(key);
    if (v == 0) return fail(field_error("missing_field", join(path_, key), "a value", "nothing"));
    return v;
  }
  // The value's index on the tape, or 0 when the field is missing or null.
  uint32_t optional(const char* key) {
    seen_.push_back(key);
    const uint32_t v = tape_.find(obj_, key);
    return v == 0 || tape_.at(v).kind == JsonTape::Kind::kNull ? 0 : v;
  }

  Result<std::string_view> string(const char* key) {
    JY_TRY(const uint32_t v, required(key));
    const JsonTape::Value& value = tape_.at(v);
    if (value.kind != JsonTape::Kind::kString)
      return fail(field_error("wrong_type", join(path_, key), "a string", describe(value)));
    if (value.text.empty())
      return fail(field_error("missing_field", join(path_, key), "a non-empty string", "\"\""));
    return value.text;
  }
  // An id (a community's, a fact's, a source's): at most kMaxIdBytes, no control characters.
  Result<std::string> identifier(const char* key, bool optional = false) {
    JY_TRY(std::string_view s, optional ? optional_string(key) : string(key));
    JY_CHECK(check_identifier(s, join(path_, key)));
    return std::string(s);
  }
  Result<std::string_view> optional_string(const char* key) {
    const uint32_t v = optional(key);
    if (v == 0) return std::string_view();
    const JsonTape::Value& value = tape_.at(v);
    if (value.kind != JsonTape::Kind::kString)
      return fail(field_error("wrong_type", join(path_, key), "a string", describe(value)));
    return value.text;
  }
  Result<int64_t> integer(const char* key, int64_t lo, int64_t hi) {
    JY_TRY(const uint32_t v, required(key));
    return integer_value(tape_.at(v), join(path_, key), lo, hi);
  }
  Result<Centi> number(const char* key, Centi lo, Centi hi) {
    JY_TRY(const uint32_t v, required(key));
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
    return centi_value(tape_.at(v), path, lo, hi);
  }
  Result<Date> date(const char* key) {
    JY_TRY(std::string_view s, string(key));
    auto d = Date::parse(s);
    if (!d)
      return fail(
          field_error("bad_date", join(path_, key), "a date YYYY-MM-DD", in_quotes(printable(s))));
    return *d;
  }
  template <class E>
  Result<E> one_of(const char* key, std::span<const std::string_view> names) {
    JY_TRY(std::string_view s, string(key));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == s) return static_cast<E>(i);
    }
    std::string expected = "one of";
    for (size_t i = 0; i < names.size(); ++i) expected.append(i ? ", " : " ").append(names[i]);
    return fail(field_error("bad_enum", join(path_, key), expected, in_quotes(printable(s))));
  }
  Result<bool> boolean(const char* key) {
    JY_TRY(const uint32_t v, required(key));
    const JsonTape::Value& value = tape_.at(v);
    if (value.kind != JsonTape::Kind::kTrue && value.kind != JsonTape::Kind::kFalse)
      return fail(field_error("wrong_type", join(path_, key), "true or false", describe(value)));
    return value.kind == JsonTape::Kind::kTrue;
  }
  Result<std::optional<Date>> optional_date(const char* key) {
    if (optional(key) == 0) return std::optional<Date>();
    JY_TRY(Date d, date(key));
    return std::optional<Date>(d);
  }
  Result<ObjectReader> object(const char* key) {
    JY_TRY(const uint32_t v, required(key));
    if (tape_.at(v).kind != JsonTape::Kind::kObject)
      return fail(field_error("wrong_type", join(path_, key), "an object", describe(tape_.at(v))));
    return ObjectReader(tape_, v, join(path_, key), inexact_);
  }
  std::string path(const char* key) const { return join(path_, key); }
  // The first field no read asked for, in byte order of the keys (as the object's keys sort).
  Status no_other_fields() const {
    std::optional<std::string_view> first;
    for (uint32_t k = tape_.first_member(obj_); k != 0; k = tape_.next_member(obj_, k)) {
      const std::string_view key = tape_.at(k).text;
      bool known = false;
      for (const char* s : seen_) known = known || key == s;
      if (!known && (!first || key < *first)) first = key;
    }
    if (!first) return {};
    return fail(field_error("unexpected_field", join(path_, *first), "no such field",
                            describe(tape_.at(tape_.find(obj_, *first)))));
  }

  static Status check_identifier(std::string_view s, const std::string& path) {
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
  static Status check_text(std::string_view s, const std::string& path) {
    for (unsigned char c : s) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        return fail(field_error("bad_text", path, "text without control characters",
                                in_quotes(printable(s, 60))));
      }
    }
    return {};
  }

  static Result<int64_t> integer_value(const JsonTape::Value& v, const std::string& path,
                                       int64_t lo, int64_t hi) {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (v.kind != JsonTape::Kind::kInteger)
      return fail(field_error("wrong_type", path, "an integer " + range, describe(v)));
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
    if (ec != std::errc() || n < lo || n > hi)  // too large for 64 bits is out of range too
      return fail(field_error("out_of_range", path, "an integer " + range, describe(v)));
    return n;
  }
  static Result<Centi> centi_value(const JsonTape::Value& v, const std::string& path, Centi lo,
                                   Centi hi) {
    const std::string range =
        "a number " + lo.to_string() + ".." + hi.to_string() + " with at most two decimals";
    if (v.kind != JsonTape::Kind::kInteger && v.kind != JsonTape::Kind::kNumber)
      return fail(field_error("wrong_type", path, range, describe(v)));
    double d = 0;
    const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
    if (ec != std::errc())  // beyond a double (1e999): out of any range a field has
      return fail(field_error("out_of_range", path, range, describe(v)));
    auto c = Centi::from_double(d);
    if (!c) return fail(field_error("bad_number", path, range, describe(v)));
    if (*c < lo || *c > hi) return fail(field_error("out_of_range", path, range, describe(v)));
    return *c;
  }

 private:
  const JsonTape& tape_;
  uint32_t obj_;
  std::string path_;
  const Inexact* inexact_;
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
      if (r_.optional(name) == 0) return;  // a patch: absent when it does not change
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
    JY_TRY(std::string_view v, spec.optional ? r_.optional_string(name) : r_.string(name));
    JY_CHECK(ObjectReader::check_text(v, r_.path(name)));
    s.assign(v);
    return {};
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

// A JSON object written as nlohmann::json::dump writes one: keys in byte order, no spaces.
class CanonicalObject {
 public:
  // `key` must outlive the object; `value` is JSON text.
  void add(std::string_view key, std::string value) {
    members_.emplace_back(key, std::move(value));
  }
  void add_string(std::string_view key, std::string_view value) {
    std::string text;
    internal::append_json_string(text, value);
    add(key, std::move(text));
  }
  std::string str() {
    std::sort(members_.begin(), members_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t bytes = 2;
    for (const auto& [k, v] : members_) bytes += k.size() + v.size() + 4;
    std::string out;
    out.reserve(bytes);
    out += '{';
    for (const auto& [k, v] : members_) {
      if (out.size() > 1) out += ',';
      internal::append_json_string(out, k);
      out += ':';
      out += v;
    }
    out += '}';
    return out;
  }

 private:
  std::vector<std::pair<std::string_view, std::string>> members_;
};

std::string centi_json(Centi c) {
  std::string out;
  internal::append_json_centi(out, c.hundredths);
  return out;
}

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
  CanonicalObject& out() { return out_; }

 private:
  template <class Tag>
  void write(const char* name, const Id<Tag>& id, internal::Spec spec) {
    if (!(spec.optional && id.empty())) out_.add_string(name, id.value);
  }
  void write(const char* name, const std::string& s, internal::Spec spec) {
    if (!(spec.optional && s.empty())) out_.add_string(name, s);
  }
  void write(const char* name, int32_t n, internal::Spec) { out_.add(name, std::to_string(n)); }
  void write(const char* name, Centi c, internal::Spec) { out_.add(name, centi_json(c)); }
  void write(const char* name, bool b, internal::Spec) { out_.add(name, b ? "true" : "false"); }
  void write(const char* name, const std::optional<Date>& d, internal::Spec) {
    if (d) out_.add_string(name, d->to_string());
  }
  void write(const char* name, const std::array<Centi, kDimensionCount>& scores, internal::Spec) {
    CanonicalObject obj;
    for (size_t i = 0; i < kDimensionCount; ++i) obj.add(kDimensionNames[i], centi_json(scores[i]));
    out_.add(name, obj.str());
  }
  template <class E>
  requires std::is_enum_v<E>
  void write(const char* name, E e, internal::Spec) {
    out_.add_string(name, internal::enum_names(e)[static_cast<size_t>(e)]);
  }

  CanonicalObject out_;
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

std::string data_json(const Fact& fact) {
  return std::visit(
      [](const auto& f) {
        int32_t patch = 0;
        if constexpr (std::is_same_v<std::decay_t<decltype(f)>, CommunityChanged>)
          patch = f.changed;
        Encoder enc(patch);
        internal::fields(enc, const_cast<std::decay_t<decltype(f)>&>(f));
        return enc.out().str();
      },
      fact);
}

}  // namespace

Result<Event> decode_event_json(std::string_view text) {
  Inexact inexact;
  JY_CHECK(check_json(text, JsonLimits{}, "(event)", &inexact));
  thread_local JsonTape tape;  // its buffers are kept from one event to the next
  JY_CHECK(tape.parse(text));
  if (tape.at(0).kind != JsonTape::Kind::kObject) {
    return fail(field_error("wrong_type", "(event)", "a JSON object", describe(tape.at(0))));
  }
  ObjectReader r(tape, 0, "", &inexact);
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
  if (const uint32_t v = r.optional("schemaversion"); v != 0) {
    JY_TRY(int64_t version,
           ObjectReader::integer_value(tape.at(v), "schemaversion", 1, type->schema_version));
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

std::string encode_fact_data_json(const Fact& fact) { return data_json(fact); }

std::string encode_event_json(const Event& event) {
  const Envelope& e = event.envelope;
  CanonicalObject doc;
  doc.add_string("specversion", e.specversion);
  doc.add_string("id", e.id);
  doc.add_string("source", e.source);
  doc.add_string("type", type_name(event.fact));
  doc.add_string("subject", e.subject);
  doc.add_string("occurred", e.occurred.to_string());
  doc.add("schemaversion", std::to_string(type_info(event.fact).schema_version));
  doc.add("data", data_json(event.fact));
  if (!e.time.empty()) doc.add_string("time", e.time);
  if (!e.dataschema.empty()) doc.add_string("dataschema", e.dataschema);
  return doc.str();
}

}  // namespace jiayuan
