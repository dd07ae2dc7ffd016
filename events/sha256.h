// SHA-256, hex-encoded, over bytes or incrementally.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace jiayuan {

std::string sha256_hex(std::string_view bytes);
// The 32 bytes of the digest (sha256_hex is their hex).
std::array<unsigned char, 32> sha256(std::string_view bytes);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  // Length-prefixed, so ("ab","c") and ("a","bc") differ.
  void update_field(std::string_view bytes);
  // The digest of everything updated so far; the hash then starts over (the object can be
  // reused for the next bytes without a new OpenSSL context).
  std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jiayuan
