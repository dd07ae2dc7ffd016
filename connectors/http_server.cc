#include "connectors/http_server.h"

#include <openssl/crypto.h>

#include <cmath>

#include "config/toml_reader.h"
#include "connectors/internal/http_wire.h"
#include "events/json_limits.h"
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
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

const char* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    default:
      return title_of(status);
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lo = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lo(a[i]) != lo(b[i])) return false;
  }
  return true;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t at = 1;  // after the leading '/'
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string HttpRequest::param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (iequals(k, name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

void HttpResponse::set_redirect(const std::string& location, int code) {
  status = code;
  set_header("Location", location);
}

void problem(HttpResponse& res, int status, const std::string& detail, const json& extra) {
  res.status = status;
  json body{{"type", "about:blank"},
            {"title", title_of(status)},
            {"status", status},
            {"detail", printable(detail, 2000)}};
  for (const auto& [k, v] : extra.items()) body[k] = v;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/problem+json");
}

std::string serialize_response(const HttpResponse& res, bool keep_alive, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_of(res.status) + "\r\n";
  for (const auto& [k, v] : res.headers) {
    if (iequals(k, "content-length") || iequals(k, "connection") || iequals(k, "content-type"))
      continue;
    out += k + ": " + v + "\r\n";
  }
  if (!res.content_type.empty()) out += "Content-Type: " + res.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!head) out += res.body;
  return out;
}

void HttpServer::route(const std::string& method, const std::string& pattern, HttpHandler handler) {
  Route r{method, split_path(pattern), std::move(handler)};
  for (std::string& s : r.segments) {
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') s = "{}";
  }
  routes_.push_back(std::move(r));
}

void HttpServer::dispatch(HttpRequest& req, HttpResponse& res) const {
  const std::vector<std::string> segments = split_path(req.path);
  const bool head = req.method == "HEAD";
  bool other_method = false;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::vector<std::string> matches{req.path};
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (r.segments[i] == "{}") {
        match = !segments[i].empty();
        matches.push_back(segments[i]);
      } else {
        match = r.segments[i] == segments[i];
      }
    }
    if (!match) continue;
    if (r.method != req.method && !(head && r.method == "GET")) {
      other_method = true;
      continue;
    }
    req.matches = std::move(matches);
    // No exception leaves a handler: a bug answers 500 and the server goes on.
    try {
      r.handler(req, res);
    } catch (const std::exception& e) {
      res = HttpResponse{};
      problem(res, 500, std::string("internal error (a bug; please report it): ") + e.what());
    } catch (...) {
      res = HttpResponse{};
      problem(res, 500, "internal error (a bug; please report it)");
    }
    return;
  }
  if (other_method) return problem(res, 405, req.method + " is not allowed on " + req.path);
  problem(res, 404,
          "no such resource: " + req.path + " (the API is described at /v1/openapi.json)");
}

std::string HttpServer::answer(std::string_view raw) const {
  internal::RequestParser parser(limits_);
  std::string buffer(raw);
  HttpResponse res;
  switch (parser.feed(buffer)) {
    case internal::RequestParser::kNeedMore:
      problem(res, 400, "the request ended before it was complete");
      return serialize_response(res, false, false);
    case internal::RequestParser::kError:
      problem(res, parser.error_status(), parser.error_detail());
      return serialize_response(res, false, false);
    case internal::RequestParser::kComplete:
      break;
  }
  internal::WireRequest wire = parser.take();
  const bool keep_alive = wire.keep_alive;
  HttpRequest req;
  if (internal::decode_request(std::move(wire), limits_, req, res)) dispatch(req, res);
  return serialize_response(res, keep_alive, req.method == "HEAD");
}

const Principal* HttpServer::authenticate(const HttpRequest& req, HttpResponse& res) const {
  const std::string auth = req.header("Authorization");
  // The scheme is case-insensitive (RFC 9110 §11.1): "Bearer", "bearer", "BEARER".
  if (auth.size() < 7 || !iequals(std::string_view(auth).substr(0, 7), "bearer ")) {
    res.set_header("WWW-Authenticate", "Bearer");
    problem(res, 401,
            "Authorization: expected \"Bearer <token>\" (tokens are issued in the tokens file)");
    return nullptr;
  }
  // Compare digests (fixed length) with CRYPTO_memcmp against every token, so neither the
  // length nor the position of a match shows in the time taken.
  const std::string presented = sha256_hex(std::string_view(auth).substr(7));
  const Principal* found = nullptr;
  for (const auto& [t, who] : *tokens_.load()) {
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

bool HttpServer::admit(const std::string& token, HttpResponse& res) const {
  const double rate = limits_.requests_per_second;
  if (rate <= 0) return true;
  const double now = clock_->monotonic_s();
  std::lock_guard lock(buckets_mu_);
  auto [it, fresh] = buckets_.try_emplace(token, Bucket{rate, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(rate, b.tokens + rate * (now - b.at));
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

}  // namespace jiayuan
