// Replay benchmark: a generated district year through intake, every stage and the projections on
// the embedded log, side by side with the floor measured in the same run (a raw scan of the same
// log and a raw RocksDB WriteBatch of as many keys, no logic), plus restart, rebuild, peak RSS
// and bytes on disk. Timing lives here, never in tests.
//
//   jiayuan_bench_replay --communities 1500 --complaints 500 --seed 1 --dir /tmp/bench
//   jiayuan_bench_replay --smoke          (CI: a tiny district, checks the run completes)
#include <malloc.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
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

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

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

struct BenchOptions {
  GeneratorOptions g;
  std::string dir = (std::filesystem::temp_directory_path() / "jiayuan-bench").string();
  std::string config_dir = JIAYUAN_TEST_CONFIG_DIR;
  size_t batch = 5000;
  std::string order = "date";
};

// The order the generated facts reach intake in (--order): the generator's (date), each
// department's together (by-source), or date order with every 50th fact held back to the end and
// every 1000th retracted there (late).
class Delivery {
 public:
  Delivery(const std::string& order, std::function<void(std::string)> deliver)
      : order_(order), deliver_(std::move(deliver)) {}

  void operator()(const std::string& l) {
    if (order_ == "by-source") {
      by_source_[nlohmann::json::parse(l)["source"].get<std::string>()].push_back(l);
      return;
    }
    if (order_ == "late" && l.find("\"jiayuan.community.registered\"") == std::string::npos &&
        l.find("\"jiayuan.company.registered\"") == std::string::npos) {
      ++in_order_;
      if (in_order_ % 1000 == 0) held_.push_back(retraction_of(nlohmann::json::parse(l)));
      if (in_order_ % 50 == 0) {
        held_.push_back(l);
        return;
      }
    }
    deliver_(l);
  }

  // What was held: every source's facts in turn, then the late facts, then the retractions.
  void finish() {
    auto& held = by_source_["~held back"];
    held = std::move(held_);
    std::stable_partition(held.begin(), held.end(), [](const std::string& l) {
      return l.find("\"jiayuan.fact.retracted\"") == std::string::npos;
    });
    for (auto& [source, lines] : by_source_) {
      for (std::string& l : lines) deliver_(std::move(l));
      lines = {};
    }
  }
  size_t retractions() const { return retractions_; }

 private:
  std::string retraction_of(const nlohmann::json& f) {
    ++retractions_;
    return nlohmann::json{{"specversion", "1.0"},
                          {"id", "retract-" + f["id"].get<std::string>()},
                          {"source", f["source"]},
                          {"type", "jiayuan.fact.retracted"},
                          {"occurred", f["occurred"]},
                          {"data", {{"id", f["id"]}, {"reason", "entered twice (benchmark)"}}}}
        .dump();
  }

  std::string order_;
  std::function<void(std::string)> deliver_;
  std::map<std::string, std::vector<std::string>> by_source_;
  std::vector<std::string> held_;
  size_t in_order_ = 0, retractions_ = 0;
};

