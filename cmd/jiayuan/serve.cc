// jiayuan serve: a read replica. The /v1 API, the dashboard and /metrics from projections of its
// own, fed by jiayuan.events and jiayuan.decisions (on Kafka from the cluster; on the embedded
// log through a RocksDB secondary instance beside the running engine), so that several replicas
// behind a load balancer share the readers' load and a replica's loss loses nothing.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "cmd/jiayuan/http.h"
#include "connectors/embedded_log.h"
#include "connectors/kafka_log.h"
#include "engine/runner.h"

namespace jiayuan::cli {
namespace {

struct ServeArgs {
  HttpOptions http;
  std::string replica_dir;
  int64_t batch_size = 0;
};

// Where the replica stands, for /readyz and the lag gauge: updated by its loop.
struct Position {
  std::atomic<int64_t> folded{0}, total{-1};
  nlohmann::json json() const {
    const int64_t t = total.load(), f = folded.load();
    if (t < 0) return {{"folded", f}, {"to_fold", nullptr}, {"behind", nullptr}};
    return {{"folded", f}, {"to_fold", t}, {"behind", std::max<int64_t>(0, t - f)}};
  }
};

int cmd_serve(const Globals& g, const ServeArgs& a) {
  if (a.http.address.empty())
    return report(Error{"bad_argument", "serve: --http HOST:PORT is required"});
  if (a.replica_dir.empty())
    return report(Error{"bad_argument",
                        "serve: --replica-dir DIR is required: the replica's own projections "
                        "(not the engine's data directory)"});
  // On Kafka the log is the cluster's; on the embedded log, the engine's (followed, never
  // written), so the replica needs no lock on it.
  auto o = open_all(g, false, Access::kRead, KafkaLogUse::kOpen);
  if (!o) return report(o.error());
  const std::filesystem::path own = a.replica_dir;
  const std::filesystem::path engine_dir = o->config.engine.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(own, ec);
  if (ec) return report(Error{"io", own.string() + ": cannot create: " + ec.message()});
  if (std::filesystem::equivalent(own, engine_dir, ec)) {
    return report(Error{"bad_argument", "--replica-dir " + a.replica_dir +
                                            " is the engine's data directory; give the replica "
                                            "a directory of its own"});
  }
  EmbeddedLog* secondary = nullptr;
  if (!o->kafka) {
    o->log.reset();  // the read-only view open_all made; a follower instead
    auto log =
        EmbeddedLog::open_secondary((engine_dir / "log").string(), (own / "log-follower").string());
    if (!log) return report(log.error());
    secondary = log->get();
    o->log = std::move(*log);
  }
  auto store = Store::open((own / "engine").string());
  if (!store) return report(store.error());
  o->store = std::move(*store);

  Position position;
  HttpSide h;
  h.position = [&position] { return position.json(); };
  if (Status s = start_http(*o, *o->store, a.http,
                            o->kafka ? HttpIngestMode::kGateway : HttpIngestMode::kNone, h);
      !s)
    return report(s.error());
  ReplicaOptions opts;
  opts.batch_size =
      static_cast<size_t>(a.batch_size > 0 ? a.batch_size : o->config.engine.batch_size);
  if (secondary != nullptr) opts.refresh = [secondary] { return secondary->catch_up(); };
  Metrics& metrics = *h.metrics;
  opts.progress = [&position, &metrics](int64_t done, int64_t total) {
    position.folded = done;
    position.total = total;
    metrics.lag("projections", 0, std::max<int64_t>(0, total - done));
  };
  opts.caught_up = &h.caught_up;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  spdlog::info("replica: projections in {}, following {}", own.string(),
               o->kafka ? o->config.engine.kafka.bootstrap : (engine_dir / "log").string());
  Status s = run_replica(*o->log, *o->store, o->config, opts, g_stop);
  h.stop();
  if (!s) return report(s.error());
  return kDone;
}

}  // namespace

void add_serve_command(CLI::App& app, const Globals& g, int& exit_code) {
  auto a = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand(
      "serve",
      "a read replica: the /v1 API, the dashboard and /metrics from projections of its own, "
      "following the log (beside the engine)");
  serve->add_option("--http", a->http.address, "serve on HOST:PORT")->required();
  serve
      ->add_option("--replica-dir", a->replica_dir,
                   "the replica's own data directory (its projections)")
      ->required();
  serve->add_option("--batch-size", a->batch_size,
                    "records per atomic step (default: engine.toml)");
  add_http_options(serve, a->http);
  serve->callback([&g, &exit_code, a] { exit_code = cmd_serve(g, *a); });
}

}  // namespace jiayuan::cli
