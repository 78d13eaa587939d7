// GitHub App auth: the JWT's claims and signature, the installation lookup,
// token renewal by time and on a 401, and the config keys. The end-to-end
// proof against a server that verifies the signature is
// tests/integration/test_github_app.py.
#include "collectors/github/app_auth.h"

#include <doctest/doctest.h>
#include <jwt.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "collectors/all.h"
#include "collectors/common/time_util.h"
#include "collectors/github/collector.h"
#include "exporter/config.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/support/test_keys.h"

using namespace kpi;
using namespace kpi::github;
using namespace kpi::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApi = "https://api.test";

std::string AuthorizationOf(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name == "Authorization") return value;
  }
  return "";
}

std::string TokenJson(const std::string& token, SystemTime expires_at) {
  return R"({"token":")" + token + R"(","expires_at":")" + FormatTimestamp(expires_at) + R"("})";
}

// An App whose JWTs are "jwt-<iat>", each signing recorded, behind an
// HttpClient over the in-memory transport.
struct AppWorld {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  std::shared_ptr<std::vector<AppJwtClaims>> signed_claims = std::make_shared<std::vector<AppJwtClaims>>();
  std::shared_ptr<AppAuth> auth;
  std::unique_ptr<HttpClient> http;

  explicit AppWorld(std::optional<int64_t> installation_id = std::nullopt) {
    JwtSigner signer = [claims = signed_claims](const AppJwtClaims& c) -> tl::expected<std::string, Error> {
      claims->push_back(c);
      return "jwt-" + std::to_string(c.issued_at);
    };
    auth = std::make_shared<AppAuth>(AppCredentials{42, installation_id, signer}, kApi);
    auth->UseInstallationOf("o/r");
    HttpClientOptions options;
    options.api_url = kApi;
    options.authorization_provider = auth;
    http = std::make_unique<HttpClient>(std::make_unique<FakeTransport>(state), clock, options);
  }

  void Answer(const std::string& path, std::vector<HttpResponse> answers) {
    FakeExchange exchange;
    for (auto& answer : answers) exchange.answers.emplace_back(std::move(answer));
    state->routes[kApi + path] = std::move(exchange);
  }

