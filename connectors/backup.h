// Backup and restore of a data directory, consistent while the engine runs.
//
//   auto made = backup_data_dir("data", "/backups/2024-01-15", /*with_log=*/true, progress);
//   auto back = restore_data_dir("/backups/2024-01-15", "data-restored");
//
// A backup is a directory of RocksDB databases and a manifest: `engine/` (the store: stage 1's
// state, offsets, outbox and projections), `log/` (the embedded log; absent on Kafka, whose log
// is the cluster's) and `manifest.json` (what was copied, record counts, the projections'
// digest). Each database is read through a RocksDB secondary instance (beside a running engine,
// without its lock) and copied record by record into a fresh database: the store first, then
// the log, so the log copy holds everything the store copy refers to. Restored, the engine
// resumes as after a crash at that moment: it folds what the log holds beyond the store's
// offsets, and a decision relayed twice has one id and is applied once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "events/result.h"

namespace jiayuan {

struct BackupSummary {
  std::string dir;
  int64_t store_records = 0;
  int64_t log_records = 0;  // 0 without the log
  std::string digest;       // the projections' digest in the copy
};

using CopyProgress = std::function<void(const std::string& what, int64_t records)>;

// Copies the data directory's store (and, `with_log`, its embedded log) to `backup_dir`, which
// must not exist or be empty. Errors name the directory and what failed.
Result<BackupSummary> backup_data_dir(const std::string& data_dir, const std::string& backup_dir,
                                      bool with_log, const CopyProgress& progress = {});
// Puts a backup in place as `data_dir`, which must not exist or be empty, and checks the
// projections' digest against the manifest's.
Result<BackupSummary> restore_data_dir(const std::string& backup_dir, const std::string& data_dir);

}  // namespace jiayuan
