#include "engine/log.h"

#include "events/decisions.h"

namespace jiayuan {

std::string_view Record::header(std::string_view k) const {
  for (const Header& h : headers) {
    if (h.key == k) return h.value;
  }
  return {};
}

// Two stored forms. Format 1 (written until 2026-12): cereal's portable binary of (key, value,
// headers), one byte that is 1 when the numbers are little-endian (0: big-endian), then each string
// as a u64 length and its bytes, the headers as a u64 count and (key, value) pairs. Format 2 (what
// encode_record writes): the byte 2, then key and value as a varint length and bytes, a varint
// header count, and per header one tag byte and what it says follows:
//   bits 0-4  the header's key: 1..31 one of kKnownKeys, 0 the key follows (varint length, bytes);
//   bit 5     the value is one of kKnownValues (one byte, its index);
//   bit 6     the value is the record's key (nothing follows);
//   bit 7     the value is lowercase hex of even length, stored as its bytes (varint count, bytes);
//   none of 5-7: the value follows (varint length, bytes).
// Both tables only ever grow at the end: a stored index means the same string forever.
namespace {

constexpr std::string_view kKnownKeys[] = {"ce_specversion",
                                           "ce_id",
                                           "ce_source",
                                           "ce_type",
                                           "ce_subject",
                                           "ce_occurred",
                                           "ce_schemaversion",
                                           "content-type",
                                           "jiayuan_content_hash",
                                           "ce_time",
                                           "jiayuan_accepted_at",
                                           "jiayuan_retracts",
                                           "jiayuan.errors.stage",
                                           "jiayuan.errors.code",
                                           "jiayuan.errors.reason",
                                           "jiayuan.errors.origin",
                                           "jiayuan.errors.department",
                                           "jiayuan.decision.id",
                                           "jiayuan.decision.kind",
                                           "ce_dataschema"};
static_assert(std::size(kKnownKeys) <= 31);

constexpr std::string_view kKnownValues[] = {
    "1.0", "application/vnd.jiayuan.event+cereal", "application/json", "1", "2", "3"};

constexpr uint8_t kFormatCompact = 2;
constexpr uint8_t kValueKnown = 0x20;
constexpr uint8_t kValueIsKey = 0x40;
constexpr uint8_t kValueHex = 0x80;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

template <size_t N>
int index_in(const std::string_view (&table)[N], std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (table[i] == s) return static_cast<int>(i);
  }
  return -1;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool packable_hex(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (const char c : s) {
    if (hex_digit(c) < 0) return false;
  }
  return true;
}

void put_header(std::string& out, const Header& h, std::string_view record_key) {
  const int key = index_in(kKnownKeys, h.key);
  const int known = index_in(kKnownValues, h.value);
  uint8_t tag = static_cast<uint8_t>(key + 1);
  if (known >= 0) {
    tag |= kValueKnown;
  } else if (h.value == record_key && !h.value.empty()) {
    tag |= kValueIsKey;
  } else if (packable_hex(h.value)) {
    tag |= kValueHex;
  }
  out.push_back(static_cast<char>(tag));
  if (key < 0) put_bytes(out, h.key);
  if ((tag & kValueKnown) != 0) {
    out.push_back(static_cast<char>(known));
  } else if ((tag & kValueHex) != 0) {
    put_varint(out, h.value.size() / 2);
    for (size_t i = 0; i < h.value.size(); i += 2)
      out.push_back(static_cast<char>(hex_digit(h.value[i]) << 4 | hex_digit(h.value[i + 1])));
  } else if ((tag & kValueIsKey) == 0) {
    put_bytes(out, h.value);
  }
}

// Reads either stored form; every length is checked against the bytes that remain.
class RecordCursor {
 public:
  explicit RecordCursor(std::string_view in) : in_(in) {}

  bool start() {
    if (in_.empty() || static_cast<unsigned char>(in_[0]) > kFormatCompact) return false;
    compact_ = in_[0] == static_cast<char>(kFormatCompact);
    little_ = in_[0] == 1;
    at_ = 1;
    return true;
  }
  bool str(std::string_view& s) {
    uint64_t n = 0;
    if (!(compact_ ? varint(n) : u64(n)) || n > in_.size() - at_) return false;
    s = in_.substr(at_, n);
    at_ += n;
    return true;
  }
  // Reads the header count; refuses a count the remaining bytes cannot hold (16 bytes a header
  // in format 1, one in format 2).
  bool count(uint64_t& n) {
    if (compact_) return varint(n) && n <= in_.size() - at_;
    return u64(n) && n <= (in_.size() - at_) / 16;
  }
  // One header; `record_key` is the record's key (format 2 may say the value is it). `v` null:
  // the value is skipped, not built.
  bool header(std::string_view record_key, std::string_view& k, std::string* v) {
    if (!compact_) {
      std::string_view value;
      if (!str(k) || !str(value)) return false;
      if (v != nullptr) v->assign(value);
      return true;
    }
    if (at_ >= in_.size()) return false;
    const auto tag = static_cast<uint8_t>(in_[at_++]);
    const size_t key = tag & 0x1f;
    if (key == 0) {
      if (!str(k)) return false;
    } else if (key > std::size(kKnownKeys)) {
      return false;
    } else {
      k = kKnownKeys[key - 1];
    }
    return value(tag, record_key, v);
  }
  bool at_end() const { return at_ == in_.size(); }