// 1-2. The year, generated as a stream (the generator spills sorted runs to temporary files, so
// memory stays bounded at any size), through intake into a fresh embedded log: validation,
// authority, dedupe, append to jiayuan.events. Only the time inside intake is counted. Answers
// how many facts were delivered.
std::optional<size_t> generate_and_take_in(const BenchOptions& o, const Config& config,
                                           const std::string& log_dir, std::vector<Row>& rows) {
  // Partitioned as `jiayuan` partitions a new log (engine.toml log_partitions); the later opens
  // read the counts from the log.
  const auto parts = static_cast<int32_t>(config.engine.log_partitions);
  auto log = EmbeddedLog::open(
      log_dir, {{std::string(topics::kEvents), parts}, {std::string(topics::kDecisions), parts}});
  auto intake = Intake::open(**log, config);
  std::vector<IntakeInput> chunk;
  chunk.reserve(10000);
  double in_intake = 0;
  size_t generated = 0, rejected_at_intake = 0;
  Error failed;
  auto flush = [&] {
    const auto t0 = Clock::now();
    auto out = (*intake)->submit(chunk);
    in_intake += seconds_since(t0);
    if (!out && failed.code.empty()) failed = out.error();
    if (out) {
      for (const auto& outcome : *out) rejected_at_intake += outcome.verdict == Verdict::kRejected;
    }
    chunk.clear();
  };
  Delivery delivery(o.order, [&](std::string l) {
    chunk.push_back({std::move(l), "bench", std::nullopt});
    if (chunk.size() == 10000) flush();
  });
  const auto t = Clock::now();
  auto s = generate_district(o.g, config, [&](const std::string& l) {
    ++generated;
    if (generated % 1000000 == 0) std::fprintf(stderr, "generated %zu facts\n", generated);
    delivery(l);
  });
  if (!s) {
    std::cerr << s.error().message << "\n";
    return std::nullopt;
  }
  delivery.finish();
  flush();
  generated += delivery.retractions();
  if (!failed.code.empty()) {
    std::cerr << failed.message << "\n";
    return std::nullopt;
  }
  rows.push_back({"generated facts", static_cast<double>(generated), "facts",
                  std::to_string(o.g.communities) + " communities, " +
                      std::to_string(o.g.hotline_per_community) + " complaints each (mean)" +
                      (delivery.retractions() > 0
                           ? ", " + std::to_string(delivery.retractions()) + " of them retractions"
                           : std::string()) +
                      (rejected_at_intake > 0
                           ? ", " + std::to_string(rejected_at_intake) + " rejected at intake"
                           : std::string())});
  rows.push_back({"generate + intake", seconds_since(t), "s", ""});
  rows.push_back({"intake", static_cast<double>(generated) / in_intake, "facts/s",
                  "decode, validate, authorise, dedupe, append"});
  rows.push_back({"peak RSS: generate + intake", peak_rss_mib(), "MB", "VmHWM of this phase"});
  return generated;
}

// 3. Replay: every stage into a fresh store. Answers the seconds it took.
std::optional<double> replay(const BenchOptions& o, const Config& config,
                             const std::string& log_dir, const std::string& store_dir, double facts,
                             std::vector<Row>& rows) {
  auto log = EmbeddedLog::open(log_dir);
  auto store = Store::open(store_dir);
  RunOptions opts;
  opts.batch_size = o.batch;
  std::atomic<bool> stop{false};
  reset_peak_rss();
  const auto t = Clock::now();
  auto s = run_engine(**log, **store, config, opts, stop);
  const double took = seconds_since(t);
  if (!s) {
    std::cerr << s.error().message << "\n";
    return std::nullopt;
  }
  rows.push_back({"replay (engine)", facts / took, "facts/s",
                  std::to_string(s->stage1.decisions) + " decisions, batch " +
                      std::to_string(o.batch) + ", order " + o.order});
  rows.push_back(
      {"peak RSS: replay", peak_rss_mib(), "MB", "VmHWM of this phase: the engine, log and store"});
  return took;
}

// A raw scan of the log's facts (a RocksDB iterator over its records, bytes touched, nothing
// decoded): how many records, how many bytes.
std::optional<std::pair<size_t, uint64_t>> raw_scan(const std::string& log_dir) {
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::Options(), log_dir, &raw).ok()) return std::nullopt;
  std::unique_ptr<rocksdb::DB> db(raw);
  size_t seen = 0;
  uint64_t bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  const std::string events_prefix = std::string(topics::kEvents) + '\0';
  for (it->Seek(events_prefix); it->Valid() && it->key().starts_with(events_prefix); it->Next()) {
    bytes += it->key().size() + it->value().size() + static_cast<unsigned char>(it->value()[0]);
    ++seen;
  }
  return std::pair{seen, bytes};
}

// Every fact read through the Log interface, records decoded: how many.
size_t decoded_scan(const std::string& log_dir) {
  auto log = EmbeddedLog::open(log_dir);
  size_t decoded = 0;
  for (int32_t p = 0; p < (*log)->partition_count(topics::kEvents); ++p) {
    for (int64_t at = 0;;) {
      auto got = (*log)->read(topics::kEvents, p, at, 4096);
      if (!got || got->empty()) break;
      decoded += got->size();
      at = got->back().position.offset + 1;
    }
  }
  return decoded;
}

