// The HTTP side of `jiayuan run --http` and `jiayuan serve`: the listener, ingest (intake in this
// process on the embedded log, the gateway to the departments' inboxes on Kafka, none on a
// replica of the embedded log), the /v1 API over a store, the dashboard, /metrics, and the
// tokens file read again on SIGHUP.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cmd/jiayuan/common.h"
#include "connectors/http_ingest.h"
#include "connectors/http_server.h"
#include "connectors/metrics.h"
#include "connectors/query_api.h"
#include "engine/fact_sink.h"

namespace CLI {
class App;
}

namespace jiayuan::cli {

struct HttpOptions {
  std::string address;  // host:port; empty: no HTTP
  std::string tokens;
  int64_t max_body = 8 * 1024 * 1024;
  int64_t max_items = 10000;
  double rate_limit = 0;
  double ingest_wait = 30;  // Kafka: seconds to wait for intake's receipts
};
// --tokens, --max-body, --max-items, --rate-limit, --ingest-wait.
void add_http_options(CLI::App* command, HttpOptions& options);

// Where facts sent over HTTP go.
enum class HttpIngestMode {
  kHere,     // intake in this process, on o.log (the engine on the embedded log)
  kGateway,  // the departments' inboxes (Kafka)
  kNone,     // nowhere: 404 naming where to send them (a replica of the embedded log)
};

// What serves HTTP, alive until destroyed (which stops the listener and the tokens' reloader).
struct HttpSide {
  std::unique_ptr<Intake> intake;
  std::unique_ptr<FactSink> sink;
  std::unique_ptr<Log> kafka_reader;        // Kafka: the dead-letter log's reader for HTTP threads
  std::unique_ptr<LockedLog> dead_letters;  // (the embedded log is thread-safe as it is)
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<HttpIngest> ingest;
  std::unique_ptr<QueryApi> queries;
  std::atomic<bool> caught_up{false};
  std::function<nlohmann::json()> position;  // /readyz's position (set before start_http)
  std::thread reloader;
  std::atomic<bool> stopping{false};
  ~HttpSide();
  // Stops serving (the engine's last answers are given) and saves intake's snapshot.
  void stop();
};

// Starts serving the /v1 API over `store` (the engine's, or a replica's), with ingest as `mode`
// says and the dead letters of `o.log` (on Kafka, a reader of their own). Prints "listening on
// http://HOST:PORT" once it listens.
Status start_http(Opened& o, const Store& store, const HttpOptions& options, HttpIngestMode mode,
                  HttpSide& h);

}  // namespace jiayuan::cli
