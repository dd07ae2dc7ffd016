// What every command of the `jiayuan` binary shares: the global options, opening the
// configuration, the log and the store, errors printed one way. cmd/jiayuan/ is the one folder
// that knows every module (ARCHITECTURE.md, layout); each command group's file is a thin edge.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "engine/log.h"
#include "projections/store.h"

namespace jiayuan::cli {

// Set by SIGINT/SIGTERM (on_signal): long commands stop at their next step.
extern std::atomic<bool> g_stop;
void on_signal(int);

// Today's date in Shanghai from the process clock: only at this edge, never in the workflows.
std::optional<Date> today();

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
  static Result<std::unique_ptr<ScratchDir>> make(const std::string& parent,
                                                  const std::string& name) {
    std::error_code ec;
    const std::filesystem::path base =
        parent.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(parent);
    std::filesystem::create_directories(base, ec);
    std::string pattern = (base / ("jiayuan-" + name + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return fail("io", pattern + ": cannot create a scratch directory (" + std::strerror(errno) +
                            "); choose one with --work-dir");
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
Result<std::unique_ptr<Log>> scratch_log(const ScratchDir& dir, const char* name, const Log& like);

struct Opened {
  Config config;
  std::unique_ptr<Log> log;  // null on Kafka with KafkaLogUse::kNone
  std::unique_ptr<Store> store;
  bool kafka = false;
  // As known at an instant: the store recomputed from what had been accepted by then.
  std::unique_ptr<ScratchDir> scratch_dir;
  std::unique_ptr<Log> scratch;
};

// --as-known INSTANT: replaces the store with the projections as known at that instant (the
// stages run over the facts accepted by then, in a scratch directory removed afterwards).
Status use_as_known(Opened& o, const std::string& as_known);

// Exit codes: 0 done; 1 done, with rejections or differences (publish, import, retract, audit);
// 2 could not run (bad arguments, an unreachable broker, a locked data directory, a file that
// cannot be read).
inline constexpr int kDone = 0;
inline constexpr int kDoneWithRejections = 1;
inline constexpr int kCouldNotRun = 2;

// Prints "jiayuan: error: <message>" to standard error; returns kCouldNotRun.
int report(const Error& e);

// The configuration, with the global options and the environment applied (and the log level set).
Result<Config> load(const Globals& g);

// What a command does with the data directory: reads only (no lock, no space needed: it
// runs beside the engine and on a full disk) or writes.
enum class Access { kRead, kWrite };

// Whether a command needs the log on Kafka: a department's commands (publish, import, retract)
// write its inbox and read its receipts only, which is all its credentials allow.
enum class KafkaLogUse { kOpen, kNone };

// The configuration, the log (Kafka or embedded) and, `with_store`, the projections' store.
Result<Opened> open_all(const Globals& g, bool with_store = true, Access access = Access::kWrite,
                        KafkaLogUse kafka_log = KafkaLogUse::kOpen);

// Where intake keeps what it remembers between starts (embedded log only: on Kafka each
// instance learns from the cluster).
std::string intake_snapshot(const Opened& o);

// ---- run ---------------------------------------------------------------------------------
// ?as_known= for the HTTP API: the store as known at an instant, recomputed in a scratch
// directory on first asking and kept for the next questions (the last four instants asked).
// On Kafka the recomputation reads jiayuan.events through a client of its own (the engine
// loop's is not shared with the HTTP threads).
std::function<Result<std::shared_ptr<const Store>>(int64_t)> known_stores(Opened& o);

}  // namespace jiayuan::cli