  // Every request to `path`, by the Authorization it carried.
  std::vector<std::string> AuthorizationsTo(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& request : state->requests) {
      if (request.url == kApi + path) out.push_back(AuthorizationOf(request));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("app JWT claims: issued a minute back, expiring within ten minutes, issued by the app") {
  const SystemTime now = *ParseTimestamp("2026-11-01T12:00:00Z");
  const AppJwtClaims claims = AppClaims(42, now);
  const int64_t unix_now = int64_t(ToUnixSeconds(now));
  CHECK(claims.issued_at == unix_now - 60);
  CHECK(claims.expires_at > unix_now);
  CHECK(claims.expires_at <= unix_now + 600);
  CHECK(claims.issuer == 42);
}

TEST_CASE("an RS256 app JWT verifies with the public key and carries the claims") {
  const PemKeyPair key = GenerateRsaKeyPair();
  REQUIRE_FALSE(key.private_pem.empty());
  const auto token = Rs256Signer(key.private_pem)(AppJwtClaims{1000, 1540, 42});
  REQUIRE(token);

  jwt_t* raw = nullptr;
  REQUIRE(jwt_decode(&raw, token->c_str(), reinterpret_cast<const unsigned char*>(key.public_pem.data()),
                     int(key.public_pem.size())) == 0);
  const std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
  CHECK(jwt_get_alg(jwt.get()) == JWT_ALG_RS256);
  CHECK(jwt_get_grant_int(jwt.get(), "iat") == 1000);
  CHECK(jwt_get_grant_int(jwt.get(), "exp") == 1540);
  CHECK(jwt_get_grant_int(jwt.get(), "iss") == 42);

  const PemKeyPair other = GenerateRsaKeyPair();
  jwt_t* forged = nullptr;
  CHECK(jwt_decode(&forged, token->c_str(), reinterpret_cast<const unsigned char*>(other.public_pem.data()),
                   int(other.public_pem.size())) != 0);
  jwt_free(forged);
}

TEST_CASE("a key that is not an RSA private key cannot sign, and the error does not quote it") {
  const PemKeyPair ec = GenerateEcKeyPair();
  const PemKeyPair rsa = GenerateRsaKeyPair();
  for (const std::string& pem : {ec.private_pem, rsa.public_pem, std::string("not a key")}) {
    const auto token = Rs256Signer(pem)(AppJwtClaims{1, 2, 3});
    REQUIRE_FALSE(token);
    CHECK(token.error().message.find(pem) == std::string::npos);
  }
}

TEST_CASE("the installation is looked up with the app JWT and its token sent as a bearer token") {
  AppWorld world;
  const SystemTime now = world.clock.Now();
  world.Answer("/repos/o/r/installation", {Json(R"({"id":7,"account":{"login":"o"}})")});
  world.Answer("/app/installations/7/access_tokens", {Json(TokenJson("ghs_one", now + 1h), {}, 201)});
  world.Answer("/repos/o/r", {Json("{}")});

  REQUIRE(world.http->GetOk(std::string(kApi) + "/repos/o/r"));
  REQUIRE(world.http->GetOk(std::string(kApi) + "/repos/o/r"));

  const std::string jwt = "Bearer jwt-" + std::to_string(int64_t(ToUnixSeconds(now)) - 60);
  CHECK(world.AuthorizationsTo("/repos/o/r/installation") == std::vector<std::string>{jwt});
  CHECK(world.AuthorizationsTo("/app/installations/7/access_tokens") == std::vector<std::string>{jwt});
  CHECK(world.AuthorizationsTo("/repos/o/r") == std::vector<std::string>{"Bearer ghs_one", "Bearer ghs_one"});
  const auto& requests = world.state->requests;
  const auto exchange = std::find_if(requests.begin(), requests.end(), [](const HttpRequest& r) {
    return r.url.ends_with("/access_tokens");
  });
  REQUIRE(exchange != requests.end());
  CHECK(exchange->body.has_value());  // a POST
  REQUIRE(world.signed_claims->size() == 2);
  CHECK(world.signed_claims->front().issuer == 42);
}

TEST_CASE("a token is reused until five minutes before it expires, then renewed") {
  AppWorld world(7);
  const SystemTime start = world.clock.Now();
  world.Answer("/app/installations/7/access_tokens",
               {Json(TokenJson("ghs_one", start + 1h)), Json(TokenJson("ghs_two", start + 2h))});
  world.Answer("/x", {Json("{}")});

  for (const auto advance : {0min, 30min, 24min, 2min}) {  // at 0, 30, 54 and 56 minutes
    world.clock.Advance(advance);
    REQUIRE(world.http->GetOk(std::string(kApi) + "/x"));
  }
  CHECK(world.AuthorizationsTo("/x") ==
        std::vector<std::string>{"Bearer ghs_one", "Bearer ghs_one", "Bearer ghs_one", "Bearer ghs_two"});
  CHECK(world.AuthorizationsTo("/app/installations/7/access_tokens").size() == 2);
  CHECK(world.AuthorizationsTo("/repos/o/r/installation").empty());  // a configured installation is not looked up
}

TEST_CASE("a token issued for seconds is renewed after half its life, not before every request") {
  AppWorld world(7);
  const SystemTime start = world.clock.Now();
  world.Answer("/app/installations/7/access_tokens",
               {Json(TokenJson("ghs_short", start + 10s)), Json(TokenJson("ghs_next", start + 20s))});
  world.Answer("/x", {Json("{}")});
  for (const auto advance : {0s, 4s, 2s}) {  // at 0 and 4 s the first token, at 6 s the next
    world.clock.Advance(advance);
    REQUIRE(world.http->GetOk(std::string(kApi) + "/x"));
  }
  CHECK(world.AuthorizationsTo("/x") == std::vector<std::string>{"Bearer ghs_short", "Bearer ghs_short", "Bearer ghs_next"});
}

TEST_CASE("a 401 renews the token once and repeats the request") {
  AppWorld world(7);
  const SystemTime start = world.clock.Now();
  world.Answer("/app/installations/7/access_tokens",
               {Json(TokenJson("ghs_revoked", start + 1h)), Json(TokenJson("ghs_fresh", start + 1h))});
  world.Answer("/x", {Json(R"({"message":"Bad credentials"})", {}, 401), Json("{}")});

  auto response = world.http->GetOk(std::string(kApi) + "/x");
  REQUIRE(response);
  CHECK(world.AuthorizationsTo("/x") == std::vector<std::string>{"Bearer ghs_revoked", "Bearer ghs_fresh"});
  REQUIRE(world.http->GetOk(std::string(kApi) + "/x"));
  CHECK(world.AuthorizationsTo("/x").back() == "Bearer ghs_fresh");
  CHECK(world.AuthorizationsTo("/app/installations/7/access_tokens").size() == 2);
}

TEST_CASE("a second 401 is reported as unauthorized without a third try") {
  AppWorld world(7);
  world.Answer("/app/installations/7/access_tokens", {Json(TokenJson("ghs_token", world.clock.Now() + 1h))});
  world.Answer("/x", {Json(R"({"message":"Bad credentials"})", {}, 401)});
  auto response = world.http->GetOk(std::string(kApi) + "/x");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "unauthorized");
  CHECK(world.AuthorizationsTo("/x").size() == 2);
  CHECK(world.AuthorizationsTo("/app/installations/7/access_tokens").size() == 2);
}

TEST_CASE("each account's installation is looked up once, organisations under /orgs") {
  AppWorld world;
  const SystemTime start = world.clock.Now();
  world.Answer("/orgs/acme/installation", {Json(R"({"id":1})")});
  world.Answer("/repos/Other/x/installation", {Json(R"({"id":2})")});
  world.Answer("/app/installations/1/access_tokens", {Json(TokenJson("ghs_acme", start + 1h))});
  world.Answer("/app/installations/2/access_tokens", {Json(TokenJson("ghs_other", start + 1h))});
  const auto get = [&](std::string_view target, const std::string& path) {
    world.auth->UseInstallationOf(target);
    REQUIRE(world.http->Get(std::string(kApi) + path));
  };
  get("acme", "/orgs/acme/repos");
  get("ACME/widgets", "/repos/acme/widgets");
  get("Other/x", "/repos/Other/x");
  get("acme/gadgets", "/repositories/99/issues?page=2");  // a pagination link names no owner

  CHECK(world.AuthorizationsTo("/orgs/acme/installation").size() == 1);
  CHECK(world.AuthorizationsTo("/repos/Other/x/installation").size() == 1);
  CHECK(world.AuthorizationsTo("/orgs/acme/repos") == std::vector<std::string>{"Bearer ghs_acme"});
  CHECK(world.AuthorizationsTo("/repos/acme/widgets") == std::vector<std::string>{"Bearer ghs_acme"});
  CHECK(world.AuthorizationsTo("/repos/Other/x") == std::vector<std::string>{"Bearer ghs_other"});
  CHECK(world.AuthorizationsTo("/repositories/99/issues?page=2") == std::vector<std::string>{"Bearer ghs_acme"});
}

TEST_CASE("an App not installed on the account fails the request, naming the account") {
  AppWorld world;
  world.Answer("/repos/o/r/installation", {Json(R"({"message":"Not Found"})", {}, 404)});
  auto response = world.http->GetOk(std::string(kApi) + "/repos/o/r");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "not_found");
  CHECK(response.error().message.starts_with("GitHub App installation for o: "));
  CHECK(response.error().message.find("jwt-") == std::string::npos);
  CHECK(world.AuthorizationsTo("/repos/o/r").empty());
}

