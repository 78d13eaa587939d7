#include "collectors/github/app_auth.h"

#include <jwt.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <memory>

#include "collectors/common/text.h"
#include "collectors/github/parse.h"

namespace kpi::github {
namespace {

using namespace std::chrono_literals;

int64_t UnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// GitHub's tokens live an hour; renewing in the last five minutes leaves room
// for a long poll and clock drift. A token issued for less (an Enterprise
// Server policy, a test server) is renewed after half its life instead, not
// before every request.
bool NeedsRenewal(SystemTime expires_at, SystemTime::duration lifetime, SystemTime now) {
  const SystemTime::duration margin = std::min<SystemTime::duration>(5min, lifetime / 2);
  return expires_at - now < margin;
}

// The error of a failed App request, saying which step failed; `what` never holds a secret.
Error AppError(Error error, std::string_view what) {
  error.message = "GitHub App " + std::string(what) + ": " + error.message;
  return error;
}

}  // namespace

AppJwtClaims AppClaims(int64_t app_id, SystemTime now) {
  // GitHub: iat 60 s in the past against clock drift; exp at most 10 minutes
  // ahead, so 9 leaves a minute for a clock that runs fast.
  return AppJwtClaims{UnixSeconds(now) - 60, UnixSeconds(now) + 9 * 60, app_id};
}

JwtSigner Rs256Signer(std::string private_key_pem) {
  return [pem = std::move(private_key_pem)](const AppJwtClaims& claims) -> tl::expected<std::string, Error> {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) return tl::unexpected(Error{"internal", "cannot create a JWT"});
    const std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
    const bool built = jwt_add_grant_int(jwt.get(), "iat", claims.issued_at) == 0 &&
                       jwt_add_grant_int(jwt.get(), "exp", claims.expires_at) == 0 &&
                       jwt_add_grant_int(jwt.get(), "iss", claims.issuer) == 0 &&
                       jwt_set_alg(jwt.get(), JWT_ALG_RS256, reinterpret_cast<const unsigned char*>(pem.data()),
                                   int(pem.size())) == 0;
    // libjwt 1.10 has no jwt_free_str: the string is malloc'ed.
    const std::unique_ptr<char, decltype(&std::free)> encoded(built ? jwt_encode_str(jwt.get()) : nullptr, &std::free);
    if (!encoded) {
      // libjwt refuses a key that is not an RSA private key only when signing.
      return tl::unexpected(
          Error{"internal", "the private key cannot sign an RS256 JWT (not an RSA private key in PEM form)"});
    }
    return std::string(encoded.get());
  };
}

std::optional<AppCredentials> ReadAppCredentials(SectionReader& reader, bool token_set) {
  constexpr int64_t kMaxId = std::numeric_limits<int64_t>::max();
  const auto app_id = reader.Integer("app_id", 1, kMaxId);
  const auto installation_id = reader.Integer("installation_id", 1, kMaxId);
  const auto key_path = reader.String("private_key_file");  // only to name the file in an error
  const auto key = reader.Secret("private_key");
  const std::string key_name = key_path ? "private_key_file" : "private_key";
  if (!reader.ok()) return std::nullopt;
  if (!app_id) {
    if (key) reader.Fail(key_name, "'" + key_name + "' in [github] needs 'app_id'");
    if (installation_id) reader.Fail("installation_id", "'installation_id' in [github] needs 'app_id'");
    return std::nullopt;
  }
  if (token_set) {
    reader.Fail("app_id", "set either 'token' or 'app_id' in [github], not both");
    return std::nullopt;
  }
  if (!key) {
    reader.Fail("app_id", "'app_id' in [github] needs 'private_key_file' (the GitHub App's private key)");
    return std::nullopt;
  }
  AppCredentials app{*app_id, installation_id, Rs256Signer(*key)};
  // Signed once now, so a wrong key is a config error rather than a failed poll.
  if (!app.signer(AppClaims(*app_id, SystemTime{}))) {
    reader.Fail(key_name, "'" + key_name + "' in [github]" + (key_path ? " (" + *key_path + ")" : "") +
                              " does not hold an RSA private key in PEM form");
    return std::nullopt;
  }
  return app;
}

