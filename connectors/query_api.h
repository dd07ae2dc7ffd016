// The /v1 query API: what supervisors ask, as JSON over HTTP, from the projections.
//
//   QueryApi api(store, config, {.dead_letters = &log, .ready = ready, .metrics =
//   &m}); api.install(server);
//
// Resources (GET; described in connectors/openapi.json, served at /v1/openapi.json):
//   /v1/communities            filter street, tier, category, grade; year; sort; cursor pagination
//   /v1/communities/{id}       particulars, ratings with explanations, cases, governance
//   /v1/companies              standings of a year
//   /v1/cases                  failing cases with days overdue as of a date
//   /v1/awards, /v1/targets, /v1/renovation, /v1/compliance   per year
//   /v1/dead-letters           rejected input (district and auditor tokens)
// plus /healthz, /readyz, /metrics. Scopes (see http_server.h): a street supervisor sees its own
// street only; another street's community is 403 with the reason and lists are filtered.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "config/config.h"
#include "connectors/http_server.h"
#include "connectors/metrics.h"
#include "engine/clock.h"
#include "engine/log.h"
#include "events/date.h"
#include "projections/store.h"

namespace jiayuan {

// Threads: handlers run on the HTTP server's threads at once; they only read the store (a
// ProjectionView per request) and call the options' callbacks, which must therefore be
// thread-safe (`ready` reads an atomic, the clock is thread-safe). The QueryApi, its Store and
// Config must outlive the server it is installed on.
struct QueryApiOptions {
  Log* dead_letters = nullptr;  // where /v1/dead-letters reads; null: 404
  std::function<bool()> ready;  // /readyz: caught up with the log at least once
  // /readyz's "position": how far this process has folded the log (a replica: its projector's
  // records folded, to fold and behind); null: not said.
  std::function<nlohmann::json()> position;
  Metrics* metrics = nullptr;  // /metrics; null: 404
  // The clock at this edge: the ages of waiting facts, the default as-of date of /v1/cases.
  const Clock* clock = &system_clock();
  // ?as_known=INSTANT: the store as known at that instant (engine/audit.h as_known_at); null: 400.
  std::function<Result<std::shared_ptr<const Store>>(int64_t known_ms)> as_known;
};

class QueryApi {
 public:
  QueryApi(const Store& store, const Config& config, QueryApiOptions options)
      : store_(store), config_(config), options_(std::move(options)) {}
  // Routes every resource on `server`; this QueryApi must outlive it.
  void install(HttpServer& server);

 private:
  const Store& store_;
  const Config& config_;
  QueryApiOptions options_;
};

}  // namespace jiayuan
