// A full disk is a clear error, never a RocksDB assertion.
//
//   DiskOptions disk{.reserve_bytes = 64 << 20};
//   if (Status s = check_free_space("data/engine", disk); !s) return s;  // disk_full: what to do
//
// RocksDB (Debian's build keeps its assertions) aborts the process when a WAL write fails for
// want of space and the file is written again. So jiayuan never lets it get there: every
// RocksDB it opens for writing refuses a write (and an open) while the filesystem holding it has
// less than `reserve_bytes` free, with an error naming the directory and what to do; once space
// returns the next write goes through. Read-only opens need no space. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "events/result.h"

namespace jiayuan {

struct DiskOptions {
  bool read_only = false;             // open for reading only: no lock, no writes, no space needed
  uint64_t reserve_bytes = 64 << 20;  // keep this much free on the data directory's filesystem
};

// Bytes free to an unprivileged writer on the filesystem holding `path` (or its nearest
// existing parent).
Result<uint64_t> free_bytes(const std::string& path);

// OK with at least `disk.reserve_bytes` free at `path`; else code "disk_full".
Status check_free_space(const std::string& path, const DiskOptions& disk);

// The disk_full error for `path` with `free` bytes left.
Error disk_full_error(const std::string& path, uint64_t free, const DiskOptions& disk);

}  // namespace jiayuan
