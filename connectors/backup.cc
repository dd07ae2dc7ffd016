#include "connectors/backup.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "projections/store.h"

namespace jiayuan {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int kManifestFormat = 1;

Error db_error(const std::string& path, std::string_view doing, const rocksdb::Status& s) {
  return Error{"io", path + ": " + std::string(doing) + ": " + s.ToString()};
}

// A directory that does not exist, or is empty.
Status fresh(const std::string& dir, std::string_view role) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return fail("bad_argument", std::string(role) + " " + dir +
                                    " is not empty: name a new directory (nothing is overwritten)");
  }
  fs::create_directories(dir, ec);
  if (ec) return fail("io", dir + ": cannot create: " + ec.message());
  return {};
}

// Both ends of a copy: every column family of the source, opened as a RocksDB secondary
// instance (no lock, beside a running writer) and caught up once, so what it reads is the
// database as of one moment; the destination a new database with the same families.
struct Databases {
  std::vector<rocksdb::ColumnFamilyHandle*> from_handles, to_handles;
  std::unique_ptr<rocksdb::DB> from, to;
  ~Databases() {
    for (auto* h : from_handles) from->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    for (auto* h : to_handles) to->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
};

Status open_both(const std::string& from, const std::string& scratch, const std::string& to,
                 Databases& d) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), from, &names);
  if (!s.ok()) return fail(db_error(from, "cannot read its column families", s));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.reserve(names.size());
  for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  rocksdb::Options options;
  options.max_open_files = -1;  // a secondary keeps every file open (RocksDB requires it)
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenAsSecondary(options, from, scratch, families, &d.from_handles, &raw);
  if (!s.ok()) return fail(db_error(from, "cannot open it to copy", s));
  d.from.reset(raw);
  s = d.from->TryCatchUpWithPrimary();
  if (!s.ok()) return fail(db_error(from, "cannot catch up with its writer", s));
  rocksdb::Options out;
  out.create_if_missing = true;
  out.create_missing_column_families = true;
  out.error_if_exists = true;
  s = rocksdb::DB::Open(out, to, families, &d.to_handles, &raw);
  if (!s.ok()) return fail(db_error(to, "cannot create the copy", s));
  d.to.reset(raw);
  return {};
}

// Copies every record of every family; returns how many.
Result<int64_t> copy_database(const std::string& from, const std::string& scratch,
                              const std::string& to, const std::string& what,
                              const CopyProgress& progress) {
  Databases d;
  JY_CHECK(open_both(from, scratch, to, d));
  int64_t records = 0;
  rocksdb::WriteOptions unlogged;  // flushed once at the end instead
  unlogged.disableWAL = true;
  for (size_t f = 0; f < d.from_handles.size(); ++f) {
    std::unique_ptr<rocksdb::Iterator> it(
        d.from->NewIterator(rocksdb::ReadOptions(), d.from_handles[f]));
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Status s = batch.Put(d.to_handles[f], it->key(), it->value());
      if (!s.ok()) return fail(db_error(to, "cannot copy", s));
      if (++records % 100000 == 0 && progress) progress(what, records);
      if (batch.GetDataSize() > (8u << 20)) {
        s = d.to->Write(unlogged, &batch);
        if (!s.ok()) return fail(db_error(to, "cannot write the copy", s));
        batch.Clear();
      }
    }
    if (!it->status().ok()) return fail(db_error(from, "cannot read", it->status()));
    rocksdb::Status s = d.to->Write(unlogged, &batch);
    if (!s.ok()) return fail(db_error(to, "cannot write the copy", s));
  }
  const rocksdb::Status s = d.to->Flush(rocksdb::FlushOptions(), d.to_handles);
  if (!s.ok()) return fail(db_error(to, "cannot flush the copy", s));
  if (progress) progress(what, records);
  return records;
}

Result<std::string> digest_of(const std::string& store_dir) {
  JY_TRY(std::unique_ptr<Store> store, Store::open(store_dir, DiskOptions{.read_only = true}));
  return store->projection_digest();
}

Status copy_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec)
    return fail("io", "copying " + from.string() + " to " + to.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<BackupSummary> backup_data_dir(const std::string& data_dir, const std::string& backup_dir,
                                      bool with_log, const CopyProgress& progress) {
  const fs::path data = data_dir, out = backup_dir;
  if (!fs::exists(data / "engine" / "CURRENT"))
    return fail("not_found", data_dir +
                                 ": no engine store here to back up (is it the data "
                                 "directory? --data-dir names it)");
  JY_CHECK(fresh(backup_dir, "the backup directory"));
  const std::string scratch = (out / ".secondary").string();
  BackupSummary b;
  b.dir = backup_dir;
  // The store first: the log copied after it holds everything the store refers to.
  JY_TRY(b.store_records, copy_database((data / "engine").string(), scratch + "-engine",
                                        (out / "engine").string(), "store", progress));
  if (with_log && fs::exists(data / "log" / "CURRENT")) {
    JY_TRY(b.log_records, copy_database((data / "log").string(), scratch + "-log",
                                        (out / "log").string(), "log", progress));
  }
  std::error_code ec;
  fs::remove_all(scratch + "-engine", ec);
  fs::remove_all(scratch + "-log", ec);
  JY_TRY(b.digest, digest_of((out / "engine").string()));
  const json manifest{
      {"format", kManifestFormat},        {"source", fs::absolute(data, ec).string()},
      {"store_records", b.store_records}, {"log", with_log && b.log_records > 0},
      {"log_records", b.log_records},     {"projections_digest", b.digest}};
  std::ofstream m(out / "manifest.json", std::ios::binary | std::ios::trunc);
  m << manifest.dump(2) << "\n";
  m.close();
  if (!m) return fail("io", (out / "manifest.json").string() + ": write failed");
  return b;
}

Result<BackupSummary> restore_data_dir(const std::string& backup_dir, const std::string& data_dir) {
  const fs::path in = backup_dir, data = data_dir;
  std::ifstream m(in / "manifest.json", std::ios::binary);
  if (!m) return fail("not_found", backup_dir + ": no manifest.json: not a jiayuan backup");
  std::stringstream text;
  text << m.rdbuf();
  const json manifest = json::parse(text.str(), nullptr, false);
  if (!manifest.is_object() || manifest.value("format", 0) != kManifestFormat) {
    return fail("bad_backup", backup_dir + "/manifest.json: expected a backup manifest of format " +
                                  std::to_string(kManifestFormat));
  }
  JY_CHECK(fresh(data_dir, "the data directory to restore into"));
  JY_CHECK(copy_tree(in / "engine", data / "engine"));
  if (manifest.value("log", false)) JY_CHECK(copy_tree(in / "log", data / "log"));
  BackupSummary b;
  b.dir = data_dir;
  b.store_records = manifest.value("store_records", int64_t{0});
  b.log_records = manifest.value("log_records", int64_t{0});
  JY_TRY(b.digest, digest_of((data / "engine").string()));
  if (b.digest != manifest.value("projections_digest", "")) {
    return fail("bad_backup", data_dir + ": the restored projections' digest " + b.digest +
                                  " is not the backup's " +
                                  manifest.value("projections_digest", "") +
                                  ": the backup is damaged");
  }
  return b;
}

}  // namespace jiayuan
