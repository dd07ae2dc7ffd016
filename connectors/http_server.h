// The engine's HTTP server: one listener for ingest, the /v1 query API, the dashboard,
// /metrics and the health checks. Bearer tokens from a TOML file say who is asking.
//
//   auto tokens = load_tokens("config/tokens.toml", district);  // token -> principal
//   HttpServer server(std::move(*tokens), {.max_body_bytes = 8 << 20, .max_items = 10000});
//   server.route("GET", "/v1/communities/{id}", [](const HttpRequest& req, HttpResponse& res) {
//     res.set_content("{\"id\":\"" + req.matches[1] + "\"}", "application/json");
//   });
//   server.start("127.0.0.1", 8080);   // serves on its own threads until stop()
//
// Built for hostile clients (docs/reliability.md): one I/O thread reads every connection with
// epoll and hands only complete requests to a bounded pool of workers, so a slow client costs
// its own connection, never a worker. Every request is bounded before a handler sees it (request
// line, header count and size, body, time to send the headers and the body); path, parameters
// and header values a handler reads are UTF-8. A handler that throws answers 500 and the server
// goes on. Errors are RFC 9457 problem details (application/problem+json).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/config.h"
#include "engine/clock.h"
#include "events/ids.h"
#include "events/result.h"

namespace jiayuan {

// One request, complete and checked: the path and every parameter percent-decoded and UTF-8.
struct HttpRequest {
  std::string method;                              // "GET", upper case as sent
  std::string target;                              // as received: "/v1/communities?year=2023"
  std::string path;                                // decoded: "/v1/communities"
  std::multimap<std::string, std::string> params;  // the query's, decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::string body;
  std::vector<std::string> matches;  // [0] the path, then each {parameter} of the route

  // The first header of that name (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
  bool has_param(std::string_view name) const {
    return params.find(std::string(name)) != params.end();
  }
  // The first value of a parameter, "" when absent.
  std::string param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;

  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
  void set_header(std::string name, std::string value);
  void set_redirect(const std::string& location, int code = 302);
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

// Who a token speaks for, and so what it may do:
//   district   reads everything;
//   street     reads its own street only (another street's community is 403; lists are filtered);
//   department publishes facts as that department (POST /v1/events, /v1/imports), reads nothing;
//   auditor    reads everything, dead letters included.
enum class Scope { kDistrict, kStreet, kDepartment, kAuditor };

struct Principal {
  Scope scope = Scope::kDistrict;
  std::string street;       // kStreet
  DepartmentId department;  // kDepartment
  // "the district supervisor's token", "street yueyang's supervisor token", ...
  std::string describe() const;
  bool reads() const { return scope != Scope::kDepartment; }
};

// Tokens from a TOML file:
//   [tokens]
//   "<token>" = "<department>"                              # a department (ingest)
//   "<token>" = { scope = "district" }                      # or "auditor"
//   "<token>" = { scope = "street", street = "<street id>" }
// Tokens are at least 16 characters; every error names file, key and what was expected.
Result<std::map<std::string, Principal>> load_tokens(const std::string& path,
                                                     const District& district);

struct HttpLimits {
  size_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_items = 10000;
  double requests_per_second = 0;  // per token, with a burst of as many; 0: no limit (429 beyond)
  // What a request may be before any handler sees it.
  size_t max_target_bytes = 8192;   // the request target (path and query)
  size_t max_header_bytes = 32768;  // the request line and every header together
  size_t max_headers = 100;
  size_t max_params = 100;
  std::chrono::milliseconds header_timeout{
      10000};                                      // from a request's first byte to its last header
  std::chrono::milliseconds body_timeout{60000};   // from the last header to the body's last byte
  std::chrono::milliseconds idle_timeout{5000};    // a kept-alive connection with nothing asked
  std::chrono::milliseconds write_timeout{30000};  // a client that does not read its answer
  size_t max_connections = 4096;
  size_t workers = 8;        // handlers running at once
  size_t max_queued = 1024;  // complete requests waiting for a worker; beyond, 503
};

// Writes an RFC 9457 problem: type, title (from the status), status, detail, and `extra`
// members (e.g. {"parameter": "year"}). Any bytes in `detail` are shown safely.
void problem(HttpResponse& res, int status, const std::string& detail,
             const nlohmann::json& extra = nlohmann::json::object());

class HttpServer {
 public:
  HttpServer(std::map<std::string, Principal> tokens, HttpLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a route before start(). `pattern` is a path whose segments are literal or `{name}`
  // (one whole segment, any bytes but '/'), e.g. "/v1/communities/{id}". A GET route also
  // answers HEAD. A path that matches no route is 404; one that matches another method's, 405.
  void route(const std::string& method, const std::string& pattern, HttpHandler handler);

  const HttpLimits& limits() const { return limits_; }
  // The clock of the rate limiter (default: the system's), set before start(); it must outlive
  // the server.
  void set_clock(const Clock& clock) { clock_ = &clock; }
  // Replaces the tokens (`jiayuan run`/`serve` on SIGHUP): requests from now on are judged by
  // the new ones. Thread-safe.
  void set_tokens(std::map<std::string, Principal> tokens);
  size_t token_count() const { return tokens_.load()->size(); }
  // The principal of the request's bearer token; nullptr after answering 401 (or 429).
  const Principal* authenticate(const HttpRequest& req, HttpResponse& res) const;
  // Binds and serves on threads of its own; fails naming the address when it cannot bind.
  Status start(const std::string& host, int port);
  // Stops serving: answers nothing more, waits for running handlers, closes every connection.
  void stop();
  int port() const { return port_; }

  // The answer to one request's bytes as they would come on a connection, through the same
  // parsing, limits, routes and handlers, with no socket (tests and the fuzzer). Thread-safe.
  std::string answer(std::string_view raw) const;

  // Answers a request that parsed: routing and the handler, never throwing.
  void dispatch(HttpRequest& req, HttpResponse& res) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" for a parameter
    HttpHandler handler;
  };
  class Loop;

  // Token bucket per token: false (after answering 429) when it is empty.
  bool admit(const std::string& token, HttpResponse& res) const;

  using Tokens = std::map<std::string, Principal>;
  // The tokens in force, and every set in force before: a principal handed to a running handler
  // stays valid when the tokens are replaced (a set is kilobytes; reloads are rare).
  std::atomic<const Tokens*> tokens_{nullptr};
  std::mutex tokens_mu_;
  std::vector<std::unique_ptr<const Tokens>> token_sets_;
  HttpLimits limits_;
  std::vector<Route> routes_;
  struct Bucket {
    double tokens = 0;
    double at = 0;  // the clock's monotonic seconds when last refilled
  };
  const Clock* clock_ = &system_clock();
  mutable std::mutex buckets_mu_;
  mutable std::map<std::string, Bucket> buckets_;
  std::unique_ptr<Loop> loop_;
  int port_ = 0;
};

// Serialises an answer as HTTP/1.1 bytes (what the server writes).
std::string serialize_response(const HttpResponse& res, bool keep_alive, bool head);

}  // namespace jiayuan
