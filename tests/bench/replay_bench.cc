// Replay benchmark: a generated district year through intake, every stage and the projections on
// the embedded log, side by side with the floor measured in the same run (a raw scan of the same
// log and a raw RocksDB WriteBatch of as many keys, no logic), plus restart, rebuild, peak RSS
// and bytes on disk. Timing lives here, never in tests.
//
//   jiayuan_bench_replay --communities 1500 --complaints 500 --seed 1 --dir /tmp/bench
//   jiayuan_bench_replay --smoke          (CI: a tiny district, checks the run completes)
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "connectors/embedded_log.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "projections/store.h"

namespace jiayuan {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t bytes_under(const std::filesystem::path& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// Peak resident set size since the last reset_peak_rss(), in MiB (VmHWM of /proc/self/status).
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Starts a new phase's peak: freed heap goes back to the system, then the kernel's high-water
// mark is set to the current RSS (Linux ≥ 4.0: "5" to clear_refs).
void reset_peak_rss() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

struct Row {
  std::string what;
  double value;
  std::string unit;
  std::string note;
};

int run(int argc, char** argv) {
  GeneratorOptions g;
  g.communities = 1500;
  g.streets = 15;
  g.hotline_per_community = 500;
  g.seed = 1;
  std::string dir = (std::filesystem::temp_directory_path() / "jiayuan-bench").string();
  std::string config_dir = JIAYUAN_TEST_CONFIG_DIR;
  size_t batch = 5000;
  bool smoke = false;
  CLI::App app{"jiayuan replay benchmark: engine vs the floor on the embedded log"};
  app.add_option("--communities", g.communities)->capture_default_str();
  app.add_option("--streets", g.streets)->capture_default_str();
  app.add_option("--complaints", g.hotline_per_community, "mean hotline complaints per community and year")
      ->capture_default_str();
  app.add_option("--seed", g.seed)->capture_default_str();
  app.add_option("--batch-size", batch, "facts per atomic step")->capture_default_str();
  app.add_option("--dir", dir, "scratch directory (emptied first)")->capture_default_str();
  app.add_option("--config", config_dir)->capture_default_str();
  app.add_flag("--smoke", smoke, "a tiny district: checks the benchmark runs (CI)");
  std::string order = "date";
  app.add_option("--order", order,
                 "date: the generator's order; by-source: each department's facts together, one after "
                 "another (facts before their registrations, late facts: waiting and revisions); late: date "
                 "order but every 50th fact held back to the end and every 1000th retracted there (revisions "
                 "and retractions in a log that is otherwise in order)")
      ->check(CLI::IsMember({"date", "by-source", "late"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    g.communities = 20;
    g.streets = 3;
    g.hotline_per_community = 20;
  }
  spdlog::set_level(spdlog::level::warn);
  auto config = load_config(config_dir);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 1;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<Row> rows;

  // 1-2. The year, generated as a stream (the generator spills sorted runs to temporary files,
  // so memory stays bounded at any size), through intake into a fresh embedded log: validation,
  // authority, dedupe, append to jiayuan.events. Only the time inside intake is counted.
  const std::string log_dir = dir + "/log";
  size_t generated = 0, rejected_at_intake = 0;
  {
    auto log = EmbeddedLog::open(log_dir);
    auto intake = Intake::open(**log, *config);
    std::vector<IntakeInput> chunk;
    chunk.reserve(10000);
    double in_intake = 0;
    Error failed;
    auto flush = [&] {
      const auto t0 = Clock::now();
      auto out = (*intake)->submit(chunk);
      in_intake += seconds_since(t0);
      if (!out && failed.code.empty()) failed = out.error();
      if (out) {
        for (const auto& o : *out) rejected_at_intake += o.verdict == Verdict::kRejected;
      }
      chunk.clear();
    };
    const auto t = Clock::now();
    std::map<std::string, std::vector<std::string>> by_source;  // --order by-source
    std::vector<std::string> held;                               // --order late
    size_t in_order = 0, retractions = 0;
    auto s = generate_district(g, *config, [&](const std::string& l) {
      ++generated;
      if (generated % 1000000 == 0) std::fprintf(stderr, "generated %zu facts\n", generated);
      if (order == "by-source") {
        by_source[nlohmann::json::parse(l)["source"].get<std::string>()].push_back(l);
        return;
      }
      if (order == "late" && l.find("\"jiayuan.community.registered\"") == std::string::npos &&
          l.find("\"jiayuan.company.registered\"") == std::string::npos) {
        ++in_order;
        if (in_order % 1000 == 0) {
          const nlohmann::json f = nlohmann::json::parse(l);
          held.push_back(nlohmann::json{{"specversion", "1.0"},
                                        {"id", "retract-" + f["id"].get<std::string>()},
                                        {"source", f["source"]},
                                        {"type", "jiayuan.fact.retracted"},
                                        {"occurred", f["occurred"]},
                                        {"data", {{"id", f["id"]}, {"reason", "entered twice (benchmark)"}}}}
                             .dump());
          ++retractions;
        }
        if (in_order % 50 == 0) {
          held.push_back(l);
          return;
        }
      }
      chunk.push_back({l, "bench", std::nullopt});
      if (chunk.size() == 10000) flush();
    });
    if (!s) {
      std::cerr << s.error().message << "\n";
      return 1;
    }
    by_source["~held back"] = std::move(held);  // after every source: the late facts, then retractions
    std::stable_partition(by_source["~held back"].begin(), by_source["~held back"].end(),
                          [](const std::string& l) { return l.find("\"jiayuan.fact.retracted\"") == std::string::npos; });
    for (auto& [source, lines] : by_source) {
      for (std::string& l : lines) {
        chunk.push_back({std::move(l), "bench", std::nullopt});
        if (chunk.size() == 10000) flush();
      }
      lines = {};
    }
    flush();
    generated += retractions;
    if (!failed.code.empty()) {
      std::cerr << failed.message << "\n";
      return 1;
    }
    rows.push_back({"generated facts", static_cast<double>(generated), "facts",
                    std::to_string(g.communities) + " communities, " + std::to_string(g.hotline_per_community) +
                        " complaints each (mean)" +
                        (retractions > 0 ? ", " + std::to_string(retractions) + " of them retractions" : std::string()) +
                        (rejected_at_intake > 0 ? ", " + std::to_string(rejected_at_intake) + " rejected at intake" : std::string())});
    rows.push_back({"generate + intake", seconds_since(t), "s", ""});
    rows.push_back({"intake", static_cast<double>(generated) / in_intake, "facts/s",
                    "decode, validate, authorise, dedupe, append"});
    rows.push_back({"peak RSS: generate + intake", peak_rss_mib(), "MB", "VmHWM of this phase"});
  }
  const auto facts = static_cast<double>(generated);

  // 3. Replay: every stage into a fresh store.
  const std::string store_dir = dir + "/engine";
  double replay = 0;
  {
    auto log = EmbeddedLog::open(log_dir);
    auto store = Store::open(store_dir);
    RunOptions opts;
    opts.batch_size = batch;
    std::atomic<bool> stop{false};
    reset_peak_rss();
    const auto t = Clock::now();
    auto s = run_engine(**log, **store, *config, opts, stop);
    replay = seconds_since(t);
    if (!s) {
      std::cerr << s.error().message << "\n";
      return 1;
    }
    rows.push_back({"replay (engine)", facts / replay, "facts/s",
                    std::to_string(s->stage1.decisions) + " decisions, batch " + std::to_string(batch) + ", order " +
                        order});
    rows.push_back({"peak RSS: replay", peak_rss_mib(), "MB", "VmHWM of this phase: the engine, log and store"});
  }

  // 4. The floor, same run: a raw scan of the same log (a RocksDB iterator over its records, bytes
  // touched, nothing decoded) and a raw WriteBatch of as many keys, no logic. The scan through
  // the Log interface (records decoded) is shown beside it.
  double floor_scan = 0;
  double floor_write = 0;
  {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options ro;
    if (!rocksdb::DB::OpenForReadOnly(ro, log_dir, &raw).ok()) return 1;
    std::unique_ptr<rocksdb::DB> db(raw);
    auto t = Clock::now();
    size_t seen = 0;
    uint64_t bytes = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    const std::string events_prefix = std::string(topics::kEvents) + '\0';
    for (it->Seek(events_prefix); it->Valid() && it->key().starts_with(events_prefix); it->Next()) {
      bytes += it->key().size() + it->value().size() + static_cast<unsigned char>(it->value()[0]);
      ++seen;
    }
    floor_scan = seconds_since(t);
    it.reset();
    db.reset();
    if (seen != generated) {
      std::fprintf(stderr, "raw scan saw %zu records, expected %zu\n", seen, generated);
      return 1;
    }
    {
      auto log = EmbeddedLog::open(log_dir);
      t = Clock::now();
      size_t decoded = 0;
      for (int32_t p = 0; p < (*log)->partition_count(topics::kEvents); ++p) {
        for (int64_t at = 0;;) {
          auto got = (*log)->read(topics::kEvents, p, at, 4096);
          if (!got || got->empty()) break;
          decoded += got->size();
          at = got->back().position.offset + 1;
        }
      }
      rows.push_back({"scan, Log interface", static_cast<double>(decoded) / seconds_since(t), "facts/s",
                      "records decoded (not part of the floor)"});
    }
    rocksdb::Options o;
    o.create_if_missing = true;
    if (!rocksdb::DB::Open(o, dir + "/floor", &raw).ok()) return 1;
    db.reset(raw);
    rocksdb::WriteOptions wo;
    wo.sync = true;  // as the engine writes each step
    const std::string value(200, 'v');
    t = Clock::now();
    for (size_t i = 0; i < seen; i += batch) {
      rocksdb::WriteBatch b;
      for (size_t k = i; k < std::min(seen, i + batch); ++k) {
        char key[24];
        std::snprintf(key, sizeof key, "k%016zu", k);
        b.Put(key, value);
      }
      if (!db->Write(wo, &b).ok()) return 1;
    }
    floor_write = seconds_since(t);
    const double floor = floor_scan + floor_write;
    rows.push_back({"floor: raw scan", facts / floor_scan, "facts/s",
                    std::to_string(bytes / 1000000) + " MB, RocksDB iterator, nothing decoded"});
    rows.push_back({"floor: raw WriteBatch", facts / floor_write, "keys/s", "200-byte values, WAL synced per batch"});
    rows.push_back({"floor (scan + write)", facts / floor, "facts/s", ""});
    rows.push_back({"engine / floor", 100.0 * floor / replay, "%", "target ≥ 50%"});
  }

  // 5. Restart on the full store (open, recover, ready) and rebuild of the projections.
  {
    RunOptions opts;
    std::atomic<bool> stop{false};
    reset_peak_rss();
    auto t = Clock::now();
    auto log = EmbeddedLog::open(log_dir);
    const double log_open = seconds_since(t);
    auto store = Store::open(store_dir);
    const double store_open = seconds_since(t) - log_open;
    auto s = run_engine(**log, **store, *config, opts, stop);
    if (!s) return 1;
    rows.push_back({"restart to ready", seconds_since(t), "s", "open log and store, nothing left to fold"});
    rows.push_back({"restart: open the log", log_open, "s", ""});
    rows.push_back({"restart: open the store", store_open, "s", ""});
    rows.push_back({"peak RSS: restart", peak_rss_mib(), "MB", "VmHWM of this phase"});
    // What `run --http` and `publish` do besides: intake learns every accepted fact again.
    // The first start has no snapshot: it reads the whole log and writes one; the next reads it.
    const std::string snapshot = dir + "/intake.snapshot";
    reset_peak_rss();
    t = Clock::now();
    auto intake = Intake::open(**log, *config, snapshot);
    if (!intake) return 1;
    rows.push_back({"restart: intake's index", seconds_since(t), "s",
                    "no snapshot: reads the whole log, writes the snapshot (run --http, publish)"});
    rows.push_back({"peak RSS: intake's index", peak_rss_mib(), "MB", "VmHWM of this phase"});
    intake->reset();
    reset_peak_rss();
    t = Clock::now();
    intake = Intake::open(**log, *config, snapshot);
    if (!intake) return 1;
    rows.push_back({"restart: intake from snapshot", seconds_since(t), "s",
                    std::to_string(std::filesystem::file_size(snapshot) / 1000000) + " MB snapshot read and checked"});
    rows.push_back({"peak RSS: intake from snapshot", peak_rss_mib(), "MB", "VmHWM of this phase"});
    intake->reset();
    reset_peak_rss();
    t = Clock::now();
    if (!(*store)->drop_projections()) return 1;  // and the projector's offsets
    auto r = run_engine(**log, **store, *config, opts, stop);
    if (!r) return 1;
    rows.push_back({"rebuild projections", seconds_since(t), "s", ""});
    rows.push_back({"peak RSS: rebuild", peak_rss_mib(), "MB", "VmHWM of this phase"});
  }
  const double mfacts = facts / 1e6;
  rows.push_back({"log on disk", static_cast<double>(bytes_under(log_dir)) / mfacts / 1e6, "MB per 1M facts", ""});
  rows.push_back({"store on disk", static_cast<double>(bytes_under(store_dir)) / mfacts / 1e6, "MB per 1M facts",
                  "state, projections, proj.asof"});

  nlohmann::json out = nlohmann::json::array();
  for (const Row& r : rows) {
    std::printf("%-24s %14.1f %-16s %s\n", r.what.c_str(), r.value, r.unit.c_str(), r.note.c_str());
    out.push_back({{"what", r.what}, {"value", r.value}, {"unit", r.unit}});
  }
  std::printf("json %s\n", out.dump().c_str());
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace jiayuan

int main(int argc, char** argv) { return jiayuan::run(argc, argv); }
