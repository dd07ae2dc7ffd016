// jiayuan: the command line. Each subcommand is a thin edge over the modules.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <unistd.h>

#include "config/config.h"
#include "events/sha256.h"
#include "connectors/csv_import.h"
#include "connectors/xlsx_import.h"
#include "connectors/embedded_log.h"
#include "connectors/dashboard.h"
#include "connectors/http_ingest.h"
#include "connectors/metrics.h"
#include "connectors/ndjson.h"
#include "connectors/lists.h"
#include "connectors/query_api.h"
#include "connectors/kafka_intake.h"
#include "connectors/kafka_log.h"
#include "engine/audit.h"
#include "engine/cli_format.h"
#include "engine/district_stage.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "events/json_limits.h"
#include "events/schema.h"
#include "projections/queries.h"

#ifndef JIAYUAN_VERSION
#define JIAYUAN_VERSION "dev"
#endif
#ifndef JIAYUAN_DEFAULT_CONFIG_DIR
#define JIAYUAN_DEFAULT_CONFIG_DIR "config"
#endif

namespace jiayuan {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

// Today's date in Shanghai from the process clock: only at this edge, never in the workflows.
std::optional<Date> today() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return shanghai_date_of(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

struct Globals {
  std::string config_dir;
  std::string data_dir;
  std::string log_level;
  std::string kafka;     // --kafka HOST:PORT
  std::string as_known;  // query --as-known INSTANT
};

// A directory of its own under `parent`, removed with everything in it when this goes.
class ScratchDir {
 public:
  static Result<std::unique_ptr<ScratchDir>> make(const std::string& parent, const std::string& name) {
    std::error_code ec;
    const std::filesystem::path base = parent.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(parent);
    std::filesystem::create_directories(base, ec);
    std::string pattern = (base / ("jiayuan-" + name + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return fail("io", pattern + ": cannot create a scratch directory (" + std::strerror(errno) + "); choose one with --work-dir");
    }
    return std::unique_ptr<ScratchDir>(new ScratchDir(pattern));
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string sub(const char* name) const { return (path_ / name).string(); }

 private:
  explicit ScratchDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

// A scratch embedded log with the same partitions as `like`.
Result<std::unique_ptr<Log>> scratch_log(const ScratchDir& dir, const char* name, const Log& like) {
  std::map<std::string, int32_t> parts;
  for (std::string_view t : {topics::kEvents, topics::kDecisions, topics::kDeadLetter}) {
    parts[std::string(t)] = like.partition_count(t);
  }
  JY_TRY(std::unique_ptr<EmbeddedLog> log, EmbeddedLog::open(dir.sub(name), parts));
  return std::unique_ptr<Log>(std::move(log));
}

struct Opened {
  Config config;
  std::unique_ptr<Log> log;
  std::unique_ptr<Store> store;
  bool kafka = false;
  // As known at an instant: the store recomputed from what had been accepted by then.
  std::unique_ptr<ScratchDir> scratch_dir;
  std::unique_ptr<Log> scratch;
};

// --as-known INSTANT: replaces the store with the projections as known at that instant (the
// stages run over the facts accepted by then, in a scratch directory removed afterwards).
Status use_as_known(Opened& o, const std::string& as_known) {
  if (as_known.empty()) return {};
  const auto ms = parse_instant_ms(as_known);
  if (!ms) {
    return fail("bad_argument", "--as-known: expected an instant such as 2024-01-15T18:00:00+08:00, got \"" + as_known + "\"");
  }
  JY_TRY(o.scratch_dir, ScratchDir::make("", "as-known"));
  JY_TRY(o.scratch, scratch_log(*o.scratch_dir, "log", *o.log));
  JY_TRY(o.store, as_known_at(*o.log, *o.scratch, o.scratch_dir->sub("engine"), o.config, *ms));
  return {};
}

// Credentials and security settings from the environment override engine.toml (secrets need
// not be written in a file).
void apply_kafka_environment(KafkaSettings& k) {
  for (auto [name, field] : {std::pair<const char*, std::string*>{"JIAYUAN_KAFKA_SECURITY_PROTOCOL", &k.security_protocol},
                             {"JIAYUAN_KAFKA_SASL_MECHANISM", &k.sasl_mechanism},
                             {"JIAYUAN_KAFKA_USERNAME", &k.username},
                             {"JIAYUAN_KAFKA_PASSWORD", &k.password},
                             {"JIAYUAN_KAFKA_TOPIC_PREFIX", &k.topic_prefix},
                             {"JIAYUAN_KAFKA_GROUP", &k.group}}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') *field = v;
  }
}

int report(const Error& e) {
  std::cerr << "jiayuan: error: " << e.message << "\n";
  return 1;
}

Result<Config> load(const Globals& g) {
  auto config = load_config(g.config_dir);
  if (!config) {
    return fail(config.error().code, config.error().message +
                                         "\n(config directory: " + g.config_dir + "; set it with --config)");
  }
  if (!g.data_dir.empty()) config->engine.data_dir = g.data_dir;
  if (!g.kafka.empty()) config->engine.kafka.bootstrap = g.kafka;
  if (const char* v = std::getenv("JIAYUAN_DISK_RESERVE_MB"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    const long long mb = std::strtoll(v, &end, 10);
    if (*end != '\0' || mb < 0) {
      return fail("bad_argument", std::string("JIAYUAN_DISK_RESERVE_MB: expected megabytes (0 or more), got \"") + v + "\"");
    }
    config->engine.disk_reserve_mb = mb;
  }
  apply_kafka_environment(config->engine.kafka);
  const std::string level = g.log_level.empty() ? config->engine.log_level : g.log_level;
  spdlog::set_level(spdlog::level::from_str(level));
  return config;
}

// What a command does with the data directory: reads only (no lock, no space needed: it
// runs beside the engine and on a full disk) or writes.
enum class Access { kRead, kWrite };

Result<Opened> open_all(const Globals& g, bool with_store = true, Access access = Access::kWrite) {
  Opened o;
  JY_TRY(o.config, load(g));
  const DiskOptions disk{.read_only = access == Access::kRead,
                         .reserve_bytes = static_cast<uint64_t>(o.config.engine.disk_reserve_mb) << 20};
  const std::filesystem::path dir = o.config.engine.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("io", dir.string() + ": cannot create the data directory: " + ec.message());
  if (!o.config.engine.kafka.bootstrap.empty()) {
    o.kafka = true;
    JY_TRY(o.log, KafkaLog::open({.settings = o.config.engine.kafka, .client_id = "jiayuan-engine",
                                    .transactional_id = "", .require_topics = true}));
  } else {
    JY_TRY(o.log, EmbeddedLog::open((dir / "log").string(), {}, disk));
  }
  if (with_store) {
    JY_TRY(o.store, Store::open((dir / "engine").string(), disk));
  }
  return o;
}

// Where intake keeps what it remembers between starts (embedded log only: on Kafka each
// instance learns from the cluster).
std::string intake_snapshot(const Opened& o) {
  return o.kafka ? std::string() : (std::filesystem::path(o.config.engine.data_dir) / "intake.snapshot").string();
}

// ---- run ---------------------------------------------------------------------------------
// ?as_known= for the HTTP API: the store as known at an instant, recomputed in a scratch
// directory on first asking and kept for the next questions (the last four instants asked).
// On Kafka the recomputation reads jiayuan.events through a client of its own (the engine
// loop's is not shared with the HTTP threads).
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
      JY_TRY(own, KafkaLog::open({.settings = o.config.engine.kafka, .client_id = "jiayuan-as-known",
                                  .transactional_id = "", .require_topics = true}));
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

struct HttpOptions {
  std::string address;  // host:port; empty: no HTTP
  std::string tokens;
  int64_t max_body = 8 * 1024 * 1024;
  int64_t max_items = 10000;
  double rate_limit = 0;
};

// This instance's name on the cluster: the host and its data directory, stable across restarts.
std::string instance_name(const std::string& data_dir) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(data_dir, ec).lexically_normal().string();
  return std::string(host) + "-" + sha256_hex(dir).substr(0, 12);
}

int cmd_run(const Globals& g, bool follow, int64_t batch_size, const HttpOptions& http_opts, std::string instance) {
  auto o = open_all(g);
  if (!o) return report(o.error());
  RunOptions opts;
  opts.until_idle = !follow && http_opts.address.empty();
  std::unique_ptr<KafkaGroupLog> group;
  std::unique_ptr<KafkaIntake> kafka_intake;
  if (o->kafka) {
    Store& store = *o->store;
    if (instance.empty()) instance = instance_name(o->config.engine.data_dir);
    auto opened_group = KafkaGroupLog::open(
        static_cast<KafkaLog&>(*o->log),
        [&store](int32_t p) { return store.offset("stage1/" + std::string(topics::kEvents) + "/" + std::to_string(p)); },
        instance);
    if (!opened_group) return report(opened_group.error());
    group = std::move(*opened_group);
    auto opened_intake = KafkaIntake::open(o->config.engine.kafka, o->config, instance);
    if (!opened_intake) return report(opened_intake.error());
    kafka_intake = std::move(*opened_intake);
    opts.stage1_log = group.get();
    opts.intake = [&kafka_intake, &group](size_t max) -> Result<size_t> {
      JY_TRY(size_t taken, kafka_intake->step(max));
      // What intake appended exists even where the stages' consumers have not fetched it yet.
      for (const auto& [p, end] : kafka_intake->appended_ends()) group->expect(p, end);
      return taken;
    };
    spdlog::info("engine: on Kafka at {} as instance {}", o->config.engine.kafka.bootstrap, instance);
  }
  std::unique_ptr<Intake> intake;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<HttpIngest> ingest;
  std::unique_ptr<QueryApi> queries;
  std::unique_ptr<Metrics> metrics;
  std::atomic<bool> caught_up{false};
  if (!http_opts.address.empty()) {
    const size_t colon = http_opts.address.rfind(':');
    int port = -1;
    try {
      port = colon == std::string::npos ? -1 : std::stoi(http_opts.address.substr(colon + 1));
    } catch (...) {
    }
    if (port < 0 || port > 65535) {
      return report(Error{"bad_argument", "--http: expected HOST:PORT, got \"" + http_opts.address + "\""});
    }
    if (http_opts.tokens.empty()) return report(Error{"bad_argument", "--http needs --tokens FILE (see config/tokens.example.toml)"});
    auto tokens = load_tokens(http_opts.tokens, o->config.district);
    if (!tokens) return report(tokens.error());
    std::string rule_sets;
    for (const RuleSet& rs : o->config.rules.sets()) rule_sets += (rule_sets.empty() ? "" : ",") + rs.id;
    metrics = std::make_unique<Metrics>(JIAYUAN_VERSION, rule_sets);
    http = std::make_unique<HttpServer>(std::move(*tokens),
                                        HttpLimits{static_cast<size_t>(http_opts.max_body), static_cast<size_t>(http_opts.max_items),
                                                   http_opts.rate_limit});
    if (o->kafka) {
      http->route("POST", "/v1/events", [](const HttpRequest&, HttpResponse& res) {
        problem(res, 404, "on Kafka, a department publishes to its inbox topic jiayuan.inbox.<department>, not over HTTP");
      });
    } else {
      auto opened = Intake::open(*o->log, o->config, intake_snapshot(*o));
      if (!opened) return report(opened.error());
      intake = std::move(*opened);
      ingest = std::make_unique<HttpIngest>(*intake, metrics.get());
      ingest->install(*http);
    }
    queries = std::make_unique<QueryApi>(*o->store, o->config,
                                         QueryApiOptions{.dead_letters = o->kafka ? nullptr : o->log.get(),
                                                         .today = [] { return *today(); },
                                                         .ready = [&caught_up] { return caught_up.load(); },
                                                         .metrics = metrics.get(),
                                                         .now_ms = nullptr,
                                                         .as_known = known_stores(*o)});
    queries->install(*http);
    install_dashboard(*http);
    if (auto s = http->start(http_opts.address.substr(0, colon), port); !s) return report(s.error());
    std::cout << "listening on http://" << http_opts.address.substr(0, colon) << ":" << http->port() << "\n" << std::flush;
    spdlog::info("http: /v1 API, /dashboard/, /metrics on port {}", http->port());
    opts.caught_up = &caught_up;
    Log& log = *o->log;
    Store& store = *o->store;
    auto last_lag = std::chrono::steady_clock::now() - std::chrono::hours(1);
    KafkaIntakeCounters seen;
    opts.observe = [&, last_lag](const StageCounters& round, double seconds) mutable {
      metrics->folded(round.facts);
      metrics->step_seconds(seconds);
      for (const auto& [kind, n] : round.decisions_by_kind) {
        if (n > 0) metrics->decision(kind, n);
      }
      for (const auto& [code, n] : round.rejected_by_code) {
        if (n > 0) metrics->stage_rejected(code, n);
      }
      if (kafka_intake) {  // its reasons are in the dead-letter log's headers
        const KafkaIntakeCounters& c = kafka_intake->counters();
        metrics->intake_outcome("accepted", "", c.accepted - seen.accepted);
        metrics->intake_outcome("duplicate", "", c.duplicates - seen.duplicates);
        metrics->intake_outcome("rejected", "inbox", c.rejected - seen.rejected);
        seen = c;
      }
      // The embedded log knows its ends in memory; Kafka is asked at most once a second.
      if (o->kafka && std::chrono::steady_clock::now() - last_lag < std::chrono::seconds(1)) return;
      last_lag = std::chrono::steady_clock::now();
      for (int32_t p = 0; p < log.partition_count(topics::kEvents); ++p) {
        auto end = log.end_offset(topics::kEvents, p);
        auto at = store.offset("stage1/" + std::string(topics::kEvents) + "/" + std::to_string(p));
        if (end && at) metrics->lag(std::string(topics::kEvents), p, std::max<int64_t>(0, *end - *at));
      }
    };
  }
  opts.batch_size = static_cast<size_t>(batch_size > 0 ? batch_size : o->config.engine.batch_size);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto s = run_engine(*o->log, *o->store, o->config, opts, g_stop);
  if (http) http->stop();
  if (intake) {
    if (auto saved = intake->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  }
  if (!s) return report(s.error());
  if (kafka_intake) {
    const KafkaIntakeCounters& c = kafka_intake->counters();
    spdlog::info("intake: {} inbox messages: {} accepted, {} duplicates, {} rejected; {} transactions aborted",
                 c.messages, c.accepted, c.duplicates, c.rejected, c.aborted);
  }
  return 0;
}

// ---- topics ------------------------------------------------------------------------------
int cmd_topics_create(const Globals& g, bool acls) {
  auto config = load(g);
  if (!config) return report(config.error());
  const KafkaSettings& k = config->engine.kafka;
  if (k.bootstrap.empty()) return report(Error{"bad_argument", "topics: no Kafka cluster (give --kafka HOST:PORT)"});
  auto lines = create_topics(k, config->district);
  if (!lines) return report(lines.error());
  for (const std::string& l : *lines) std::cout << l << "\n";
  if (acls) {
    auto granted = create_department_acls(k, config->district);
    if (!granted) return report(granted.error());
    for (const std::string& l : *granted) std::cout << l << "\n";
  }
  return 0;
}

// ---- publish -----------------------------------------------------------------------------
// The non-blank lines of NDJSON files ("-": standard input), in batches of up to 1000:
// `batch(lines)` gets each line with its origin ("file:line"); an error stops the reading.
using NdjsonBatch = std::function<Status(std::vector<NdjsonLine>&)>;
Status read_ndjson(const std::vector<std::string>& files, const NdjsonBatch& batch) {
  for (const std::string& file : files) {
    std::ifstream file_in;
    std::istream* in = &std::cin;
    if (file != "-") {
      file_in.open(file, std::ios::binary);
      if (!file_in) return fail("io", file + ": cannot open for reading");
      in = &file_in;
    }
    NdjsonReader reader(*in, file == "-" ? "stdin" : file);
    std::vector<NdjsonLine> lines;
    for (NdjsonLine line; reader.next(line);) {
      lines.push_back(std::move(line));
      if (lines.size() >= 1000) {
        JY_CHECK(batch(lines));
        lines.clear();
        if (reader.lines_read() % 100000 < 1000) spdlog::info("publish: {} lines of {}", reader.lines_read(), file);
      }
    }
    JY_CHECK(batch(lines));
  }
  return {};
}

// The reason a line too long to be a fact is refused.
Error line_too_long(const NdjsonLine& line) {
  return field_error("too_large", "line", "at most 1 MiB (one event)",
                     std::to_string(line.size) + " bytes (its first " + std::to_string(NdjsonReader::kKeptBytes) +
                         " kept in the dead-letter log)");
}

// Over Kafka, `publish` is a department's tool: it writes the lines to the department's inbox
// (structured CloudEvents), and the engine's intake validates them.
int publish_to_inbox(Opened& o, const std::vector<std::string>& files, const std::string& source) {
  if (source.empty() || !o.config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument", "--source: over Kafka, publish writes the inbox of a department of "
                                        "district.toml; expected one, got \"" + source + "\""});
  }
  size_t sent = 0;
  Status s = read_ndjson(files, [&](std::vector<NdjsonLine>& lines) -> Status {
    std::vector<Record> batch;
    for (NdjsonLine& line : lines) {
      if (line.too_long) {
        std::cerr << line.origin << ": not sent: " << line_too_long(line).message << "\n";
        continue;
      }
      std::string key;
      if (check_json(line.text, JsonLimits{})) {
        const auto doc = nlohmann::json::parse(line.text, nullptr, false);
        if (doc.is_object() && doc.contains("subject") && doc["subject"].is_string()) key = doc["subject"];
      }
      batch.push_back(Record{key, std::move(line.text), {{"content-type", "application/cloudevents+json"}}});
    }
    JY_TRY(std::vector<Position> ignored, o.log->append(inbox_topic(source), batch));
    sent += batch.size();
    return {};
  });
  if (!s) return report(s.error());
  std::cout << "published: " << sent << " facts to " << o.config.engine.kafka.topic_prefix << inbox_topic(source)
            << " (the engine's intake validates them; rejects go to jiayuan.dead-letter)\n";
  return 0;
}

int cmd_publish(const Globals& g, const std::vector<std::string>& files, const std::string& source) {
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  if (o->kafka) return publish_to_inbox(*o, files, source);
  auto intake = Intake::open(*o->log, o->config, intake_snapshot(*o));
  if (!intake) return report(intake.error());
  size_t accepted = 0, duplicates = 0, rejected = 0, waiting = 0;
  Status s = read_ndjson(files, [&](std::vector<NdjsonLine>& lines) -> Status {
    std::vector<IntakeInput> batch;
    for (NdjsonLine& line : lines) {
      const std::optional<Error> too_long = line.too_long ? std::optional(line_too_long(line)) : std::nullopt;
      IntakeInput input{std::move(line.text), std::move(line.origin), std::nullopt};
      if (!source.empty()) input.proven_source = DepartmentId(source);
      if (too_long) {
        const Error& why = *too_long;
        JY_CHECK((*intake)->dead_letter(input, "intake", why));
        std::cerr << input.origin << ": rejected: " << why.message << "\n";
        ++rejected;
        continue;
      }
      batch.push_back(std::move(input));
    }
    JY_TRY(std::vector<IntakeOutcome> outcomes, (*intake)->submit(batch));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      switch (outcomes[i].verdict) {
        case Verdict::kAccepted:
          ++accepted;
          if (!outcomes[i].waiting_for.empty()) {
            ++waiting;
            std::cerr << batch[i].origin << ": waiting for the registration of " << outcomes[i].waiting_for << "\n";
          }
          break;
        case Verdict::kDuplicate: ++duplicates; break;
        case Verdict::kRejected:
          ++rejected;
          std::cerr << batch[i].origin << ": rejected: " << outcomes[i].reason.message << "\n";
          break;
      }
    }
    return {};
  });
  if (!s) return report(s.error());
  if (auto saved = (*intake)->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  if (waiting > 0) {
    std::cout << waiting << " of the accepted facts wait for the registration of what they name (they count once it "
                            "comes; `jiayuan dead-letter list` shows them)\n";
  }
  std::cout << "published: " << accepted << " accepted, " << duplicates << " already in the log, "
            << rejected << " rejected" << (rejected ? " (see `jiayuan dead-letter list`)" : "") << "\n";
  return rejected == 0 ? 0 : 1;
}

// ---- retract -----------------------------------------------------------------------------
// A department retracts one of its own facts (DOMAIN.md "Retractions and corrections"): the
// fact counts as never having happened. Over Kafka it goes to the department's inbox, after
// the fact it names.
int cmd_retract(const Globals& g, const std::string& source, const std::string& id, const std::string& reason,
                const std::string& date_text) {
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  if (!o->config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument", "--source: expected a department of district.toml, got \"" + source + "\""});
  }
  const auto date = date_text.empty() ? today() : Date::parse(date_text);
  if (!date) return report(Error{"bad_argument", "--date: expected a date YYYY-MM-DD, got \"" + date_text + "\""});
  const nlohmann::json ev{{"specversion", "1.0"},
                          {"id", "retract-" + id},
                          {"source", source},
                          {"type", "jiayuan.fact.retracted"},
                          {"occurred", date->to_string()},
                          {"data", {{"id", id}, {"reason", reason}}}};
  if (o->kafka) {
    const std::vector<Record> one = {Record{"", ev.dump(), {{"content-type", "application/cloudevents+json"}}}};
    auto sent = o->log->append(inbox_topic(source), one);
    if (!sent) return report(sent.error());
    std::cout << "retraction of " << source << "/" << id << " sent to " << o->config.engine.kafka.topic_prefix
              << inbox_topic(source) << " (the engine's intake judges it)\n";
    return 0;
  }
  auto intake = Intake::open(*o->log, o->config, intake_snapshot(*o));
  if (!intake) return report(intake.error());
  const std::vector<IntakeInput> in = {{ev.dump(), "retract", DepartmentId(source)}};
  auto out = (*intake)->submit(in);
  if (!out) return report(out.error());
  if (auto saved = (*intake)->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  const IntakeOutcome& r = out->front();
  if (r.verdict == Verdict::kRejected) {
    std::cerr << "jiayuan: retraction refused: " << r.reason.message << "\n";
    return 1;
  }
  std::cout << (r.verdict == Verdict::kDuplicate ? "already retracted: " : "retracted: ") << source << "/" << id
            << " (counts as never having happened; `jiayuan run` takes the revisions)\n";
  return 0;
}

// ---- import ------------------------------------------------------------------------------
int cmd_import(const Globals& g, const std::string& file, const std::string& type_name_arg, const std::string& source,
               const std::string& report_path, const std::string& encoding_name) {
  const auto encoding = parse_csv_encoding(encoding_name);
  if (!encoding) {
    return report(Error{"bad_argument", "--encoding: expected auto, utf-8 or gb18030 (gbk), got \"" + encoding_name + "\""});
  }
  const FactTypeInfo* type = find_fact_type(type_name_arg);
  if (type == nullptr) type = find_fact_type("jiayuan." + type_name_arg);
  if (type == nullptr) {
    std::string known;
    for (const auto& t : fact_types()) known.append(known.empty() ? "" : ", ").append(t.name.substr(8));
    return report(Error{"bad_argument", "--type: expected one of " + known + ", got \"" + type_name_arg + "\""});
  }
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  if (o->kafka) {
    return report(Error{"bad_argument", "import over Kafka: convert with `jiayuan import` on the embedded log, or "
                                        "publish the facts to the department's inbox"});
  }
  if (!o->config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument", "--source: expected a department of district.toml, got \"" + source + "\""});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return report(Error{"io", file + ": cannot open for reading"});
  std::ostringstream text;
  text << in.rdbuf();
  const bool workbook = is_workbook(text.str(), file);
  if (workbook && *encoding != CsvEncoding::kAuto) {
    return report(Error{"bad_argument", "--encoding: names a CSV's encoding; " + file + " is a workbook (its text is Unicode)"});
  }
  auto table = workbook ? read_xlsx(text.str()) : read_csv(text.str(), *encoding);
  if (!table) return report(Error{table.error().code, file + ": " + table.error().message});
  auto rows = csv_rows(*table, *type, DepartmentId(source), file);
  if (!rows) return report(Error{rows.error().code, file + ": " + rows.error().message});
  auto intake = Intake::open(*o->log, o->config, intake_snapshot(*o));
  if (!intake) return report(intake.error());

  std::ofstream report_file;
  if (!report_path.empty()) {
    report_file.open(report_path, std::ios::binary | std::ios::trunc);
    if (!report_file) return report(Error{"io", report_path + ": cannot open for writing"});
    report_file << "row,verdict,reason\n";
  }
  auto csv_cell = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  size_t accepted = 0, duplicates = 0, rejected = 0, done = 0;
  std::map<int64_t, std::string> report_lines;  // by row, written in row order at the end
  const bool tty = isatty(2) != 0;
  const size_t total = rows->size();
  auto note = [&](const CsvRow& r, Verdict v, const Error& reason, const std::string& waiting_for = "") {
    const char* verdict = v == Verdict::kAccepted ? "accepted" : v == Verdict::kDuplicate ? "duplicate" : "rejected";
    (v == Verdict::kAccepted ? accepted : v == Verdict::kDuplicate ? duplicates : rejected) += 1;
    if (v == Verdict::kRejected) std::cerr << r.input.origin << ": rejected: " << reason.message << "\n";
    const std::string why = waiting_for.empty() ? reason.message : "waiting for the registration of " + waiting_for;
    if (!waiting_for.empty()) std::cerr << r.input.origin << ": " << why << "\n";
    if (report_file) report_lines[r.line] = std::to_string(r.line) + "," + verdict + "," + csv_cell(why);
  };
  for (size_t start = 0; start < rows->size(); start += 1000) {
    std::vector<IntakeInput> batch;
    std::vector<const CsvRow*> batch_rows;
    for (size_t i = start; i < std::min(rows->size(), start + 1000); ++i) {
      const CsvRow& r = (*rows)[i];
      if (r.rejection) {
        note(r, Verdict::kRejected, *r.rejection);
        if (auto s = (*intake)->dead_letter(r.input, "csv", *r.rejection); !s) return report(s.error());
        continue;
      }
      batch.push_back(r.input);
      batch_rows.push_back(&r);
    }
    auto outcomes = (*intake)->submit(batch);
    if (!outcomes) return report(outcomes.error());
    for (size_t k = 0; k < outcomes->size(); ++k) {
      note(*batch_rows[k], (*outcomes)[k].verdict, (*outcomes)[k].reason, (*outcomes)[k].waiting_for);
    }
    done = std::min(total, start + 1000);
    if (tty && total > 1000) {
      const int width = 30, filled = static_cast<int>(width * done / total);
      std::cerr << "\rimport [" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << done << "/"
                << total << " rows" << std::flush;
    }
  }
  if (tty && total > 1000) std::cerr << "\n";
  for (const auto& [row, line] : report_lines) report_file << line << "\n";
  if (auto saved = (*intake)->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  const std::string read_as = workbook ? "xlsx, sheet \"" + table->sheet + "\""
                                       : table->encoding + (table->encoding_detected ? ", detected" : "");
  std::cout << "imported " << file << " (" << read_as << "): " << total << (total == 1 ? " row, " : " rows, ") << accepted << " accepted, " << duplicates
            << " already in the log, " << rejected << " rejected"
            << (rejected ? " (see `jiayuan dead-letter list`)" : "") << "\n";
  return rejected == 0 ? 0 : 1;
}

// ---- query -------------------------------------------------------------------------------
// The projections now, or as of --as-of D (what the log held on that date).
Result<std::optional<Date>> as_of_date(const std::string& text) {
  if (text.empty()) return std::optional<Date>();
  auto d = Date::parse(text);
  if (!d) return fail("bad_argument", "--as-of: expected a date YYYY-MM-DD, got \"" + text + "\"");
  return std::optional<Date>(*d);
}

ProjectionView view_of(const Store& store, const std::optional<Date>& as_of) {
  return as_of ? ProjectionView(store, *as_of) : ProjectionView(store);
}

int cmd_query_community(const Globals& g, const std::string& id, const std::string& as_of_text, bool as_json,
                        bool with_revisions) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  auto v = community_view(view_of(*o->store, *as_of), CommunityId(id));
  if (!v) return report(v.error());
  if (!*v) {
    return report(Error{"not_found", "community " + id + " is not known to the projections" +
                                         (*as_of ? " as of " + (*as_of)->to_string() : std::string()) +
                                         " (is it registered, and has `jiayuan run` folded the log?)"});
  }
  if (with_revisions) {
    RevisionFilter filter;
    filter.community = id;
    auto r = revisions(view_of(*o->store, *as_of), filter);
    if (!r) return report(r.error());
    (**v)["revisions"] = std::move(*r);
  }
  std::cout << (as_json ? (**v).dump(2) + "\n" : format_community(**v));
  return 0;
}

int cmd_query_revisions(const Globals& g, RevisionFilter filter, const std::string& since, const std::string& as_of_text,
                        bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  if (!since.empty()) {
    filter.since = Date::parse(since);
    if (!filter.since) return report(Error{"bad_argument", "--since: expected a date YYYY-MM-DD, got \"" + since + "\""});
  }
  if (filter.street && !o->config.district.has_street(StreetId(*filter.street))) {
    return report(Error{"bad_argument", "--street: expected a street or town of district.toml, got \"" + *filter.street + "\""});
  }
  auto r = revisions(view_of(*o->store, *as_of), filter);
  if (!r) return report(r.error());
  if (as_json) {
    std::cout << nlohmann::json{{"revisions", *r}}.dump(2) << "\n";
  } else {
    std::cout << (r->empty() ? std::string("no revisions\n") : format_revisions(*r));
  }
  return 0;
}

int cmd_query_summary(const Globals& g, int year, const std::string& as_of_text, bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  auto s = street_summary(view_of(*o->store, *as_of), year);
  if (!s) return report(s.error());
  std::cout << (as_json ? s->dump(2) + "\n" : format_summary(*s, o->config.rules.for_year(year)));
  return 0;
}

int cmd_query_json(const Globals& g, const std::string& what, int year, const std::string& as_of_text, bool all,
                   bool as_json, const CommunityFilter& filter = {}, const std::optional<std::string>& street = {}) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  const ProjectionView view = view_of(*o->store, *as_of);
  const RuleSet* rules = o->config.rules.for_year(year);
  if (rules == nullptr && what != "cases") {
    return report(Error{"bad_argument", "--year " + std::to_string(year) + ": no rule set defines that year"});
  }
  if (street && !o->config.district.has_street(StreetId(*street))) {
    return report(Error{"bad_argument", "--street: expected a street or town of district.toml, got \"" + *street + "\""});
  }
  Result<nlohmann::json> r = nlohmann::json();
  if (what == "awards") r = district_view_at(view, o->config, year);
  if (what == "companies") r = company_standings_at(view, o->config, year);
  if (what == "targets" || what == "renovation" || what == "compliance" || what == "cases") {
    ListQuery q;
    q.year = year;
    q.street = street;
    q.cases_as_of = as_of->value_or(*today());
    q.all_cases = all;
    r = list_answer(view, o->config, *list_kind(what), q);
  }
  if (what == "communities") {
    CommunityFilter on_rating_date = filter;
    if (const YearWindow* w = rules->window(year)) on_rating_date.rating_date = w->to;
    auto items = community_list(view, year, on_rating_date);
    if (!items) return report(items.error());
    r = nlohmann::json{{"year", year}, {"items", *items}};
  }
  if (!r && r.error().code == "not_found") {
    return report(Error{"not_found", r.error().message + " (has `jiayuan run` folded the log?)"});
  }
  if (!r) return report(r.error());
  if (r->is_null()) {
    return report(Error{"not_found", "nothing rated for " + std::to_string(year) + " yet (has `jiayuan run` folded the log?)"});
  }
  std::cout << (as_json ? r->dump(2) + "\n" : format_view(what, *r));
  return 0;
}

// A list saved as a spreadsheet (--format csv|xlsx): the rows /v1/<list>?format= downloads.
struct DownloadArgs {
  std::string format;  // empty: print instead
  std::string out;     // the file (default: its download name here); "-": standard output
};

int cmd_query_download(const Globals& g, ListKind kind, ListQuery q, const std::string& as_of_text,
                       const DownloadArgs& d) {
  const auto format = download_format(d.format);
  if (!format) return report(Error{"bad_argument", "--format: expected csv or xlsx, got \"" + d.format + "\""});
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  if (auto known = use_as_known(*o, g.as_known); !known) return report(known.error());
  auto as_of = as_of_date(as_of_text);
  if (!as_of) return report(as_of.error());
  if (q.street && !o->config.district.has_street(StreetId(*q.street))) {
    return report(Error{"bad_argument", "--street: expected a street or town of district.toml, got \"" + *q.street + "\""});
  }
  if (kind == ListKind::kCases) q.cases_as_of = as_of->value_or(*today());
  auto answer = list_answer(view_of(*o->store, *as_of), o->config, kind, q);
  if (!answer) return report(answer.error());
  const nlohmann::json rows = download_rows(kind, *answer, q);
  auto bytes = download_bytes(kind, *format, rows);
  if (!bytes) return report(bytes.error());
  if (d.out == "-") {
    std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    return std::cout ? 0 : report(Error{"io", "standard output: write failed"});
  }
  // Written beside, then renamed: a reader never opens half a file.
  const std::string path = d.out.empty() ? download_file_name(kind, q, *format) : d.out;
  const std::string tmp = path + ".part";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!file.flush()) {
      std::remove(tmp.c_str());
      return report(Error{"io", path + ": cannot write here (" + std::strerror(errno) + ")"});
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return report(Error{"io", path + ": cannot write here (" + std::strerror(errno) + ")"});
  }
  std::cout << "wrote " << path << ": " << rows.size() << (rows.size() == 1 ? " row" : " rows") << " of "
            << download_sheet(kind) << " (" << list_name(kind) << ")\n";
  return 0;
}