 private:
  bool value(uint8_t tag, std::string_view record_key, std::string* v) {
    const uint8_t how = tag & (kValueKnown | kValueIsKey | kValueHex);
    std::string_view bytes;
    switch (how) {
      case 0:
        if (!str(bytes)) return false;
        if (v != nullptr) v->assign(bytes);
        return true;
      case kValueKnown:
        if (at_ >= in_.size() || static_cast<uint8_t>(in_[at_]) >= std::size(kKnownValues))
          return false;
        if (v != nullptr) v->assign(kKnownValues[static_cast<uint8_t>(in_[at_])]);
        ++at_;
        return true;
      case kValueIsKey:
        if (v != nullptr) v->assign(record_key);
        return true;
      case kValueHex: {
        if (!str(bytes)) return false;
        if (v == nullptr) return true;
        static constexpr char kDigits[] = "0123456789abcdef";
        v->clear();
        v->reserve(bytes.size() * 2);
        for (const char c : bytes) {
          v->push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
          v->push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
        }
        return true;
      }
      default:
        return false;  // two ways at once: no writer makes that
    }
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
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= in_.size()) return false;
      const auto b = static_cast<uint64_t>(static_cast<unsigned char>(in_[at_++]));
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  std::string_view in_;
  size_t at_ = 0;
  bool compact_ = false;
  bool little_ = true;
};

Error corrupt(std::string_view what) {
  return Error{"bad_binary", "corrupt stored record: " + std::string(what)};
}

}  // namespace

std::string encode_record(const Record& r) {
  size_t n = 1 + 10 + r.key.size() + 10 + r.value.size() + 10;
  for (const Header& h : r.headers) n += 11 + h.key.size() + h.value.size();
  std::string out;
  out.reserve(n);
  out.push_back(static_cast<char>(kFormatCompact));
  put_bytes(out, r.key);
  put_bytes(out, r.value);
  put_varint(out, r.headers.size());
  for (const Header& h : r.headers) put_header(out, h, r.key);
  return out;
}

Status decode_record_into(std::string_view bytes, Record& r) {
  RecordCursor c(bytes);
  std::string_view key;
  std::string_view value;
  uint64_t headers = 0;
  if (!c.start()) return fail(corrupt("no known format byte"));
  if (!c.str(key) || !c.str(value) || !c.count(headers))
    return fail(corrupt("truncated key, value or header count"));
  r.key.assign(key);
  r.value.assign(value);
  r.partition = -1;
  r.headers.resize(headers);
  for (uint64_t i = 0; i < headers; ++i) {
    std::string_view k;
    if (!c.header(key, k, &r.headers[i].value))
      return fail(corrupt("truncated header " + std::to_string(i)));
    r.headers[i].key.assign(k);
  }
  if (!c.at_end()) return fail(corrupt("bytes after the last header"));
  return {};
}

Result<Record> decode_record(std::string_view bytes) {
  Record r;
  JY_CHECK(decode_record_into(bytes, r));
  return r;
}

Status stored_record_header_into(std::string_view bytes, std::string_view key, std::string& value) {
  RecordCursor c(bytes);
  std::string_view record_key;
  std::string_view skip;
  uint64_t headers = 0;
  if (!c.start() || !c.str(record_key) || !c.str(skip) || !c.count(headers)) {
    return fail(corrupt("truncated key, value or header count"));
  }
  for (uint64_t i = 0; i < headers; ++i) {
    // Look at the key first; only the header asked for has its value built.
    RecordCursor peek = c;
    std::string_view k;
    if (!peek.header(record_key, k, nullptr))
      return fail(corrupt("truncated header " + std::to_string(i)));
    if (k == key) {
      c.header(record_key, k, &value);
      return {};
    }
    c = peek;
  }
  value.clear();
  return {};
}

Result<std::string> stored_record_header(std::string_view bytes, std::string_view key) {
  std::string value;
  JY_CHECK(stored_record_header_into(bytes, key, value));
  return value;
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

Status Log::read_into(std::string_view topic, int32_t partition, int64_t from, size_t max,
                      std::vector<LogEntry>& out, TypeFilter wanted) {
  if (wanted == nullptr) {
    JY_TRY(out, read(topic, partition, from, max));
  } else {
    JY_TRY(out, read(topic, partition, from, max, wanted));
  }
  return {};
}

int32_t partition_of(const Record& record, int32_t partitions) {
  if (record.partition >= 0 && record.partition < partitions) return record.partition;
  return partition_for(record.key, partitions);
}

}  // namespace jiayuan
