// BasicAuth with exporter-toolkit's test users (web/handler_test.go):
// right, wrong and unknown passwords, and the CVE-2022-46146 cache bypasses.
#include "exporter/web/basic_auth.h"

#include <doctest/doctest.h>

#include <chrono>

using namespace kpi;

namespace {

constexpr const char* kAliceHash = "$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby";    // alice123
constexpr const char* kCarolHash = "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu";    // carol123

std::string Header(const std::string& user_colon_password) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  unsigned bits = 0;
  int count = 0;
  for (const unsigned char c : user_colon_password) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  while ((out.size() - 6) % 4) out += '=';
  return out;
}

}  // namespace

TEST_CASE("basic auth: the right password passes, wrong, unknown and cache-bypass attempts fail") {
  BasicAuth auth({{"alice", kAliceHash}, {"carol", kCarolHash}});
  CHECK_FALSE(auth.Check(std::nullopt));
  CHECK_FALSE(auth.Check("Bearer x"));
  CHECK_FALSE(auth.Check(Header("alice:alice1234")));
  CHECK(auth.Check(Header("alice:alice123")));
  CHECK(auth.Check(Header("carol:carol123")));
  CHECK_FALSE(auth.Check(Header("carol:alice123")));
  CHECK_FALSE(auth.Check(Header("mallory:alice123")));  // unknown user, a password that is right for another
  // CVE-2022-46146: the user name with the hash appended, or a hash as the password.
  CHECK_FALSE(auth.Check(Header(std::string("alice") + kAliceHash + ":fakepassword")));
  CHECK_FALSE(auth.Check(Header("alice:$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSifakepassword")));
  CHECK_FALSE(auth.Check(Header(std::string("alice:") + kAliceHash)));
  CHECK_FALSE(auth.Check(Header("alice:alice123x")));
  CHECK_FALSE(auth.Check(Header("alic:ealice123")));
  // A remembered login is answered without bcrypt (cost 12 takes far longer than this).
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) CHECK(auth.Check(Header("alice:alice123")));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(50));
}

TEST_CASE("only bcrypt hashes crypt_rn can verify are accepted as user passwords") {
  CHECK(IsBcryptHash(kAliceHash));
  CHECK(IsBcryptHash("$2a$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"));
  CHECK(IsBcryptHash("$2b$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"));
  CHECK_FALSE(IsBcryptHash("doe"));
  CHECK_FALSE(IsBcryptHash("$2x$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"));
  CHECK_FALSE(IsBcryptHash("$2y$03$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"));
  CHECK_FALSE(IsBcryptHash("$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTu"));
  CHECK_FALSE(IsBcryptHash("$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTu!"));
}
