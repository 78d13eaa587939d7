// HttpClient policy over the real libcurl transport against a real server on loopback.
#include "collectors/common/upstream/http_client.h"

#include <CivetServer.h>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "collectors/common/upstream/curl_transport.h"
#include "exporter/gzip.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_server.h"

using namespace kpi;
using namespace kpi::testing;
using namespace std::chrono_literals;

namespace {

struct Client {
  FakeClock clock;
  std::vector<std::string> codes;
  std::unique_ptr<HttpClient> http;
  explicit Client(HttpClientOptions options) {
    http = std::make_unique<HttpClient>(std::make_unique<CurlTransport>(), clock, std::move(options),
                                        [this](std::string_view code) { codes.emplace_back(code); });
  }
};

HttpClientOptions Options(const TestServer& server) {
  HttpClientOptions options;
  options.api_url = server.url();
  options.backoff_base = 100ms;
  return options;
}

}  // namespace

TEST_CASE("a 5xx is retried with backoff and every attempt is observed") {
  TestServer server;
  std::atomic<int> hits{0};
  server.Handle("/flaky", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, ++hits == 1 ? 500 : 200, "{\"ok\":true}");
  });
  Client c(Options(server));
  auto response = c.http->Get(server.url() + "/flaky");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "{\"ok\":true}");
  CHECK(c.codes == std::vector<std::string>{"500", "200"});
  REQUIRE(c.clock.sleeps().size() == 1);
  CHECK(c.clock.sleeps()[0] >= 50ms);  // equal jitter: between half and all of the base delay
  CHECK(c.clock.sleeps()[0] <= 100ms);
}

TEST_CASE("retries stop after max_attempts with the last status as the error") {
  TestServer server;
  server.Handle("/down", [](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 503, "down"); });
  Client c(Options(server));
  auto response = c.http->GetOk(server.url() + "/down");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "http_5xx");
  CHECK(c.codes.size() == 3);
  const auto sleeps = c.clock.sleeps();
  REQUIRE(sleeps.size() == 2);
  CHECK(sleeps[1] >= 100ms);  // the second backoff doubles the first's range
}

TEST_CASE("429 with Retry-After waits exactly that long") {
  TestServer server;
  std::atomic<int> hits{0};
  server.Handle("/limited", [&](mg_connection* conn, const SeenRequest&) {
    if (++hits == 1) {
      TestServer::Respond(conn, 429, "slow down", {{"Retry-After", "2"}});
    } else {
      TestServer::Respond(conn, 200, "[]");
    }
  });
  Client c(Options(server));
  auto response = c.http->Get(server.url() + "/limited");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(c.clock.sleeps() == std::vector<std::chrono::milliseconds>{2000ms});
}

TEST_CASE("a Retry-After longer than max_rate_limit_wait fails the poll without waiting") {
  TestServer server;
  server.Handle("/limited", [](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 429, "slow down", {{"Retry-After", "3600"}});
  });
  Client c(Options(server));
  auto response = c.http->Get(server.url() + "/limited");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "rate_limited");
  CHECK(c.clock.sleeps().empty());
  CHECK(server.requests().size() == 1);
}

TEST_CASE("x-ratelimit-remaining 0 makes the next request wait for the reset instead of hammering") {
  TestServer server;
  Client c(Options(server));
  const auto reset = int64_t(ToUnixSeconds(c.clock.Now())) + 30;
  server.Handle("/spent", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 200, "[]", {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)}});
  });
  REQUIRE(c.http->Get(server.url() + "/spent"));
  CHECK(c.clock.sleeps().empty());
  REQUIRE(c.http->Get(server.url() + "/spent"));
  REQUIRE(c.clock.sleeps().size() == 1);
  CHECK(c.clock.sleeps()[0] == 30000ms);
}

TEST_CASE("an empty graphql or search bucket does not hold back requests of the core bucket") {
  TestServer server;
  Client c(Options(server));
  const auto reset = int64_t(ToUnixSeconds(c.clock.Now())) + 30;
  for (const std::string resource : {"graphql", "search"}) {
    server.Handle("/" + resource, [&, resource](mg_connection* conn, const SeenRequest&) {
      TestServer::Respond(conn, 200, "{}",
                          {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)},
                           {"X-RateLimit-Resource", resource}});
    });
  }
  server.Handle("/repos", [](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 200, "[]"); });
  REQUIRE(c.http->Get(server.url() + "/graphql"));
  REQUIRE(c.http->Get(server.url() + "/search"));
  REQUIRE(c.http->Get(server.url() + "/repos"));
  CHECK(c.clock.sleeps().empty());
  // The core bucket still holds back everything.
  server.Handle("/core", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 200, "[]",
                        {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)},
                         {"X-RateLimit-Resource", "core"}});
  });
  REQUIRE(c.http->Get(server.url() + "/core"));
  REQUIRE(c.http->Get(server.url() + "/repos"));
  REQUIRE(c.clock.sleeps().size() == 1);
  CHECK(c.clock.sleeps()[0] == 30000ms);
}

