// jiayuan run: the engine loop, with intake over HTTP (embedded log) or from the inboxes (Kafka),
// the /v1 API, the dashboard and /metrics.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "cmd/jiayuan/http.h"
#include "connectors/kafka_intake.h"
#include "connectors/kafka_log.h"
#include "connectors/metrics.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "events/sha256.h"

namespace jiayuan::cli {
namespace {

// This instance's name on the cluster: the host and its data directory, stable across restarts.
std::string instance_name(const std::string& data_dir) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(data_dir, ec).lexically_normal().string();
  return std::string(host) + "-" + sha256_hex(dir).substr(0, 12);
}

// On Kafka: stage 1 reads jiayuan.events through the consumer group, intake takes the inboxes.
struct OnKafka {
  std::unique_ptr<KafkaGroupLog> group;
  std::unique_ptr<KafkaIntake> intake;
};

Status join_kafka(Opened& o, std::string instance, OnKafka& k, RunOptions& opts) {
  Store& store = *o.store;
  if (instance.empty()) instance = instance_name(o.config.engine.data_dir);
  JY_TRY(k.group,
         KafkaGroupLog::open(
             static_cast<KafkaLog&>(*o.log),
             [&store](int32_t p) { return store.offset("stage1", topics::kEvents, p); }, instance));
  JY_TRY(k.intake, KafkaIntake::open(o.config.engine.kafka, o.config, instance));
  opts.stage1_log = k.group.get();
  opts.intake = [&k](size_t max) -> Result<size_t> {
    JY_TRY(size_t taken, k.intake->step(max));
    // What intake appended exists even where the stages' consumers have not fetched it yet.
    for (const auto& [p, end] : k.intake->appended_ends()) k.group->expect(p, end);
    return taken;
  };
  spdlog::info("engine: on Kafka at {} as instance {}", o.config.engine.kafka.bootstrap, instance);
  return {};
}

// Each round's counters into the metrics; the lag of stage 1 (Kafka asked at most once a second).
std::function<void(const StageCounters&, double)> metrics_observer(
    Opened& o, Metrics& metrics, const KafkaIntake* kafka_intake) {
  auto last_lag = std::chrono::steady_clock::now() - std::chrono::hours(1);
  KafkaIntakeCounters seen;
  return [&o, &metrics, kafka_intake, last_lag, seen](const StageCounters& round,
                                                      double seconds) mutable {
    metrics.folded(round.facts);
    metrics.step_seconds(seconds);
    for (const auto& [kind, n] : round.decisions_by_kind) {
      if (n > 0) metrics.decision(kind, n);
    }
    for (const auto& [code, n] : round.rejected_by_code) {
      if (n > 0) metrics.stage_rejected(code, n);
    }
    if (kafka_intake != nullptr) {  // its reasons are in the dead-letter log's headers
      const KafkaIntakeCounters& c = kafka_intake->counters();
      metrics.intake_outcome("accepted", "", c.accepted - seen.accepted);
      metrics.intake_outcome("duplicate", "", c.duplicates - seen.duplicates);
      metrics.intake_outcome("rejected", "inbox", c.rejected - seen.rejected);
      seen = c;
    }
    // The embedded log knows its ends in memory; Kafka is asked at most once a second.
    if (o.kafka && std::chrono::steady_clock::now() - last_lag < std::chrono::seconds(1)) return;
    last_lag = std::chrono::steady_clock::now();
    for (int32_t p = 0; p < o.log->partition_count(topics::kEvents); ++p) {
      auto end = o.log->end_offset(topics::kEvents, p);
      auto at = o.store->offset("stage1", topics::kEvents, p);
      if (end && at) metrics.lag(std::string(topics::kEvents), p, std::max<int64_t>(0, *end - *at));
    }
  };
}

// With --http: serving while it runs, the metrics fed by every round.
Status serve_http(Opened& o, const HttpOptions& http_opts, const KafkaIntake* kafka_intake,
                  HttpSide& h, RunOptions& opts) {
  JY_CHECK(start_http(o, *o.store, http_opts,
                      o.kafka ? HttpIngestMode::kGateway : HttpIngestMode::kHere, h));
  opts.caught_up = &h.caught_up;
  opts.observe = metrics_observer(o, *h.metrics, kafka_intake);
  return {};
}

int cmd_run(const Globals& g, bool follow, int64_t batch_size, const HttpOptions& http_opts,
            std::string instance) {
  auto o = open_all(g);
  if (!o) return report(o.error());
  RunOptions opts;
  opts.until_idle = !follow && http_opts.address.empty();
  OnKafka kafka;
  if (o->kafka) {
    if (Status s = join_kafka(*o, std::move(instance), kafka, opts); !s) return report(s.error());
  }
  HttpSide h;
  if (!http_opts.address.empty()) {
    if (Status s = serve_http(*o, http_opts, kafka.intake.get(), h, opts); !s)
      return report(s.error());
  }
  opts.batch_size = static_cast<size_t>(batch_size > 0 ? batch_size : o->config.engine.batch_size);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto s = run_engine(*o->log, *o->store, o->config, opts, g_stop);
  h.stop();
  if (!s) return report(s.error());
  if (kafka.intake) {
    const KafkaIntakeCounters& c = kafka.intake->counters();
    spdlog::info(
        "intake: {} inbox messages: {} accepted, {} duplicates, {} rejected; {} transactions "
        "aborted",
        c.messages, c.accepted, c.duplicates, c.rejected, c.aborted);
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, const Globals& g, int& exit_code) {
  struct Args {
    bool follow = false;
    int64_t batch_size = 0;
    HttpOptions http;
    std::string instance;
  };
  auto a = std::make_shared<Args>();
  auto* run = app.add_subcommand("run", "fold the log through every stage into the projections");
  run->add_flag("--follow", a->follow,
                "keep running and fold new facts as they arrive (stop with Ctrl-C)");
  run->add_option("--batch-size", a->batch_size, "facts per atomic step (default: engine.toml)");
  run->add_option("--http", a->http.address,
                  "also take facts over HTTP on HOST:PORT (POST /v1/events); implies --follow");
  add_http_options(run, a->http);
  run->add_option("--instance", a->instance,
                  "this engine's name on the Kafka cluster (default: host and data directory)");
  run->callback([&g, &exit_code, a] {
    exit_code = cmd_run(g, a->follow, a->batch_size, a->http, a->instance);
  });
}

}  // namespace jiayuan::cli
