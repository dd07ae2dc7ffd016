#include "events/binary_codec.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <ostream>
#include <streambuf>
#include <type_traits>
#include <vector>

#include "events/decision_fields.h"
#include "events/fields.h"
#include "events/view_stream.h"

namespace jiayuan {

namespace {

// Walks internal::fields() into a cereal archive: the binary form follows the same list as JSON.
// Fields added after `version` are neither written nor read: a stored v1 fact stays v1 bytes,
// and reads back with the newer fields at their defaults.
template <class Archive>
struct CerealFields {
  Archive& ar;
  int32_t version;
  template <class T>
  void operator()(const char*, T& member, internal::Spec spec = {}) {
    if (spec.since <= version) ar(member);
  }
};

template <class Archive, class Fact>
void fact_fields(Archive& ar, Fact& f, int32_t version) {
  CerealFields<Archive> v{ar, version};
  internal::fields(v, f);
}

}  // namespace

template <class A>
void serialize(A& ar, Envelope& e) {
  ar(e.id, e.source, e.specversion, e.type, e.time, e.subject, e.dataschema, e.occurred,
     e.schema_version);
}
template <class A>
void serialize(A& ar, ScoreLine& s) {
  ar(s.name, s.weight, s.count, s.mean);
}
template <class A>
void serialize(A& ar, DeductionLine& d) {
  ar(d.kind, d.detail, d.count, d.per_item, d.cap, d.amount, d.facts);
}
template <class A>
void serialize(A& ar, Thresholds& t) {
  ar(t.exemplary, t.standard, t.passing);
}
template <class A>
void serialize(A& ar, Explanation& x) {
  ar(x.street, x.tier, x.tier_unnamed, x.fee, x.enclosure, x.category, x.inspections, x.surveys,
     x.weight_divisor, x.scores, x.has_score, x.service, x.deductions, x.deductions_total,
     x.final_score, x.thresholds, x.vetoes, x.rule_set_id, x.rule_set_hash);
}
template <class A>
void serialize(A& ar, YearSummary& s) {
  ar(s.company, s.manager, s.households, s.spot_checks, s.spot_checks_passed, s.hotline_complaints,
     s.hotline_on_time, s.petitions_substantiated, s.media_positive, s.media_negative,
     s.credit_points, s.waste_inspections, s.waste_compliant);
}
template <class A>
void serialize(A& ar, CommunityRated& r) {
  ar(r.community, r.name, r.year, r.grade, r.explanation, r.has_proposal, r.proposal,
     r.proposal_flagged, r.summary);
}
template <class A>
void serialize(A& ar, CommunityPublished& p) {
  ar(p.community, p.year, p.grade, p.published_on);
}
// CaseStep and CaseEntry serialise through their members (decisions.h): stage 1 keeps them.
template <class A>
void serialize(A& ar, CaseRevised& c) {
  ar(c.community, c.year, c.entries);
}

// Format 3's tail: what decisions gained after format 2, written after the chain so that
// formats 1 and 2 read as before (these fields empty).
template <class A>
void tail(A& ar, CommunityRated& r) {
  ar(r.rated_on, r.withdrawn, r.explanation.after_review);
}
template <class A>
void tail(A& ar, CommunityPublished& p) {
  ar(p.withdrawn);
}
template <class A>
void tail(A&, CaseStep&) {}
template <class A>
void tail(A&, CaseRevised&) {}

namespace {

constexpr char kFormat = 1;
// Decisions: format 2 adds the hash chain (cause partition and offset, previous hash, hash);
// format 3 the revision (`revises`), the rating's date and withdrawals, proposals after the
// review, and case.revised; format 4 is written from the field lists (decision_fields.h), case
// steps and escalation reasons by number; format 5 has format 4's layout and is hashed over its
// JSON form (decisions.h kJsonHashedFormat). Formats 1 and 2 read with what they lack empty.
constexpr char kWrittenFormat = static_cast<char>(kDecisionFormat);
constexpr char kOldestDecisionFormat = 1;

// The bytes an std::ostream writes, appended to a string.
class StringBuf : public std::streambuf {
 public:
  std::string bytes;

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) bytes.push_back(static_cast<char>(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    bytes.append(s, static_cast<size_t>(n));
    return n;
  }
};

template <class Writer>
std::string encode(char kind, char format, uint16_t tag, Writer&& write) {
  // One stream per thread: constructing an std::ostringstream (its locale) for every stored form
  // cost as much as writing the form. Nothing written here encodes another form inside it.
  thread_local StringBuf buf;
  thread_local std::ostream os(&buf);
  buf.bytes.clear();
  buf.bytes.reserve(256);
  os.clear();
  os.put('J').put(kind).put(format);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(tag);
    write(ar);
  }
  std::string out = std::move(buf.bytes);
  buf.bytes.clear();  // a moved-from string is valid but unspecified
  return out;
}

// Checks the stored form's prefix; the archive then reads from bytes[3].
Status check_prefix(std::string_view bytes, char kind) {
  if (bytes.size() < 3 || bytes[0] != 'J' || bytes[1] != kind) {
    return fail("bad_binary", std::string("not a stored ") + (kind == 'E' ? "event" : "decision"));
  }
  if (bytes[2] != kFormat &&
      !(kind == 'D' && bytes[2] >= kOldestDecisionFormat && bytes[2] <= kWrittenFormat)) {
    return fail("bad_binary",
                "unknown storage format " + std::to_string(static_cast<int>(bytes[2])));
  }
  return {};
}

// Whether visitor V walks T by a field list; whether T is a vector of such.
template <class V, class T>
concept WalkedBy = requires(V& v, T& t) {
  internal::fields(v, t);
};
template <class V, class T>
struct VectorWalkedBy : std::false_type {};
template <class V, class E>
struct VectorWalkedBy<V, std::vector<E>> : std::bool_constant<WalkedBy<V, E>> {};

// Walks decision_fields.h into a cereal archive, recursing into structs and vectors of them.
template <class Archive>
struct DecisionFields {
  Archive& ar;
  int32_t format;
  size_t max_elements =
      0;  // reading: no vector longer than the stored bytes (each element takes one)
  template <class T>
  void operator()(const char*, T& member, internal::Spec spec) {
    if (spec.since > format) return;
    if constexpr (WalkedBy<DecisionFields, T>) {
      internal::fields(*this, member);
    } else if constexpr (VectorWalkedBy<DecisionFields, T>::value) {
      cereal::size_type n = member.size();
      ar(cereal::make_size_tag(n));
      if constexpr (Archive::is_loading::value) {
        if (n > max_elements)
          throw cereal::Exception("a list of " + std::to_string(n) + " in " +
                                  std::to_string(max_elements) + " bytes");
        member.resize(static_cast<size_t>(n));
      }
      for (auto& e : member) internal::fields(*this, e);
    } else {
      ar(member);
    }
  }
};

// Whether a step read by number is one this build knows.
bool valid(const CaseStep& s) {
  return static_cast<size_t>(s.step) < kCaseStepNames.size() &&
         static_cast<size_t>(s.reason) < kEscalationReasonNames.size();
}

template <size_t I = 0>
Result<Fact> read_fact(cereal::PortableBinaryInputArchive& ar, uint16_t tag, int32_t version) {
  if constexpr (I == std::variant_size_v<Fact>) {
    return fail("bad_binary", "unknown fact tag " + std::to_string(tag));
  } else {
    if (fact_types()[I].tag == tag) {
      std::variant_alternative_t<I, Fact> f;
      fact_fields(ar, f, version);
      return Fact(std::move(f));
    }
    return read_fact<I + 1>(ar, tag, version);
  }
}

template <class Body, class Archive>
Body read_body(Archive& ar) {
  Body b;
  ar(b);
  return b;
}

}  // namespace

