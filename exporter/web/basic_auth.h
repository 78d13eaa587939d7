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
//
// One bcrypt run at a time: a login that is not remembered while another is
// being verified is answered kBusy at once instead of taking a web worker for
// bcrypt's time. A flood of wrong passwords then costs one core, and health
// probes and remembered logins are still answered at once (README "Protected
// endpoints" has the measurement).
#pragma once

#include <atomic>
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

enum class AuthResult {
  kAllowed,  // a configured user with the right password
  kDenied,   // no, malformed or wrong credentials
  kBusy,     // not remembered, and another login is being verified: try again shortly
};

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);  // user -> bcrypt hash; not empty

  // Checks an Authorization header value ("Basic base64(user:password)").
  AuthResult Check(std::optional<std::string_view> authorization);

  // Whether a bcrypt run is in progress (for tests).
  bool verifying() const { return verifying_; }

 private:
  std::map<std::string, std::string> users_;
  std::atomic<bool> verifying_{false};
  std::mutex mu_;
  std::unordered_map<std::string, std::string> verified_;  // CacheKey -> hash it matched
};

}  // namespace kpi
