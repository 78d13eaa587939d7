// Throwaway keys made at test time with OpenSSL, so no key material is
// checked in: an RSA pair for signing and verifying app JWTs, and an EC key
// for "not an RSA key".
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

namespace kpi::testing {

struct PemKeyPair {
  std::string private_pem;
  std::string public_pem;
};

namespace detail {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

template <typename Write>
std::string Pem(Write write) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || write(bio.get()) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(size));
}

inline PemKeyPair PemsOf(EVP_PKEY* raw) {
  const Key key(raw, &EVP_PKEY_free);
  if (!key) return {};
  return {Pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); }),
          Pem([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); })};
}

}  // namespace detail

inline PemKeyPair GenerateRsaKeyPair() { return detail::PemsOf(EVP_RSA_gen(2048)); }

inline PemKeyPair GenerateEcKeyPair() { return detail::PemsOf(EVP_EC_gen("P-256")); }

}  // namespace kpi::testing
