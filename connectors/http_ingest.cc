#include "connectors/http_ingest.h"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "config/toml_reader.h"
#include "connectors/csv_import.h"
#include "connectors/xlsx_import.h"
#include "events/json_limits.h"
#include "events/sha256.h"

namespace jiayuan {
namespace {

using nlohmann::json;

// The media type of a Content-Type, lower-cased (media types are case-insensitive, RFC 9110
// §8.3.1): "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
  for (char& c : type) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return type;
}

// The charset parameter of a Content-Type, or "" ("text/csv; charset=GBK" -> "GBK").
std::string charset_of(const std::string& content_type) {
  std::string lower;
  for (char c : content_type)
    lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  const size_t at = lower.find("charset=");
  if (at == std::string::npos) return {};
  std::string v = content_type.substr(at + 8, content_type.find(';', at) - (at + 8));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  return v;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Splits the body into items, each kept as its original bytes.
Result<std::vector<std::string>> split_body(const std::string& body,
                                            const std::string& content_type) {
  std::vector<std::string> items;
  const std::string type = media_type(content_type);
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
    if (items.empty())
      return fail("bad_json", "body: expected at least one line of NDJSON, got an empty body");
    return items;
  }
  if (type != "application/json" && type != "application/cloudevents+json" &&
      type != "application/cloudevents-batch+json") {
    return fail("unsupported_media_type",
                "Content-Type: expected application/json, application/cloudevents+json, "
                "application/cloudevents-batch+json or application/x-ndjson, got \"" +
                    printable(content_type, 80) + "\"");
  }
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return fail("bad_json", "body: expected an event or a JSON array of events, got an empty body");
  }
  if (body[first] == '[') {
    // A batch: bounded as a whole (one level deeper than one event) before it is parsed.
    JsonLimits limits;
    limits.max_bytes = body.size();
    limits.max_depth = JsonLimits{}.max_depth + 1;
    JY_CHECK(check_json(body, limits, "body"));
    json arr = json::parse(body, nullptr, false);
    if (arr.is_discarded())
      return fail("bad_json", "body: expected a JSON array of events, got invalid JSON");
    for (const json& item : arr) items.push_back(item.dump());
    return items;
  }
  items.push_back(body);
  return items;
}

// The log could not be written (a full disk, say): the client may send the request again as
// it is (whatever of it was written is recognised as a duplicate).
void unavailable(HttpResponse& res, const Error& e) {
  res.set_header("Retry-After", e.code == "disk_full" ? "60" : "5");
  problem(res, 503,
          e.message +
              " (send the request again later: anything of it already taken is answered as a "
              "duplicate)",
          {{"code", e.code}});
}

// Counts an intake outcome and writes its status (and, when rejected, its reason) into `r`.
struct Tally {
  size_t accepted = 0, duplicates = 0, rejected = 0;
  size_t waiting = 0, pending = 0;
  void add(const IntakeOutcome& o, json& r) {
    if (o.verdict == Verdict::kAccepted) {
      ++accepted;
      r["status"] = "accepted";
      if (!o.waiting_for.empty()) {
        ++waiting;
        r["waiting"] = "waiting for the registration of " + o.waiting_for;
      }
    } else if (o.verdict == Verdict::kDuplicate) {
      ++duplicates;
      r["status"] = "duplicate";
    } else if (o.verdict == Verdict::kPending) {
      ++pending;
      r["status"] = "pending";
      r["reason"] = o.reason.message;
    } else {
      ++rejected;
      r["status"] = "rejected";
      r["reason"] = o.reason.message;
    }
  }
};

// The department of a department's token; nullptr after answering 401 or 403.
const DepartmentId* department_of(const HttpServer& server, const HttpRequest& req,
                                  HttpResponse& res) {
  const Principal* who = server.authenticate(req, res);
  if (who == nullptr) return nullptr;
  if (who->scope != Scope::kDepartment) {
    problem(res, 403, who->describe() + " reads; facts are published with a department's token");
    return nullptr;
  }
  return &who->department;
}

}  // namespace

