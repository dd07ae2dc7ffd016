// Store: the engine's RocksDB (state, outbox, offsets and projections), by column family.
//
//   auto store = Store::open("data/engine");
//   rocksdb::WriteBatch b;
//   b.Put(store->cf(cf::kStage1), key, value);
//   store->write(b);                       // atomic, WAL synced
//   store->get(cf::kOffsets, "events/0");  // std::optional<std::string>
//
// Every column family the engine uses is created on open. Projection families are named
// "proj.*"; they are caches of the log and can be dropped and rebuilt (drop_projections).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.h"
#include "projections/disk_space.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace jiayuan {

namespace cf {
inline constexpr std::string_view kStage1 = "stage1.community";  // community id -> state
inline constexpr std::string_view kTimers = "stage1.timers";     // partition, date, community -> ""
inline constexpr std::string_view kChain = "stage1.chain";       // partition -> last decision hash
inline constexpr std::string_view kPartition =
    "stage1.partition";  // partition -> its ticks, district publications
// Listings of waiting facts written before 2026-12-06 (community '\0' source '\0' id -> JSON):
// read, and removed as each community is next folded; nothing new is written here.
inline constexpr std::string_view kWaiting = "stage1.waiting";
// Each waiting fact (community '\0' source '\0' id -> engine/waiting.h's entry), kept beside its
// community's state rather than in it: the state is written every batch that touches it, a
// waiting fact only where it begins or stops waiting.
inline constexpr std::string_view kWaitingFacts = "stage1.waiting_facts";
inline constexpr std::string_view kOffsets = "offsets";  // consumer/topic/partition -> next
inline constexpr std::string_view kOutbox = "outbox";    // seq (u64 BE) -> record + topic
inline constexpr std::string_view kApplied = "projector.applied";  // decision id -> ""
// company '\0' date '\0' source '\0' id -> where and when a company fact arrived (projector.h)
inline constexpr std::string_view kCompanyFacts = "projector.company_facts";
inline constexpr std::string_view kProjCommunity = "proj.community";  // id -> JSON particulars
inline constexpr std::string_view kProjGrade = "proj.grade";          // year/id -> JSON rating
inline constexpr std::string_view kProjCase = "proj.case";  // year/id -> JSON failing case
inline constexpr std::string_view kProjCompany =
    "proj.company_facts";  // year/company -> JSON counts
inline constexpr std::string_view kProjGovernance =
    "proj.governance";                                              // id -> JSON committee, items
inline constexpr std::string_view kProjWaste = "proj.waste";        // year/id -> JSON counts
inline constexpr std::string_view kProjDistrict = "proj.district";  // year -> JSON awards, targets
inline constexpr std::string_view kProjStanding = "proj.standing";  // year/company -> JSON standing
// Revisions (transaction time: what changed after it was first decided, in log order, no
// versions): year/community/decision id -> JSON.
inline constexpr std::string_view kProjRevision = "proj.revision";
// Every proj.* value above that events and decisions write, as of each log date it changed:
// family '\0' key '\0' date (u32 big-endian, days + 2^31) -> the value as of that date.
inline constexpr std::string_view kProjAsOf = "proj.asof";
// The list lines: beside each proj.community and proj.grade value, and each of their versions in
// proj.asof, what the lists and stages 2/3 read of it (records.h community_line, rating_line),
// so a list of a large district does not parse every rating's explanation and every
// particular's stamps.
inline constexpr std::string_view kProjCommunityLine = "proj.community_line";  // id -> JSON
inline constexpr std::string_view kProjGradeLine = "proj.grade_line";          // year/id -> JSON
}  // namespace cf

// Threads: reads and writes may come from any thread (RocksDB's guarantee): the engine loop
// writes while the HTTP threads read. drop_projections() replaces column families and must run
// with nothing else using the store (`jiayuan rebuild`, the engine stopped).
class Store {
 public:
  // Opens (creating when absent) the store at `path`. Read-only (`disk.read_only`): beside a
  // running engine, on a full disk; every write then fails. Otherwise refuses (disk_full) while
  // the disk has less than `disk.reserve_bytes` free. A store an earlier version wrote, with
  // projections but no list lines, has its projections dropped when opened for writing (they
  // rebuild from the log, as after `jiayuan rebuild`; rebuilt_projections() says so).
  static Result<std::unique_ptr<Store>> open(const std::string& path, DiskOptions disk = {});
  ~Store();

  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;
  // Atomic and durable (WAL synced) on success.
  Status write(rocksdb::WriteBatch& batch);
  Status delete_key(std::string_view family, std::string_view key);
  Result<std::optional<std::string>> get(std::string_view family, std::string_view key) const;
  // Reads through a batch being built: its writes first, then the store.
  Result<std::optional<std::string>> get(rocksdb::WriteBatchWithIndex& batch,
                                         std::string_view family, std::string_view key) const;
  Status write(rocksdb::WriteBatchWithIndex& batch);
  // The first key at or after `from`, or nullopt past the last (a seek, no value read).
  Result<std::optional<std::string>> first_key_from(std::string_view family,
                                                    std::string_view from) const;
  // Calls fn(key, value) for each entry at or after `from`, in key order, until fn returns false.
  Status scan_from(std::string_view family, std::string_view from,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Calls fn(key, value) for each entry with the prefix, in key order, until fn returns false.
  Status scan(std::string_view family, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // The same through a batch being built: its writes over the store's.
  Status scan(rocksdb::WriteBatchWithIndex& batch, std::string_view family, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // SHA-256 over every "proj.*" family, in family-name then key order (length-prefixed).
  Result<std::string> projection_digest() const;
  // Drops and recreates every "proj.*" family and the projector's bookkeeping ("projector.*"),
  // and forgets the projector's offsets: the projections rebuild from the log's start.
  Status drop_projections();
  std::vector<std::string> families() const;
  bool has_family(std::string_view name) const { return cf(name) != nullptr; }
  // Whether open() dropped the projections of an earlier version's store.
  bool rebuilt_projections() const { return rebuilt_projections_; }
  const std::string& path() const { return path_; }
  // The number of the latest write: unchanged while nothing is written (what a cache of answers
  // computed from the store is valid for). A read-only store's never changes.
  uint64_t sequence() const;

  // Offsets in kOffsets: -> 0 when absent.
  Result<int64_t> offset(std::string_view name) const;
  // A consumer's offset in a partition ("stage1", "projector"): its name in kOffsets is
  // "<consumer>/<topic>/<partition>".
  static std::string offset_name(std::string_view consumer, std::string_view topic,
                                 int32_t partition);
  Result<int64_t> offset(std::string_view consumer, std::string_view topic,
                         int32_t partition) const {
    return offset(offset_name(consumer, topic, partition));
  }
  void put_offset(rocksdb::WriteBatch& batch, std::string_view name, int64_t next) const;

 private:
  Store(std::string path, DiskOptions disk);
  Error db_error(std::string_view doing, const std::string& status) const;
  // Before a write: read-only stores and a full disk refuse it.
  Status writable() const;

  DiskOptions disk_;
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles_;
  bool rebuilt_projections_ = false;
};

// Big-endian u64, so keys sort by number.
std::string encode_be64(uint64_t v);
uint64_t decode_be64(std::string_view bytes);

}  // namespace jiayuan