TEST_CASE("a rate limit that resets too far ahead fails fast without a request") {
  TestServer server;
  Client c(Options(server));
  const auto reset = int64_t(ToUnixSeconds(c.clock.Now())) + 7200;
  server.Handle("/spent", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 403, "{\"message\":\"API rate limit exceeded\"}",
                        {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)}});
  });
  auto first = c.http->Get(server.url() + "/spent");
  REQUIRE_FALSE(first);
  CHECK(first.error().reason == "rate_limited");
  auto second = c.http->Get(server.url() + "/spent");
  REQUIRE_FALSE(second);
  CHECK(second.error().reason == "rate_limited");
  CHECK(server.requests().size() == 1);
  CHECK(c.clock.sleeps().empty());
}

TEST_CASE("a secondary rate limit waits for retry-after, else a minute, and is never a credentials problem") {
  TestServer server;
  std::atomic<int> hits{0};
  constexpr const char* kSecondary =
      R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})";
  server.Handle("/with-header", [&](mg_connection* conn, const SeenRequest&) {
    if (++hits == 1) {
      TestServer::Respond(conn, 403, kSecondary, {{"Retry-After", "3"}});
    } else {
      TestServer::Respond(conn, 200, "[]");
    }
  });
  std::atomic<int> bare_hits{0};
  server.Handle("/without-header", [&](mg_connection* conn, const SeenRequest&) {
    if (++bare_hits == 1) {
      TestServer::Respond(conn, 429, kSecondary);
    } else {
      TestServer::Respond(conn, 200, "[]");
    }
  });
  server.Handle("/always", [&](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 403, kSecondary); });
  Client c(Options(server));
  REQUIRE(c.http->GetOk(server.url() + "/with-header"));
  REQUIRE(c.clock.sleeps() == std::vector<std::chrono::milliseconds>{3000ms});
  REQUIRE(c.http->GetOk(server.url() + "/without-header"));
  REQUIRE(c.clock.sleeps() == std::vector<std::chrono::milliseconds>{3000ms, 60000ms});

  auto failed = c.http->GetOk(server.url() + "/always");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().reason == "rate_limited");
  CHECK(failed.error().message.find("secondary rate limit") != std::string::npos);
  CHECK(failed.error().message.find("credentials") == std::string::npos);
  CHECK(c.clock.sleeps() == std::vector<std::chrono::milliseconds>{3000ms, 60000ms, 60000ms, 60000ms});
}

TEST_CASE("a rate-limit reset beyond the documented hour is clamped, and a past one clears the wait") {
  TestServer server;
  std::atomic<int> hits{0};
  server.Handle("/absurd", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 200, "[]", {{"X-RateLimit-Remaining", hits++ == 0 ? "0" : "10"}, {"X-RateLimit-Reset", "1e300"}});
  });
  Client c(Options(server));
  REQUIRE(c.http->Get(server.url() + "/absurd"));
  auto waiting = c.http->Get(server.url() + "/absurd");
  REQUIRE_FALSE(waiting);  // an hour is longer than max_rate_limit_wait
  CHECK(waiting.error().reason == "rate_limited");
  c.clock.Advance(3601s);
  REQUIRE(c.http->Get(server.url() + "/absurd"));  // not 1677, not forever: an hour at most
  CHECK(server.requests().size() == 2);

  TestServer past;
  past.Handle("/past", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 200, "[]", {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "1000"}});
  });
  Client d(Options(past));
  REQUIRE(d.http->Get(past.url() + "/past"));
  REQUIRE(d.http->Get(past.url() + "/past"));
  CHECK(d.clock.sleeps().empty());
  CHECK(past.requests().size() == 2);
}

TEST_CASE("Retry-After dates are read in all three HTTP date formats") {
  // The client's clock starts at Sunday 2026-11-01 12:00:00 UTC.
  for (const auto& [date, wait] : std::vector<std::pair<std::string, std::chrono::milliseconds>>{
           {"Sun, 01 Nov 2026 12:00:05 GMT", 5000ms},    // IMF-fixdate
           {"Sunday, 01-Nov-26 12:00:06 GMT", 6000ms},   // RFC 850
           {"Sun Nov  1 12:00:07 2026", 7000ms}}) {      // asctime
    TestServer server;
    std::atomic<int> hits{0};
    server.Handle("/limited", [&](mg_connection* conn, const SeenRequest&) {
      if (++hits == 1) {
        TestServer::Respond(conn, 429, "slow down", {{"Retry-After", date}});
      } else {
        TestServer::Respond(conn, 200, "[]");
      }
    });
    Client c(Options(server));
    REQUIRE(c.http->Get(server.url() + "/limited"));
    CHECK_MESSAGE(c.clock.sleeps() == std::vector<std::chrono::milliseconds>{wait}, date);
  }
}

