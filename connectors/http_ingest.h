// HTTP ingest: departments POST facts; a bearer token proves which department is speaking.
//
//   auto tokens = load_tokens("config/tokens.toml", district);   // token -> department
//   HttpIngest http(intake, *tokens, {.max_body_bytes = 8 << 20, .max_items = 10000});
//   http.start("127.0.0.1", 8080);   // serves on its own thread until stop()
//
// POST /v1/events takes one event (application/json or application/cloudevents+json), a JSON
// array (application/cloudevents-batch+json or application/json), or NDJSON
// (application/x-ndjson). The answer lists every item: accepted (with its log position),
// duplicate, or rejected (with the reason). 401 without a valid token, 413 over the limits,
// 415 for another content type, 400 for a body that is not JSON at all.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "engine/intake.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace jiayuan {

// Tokens from a TOML file: [tokens] "<token>" = "<department>". Fails naming file and key.
Result<std::map<std::string, DepartmentId>> load_tokens(const std::string& path, const District& district);

struct HttpLimits {
  size_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_items = 10000;
};

class HttpIngest {
 public:
  HttpIngest(Intake& intake, std::map<std::string, DepartmentId> tokens, HttpLimits limits);
  ~HttpIngest();
  // Binds and serves on a thread of its own; fails naming the address when it cannot bind.
  Status start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }

 private:
  // The department a token belongs to, compared in constant time over every token.
  const DepartmentId* authenticate(std::string_view token) const;
  // The department of the request's bearer token; nullptr after answering 401.
  const DepartmentId* authorize(const httplib::Request& req, httplib::Response& res) const;

  Intake& intake_;
  std::mutex intake_mu_;  // Intake is single-threaded; the server's threads take turns
  std::map<std::string, DepartmentId> tokens_;
  HttpLimits limits_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace jiayuan