TEST_CASE("an App installed again under a new id is looked up afresh") {
  AppWorld world;
  const SystemTime start = world.clock.Now();
  world.Answer("/repos/o/r/installation", {Json(R"({"id":1})"), Json(R"({"id":2})")});
  world.Answer("/app/installations/1/access_tokens",
               {Json(TokenJson("ghs_old", start + 10min)), Json(R"({"message":"Not Found"})", {}, 404)});
  world.Answer("/app/installations/2/access_tokens", {Json(TokenJson("ghs_new", start + 1h))});
  world.Answer("/x", {Json("{}")});
  REQUIRE(world.http->GetOk(std::string(kApi) + "/x"));
  world.clock.Advance(6min);  // due for renewal, and installation 1 is gone
  auto gone = world.http->GetOk(std::string(kApi) + "/x");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().reason == "not_found");
  CHECK(gone.error().message.starts_with("GitHub App installation token: "));
  REQUIRE(world.http->GetOk(std::string(kApi) + "/x"));
  CHECK(world.AuthorizationsTo("/x") == std::vector<std::string>{"Bearer ghs_old", "Bearer ghs_new"});
  CHECK(world.AuthorizationsTo("/repos/o/r/installation").size() == 2);
}

TEST_CASE("App credentials never leave the API origin, also across a redirect") {
  AppWorld world(7);
  world.Answer("/app/installations/7/access_tokens", {Json(TokenJson("ghs_token", world.clock.Now() + 1h))});
  world.Answer("/away", {Json("", {{"location", "https://elsewhere.test/file"}}, 302)});
  world.state->routes["https://elsewhere.test/file"] = FakeExchange{{Json("{}")}, 0};
  REQUIRE(world.http->Get("https://elsewhere.test/file"));
  REQUIRE(world.http->RequestOkWith("https://elsewhere.test/file", "Bearer jwt-x"));
  CHECK(world.signed_claims->empty());  // not even asked for a token
  REQUIRE(world.http->GetOk(std::string(kApi) + "/away"));
  CHECK(world.AuthorizationsTo("/away") == std::vector<std::string>{"Bearer ghs_token"});
  for (const auto& request : world.state->requests) {
    if (request.url.starts_with("https://elsewhere.test")) CHECK(AuthorizationOf(request).empty());
  }
}