void HttpIngest::count(const IntakeOutcome& o) {
  if (metrics_ == nullptr) return;
  if (o.verdict == Verdict::kAccepted) metrics_->intake_outcome("accepted");
  if (o.verdict == Verdict::kDuplicate) metrics_->intake_outcome("duplicate");
  if (o.verdict == Verdict::kRejected) metrics_->intake_outcome("rejected", o.reason.code);
  if (o.verdict == Verdict::kPending) metrics_->intake_outcome("pending");
}

namespace {

// An upload's fact type, encoding and table (?type=, ?encoding= or the charset, ?format= or the
// bytes); a bad one is answered here (400 or 413) and gives nothing.
struct Upload {
  const FactTypeInfo* type = nullptr;
  CsvTable table;
  bool workbook = false;
};
std::optional<Upload> read_upload(const HttpRequest& req, HttpResponse& res,
                                  const HttpLimits& limits) {
  auto problem_none = [](HttpResponse& r, int status, const std::string& detail,
                         const json& extra = json::object()) {
    problem(r, status, detail, extra);
    return std::optional<Upload>();
  };
  const std::string type_name = req.param("type");
  const FactTypeInfo* type = find_fact_type(type_name);
  if (type == nullptr) type = find_fact_type("jiayuan." + type_name);
  if (type == nullptr) {
    return problem_none(
        res, 400,
        "type: expected a fact type such as inspection, got \"" + printable(type_name, 60) + "\"",
        {{"parameter", "type"}});
  }
  // ?encoding= first, then the Content-Type's charset, else detected.
  const bool named = req.has_param("encoding");
  const std::string encoding_name =
      named ? req.param("encoding") : charset_of(req.header("Content-Type"));
  const auto encoding =
      encoding_name.empty() ? std::optional(CsvEncoding::kAuto) : parse_csv_encoding(encoding_name);
  if (!encoding) {
    return problem_none(res, 400,
                        std::string(named ? "encoding" : "Content-Type charset") +
                            ": expected auto, utf-8 or gb18030 (gbk), got \"" +
                            printable(encoding_name, 40) + "\"",
                        {{"parameter", named ? "encoding" : "Content-Type"}});
  }
  // A workbook by its media type, ?format=xlsx, or its bytes; else a CSV.
  const bool workbook =
      req.param("format") == "xlsx" || is_workbook(req.body) ||
      req.header("Content-Type")
          .starts_with("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  if (req.has_param("format") && req.param("format") != "csv" && req.param("format") != "xlsx") {
    return problem_none(
        res, 400,
        "format: expected csv or xlsx, got \"" + printable(req.param("format"), 40) + "\"",
        {{"parameter", "format"}});
  }
  // Uncompressed, a part of an upload is at most 32 MiB: more than its row limit can fill.
  auto table = workbook ? read_xlsx(req.body, XlsxLimits{.max_part_bytes = 32u << 20})
                        : read_csv(req.body, *encoding);
  if (!table) return problem_none(res, 400, table.error().message);
  if (table->rows.size() > limits.max_items) {
    return problem_none(res, 413,
                        "rows: expected at most " + std::to_string(limits.max_items) + ", got " +
                            std::to_string(table->rows.size()));
  }
  return Upload{type, std::move(*table), workbook};
}

}  // namespace

