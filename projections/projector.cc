#include "projections/projector.h"

#include <rocksdb/write_batch.h>

namespace jiayuan {

using nlohmann::json;

std::string grade_key(int32_t year, const CommunityId& community) {
  return std::to_string(year) + "/" + community.value;
}

json explanation_json(const Explanation& x) {
  json scores = json::array();
  for (const ScoreLine& s : x.scores) {
    scores.push_back({{"name", s.name}, {"weight", s.weight}, {"count", s.count}, {"mean", s.mean.to_string()}});
  }
  json deductions = json::array();
  for (const DeductionLine& d : x.deductions) {
    deductions.push_back({{"kind", d.kind},
                          {"count", d.count},
                          {"per_item", d.per_item.to_string()},
                          {"cap", d.cap.to_string()},
                          {"amount", d.amount.to_string()},
                          {"facts", d.facts}});
  }
  json out{{"street", x.street},
           {"tier", x.tier},
           {"tier_unnamed", x.tier_unnamed},
           {"fee", x.fee.to_string()},
           {"enclosure", std::string(to_string(x.enclosure))},
           {"category", std::string(to_string(x.category))},
           {"inspections", x.inspections},
           {"surveys", x.surveys},
           {"weight_divisor", x.weight_divisor},
           {"scores", std::move(scores)},
           {"deductions", std::move(deductions)},
           {"deductions_total", x.deductions_total.to_string()},
           {"thresholds",
            {{"exemplary", x.thresholds.exemplary.to_string()},
             {"standard", x.thresholds.standard.to_string()},
             {"passing", x.thresholds.passing.to_string()}}},
           {"vetoes", x.vetoes},
           {"rule_set", {{"id", x.rule_set_id}, {"hash", x.rule_set_hash}}}};
  if (x.has_score) {
    out["service_score"] = x.service.to_string();
    out["final_score"] = x.final_score.to_string();
  }
  return out;
}

json rating_json(const Decision& d, const CommunityRated& r, const District& district) {
  return json{{"decision", d.id},
              {"decided_on", d.log_date.to_string()},
              {"community", r.community.value},
              {"name", r.name},
              {"year", r.year},
              {"street", r.explanation.street},
              {"street_name", district.street_name(StreetId(r.explanation.street))},
              {"grade", std::string(to_string(r.grade))},
              {"grade_zh", std::string(chinese_name(r.grade))},
              {"explanation", explanation_json(r.explanation)}};
}

void Projector::apply_event(rocksdb::WriteBatch& batch, const Event& event) {
  const auto* reg = std::get_if<CommunityRegistered>(&event.fact);
  if (reg == nullptr) return;
  json info{{"community", reg->community.value},
            {"name", reg->name},
            {"street", reg->street.value},
            {"street_name", district_.street_name(reg->street)},
            {"households", reg->households},
            {"fee", reg->fee.to_string()},
            {"enclosure", std::string(to_string(reg->enclosure))},
            {"category", std::string(to_string(reg->category))},
            {"since", event.envelope.occurred.to_string()}};
  // A registration dated before the one projected does not replace it.
  const std::string since = info["since"].get<std::string>();
  std::string projected_since;
  if (auto it = pending_since_.find(reg->community.value); it != pending_since_.end()) {
    projected_since = it->second;
  } else if (auto current = store_.get(cf::kProjCommunity, reg->community.value); current && *current) {
    json old = json::parse(**current, nullptr, false);
    if (old.is_object()) projected_since = old.value("since", "");
  }
  if (projected_since > since) return;
  pending_since_[reg->community.value] = since;
  batch.Put(store_.cf(cf::kProjCommunity), reg->community.value, info.dump());
}

Result<bool> Projector::apply_decision(rocksdb::WriteBatch& batch, const Decision& d) {
  if (pending_.contains(d.id)) return false;
  JY_TRY(std::optional<std::string> seen, store_.get(cf::kApplied, d.id));
  if (seen) return false;
  pending_.insert(d.id);
  batch.Put(store_.cf(cf::kApplied), d.id, "");
  if (const auto* r = std::get_if<CommunityRated>(&d.body)) {
    batch.Put(store_.cf(cf::kProjGrade), grade_key(r->year, r->community),
              rating_json(d, *r, district_).dump());
  }
  return true;
}

}  // namespace jiayuan
