#include "connectors/embedded_log.h"

#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <charconv>
#include <filesystem>
#include <optional>

namespace jiayuan {
namespace {

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_be(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<size_t>(i)]);
  return v;
}

std::string partition_prefix(std::string_view topic, int32_t partition) {
  std::string k(topic);
  k.push_back('\0');
  put_be(k, static_cast<uint32_t>(partition), 4);
  return k;
}

std::string record_key(std::string_view topic, int32_t partition, int64_t offset) {
  std::string k = partition_prefix(topic, partition);
  put_be(k, static_cast<uint64_t>(offset), 8);
  return k;
}

// The log is written once and read front to back: larger blocks, LZ4 where records are fresh
// (cheap to write, fast to read), ZSTD where they settle (the bottommost level: most of a year),
// and the WAL compressed too (it holds the newest 64 MB uncompressed otherwise). The records'
// own form is already compact (engine/log.cc, format 2); this is what repeats between them.
void set_log_storage(rocksdb::Options& options) {
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 32 * 1024;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kLZ4Compression;
  options.bottommost_compression = rocksdb::kZSTD;
  options.wal_compression = rocksdb::kZSTD;
}

Error db_error(const std::string& path, const rocksdb::Status& s, std::string_view doing) {
  return Error{"io", path + ": " + std::string(doing) + ": " + s.ToString()};
}

// The log's partition counts, kept in it (a topic never begins with '\0', so this key is no
// record's): "topic count" lines; a topic not named has one partition.
constexpr std::string_view kLayoutKey{"\0layout", 7};

std::string encode_layout(const std::map<std::string, int32_t>& partitions) {
  std::string out;
  for (const auto& [topic, n] : partitions) out += topic + " " + std::to_string(n) + "\n";
  return out;
}

std::optional<std::map<std::string, int32_t>> decode_layout(std::string_view text) {
  std::map<std::string, int32_t> out;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const size_t space = text.rfind(' ', end);
    if (end == std::string_view::npos || space == std::string_view::npos || space == 0)
      return std::nullopt;
    int32_t n = 0;
    const std::string_view count = text.substr(space + 1, end - space - 1);
    const auto [at, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (ec != std::errc() || at != count.data() + count.size() || n < 1) return std::nullopt;
    out[std::string(text.substr(0, space))] = n;
    text.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

// A log keeps the partition counts it was created with: a new log takes those asked for and
// records them; a log written before it recorded them was written with one partition a topic
// (as every `jiayuan` command opened it) and is read so (and, opened for writing, records that).
Status EmbeddedLog::settle_layout() {
  if (!db_) return {};
  std::string stored;
  const rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), kLayoutKey, &stored);
  if (got.ok()) {
    auto layout = decode_layout(stored);
    if (!layout) {
      return fail("bad_binary",
                  path_ + ": the log's partition counts are unreadable (a damaged log): " +
                      stored.substr(0, 80));
    }
    partitions_ = std::move(*layout);
    return {};
  }
  if (!got.IsNotFound()) return fail(db_error(path_, got, "cannot read the log's layout"));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  if (!it->status().ok()) return fail(db_error(path_, it->status(), "cannot read"));
  if (it->Valid()) partitions_.clear();  // written before layouts were kept: one partition each
  if (disk_.read_only) return {};
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const rocksdb::Status put = db_->Put(wo, kLayoutKey, encode_layout(partitions_));
  if (!put.ok()) return fail(db_error(path_, put, "cannot record the log's layout"));
  return {};
}