std::string encode_event_binary(const Event& event, int32_t version) {
  const int32_t written = version > 0 ? version : type_info(event.fact).schema_version;
  return encode('E', kFormat, type_info(event.fact).tag, [&](auto& ar) {
    if (event.envelope.schema_version == written) {  // the usual case: written as it is
      ar(const_cast<Envelope&>(event.envelope));     // cereal's save takes it non-const
    } else {
      Envelope env = event.envelope;
      env.schema_version = written;
      ar(env);
    }
    std::visit(
        [&](const auto& f) { fact_fields(ar, const_cast<std::decay_t<decltype(f)>&>(f), written); },
        event.fact);
  });
}

Result<Event> decode_event_binary(std::string_view bytes) {
  JY_CHECK(check_prefix(bytes, 'E'));
  thread_local ViewStream is;  // nothing read below decodes another event
  is.view(bytes.substr(3));
  try {
    cereal::PortableBinaryInputArchive ar(is);
    uint16_t tag = 0;
    ar(tag);
    Event ev;
    ar(ev.envelope);
    JY_TRY(ev.fact, read_fact(ar, tag, ev.envelope.schema_version));
    ev.envelope.schema_version = type_info(ev.fact).schema_version;  // read as current (upcast)
    return ev;
  } catch (const cereal::Exception& e) {
    return fail("bad_binary", std::string("truncated or corrupt stored event: ") + e.what());
  }
}

