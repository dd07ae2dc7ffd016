// NDJSON (one JSON value a line) read from a stream, line by line, with a bound on a line.
//
//   NdjsonReader reader(file, "demo.ndjson");
//   NdjsonLine line;
//   while (reader.next(line)) {
//     if (line.too_long) report(line.origin, line.size);   // skipped: only its first bytes kept
//     else submit(line.text, line.origin);                  // "demo.ndjson:12"
//   }
//
// Blank lines are skipped; a trailing "\r" is dropped. A line longer than `max_line` bytes is
// never held whole: its first `kKeptBytes` are kept (for the dead-letter log) and the rest is
// read past, so a 10 GB line costs no more memory than a short one. The stream is read in blocks of
// 64 KiB. Not thread-safe.
#pragma once

#include <cstdint>
#include <istream>
#include <string>

namespace jiayuan {

struct NdjsonLine {
  std::string text;    // the line (too_long: its first kKeptBytes)
  std::string origin;  // "<name>:<line number>"
  int64_t number = 0;
  bool too_long = false;
  uint64_t size = 0;  // the line's length in bytes
};

class NdjsonReader {
 public:
  static constexpr size_t kKeptBytes = 4096;
  NdjsonReader(std::istream& in, std::string name, size_t max_line = 1 << 20)
      : in_(in), name_(std::move(name)), max_line_(max_line) {}
  // The next non-blank line; false at the end of the stream.
  bool next(NdjsonLine& line);
  int64_t lines_read() const { return number_; }

 private:
  // The next block of the stream into `block_`; false at its end.
  bool fill();

  std::istream& in_;
  std::string name_;
  size_t max_line_;
  int64_t number_ = 0;
  std::string block_;  // read ahead of the line, in blocks: [at_, size) not yet taken
  size_t at_ = 0;
};

}  // namespace jiayuan