TEST_CASE("the GitHub collector asks for the installation of each repository it polls") {
  GithubConfig config;
  config.settings.api_url = kApi;
  config.repos = {"o/r"};
  config.app = AppCredentials{42, std::nullopt, [](const AppJwtClaims&) -> tl::expected<std::string, Error> {
                                return std::string("jwt");
                              }};
  GithubCollector collector(std::move(config));
  FakeClock clock;
  auto state = std::make_shared<FakeTransport::State>();
  state->routes[std::string(kApi) + "/repos/o/r/installation"] = FakeExchange{{Json(R"({"id":5})")}, 0};
  state->routes[std::string(kApi) + "/app/installations/5/access_tokens"] =
      FakeExchange{{Json(TokenJson("ghs_poll", clock.Now() + 1h))}, 0};
  HttpClient http(std::make_unique<FakeTransport>(state), clock, collector.http_options());
  RecordingLog log;
  PollContext context{clock, log, {}, {}, {}};
  (void)collector.Poll(http, context);  // the fake answers 404 to the data; only the credentials matter here
  REQUIRE(state->requests.size() > 3);
  for (const auto& request : state->requests) {
    CAPTURE(request.url);
    const bool app_call = request.url.ends_with("/installation") || request.url.ends_with("/access_tokens");
    CHECK(AuthorizationOf(request) == (app_call ? "Bearer jwt" : "Bearer ghs_poll"));
  }
}

namespace {

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::string ConfigErrorOf(const std::string& text) {
  auto config = ParseConfig(text, "kpi.toml", AllCollectorFactories(), NoEnv());
  REQUIRE_FALSE(config);
  return config.error().ToString();
}

// A file in the temp directory, removed with the object.
struct TempFile {
  std::filesystem::path path;
  TempFile(const std::string& name, const std::string& contents)
      : path(std::filesystem::temp_directory_path() / ("kpi_app_auth_" + name)) {
    std::ofstream(path) << contents;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("an App config loads: no static token, the key is a secret") {
  const PemKeyPair key = GenerateRsaKeyPair();
  const TempFile pem("ok.pem", key.private_pem);
  auto config = ParseConfig("[github]\nrepos = [\"a/b\"]\napp_id = 42\ninstallation_id = 7\nprivate_key_file = \"" +
                                pem.path.string() + "\"\n",
                            "kpi.toml", AllCollectorFactories(), NoEnv());
  REQUIRE(config);
  const HttpClientOptions options = config->collectors[0]->http_options();
  CHECK(options.authorization.empty());
  CHECK(options.authorization_provider != nullptr);
  REQUIRE(config->secrets.size() == 1);
  CHECK(config->secrets[0].find("PRIVATE KEY") != std::string::npos);
}

TEST_CASE("App config errors name the key, the file, and never the key's contents") {
  const PemKeyPair ec = GenerateEcKeyPair();
  const TempFile ec_file("ec.pem", ec.private_pem);
  const std::string repos = "[github]\nrepos = [\"a/b\"]\n";
  CHECK(ConfigErrorOf(repos + "token = \"t0ken\"\napp_id = 42\nprivate_key_file = \"" + ec_file.path.string() + "\"\n") ==
        "kpi.toml:4:10: set either 'token' or 'app_id' in [github], not both");
  CHECK(ConfigErrorOf(repos + "app_id = 42\n") ==
        "kpi.toml:3:10: 'app_id' in [github] needs 'private_key_file' (the GitHub App's private key)");
  CHECK(ConfigErrorOf(repos + "app_id = 0\n") == "kpi.toml:3:10: 'app_id' in [github] must be an integer from 1 to " +
                                                    std::to_string(INT64_MAX));
  CHECK(ConfigErrorOf(repos + "app_id = \"42\"\n").starts_with("kpi.toml:3:10: 'app_id' in [github] must be an integer"));
  CHECK(ConfigErrorOf(repos + "installation_id = 7\n") == "kpi.toml:3:19: 'installation_id' in [github] needs 'app_id'");
  CHECK(ConfigErrorOf(repos + "app_id = 42\nprivate_key_file = \"/nonexistent/app.pem\"\n") ==
        "kpi.toml:4:20: cannot read 'private_key_file' in [github] at /nonexistent/app.pem");
  const std::string not_rsa = ConfigErrorOf(repos + "app_id = 42\nprivate_key_file = \"" + ec_file.path.string() + "\"\n");
  CHECK(not_rsa == "kpi.toml:4:20: 'private_key_file' in [github] (" + ec_file.path.string() +
                       ") does not hold an RSA private key in PEM form");
  CHECK(not_rsa.find("PRIVATE KEY") == std::string::npos);
}
