// Projector: turns events and decisions into the read models supervisors query.
//
//   rocksdb::WriteBatch b;
//   projector.apply_event(b, event);                 // registry facts -> proj.community
//   bool fresh = *projector.apply_decision(b, d);    // false: that decision id was applied before
//   store.write(b);
//
// Values are canonical JSON (keys sorted), so the same log gives the same bytes.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "events/decisions.h"
#include "events/facts.h"
#include "projections/store.h"

namespace rocksdb {
class WriteBatch;
}

namespace jiayuan {

class Projector {
 public:
  Projector(Store& store, const District& district) : store_(store), district_(district) {}

  void apply_event(rocksdb::WriteBatch& batch, const Event& event);
  // Applies a decision once per id: false (and nothing written) when already applied, in the
  // store or earlier in this batch.
  Result<bool> apply_decision(rocksdb::WriteBatch& batch, const Decision& decision);
  // Forget the ids remembered for the current batch (call after the batch is written).
  void batch_done() {
    pending_.clear();
    pending_since_.clear();
  }

 private:
  Store& store_;
  const District& district_;
  std::set<std::string> pending_;
  std::map<std::string, std::string> pending_since_;  // community -> since, this batch
};

nlohmann::json explanation_json(const Explanation& x);
nlohmann::json rating_json(const Decision& d, const CommunityRated& r, const District& district);

// Key of proj.grade: "<year>/<community>".
std::string grade_key(int32_t year, const CommunityId& community);

}  // namespace jiayuan
