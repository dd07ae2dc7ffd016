// ProjectionView: the projections as they stand now, or as they stood on a past date.
//
//   ProjectionView now(store);
//   ProjectionView then(store, *Date::parse("2023-06-30"));
//   then.get(cf::kProjGrade, "2023/SJ00001");   // the rating as the log held it on that date
//
// As of a date, a value is what the projector had made of every input whose log date (a
// fact's occurred date, a decision's log date) is on or before it: proj.asof keeps each value
// at every date it changed, and an input dated earlier than inputs already applied rewrites
// the versions after it, so the answer does not depend on arrival order. proj.district and
// proj.standing are computed from the others (stage 2/3) and have no versions: as of a date
// they are computed again from this view (engine/district_stage.h).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/date.h"
#include "events/result.h"
#include "projections/store.h"

namespace jiayuan {

// Threads: a view reads only; views over the same Store may be used from many threads at once
// (the query API makes one per request) while the engine writes, as RocksDB allows. A view
// borrows its Store (or shares the as-known store it was given) and must not outlive it.
class ProjectionView {
 public:
  explicit ProjectionView(const Store& store) : store_(store) {}
  ProjectionView(const Store& store, Date as_of) : store_(store), as_of_(as_of) {}
  // A view that keeps its store alive (a store recomputed as known at an instant).
  ProjectionView(std::shared_ptr<const Store> owner, std::optional<Date> as_of)
      : owner_(std::move(owner)), store_(*owner_), as_of_(as_of) {}

  const std::optional<Date>& as_of() const { return as_of_; }
  const Store& store() const { return store_; }

  Result<std::optional<std::string>> get(std::string_view family, std::string_view key) const;
  // The first key at or after `from` that has a value now (as of the date: that has a version
  // at any date; get() then says whether it had one on or before it). nullopt past the last.
  Result<std::optional<std::string>> first_key_from(std::string_view family,
                                                    std::string_view from) const;
  // fn(key, value) for each key with the prefix, in key order, until fn returns false.
  Status scan(std::string_view family, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;

 private:
  std::shared_ptr<const Store> owner_;
  const Store& store_;
  std::optional<Date> as_of_;
};

// proj.asof keys: family '\0' key '\0' date.
std::string as_of_prefix(std::string_view family, std::string_view key);
std::string as_of_key(std::string_view family, std::string_view key, Date on);
// The date of a proj.asof key.
Date as_of_date(std::string_view as_of_key);

}  // namespace jiayuan