TEST_CASE("a 401 suggests checking credentials only when some were sent") {
  TestServer server;
  server.Handle("/private", [](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 401, "{}"); });
  Client anonymous(Options(server));
  auto error = anonymous.http->GetOk(server.url() + "/private");
  REQUIRE_FALSE(error);
  CHECK(error.error().reason == "unauthorized");
  CHECK(error.error().message == server.url() + "/private answered HTTP 401");

  HttpClientOptions with_token = Options(server);
  with_token.authorization = "Bearer t0ken-value";
  Client authenticated(with_token);
  auto refused = authenticated.http->GetOk(server.url() + "/private");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == server.url() + "/private answered HTTP 401 (check the configured credentials)");
}

TEST_CASE("an ETag answer is revalidated and a 304 reuses the cached body") {
  TestServer server;
  server.Handle("/repo", [](mg_connection* conn, const SeenRequest& request) {
    const auto match = request.headers.find("if-none-match");
    if (match != request.headers.end() && match->second == "\"v1\"") {
      TestServer::Respond(conn, 304, "", {{"ETag", "\"v1\""}, {"X-RateLimit-Remaining", "4999"}});
    } else {
      TestServer::Respond(conn, 200, "{\"stars\":5}", {{"ETag", "\"v1\""}, {"Link", "<x>; rel=\"next\""}});
    }
  });
  Client c(Options(server));
  auto first = c.http->Get(server.url() + "/repo");
  REQUIRE(first);
  CHECK_FALSE(first->from_cache);
  auto second = c.http->Get(server.url() + "/repo");
  REQUIRE(second);
  CHECK(second->from_cache);
  CHECK(second->status == 200);
  CHECK(second->body == "{\"stars\":5}");
  CHECK(second->Header("link") == "<x>; rel=\"next\"");
  CHECK(second->Header("x-ratelimit-remaining") == "4999");
  CHECK(c.codes == std::vector<std::string>{"200", "304"});
}

TEST_CASE("max_requests_per_minute keeps every 61 s window at that many attempts, the rest wait") {
  TestServer server;
  std::atomic<int> hits{0};
  server.Handle("/paced", [&](mg_connection* conn, const SeenRequest&) {
    ++hits;
    TestServer::Respond(conn, 200, "[]");
  });
  HttpClientOptions options = Options(server);
  options.max_requests_per_minute = 3;
  Client c(options);
  const SystemTime start = c.clock.Now();
  std::vector<SystemTime> sent;
  for (int i = 0; i < 7; ++i) {
    REQUIRE(c.http->GetOk(server.url() + "/paced"));
    sent.push_back(c.clock.Now());
  }
  CHECK(hits == 7);
  // Three at once, the next three a minute (and a second's margin) later, the seventh a minute after those.
  for (int i = 0; i < 3; ++i) CHECK(sent[i] == start);
  for (int i = 3; i < 6; ++i) CHECK(sent[i] == start + 61s);
  CHECK(sent[6] == start + 122s);
}

TEST_CASE("a slow server times out") {
  TestServer server;
  server.Handle("/slow", [](mg_connection* conn, const SeenRequest&) {
    std::this_thread::sleep_for(1500ms);
    TestServer::Respond(conn, 200, "late");
  });
  auto options = Options(server);
  options.limits.total_timeout = 200ms;
  options.max_attempts = 1;
  Client c(options);
  auto response = c.http->Get(server.url() + "/slow");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "timeout");
  CHECK(c.codes == std::vector<std::string>{"error"});
}

