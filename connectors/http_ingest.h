// HTTP ingest: departments POST facts; a department's bearer token proves who is speaking.
//
//   HttpIngest ingest(intake, &metrics);
//   ingest.install(server);   // routes on the engine's HttpServer
//
// POST /v1/events takes one event (application/json or application/cloudevents+json), a JSON
// array (application/cloudevents-batch+json or application/json), or NDJSON
// (application/x-ndjson). The answer lists every item: accepted (with its log position),
// duplicate, or rejected (with the reason). 401 without a valid token, 403 for a token that is
// not a department's, 413 over the limits, 415 for another content type, 400 for a body that
// is not JSON at all. POST /v1/imports?type=T takes a CSV batch of one fact type.
//
// The facts go through a FactSink: intake in this process (embedded log), or the department's
// inbox on Kafka (connectors/kafka_gateway.h), whose receipts give the same answers; an item
// intake has not judged within the gateway's wait is answered "pending".
#pragma once

#include "connectors/http_server.h"
#include "connectors/metrics.h"
#include "engine/fact_sink.h"

namespace jiayuan {

class HttpIngest {
 public:
  // `metrics` (may be null) counts every item's outcome. Borrows the sink, which must outlive it.
  HttpIngest(FactSink& sink, Metrics* metrics) : sink_(sink), metrics_(metrics) {}
  void install(HttpServer& server);

 private:
  void count(const IntakeOutcome& o);
  // POST /v1/events: a batch of CloudEvents; POST /v1/imports: a CSV or .xlsx of one fact type.
  void post_events(const HttpServer& server, const HttpRequest& req, HttpResponse& res);
  void post_import(const HttpServer& server, const HttpRequest& req, HttpResponse& res);
  FactSink& sink_;
  Metrics* metrics_;
};

}  // namespace jiayuan
