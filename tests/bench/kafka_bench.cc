// End-to-end benchmark through a real Kafka broker: a producer appends a generated district year
// to the departments' inboxes; the engine (the same parts as `jiayuan run --follow` on Kafka:
// intake in transactions, stage 1 in its consumer group, the projections in RocksDB) takes it to
// the projections; a poller reads the projection offsets from the store every millisecond, as a
// query would see them. Timing lives here, never in tests.
//
//   scripts/kafka-broker start /tmp/kb && source /tmp/kb/env
//   jiayuan_bench_kafka --communities 200 --complaints 500
//
// Phase 1 appends the first part of the year as fast as the producer can (throughput: facts/s
// from the first append to the last fact queryable). Phase 2 appends the rest at a fixed rate
// below that (latency: each fact from its append acknowledged by the broker to its projection
// committed; p50/p99). Latencies of every fact come from the events' positions, read back from
// jiayuan.events afterwards (ce_id → position → the first poll that saw the projection past it).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "connectors/kafka_intake.h"
#include "connectors/kafka_log.h"
#include "engine/generator.h"
#include "engine/runner.h"
#include "projections/store.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

namespace jiayuan {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Fact {
  std::string id;
  std::string inbox;
  Record record;
};

// One poll: when, and the projector's next offset on each partition of jiayuan.events.
struct Seen {
  Clock::time_point at;
  std::vector<int64_t> next;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

struct BenchOptions {
  GeneratorOptions g;
  std::string config_dir = JIAYUAN_TEST_CONFIG_DIR;
  std::string dir = (std::filesystem::temp_directory_path() / "jiayuan-bench-kafka").string();
  double paced_share = 0.3;
  double paced_rate = 0;  // 0: half the throughput measured in phase 1
  size_t producer_batch = 1000;
  int64_t batch_size = 0;
  int64_t read_wait_ms = 0;
  std::string peer_libs;
};

// Where the engine's time goes: intake steps (one Kafka transaction each) and whole rounds.
struct Spent {
  size_t steps = 0, taken = 0, rounds = 0;
  double intake_s = 0, rounds_s = 0;
};

// The year, as inbox messages (structured CloudEvents, as `jiayuan publish` writes them).
Result<std::vector<Fact>> inbox_messages(const GeneratorOptions& g, const Config& config) {
  std::vector<Fact> facts;
  JY_CHECK(generate_district(g, config, [&](const std::string& line) {
    const auto doc = nlohmann::json::parse(line);
    facts.push_back(
        {doc["id"], inbox_topic(doc["source"].get<std::string>()),
         Record{doc["subject"], line, {{"content-type", "application/cloudevents+json"}}}});
  }));
  return facts;
}

// The engine, as `jiayuan run --follow` assembles it on Kafka, on a thread of its own; and a
// poller reading the projection offsets from the store every millisecond, as a query sees them.
// Destroying it stops and joins both threads (a joinable thread's destructor would terminate).
class BenchEngine {
 public:
  static Result<std::unique_ptr<BenchEngine>> start(const KafkaSettings& settings,
                                                    const Config& config,
                                                    const std::string& store_dir) {
    std::unique_ptr<BenchEngine> e(
        new BenchEngine(config, static_cast<int32_t>(settings.partitions)));
    JY_TRY(e->log_, KafkaLog::open({.settings = settings,
                                    .client_id = "bench-engine",
                                    .transactional_id = "",
                                    .require_topics = true}));
    JY_TRY(e->store_, Store::open(store_dir));
    Store* st = e->store_.get();
    JY_TRY(e->group_,
           KafkaGroupLog::open(
               *e->log_, [st](int32_t p) { return st->offset("stage1", topics::kEvents, p); },
               "bench"));
    JY_TRY(e->intake_, KafkaIntake::open(settings, config, "bench"));
    e->engine_ = std::thread([raw = e.get()] { raw->fold(); });
    e->poller_ = std::thread([raw = e.get()] { raw->poll(); });
    return e;
  }
  ~BenchEngine() { stop(); }
  BenchEngine(const BenchEngine&) = delete;
  BenchEngine& operator=(const BenchEngine&) = delete;