// ---- tick --------------------------------------------------------------------------------
int cmd_tick(const Globals& g, const std::string& date_text) {
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  const auto date = date_text.empty() ? today() : Date::parse(date_text);
  if (!date) return report(Error{"bad_argument", "--date: expected a date YYYY-MM-DD, got \"" + date_text + "\""});
  std::vector<Record> ticks;
  const std::string stamp = rfc3339_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  for (int32_t p = 0; p < o->log->partition_count(topics::kEvents); ++p) {
    Event ev{Envelope{}, Tick{}};
    ev.envelope.id = "tick-" + date->to_string() + "-" + std::to_string(p);
    ev.envelope.source = "jiayuan";
    ev.envelope.type = "jiayuan.tick";
    ev.envelope.occurred = *date;
    Record r = event_record(ev, stamp);  // transaction time: when log time was moved
    r.partition = p;
    ticks.push_back(std::move(r));
  }
  auto pos = o->log->append(topics::kEvents, ticks);
  if (!pos) return report(pos.error());
  std::cout << "log time advances to " << date->to_string() << " on " << ticks.size() << " partition(s); `jiayuan run` fires what falls due\n";
  return 0;
}

// ---- schema ------------------------------------------------------------------------------
int cmd_schema(const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return report(Error{"io", out_dir + ": cannot create: " + ec.message()});
  for (const FactTypeInfo& t : fact_types()) {
    const std::string path = out_dir + "/" + std::string(t.name) + ".json";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json_schema(t);
    if (!out) return report(Error{"io", path + ": write failed"});
  }
  std::cout << "wrote " << fact_types().size() << " schemas to " << out_dir << "\n";
  return 0;
}

