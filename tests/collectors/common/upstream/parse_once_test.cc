// ParseOnce and the cache of derived values, over the real libcurl transport
// against a real server on loopback.
#include "collectors/common/upstream/parse_once.h"

#include <CivetServer.h>
#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include "collectors/common/upstream/curl_transport.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_server.h"

using namespace kpi;
using namespace kpi::testing;

namespace {

// Answers every URL with `body_for(query)` and an ETag naming it, and 304 to a
// request that sends that ETag back; counts both kinds.
struct EtagServer {
  TestServer server;
  std::atomic<int> full{0};
  std::atomic<int> not_modified{0};
  std::function<std::string(const std::string& query)> body_for = [](const std::string& query) {
    return "[\"" + query + "\"]";
  };
  EtagServer() {
    server.Handle("/items", [this](mg_connection* conn, const SeenRequest& request) {
      const std::string body = body_for(request.query);
      const std::string etag = "\"" + std::to_string(std::hash<std::string>()(body)) + "\"";
      const auto match = request.headers.find("if-none-match");
      if (match != request.headers.end() && match->second == etag) {
        ++not_modified;
        TestServer::Respond(conn, 304, "", {{"ETag", etag}});
      } else {
        ++full;
        TestServer::Respond(conn, 200, body, {{"ETag", etag}, {"Link", "<next>; rel=\"next\""}});
      }
    });
  }
  std::string Url(int i) const { return server.url() + "/items?i=" + std::to_string(i); }
};

struct Reader {
  FakeClock clock;
  std::unique_ptr<HttpClient> http;
  std::atomic<int> parses{0};
  explicit Reader(const EtagServer& upstream, HttpClientOptions options = {}) {
    options.api_url = upstream.server.url();
    http = std::make_unique<HttpClient>(std::make_unique<CurlTransport>(), clock, std::move(options));
  }
  // The body's length, parsed through ParseOnce.
  tl::expected<std::shared_ptr<const size_t>, Error> Read(const std::string& url) {
    auto response = http->GetOk(url);
    if (!response) return tl::unexpected(response.error());
    return ParseOnce(*http, *response, [this](std::string_view body) -> tl::expected<size_t, Error> {
      ++parses;
      return body.size();
    });
  }
};

}  // namespace

TEST_CASE("ParseOnce: a 304 hands back what was parsed from the unchanged answer, without its body") {
  EtagServer upstream;
  Reader reader(upstream);
  auto first = reader.Read(upstream.Url(1));
  REQUIRE(first);
  CHECK(**first == std::string("[\"i=1\"]").size());
  auto response = reader.http->GetOk(upstream.Url(1));
  REQUIRE(response);
  CHECK(response->from_cache);
  CHECK(response->body.empty());  // the cache keeps the parsed value, not the JSON
  CHECK(response->Header("link") == "<next>; rel=\"next\"");  // pagination still works on a 304
  auto again = reader.Read(upstream.Url(1));
  REQUIRE(again);
  CHECK(again->get() == first->get());
  CHECK(reader.parses == 1);
  CHECK(upstream.full == 1);
  CHECK(upstream.not_modified == 2);
}

TEST_CASE("ParseOnce: a changed answer is parsed again") {
  EtagServer upstream;
  Reader reader(upstream);
  REQUIRE(reader.Read(upstream.Url(1)));
  upstream.body_for = [](const std::string&) { return std::string("[1,2,3,4,5]"); };
  auto changed = reader.Read(upstream.Url(1));
  REQUIRE(changed);
  CHECK(**changed == 11);
  CHECK(reader.parses == 2);
  CHECK(upstream.full == 2);
}

TEST_CASE("ParseOnce: a cached value read as another type is an error, never a reinterpretation") {
  EtagServer upstream;
  Reader reader(upstream);
  REQUIRE(reader.Read(upstream.Url(1)));
  auto response = reader.http->GetOk(upstream.Url(1));
  REQUIRE(response);
  auto wrong = ParseOnce(*reader.http, *response,
                         [](std::string_view) -> tl::expected<std::string, Error> { return std::string("x"); });
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().reason == "internal");
}

TEST_CASE("ParseOnce: the cache holds every URL of a large poll, so an unchanged poll is all 304s") {
  EtagServer upstream;
  HttpClientOptions options;
  // Bodies of 1000 bytes, a 40 000-byte cache: 40 raw bodies fit, but parsed
  // values are charged a quarter of their body.
  options.cache_max_bytes = 40'000;
  upstream.body_for = [](const std::string& query) { return query + std::string(1000 - query.size(), ' '); };
  Reader reader(upstream, options);
  constexpr int kUrls = 150;
  for (int i = 0; i < kUrls; ++i) REQUIRE(reader.Read(upstream.Url(i)));
  for (int i = 0; i < kUrls; ++i) REQUIRE(reader.Read(upstream.Url(i)));
  CHECK(upstream.full == kUrls);
  CHECK(upstream.not_modified == kUrls);
  CHECK(reader.parses == kUrls);
  const auto cache = reader.http->cache_stats();  // what kpi_exporter_upstream_cache_* show
  CHECK(cache.entries == kUrls);
  CHECK(cache.bytes > 0);
  CHECK(cache.bytes <= 40'000);
  CHECK(cache.evictions == 0);
}

TEST_CASE("ParseOnce: a cache too small for a poll evicts, counts each eviction, and pays every answer again") {
  EtagServer upstream;
  HttpClientOptions options;
  options.cache_max_entries = 100;
  Reader reader(upstream, options);
  constexpr int kUrls = 150;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kUrls; ++i) REQUIRE(reader.Read(upstream.Url(i)));
  }
  // Least recently used first, the URLs in a cycle: each read finds its entry gone.
  CHECK(upstream.not_modified == 0);
  const auto cache = reader.http->cache_stats();
  CHECK(cache.entries == 100);
  CHECK(cache.evictions == 2 * kUrls - 100);
}

TEST_CASE("ParseOnce: the default cache holds more URLs than GitHub's 1000-repository poll asks") {
  EtagServer upstream;
  Reader reader(upstream);
  constexpr int kUrls = 12'000;  // about 11 per repository
  for (int i = 0; i < kUrls; ++i) REQUIRE(reader.Read(upstream.Url(i)));
  REQUIRE(reader.Read(upstream.Url(0)));  // the least recently used
  CHECK(upstream.not_modified == 1);
}

TEST_CASE("ParseOnce: ApproxBytes counts what strings and vectors own on the heap") {
  const std::string long_text(100, 'x');
  const std::vector<std::string> texts{long_text, "short"};
  CHECK(ApproxBytes(std::string("short")) == sizeof(std::string));
  CHECK(ApproxBytes(long_text) >= sizeof(std::string) + 100);
  CHECK(ApproxBytes(texts) >= sizeof(texts) + 2 * sizeof(std::string) + 100);
  CHECK(ApproxBytes(texts) < sizeof(texts) + 2 * sizeof(std::string) + 200);
  CHECK(ApproxBytes(int64_t(7)) == sizeof(int64_t));
}
