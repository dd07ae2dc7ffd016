#include "engine/log.h"

#include "events/decisions.h"

namespace jiayuan {

std::string_view Record::header(std::string_view k) const {
  for (const Header& h : headers) {
    if (h.key == k) return h.value;
  }
  return {};
}

// The stored form is cereal's portable binary of (key, value, headers), written and read here by
// hand (the same bytes, no stream copies): one byte that is 1 when the numbers are little-endian,
// then each string as a u64 length and its bytes, the headers as a u64 count and (key, value)
// pairs. Records written by cereal before read unchanged.
namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_str(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

class RecordCursor {
 public:
  explicit RecordCursor(std::string_view in) : in_(in) {}

  bool start() {
    if (in_.empty() || static_cast<unsigned char>(in_[0]) > 1) return false;
    little_ = in_[0] == 1;
    at_ = 1;
    return true;
  }
  bool u64(uint64_t& v) {
    if (in_.size() - at_ < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) {
      const auto b =
          static_cast<uint64_t>(static_cast<unsigned char>(in_[at_ + static_cast<size_t>(i)]));
      v |= little_ ? b << (8 * i) : b << (8 * (7 - i));
    }
    at_ += 8;
    return true;
  }
  bool str(std::string_view& s) {
    uint64_t n = 0;
    if (!u64(n) || n > in_.size() - at_) return false;
    s = in_.substr(at_, n);
    at_ += n;
    return true;
  }
  // Reads the header count; refuses a count the remaining bytes cannot hold (16 bytes a header).
  bool count(uint64_t& n) { return u64(n) && n <= (in_.size() - at_) / 16; }
  bool at_end() const { return at_ == in_.size(); }

 private:
  std::string_view in_;
  size_t at_ = 0;
  bool little_ = true;
};

Error corrupt(std::string_view what) {
  return Error{"bad_binary", "corrupt stored record: " + std::string(what)};
}

}  // namespace

std::string encode_record(const Record& r) {
  size_t n = 1 + 8 + r.key.size() + 8 + r.value.size() + 8;
  for (const Header& h : r.headers) n += 16 + h.key.size() + h.value.size();
  std::string out;
  out.reserve(n);
  out.push_back(1);  // little-endian numbers
  put_str(out, r.key);
  put_str(out, r.value);
  put_u64(out, r.headers.size());
  for (const Header& h : r.headers) {
    put_str(out, h.key);
    put_str(out, h.value);
  }
  return out;
}

Result<Record> decode_record(std::string_view bytes) {
  RecordCursor c(bytes);
  std::string_view key;
  std::string_view value;
  uint64_t headers = 0;
  if (!c.start()) return fail(corrupt("no endianness byte"));
  if (!c.str(key) || !c.str(value) || !c.count(headers))
    return fail(corrupt("truncated key, value or header count"));
  Record r;
  r.key = key;
  r.value = value;
  r.headers.reserve(headers);
  for (uint64_t i = 0; i < headers; ++i) {
    std::string_view k;
    std::string_view v;
    if (!c.str(k) || !c.str(v)) return fail(corrupt("truncated header " + std::to_string(i)));
    r.headers.push_back({std::string(k), std::string(v)});
  }
  if (!c.at_end()) return fail(corrupt("bytes after the last header"));
  return r;
}

Result<std::string_view> stored_record_header(std::string_view bytes, std::string_view key) {
  RecordCursor c(bytes);
  std::string_view skip;
  uint64_t headers = 0;
  if (!c.start() || !c.str(skip) || !c.str(skip) || !c.count(headers)) {
    return fail(corrupt("truncated key, value or header count"));
  }
  for (uint64_t i = 0; i < headers; ++i) {
    std::string_view k;
    std::string_view v;
    if (!c.str(k) || !c.str(v)) return fail(corrupt("truncated header " + std::to_string(i)));
    if (k == key) return v;
  }
  return std::string_view{};
}

int32_t partition_for(std::string_view key, int32_t partitions) {
  if (partitions <= 1) return 0;
  return static_cast<int32_t>(stable_hash64(key) % static_cast<uint64_t>(partitions));
}

}  // namespace jiayuan

namespace jiayuan {

Result<std::vector<LogEntry>> Log::read(std::string_view topic, int32_t partition, int64_t from,
                                        size_t max, TypeFilter wanted) {
  JY_TRY(std::vector<LogEntry> entries, read(topic, partition, from, max));
  for (LogEntry& e : entries) {
    const std::string type(e.record.header("ce_type"));
    if (type.empty() || wanted(type)) continue;
    e.record.value.clear();
    e.record.headers = {{"ce_type", type}};
  }
  return entries;
}

int32_t partition_of(const Record& record, int32_t partitions) {
  if (record.partition >= 0 && record.partition < partitions) return record.partition;
  return partition_for(record.key, partitions);
}

}  // namespace jiayuan