// ---- gen ---------------------------------------------------------------------------------
int cmd_gen(const Globals& g, const GeneratorOptions& opts, const std::string& out_path) {
  auto config = load(g);
  if (!config) return report(config.error());
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!out_path.empty() && out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return report(Error{"io", out_path + ": cannot open for writing"});
    out = &file;
  }
  size_t lines = 0;
  auto s = generate_district(opts, *config, [&](const std::string& line) {
    *out << line << '\n';
    ++lines;
  });
  if (!s) return report(s.error());
  out->flush();
  if (!*out) return report(Error{"io", out_path + ": write failed"});
  spdlog::info("gen: {} facts for {} communities in {} streets, year {}, seed {}", lines, opts.communities,
               opts.streets, opts.year, opts.seed);
  return 0;
}

// ---- digest, rebuild ----------------------------------------------------------------------
int cmd_digest(const Globals& g) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  auto d = o->store->projection_digest();
  if (!d) return report(d.error());
  std::cout << *d << "\n";
  return 0;
}

int cmd_rebuild(const Globals& g) {
  auto o = open_all(g);
  if (!o) return report(o.error());
  spdlog::info("rebuild: dropping the projections of {}", o->store->path());
  if (auto s = o->store->drop_projections(); !s) return report(s.error());

  {
    std::vector<std::string> keys;
    auto s = o->store->scan(cf::kOffsets, "projector/", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    if (!s) return report(s.error());
    for (const std::string& k : keys) {
      if (auto w = o->store->delete_key(cf::kOffsets, k); !w) return report(w.error());
    }
  }
  RunOptions opts;
  opts.batch_size = static_cast<size_t>(o->config.engine.batch_size);
  ProgressBar bar("rebuild");
  opts.progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); };
  auto s = run_engine(*o->log, *o->store, o->config, opts, g_stop);
  bar.finish();
  if (!s) return report(s.error());
  auto d = o->store->projection_digest();
  if (!d) return report(d.error());
  std::cout << "rebuilt: " << s->projected << " records projected; digest " << *d << "\n";
  return 0;
}