Result<std::unique_ptr<EmbeddedLog>> EmbeddedLog::open(const std::string& path,
                                                       std::map<std::string, int32_t> partitions,
                                                       DiskOptions disk) {
  JY_CHECK(check_free_space(path, disk));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  set_log_storage(options);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = disk.read_only ? rocksdb::DB::OpenForReadOnly(options, path, &raw)
                                     : rocksdb::DB::Open(options, path, &raw);
  if (!s.ok() && disk.read_only && !std::filesystem::exists(path + "/CURRENT")) {
    // Nothing published here yet: an empty log (every read finds nothing).
    return std::unique_ptr<EmbeddedLog>(
        new EmbeddedLog(nullptr, path, std::move(partitions), disk));
  }
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return fail("locked", path +
                                ": the embedded log is in use by another jiayuan process; stop it "
                                "(the embedded log serves one process at a time) and retry");
    }
    return fail(db_error(path, s, "cannot open the embedded log"));
  }
  std::unique_ptr<EmbeddedLog> log(
      new EmbeddedLog(std::unique_ptr<rocksdb::DB>(raw), path, std::move(partitions), disk));
  JY_CHECK(log->settle_layout());
  return log;
}

Result<std::unique_ptr<EmbeddedLog>> EmbeddedLog::open_secondary(
    const std::string& path, const std::string& secondary_path,
    std::map<std::string, int32_t> partitions) {
  if (!std::filesystem::exists(path + "/CURRENT")) {
    return fail("not_found", path +
                                 ": no embedded log here to follow (start the engine first, or "
                                 "name its data directory with --data-dir)");
  }
  std::error_code ec;
  std::filesystem::create_directories(secondary_path, ec);
  rocksdb::Options options;
  options.max_open_files = -1;  // a secondary keeps every file open (RocksDB requires it)
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::OpenAsSecondary(options, path, secondary_path, &raw);
  if (!s.ok()) return fail(db_error(path, s, "cannot follow the embedded log"));
  DiskOptions disk;
  disk.read_only = true;
  std::unique_ptr<EmbeddedLog> log(
      new EmbeddedLog(std::unique_ptr<rocksdb::DB>(raw), path, std::move(partitions), disk));
  JY_CHECK(log->settle_layout());
  return log;
}

Status EmbeddedLog::catch_up() {
  if (!db_) return {};
  const rocksdb::Status s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return fail(db_error(path_, s, "catching up with the engine's log"));
  std::lock_guard lock(mu_);
  ends_.clear();  // the writer's appends moved them
  return {};
}

EmbeddedLog::EmbeddedLog(std::unique_ptr<rocksdb::DB> db, std::string path,
                         std::map<std::string, int32_t> partitions, DiskOptions disk)
    : db_(std::move(db)), path_(std::move(path)), partitions_(std::move(partitions)), disk_(disk) {}

EmbeddedLog::~EmbeddedLog() {
  // Close only flushes; the WAL already holds every append.
  if (db_) db_->Close().PermitUncheckedError();
}

int32_t EmbeddedLog::partition_count(std::string_view topic) const {
  auto it = partitions_.find(std::string(topic));
  return it == partitions_.end() ? 1 : it->second;
}

Result<int64_t> EmbeddedLog::load_end(const std::string& topic, int32_t partition) {
  auto key = std::make_pair(topic, partition);
  if (auto it = ends_.find(key); it != ends_.end()) return it->second;
  if (!db_) return int64_t{0};
  const std::string prefix = partition_prefix(topic, partition);
  std::string upper = prefix;
  put_be(upper, ~uint64_t{0}, 8);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(upper);
  int64_t end = 0;
  if (it->Valid() && it->key().starts_with(prefix) && it->key().size() == prefix.size() + 8) {
    end = static_cast<int64_t>(get_be(it->key().ToStringView(), prefix.size(), 8)) + 1;
  }
  if (!it->status().ok()) return fail(db_error(path_, it->status(), "cannot read the log's end"));
  ends_[key] = end;
  return end;
}

