#include "collectors/common/upstream/pagination.h"

#include <doctest/doctest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;

TEST_CASE("Link headers parse into rel -> URL") {
  const auto links = ParseLinkHeader(
      R"(<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last")");
  CHECK(links.at("next") == "https://api.github.com/repositories/1/issues?page=2");
  CHECK(links.at("last") == "https://api.github.com/repositories/1/issues?page=5");
  CHECK(ParseLinkHeader("").empty());
  CHECK(ParseLinkHeader("garbage <unterminated").empty());
  CHECK(ParseLinkHeader("<u>; rel=\"prev first\"").size() == 2);
}

TEST_CASE("query parameters are found by name") {
  CHECK(QueryParam("https://x/y?per_page=1&page=42", "page") == "42");
  CHECK(QueryParam("https://x/y?per_page=1&page=42", "per_page") == "1");
  CHECK_FALSE(QueryParam("https://x/y?pages=3", "page"));
  CHECK_FALSE(QueryParam("https://x/y", "page"));
}

TEST_CASE("WalkPages follows rel=next, stops on request, and caps pages") {
  auto state = std::make_shared<FakeTransport::State>();
  state->routes["http://api/items?page=1"].answers = {Json("[1]", {{"link", "<http://api/items?page=2>; rel=\"next\""}})};
  state->routes["http://api/items?page=2"].answers = {Json("[2]", {{"link", "<http://api/items?page=3>; rel=\"next\""}})};
  state->routes["http://api/items?page=3"].answers = {Json("[3]")};
  FakeClock clock;
  HttpClient http(std::make_unique<FakeTransport>(state), clock, HttpClientOptions{});

  std::string bodies;
  auto visit = [&](const HttpResponse& page) -> tl::expected<bool, Error> {
    bodies += page.body;
    return true;
  };
  auto all = WalkPages(http, "http://api/items?page=1", 10, visit);
  REQUIRE(all);
  CHECK(all->pages == 3);
  CHECK_FALSE(all->truncated);
  CHECK(bodies == "[1][2][3]");

  bodies.clear();
  auto capped = WalkPages(http, "http://api/items?page=1", 2, visit);
  REQUIRE(capped);
  CHECK(capped->truncated);
  CHECK(bodies == "[1][2]");

  bodies.clear();
  auto stopped = WalkPages(http, "http://api/items?page=1", 10, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
    bodies += page.body;
    return false;
  });
  REQUIRE(stopped);
  CHECK(stopped->pages == 1);

  state->routes["http://api/items?page=2"].answers = {Json("{}", {}, 404)};
  auto failed = WalkPages(http, "http://api/items?page=1", 10, visit);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().reason == "not_found");
}