// ---- audit -------------------------------------------------------------------------------

struct AuditArgs {
  int32_t year = 0;
  std::string rules;     // what-if rule set file
  std::string work_dir;  // parent of the scratch directories
  bool as_json = false;
  int64_t limit = 50;
};

int cmd_audit(const Globals& g, const AuditArgs& a) {
  auto o = open_all(g, false, Access::kRead);
  if (!o) return report(o.error());
  auto dir = ScratchDir::make(a.work_dir, "audit");
  if (!dir) return report(dir.error());
  AuditOptions opts;
  opts.year = a.year;
  opts.batch_size = static_cast<size_t>(o->config.engine.batch_size);
  if (!a.rules.empty()) {
    std::ifstream in(a.rules, std::ios::binary);
    if (!in) return report(Error{"io", a.rules + ": cannot open the proposed rule set"});
    std::stringstream text;
    text << in.rdbuf();
    auto proposed = parse_rule_set(text.str(), a.rules);
    if (!proposed) return report(proposed.error());
    auto now_log = scratch_log(**dir, "now-log", *o->log);
    auto new_log = scratch_log(**dir, "proposed-log", *o->log);
    if (!now_log) return report(now_log.error());
    if (!new_log) return report(new_log.error());
    ProgressBar bar("what-if " + std::to_string(a.year) + " (rules in force, then proposed)");
    opts.progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); };
    auto w = what_if(*o->log, **now_log, (*dir)->sub("now-store"), **new_log, (*dir)->sub("proposed-store"),
                     o->config, *proposed, opts);
    bar.finish();
    if (!w) return report(w.error());
    if (a.as_json) {
      nlohmann::json out{{"year", w->year}, {"rules", proposed->id}, {"rules_hash", proposed->hash}, {"changes", nlohmann::json::array()}};
      for (const Change& c : w->changes) out["changes"].push_back({{"what", c.what}, {"key", c.key}, {"from", c.from}, {"to", c.to}});
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << "what-if " << w->year << " with " << a.rules << " (" << proposed->id << ", " << proposed->hash.substr(0, 16)
                << "…): " << w->changes.size() << " outcome(s) would change\n";
      std::map<std::string, size_t> by_kind;
      for (const Change& c : w->changes) ++by_kind[c.what];
      for (const auto& [k, n] : by_kind) std::cout << "  " << k << ": " << n << "\n";
      for (const Change& c : w->changes) {
        std::cout << c.what << "\t" << c.key << "\t" << (c.from.empty() ? "(none)" : c.from) << " -> "
                  << (c.to.empty() ? "(none)" : c.to) << "\n";
      }
    }
    return 0;
  }
  auto scratch = scratch_log(**dir, "log", *o->log);
  if (!scratch) return report(scratch.error());
  ProgressBar bar("audit " + std::to_string(a.year));
  opts.progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); };
  auto r = audit_year(*o->log, **scratch, (*dir)->sub("store"), o->config, opts);
  bar.finish();
  if (!r) return report(r.error());
  if (a.as_json) {
    nlohmann::json out{{"year", r->year}, {"identical", r->clean()}, {"recorded", r->recorded},
                       {"recomputed", r->recomputed}, {"recorded_digest", r->recorded_digest},
                       {"recomputed_digest", r->recomputed_digest}, {"chain_problems", nlohmann::json::array()},
                       {"differences", nlohmann::json::array()}};
    for (const ChainProblem& p : r->chain) {
      out["chain_problems"].push_back({{"partition", p.partition}, {"at", p.where}, {"decision", p.decision}, {"problem", p.problem}});
    }
    for (const FieldDiff& d : r->diffs) {
      out["differences"].push_back({{"decision", d.decision}, {"field", d.field}, {"recorded", d.recorded}, {"recomputed", d.recomputed}});
    }
    std::cout << out.dump(2) << "\n";
    return r->clean() ? 0 : 1;
  }
  std::cout << "audit " << r->year << ": " << r->recorded << " decisions recorded, " << r->recomputed << " recomputed\n"
            << "digest recorded   " << r->recorded_digest << "\n"
            << "digest recomputed " << r->recomputed_digest << "\n";
  if (r->chain.empty()) {
    std::cout << "hash chains: intact\n";
  } else {
    std::cout << "hash chains: " << r->chain.size() << " problem(s)\n";
    for (const ChainProblem& p : r->chain) std::cout << "  " << p.where << "  " << p.decision << ": " << p.problem << "\n";
  }
  if (r->diffs.empty()) {
    std::cout << "decisions: identical\n";
  } else {
    std::cout << "decisions: " << r->diffs.size() << " difference(s)\ndecision\tfield\trecorded\trecomputed\n";
    int64_t shown = 0;
    for (const FieldDiff& d : r->diffs) {
      if (a.limit > 0 && shown++ == a.limit) {
        std::cout << "… " << r->diffs.size() - static_cast<size_t>(a.limit) << " more (--limit 0 shows all, --json lists them)\n";
        break;
      }
      std::cout << d.decision << "\t" << d.field << "\t" << d.recorded << "\t" << d.recomputed << "\n";
    }
  }
  return r->clean() ? 0 : 1;
}