  void stop() {
    stop_ = true;
    stop_poll_ = true;
    if (engine_.joinable()) engine_.join();
    if (poller_.joinable()) poller_.join();
  }
  // The engine's failure, if it stopped on one.
  Status status() const {
    std::lock_guard lock(mu_);
    return status_;
  }
  // The first poll that saw the projections past every partition's `last_event`.
  std::optional<Clock::time_point> first_poll_past(const std::vector<int64_t>& last_event) const {
    std::lock_guard lock(mu_);
    const auto done = std::find_if(seen_.begin(), seen_.end(), [&](const Seen& s) {
      for (size_t p = 0; p < last_event.size(); ++p) {
        if (s.next[p] <= last_event[p]) return false;
      }
      return true;
    });
    if (done == seen_.end()) return std::nullopt;
    return done->at;
  }
  // Every poll that saw the offsets move; read once stopped.
  const std::vector<Seen>& seen() const { return seen_; }
  const Spent& spent() const { return spent_; }
  KafkaIntakeCounters counters() const { return intake_->counters(); }

 private:
  BenchEngine(const Config& config, int32_t partitions)
      : config_(config), partitions_(partitions) {}

  void fold() {
    RunOptions opts;
    opts.batch_size = static_cast<size_t>(config_.engine.batch_size);
    opts.until_idle = false;
    opts.stage1_log = group_.get();
    opts.intake = [this](size_t max) {
      const auto t = Clock::now();
      auto n = intake_->step(max);
      spent_.intake_s += ms_between(t, Clock::now()) / 1000.0;
      ++spent_.steps;
      if (n) spent_.taken += *n;
      // As `jiayuan run` does: what intake appended exists for the stages' readers.
      for (const auto& [p, end] : intake_->appended_ends()) group_->expect(p, end);
      return n;
    };
    opts.observe = [this](const StageCounters&, double seconds) {  // rounds that did work
      spent_.rounds_s += seconds;
      ++spent_.rounds;
    };
    auto r = run_engine(*log_, *store_, config_, opts, stop_);
    if (!r) {
      std::lock_guard lock(mu_);
      status_ = fail(r.error());
    }
  }

