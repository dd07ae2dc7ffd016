#include "connectors/http_ingest.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "events/sha256.h"
#include "config/toml_reader.h"
#include "connectors/csv_import.h"

namespace jiayuan {
namespace {

using nlohmann::json;

void problem(httplib::Response& res, int status, const std::string& title, const std::string& detail) {
  res.status = status;
  res.set_content(json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}.dump(),
                  "application/problem+json");
}

// Splits the body into items, each kept as its original bytes.
Result<std::vector<std::string>> split_body(const std::string& body, const std::string& content_type) {
  std::vector<std::string> items;
  const std::string type = content_type.substr(0, content_type.find(';'));
  if (type == "application/x-ndjson") {
    size_t start = 0;
    while (start <= body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      std::string line = body.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) items.push_back(std::move(line));
      start = end + 1;
    }
    return items;
  }
  if (type != "application/json" && type != "application/cloudevents+json" &&
      type != "application/cloudevents-batch+json") {
    return fail("unsupported_media_type",
                "Content-Type: expected application/json, application/cloudevents+json, "
                "application/cloudevents-batch+json or application/x-ndjson, got \"" + content_type + "\"");
  }
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && body[first] == '[') {
    json arr = json::parse(body, nullptr, false);
    if (arr.is_discarded()) return fail("bad_json", "body: expected a JSON array of events, got invalid JSON");
    for (const json& item : arr) items.push_back(item.dump());
    return items;
  }
  items.push_back(body);
  return items;
}

// Counts an intake outcome and writes its status (and, when rejected, its reason) into `r`.
struct Tally {
  size_t accepted = 0, duplicates = 0, rejected = 0;
  void add(const IntakeOutcome& o, json& r) {
    if (o.verdict == Verdict::kAccepted) {
      ++accepted;
      r["status"] = "accepted";
    } else if (o.verdict == Verdict::kDuplicate) {
      ++duplicates;
      r["status"] = "duplicate";
    } else {
      ++rejected;
      r["status"] = "rejected";
      r["reason"] = o.reason.message;
    }
  }
};

}  // namespace

Result<std::map<std::string, DepartmentId>> load_tokens(const std::string& path, const District& district) {
  JY_TRY(std::string text, internal::read_file(path));
  JY_TRY(toml::table doc, internal::parse_toml(text, path));
  internal::TomlReader r(doc, path);
  JY_TRY(internal::TomlReader t, r.table("tokens"));
  std::map<std::string, DepartmentId> out;
  for (const auto& [token, dept] : t.raw()) {
    JY_TRY(std::string d, t.string(std::string(token.str()).c_str()));
    if (!district.has_department(DepartmentId(d))) {
      return fail(t.error("(a token)", "a department of district.toml", "\"" + d + "\"", &dept));
    }
    if (token.str().size() < 16) return fail(t.error("(a token)", "a token of at least 16 characters", "a shorter one", &dept));
    out.emplace(std::string(token.str()), DepartmentId(d));
  }
  return out;
}

HttpIngest::HttpIngest(Intake& intake, std::map<std::string, DepartmentId> tokens, HttpLimits limits)
    : intake_(intake), tokens_(std::move(tokens)), limits_(limits), server_(std::make_unique<httplib::Server>()) {}

HttpIngest::~HttpIngest() { stop(); }

const DepartmentId* HttpIngest::authenticate(std::string_view token) const {
  // Compare digests (fixed length) with CRYPTO_memcmp against every token, so neither the
  // length nor the position of a match shows in the time taken.
  const std::string presented = sha256_hex(token);
  const DepartmentId* found = nullptr;
  for (const auto& [t, dept] : tokens_) {
    const std::string known = sha256_hex(t);
    if (CRYPTO_memcmp(known.data(), presented.data(), known.size()) == 0) found = &dept;
  }
  return found;
}

const DepartmentId* HttpIngest::authorize(const httplib::Request& req, httplib::Response& res) const {
  const std::string auth = req.get_header_value("Authorization");
  if (!auth.starts_with("Bearer ")) {
    res.set_header("WWW-Authenticate", "Bearer");
    problem(res, 401, "Unauthorized", "Authorization: expected \"Bearer <department token>\"");
    return nullptr;
  }
  const DepartmentId* dept = authenticate(std::string_view(auth).substr(7));
  if (dept == nullptr) problem(res, 401, "Unauthorized", "the bearer token is not a department's token");
  return dept;
}