// ---- status ------------------------------------------------------------------------------
int cmd_status(const Globals& g) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  for (std::string_view topic : {topics::kEvents, topics::kDecisions, topics::kDeadLetter}) {
    for (int32_t p = 0; p < o->log->partition_count(topic); ++p) {
      auto end = o->log->end_offset(topic, p);
      if (!end) return report(end.error());
      std::cout << "log " << topic << "/" << p << ": end offset " << *end << "\n";
    }
  }
  auto s = o->store->scan(cf::kOffsets, "", [&](std::string_view k, std::string_view v) {
    std::cout << "offset " << k << ": " << decode_be64(v) << "\n";
    return true;
  });
  if (!s) return report(s.error());
  auto count = [&](std::string_view family) -> Result<size_t> {
    size_t n = 0;
    JY_CHECK(o->store->scan(family, "", [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }));
    return n;
  };
  auto pending = count(cf::kOutbox);
  if (!pending) return report(pending.error());
  std::cout << "outbox: " << *pending << " pending\n";
  // projector.applied keeps each decision id once, and a "retracted:<source>/<id>" marker for each
  // retraction it has taken back (projections/projector.cc): counted apart.
  size_t decisions = 0, retractions = 0;
  auto applied = o->store->scan(cf::kApplied, "", [&](std::string_view k, std::string_view) {
    ++(k.starts_with("retracted:") ? retractions : decisions);
    return true;
  });
  if (!applied) return report(applied.error());
  std::cout << "projector: " << decisions << " decisions applied (each id once), " << retractions
            << (retractions == 1 ? " retraction" : " retractions") << " taken back\n";
  return 0;
}