  void poll() {
    std::vector<int64_t> last(static_cast<size_t>(partitions_), -1);
    while (!stop_poll_) {
      std::vector<int64_t> now(static_cast<size_t>(partitions_), 0);
      for (int32_t p = 0; p < partitions_; ++p) {
        auto o = store_->offset("projector", topics::kEvents, p);
        now[static_cast<size_t>(p)] = o ? *o : 0;
      }
      if (now != last) {
        std::lock_guard lock(mu_);
        seen_.push_back({Clock::now(), now});
        last = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  const Config& config_;
  const int32_t partitions_;
  std::unique_ptr<KafkaLog> log_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<KafkaGroupLog> group_;
  std::unique_ptr<KafkaIntake> intake_;
  Spent spent_;  // written by the engine's thread, read once stopped
  mutable std::mutex mu_;
  std::vector<Seen> seen_;  // guarded by mu_ while running
  Status status_;           // guarded by mu_
  std::atomic<bool> stop_{false};
  std::atomic<bool> stop_poll_{false};
  std::thread engine_;
  std::thread poller_;
};

// The producer: the engine's own user (a super user on the test broker) writes every inbox, and
// notes when each fact's append was acknowledged.
class Producer {
 public:
  static Result<std::unique_ptr<Producer>> open(const KafkaSettings& settings,
                                                const std::vector<Fact>& facts) {
    std::unique_ptr<Producer> p(new Producer(facts));
    JY_TRY(p->log_, KafkaLog::open({.settings = settings,
                                    .client_id = "bench-producer",
                                    .transactional_id = "",
                                    .require_topics = true}));
    p->appended_.reserve(facts.size());
    return p;
  }
  // Facts [from, to), each to its inbox.
  Status append(size_t from, size_t to) {
    std::map<std::string, std::vector<Record>> by_inbox;
    for (size_t i = from; i < to; ++i) by_inbox[facts_[i].inbox].push_back(facts_[i].record);
    for (const auto& [inbox, records] : by_inbox) JY_CHECK(log_->append(inbox, records));
    const auto now = Clock::now();
    for (size_t i = from; i < to; ++i) appended_[facts_[i].id] = now;
    return {};
  }
  Clock::time_point appended(const std::string& id) const { return appended_.at(id); }

 private:
  explicit Producer(const std::vector<Fact>& facts) : facts_(facts) {}
  const std::vector<Fact>& facts_;
  std::unique_ptr<KafkaLog> log_;
  std::unordered_map<std::string, Clock::time_point> appended_;  // ce_id → acknowledged
};

// Follows jiayuan.events and the dead-letter log with a reader of its own: where each fact's
// event is (ce_id → partition, offset). A phase is over when every fact it appended is an event
// (or a dead letter) and the projections are past every event: the first poll that saw it.
class Follower {
 public:
  static Result<std::unique_ptr<Follower>> open(KafkaSettings settings) {
    settings.read_wait_ms = 50;
    std::unique_ptr<Follower> f(new Follower(static_cast<int32_t>(settings.partitions)));
    JY_TRY(f->reader_, KafkaLog::open({.settings = settings,
                                       .client_id = "bench-reader",
                                       .transactional_id = "",
                                       .require_topics = true}));
    return f;
  }
  // When the projections were first seen past the events of `expected` facts; the engine's
  // failure, a failed read or 30 minutes: the reason.
  Result<Clock::time_point> wait_for(size_t expected, const BenchEngine& engine) {
    const auto deadline = Clock::now() + std::chrono::minutes(30);
    while (Clock::now() < deadline) {
      JY_CHECK(engine.status());
      JY_CHECK(follow());
      if (where_.size() + dead_ >= expected) {
        if (auto at = engine.first_poll_past(last_event_)) return *at;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fail(Error{"timeout", "timed out after 30 min"});
  }
  const std::unordered_map<std::string, Position>& where() const { return where_; }

 private:
  explicit Follower(int32_t partitions)
      : partitions_(partitions),
        cursor_(static_cast<size_t>(partitions), 0),
        last_event_(static_cast<size_t>(partitions), -1) {}

  // A read that got no answer within its 50 ms is "nothing yet" here: the follower polls again.
  Result<std::vector<LogEntry>> read_now(std::string_view topic, int32_t p, int64_t from) {
    auto got = reader_->read(topic, p, from, 5000);
    if (!got && got.error().code == "kafka_unavailable") return std::vector<LogEntry>{};
    return got;
  }
  Status follow() {
    for (int32_t p = 0; p < partitions_; ++p) {
      JY_TRY(std::vector<LogEntry> got,
             read_now(topics::kEvents, p, cursor_[static_cast<size_t>(p)]));
      for (const LogEntry& e : got) {
        where_[std::string(e.record.header("ce_id"))] = e.position;
        last_event_[static_cast<size_t>(p)] = e.position.offset;
      }
      if (!got.empty()) cursor_[static_cast<size_t>(p)] = got.back().position.offset + 1;
    }
    JY_TRY(std::vector<LogEntry> dl, read_now(topics::kDeadLetter, 0, dead_cursor_));
    dead_ += dl.size();
    if (!dl.empty()) dead_cursor_ = dl.back().position.offset + 1;
    return {};
  }

  const int32_t partitions_;
  std::unique_ptr<KafkaLog> reader_;
  std::unordered_map<std::string, Position> where_;
  std::vector<int64_t> cursor_;
  std::vector<int64_t> last_event_;
  int64_t dead_cursor_ = 0;
  size_t dead_ = 0;
};

// Each fact: from its append acknowledged to the first poll that saw the projection past its
// event (the polls' offsets only grow: a binary search per fact); phase 1's and phase 2's.
std::pair<std::vector<double>, std::vector<double>> latencies(const std::vector<Fact>& facts,
                                                              size_t paced_from,
                                                              const Producer& producer,
                                                              const Follower& follower,
                                                              const std::vector<Seen>& seen) {
  std::vector<double> lat1;
  std::vector<double> lat2;
  for (size_t i = 0; i < facts.size(); ++i) {
    auto w = follower.where().find(facts[i].id);
    if (w == follower.where().end()) continue;  // a dead letter
    const Position pos = w->second;
    const auto when = std::partition_point(seen.begin(), seen.end(), [&](const Seen& s) {
      return s.next[static_cast<size_t>(pos.partition)] <= pos.offset;
    });
    if (when == seen.end()) continue;
    (i < paced_from ? lat1 : lat2).push_back(ms_between(producer.appended(facts[i].id), when->at));
  }
  return {std::move(lat1), std::move(lat2)};
}

// The peer: Kafka Streams on the same inbox topics (the same facts), after the engine is done.
// Answers its facts/s.
Result<double> run_peer(const BenchOptions& o, const KafkaSettings& settings, size_t facts) {
  const std::string state = o.dir + "/peer-state";
  std::filesystem::create_directories(state);
  const testing::ProcessResult peer =
      testing::run("/usr/bin/java",
                   {"-cp", o.peer_libs + "/*",
                    std::string(JIAYUAN_SOURCE_DIR) + "/tests/bench/peer/StreamsPeer.java",
                    settings.bootstrap, settings.topic_prefix, std::to_string(facts), state},
                   o.dir);
  const size_t at = peer.out.rfind("json ");
  if (peer.exit_code != 0 || at == std::string::npos) {
    return fail(Error{"peer_failed", "the Kafka Streams peer failed (exit " +
                                         std::to_string(peer.exit_code) + "): " + peer.err +
                                         peer.out});
  }
  const auto r = nlohmann::json::parse(peer.out.substr(at + 5));
  const double rate = r["facts_per_s"].get<double>();
  std::printf("%-40s %12.0f facts/s (first to last fact folded; %.1f s with start-up and close)\n",
              "peer: Kafka Streams fold", rate, r["with_startup_and_close_s"].get<double>());
  return rate;
}

// What a run measured.
struct Measured {
  size_t facts = 0, paced_from = 0;
  double produce_s = 0, throughput = 0, rate = 0;
  std::vector<double> lat1, lat2;
};

void report(const Measured& m, const BenchEngine& engine) {
  const Spent& spent = engine.spent();
  const KafkaIntakeCounters c = engine.counters();
  const auto per = [](double total, size_t n) {
    return total / static_cast<double>(std::max<size_t>(1, n));
  };
  std::printf("%-40s %12zu\n", "facts", m.facts);
  std::printf("%-40s %12zu steps, %.0f messages a step, %.1f ms a step, %.1f s in all\n",
              "engine: intake", spent.steps, per(static_cast<double>(spent.taken), spent.steps),
              1000 * per(spent.intake_s, spent.steps), spent.intake_s);
  std::printf("%-40s %12zu rounds, %.1f ms a round, %.1f s in all\n",
              "engine: rounds that did work", spent.rounds,
              1000 * per(spent.rounds_s, spent.rounds), spent.rounds_s);
  std::printf("%-40s %12zu accepted, %zu duplicate, %zu rejected\n", "intake", c.accepted,
              c.duplicates, c.rejected);
  std::printf("%-40s %12.0f facts/s (%zu facts; producer alone %.0f facts/s)\n",
              "phase 1: end to end", m.throughput, m.paced_from,
              static_cast<double>(m.paced_from) / m.produce_s);
  std::printf("%-40s %12.1f ms p50, %.1f ms p99 (%zu facts)\n",
              "phase 1: append to queryable, saturated", percentile(m.lat1, 50),
              percentile(m.lat1, 99), m.lat1.size());
  std::printf("%-40s %12.0f facts/s offered\n", "phase 2: paced", m.rate);
  std::printf("%-40s %12.1f ms p50, %.1f ms p99 (%zu facts)\n",
              "phase 2: append to queryable, paced", percentile(m.lat2, 50), percentile(m.lat2, 99),
              m.lat2.size());
}

// Phase 1 as fast as the producer can, phase 2 at a fixed rate; then the latencies.
Result<Measured> measure(const BenchOptions& o, const std::vector<Fact>& facts, BenchEngine& engine,
                         Producer& producer, Follower& follower) {
  Measured m;
  m.facts = facts.size();
  m.paced_from = static_cast<size_t>(static_cast<double>(facts.size()) * (1.0 - o.paced_share));
  const auto t0 = Clock::now();
  for (size_t i = 0; i < m.paced_from; i += o.producer_batch) {
    JY_CHECK(producer.append(i, std::min(m.paced_from, i + o.producer_batch)));
  }
  m.produce_s = ms_between(t0, Clock::now()) / 1000.0;
  auto phase1_done = follower.wait_for(m.paced_from, engine);
  if (!phase1_done)
    return fail(Error{"phase_1", "phase 1 did not finish: " + phase1_done.error().message});
  m.throughput = static_cast<double>(m.paced_from) / (ms_between(t0, *phase1_done) / 1000.0);

  m.rate = o.paced_rate > 0 ? o.paced_rate : m.throughput / 2;
  const size_t step =
      std::max<size_t>(1, static_cast<size_t>(m.rate / 100));  // 100 appends a second
  const auto t1 = Clock::now();
  for (size_t i = m.paced_from, k = 0; i < facts.size(); i += step, ++k) {
    std::this_thread::sleep_until(t1 + std::chrono::microseconds(static_cast<int64_t>(
                                           1e6 * static_cast<double>(k * step) / m.rate)));
    JY_CHECK(producer.append(i, std::min(facts.size(), i + step)));
  }
  auto phase2_done = follower.wait_for(facts.size(), engine);
  engine.stop();
  if (!phase2_done)
    return fail(Error{"phase_2", "phase 2 did not finish: " + phase2_done.error().message});
  std::tie(m.lat1, m.lat2) = latencies(facts, m.paced_from, producer, follower, engine.seen());
  return m;
}

// The whole run once the options are read: 0 done, 1 failed, 77 skipped (no broker).
int bench(BenchOptions& o) {
  auto settings = testing::test_kafka("bench");
  if (!settings) {
    std::cerr << "jiayuan_bench_kafka: JIAYUAN_KAFKA_BOOTSTRAP is not set (scripts/kafka-broker "
                 "start DIR, "
                 "then source DIR/env)\n";
    return testing::kafka_required() ? 1 : 77;  // 77: skipped (ctest's SKIP_RETURN_CODE)
  }
  auto config = load_config(o.config_dir);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 1;
  }
  settings->group = settings->topic_prefix + "engine";
  settings->read_wait_ms = o.read_wait_ms > 0 ? o.read_wait_ms : config->engine.kafka.read_wait_ms;
  if (o.batch_size > 0) config->engine.batch_size = o.batch_size;
  config->engine.kafka = *settings;
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);

  auto facts = inbox_messages(o.g, *config);
  if (facts) {
    if (auto made = create_topics(*settings, config->district); !made) facts = fail(made.error());
  }
  if (!facts) {
    std::cerr << facts.error().message << "\n";
    return 1;
  }
  auto engine = BenchEngine::start(*settings, *config, o.dir + "/engine");
  auto producer = engine ? Producer::open(*settings, *facts) : fail(engine.error());
  auto follower = producer ? Follower::open(*settings) : fail(producer.error());
  auto m = follower ? measure(o, *facts, **engine, **producer, **follower) : fail(follower.error());
  if (!m) {
    std::cerr << m.error().message << "\n";
    return 1;
  }
  report(*m, **engine);
  double peer_rate = 0;
  if (!o.peer_libs.empty()) {
    auto peer = run_peer(o, *settings, facts->size());
    if (!peer) {
      std::cerr << peer.error().message << "\n";
      return 1;
    }
    peer_rate = *peer;
    std::printf("%-40s %12.2f\n", "ours / peer (phase 1 vs peer)", m->throughput / peer_rate);
  }
  nlohmann::json out{{"facts", facts->size()},
                     {"peer", peer_rate},
                     {"throughput", m->throughput},
                     {"p50_saturated_ms", percentile(m->lat1, 50)},
                     {"p99_saturated_ms", percentile(m->lat1, 99)},
                     {"paced_rate", m->rate},
                     {"p50_paced_ms", percentile(m->lat2, 50)},
                     {"p99_paced_ms", percentile(m->lat2, 99)}};
  std::printf("json %s\n", out.dump().c_str());
  std::filesystem::remove_all(o.dir);
  return m->lat2.empty() ? 1 : 0;
}

int run(int argc, char** argv) {
  BenchOptions o;
  o.g.communities = 200;
  o.g.streets = 15;
  o.g.hotline_per_community = 500;
  o.g.seed = 1;
  bool smoke = false;
  CLI::App app{"jiayuan end-to-end benchmark through a real Kafka broker"};
  app.add_option(
      "--peer", o.peer_libs,
      "run the Kafka Streams peer on the same facts afterwards, with the jars in this directory "
      "(tests/bench/peer/fetch prints it)");
  app.add_option("--batch-size", o.batch_size, "facts per engine step (0: engine.toml's)");
  app.add_option("--read-wait-ms", o.read_wait_ms,
                 "the engine's longest wait for a partition's next record (0: engine.toml's)");
  app.add_option("--communities", o.g.communities)->capture_default_str();
  app.add_option("--streets", o.g.streets)->capture_default_str();
  app.add_option("--complaints", o.g.hotline_per_community)->capture_default_str();
  app.add_option("--seed", o.g.seed)->capture_default_str();
  app.add_option("--paced-share", o.paced_share,
                 "share of the year appended at a fixed rate (phase 2)")
      ->capture_default_str();
  app.add_option("--paced-rate", o.paced_rate,
                 "facts/s of phase 2 (0: half of phase 1's throughput)");
  app.add_option("--producer-batch", o.producer_batch, "records per append (acknowledged together)")
      ->capture_default_str();
  app.add_option("--dir", o.dir, "scratch directory for the store (emptied first)")
      ->capture_default_str();
  app.add_option("--config", o.config_dir)->capture_default_str();
  app.add_flag("--smoke", smoke, "a tiny district: checks the benchmark runs (CI)");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    o.g.communities = 10;
    o.g.streets = 3;
    o.g.hotline_per_community = 20;
  }
  spdlog::set_level(spdlog::level::warn);
  return bench(o);
}

}  // namespace
}  // namespace jiayuan

int main(int argc, char** argv) { return jiayuan::run(argc, argv); }
