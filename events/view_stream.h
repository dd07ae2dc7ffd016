// An std::istream over bytes it does not own, for cereal to read stored forms without first
// copying them into an istringstream.
//
//   ViewStream in(bytes);                         // bytes must outlive `in`
//   cereal::PortableBinaryInputArchive ar(in);
#pragma once

#include <istream>
#include <streambuf>
#include <string_view>

namespace jiayuan {

class ViewStream : public std::istream {
 public:
  explicit ViewStream(std::string_view bytes) : std::istream(nullptr), buf_(bytes) { rdbuf(&buf_); }

 private:
  class Buf : public std::streambuf {
   public:
    explicit Buf(std::string_view b) {
      // The get area only reads; std::streambuf's interface takes char*.
      char* p = const_cast<char*>(b.data());
      setg(p, p, p + b.size());
    }
  };
  Buf buf_;
};

}  // namespace jiayuan
