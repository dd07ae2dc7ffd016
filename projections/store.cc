#include "projections/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>

#include "events/sha256.h"

namespace jiayuan {
namespace {

constexpr std::string_view kProjectionPrefix = "proj.";
constexpr std::string_view kProjectorPrefix = "projector.";  // the projector's own bookkeeping

const std::vector<std::string_view>& engine_families() {
  static const std::vector<std::string_view> kAll = {
      cf::kStage1,       cf::kTimers,        cf::kChain,
      cf::kPartition,    cf::kWaiting,       cf::kWaitingFacts,
      cf::kOffsets,      cf::kOutbox,        cf::kApplied,
      cf::kCompanyFacts, cf::kProjCommunity, cf::kProjGrade,
      cf::kProjCase,     cf::kProjCompany,   cf::kProjGovernance,
      cf::kProjWaste,    cf::kProjDistrict,  cf::kProjStanding,
      cf::kProjRevision, cf::kProjAsOf,      cf::kProjCommunityLine,
      cf::kProjGradeLine};
  return kAll;
}

}  // namespace

std::string encode_be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

uint64_t decode_be64(std::string_view b) {
  // Copied out first: reading a short string's bytes in place, GCC 12 at -O3 warns falsely
  // (-Wmaybe-uninitialized) that they may be uninitialized.
  unsigned char bytes[8] = {};
  const size_t n = std::min<size_t>(8, b.size());
  std::memcpy(bytes, b.data(), n);
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | bytes[i];
  return v;
}

Store::Store(std::string path, DiskOptions disk) : disk_(disk), path_(std::move(path)) {}

Status Store::writable() const {
  if (disk_.read_only)
    return fail("read_only", path_ + ": opened for reading only (a bug: this command writes)");
  return check_free_space(path_, disk_);
}

Error Store::db_error(std::string_view doing, const std::string& status) const {
  return Error{"io", path_ + ": " + std::string(doing) + ": " + status};
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, DiskOptions disk) {
  std::unique_ptr<Store> store(new Store(path, disk));
  JY_CHECK(check_free_space(path, disk));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  // Families written rarely keep old WAL files alive; past this size RocksDB flushes them, so
  // what a restart after a crash replays stays bounded however large the state grows.
  options.max_total_wal_size = 64ull << 20;
  // One memtable budget for all the families (each would take up to 2 × 64 MB by default).
  options.db_write_buffer_size = 64ull << 20;
  // The lists read every community's line and every rating's, with their versions (some 30 MB
  // at 15,000 communities): a block cache that holds them, so a list computed again reads
  // memory. RocksDB's default of 32 MB was evicted by each pass and read the files again.
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(128ull << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, path, &names);
  if (!s.ok() && disk.read_only) return store;  // nothing folded yet: every read is empty
  if (!s.ok()) names = {rocksdb::kDefaultColumnFamilyName};
  auto named = [&](std::string_view f) {
    return std::find(names.begin(), names.end(), f) != names.end();
  };
  // Projections written before the list lines existed: built again, lines and all.
  const bool without_lines = named(cf::kProjCommunity) && !named(cf::kProjCommunityLine);
  if (!disk.read_only) {  // a read-only open sees the families there are; the others read as empty
    for (std::string_view f : engine_families()) {
      if (!named(f)) names.emplace_back(f);
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(names.size());
  for (const std::string& n : names)
    descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions(options));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = disk.read_only ? rocksdb::DB::OpenForReadOnly(options, path, descriptors, &handles, &raw)
                     : rocksdb::DB::Open(options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return fail("locked", path +
                                ": the engine's store is in use by another jiayuan process; stop "
                                "it and retry");
    }
    return fail(store->db_error("cannot open the engine's store", s.ToString()));
  }
  store->db_.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) store->handles_[names[i]] = handles[i];
  if (without_lines && !disk.read_only) {
    JY_CHECK(store->drop_projections());
    store->rebuilt_projections_ = true;
  }
  return store;
}

