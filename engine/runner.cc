#include "engine/runner.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace jiayuan {
namespace {

Result<int64_t> backlog(Log& log, Store& store) {
  int64_t behind = 0;
  const int32_t parts = log.partition_count(topics::kEvents);
  for (int32_t p = 0; p < parts; ++p) {
    JY_TRY(int64_t end, log.end_offset(topics::kEvents, p));
    JY_TRY(int64_t at, store.offset("stage1", topics::kEvents, p));
    behind += end - at;
  }
  return behind;
}

}  // namespace

Result<std::pair<int64_t, int64_t>> projection_position(Log& log, const Store& store) {
  int64_t done = 0;
  int64_t total = 0;
  for (std::string_view topic : {topics::kEvents, topics::kDecisions}) {
    for (int32_t p = 0; p < log.partition_count(topic); ++p) {
      JY_TRY(int64_t end, log.end_offset(topic, p));
      JY_TRY(int64_t at, store.offset("projector", topic, p));
      done += std::min(at, end);
      total += end;
    }
  }
  return std::pair{done, total};
}

Result<std::pair<int64_t, int64_t>> fold_position(Log& log, const Store& store) {
  int64_t done = 0;
  int64_t total = 0;
  auto add = [&](std::string_view consumer, std::string_view topic) -> Status {
    for (int32_t p = 0; p < log.partition_count(topic); ++p) {
      JY_TRY(int64_t end, log.end_offset(topic, p));
      JY_TRY(int64_t at, store.offset(consumer, topic, p));
      done += std::min(at, end);
      total += end;
    }
    return {};
  };
  JY_CHECK(add("stage1", topics::kEvents));
  JY_CHECK(add("projector", topics::kEvents));
  JY_CHECK(add("projector", topics::kDecisions));
  return std::pair{done, total};
}

namespace {

using Clock = std::chrono::steady_clock;

// What a round did: `now` less `before`.
StageCounters counters_since(StageCounters now, const StageCounters& before) {
  now.facts -= before.facts;
  now.decisions -= before.decisions;
  now.rejected -= before.rejected;
  for (auto& [k, n] : now.decisions_by_kind)
    n -= before.decisions_by_kind.contains(k) ? before.decisions_by_kind.at(k) : 0;
  for (auto& [k, n] : now.rejected_by_code)
    n -= before.rejected_by_code.contains(k) ? before.rejected_by_code.at(k) : 0;
  return now;
}

// A full disk is waited out when following, a broker that does not answer always (a run that
// stopped then would stop short of the end): every step is atomic, so the one that failed is
// simply taken again. Anything else stops the run (false). Logged every 30 s at most.
bool waited_out(const Error& error, const RunOptions& options, Clock::time_point& last_warning) {
  const std::string& code = error.code;
  const bool wait = code == "kafka_unavailable" || (code == "disk_full" && !options.until_idle);
  if (!wait) return false;
  if (Clock::now() - last_warning > std::chrono::seconds(30)) {
    spdlog::log(code == "disk_full" ? spdlog::level::err : spdlog::level::warn,
                "engine: {}; {}, retrying every {} ms", error.message,
                code == "disk_full" ? "waiting for space" : "waiting", options.idle_poll_ms);
    last_warning = Clock::now();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(options.idle_poll_ms));
  return true;
}

}  // namespace