namespace {

// Formats 2 and 3, as those builds wrote them (to hash and write again a decision read from one).
std::string encode_legacy_decision(const Decision& d, char format) {
  return encode('D', format, static_cast<uint16_t>(tag_of(d.body)), [&](auto& ar) {
    Decision copy = d;
    ar(copy.id, copy.community, copy.year, copy.log_date, copy.cause_source, copy.cause_id,
       copy.rule_set_id, copy.rule_set_hash);
    std::visit([&](auto& b) { ar(b); }, copy.body);
    if (format >= 2) ar(copy.cause_partition, copy.cause_offset, copy.prev_hash, copy.hash);
    if (format >= 3) {
      ar(copy.revises);
      std::visit([&](auto& b) { tail(ar, b); }, copy.body);
    }
  });
}

Result<Decision> decode_legacy_decision(cereal::PortableBinaryInputArchive& ar, uint16_t tag,
                                        char format) {
  Decision d;
  ar(d.id, d.community, d.year, d.log_date, d.cause_source, d.cause_id, d.rule_set_id,
     d.rule_set_hash);
  switch (static_cast<DecisionTag>(tag)) {
    case DecisionTag::kCommunityRated:
      d.body = read_body<CommunityRated>(ar);
      break;
    case DecisionTag::kCommunityPublished:
      d.body = read_body<CommunityPublished>(ar);
      break;
    case DecisionTag::kCaseStep:
      d.body = read_body<CaseStep>(ar);
      break;
    case DecisionTag::kCaseRevised:
      if (format < 3)
        return fail("bad_binary", "decision tag 3 (case.revised) in a format " +
                                      std::to_string(format) + " decision");
      d.body = read_body<CaseRevised>(ar);
      break;
    default:
      return fail("bad_binary", "unknown decision tag " + std::to_string(tag));
  }
  if (format >= 2) ar(d.cause_partition, d.cause_offset, d.prev_hash, d.hash);
  if (format >= 3) {
    ar(d.revises);
    std::visit([&](auto& b) { tail(ar, b); }, d.body);
  }
  return d;
}

template <class Body>
Body read_fields(cereal::PortableBinaryInputArchive& ar, int32_t format, size_t size) {
  Body b;
  DecisionFields<cereal::PortableBinaryInputArchive> v{ar, format, size};
  internal::fields(v, b);
  return b;
}

}  // namespace

std::string encode_decision_binary(const Decision& d) {
  if (d.format >= kOldestDecisionFormat && d.format < internal::kFieldListFormat) {
    return encode_legacy_decision(d, static_cast<char>(d.format));
  }
  const char format = d.format > 0 ? static_cast<char>(d.format) : kWrittenFormat;
  return encode('D', format, static_cast<uint16_t>(tag_of(d.body)), [&](auto& ar) {
    Decision copy = d;
    DecisionFields<cereal::PortableBinaryOutputArchive> v{ar, format};
    internal::fields(v, copy);
    std::visit([&](auto& b) { internal::fields(v, b); }, copy.body);
  });
}

Result<Decision> decode_decision_binary(std::string_view bytes) {
  JY_CHECK(check_prefix(bytes, 'D'));
  const char format = bytes[2];
  thread_local ViewStream is;  // nothing read below decodes another decision
  is.view(bytes.substr(3));
  try {
    cereal::PortableBinaryInputArchive ar(is);
    uint16_t tag = 0;
    ar(tag);
    Decision d;
    if (format < internal::kFieldListFormat) {
      JY_TRY(d, decode_legacy_decision(ar, tag, format));
    } else {
      DecisionFields<cereal::PortableBinaryInputArchive> v{ar, format, bytes.size()};
      internal::fields(v, d);
      switch (static_cast<DecisionTag>(tag)) {
        case DecisionTag::kCommunityRated:
          d.body = read_fields<CommunityRated>(ar, format, bytes.size());
          break;
        case DecisionTag::kCommunityPublished:
          d.body = read_fields<CommunityPublished>(ar, format, bytes.size());
          break;
        case DecisionTag::kCaseStep:
          d.body = read_fields<CaseStep>(ar, format, bytes.size());
          break;
        case DecisionTag::kCaseRevised:
          d.body = read_fields<CaseRevised>(ar, format, bytes.size());
          break;
        default:
          return fail("bad_binary", "unknown decision tag " + std::to_string(tag));
      }
      std::vector<const CaseStep*> steps;
      if (const auto* s = std::get_if<CaseStep>(&d.body)) steps.push_back(s);
      if (const auto* c = std::get_if<CaseRevised>(&d.body)) {
        for (const CaseEntry& e : c->entries) steps.push_back(&e.step);
      }
      for (const CaseStep* s : steps) {
        if (!valid(*s)) {
          return fail("bad_binary",
                      "a case step or escalation reason this build does not know (step " +
                          std::to_string(static_cast<int>(s->step)) + ", reason " +
                          std::to_string(static_cast<int>(s->reason)) + ")");
        }
      }
    }
    d.format = static_cast<unsigned char>(format);  // 1..5: the third byte
    return d;
  } catch (const cereal::Exception& e) {
    return fail("bad_binary", std::string("truncated or corrupt stored decision: ") + e.what());
  }
}

}  // namespace jiayuan
