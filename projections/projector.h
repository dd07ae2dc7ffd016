// Projector: turns events and decisions into the read models supervisors query.
//
//   rocksdb::WriteBatchWithIndex b;
//   projector.apply_event(b, event);                 // registry, company and governance facts
//   bool fresh = *projector.apply_decision(b, d);    // false: that decision id was applied before
//   projector.finish(b);                             // the batch's ratings, written once each
//   store.write(b);                                  // years touched are marked dirty for stage
//   2/3
//
// Values are canonical JSON (keys sorted), so the same log gives the same bytes. Reads see
// the batch's own writes (WriteBatchWithIndex), so a batch of any size gives the same result.
// A community-year's rating (proj.grade and its as-of versions) is kept parsed for the batch and
// written once by finish(), however many decisions of the batch revise it: its stored bytes
// depend only on its last value, so this changes no byte. Not thread-safe: one batch at a time.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/config.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "projections/store.h"

namespace rocksdb {
class WriteBatchWithIndex;
}

namespace jiayuan {

class Projector {
 public:
  Projector(Store& store, const Config& config) : store_(store), config_(config) {}

  // Where and when intake took a fact (its jiayuan.events position "jiayuan.events/P/O" and the
  // accepted-at header): kept with each company fact, for the dead-letter view's waiting list.
  struct Arrival {
    std::string_view position;
    std::string_view accepted_at;
  };
  Status apply_event(rocksdb::WriteBatchWithIndex& batch, const Event& event,
                     const Arrival& arrival = {});
  // A retraction: what the retracted fact (`target`) added to company facts or governance is
  // taken out again, as of its date.
  Status apply_retraction(rocksdb::WriteBatchWithIndex& batch, const Event& target);
  // Whether apply_event can change anything for a fact of this CloudEvents type (registry,
  // governance and company facts); true for a type it does not know. At city volumes most
  // facts are hotline complaints, which only stage 1 folds: the projection stage skips them
  // by their ce_type header without decoding them.
  static bool reads(std::string_view type);
  // Applies a decision once per id: false (and nothing written) when already applied.
  Result<bool> apply_decision(rocksdb::WriteBatchWithIndex& batch, const Decision& decision);
  // Writes the ratings the batch changed into it; call before writing the batch. A batch given
  // to apply_* without finish() is discarded with the next batch (nothing of it is kept).
  Status finish(rocksdb::WriteBatchWithIndex& batch);
  // Forgets what the batch in hand changed (a batch given up on an error).
  void discard() {
    ratings_.clear();
    streets_.clear();
    batch_ = nullptr;
  }

 private:
  Result<nlohmann::json> read(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                              const std::string& key);
  void write(rocksdb::WriteBatchWithIndex& b, std::string_view family, const std::string& key,
             const nlohmann::json& value);
  // Changes a value now and in every version from `on` (proj.asof, see view.h).
  Status update(rocksdb::WriteBatchWithIndex& b, std::string_view family, const std::string& key,
                Date on, const std::function<void(nlohmann::json&)>& change);
  void mark_dirty(rocksdb::WriteBatchWithIndex& b, int32_t year);
  Status apply_registry(rocksdb::WriteBatchWithIndex& b, const Event& event);
  // A company's registration, or what a contract tells of its company.
  Status apply_company_registry(rocksdb::WriteBatchWithIndex& b, const Event& event);
  void mark_every_year_dirty(rocksdb::WriteBatchWithIndex& b);
  // sign +1 folds the fact in, -1 takes it back out (a retraction).
  Status apply_company_fact(rocksdb::WriteBatchWithIndex& b, const Event& event, int sign,
                            const Arrival& arrival = {});
  Status apply_governance(rocksdb::WriteBatchWithIndex& b, const Event& event, int sign);
  // The parts of apply_decision.
  Status regrade(rocksdb::WriteBatchWithIndex& b, const Decision& d, const std::string& key,
                 const std::function<nlohmann::json(const nlohmann::json&)>& next);
  Status apply_rating(rocksdb::WriteBatchWithIndex& b, const Decision& d, const CommunityRated& r);
  Status apply_publication(rocksdb::WriteBatchWithIndex& b, const Decision& d,
                           const CommunityPublished& p);
  Status apply_case_decision(rocksdb::WriteBatchWithIndex& b, const Decision& d);
  Status apply_case_step(rocksdb::WriteBatchWithIndex& b, const Decision& d, const CaseStep& s);
  Status apply_case_revised(rocksdb::WriteBatchWithIndex& b, const CaseRevised& r);
  // A revision (a decision naming the one it revises): what it changed (the outcomes before and
  // after, outcome_of) and whether the year's rating was already published when it was taken.
  Status record_revision(rocksdb::WriteBatchWithIndex& b, const Decision& d, nlohmann::json before,
                         nlohmann::json after, bool after_publication);
  void put_version(rocksdb::WriteBatchWithIndex& b, std::string_view family, const std::string& key,
                   Date on, const nlohmann::json& value, const std::string& bytes);
  // Every proj.asof version of a key, removed.
  Status drop_versions(rocksdb::WriteBatchWithIndex& b, std::string_view family,
                       const std::string& key);
  // proj.grade's value and every version of it, written again from the value now.
  Status rewrite_grade(rocksdb::WriteBatchWithIndex& b, const std::string& key,
                       const nlohmann::json& now);

  // The batch's rating of a community-year (proj.grade), read and parsed once per batch. A
  // community.rated decision is kept as it came (`pending`) and turned into JSON only when the
  // value is needed or the batch finishes: a late fact's revisions often follow each other in one
  // batch, and building a rating's JSON (its explanation lists every fact behind it) costs most.
  struct Rating {
    nlohmann::json value;  // null: none (meaningless while `pending`)
    bool changed = false;
    std::optional<Decision> pending;          // a community.rated decision, not withdrawn
    std::optional<std::string> published_on;  // carried onto `pending`
  };
  Result<Rating*> rating(rocksdb::WriteBatchWithIndex& b, const std::string& key);
  // Makes the per-batch caches (ratings_, streets_) those of `b`, dropping another batch's.
  void bind(const rocksdb::WriteBatchWithIndex& b);
  // The rating's JSON (built from `pending` first, if need be).
  nlohmann::json& value(Rating& r);

  Store& store_;
  const Config& config_;
  const rocksdb::WriteBatchWithIndex* batch_ = nullptr;  // the batch `ratings_` belongs to
  std::map<std::string, Rating> ratings_;
  std::map<std::string, nlohmann::json> streets_;  // community -> its street, read once per batch
};

// Keys: "<year>/<community or company>".
std::string year_key(int32_t year, std::string_view id);
inline std::string grade_key(int32_t year, const CommunityId& community) {
  return year_key(year, community.value);
}
// proj.company key of a company's registration (name, credit code): beside the "<year>/" keys.
inline std::string company_registry_key(std::string_view company) {
  return "registry/" + std::string(company);
}
// projector.company_facts key of one company fact (a media report naming a company, social
// responsibility, credit points): "<company>\0<date>\0<source>\0<id>" -> where and when it arrived.
// Whether it waits for its company or was rejected (dated before the company was known) is derived
// from registry/<company> when listed (waiting_facts), so it does not depend on arrival order.
std::string company_fact_key(std::string_view company, Date on, std::string_view source,
                             std::string_view id);
// Offsets-family prefix of the dirty-year marks.
inline constexpr std::string_view kDirtyPrefix = "district/dirty/";

}  // namespace jiayuan