// ---- dead-letter -------------------------------------------------------------------------
// "3 days", "5 hours", "42 s": an age as a person reads it.
std::string cli_age(int64_t seconds) {
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + " hours";
  if (seconds >= 120) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds) + " s";
}

int cmd_dead_letter(const Globals& g, bool show, int64_t offset, int64_t limit) {
  auto o = open_all(g, !show, Access::kRead);
  if (!o) return report(o.error());
  const int64_t from = show ? offset : 0;
  auto entries = o->log->read(topics::kDeadLetter, 0, from, show ? 1 : static_cast<size_t>(limit));
  if (!entries) return report(entries.error());
  if (show) {
    if (entries->empty() || entries->front().position.offset != offset) {
      return report(Error{"not_found", "no dead letter at offset " + std::to_string(offset)});
    }
    const Record& r = entries->front().record;
    std::cout << "offset " << offset << "\n";
    for (const Header& h : r.headers) std::cout << h.key << ": " << h.value << "\n";
    std::cout << "\n" << r.value << "\n";
    return 0;
  }
  for (const LogEntry& e : *entries) {
    const Record& r = e.record;
    std::cout << e.position.offset << "\t" << r.header(headers::kErrorStage) << "\t"
              << r.header(headers::kErrorOrigin) << "\t" << r.header(headers::kErrorReason) << "\n";
  }
  if (entries->empty()) std::cout << "the dead-letter log is empty\n";
  // Facts accepted that wait for the registration of the community or company they name, with
  // their age, and those rejected once the registration came dated after them.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto waiting = waiting_facts(*o->store, now);
  if (!waiting) return report(waiting.error());
  for (const nlohmann::json& w : *waiting) {
    const std::string age = w["age_seconds"].is_number() ? cli_age(w["age_seconds"].get<int64_t>()) : std::string("?");
    const char* keeper = w.contains("company") ? "projector" : "stage1";  // who keeps it waiting
    std::cout << w["status"].get<std::string>() << "\t" << keeper << "\t" << w["source"].get<std::string>() << "/"
              << w["id"].get<std::string>() << "\t" << w["reason"].get<std::string>() << " (accepted "
              << w["accepted_at"].get<std::string>() << ", " << age << " ago)\n";
  }
  return 0;
}

}  // namespace
}  // namespace jiayuan

