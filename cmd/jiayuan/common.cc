#include "cmd/jiayuan/common.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <vector>

#include "connectors/embedded_log.h"
#include "connectors/kafka_log.h"
#include "engine/audit.h"
#include "engine/clock.h"
#include "engine/intake.h"

namespace jiayuan::cli {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

std::optional<Date> today() { return system_clock().today(); }

Result<std::unique_ptr<Log>> scratch_log(const ScratchDir& dir, const char* name, const Log& like) {
  std::map<std::string, int32_t> parts;
  for (std::string_view t : {topics::kEvents, topics::kDecisions, topics::kDeadLetter}) {
    parts[std::string(t)] = like.partition_count(t);
  }
  JY_TRY(std::unique_ptr<EmbeddedLog> log, EmbeddedLog::open(dir.sub(name), parts));
  return std::unique_ptr<Log>(std::move(log));
}

Status use_as_known(Opened& o, const std::string& as_known) {
  if (as_known.empty()) return {};
  const auto ms = parse_instant_ms(as_known);
  if (!ms) {
    return fail("bad_argument",
                "--as-known: expected an instant such as 2024-01-15T18:00:00+08:00, got \"" +
                    as_known + "\"");
  }
  JY_TRY(o.scratch_dir, ScratchDir::make("", "as-known"));
  JY_TRY(o.scratch, scratch_log(*o.scratch_dir, "log", *o.log));
  JY_TRY(o.store, as_known_at(*o.log, *o.scratch, o.scratch_dir->sub("engine"), o.config, *ms));
  return {};
}

namespace {
// Credentials and security settings from the environment override engine.toml (secrets need
// not be written in a file).
void apply_kafka_environment(KafkaSettings& k) {
  for (auto [name, field] : {std::pair<const char*, std::string*>{"JIAYUAN_KAFKA_SECURITY_PROTOCOL",
                                                                  &k.security_protocol},
                             {"JIAYUAN_KAFKA_SASL_MECHANISM", &k.sasl_mechanism},
                             {"JIAYUAN_KAFKA_USERNAME", &k.username},
                             {"JIAYUAN_KAFKA_PASSWORD", &k.password},
                             {"JIAYUAN_KAFKA_TOPIC_PREFIX", &k.topic_prefix},
                             {"JIAYUAN_KAFKA_GROUP", &k.group}}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') *field = v;
  }
}
}  // namespace

int report(const Error& e) {
  std::cerr << "jiayuan: error: " << e.message << "\n";
  return kCouldNotRun;
}

Result<Config> load(const Globals& g) {
  auto config = load_config(g.config_dir);
  if (!config) {
    return fail(config.error().code, config.error().message + "\n(config directory: " +
                                         g.config_dir + "; set it with --config)");
  }
  if (!g.data_dir.empty()) {
    config->engine.data_dir = g.data_dir;
  } else if (const char* d = std::getenv("JIAYUAN_DATA_DIR"); d != nullptr && *d != '\0') {
    config->engine.data_dir = d;  // the image's and the systemd unit's
  }
  if (!g.kafka.empty()) config->engine.kafka.bootstrap = g.kafka;
  if (const char* v = std::getenv("JIAYUAN_DISK_RESERVE_MB"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    const long long mb = std::strtoll(v, &end, 10);
    if (*end != '\0' || mb < 0) {
      return fail("bad_argument",
                  std::string("JIAYUAN_DISK_RESERVE_MB: expected megabytes (0 or more), got \"") +
                      v + "\"");
    }
    config->engine.disk_reserve_mb = mb;
  }
  apply_kafka_environment(config->engine.kafka);
  const std::string level = g.log_level.empty() ? config->engine.log_level : g.log_level;
  spdlog::set_level(spdlog::level::from_str(level));
  return config;
}

Result<Opened> open_all(const Globals& g, bool with_store, Access access, KafkaLogUse kafka_log) {
  Opened o;
  JY_TRY(o.config, load(g));
  const DiskOptions disk{.read_only = access == Access::kRead,
                         .reserve_bytes = static_cast<uint64_t>(o.config.engine.disk_reserve_mb)
                                          << 20};
  const std::filesystem::path dir = o.config.engine.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("io", dir.string() + ": cannot create the data directory: " + ec.message());
  if (!o.config.engine.kafka.bootstrap.empty()) {
    o.kafka = true;
    if (kafka_log == KafkaLogUse::kOpen) {
      JY_TRY(o.log, KafkaLog::open({.settings = o.config.engine.kafka,
                                    .client_id = "jiayuan-engine",
                                    .transactional_id = "",
                                    .require_topics = true}));
    }
  } else {
    const auto parts = static_cast<int32_t>(o.config.engine.log_partitions);
    JY_TRY(o.log, EmbeddedLog::open((dir / "log").string(),
                                    {{std::string(topics::kEvents), parts},
                                     {std::string(topics::kDecisions), parts}},
                                    disk));
  }
  if (with_store) {
    JY_TRY(o.store, Store::open((dir / "engine").string(), disk));
    if (o.store->rebuilt_projections()) {
      spdlog::warn(
          "{}: the projections were written by an earlier version (no list lines); they are "
          "built again from the log as the engine folds it",
          (dir / "engine").string());
    }
  }
  return o;
}

std::string intake_snapshot(const Opened& o) {
  return o.kafka ? std::string()
                 : (std::filesystem::path(o.config.engine.data_dir) / "intake.snapshot").string();
}

std::function<Result<std::shared_ptr<const Store>>(int64_t)> known_stores(Opened& o) {
  struct Known {
    std::unique_ptr<ScratchDir> dir;
    std::unique_ptr<Log> scratch;
    std::unique_ptr<Store> store;
  };
  struct Cache {
    std::mutex mu;
    std::vector<std::pair<int64_t, std::shared_ptr<Known>>> recent;
  };
  auto cache = std::make_shared<Cache>();
  return [&o, cache](int64_t ms) -> Result<std::shared_ptr<const Store>> {
    std::lock_guard lock(cache->mu);
    for (const auto& [at, k] : cache->recent) {
      if (at == ms) return std::shared_ptr<const Store>(k, k->store.get());
    }
    auto k = std::make_shared<Known>();
    std::unique_ptr<Log> own;
    if (o.kafka) {
      JY_TRY(own, KafkaLog::open({.settings = o.config.engine.kafka,
                                  .client_id = "jiayuan-as-known",
                                  .transactional_id = "",
                                  .require_topics = true}));
    }
    Log& log = own ? *own : *o.log;
    JY_TRY(k->dir, ScratchDir::make("", "as-known"));
    JY_TRY(k->scratch, scratch_log(*k->dir, "log", log));
    JY_TRY(k->store, as_known_at(log, *k->scratch, k->dir->sub("engine"), o.config, ms));
    cache->recent.emplace_back(ms, k);
    if (cache->recent.size() > 4) cache->recent.erase(cache->recent.begin());
    return std::shared_ptr<const Store>(k, k->store.get());
  };
}

}  // namespace jiayuan::cli