// A raw WriteBatch of `keys` 200-byte values, `batch` at a time, synced as the engine writes
// each step.
bool raw_writes(const std::string& dir, size_t keys, size_t batch) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options o;
  o.create_if_missing = true;
  if (!rocksdb::DB::Open(o, dir, &raw).ok()) return false;
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const std::string value(200, 'v');
  for (size_t i = 0; i < keys; i += batch) {
    rocksdb::WriteBatch b;
    for (size_t k = i; k < std::min(keys, i + batch); ++k) {
      char key[24];
      std::snprintf(key, sizeof key, "k%016zu", k);
      b.Put(key, value);
    }
    if (!db->Write(wo, &b).ok()) return false;
  }
  return true;
}

// 4. The floor, same run: a raw scan of the same log and a raw WriteBatch of as many keys, no
// logic. The scan through the Log interface (records decoded) is shown beside it.
bool measure_floor(const BenchOptions& o, const std::string& log_dir, size_t generated,
                   double replayed, std::vector<Row>& rows) {
  const auto facts = static_cast<double>(generated);
  auto t = Clock::now();
  const auto scanned = raw_scan(log_dir);
  const double floor_scan = seconds_since(t);
  if (!scanned) return false;
  if (scanned->first != generated) {
    std::fprintf(stderr, "raw scan saw %zu records, expected %zu\n", scanned->first, generated);
    return false;
  }
  t = Clock::now();
  const size_t decoded = decoded_scan(log_dir);
  rows.push_back({"scan, Log interface", static_cast<double>(decoded) / seconds_since(t), "facts/s",
                  "records decoded (not part of the floor)"});
  t = Clock::now();
  if (!raw_writes(o.dir + "/floor", scanned->first, o.batch)) return false;
  const double floor_write = seconds_since(t);
  const double floor = floor_scan + floor_write;
  rows.push_back(
      {"floor: raw scan", facts / floor_scan, "facts/s",
       std::to_string(scanned->second / 1000000) + " MB, RocksDB iterator, nothing decoded"});
  rows.push_back({"floor: raw WriteBatch", facts / floor_write, "keys/s",
                  "200-byte values, WAL synced per batch"});
  rows.push_back({"floor (scan + write)", facts / floor, "facts/s", ""});
  rows.push_back({"engine / floor", 100.0 * floor / replayed, "%", "target ≥ 50%"});
  return true;
}

// What `run --http` and `publish` do besides a restart: intake learns every accepted fact again.
// The first start has no snapshot: it reads the whole log and writes one; the next reads it.
bool intake_restarts(const BenchOptions& o, const Config& config, Log& log,
                     std::vector<Row>& rows) {
  const std::string snapshot = o.dir + "/intake.snapshot";
  reset_peak_rss();
  auto t = Clock::now();
  auto intake = Intake::open(log, config, snapshot);
  if (!intake) return false;
  rows.push_back({"restart: intake's index", seconds_since(t), "s",
                  "no snapshot: reads the whole log, writes the snapshot (run --http, publish)"});
  rows.push_back({"peak RSS: intake's index", peak_rss_mib(), "MB", "VmHWM of this phase"});
  intake->reset();
  reset_peak_rss();
  t = Clock::now();
  intake = Intake::open(log, config, snapshot);
  if (!intake) return false;
  rows.push_back({"restart: intake from snapshot", seconds_since(t), "s",
                  std::to_string(std::filesystem::file_size(snapshot) / 1000000) +
                      " MB snapshot read and checked"});
  rows.push_back({"peak RSS: intake from snapshot", peak_rss_mib(), "MB", "VmHWM of this phase"});
  return true;
}