int main(int argc, char** argv) {
  using namespace jiayuan;
  spdlog::set_default_logger(spdlog::stderr_color_mt("jiayuan"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"jiayuan (家园): the Songjiang 美丽家园 property-service rating engine"};
  app.require_subcommand(1);
  Globals g;
  const char* env_config = std::getenv("JIAYUAN_CONFIG_DIR");
  g.config_dir = env_config != nullptr ? env_config : JIAYUAN_DEFAULT_CONFIG_DIR;
  app.add_option("--config", g.config_dir, "config directory (rules/, district.toml, authority.toml, "
                                           "engine.toml); env JIAYUAN_CONFIG_DIR")
      ->capture_default_str();
  app.add_option("--data-dir", g.data_dir, "data directory (default: engine.data_dir of engine.toml)");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error (default: engine.toml)");
  app.add_option("--kafka", g.kafka, "use the Kafka cluster at HOST:PORT as the log (default: engine.toml [kafka], "
                                     "else the embedded log)");

  bool follow = false;
  int64_t batch_size = 0;
  auto* run = app.add_subcommand("run", "fold the log through every stage into the projections");
  run->add_flag("--follow", follow, "keep running and fold new facts as they arrive (stop with Ctrl-C)");
  run->add_option("--batch-size", batch_size, "facts per atomic step (default: engine.toml)");
  HttpOptions http_opts;
  run->add_option("--http", http_opts.address, "also take facts over HTTP on HOST:PORT (POST /v1/events); implies --follow");
  run->add_option("--tokens", http_opts.tokens, "TOML file of department tokens: [tokens] \"<token>\" = \"<department>\"");
  run->add_option("--max-body", http_opts.max_body, "largest request body in bytes")->capture_default_str();
  run->add_option("--max-items", http_opts.max_items, "most events in one request")->capture_default_str();
  run->add_option("--rate-limit", http_opts.rate_limit, "requests per second per token, beyond which 429 (0: no limit)")->capture_default_str();
  std::string instance;
  run->add_option("--instance", instance, "this engine's name on the Kafka cluster (default: host and data directory)");

  std::vector<std::string> files;
  std::string source;
  auto* publish = app.add_subcommand("publish", "append facts (NDJSON, one CloudEvent per line) to the log");
  publish->add_option("files", files, "NDJSON files; - reads standard input")->required();
  publish->add_option("--source", source, "the publishing department; each fact's source must match it");

  std::string import_file, import_type, import_source, import_report, import_encoding = "auto";
  auto* import = app.add_subcommand("import", "import a CSV or Excel (.xlsx) batch of one fact type (header in English or Chinese)");
  import->add_option("file", import_file, "the CSV file (UTF-8 with or without BOM, or GB18030/GBK as Excel saves it), or an "
                                       ".xlsx workbook (its first sheet)")
      ->required();
  import->add_option("--encoding", import_encoding,
                     "auto (the default: UTF-8 unless most lines are not), utf-8, or gb18030 (also gbk, gb2312, cp936)");
  import->add_option("--type", import_type, "the fact type, e.g. inspection or jiayuan.inspection")->required();
  import->add_option("--source", import_source, "the importing department, e.g. bureau or street.yueyang")->required();
  import->add_option("--report", import_report, "write every row's outcome (row,verdict,reason) to this CSV");

  std::string retract_source, retract_id, retract_reason, retract_date;
  auto* retract = app.add_subcommand("retract", "retract one of a department's own facts: it counts as never having happened");
  retract->add_option("--source", retract_source, "the department that published the fact")->required();
  retract->add_option("--id", retract_id, "the fact's id")->required();
  retract->add_option("--reason", retract_reason, "why, for the record")->required();
  retract->add_option("--date", retract_date, "the retraction's date (default: today in Shanghai)");

  auto* query = app.add_subcommand("query", "answer supervisors' questions from the projections");
  query->require_subcommand(1);
  std::string as_of;
  query->add_option("--as-of", as_of, "answer as of a past date: what the log held then (cases: also the date "
                                      "days overdue count to; default today)");
  query->add_option("--as-known", g.as_known, "answer as known at an instant (e.g. 2024-01-15T18:00:00+08:00): from "
                                              "the facts accepted by then; with --as-of, both");
  std::string community;
  bool as_json = false;
  auto* q_comm = query->add_subcommand("community", "a community's particulars, grade and why");
  q_comm->add_option("id", community, "community id, e.g. SJ00001")->required();
  q_comm->add_flag("--json", as_json, "print JSON");
  bool with_revisions = false;
  q_comm->add_flag("--revisions", with_revisions,
                   "also what changed after it was first decided (in the order it was learnt: unlike the rest, "
                   "this depends on arrival order)");
  RevisionFilter revision_filter;
  std::string revisions_since;
  int revision_year = 0;
  auto* q_rev = query->add_subcommand("revisions", "outcomes changed after they were first decided: when, by which "
                                                   "fact, from what to what, whether after publication");
  q_rev->add_option("--year", revision_year, "evaluation year (default: every year)");
  q_rev->add_option("--street", revision_filter.street, "a street id, e.g. yueyang");
  q_rev->add_option("--since", revisions_since, "only those dated on or after this date");
  q_rev->add_flag("--json", as_json, "print JSON");
  int year = 0;
  auto* q_sum = query->add_subcommand("summary", "the year's grade mix per street and district-wide");
  q_sum->add_option("--year", year, "evaluation year")->required();
  q_sum->add_flag("--json", as_json, "print JSON");

  std::map<std::string, CLI::App*> views;
  bool all_cases = false;
  DownloadArgs download;
  std::optional<std::string> list_street;
  auto downloadable = [&](CLI::App* q) {
    q->add_option("--format", download.format, "save the list as a spreadsheet instead of printing it: csv "
                                               "(UTF-8 with BOM, as Excel opens it) or xlsx, Chinese headers")
        ->check(CLI::IsMember({"csv", "xlsx"}));
    q->add_option("-o,--output", download.out, "with --format: the file (default: its download name, e.g. "
                                               "communities-2023.xlsx, here; - for standard output)");
  };
  for (const auto& [name, help] : std::vector<std::pair<std::string, std::string>>{
           {"awards", "the year's top ten, excellent communities and managers, targets per street"},
           {"companies", "company standings: projects, grade mix, composite factors, rank"},
           {"targets", "the year's targets per street and district-wide: shares of each grade, met or missed"},
           {"renovation", "renovation priority list (旧住房修缮)"},
           {"compliance", "party-branch and waste-sorting compliance"}}) {
    auto* q = query->add_subcommand(name, help);
    q->add_option("--year", year, "evaluation year")->required();
    if (name == "targets" || name == "renovation" || name == "compliance") {
      q->add_option("--street", list_street, "only this street's lines, e.g. yueyang");
    }
    q->add_flag("--json", as_json, "print JSON");
    downloadable(q);
    views[name] = q;
  }
  CommunityFilter filter;
  auto* q_list = query->add_subcommand("communities", "communities with their grade: filter by street, tier, category, grade");
  q_list->add_option("--year", year, "evaluation year")->required();
  q_list->add_option("--street", filter.street, "a street id, e.g. yueyang");
  q_list->add_option("--tier", filter.tier, "T1, T2 or T3")->check(CLI::IsMember({"T1", "T2", "T3"}));
  q_list->add_option("--category", filter.category, "commodity, mixed, relocation, affordable, scattered_public")
      ->check(CLI::IsMember({"commodity", "mixed", "relocation", "affordable", "scattered_public"}));
  q_list->add_option("--grade", filter.grade, "exemplary, standard, passing, failing or unrated")
      ->check(CLI::IsMember({"exemplary", "standard", "passing", "failing", "unrated"}));
  q_list->add_flag("--json", as_json, "print JSON");
  downloadable(q_list);
  auto* q_cases = query->add_subcommand("cases", "failing cases: open interviews, rectifications, sanctions, days overdue");
  q_cases->add_option("--as-of", as_of, "as of this date: the cases then, days overdue counted to it (default: today)");
  q_cases->add_flag("--all", all_cases, "closed cases too");
  q_cases->add_option("--year", year, "only that evaluation year's cases");
  q_cases->add_option("--street", list_street, "only this street's cases");
  q_cases->add_flag("--json", as_json, "print JSON");
  downloadable(q_cases);
  views["cases"] = q_cases;

  std::string tick_date;
  auto* tick = app.add_subcommand("tick", "advance log time: deadlines up to the date fire on the next run");
  tick->add_option("--date", tick_date, "the date (default: today)");

  GeneratorOptions gen_opts;
  std::string gen_out;
  auto* gen = app.add_subcommand("gen", "generate a synthetic district year as NDJSON facts");
  gen->add_option("--communities", gen_opts.communities, "number of communities")->capture_default_str();
  gen->add_option("--streets", gen_opts.streets, "number of streets/towns")->capture_default_str();
  gen->add_option("--year", gen_opts.year, "evaluation year")->capture_default_str();
  gen->add_option("--seed", gen_opts.seed, "random seed")->capture_default_str();
  gen->add_option("--complaints", gen_opts.hotline_per_community,
                  "mean hotline complaints per community and year (a real district: about 500)")
      ->capture_default_str();
  gen->add_option("-o,--output", gen_out, "output file (default: standard output)");

  std::string schema_dir = "events/schema";
  auto* schema = app.add_subcommand("schema", "write the JSON Schema (2020-12) of every fact type");
  schema->add_option("--out", schema_dir, "directory")->capture_default_str();

  auto* topics_cmd = app.add_subcommand("topics", "the topics (and ACLs) jiayuan needs on a Kafka cluster");
  topics_cmd->require_subcommand(1);
  bool with_acls = false;
  auto* t_create = topics_cmd->add_subcommand("create", "create what is missing: every department's inbox, "
                                                        "jiayuan.events, jiayuan.decisions, jiayuan.dead-letter");
  t_create->add_flag("--acls", with_acls, "also let each department (User:<department>) write its own inbox");

  auto* digest = app.add_subcommand("digest", "print the SHA-256 digest of the projections");
  auto* rebuild = app.add_subcommand("rebuild", "drop the projections and rebuild them from the log");
  auto* status = app.add_subcommand("status", "log sizes, consumer offsets and the outbox");
  AuditArgs audit_args;
  auto* audit = app.add_subcommand("audit", "recompute a year from the log, verify the decisions' hash chains and "
                                            "diff recorded against recomputed (exit 1 on any difference)");
  audit->add_option("--year", audit_args.year, "evaluation year")->required();
  audit->add_option("--rules", audit_args.rules, "what-if: a proposed rule set (TOML) replacing the one in force "
                                                 "that year; lists every outcome that would change, writes nothing");
  audit->add_option("--work-dir", audit_args.work_dir, "where the scratch store and log go (default: the system temp directory)");
  audit->add_option("--limit", audit_args.limit, "differences to print (0: all)")->capture_default_str();
  audit->add_flag("--json", audit_args.as_json, "print JSON");

  auto* dead = app.add_subcommand("dead-letter", "read the dead-letter log");
  dead->require_subcommand(1);
  int64_t limit = 100, offset = 0;
  auto* d_list = dead->add_subcommand("list", "list rejected input: offset, stage, origin, reason");
  d_list->add_option("--limit", limit, "at most this many")->capture_default_str();
  auto* d_show = dead->add_subcommand("show", "one dead letter with its headers and original bytes");
  d_show->add_option("offset", offset, "its offset in the dead-letter log")->required();

  CLI11_PARSE(app, argc, argv);

  if (*run) return cmd_run(g, follow, batch_size, http_opts, instance);
  if (*t_create) return cmd_topics_create(g, with_acls);
  if (*publish) return cmd_publish(g, files, source);
  if (*import) return cmd_import(g, import_file, import_type, import_source, import_report, import_encoding);
  if (*retract) return cmd_retract(g, retract_source, retract_id, retract_reason, retract_date);
  if (*q_comm) return cmd_query_community(g, community, as_of, as_json, with_revisions);
  if (*q_rev) {
    if (revision_year != 0) revision_filter.year = revision_year;
    return cmd_query_revisions(g, revision_filter, revisions_since, as_of, as_json);
  }
  if (*q_sum) return cmd_query_summary(g, year, as_of, as_json);
  if (!download.format.empty()) {
    ListQuery lq;
    lq.year = year;
    lq.street = *q_list ? filter.street : list_street;
    lq.communities = filter;
    lq.all_cases = all_cases;
    views["communities"] = q_list;
    for (const auto& [name, q] : views) {
      if (*q) return cmd_query_download(g, *list_kind(name), lq, as_of, download);
    }
  }
  if (!download.out.empty()) return report(Error{"bad_argument", "-o/--output: names the file of --format csv|xlsx; give --format too"});
  for (const auto& [name, q] : views) {
    if (*q) return cmd_query_json(g, name, year, as_of, all_cases, as_json, {}, list_street);
  }
  if (*q_list) {
    if (filter.street && !filter.street->empty()) {
      auto cfg = load(g);
      if (cfg && !cfg->district.has_street(StreetId(*filter.street))) {
        return report(Error{"bad_argument", "--street: expected a street of district.toml, got \"" + *filter.street + "\""});
      }
    }
    return cmd_query_json(g, "communities", year, as_of, false, as_json, filter);
  }
  if (*tick) return cmd_tick(g, tick_date);
  if (*gen) return cmd_gen(g, gen_opts, gen_out);
  if (*digest) return cmd_digest(g);
  if (*schema) return cmd_schema(schema_dir);
  if (*rebuild) return cmd_rebuild(g);
  if (*status) return cmd_status(g);
  if (*audit) return cmd_audit(g, audit_args);
  if (*d_list) return cmd_dead_letter(g, false, 0, limit);
  if (*d_show) return cmd_dead_letter(g, true, offset, 1);
  return 0;
}
