#include "events/binary_codec.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>

namespace jiayuan {

// Field lists, in storage order. Appending a field needs a new schema version and an
// upcast in decode; never reorder.
template <class A> void serialize(A& ar, CommunityRegistered& f) {
  ar(f.community, f.name, f.street, f.households, f.fee, f.enclosure, f.category);
}
template <class A> void serialize(A& ar, Inspection& f) { ar(f.community, f.scores); }
template <class A> void serialize(A& ar, SatisfactionSurvey& f) { ar(f.community, f.satisfaction); }
template <class A> void serialize(A& ar, ReviewClosed& f) { ar(f.community, f.year); }
template <class A> void serialize(A& ar, Envelope& e) {
  ar(e.id, e.source, e.specversion, e.type, e.time, e.subject, e.dataschema, e.occurred,
     e.schema_version);
}
template <class A> void serialize(A& ar, ScoreLine& s) { ar(s.name, s.weight, s.count, s.mean); }
template <class A> void serialize(A& ar, DeductionLine& d) {
  ar(d.kind, d.count, d.per_item, d.cap, d.amount, d.facts);
}
template <class A> void serialize(A& ar, Thresholds& t) { ar(t.exemplary, t.standard, t.passing); }
template <class A> void serialize(A& ar, Explanation& x) {
  ar(x.street, x.tier, x.tier_unnamed, x.fee, x.enclosure, x.category, x.inspections, x.surveys,
     x.weight_divisor, x.scores, x.has_score, x.service, x.deductions, x.deductions_total,
     x.final_score, x.thresholds, x.vetoes, x.rule_set_id, x.rule_set_hash);
}
template <class A> void serialize(A& ar, CommunityRated& r) {
  ar(r.community, r.name, r.year, r.grade, r.explanation);
}

namespace {

constexpr char kFormat = 1;

template <class Writer>
std::string encode(char kind, uint16_t tag, Writer&& write) {
  std::ostringstream os(std::ios::binary);
  os.put('J').put(kind).put(kFormat);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(tag);
    write(ar);
  }
  return std::move(os).str();
}

Result<std::istringstream> open(std::string_view bytes, char kind) {
  if (bytes.size() < 3 || bytes[0] != 'J' || bytes[1] != kind) {
    return fail("bad_binary", std::string("not a stored ") + (kind == 'E' ? "event" : "decision"));
  }
  if (bytes[2] != kFormat) {
    return fail("bad_binary", "unknown storage format " + std::to_string(static_cast<int>(bytes[2])));
  }
  return std::istringstream(std::string(bytes.substr(3)), std::ios::binary);
}

template <size_t I = 0>
Result<Fact> read_fact(cereal::PortableBinaryInputArchive& ar, uint16_t tag) {
  if constexpr (I == std::variant_size_v<Fact>) {
    return fail("bad_binary", "unknown fact tag " + std::to_string(tag));
  } else {
    if (fact_types()[I].tag == tag) {
      std::variant_alternative_t<I, Fact> f;
      ar(f);
      return Fact(std::move(f));
    }
    return read_fact<I + 1>(ar, tag);
  }
}

}  // namespace

std::string encode_event_binary(const Event& event) {
  return encode('E', type_info(event.fact).tag, [&](auto& ar) {
    Envelope env = event.envelope;
    ar(env);
    std::visit([&](const auto& f) { ar(const_cast<std::decay_t<decltype(f)>&>(f)); }, event.fact);
  });
}

Result<Event> decode_event_binary(std::string_view bytes) {
  JY_TRY(std::istringstream is, open(bytes, 'E'));
  try {
    cereal::PortableBinaryInputArchive ar(is);
    uint16_t tag = 0;
    ar(tag);
    Event ev;
    ar(ev.envelope);
    JY_TRY(ev.fact, read_fact(ar, tag));
    return ev;
  } catch (const cereal::Exception& e) {
    return fail("bad_binary", std::string("truncated or corrupt stored event: ") + e.what());
  }
}

std::string encode_decision_binary(const Decision& d) {
  return encode('D', static_cast<uint16_t>(d.body.index()), [&](auto& ar) {
    Decision copy = d;
    ar(copy.id, copy.community, copy.year, copy.log_date, copy.cause_source, copy.cause_id);
    std::visit([&](auto& b) { ar(b); }, copy.body);
  });
}

Result<Decision> decode_decision_binary(std::string_view bytes) {
  JY_TRY(std::istringstream is, open(bytes, 'D'));
  try {
    cereal::PortableBinaryInputArchive ar(is);
    uint16_t tag = 0;
    ar(tag);
    Decision d;
    ar(d.id, d.community, d.year, d.log_date, d.cause_source, d.cause_id);
    switch (tag) {
      case 0: {
        CommunityRated r;
        ar(r);
        d.body = std::move(r);
        break;
      }
      default: return fail("bad_binary", "unknown decision tag " + std::to_string(tag));
    }
    return d;
  } catch (const cereal::Exception& e) {
    return fail("bad_binary", std::string("truncated or corrupt stored decision: ") + e.what());
  }
}

}  // namespace jiayuan
