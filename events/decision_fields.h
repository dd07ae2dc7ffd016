// Internal: the one list of each decision's fields, in storage order, with their names and the
// decision format that added them (Spec::since, as events/fields.h has for facts).
//
//   template <class V> void fields(V& v, CaseStep& s) { v("community", s.community); ... }
//
// From format 4 a stored decision is its tag, the Decision's fields, then its kind's fields, each
// struct by its list (a vector: its length, then each element by its list). A field is written
// and read only by the formats from its `since` on; decoding an older format leaves it at its
// default. A new field is appended at the end of its struct with the next format: never
// reorder or remove one. Formats 1 to 3 had a layout of their own, read by binary_codec.cc.
// Enums are stored by their numbers (decisions.h, facts.h), which never change.
#pragma once

#include <cstdint>

#include "events/decisions.h"
#include "events/fields.h"

namespace jiayuan::internal {

// The first format written from these lists: every field below is in it.
inline constexpr int32_t kFieldListFormat = 4;
inline constexpr Spec kSince4{0, 0, false, kFieldListFormat};

template <class V>
void fields(V& v, ScoreLine& s) {
  v("name", s.name, kSince4);
  v("weight", s.weight, kSince4);
  v("count", s.count, kSince4);
  v("mean", s.mean, kSince4);
}

template <class V>
void fields(V& v, DeductionLine& d) {
  v("kind", d.kind, kSince4);
  v("detail", d.detail, kSince4);
  v("count", d.count, kSince4);
  v("per_item", d.per_item, kSince4);
  v("cap", d.cap, kSince4);
  v("amount", d.amount, kSince4);
  v("facts", d.facts, kSince4);
}

template <class V>
void fields(V& v, Thresholds& t) {
  v("exemplary", t.exemplary, kSince4);
  v("standard", t.standard, kSince4);
  v("passing", t.passing, kSince4);
}

template <class V>
void fields(V& v, Explanation& x) {
  v("street", x.street, kSince4);
  v("tier", x.tier, kSince4);
  v("tier_unnamed", x.tier_unnamed, kSince4);
  v("fee", x.fee, kSince4);
  v("enclosure", x.enclosure, kSince4);
  v("category", x.category, kSince4);
  v("inspections", x.inspections, kSince4);
  v("surveys", x.surveys, kSince4);
  v("weight_divisor", x.weight_divisor, kSince4);
  v("scores", x.scores, kSince4);
  v("has_score", x.has_score, kSince4);
  v("service", x.service, kSince4);
  v("deductions", x.deductions, kSince4);
  v("deductions_total", x.deductions_total, kSince4);
  v("final_score", x.final_score, kSince4);
  v("thresholds", x.thresholds, kSince4);
  v("vetoes", x.vetoes, kSince4);
  v("rule_set_id", x.rule_set_id, kSince4);
  v("rule_set_hash", x.rule_set_hash, kSince4);
  v("after_review", x.after_review, kSince4);
}

template <class V>
void fields(V& v, YearSummary& s) {
  v("company", s.company, kSince4);
  v("manager", s.manager, kSince4);
  v("households", s.households, kSince4);
  v("spot_checks", s.spot_checks, kSince4);
  v("spot_checks_passed", s.spot_checks_passed, kSince4);
  v("hotline_complaints", s.hotline_complaints, kSince4);
  v("hotline_on_time", s.hotline_on_time, kSince4);
  v("petitions_substantiated", s.petitions_substantiated, kSince4);
  v("media_positive", s.media_positive, kSince4);
  v("media_negative", s.media_negative, kSince4);
  v("credit_points", s.credit_points, kSince4);
  v("waste_inspections", s.waste_inspections, kSince4);
  v("waste_compliant", s.waste_compliant, kSince4);
}

template <class V>
void fields(V& v, CommunityRated& r) {
  v("community", r.community, kSince4);
  v("name", r.name, kSince4);
  v("year", r.year, kSince4);
  v("grade", r.grade, kSince4);
  v("explanation", r.explanation, kSince4);
  v("has_proposal", r.has_proposal, kSince4);
  v("proposal", r.proposal, kSince4);
  v("proposal_flagged", r.proposal_flagged, kSince4);
  v("summary", r.summary, kSince4);
  v("rated_on", r.rated_on, kSince4);
  v("withdrawn", r.withdrawn, kSince4);
}

template <class V>
void fields(V& v, CommunityPublished& p) {
  v("community", p.community, kSince4);
  v("year", p.year, kSince4);
  v("grade", p.grade, kSince4);
  v("published_on", p.published_on, kSince4);
  v("withdrawn", p.withdrawn, kSince4);
}

template <class V>
void fields(V& v, CaseStep& s) {
  v("community", s.community, kSince4);
  v("year", s.year, kSince4);
  v("step", s.step, kSince4);
  v("on", s.on, kSince4);
  v("has_due", s.has_due, kSince4);
  v("due", s.due, kSince4);
  v("reason", s.reason, kSince4);
  v("department", s.department, kSince4);
}

template <class V>
void fields(V& v, CaseEntry& e) {
  v("step", e.step, kSince4);
  v("known", e.known, kSince4);
  v("cause_source", e.cause_source, kSince4);
  v("cause_id", e.cause_id, kSince4);
}

template <class V>
void fields(V& v, CaseRevised& c) {
  v("community", c.community, kSince4);
  v("year", c.year, kSince4);
  v("entries", c.entries, kSince4);
}

// The decision's own fields (its body follows, by its kind's list).
template <class V>
void fields(V& v, Decision& d) {
  v("id", d.id, kSince4);
  v("community", d.community, kSince4);
  v("year", d.year, kSince4);
  v("log_date", d.log_date, kSince4);
  v("cause_source", d.cause_source, kSince4);
  v("cause_id", d.cause_id, kSince4);
  v("rule_set_id", d.rule_set_id, kSince4);
  v("rule_set_hash", d.rule_set_hash, kSince4);
  v("revises", d.revises, kSince4);
  v("cause_partition", d.cause_partition, kSince4);
  v("cause_offset", d.cause_offset, kSince4);
  v("prev_hash", d.prev_hash, kSince4);
  v("hash", d.hash, kSince4);
}

}  // namespace jiayuan::internal