Status run_replica(Log& log, Store& store, const Config& config, const ReplicaOptions& options,
                   const std::atomic<bool>& stop) {
  ProjectionStage projection(log, store, config);
  auto last_warning = Clock::now() - std::chrono::hours(1);
  bool idle_reported = false;
  auto last_progress = Clock::now() - std::chrono::hours(1);
  RunOptions waits;  // what waited_out needs: a full disk and an absent broker are waited out
  waits.until_idle = false;
  waits.idle_poll_ms = options.idle_poll_ms;
  while (!stop.load()) {
    size_t projected = 0;
    Status round = [&]() -> Status {
      if (options.refresh) JY_CHECK(options.refresh());
      JY_TRY(projected, projection.step(options.batch_size));
      return {};
    }();
    if (!round) {
      if (!waited_out(round.error(), waits, last_warning)) return fail(round.error());
      continue;
    }
    const bool idle = projected == 0;
    // Where it stands: once a second while folding (Kafka is asked over the network), and on
    // becoming idle.
    if (options.progress &&
        (idle ? !idle_reported : Clock::now() - last_progress > std::chrono::seconds(1))) {
      JY_TRY(auto at, projection_position(log, store));
      // Idle, it has read every record there is: on Kafka the end offsets also count transaction
      // markers, which no read returns, so they would show as never folded.
      options.progress(idle ? at.second : at.first, at.second);
      last_progress = Clock::now();
    }
    if (!idle) {
      idle_reported = false;
      continue;
    }
    if (!idle_reported) {
      if (options.caught_up != nullptr) options.caught_up->store(true);
      spdlog::info("replica: caught up; following the log");
      idle_reported = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options.idle_poll_ms));
  }
  return {};
}

Result<RunSummary> run_engine(Log& log, Store& store, const Config& config,
                              const RunOptions& options, const std::atomic<bool>& stop) {
  CommunityStage stage1(options.stage1_log != nullptr ? *options.stage1_log : log, store, config);
  Relay relay(log, store);
  ProjectionStage projection(log, store, config);
  RunSummary summary;

  JY_TRY(int64_t behind, backlog(log, store));
  spdlog::info("engine: {} facts to fold in {}", behind, store.path());
  auto last_report = Clock::now();
  size_t reported_facts = 0;  // progress is logged when there is progress, not every 2 s of idling
  auto last_disk_warning = Clock::now() - std::chrono::hours(1);
  bool waiting_logged = false;
  while (!stop.load()) {
    const auto round_start = Clock::now();
    const StageCounters before = stage1.counters();
    size_t taken = 0, folded = 0, relayed = 0, projected = 0;
    Status round = [&]() -> Status {
      if (options.intake) {
        JY_TRY(taken, options.intake(options.batch_size));
      }
      JY_TRY(folded, stage1.step(options.batch_size));
      JY_TRY(relayed, relay.step(options.batch_size));
      JY_TRY(projected, projection.step(options.batch_size));
      return {};
    }();
    if (!round) {
      if (!waited_out(round.error(), options, last_disk_warning)) return fail(round.error());
      continue;
    }
    summary.relayed += relayed;
    summary.projected += projected;
    if (options.progress) {
      JY_TRY(auto at, fold_position(log, store));
      options.progress(at.first, at.second);
    }
    const bool idle = taken == 0 && folded == 0 && relayed == 0 && projected == 0;
    if (!idle && options.observe) {
      options.observe(counters_since(stage1.counters(), before),
                      std::chrono::duration<double>(Clock::now() - round_start).count());
    }
    if (!idle) {
      waiting_logged = false;
      spdlog::debug("engine: step folded {} relayed {} projected {}", folded, relayed, projected);
    }
    if (Clock::now() - last_report > std::chrono::seconds(2) &&
        stage1.counters().facts != reported_facts) {
      last_report = Clock::now();
      reported_facts = stage1.counters().facts;
      spdlog::info("engine: folded {} facts of {}, {} decisions, {} rejected",
                   stage1.counters().facts, behind, stage1.counters().decisions,
                   stage1.counters().rejected);
    }
    if (!idle) continue;
    if (options.caught_up != nullptr) options.caught_up->store(true);
    if (options.until_idle) break;
    if (!waiting_logged) {
      spdlog::info("engine: caught up; waiting for new facts");
      waiting_logged = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options.idle_poll_ms));
  }
  summary.stage1 = stage1.counters();
  spdlog::info("engine: {} facts folded, {} decisions, {} rejected to the dead-letter log{}",
               summary.stage1.facts, summary.stage1.decisions, summary.stage1.rejected,
               stop.load() ? " (stopped)" : "");
  return summary;
}

}  // namespace jiayuan
