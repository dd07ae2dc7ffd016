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

int run(int argc, char** argv) {
  GeneratorOptions g;
  g.communities = 200;
  g.streets = 15;
  g.hotline_per_community = 500;
  g.seed = 1;
  std::string config_dir = JIAYUAN_TEST_CONFIG_DIR;
  std::string dir = (std::filesystem::temp_directory_path() / "jiayuan-bench-kafka").string();
  double paced_share = 0.3;
  double paced_rate = 0;  // 0: half the throughput measured in phase 1
  size_t producer_batch = 1000;
  bool smoke = false;
  int64_t batch_size = 0;
  int64_t read_wait_ms = 0;
  std::string peer_libs;
  CLI::App app{"jiayuan end-to-end benchmark through a real Kafka broker"};
  app.add_option("--peer", peer_libs,
                 "run the Kafka Streams peer on the same facts afterwards, with the jars in this directory "
                 "(tests/bench/peer/fetch prints it)");
  app.add_option("--batch-size", batch_size, "facts per engine step (0: engine.toml's)");
  app.add_option("--read-wait-ms", read_wait_ms, "the engine's longest wait for a partition's next record (0: engine.toml's)");
  app.add_option("--communities", g.communities)->capture_default_str();
  app.add_option("--streets", g.streets)->capture_default_str();
  app.add_option("--complaints", g.hotline_per_community)->capture_default_str();
  app.add_option("--seed", g.seed)->capture_default_str();
  app.add_option("--paced-share", paced_share, "share of the year appended at a fixed rate (phase 2)")
      ->capture_default_str();
  app.add_option("--paced-rate", paced_rate, "facts/s of phase 2 (0: half of phase 1's throughput)");
  app.add_option("--producer-batch", producer_batch, "records per append (acknowledged together)")
      ->capture_default_str();
  app.add_option("--dir", dir, "scratch directory for the store (emptied first)")->capture_default_str();
  app.add_option("--config", config_dir)->capture_default_str();
  app.add_flag("--smoke", smoke, "a tiny district: checks the benchmark runs (CI)");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    g.communities = 10;
    g.streets = 3;
    g.hotline_per_community = 20;
  }
  spdlog::set_level(spdlog::level::warn);
  auto settings = testing::test_kafka("bench");
  if (!settings) {
    std::cerr << "jiayuan_bench_kafka: JIAYUAN_KAFKA_BOOTSTRAP is not set (scripts/kafka-broker start DIR, "
                 "then source DIR/env)\n";
    return testing::kafka_required() ? 1 : 77;  // 77: skipped (ctest's SKIP_RETURN_CODE)
  }
  auto config = load_config(config_dir);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 1;
  }
  settings->group = settings->topic_prefix + "engine";
  settings->read_wait_ms = read_wait_ms > 0 ? read_wait_ms : config->engine.kafka.read_wait_ms;
  if (batch_size > 0) config->engine.batch_size = batch_size;
  config->engine.kafka = *settings;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // The year, as inbox messages (structured CloudEvents, as `jiayuan publish` writes them).
  std::vector<Fact> facts;
  Status generated = generate_district(g, *config, [&](const std::string& line) {
    const auto doc = nlohmann::json::parse(line);
    facts.push_back({doc["id"], inbox_topic(doc["source"].get<std::string>()),
                     Record{doc["subject"], line, {{"content-type", "application/cloudevents+json"}}}});
  });
  if (!generated) {
    std::cerr << generated.error().message << "\n";
    return 1;
  }
  if (auto made = create_topics(*settings, config->district); !made) {
    std::cerr << made.error().message << "\n";
    return 1;
  }

  // The engine, as `jiayuan run --follow` assembles it on Kafka.
  auto log = KafkaLog::open({.settings = *settings, .client_id = "bench-engine", .transactional_id = "",
                             .require_topics = true});
  auto store = Store::open(dir + "/engine");
  if (!log || !store) {
    std::cerr << (log ? store.error().message : log.error().message) << "\n";
    return 1;
  }
  Store& st = **store;
  auto group = KafkaGroupLog::open(
      **log, [&st](int32_t p) { return st.offset("stage1", topics::kEvents, p); },
      "bench");
  auto intake = KafkaIntake::open(*settings, *config, "bench");
  if (!group || !intake) {
    std::cerr << (group ? intake.error().message : group.error().message) << "\n";
    return 1;
  }
  RunOptions opts;
  opts.batch_size = static_cast<size_t>(config->engine.batch_size);
  opts.until_idle = false;
  opts.stage1_log = group->get();
  // Where the engine's time goes: intake steps (one Kafka transaction each) and whole rounds.
  struct Spent {
    size_t steps = 0, taken = 0, rounds = 0;
    double intake_s = 0, rounds_s = 0;
  } spent;
  opts.intake = [&intake, &group, &spent](size_t max) {
    const auto t = Clock::now();
    auto n = (*intake)->step(max);
    spent.intake_s += ms_between(t, Clock::now()) / 1000.0;
    ++spent.steps;
    if (n) spent.taken += *n;
    // As `jiayuan run` does: what intake appended exists for the stages' readers.
    for (const auto& [p, end] : (*intake)->appended_ends()) (*group)->expect(p, end);
    return n;
  };
  opts.observe = [&spent](const StageCounters&, double seconds) {  // rounds that did work
    spent.rounds_s += seconds;
    ++spent.rounds;
  };
  std::atomic<bool> stop{false};
  Status engine_status;
  std::thread engine([&] {
    auto r = run_engine(**log, st, *config, opts, stop);
    if (!r) engine_status = fail(r.error());
  });

  // The poller: the projection offsets, as a query sees them.
  const int32_t partitions = static_cast<int32_t>(settings->partitions);
  std::vector<Seen> seen;
  std::mutex seen_mu;
  std::atomic<bool> stop_poll{false};
  std::thread poller([&] {
    std::vector<int64_t> last(static_cast<size_t>(partitions), -1);
    while (!stop_poll) {
      std::vector<int64_t> now(static_cast<size_t>(partitions), 0);
      for (int32_t p = 0; p < partitions; ++p) {
        auto o = st.offset("projector", topics::kEvents, p);
        now[static_cast<size_t>(p)] = o ? *o : 0;
      }
      if (now != last) {
        std::lock_guard lock(seen_mu);
        seen.push_back({Clock::now(), now});
        last = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });

  // Every way out from here stops and joins both threads first (a joinable thread's destructor
  // terminates the process).
  auto stop_threads = [&] {
    stop = true;
    stop_poll = true;
    if (engine.joinable()) engine.join();
    if (poller.joinable()) poller.join();
  };

  // The producer: the engine's own user (a super user on the test broker) writes every inbox.
  auto producer = KafkaLog::open({.settings = *settings, .client_id = "bench-producer", .transactional_id = "",
                                  .require_topics = true});
  if (!producer) {
    std::cerr << producer.error().message << "\n";
    stop_threads();
    return 1;
  }
  std::unordered_map<std::string, Clock::time_point> appended;  // ce_id → acknowledged
  appended.reserve(facts.size());
  auto append = [&](size_t from, size_t to) -> bool {
    std::map<std::string, std::vector<Record>> by_inbox;
    for (size_t i = from; i < to; ++i) by_inbox[facts[i].inbox].push_back(facts[i].record);
    for (const auto& [inbox, records] : by_inbox) {
      auto r = (*producer)->append(inbox, records);
      if (!r) {
        std::cerr << r.error().message << "\n";
        return false;
      }
    }
    const auto now = Clock::now();
    for (size_t i = from; i < to; ++i) appended[facts[i].id] = now;
    return true;
  };
  const size_t paced_from = static_cast<size_t>(static_cast<double>(facts.size()) * (1.0 - paced_share));
  const auto t0 = Clock::now();
  for (size_t i = 0; i < paced_from; i += producer_batch) {
    if (!append(i, std::min(paced_from, i + producer_batch))) {
      stop_threads();
      return 1;
    }
  }
  const double produce_s = ms_between(t0, Clock::now()) / 1000.0;

  // Follows jiayuan.events and the dead-letter log with a reader of its own: where each fact's
  // event is (ce_id → partition, offset). A phase is over when every fact it appended is an event
  // (or a dead letter) and the projections are past every event: the first poll that saw it.
  KafkaSettings reader_settings = *settings;
  reader_settings.read_wait_ms = 50;
  auto reader = KafkaLog::open({.settings = reader_settings, .client_id = "bench-reader", .transactional_id = "",
                                .require_topics = true});
  if (!reader) {
    std::cerr << reader.error().message << "\n";
    stop_threads();
    return 1;
  }
  std::unordered_map<std::string, Position> where;
  std::vector<int64_t> cursor(static_cast<size_t>(partitions), 0);
  std::vector<int64_t> last_event(static_cast<size_t>(partitions), -1);
  int64_t dead_cursor = 0;
  size_t dead = 0;
  // A read that got no answer within its 50 ms is "nothing yet" here: the follower polls again.
  auto read_now = [&](std::string_view topic, int32_t p, int64_t from) -> Result<std::vector<LogEntry>> {
    auto got = (*reader)->read(topic, p, from, 5000);
    if (!got && got.error().code == "kafka_unavailable") return std::vector<LogEntry>{};
    return got;
  };
  auto follow = [&]() -> Status {
    for (int32_t p = 0; p < partitions; ++p) {
      JY_TRY(std::vector<LogEntry> got, read_now(topics::kEvents, p, cursor[static_cast<size_t>(p)]));
      for (const LogEntry& e : got) {
        where[std::string(e.record.header("ce_id"))] = e.position;
        last_event[static_cast<size_t>(p)] = e.position.offset;
      }
      if (!got.empty()) cursor[static_cast<size_t>(p)] = got.back().position.offset + 1;
    }
    JY_TRY(std::vector<LogEntry> dl, read_now(topics::kDeadLetter, 0, dead_cursor));
    dead += dl.size();
    if (!dl.empty()) dead_cursor = dl.back().position.offset + 1;
    return {};
  };
  auto wait_for = [&](size_t expected) -> Clock::time_point {
    const auto deadline = Clock::now() + std::chrono::minutes(30);
    while (Clock::now() < deadline && engine_status) {
      if (auto f = follow(); !f) {
        std::cerr << f.error().message << "\n";
        return {};
      }
      if (where.size() + dead >= expected) {
        std::lock_guard lock(seen_mu);
        const auto done = std::find_if(seen.begin(), seen.end(), [&](const Seen& s) {
          for (int32_t p = 0; p < partitions; ++p) {
            if (s.next[static_cast<size_t>(p)] <= last_event[static_cast<size_t>(p)]) return false;
          }
          return true;
        });
        if (done != seen.end()) return done->at;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return {};
  };
  auto why = [&] { return engine_status ? std::string("timed out after 30 min") : engine_status.error().message; };
  const auto phase1_done = wait_for(paced_from);
  if (phase1_done == Clock::time_point{}) {
    std::cerr << "phase 1 did not finish: " << why() << "\n";
    stop_threads();
    return 1;
  }
  const double phase1_s = ms_between(t0, phase1_done) / 1000.0;
  const double throughput = static_cast<double>(paced_from) / phase1_s;

  // Phase 2: the rest at a fixed rate.
  const double rate = paced_rate > 0 ? paced_rate : throughput / 2;
  const size_t step = std::max<size_t>(1, static_cast<size_t>(rate / 100));  // 100 appends a second
  const auto t1 = Clock::now();
  for (size_t i = paced_from, k = 0; i < facts.size(); i += step, ++k) {
    std::this_thread::sleep_until(t1 + std::chrono::microseconds(static_cast<int64_t>(1e6 * static_cast<double>(k * step) / rate)));
    if (!append(i, std::min(facts.size(), i + step))) {
      stop_threads();
      return 1;
    }
  }
  const auto phase2_done = wait_for(facts.size());
  stop_threads();
  if (phase2_done == Clock::time_point{}) {
    std::cerr << "phase 2 did not finish: " << why() << "\n";
    stop_threads();
    return 1;
  }

  // Each fact: from its append acknowledged to the first poll that saw the projection past its
  // event (the polls' offsets only grow: a binary search per fact).
  std::vector<double> lat1;
  std::vector<double> lat2;
  for (size_t i = 0; i < facts.size(); ++i) {
    auto w = where.find(facts[i].id);
    if (w == where.end()) continue;  // a dead letter
    const Position pos = w->second;
    const auto when = std::partition_point(seen.begin(), seen.end(), [&](const Seen& s) {
      return s.next[static_cast<size_t>(pos.partition)] <= pos.offset;
    });
    if (when == seen.end()) continue;
    (i < paced_from ? lat1 : lat2).push_back(ms_between(appended[facts[i].id], when->at));
  }
  const KafkaIntakeCounters c = (*intake)->counters();
  std::printf("%-40s %12zu\n", "facts", facts.size());
  std::printf("%-40s %12zu steps, %.0f messages a step, %.1f ms a step, %.1f s in all\n", "engine: intake",
              spent.steps, static_cast<double>(spent.taken) / static_cast<double>(std::max<size_t>(1, spent.steps)),
              1000 * spent.intake_s / static_cast<double>(std::max<size_t>(1, spent.steps)), spent.intake_s);
  std::printf("%-40s %12zu rounds, %.1f ms a round, %.1f s in all\n", "engine: rounds that did work", spent.rounds,
              1000 * spent.rounds_s / static_cast<double>(std::max<size_t>(1, spent.rounds)), spent.rounds_s);
  std::printf("%-40s %12zu accepted, %zu duplicate, %zu rejected\n", "intake", c.accepted, c.duplicates, c.rejected);
  std::printf("%-40s %12.0f facts/s (%zu facts; producer alone %.0f facts/s)\n", "phase 1: end to end", throughput,
              paced_from, static_cast<double>(paced_from) / produce_s);
  std::printf("%-40s %12.1f ms p50, %.1f ms p99 (%zu facts)\n", "phase 1: append to queryable, saturated",
              percentile(lat1, 50), percentile(lat1, 99), lat1.size());
  std::printf("%-40s %12.0f facts/s offered\n", "phase 2: paced", rate);
  std::printf("%-40s %12.1f ms p50, %.1f ms p99 (%zu facts)\n", "phase 2: append to queryable, paced",
              percentile(lat2, 50), percentile(lat2, 99), lat2.size());
  // The peer: Kafka Streams on the same inbox topics (the same facts), after the engine is done.
  double peer_rate = 0;
  if (!peer_libs.empty()) {
    const std::string state = dir + "/peer-state";
    std::filesystem::create_directories(state);
    const testing::ProcessResult peer = testing::run(
        "/usr/bin/java",
        {"-cp", peer_libs + "/*", std::string(JIAYUAN_SOURCE_DIR) + "/tests/bench/peer/StreamsPeer.java",
         settings->bootstrap, settings->topic_prefix, std::to_string(facts.size()), state},
        dir);
    const size_t at = peer.out.rfind("json ");
    if (peer.exit_code != 0 || at == std::string::npos) {
      std::cerr << "the Kafka Streams peer failed (exit " << peer.exit_code << "): " << peer.err << peer.out << "\n";
      return 1;
    }
    const auto r = nlohmann::json::parse(peer.out.substr(at + 5));
    peer_rate = r["facts_per_s"].get<double>();
    std::printf("%-40s %12.0f facts/s (first to last fact folded; %.1f s with start-up and close)\n",
                "peer: Kafka Streams fold", peer_rate, r["with_startup_and_close_s"].get<double>());
    std::printf("%-40s %12.2f\n", "ours / peer (phase 1 vs peer)", throughput / peer_rate);
  }
  nlohmann::json out{{"facts", facts.size()}, {"peer", peer_rate},          {"throughput", throughput},
                     {"p50_saturated_ms", percentile(lat1, 50)}, {"p99_saturated_ms", percentile(lat1, 99)},
                     {"paced_rate", rate},              {"p50_paced_ms", percentile(lat2, 50)},
                     {"p99_paced_ms", percentile(lat2, 99)}};
  std::printf("json %s\n", out.dump().c_str());
  std::filesystem::remove_all(dir);
  return lat2.empty() ? 1 : 0;
}

}  // namespace
}  // namespace jiayuan

int main(int argc, char** argv) { return jiayuan::run(argc, argv); }