TEST_CASE("an answer over the size cap is an error and not retried") {
  TestServer server;
  server.Handle("/huge", [](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 200, std::string(100'000, 'x'));
  });
  auto options = Options(server);
  options.limits.max_body_bytes = 10'000;
  Client c(options);
  auto response = c.http->Get(server.url() + "/huge");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "response_too_large");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("gzip answers are decoded, and the cap applies to the decoded size") {
  TestServer server;
  const std::string text(50'000, 'a');
  server.Handle("/zipped", [&](mg_connection* conn, const SeenRequest& request) {
    REQUIRE(request.headers.at("accept-encoding").find("gzip") != std::string::npos);
    TestServer::Respond(conn, 200, *GzipCompress(text), {{"Content-Encoding", "gzip"}});
  });
  {
    Client c(Options(server));
    auto response = c.http->Get(server.url() + "/zipped");
    REQUIRE(response);
    CHECK(response->body == text);
  }
  auto options = Options(server);
  options.limits.max_body_bytes = 10'000;  // the compressed answer is far smaller than this
  Client capped(options);
  auto bomb = capped.http->Get(server.url() + "/zipped");
  REQUIRE_FALSE(bomb);
  CHECK(bomb.error().reason == "response_too_large");
}

TEST_CASE("credentials go only to the API host, also across redirects") {
  TestServer api;
  TestServer elsewhere;
  api.Handle("/away", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 302, "", {{"Location", elsewhere.url() + "/landing"}});
  });
  api.Handle("/home", [&](mg_connection* conn, const SeenRequest&) {
    TestServer::Respond(conn, 301, "", {{"Location", "/final"}});
  });
  api.Handle("/final", [](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 200, "home"); });
  elsewhere.Handle("/landing", [](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 200, "away"); });
  elsewhere.Handle("/direct", [](mg_connection* conn, const SeenRequest&) { TestServer::Respond(conn, 200, "direct"); });

  auto options = Options(api);
  options.authorization = "Bearer top-secret-token";
  options.extra_headers = {{"Accept", "application/vnd.github+json"}};
  options.limits.user_agent = "kpi-exporter/test";
  Client c(options);

  auto away = c.http->Get(api.url() + "/away");
  REQUIRE(away);
  CHECK(away->body == "away");
  auto home = c.http->Get(api.url() + "/home");
  REQUIRE(home);
  CHECK(home->body == "home");
  REQUIRE(c.http->Get(elsewhere.url() + "/direct"));  // e.g. a Link header pointing off-site

  for (const auto& request : api.requests()) {
    CAPTURE(request.uri);
    CHECK(request.headers.at("authorization") == "Bearer top-secret-token");
    CHECK(request.headers.at("user-agent") == "kpi-exporter/test");
    CHECK(request.headers.at("accept") == "application/vnd.github+json");
  }
  REQUIRE(elsewhere.requests().size() == 2);
  for (const auto& request : elsewhere.requests()) {
    CAPTURE(request.uri);
    CHECK_FALSE(request.headers.contains("authorization"));
  }
}

TEST_CASE("a refused connection is a network error, retried") {
  HttpClientOptions options;
  options.api_url = "http://127.0.0.1:1";
  options.max_attempts = 2;
  Client c(options);
  auto response = c.http->Get("http://127.0.0.1:1/x");
  REQUIRE_FALSE(response);
  CHECK(response.error().reason == "network");
  CHECK(c.codes == std::vector<std::string>{"error", "error"});
}

TEST_CASE("origins and relative redirects") {
  CHECK(OriginOf("https://API.github.com/repos?x=1") == "https://api.github.com:443");
  CHECK(OriginOf("https://api.github.com:443") == "https://api.github.com:443");
  CHECK(OriginOf("http://user@host:8080/x") == "http://host:8080");
  CHECK(OriginOf("https://api.github.com.evil.example/") != OriginOf("https://api.github.com/"));
  CHECK(ResolveUrl("http://h:1/a/b?q", "/c") == "http://h:1/c");
  CHECK(ResolveUrl("http://h:1/a/b?q", "c") == "http://h:1/a/c");
  CHECK(ResolveUrl("http://h:1/a/b", "https://x/y") == "https://x/y");
  // RFC 3986 resolution: a query alone keeps the path, dot segments are removed.
  CHECK(ResolveUrl("http://h:1/a/b", "?page=2") == "http://h:1/a/b?page=2");
  CHECK(ResolveUrl("http://h:1/a/b/c", "../d") == "http://h:1/a/d");
  CHECK(ResolveUrl("https://h/a", "//other.example/x") == "https://other.example/x");
  CHECK(OriginOf("HTTPS://Api.GitHub.com") == "https://api.github.com:443");
  CHECK(OriginOf("http://[::1]:9/x") == "http://[::1]:9");
  CHECK(OriginOf("not a url") == "");
  CHECK(UrlEncode("a b/c") == "a%20b%2Fc");
}

TEST_CASE("base64 for basic auth: input lengths with remainder 0, 1 and 2") {
  // RFC 4648 section 10 test vectors.
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  // Jira Cloud credentials, email:token, of lengths 9, 10 and 11.
  CHECK(Base64Encode("a@b.c:tok") == "YUBiLmM6dG9r");
  CHECK(Base64Encode("a@b.c:toke") == "YUBiLmM6dG9rZQ==");
  CHECK(Base64Encode("a@b.c:token") == "YUBiLmM6dG9rZW4=");
  // Bytes above 0x7f (no sign extension), and the last two letters of the alphabet.
  CHECK(Base64Encode("\xff\xfe\xfd") == "//79");
  CHECK(Base64Encode("\xff") == "/w==");
  CHECK(Base64Encode("\xfb\xef") == "++8=");
}