namespace {
std::atomic<uint64_t> next_instance{1};
}  // namespace

AppAuth::AppAuth(AppCredentials credentials, std::string api_url)
    : instance_(next_instance++), credentials_(std::move(credentials)), api_url_(std::move(api_url)) {}

AppAuth::ThreadTarget& AppAuth::CurrentTarget() {
  static thread_local std::map<uint64_t, ThreadTarget> targets;
  return targets[instance_];
}

void AppAuth::UseInstallationOf(std::string_view target) {
  const auto slash = target.find('/');
  const std::string_view owner = target.substr(0, slash);
  ThreadTarget& current = CurrentTarget();
  current.account = AsciiLower(owner);
  current.lookup_path = slash == std::string_view::npos
                            ? "/orgs/" + UrlEncode(owner) + "/installation"
                            : "/repos/" + UrlEncode(owner) + "/" + UrlEncode(target.substr(slash + 1)) + "/installation";
}

tl::expected<std::string, Error> AppAuth::SignedJwt(SystemTime now) const {
  auto jwt = credentials_.signer(AppClaims(credentials_.app_id, now));
  if (!jwt) return tl::unexpected(AppError(jwt.error(), "JWT"));
  return "Bearer " + *jwt;
}

tl::expected<int64_t, Error> AppAuth::InstallationId(HttpClient& http, SystemTime now, const ThreadTarget& target) {
  if (credentials_.installation_id) return *credentials_.installation_id;
  if (const auto known = installations_.find(target.account); known != installations_.end()) return known->second;
  if (target.lookup_path.empty()) {
    return tl::unexpected(Error{"internal", "GitHub App: no account to look the installation up for"});
  }
  auto id = SignedJwt(now)
                .and_then([&](const std::string& jwt) { return http.RequestOkWith(api_url_ + target.lookup_path, jwt); })
                .and_then([](const HttpResponse& r) { return ParseInstallationId(r.body); });
  if (!id) return tl::unexpected(AppError(id.error(), "installation for " + target.account));
  installations_[target.account] = *id;
  return id;
}

tl::expected<std::string, Error> AppAuth::Authorization(HttpClient& http) {
  const SystemTime now = http.clock().Now();
  ThreadTarget& target = CurrentTarget();
  std::lock_guard lock(mu_);  // one renewal at a time; the others wait for its token
  auto id = InstallationId(http, now, target);
  if (!id) return tl::unexpected(id.error());
  target.last_installation = *id;
  if (const auto known = tokens_.find(*id);
      known != tokens_.end() && !NeedsRenewal(known->second.expires_at, known->second.lifetime, now)) {
    target.last_token = known->second.value;
    return "Bearer " + known->second.value;
  }
  const std::string url = api_url_ + "/app/installations/" + std::to_string(*id) + "/access_tokens";
  auto token = SignedJwt(now)
                   .and_then([&](const std::string& jwt) { return http.RequestOkWith(url, jwt, "{}"); })
                   .and_then([](const HttpResponse& r) { return ParseInstallationToken(r.body); });
  if (!token) {
    // The App was uninstalled (and maybe installed again, with a new id): look it up afresh next time.
    if (token.error().reason == "not_found") {
      std::erase_if(installations_, [&](const auto& entry) { return entry.second == *id; });
    }
    return tl::unexpected(AppError(token.error(), "installation token"));
  }
  tokens_[*id] = Token{token->token, token->expires_at, token->expires_at - now};
  target.last_token = token->token;
  return "Bearer " + token->token;
}

void AppAuth::Invalidate() {
  const ThreadTarget& target = CurrentTarget();
  std::lock_guard lock(mu_);
  if (!target.last_installation) return;
  // Only the token this thread was refused: requests in flight when a token
  // was revoked all get a 401, and the first renewal serves them all.
  const auto known = tokens_.find(*target.last_installation);
  if (known != tokens_.end() && known->second.value == target.last_token) tokens_.erase(known);
}

}  // namespace kpi::github