Store::~Store() {
  if (!db_) return;
  if (disk_.read_only || !check_free_space(path_, disk_)) {
    // Nothing to flush, or no room to: the WAL holds every acknowledged write.
    for (auto& [name, h] : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
    return;
  }
  // The WAL already holds every write; flushing the memtables now spares the next start
  // replaying it (0.65 s on a 768k-fact store, growing with the store, before this).
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto& [name, h] : handles_) all.push_back(h);
  db_->Flush(rocksdb::FlushOptions(), all).PermitUncheckedError();
  for (auto& [name, h] : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Store::cf(std::string_view name) const {
  auto it = handles_.find(name);
  return it == handles_.end() ? nullptr : it->second;
}

uint64_t Store::sequence() const { return db_->GetLatestSequenceNumber(); }

std::vector<std::string> Store::families() const {
  std::vector<std::string> out;
  for (const auto& [name, h] : handles_) out.push_back(name);
  return out;
}

Status Store::write(rocksdb::WriteBatch& batch) {
  JY_CHECK(writable());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &batch);
  if (s.IsNoSpace() || s.ToString().find("No space") != std::string::npos) {
    JY_TRY(uint64_t free, free_bytes(path_));
    return fail(disk_full_error(path_, free, disk_));
  }
  if (!s.ok()) return fail(db_error("cannot write", s.ToString()));
  return {};
}

Result<std::optional<std::string>> Store::get(rocksdb::WriteBatchWithIndex& batch,
                                              std::string_view family, std::string_view key) const {
  std::string value;
  if (cf(family) == nullptr) return std::optional<std::string>();
  rocksdb::Status s =
      batch.GetFromBatchAndDB(db_.get(), rocksdb::ReadOptions(), cf(family), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return fail(db_error("cannot read", s.ToString()));
  return std::optional<std::string>(std::move(value));
}

Status Store::write(rocksdb::WriteBatchWithIndex& batch) { return write(*batch.GetWriteBatch()); }

Status Store::delete_key(std::string_view family, std::string_view key) {
  rocksdb::WriteBatch b;
  b.Delete(cf(family), key);
  return write(b);
}

Result<std::optional<std::string>> Store::get(std::string_view family, std::string_view key) const {
  std::string value;
  if (cf(family) == nullptr)
    return std::optional<std::string>();  // a family this read-only open lacks
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(family), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return fail(db_error("cannot read", s.ToString()));
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<std::string>> Store::first_key_from(std::string_view family,
                                                         std::string_view from) const {
  if (cf(family) == nullptr) return std::optional<std::string>();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(family)));
  it->Seek(from);
  if (!it->status().ok()) return fail(db_error("cannot seek", it->status().ToString()));
  if (!it->Valid()) return std::optional<std::string>();
  return std::optional<std::string>(it->key().ToString());
}

Status Store::scan(std::string_view family, std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  return scan_from(family, prefix, [&](std::string_view k, std::string_view v) {
    return k.starts_with(prefix) && fn(k, v);
  });
}

Status Store::scan_from(std::string_view family, std::string_view from,
                        const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (cf(family) == nullptr) return {};
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(family)));
  for (it->Seek(from); it->Valid(); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return fail(db_error("cannot scan", it->status().ToString()));
  return {};
}

Status Store::scan(rocksdb::WriteBatchWithIndex& batch, std::string_view family,
                   std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (cf(family) == nullptr) return {};
  std::unique_ptr<rocksdb::Iterator> it(
      batch.NewIteratorWithBase(cf(family), db_->NewIterator(rocksdb::ReadOptions(), cf(family))));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (!it->key().starts_with(prefix)) break;
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return fail(db_error("cannot scan", it->status().ToString()));
  return {};
}

Result<std::string> Store::projection_digest() const {
  Sha256 h;
  for (const auto& [name, handle] : handles_) {  // std::map: name order
    if (!name.starts_with(kProjectionPrefix)) continue;
    h.update_field(name);
    JY_CHECK(scan(name, "", [&](std::string_view k, std::string_view v) {
      h.update_field(k);
      h.update_field(v);
      return true;
    }));
  }
  return h.hex_digest();
}

Status Store::drop_projections() {
  JY_CHECK(writable());
  std::vector<std::string> drop;
  for (const auto& [name, h] : handles_) {
    if (name.starts_with(kProjectionPrefix) || name.starts_with(kProjectorPrefix))
      drop.push_back(name);
  }
  for (const std::string& name : drop) {
    rocksdb::ColumnFamilyHandle* h = handles_.at(name);
    rocksdb::Status s = db_->DropColumnFamily(h);
    if (!s.ok()) return fail(db_error("cannot drop " + name, s.ToString()));
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    rocksdb::ColumnFamilyHandle* fresh = nullptr;
    s = db_->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &fresh);
    if (!s.ok()) return fail(db_error("cannot recreate " + name, s.ToString()));
    handles_[name] = fresh;
  }
  rocksdb::WriteBatch forget;
  JY_CHECK(scan(cf::kOffsets, "projector/", [&](std::string_view k, std::string_view) {
    forget.Delete(cf(cf::kOffsets), rocksdb::Slice(k.data(), k.size()));
    return true;
  }));
  return write(forget);
}

std::string Store::offset_name(std::string_view consumer, std::string_view topic,
                               int32_t partition) {
  return std::string(consumer) + "/" + std::string(topic) + "/" + std::to_string(partition);
}

Result<int64_t> Store::offset(std::string_view name) const {
  // Read into a plain string, not through get()'s optional: GCC 12 at -O3 warns falsely
  // (-Wmaybe-uninitialized) on the optional's payload here.
  if (cf(cf::kOffsets) == nullptr) return int64_t{0};
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(cf::kOffsets), name, &value);
  if (s.IsNotFound()) return int64_t{0};
  if (!s.ok()) return fail(db_error("cannot read", s.ToString()));
  return static_cast<int64_t>(decode_be64(value));
}

void Store::put_offset(rocksdb::WriteBatch& batch, std::string_view name, int64_t next) const {
  batch.Put(cf(cf::kOffsets), name, encode_be64(static_cast<uint64_t>(next)));
}

}  // namespace jiayuan
