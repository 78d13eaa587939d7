#include "exporter/web/basic_auth.h"

#include <crypt.h>

#include <memory>

namespace kpi {
namespace {

constexpr std::size_t kMaxCached = 1024;

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : in) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | unsigned(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += char((bits >> count) & 0xff);
    }
  }
  return out;
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  return result && result[0] != '*' && ConstantTimeEqual(result, hash);
}

std::string CacheKey(std::string_view user, std::string_view password) {
  return std::to_string(user.size()) + ":" + std::string(user) + std::to_string(password.size()) + ":" +
         std::string(password);
}

}  // namespace

bool IsBcryptHash(std::string_view hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (const char c : hash.substr(7)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

AuthResult BasicAuth::Check(std::optional<std::string_view> authorization) {
  if (!authorization || authorization->size() < 6) return AuthResult::kDenied;
  const std::string_view scheme = authorization->substr(0, 6);
  if (scheme != "Basic " && scheme != "basic " && scheme != "BASIC ") return AuthResult::kDenied;
  std::string_view encoded = authorization->substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  const auto decoded = Base64Decode(encoded);
  if (!decoded) return AuthResult::kDenied;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return AuthResult::kDenied;
  const std::string user = decoded->substr(0, colon);
  const std::string password = decoded->substr(colon + 1);

  const auto known = users_.find(user);
  // An unknown user is checked against a configured hash too (same cost), and always refused.
  const std::string& hash = known != users_.end() ? known->second : users_.begin()->second;
  const std::string key = CacheKey(user, password);
  if (known != users_.end()) {
    std::lock_guard lock(mu_);
    const auto cached = verified_.find(key);
    if (cached != verified_.end() && cached->second == hash) return AuthResult::kAllowed;
  }
  bool idle = false;
  if (!verifying_.compare_exchange_strong(idle, true)) return AuthResult::kBusy;
  const bool matches = BcryptMatches(password, hash);
  verifying_ = false;
  if (!matches || known == users_.end()) return AuthResult::kDenied;
  std::lock_guard lock(mu_);
  if (verified_.size() >= kMaxCached) verified_.clear();
  verified_[key] = hash;
  return AuthResult::kAllowed;
}

}  // namespace kpi
