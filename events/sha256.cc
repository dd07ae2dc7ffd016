#include "events/sha256.h"

#include <openssl/evp.h>

#include <cstdint>
#include <stdexcept>

#include "events/hex.h"

namespace jiayuan {

namespace {

// The algorithm fetched once: EVP_sha256() makes OpenSSL 3 look its implementation up again at
// every EVP_DigestInit_ex, which cost more than hashing a fact.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw std::runtime_error("OpenSSL: cannot fetch SHA-256");
  return md;
}

}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  const EVP_MD* md = sha256_md();  // before the context: a throw here leaves nothing to free
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex2(impl_->ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(impl_->ctx);
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size());
}

void Sha256::update_field(std::string_view bytes) {
  uint64_t n = bytes.size();
  unsigned char len[8];
  for (int i = 7; i >= 0; --i, n >>= 8) len[i] = static_cast<unsigned char>(n & 0xff);
  EVP_DigestUpdate(impl_->ctx, len, sizeof len);
  update(bytes);
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &n);
  if (EVP_DigestInit_ex2(impl_->ctx, sha256_md(), nullptr) != 1)  // ready to hash anew
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

std::array<unsigned char, 32> sha256(std::string_view bytes) {
  std::array<unsigned char, 32> md{};
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &n, sha256_md(), nullptr) != 1 ||
      n != md.size()) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return md;
}

std::string sha256_hex(std::string_view bytes) {
  const std::array<unsigned char, 32> md = sha256(bytes);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), md.size()));
}

}  // namespace jiayuan
