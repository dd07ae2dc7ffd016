// Intake's snapshot: what it remembers of the accepted log, with the log position that covers,
// written to a file so that a start learns only what came after (Intake::open, save_snapshot).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <span>
#include <sstream>

#include "engine/intake.h"
#include "events/view_stream.h"

namespace jiayuan {

// The snapshot file: "JYIX", the format (kSnapshotFormat), a byte that is 1 on a little-endian
// machine, the length (u64, native order) of the part in
// cereal's portable binary, the next offset and the identity of the fact before it for each
// partition, the streets and companies known, the count of facts; then the fact table's bytes.
namespace {
constexpr std::string_view kSnapshotMagic = "JYIX";
constexpr uint8_t kSnapshotFormat = 2;  // 2: positions in the fact table, retractions

struct SnapshotHead {
  std::map<int32_t, int64_t> next;
  std::map<int32_t, std::string> identity;  // of the fact at next - 1
  std::map<std::string, std::string> streets;
  std::map<std::string, int> companies;
  uint64_t facts = 0;
  std::map<std::string, std::string> retracted;
  template <class A>
  void serialize(A& ar) {
    ar(next, identity, streets, companies, facts, retracted);
  }
};

uint8_t little_endian() {
  const uint16_t one = 1;
  uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  return first;
}
}  // namespace

Result<std::string> Intake::identity_at(int32_t partition, int64_t offset) const {
  JY_TRY(std::vector<LogEntry> got, log_.read(topics::kEvents, partition, offset, 1));
  if (got.empty() || got.front().position.offset != offset) return std::string();
  const Record& r = got.front().record;
  return std::string(r.header("ce_source")) + '\0' + std::string(r.header("ce_id")) + '\0' +
         std::string(r.header(headers::kContentHash));
}

Status Intake::save_snapshot() {
  if (snapshot_.empty()) return {};
  JY_CHECK(catch_up());
  SnapshotHead head;
  head.next = seen_;
  for (const auto& [p, next] : seen_) {
    if (next == 0) continue;
    JY_TRY(std::string id, identity_at(p, next - 1));
    head.identity[p] = std::move(id);
  }
  head.streets = {index_.street_by_community.begin(), index_.street_by_community.end()};
  head.companies = {index_.companies.begin(), index_.companies.end()};
  head.retracted = {index_.retracted.begin(), index_.retracted.end()};
  head.facts = index_.seen.size();
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(head);
  }
  const std::string blob = std::move(os).str();
  const std::string tmp = snapshot_ + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    return fail("io", tmp + ": cannot write intake's snapshot: " + std::strerror(errno));
  const std::string_view table = index_.seen.raw();
  std::string prefix(kSnapshotMagic);
  prefix.push_back(static_cast<char>(kSnapshotFormat));
  prefix.push_back(static_cast<char>(little_endian()));
  const uint64_t blob_size = blob.size();
  bool ok = std::fwrite(prefix.data(), 1, prefix.size(), f) == prefix.size() &&
            std::fwrite(&blob_size, sizeof blob_size, 1, f) == 1 &&
            std::fwrite(blob.data(), 1, blob.size(), f) == blob.size() &&
            (table.empty() || std::fwrite(table.data(), 1, table.size(), f) == table.size());
  ok = std::fflush(f) == 0 && ok;
  ok = ::fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), snapshot_.c_str()) != 0) {
    std::remove(tmp.c_str());
    return fail("io", snapshot_ + ": cannot write intake's snapshot: " + std::strerror(errno));
  }
  return {};
}

Result<bool> Intake::load_snapshot() {
  std::ifstream in(snapshot_, std::ios::binary | std::ios::ate);
  if (!in) return false;  // none yet
  const auto file_size = static_cast<uint64_t>(std::max<std::streamoff>(in.tellg(), 0));
  in.seekg(0);
  auto ignore = [&](const std::string& why) {
    spdlog::warn("intake: ignoring the snapshot {} ({}); learning the whole log instead", snapshot_,
                 why);
    return false;
  };
  // Read piece by piece: the fact table (hundreds of MB at district scale) goes straight into
  // its own memory, never through a buffer of the whole file.
  auto read_into = [&in](std::span<char> into) {
    return static_cast<bool>(in.read(into.data(), static_cast<std::streamsize>(into.size())));
  };
  const size_t fixed = kSnapshotMagic.size() + 2 + sizeof(uint64_t);
  std::string prefix(fixed, '\0');
  if (file_size < fixed || !read_into(prefix) || !prefix.starts_with(kSnapshotMagic))
    return ignore("not an intake snapshot");
  if (static_cast<uint8_t>(prefix[4]) != kSnapshotFormat) return ignore("unknown format");
  if (static_cast<uint8_t>(prefix[5]) != little_endian())
    return ignore("written on a machine of the other byte order");
  uint64_t blob_size = 0;
  std::memcpy(&blob_size, prefix.data() + 6, sizeof blob_size);
  if (blob_size > file_size - fixed) return ignore("truncated");
  std::string blob(blob_size, '\0');
  if (!read_into(blob)) return ignore("truncated");
  SnapshotHead head;
  try {
    ViewStream s(blob);
    cereal::PortableBinaryInputArchive ar(s);
    ar(head);
  } catch (const cereal::Exception& e) {
    return ignore(std::string("corrupt: ") + e.what());
  }
  for (const auto& [p, next] : head.next) {
    if (p < 0 || p >= log_.partition_count(topics::kEvents))
      return ignore("a partition the log does not have");
    JY_TRY(int64_t end, log_.end_offset(topics::kEvents, p));
    if (next > end)
      return ignore("it covers more of partition " + std::to_string(p) + " than the log holds");
    if (next == 0) continue;
    JY_TRY(std::string id, identity_at(p, next - 1));
    const auto recorded = head.identity.find(p);
    if (recorded == head.identity.end() || recorded->second != id) {
      return ignore("partition " + std::to_string(p) +
                    " holds another fact where it recorded one: another log");
    }
  }
  IntakeIndex index;
  if (!index.seen.restore(file_size - fixed - blob_size, head.facts, read_into)) {
    return ignore("its table of facts is damaged");
  }
  index.street_by_community = {head.streets.begin(), head.streets.end()};
  index.companies = {head.companies.begin(), head.companies.end()};
  index.retracted = {head.retracted.begin(), head.retracted.end()};
  index_ = std::move(index);
  seen_ = std::move(head.next);
  return true;
}

}  // namespace jiayuan
