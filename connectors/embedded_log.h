// EmbeddedLog: the default Log, on a RocksDB of its own. One process; durable: every append
// is one WriteBatch written with the WAL synced.
//
//   Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open("data/log", {{"jiayuan.events",
//   1}});
//
// Key layout (one column family "records"):
//   topic '\0' partition (u32 big-endian) offset (u64 big-endian) -> encoded record
// so a partition's records are contiguous and in offset order.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/log.h"
#include "projections/disk_space.h"

namespace rocksdb {
class DB;
}

namespace jiayuan {

class EmbeddedLog final : public Log {
 public:
  // Opens (creating when absent) the log at `path`. `partitions` gives each topic's partition
  // count in a new log (topics not named have 1); the log records them, and an existing log
  // keeps the counts it was created with (one each if it was written before it recorded them),
  // whatever is asked. Fails with a message naming the path, e.g. when another
  // process holds it, or (disk_full) when the disk has less than `disk.reserve_bytes` free; a
  // read-only open (`disk.read_only`) takes no lock and needs no space, and refuses appends.
  static Result<std::unique_ptr<EmbeddedLog>> open(const std::string& path,
                                                   std::map<std::string, int32_t> partitions = {},
                                                   DiskOptions disk = {});
  // A follower of the log another process writes (a read replica beside the engine: `jiayuan
  // serve`): a RocksDB secondary instance, its own files under `secondary_path`. It sees what the
  // writer has appended as of the last catch_up(); appends are refused.
  static Result<std::unique_ptr<EmbeddedLog>> open_secondary(
      const std::string& path, const std::string& secondary_path,
      std::map<std::string, int32_t> partitions = {});
  // A secondary: takes in what the writer appended since (RocksDB's TryCatchUpWithPrimary).
  Status catch_up();
  ~EmbeddedLog() override;

  int32_t partition_count(std::string_view topic) const override;
  Result<std::vector<Position>> append(std::string_view topic,
                                       std::span<const Record> records) override;
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max) override;
  // Refused records are recognised from their stored bytes and never decoded.
  Result<std::vector<LogEntry>> read(std::string_view topic, int32_t partition, int64_t from,
                                     size_t max, TypeFilter wanted) override;
  Status read_into(std::string_view topic, int32_t partition, int64_t from, size_t max,
                   std::vector<LogEntry>& out, TypeFilter wanted) override;
  Result<int64_t> end_offset(std::string_view topic, int32_t partition) override;
  bool concurrent_reads() const override { return true; }

  // Thread-safe: appends are serialised; reads may run beside them.
 private:
  EmbeddedLog(std::unique_ptr<rocksdb::DB> db, std::string path,
              std::map<std::string, int32_t> partitions, DiskOptions disk);
  Result<int64_t> load_end(const std::string& topic, int32_t partition);
  Status settle_layout();  // partitions_ from the log's own record of them (see open)

  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  std::map<std::string, int32_t> partitions_;
  DiskOptions disk_;
  std::mutex mu_;
  std::map<std::pair<std::string, int32_t>, int64_t> ends_;  // cached end offsets
};

}  // namespace jiayuan
