#include "cmd/jiayuan/http.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>

#include "connectors/dashboard.h"
#include "connectors/kafka_gateway.h"
#include "connectors/kafka_log.h"

#ifndef JIAYUAN_VERSION
#define JIAYUAN_VERSION "dev"
#endif

namespace jiayuan::cli {
namespace {

std::atomic<bool> g_reload_tokens{false};
void on_hangup(int) { g_reload_tokens.store(true); }

// Ingest and the dead letters for the HTTP threads.
Status open_ingest(Opened& o, const HttpOptions& options, HttpIngestMode mode, HttpSide& h) {
  if (o.kafka) {
    JY_TRY(h.kafka_reader, KafkaLog::open({.settings = o.config.engine.kafka,
                                           .client_id = "jiayuan-dead-letters",
                                           .transactional_id = "",
                                           .require_topics = true}));
    h.dead_letters = std::make_unique<LockedLog>(*h.kafka_reader);
  }
  switch (mode) {
    case HttpIngestMode::kGateway: {
      JY_TRY(h.sink, KafkaGateway::open({.settings = o.config.engine.kafka,
                                         .departments = all_departments(o.config.district),
                                         .wait = std::chrono::milliseconds(static_cast<int64_t>(
                                             std::max(0.0, options.ingest_wait) * 1000)),
                                         .client_id = "jiayuan-gateway"}));
      break;
    }
    case HttpIngestMode::kHere: {
      JY_TRY(h.intake, Intake::open(*o.log, o.config, intake_snapshot(o)));
      h.sink = std::make_unique<LocalSink>(*h.intake);
      break;
    }
    case HttpIngestMode::kNone:
      for (const char* path : {"/v1/events", "/v1/imports"}) {
        h.http->route("POST", path, [](const HttpRequest&, HttpResponse& res) {
          problem(res, 404,
                  "this is a read replica of the embedded log: send facts to the engine (`jiayuan "
                  "run --http`), the one process that writes the log");
        });
      }
      return {};
  }
  h.ingest = std::make_unique<HttpIngest>(*h.sink, h.metrics.get());
  h.ingest->install(*h.http);
  return {};
}

// SIGHUP reads the tokens file again; a file that does not load leaves the tokens as they were.
void reload_tokens_on_hangup(const std::string& path, const District& district, HttpSide& h) {
  std::signal(SIGHUP, on_hangup);
  h.reloader = std::thread([&h, path, &district] {
    while (!h.stopping.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!g_reload_tokens.exchange(false)) continue;
      auto tokens = load_tokens(path, district);
      if (!tokens) {
        spdlog::error("http: SIGHUP: {}; the tokens in force stay", tokens.error().message);
        continue;
      }
      const size_t n = tokens->size();
      h.http->set_tokens(std::move(*tokens));
      spdlog::info("http: SIGHUP: {} tokens from {} in force", n, path);
    }
  });
}

}  // namespace

void add_http_options(CLI::App* command, HttpOptions& o) {
  command->add_option("--tokens", o.tokens,
                      "TOML file of tokens: [tokens] \"<token>\" = \"<department>\" or { scope = "
                      "... }; read again on SIGHUP");
  command->add_option("--max-body", o.max_body, "largest request body in bytes")
      ->capture_default_str();
  command->add_option("--max-items", o.max_items, "most events in one request")
      ->capture_default_str();
  command
      ->add_option("--rate-limit", o.rate_limit,
                   "requests per second per token, beyond which 429 (0: no limit)")
      ->capture_default_str();
  command
      ->add_option("--ingest-wait", o.ingest_wait,
                   "on Kafka: seconds HTTP ingest waits for intake to judge what it put in a "
                   "department's inbox before answering \"pending\"")
      ->capture_default_str();
}

HttpSide::~HttpSide() { stop(); }

void HttpSide::stop() {
  stopping.store(true);
  if (reloader.joinable()) reloader.join();
  if (http) http->stop();
  if (intake) {
    if (auto saved = intake->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
    intake.reset();
  }
}

Status start_http(Opened& o, const Store& store, const HttpOptions& options, HttpIngestMode mode,
                  HttpSide& h) {
  const size_t colon = options.address.rfind(':');
  int port = -1;
  try {
    port = colon == std::string::npos ? -1 : std::stoi(options.address.substr(colon + 1));
  } catch (...) {
  }
  if (port < 0 || port > 65535) {
    return fail("bad_argument", "--http: expected HOST:PORT, got \"" + options.address + "\"");
  }
  if (options.tokens.empty())
    return fail("bad_argument", "--http needs --tokens FILE (see config/tokens.example.toml)");
  JY_TRY(auto tokens, load_tokens(options.tokens, o.config.district));
  std::string rule_sets;
  for (const RuleSet& rs : o.config.rules.sets())
    rule_sets += (rule_sets.empty() ? "" : ",") + rs.id;
  h.metrics = std::make_unique<Metrics>(JIAYUAN_VERSION, rule_sets);
  h.http = std::make_unique<HttpServer>(
      std::move(tokens), HttpLimits{static_cast<size_t>(options.max_body),
                                    static_cast<size_t>(options.max_items), options.rate_limit});
  JY_CHECK(open_ingest(o, options, mode, h));
  h.queries = std::make_unique<QueryApi>(
      store, o.config,
      QueryApiOptions{.dead_letters = h.dead_letters ? h.dead_letters.get() : o.log.get(),
                      .ready = [&h] { return h.caught_up.load(); },
                      .position = h.position,
                      .metrics = h.metrics.get(),
                      .as_known = known_stores(o)});
  h.queries->install(*h.http);
  install_dashboard(*h.http);
  JY_CHECK(h.http->start(options.address.substr(0, colon), port));
  reload_tokens_on_hangup(options.tokens, o.config.district, h);
  std::cout << "listening on http://" << options.address.substr(0, colon) << ":" << h.http->port()
            << "\n"
            << std::flush;
  spdlog::info("http: /v1 API, /dashboard/, /metrics on port {}", h.http->port());
  return {};
}

}  // namespace jiayuan::cli
