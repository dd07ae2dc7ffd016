#include "projections/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace jiayuan {
namespace {

std::string megabytes(uint64_t bytes) {
  const uint64_t tenths = bytes * 10 / (1 << 20);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MB";
}

}  // namespace

Result<uint64_t> free_bytes(const std::string& path) {
  std::filesystem::path p = path;
  std::error_code ec;
  while (!p.empty() && !std::filesystem::exists(p, ec)) p = p.parent_path();
  if (p.empty()) p = ".";
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0) {
    return fail("io",
                p.string() + ": cannot read the filesystem's free space: " + std::strerror(errno));
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

Error disk_full_error(const std::string& path, uint64_t free, const DiskOptions& disk) {
  return Error{"disk_full",
               path + ": the disk holding the data directory is full (" + megabytes(free) +
                   " free; jiayuan keeps " + megabytes(disk.reserve_bytes) +
                   " in reserve so that RocksDB can always finish a write): free space there "
                   "(or move the data directory to a larger disk) and retry; nothing acknowledged "
                   "was lost"};
}

Status check_free_space(const std::string& path, const DiskOptions& disk) {
  if (disk.read_only || disk.reserve_bytes == 0) return {};
  JY_TRY(uint64_t free, free_bytes(path));
  if (free < disk.reserve_bytes) return fail(disk_full_error(path, free, disk));
  return {};
}

}  // namespace jiayuan
