#include "connectors/http_server.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <cmath>

#include "config/toml_reader.h"
#include "events/sha256.h"

namespace jiayuan {

using nlohmann::json;

std::string Principal::describe() const {
  switch (scope) {
    case Scope::kDistrict:
      return "the district supervisor's token";
    case Scope::kStreet:
      return "street " + street + "'s supervisor token";
    case Scope::kDepartment:
      return "department " + department.value + "'s token";
    case Scope::kAuditor:
      return "an auditor's token";
  }
  return "a token";
}

Result<std::map<std::string, Principal>> load_tokens(const std::string& path,
                                                     const District& district) {
  JY_TRY(std::string text, internal::read_file(path));
  JY_TRY(toml::table doc, internal::parse_toml(text, path));
  internal::TomlReader r(doc, path);
  JY_TRY(internal::TomlReader t, r.table("tokens"));
  std::map<std::string, Principal> out;
  for (const auto& [token, value] : t.raw()) {
    const std::string key(token.str());
    if (key.size() < 16)
      return fail(
          t.error("(a token)", "a token of at least 16 characters", "a shorter one", &value));
    Principal p;
    if (const auto* dept = value.as_string()) {
      p.scope = Scope::kDepartment;
      p.department = DepartmentId(dept->get());
      if (!district.has_department(p.department)) {
        return fail(t.error("(a token)", "a department of district.toml", "\"" + dept->get() + "\"",
                            &value));
      }
    } else if (const auto* table = value.as_table()) {
      internal::TomlReader s(*table, path, t.key_path("(a token)"));
      JY_TRY(std::string scope, s.string("scope"));
      if (scope == "district") {
        p.scope = Scope::kDistrict;
      } else if (scope == "auditor") {
        p.scope = Scope::kAuditor;
      } else if (scope == "street") {
        p.scope = Scope::kStreet;
        JY_TRY(p.street, s.string("street"));
        if (!district.has_street(StreetId(p.street))) {
          return fail(s.error("street", "a street of district.toml", "\"" + p.street + "\""));
        }
      } else if (scope == "department") {
        p.scope = Scope::kDepartment;
        JY_TRY(std::string d, s.string("department"));
        p.department = DepartmentId(d);
        if (!district.has_department(p.department)) {
          return fail(s.error("department", "a department of district.toml", "\"" + d + "\""));
        }
      } else {
        return fail(
            s.error("scope", "district, street, department or auditor", "\"" + scope + "\""));
      }
    } else {
      return fail(t.error("(a token)", "a department name or a table { scope = ... }",
                          "another kind of value", &value));
    }
    out.emplace(key, std::move(p));
  }
  return out;
}

namespace {

const char* title_of(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

void problem(httplib::Response& res, int status, const std::string& detail, const json& extra) {
  res.status = status;
  const char* title = title_of(status);
  json body{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}};
  for (const auto& [k, v] : extra.items()) body[k] = v;
  res.set_content(body.dump(), "application/problem+json");
}

HttpServer::HttpServer(std::map<std::string, Principal> tokens, HttpLimits limits)
    : tokens_(std::move(tokens)), limits_(limits), server_(std::make_unique<httplib::Server>()) {
  // Small answers on kept-alive connections: without TCP_NODELAY each waits on the client's
  // delayed ACK (~40 ms a request, measured by tests/bench/http_bench.py).
  server_->set_tcp_nodelay(true);
}

HttpServer::~HttpServer() { stop(); }

const Principal* HttpServer::authenticate(const httplib::Request& req,
                                          httplib::Response& res) const {
  const std::string auth = req.get_header_value("Authorization");
  if (!auth.starts_with("Bearer ")) {
    res.set_header("WWW-Authenticate", "Bearer");
    problem(res, 401,
            "Authorization: expected \"Bearer <token>\" (tokens are issued in the tokens file)");
    return nullptr;
  }
  // Compare digests (fixed length) with CRYPTO_memcmp against every token, so neither the
  // length nor the position of a match shows in the time taken.
  const std::string presented = sha256_hex(std::string_view(auth).substr(7));
  const Principal* found = nullptr;
  for (const auto& [t, who] : tokens_) {
    const std::string known = sha256_hex(t);
    if (CRYPTO_memcmp(known.data(), presented.data(), known.size()) == 0) found = &who;
  }
  if (found == nullptr) {
    res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    problem(res, 401, "the bearer token is not one of the tokens file");
    return nullptr;
  }
  return admit(presented, res) ? found : nullptr;
}

bool HttpServer::admit(const std::string& token, httplib::Response& res) const {
  const double rate = limits_.requests_per_second;
  if (rate <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(buckets_mu_);
  auto [it, fresh] = buckets_.try_emplace(token, Bucket{rate, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(rate, b.tokens + rate * std::chrono::duration<double>(now - b.at).count());
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  const int wait = static_cast<int>(std::ceil((1 - b.tokens) / rate));
  res.set_header("Retry-After", std::to_string(std::max(1, wait)));
  problem(res, 429,
          "more than " + std::to_string(static_cast<int64_t>(rate)) +
              " requests per second with this token; retry after the Retry-After header's seconds");
  return false;
}

Status HttpServer::start(const std::string& host, int port) {
  server_->set_payload_max_length(limits_.max_body_bytes);
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already explained it
    if (res.status == 413) {
      problem(res, 413, "body: larger than the configured limit");
    } else if (res.status == 404) {
      problem(res, 404,
              "no such resource: " + req.path + " (the API is described at /v1/openapi.json)");
    } else if (res.status == 405) {
      problem(res, 405, req.method + " is not allowed on " + req.path);
    } else if (res.status >= 400) {
      problem(res, res.status, req.method + " " + req.path);
    }
  });
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unexpected error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        problem(res, 500, what);
      });
  port_ =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0)
    return fail("io", host + ":" + std::to_string(port) +
                          ": cannot listen (in use, or not an address of this machine)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace jiayuan