// 5. Restart on the full store (open, recover, ready), intake's index, and rebuild of the
// projections.
bool restart_and_rebuild(const BenchOptions& o, const Config& config, const std::string& log_dir,
                         const std::string& store_dir, std::vector<Row>& rows) {
  RunOptions opts;
  std::atomic<bool> stop{false};
  reset_peak_rss();
  auto t = Clock::now();
  auto log = EmbeddedLog::open(log_dir);
  const double log_open = seconds_since(t);
  auto store = Store::open(store_dir);
  const double store_open = seconds_since(t) - log_open;
  if (!log || !store || !run_engine(**log, **store, config, opts, stop)) return false;
  rows.push_back(
      {"restart to ready", seconds_since(t), "s", "open log and store, nothing left to fold"});
  rows.push_back({"restart: open the log", log_open, "s", ""});
  rows.push_back({"restart: open the store", store_open, "s", ""});
  rows.push_back({"peak RSS: restart", peak_rss_mib(), "MB", "VmHWM of this phase"});
  if (!intake_restarts(o, config, **log, rows)) return false;
  reset_peak_rss();
  t = Clock::now();
  if (!(*store)->drop_projections()) return false;  // and the projector's offsets
  if (!run_engine(**log, **store, config, opts, stop)) return false;
  rows.push_back({"rebuild projections", seconds_since(t), "s", ""});
  rows.push_back({"peak RSS: rebuild", peak_rss_mib(), "MB", "VmHWM of this phase"});
  return true;
}

void print(const std::vector<Row>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const Row& r : rows) {
    std::printf("%-24s %14.1f %-16s %s\n", r.what.c_str(), r.value, r.unit.c_str(), r.note.c_str());
    out.push_back({{"what", r.what}, {"value", r.value}, {"unit", r.unit}});
  }
  std::printf("json %s\n", out.dump().c_str());
}

int run(int argc, char** argv) {
  BenchOptions o;
  o.g.communities = 1500;
  o.g.streets = 15;
  o.g.hotline_per_community = 500;
  o.g.seed = 1;
  bool smoke = false;
  CLI::App app{"jiayuan replay benchmark: engine vs the floor on the embedded log"};
  app.add_option("--communities", o.g.communities)->capture_default_str();
  app.add_option("--streets", o.g.streets)->capture_default_str();
  app.add_option("--complaints", o.g.hotline_per_community,
                 "mean hotline complaints per community and year")
      ->capture_default_str();
  app.add_option("--seed", o.g.seed)->capture_default_str();
  app.add_option("--batch-size", o.batch, "facts per atomic step")->capture_default_str();
  app.add_option("--dir", o.dir, "scratch directory (emptied first)")->capture_default_str();
  app.add_option("--config", o.config_dir)->capture_default_str();
  app.add_flag("--smoke", smoke, "a tiny district: checks the benchmark runs (CI)");
  app.add_option(
         "--order", o.order,
         "date: the generator's order; by-source: each department's facts together, one after "
         "another (facts before their registrations, late facts: waiting and revisions); late: "
         "date "
         "order but every 50th fact held back to the end and every 1000th retracted there "
         "(revisions "
         "and retractions in a log that is otherwise in order)")
      ->check(CLI::IsMember({"date", "by-source", "late"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    o.g.communities = 20;
    o.g.streets = 3;
    o.g.hotline_per_community = 20;
  }
  spdlog::set_level(spdlog::level::warn);
  auto config = load_config(o.config_dir);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 1;
  }
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);
  std::vector<Row> rows;
  const std::string log_dir = o.dir + "/log";
  const std::string store_dir = o.dir + "/engine";
  const auto generated = generate_and_take_in(o, *config, log_dir, rows);
  if (!generated) return 1;
  const auto facts = static_cast<double>(*generated);
  const auto replayed = replay(o, *config, log_dir, store_dir, facts, rows);
  if (!replayed || !measure_floor(o, log_dir, *generated, *replayed, rows)) return 1;
  if (!restart_and_rebuild(o, *config, log_dir, store_dir, rows)) return 1;
  const double mfacts = facts / 1e6;
  rows.push_back({"log on disk", static_cast<double>(bytes_under(log_dir)) / mfacts / 1e6,
                  "MB per 1M facts", ""});
  rows.push_back({"store on disk", static_cast<double>(bytes_under(store_dir)) / mfacts / 1e6,
                  "MB per 1M facts", "state, projections, proj.asof"});
  print(rows);
  std::filesystem::remove_all(o.dir);
  return 0;
}

}  // namespace
}  // namespace jiayuan

int main(int argc, char** argv) { return jiayuan::run(argc, argv); }