void HttpIngest::post_events(const HttpServer& server, const HttpRequest& req, HttpResponse& res) {
  const HttpLimits limits = server.limits();
  const DepartmentId* dept = department_of(server, req, res);
  if (dept == nullptr) return;
  auto items = split_body(req.body, req.header("Content-Type"));
  if (!items) {
    return problem(res,
                   items.error().code == "unsupported_media_type" ? 415
                   : items.error().code == "too_large"            ? 413
                                                                  : 400,
                   items.error().message);
  }
  if (items->size() > limits.max_items) {
    return problem(res, 413,
                   "batch: expected at most " + std::to_string(limits.max_items) + " events, got " +
                       std::to_string(items->size()));
  }
  std::vector<IntakeInput> inputs;
  for (size_t i = 0; i < items->size(); ++i) {
    inputs.push_back({(*items)[i], "http " + dept->value + " item " + std::to_string(i), *dept});
  }
  Result<std::vector<IntakeOutcome>> outcomes = sink_.submit(inputs);
  if (!outcomes) return unavailable(res, outcomes.error());
  json results = json::array();
  Tally tally;
  for (size_t i = 0; i < outcomes->size(); ++i) {
    const IntakeOutcome& o = (*outcomes)[i];
    json r{{"index", i}};
    tally.add(o, r);
    count(o);
    if (o.verdict == Verdict::kAccepted) {
      r["partition"] = o.position.partition;
      r["offset"] = o.position.offset;
    } else if (o.verdict == Verdict::kPending) {
      r["inbox_offset"] = o.position.offset;
    } else if (o.verdict == Verdict::kRejected) {
      r["code"] = o.reason.code;
    }
    results.push_back(std::move(r));
  }
  res.status = 200;
  json answer{{"accepted", tally.accepted},
              {"waiting", tally.waiting},
              {"duplicates", tally.duplicates},
              {"rejected", tally.rejected},
              {"results", results}};
  if (tally.pending > 0) answer["pending"] = tally.pending;
  res.set_content(dump(answer), "application/json");
}

void HttpIngest::post_import(const HttpServer& server, const HttpRequest& req, HttpResponse& res) {
  const HttpLimits limits = server.limits();
  const DepartmentId* dept = department_of(server, req, res);
  if (dept == nullptr) return;
  auto upload = read_upload(req, res, limits);
  if (!upload) return;
  const CsvTable* table = &upload->table;
  const FactTypeInfo* type = upload->type;
  const bool workbook = upload->workbook;
  auto rows = csv_rows(*table, *type, *dept, "upload");
  if (!rows) return problem(res, 400, rows.error().message);
  std::vector<IntakeInput> inputs;
  std::vector<size_t> at;
  json results = json::array();
  Tally tally;
  for (size_t i = 0; i < rows->size(); ++i) {
    const CsvRow& r = (*rows)[i];
    results.push_back({{"row", r.line}});
    if (r.rejection) {
      ++tally.rejected;
      if (metrics_ != nullptr) metrics_->intake_outcome("rejected", r.rejection->code);
      results[i]["status"] = "rejected";
      results[i]["reason"] = r.rejection->message;
      if (auto s = sink_.refuse(r.input, "csv", *r.rejection); !s) {
        return unavailable(res, s.error());
      }
      continue;
    }
    inputs.push_back(r.input);
    at.push_back(i);
  }
  Result<std::vector<IntakeOutcome>> outcomes = sink_.submit(inputs);
  if (!outcomes) return unavailable(res, outcomes.error());
  for (size_t k = 0; k < outcomes->size(); ++k) {
    const IntakeOutcome& o = (*outcomes)[k];
    tally.add(o, results[at[k]]);
    count(o);
  }
  json answer{{"format", workbook ? "xlsx" : "csv"}};
  if (workbook) {
    answer["sheet"] = table->sheet;
  } else {
    answer["encoding"] = table->encoding;
    answer["encoding_detected"] = table->encoding_detected;
  }
  answer.update(json{{"accepted", tally.accepted},
                     {"waiting", tally.waiting},
                     {"duplicates", tally.duplicates},
                     {"rejected", tally.rejected},
                     {"rows", results}});
  if (tally.pending > 0) answer["pending"] = tally.pending;
  res.set_content(dump(answer), "application/json");
}

void HttpIngest::install(HttpServer& server) {
  const HttpServer* srv = &server;
  server.route("POST", "/v1/events", [this, srv](const HttpRequest& req, HttpResponse& res) {
    post_events(*srv, req, res);
  });
  server.route("POST", "/v1/imports", [this, srv](const HttpRequest& req, HttpResponse& res) {
    post_import(*srv, req, res);
  });
}

}  // namespace jiayuan
