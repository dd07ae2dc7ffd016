// An std::istream over bytes it does not own, for cereal to read stored forms without first
// copying them into an istringstream.
//
//   ViewStream in(bytes);                         // bytes must outlive `in`
//   cereal::PortableBinaryInputArchive ar(in);
//
// Constructing an std::istream (its locale and facets) costs about as much as reading a small
// stored form, so a reader of many keeps one stream and points it at each form in turn:
//
//   thread_local ViewStream in;
//   in.view(bytes);                               // cleared, reading bytes from the start
#pragma once

#include <istream>
#include <streambuf>
#include <string_view>

namespace jiayuan {

class ViewStream : public std::istream {
 public:
  ViewStream() : std::istream(nullptr) { rdbuf(&buf_); }
  explicit ViewStream(std::string_view bytes) : ViewStream() { view(bytes); }
  ViewStream(const ViewStream&) = delete;
  ViewStream& operator=(const ViewStream&) = delete;

  // Reads `bytes` from their start, with the stream's state cleared (a read that failed before
  // leaves nothing behind).
  void view(std::string_view bytes) {
    buf_.view(bytes);
    clear();
  }

 private:
  class Buf : public std::streambuf {
   public:
    void view(std::string_view b) {
      // The get area only reads; std::streambuf's interface takes char*.
      char* p = const_cast<char*>(b.data());
      setg(p, p, p + b.size());
    }
  };
  Buf buf_;
};

}  // namespace jiayuan
