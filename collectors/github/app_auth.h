// GitHub App installation auth (README "GitHub App"). Signs a short-lived app
// JWT (RS256), finds the installation of the account being polled (or uses
// the configured one), and trades the JWT for an installation token, which it
// renews before it runs out and once more when the API answers 401.
//
// The key and the tokens stay in memory here; no error or log line carries
// them. Thread-safety: a poll's threads (repositories polled side by side)
// share one AppAuth; each thread says whose installation its own requests
// are for, and tokens are renewed under a lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"
#include "collectors/common/section_reader.h"
#include "collectors/common/upstream/http_client.h"

namespace kpi::github {

// The claims GitHub reads from an app JWT, in Unix seconds.
struct AppJwtClaims {
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  int64_t issuer = 0;  // the app id
};

// The claims for a JWT made at `now` (see the .cc for the margins).
AppJwtClaims AppClaims(int64_t app_id, SystemTime now);

// Signs claims into a compact JWT; the seam unit tests replace to read the claims.
using JwtSigner = std::function<tl::expected<std::string, Error>(const AppJwtClaims&)>;

// RS256 with an RSA private key in PEM form (PKCS#1 or PKCS#8), through libjwt.
JwtSigner Rs256Signer(std::string private_key_pem);

struct AppCredentials {
  int64_t app_id = 0;
  std::optional<int64_t> installation_id;  // unset: looked up per account
  JwtSigner signer;
};

// Reads app_id, private_key / private_key_file and installation_id from
// [github]. Unset when no App is configured or the reader recorded an error
// (App and `token` together, a key that cannot sign, ...).
std::optional<AppCredentials> ReadAppCredentials(SectionReader& reader, bool token_set);

class AppAuth final : public AuthorizationProvider {
 public:
  AppAuth(AppCredentials credentials, std::string api_url);

  // The installation whose token the calling thread's next requests carry:
  // that of the account owning `target`, a repository ("owner/name") or an
  // organisation ("org").
  // The collector says whose data it reads because the API's own pagination
  // links (/repositories/{id}/...) do not name the owner.
  void UseInstallationOf(std::string_view target);

  tl::expected<std::string, Error> Authorization(HttpClient& http) override;
  void Invalidate() override;

 private:
  struct Token {
    std::string value;
    SystemTime expires_at;
    SystemTime::duration lifetime;  // as issued, for the renewal margin
  };

  // What one thread's requests are for.
  struct ThreadTarget {
    std::string account;      // lower case: GitHub logins ignore case
    std::string lookup_path;  // "/orgs/{org}/installation" or "/repos/{owner}/{name}/installation"
    std::optional<int64_t> last_installation;  // whose token Authorization() returned last
    std::string last_token;                    // and which one
  };
  // The calling thread's target (thread-local, so it goes with the thread).
  ThreadTarget& CurrentTarget();

  tl::expected<int64_t, Error> InstallationId(HttpClient& http, SystemTime now, const ThreadTarget& target);
  tl::expected<std::string, Error> SignedJwt(SystemTime now) const;  // "Bearer <jwt>"

  const uint64_t instance_;  // tells this AppAuth's thread-local targets from another's
  AppCredentials credentials_;
  std::string api_url_;
  std::mutex mu_;  // guards the maps below; held while a token is renewed
  std::map<std::string, int64_t> installations_;  // by account
  std::map<int64_t, Token> tokens_;               // by installation id
};

}  // namespace kpi::github