Result<std::vector<Position>> EmbeddedLog::append(std::string_view topic,
                                                  std::span<const Record> records) {
  std::lock_guard lock(mu_);
  const std::string t(topic);
  const int32_t parts = partition_count(topic);
  std::map<int32_t, int64_t> next;
  std::vector<Position> positions;
  positions.reserve(records.size());
  rocksdb::WriteBatch batch;
  for (const Record& r : records) {
    const int32_t p = partition_of(r, parts);
    if (!next.contains(p)) {
      JY_TRY(int64_t end, load_end(t, p));
      next[p] = end;
    }
    const int64_t offset = next[p]++;
    batch.Put(record_key(topic, p, offset), encode_record(r));
    positions.push_back({p, offset});
  }
  if (disk_.read_only)
    return fail("read_only",
                path_ + ": the log was opened for reading only (a bug: this command writes)");
  JY_CHECK(check_free_space(path_, disk_));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &batch);
  if (s.IsNoSpace() || s.ToString().find("No space") != std::string::npos) {
    JY_TRY(uint64_t free, free_bytes(path_));
    return fail(disk_full_error(path_, free, disk_));
  }
  if (!s.ok()) return fail(db_error(path_, s, "cannot append"));
  for (const auto& [p, end] : next) ends_[{t, p}] = end;
  return positions;
}

Result<std::vector<LogEntry>> EmbeddedLog::read(std::string_view topic, int32_t partition,
                                                int64_t from, size_t max) {
  return read(topic, partition, from, max, nullptr);
}

Result<std::vector<LogEntry>> EmbeddedLog::read(std::string_view topic, int32_t partition,
                                                int64_t from, size_t max, TypeFilter wanted) {
  std::vector<LogEntry> out;
  if (!db_) return out;
  const std::string prefix = partition_prefix(topic, partition);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(record_key(topic, partition, from)); it->Valid() && out.size() < max; it->Next()) {
    if (!it->key().starts_with(prefix)) break;
    const int64_t offset = static_cast<int64_t>(get_be(it->key().ToStringView(), prefix.size(), 8));
    const std::string_view bytes = it->value().ToStringView();
    if (wanted != nullptr) {
      JY_TRY(std::string type, stored_record_header(bytes, "ce_type"));
      if (!type.empty() && !wanted(type)) {
        Record stub;
        stub.headers = {{"ce_type", std::move(type)}};
        out.push_back(LogEntry{{partition, offset}, std::move(stub)});
        continue;
      }
    }
    JY_TRY(Record r, decode_record(bytes));
    out.push_back(LogEntry{{partition, offset}, std::move(r)});
  }
  if (!it->status().ok()) return fail(db_error(path_, it->status(), "cannot read"));
  return out;
}

Status EmbeddedLog::read_into(std::string_view topic, int32_t partition, int64_t from, size_t max,
                              std::vector<LogEntry>& out, TypeFilter wanted) {
  size_t n = 0;
  if (db_) {
    const std::string prefix = partition_prefix(topic, partition);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(record_key(topic, partition, from)); it->Valid() && n < max; it->Next()) {
      if (!it->key().starts_with(prefix)) break;
      if (n == out.size()) out.emplace_back();
      LogEntry& e = out[n++];
      e.position = {partition,
                    static_cast<int64_t>(get_be(it->key().ToStringView(), prefix.size(), 8))};
      const std::string_view bytes = it->value().ToStringView();
      if (wanted != nullptr) {
        // The type read into the stub's one header, so that a stub costs no allocation.
        e.record.headers.resize(1);
        std::string& type = e.record.headers[0].value;
        JY_CHECK(stored_record_header_into(bytes, "ce_type", type));
        if (!type.empty() && !wanted(type)) {  // a stub, as read gives it
          e.record.key.clear();
          e.record.value.clear();
          e.record.partition = -1;
          e.record.headers[0].key.assign("ce_type");
          continue;
        }
      }
      JY_CHECK(decode_record_into(bytes, e.record));
    }
    if (!it->status().ok()) return fail(db_error(path_, it->status(), "cannot read"));
  }
  out.resize(n);
  return {};
}

Result<int64_t> EmbeddedLog::end_offset(std::string_view topic, int32_t partition) {
  std::lock_guard lock(mu_);
  return load_end(std::string(topic), partition);
}

}  // namespace jiayuan
