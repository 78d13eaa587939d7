// BasicAuth: HTTP basic authentication against bcrypt hashes, as
// exporter-toolkit's basic_auth_users. Thread-safe (Check is called from
// every web worker at once).
//
// A right password is verified once with bcrypt (libxcrypt's crypt_rn) and
// then remembered, so a scrape every 15 s does not pay bcrypt's cost (tens of
// milliseconds at cost 10) each time. The cache key is the user name and
// password with explicit lengths, and an entry also records the hash it was
// verified against: unlike CVE-2022-46146 (where user name + hash + password
// were concatenated), no other user name, password or hash can match it.
// An unknown user costs one bcrypt run as well, so timing does not tell which
// user names exist.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kpi {

// Whether `hash` is a bcrypt hash crypt_rn verifies: $2a$, $2b$ or $2y$,
// a two-digit cost 04..31, '$', 53 characters of bcrypt's base64.
bool IsBcryptHash(std::string_view hash);

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);  // user -> bcrypt hash; not empty

  // Whether an Authorization header value ("Basic base64(user:password)")
  // names a configured user with the right password.
  bool Check(std::optional<std::string_view> authorization);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> verified_;  // CacheKey -> hash it matched
};

}  // namespace kpi
