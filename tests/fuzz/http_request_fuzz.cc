// libFuzzer target: one HTTP request's bytes through the real parser, limits, routes and
// handlers (ingest into intake, the /v1 query API over a folded demo district, the dashboard),
// exactly as a connection would bring them, with no socket. Whatever the bytes, the answer is
// an HTTP/1.1 response with a status the server may give; nothing crashes, leaks or throws.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "config/config.h"
#include "connectors/dashboard.h"
#include "connectors/embedded_log.h"
#include "connectors/http_ingest.h"
#include "connectors/http_server.h"
#include "connectors/query_api.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "tests/support/manual_clock.h"

namespace {

using namespace jiayuan;

// 2024-06-30T00:00:00Z: the ages of waiting facts and /v1/cases's default date (2024-06-30).
const Clock& fixed_clock() {
  static const testing::ManualClock clock(1719705600000);
  return clock;
}

struct World {
  Config config;
  std::unique_ptr<EmbeddedLog> log;
  std::unique_ptr<Store> store;
  std::unique_ptr<Intake> intake;
  std::unique_ptr<LocalSink> sink;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpIngest> ingest;
  std::unique_ptr<QueryApi> queries;
};

World* world() {
  static World* w = [] {
    auto* w = new World;
    w->config = *load_config(JIAYUAN_TEST_CONFIG_DIR);
    char pattern[] = "/dev/shm/jiayuan-http-fuzz-XXXXXX";
    static const std::string dir = mkdtemp(pattern) != nullptr ? pattern : "/tmp/jiayuan-http-fuzz";
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    w->log = std::move(*EmbeddedLog::open(dir + "/log", {}, DiskOptions{.reserve_bytes = 0}));
    w->store = std::move(*Store::open(dir + "/engine", DiskOptions{.reserve_bytes = 0}));
    w->intake = std::move(*Intake::open(*w->log, w->config));
    // A small folded district, so the queries have something to answer.
    std::vector<IntakeInput> facts;
    GeneratorOptions g;
    g.communities = 6;
    g.streets = 2;
    (void)generate_district(g, w->config, [&](const std::string& line) {
      facts.push_back({line, "gen", std::nullopt});
    });
    (void)w->intake->submit(facts);
    std::atomic<bool> stop{false};
    (void)run_engine(*w->log, *w->store, w->config, RunOptions{}, stop);
    std::map<std::string, Principal> tokens = {
        {"bureau-token-0123456789", Principal{Scope::kDepartment, "", DepartmentId("bureau")}},
        {"district-token-0123456789", Principal{Scope::kDistrict, "", DepartmentId()}},
        {"street-token-0123456789", Principal{Scope::kStreet, "yueyang", DepartmentId()}},
        {"auditor-token-0123456789", Principal{Scope::kAuditor, "", DepartmentId()}}};
    HttpLimits limits;
    limits.max_body_bytes = 1 << 16;
    w->server = std::make_unique<HttpServer>(std::move(tokens), limits);
    w->sink = std::make_unique<LocalSink>(*w->intake);
    w->ingest = std::make_unique<HttpIngest>(*w->sink, nullptr);
    w->ingest->install(*w->server);
    w->queries = std::make_unique<QueryApi>(*w->store, w->config,
                                            QueryApiOptions{.dead_letters = w->log.get(),
                                                            .ready = nullptr,
                                                            .metrics = nullptr,
                                                            .clock = &fixed_clock()});
    w->queries->install(*w->server);
    install_dashboard(*w->server);
    return w;
  }();
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string answer =
      world()->server->answer(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!answer.starts_with("HTTP/1.1 ") || answer.find("\r\n\r\n") == std::string::npos)
    std::abort();
  const int status = std::atoi(answer.c_str() + 9);
  if (status < 200 || status > 599) std::abort();
  if (status == 500) std::abort();  // 500 means a handler threw: a bug, whatever the input
  return 0;
}