Status HttpIngest::start(const std::string& host, int port) {
  server_->set_payload_max_length(limits_.max_body_bytes);
  server_->Post("/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
    const DepartmentId* dept = authorize(req, res);
    if (dept == nullptr) return;
    auto items = split_body(req.body, req.get_header_value("Content-Type"));
    if (!items) {
      return problem(res, items.error().code == "unsupported_media_type" ? 415 : 400,
                     items.error().code == "unsupported_media_type" ? "Unsupported Media Type" : "Bad Request",
                     items.error().message);
    }
    if (items->size() > limits_.max_items) {
      return problem(res, 413, "Payload Too Large",
                     "batch: expected at most " + std::to_string(limits_.max_items) + " events, got " +
                         std::to_string(items->size()));
    }
    std::vector<IntakeInput> inputs;
    for (size_t i = 0; i < items->size(); ++i) {
      inputs.push_back({(*items)[i], "http " + dept->value + " item " + std::to_string(i), *dept});
    }
    Result<std::vector<IntakeOutcome>> outcomes = fail("io", "not submitted");
    {
      std::lock_guard lock(intake_mu_);
      outcomes = intake_.submit(inputs);
    }
    if (!outcomes) return problem(res, 503, "Service Unavailable", outcomes.error().message);
    json results = json::array();
    Tally tally;
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const IntakeOutcome& o = (*outcomes)[i];
      json r{{"index", i}};
      tally.add(o, r);
      if (o.verdict == Verdict::kAccepted) {
        r["partition"] = o.position.partition;
        r["offset"] = o.position.offset;
      } else if (o.verdict == Verdict::kRejected) {
        r["code"] = o.reason.code;
      }
      results.push_back(std::move(r));
    }
    res.status = 200;
    res.set_content(json{{"accepted", tally.accepted}, {"duplicates", tally.duplicates},
                         {"rejected", tally.rejected}, {"results", results}}.dump(),
                    "application/json");
  });
  server_->Post("/v1/imports", [this](const httplib::Request& req, httplib::Response& res) {
    const DepartmentId* dept = authorize(req, res);
    if (dept == nullptr) return;
    const std::string type_name = req.get_param_value("type");
    const FactTypeInfo* type = find_fact_type(type_name);
    if (type == nullptr) type = find_fact_type("jiayuan." + type_name);
    if (type == nullptr) {
      return problem(res, 400, "Bad Request", "type: expected a fact type such as inspection, got \"" + type_name + "\"");
    }
    auto table = parse_csv(req.body);
    if (!table) return problem(res, 400, "Bad Request", table.error().message);
    if (table->rows.size() > limits_.max_items) {
      return problem(res, 413, "Payload Too Large",
                     "rows: expected at most " + std::to_string(limits_.max_items) + ", got " +
                         std::to_string(table->rows.size()));
    }
    auto rows = csv_rows(*table, *type, *dept, "upload");
    if (!rows) return problem(res, 400, "Bad Request", rows.error().message);
    std::vector<IntakeInput> inputs;
    std::vector<size_t> at;
    json results = json::array();
    Tally tally;
    for (size_t i = 0; i < rows->size(); ++i) {
      const CsvRow& r = (*rows)[i];
      results.push_back({{"row", r.line}});
      if (r.rejection) {
        ++tally.rejected;
        results[i]["status"] = "rejected";
        results[i]["reason"] = r.rejection->message;
        std::lock_guard lock(intake_mu_);
        if (auto s = intake_.dead_letter(r.input, "csv", *r.rejection); !s) {
          return problem(res, 503, "Service Unavailable", s.error().message);
        }
        continue;
      }
      inputs.push_back(r.input);
      at.push_back(i);
    }
    Result<std::vector<IntakeOutcome>> outcomes = fail("io", "not submitted");
    {
      std::lock_guard lock(intake_mu_);
      outcomes = intake_.submit(inputs);
    }
    if (!outcomes) return problem(res, 503, "Service Unavailable", outcomes.error().message);
    for (size_t k = 0; k < outcomes->size(); ++k) {
      const IntakeOutcome& o = (*outcomes)[k];
      tally.add(o, results[at[k]]);
    }
    res.set_content(json{{"accepted", tally.accepted}, {"duplicates", tally.duplicates},
                         {"rejected", tally.rejected}, {"rows", results}}.dump(),
                    "application/json");
  });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already explained it
    if (res.status == 413) {
      problem(res, 413, "Payload Too Large", "body: larger than the configured limit");
    } else if (res.status == 404) {
      problem(res, 404, "Not Found", "no such resource; facts go to POST /v1/events");
    }
  });
  port_ = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) return fail("io", host + ":" + std::to_string(port) + ": cannot listen (in use, or not an address of this machine)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void HttpIngest::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace jiayuan
