// BasicAuth with exporter-toolkit's test users (web/handler_test.go):
// right, wrong and unknown passwords, and the CVE-2022-46146 cache bypasses.
#include "exporter/web/basic_auth.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

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
  CHECK(auth.Check(std::nullopt) == AuthResult::kDenied);
  CHECK(auth.Check("Bearer x") == AuthResult::kDenied);
  CHECK(auth.Check(Header("alice:alice1234")) == AuthResult::kDenied);
  CHECK(auth.Check(Header("alice:alice123")) == AuthResult::kAllowed);
  CHECK(auth.Check(Header("carol:carol123")) == AuthResult::kAllowed);
  CHECK(auth.Check(Header("carol:alice123")) == AuthResult::kDenied);
  CHECK(auth.Check(Header("mallory:alice123")) == AuthResult::kDenied);  // unknown user, another's password
  // CVE-2022-46146: the user name with the hash appended, or a hash as the password.
  CHECK(auth.Check(Header(std::string("alice") + kAliceHash + ":fakepassword")) == AuthResult::kDenied);
  CHECK(auth.Check(Header("alice:$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSifakepassword")) ==
        AuthResult::kDenied);
  CHECK(auth.Check(Header(std::string("alice:") + kAliceHash)) == AuthResult::kDenied);
  CHECK(auth.Check(Header("alice:alice123x")) == AuthResult::kDenied);
  CHECK(auth.Check(Header("alic:ealice123")) == AuthResult::kDenied);
  // A remembered login is answered without bcrypt (cost 12 takes far longer than this).
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) CHECK(auth.Check(Header("alice:alice123")) == AuthResult::kAllowed);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(50));
}

// A flood of wrong passwords must not take every web worker for bcrypt's time.
TEST_CASE("while one login is being verified, other new logins are busy at once and remembered ones pass") {
  BasicAuth auth({{"alice", kAliceHash}, {"carol", kCarolHash}});
  REQUIRE(auth.Check(Header("carol:carol123")) == AuthResult::kAllowed);  // remembered from now on
  std::thread wrong([&] { CHECK(auth.Check(Header("alice:wrong")) == AuthResult::kDenied); });  // cost 12: a while
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!auth.verifying() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(auth.verifying());
  CHECK(auth.Check(Header("alice:alice123")) == AuthResult::kBusy);  // right, but not remembered yet
  CHECK(auth.Check(Header("mallory:x")) == AuthResult::kBusy);       // unknown users alike
  CHECK(auth.Check(Header("carol:carol123")) == AuthResult::kAllowed);
  CHECK(auth.Check(std::nullopt) == AuthResult::kDenied);
  wrong.join();
  CHECK(auth.Check(Header("alice:alice123")) == AuthResult::kAllowed);
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
