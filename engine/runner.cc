#include "engine/runner.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <system_error>
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
// A projection step on a thread of its own: no exception may leave it (it would end the
// process); one is the round's error.
Result<size_t> guarded_step(ProjectionStage& projection, size_t max_records, bool settle) {
  try {
    return projection.step(max_records, settle);
  } catch (const std::exception& e) {
    return fail("internal_error",
                std::string("the projection stage failed (a bug; please report it): ") + e.what());
  } catch (...) {
    return fail("internal_error", "the projection stage failed (a bug; please report it)");
  }
}

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

namespace {

struct Stages {
  CommunityStage stage1;
  Relay relay;
  ProjectionStage projection;
};

// What a round did.
struct Round {
  size_t taken = 0, folded = 0, relayed = 0, projected = 0;
  bool nothing() const { return taken == 0 && folded == 0 && relayed == 0 && projected == 0; }
};

// One round: intake, stage 1, the relay, and the projection stage (beside them on a thread of
// its own, or after them).
Status run_round(Stages& s, const RunOptions& options, bool beside, bool settle, Round& r) {
  Result<size_t> projection_step = size_t{0};
  std::optional<std::jthread> side;  // joined when the round ends, however it ends
  if (beside) {
    try {
      side.emplace(
          [&] { projection_step = guarded_step(s.projection, options.batch_size, settle); });
    } catch (const std::system_error& e) {  // no thread to be had: the step runs after the others
      spdlog::warn("engine: the projection stage takes its turn this round: {}", e.what());
    }
  }
  if (options.intake) {
    JY_TRY(r.taken, options.intake(options.batch_size));
  }
  JY_TRY(r.folded, s.stage1.step(options.batch_size));
  JY_TRY(r.relayed, s.relay.step(options.batch_size));
  if (side) {
    side.reset();
  } else {
    projection_step = s.projection.step(options.batch_size, settle);
  }
  JY_TRY(r.projected, std::move(projection_step));
  return {};
}

}  // namespace

Result<RunSummary> run_engine(Log& log, Store& store, const Config& config,
                              const RunOptions& options, const std::atomic<bool>& stop) {
  ReadHandoff handoff;  // before the stages that hold it
  Stages s{CommunityStage(options.stage1_log != nullptr ? *options.stage1_log : log, store, config),
           Relay(log, store), ProjectionStage(log, store, config)};
  CommunityStage& stage1 = s.stage1;
  RunSummary summary;

  JY_TRY(int64_t behind, backlog(log, store));
  spdlog::info("engine: {} facts to fold in {}", behind, store.path());
  auto last_report = Clock::now();
  size_t reported_facts = 0;  // progress is logged when there is progress, not every 2 s of idling
  auto last_disk_warning = Clock::now() - std::chrono::hours(1);
  bool waiting_logged = false;
  // Beside stage 1 (see runner.h), the projection stage computes stages 2 and 3 only in a round
  // after one in which intake, stage 1 and the relay caught up (not after every round of a
  // backlog), and the loop is idle only after a round in which it did.
  const bool beside = log.concurrent_reads() && options.stage1_log == nullptr;
  // Where stage 1 reads every partition of the log the projection stage reads (not on Kafka,
  // where a consumer group gives it some), the projection stage takes the events it read.
  if (options.stage1_log == nullptr) {
    s.stage1.hand_reads_to(&handoff);
    s.projection.take_reads_from(&handoff);
  }
  bool caught_up = !beside;
  while (!stop.load()) {
    const auto round_start = Clock::now();
    const StageCounters before = stage1.counters();
    const bool settle = caught_up;
    Round r;
    const Status round = run_round(s, options, beside, settle, r);
    // Caught up: the next round settles (a live engine's rounds, taking what trickles in, all do).
    caught_up = !beside || (round && !stage1.behind() && r.relayed < options.batch_size &&
                            r.taken < options.batch_size);
    if (!round) {
      if (!waited_out(round.error(), options, last_disk_warning)) return fail(round.error());
      continue;
    }
    summary.relayed += r.relayed;
    summary.projected += r.projected;
    if (options.progress) {
      JY_TRY(auto at, fold_position(log, store));
      options.progress(at.first, at.second);
    }
    const bool idle = r.nothing() && settle;
    if (!idle && options.observe) {
      options.observe(counters_since(stage1.counters(), before),
                      std::chrono::duration<double>(Clock::now() - round_start).count());
    }
    if (!idle) {
      waiting_logged = false;
      spdlog::debug("engine: step folded {} relayed {} projected {}", r.folded, r.relayed,
                    r.projected);
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
