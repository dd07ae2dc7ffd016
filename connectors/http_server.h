// The engine's HTTP server: one listener for ingest, the /v1 query API, the dashboard,
// /metrics and the health checks. Bearer tokens from a TOML file say who is asking.
//
//   auto tokens = load_tokens("config/tokens.toml", district);  // token -> principal
//   HttpServer server(std::move(*tokens), {.max_body_bytes = 8 << 20, .max_items = 10000});
//   ingest.install(server);      // POST /v1/events, /v1/imports
//   queries.install(server);     // GET /v1/...
//   server.start("127.0.0.1", 8080);   // serves on its own threads until stop()
//
// Errors are RFC 9457 problem details (application/problem+json).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "config/config.h"
#include "events/ids.h"
#include "events/result.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace jiayuan {

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
};

// Writes an RFC 9457 problem: type, title (from the status), status, detail, and `extra`
// members (e.g. {"parameter": "year"}).
void problem(httplib::Response& res, int status, const std::string& detail,
             const nlohmann::json& extra = nlohmann::json::object());

class HttpServer {
 public:
  HttpServer(std::map<std::string, Principal> tokens, HttpLimits limits);
  ~HttpServer();
  httplib::Server& routes() { return *server_; }
  const HttpLimits& limits() const { return limits_; }
  // The principal of the request's bearer token; nullptr after answering 401.
  const Principal* authenticate(const httplib::Request& req, httplib::Response& res) const;
  // Binds and serves on threads of its own; fails naming the address when it cannot bind.
  Status start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }

 private:
  // Token bucket per token: false (after answering 429) when it is empty.
  bool admit(const std::string& token, httplib::Response& res) const;

  std::map<std::string, Principal> tokens_;
  HttpLimits limits_;
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  mutable std::mutex buckets_mu_;
  mutable std::map<std::string, Bucket> buckets_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace jiayuan
