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

namespace {

// A page-numbered listing of `total` items, 100 a page, for CountItems: each
// read is recorded; `fresh` answers carry rel="last" (a 304's Link may be stale).
struct Listing {
  int64_t total = 0;
  bool fresh = true;
  std::vector<int64_t> reads = {};
  PageCounter Counter() {
    return [this](int64_t page) -> tl::expected<CountedPage, Error> {
      reads.push_back(page);
      const int64_t items = std::clamp<int64_t>(total - 100 * (page - 1), 0, 100);
      const int64_t last = std::max<int64_t>(1, (total + 99) / 100);
      return CountedPage{items, fresh && last != page ? std::optional<int64_t>(last) : std::nullopt};
    };
  }
};

// The count of a CountItems that must not fail.
std::optional<int64_t> Counted(const tl::expected<std::optional<int64_t>, Error>& result) {
  REQUIRE(result);
  return *result;
}

}  // namespace

TEST_CASE("CountItems: an unchanged count costs one read, of the page the last count ended on") {
  Listing listing{137};
  CHECK(Counted(CountItems(std::nullopt, 100, 50, listing.Counter())) == std::optional<int64_t>(137));
  CHECK(listing.reads == std::vector<int64_t>{1, 2});  // page 1's rel="last" leads to page 2
  listing.reads.clear();
  CHECK(Counted(CountItems(137, 100, 50, listing.Counter())) == std::optional<int64_t>(137));
  CHECK(listing.reads == std::vector<int64_t>{2});
}

TEST_CASE("CountItems: growth and shrinkage are found from cached pages without rel=last") {
  // A 304 on page 1 says nothing of the pages after it: the count moves on from the page it ended on.
  Listing grown{142, false};
  CHECK(Counted(CountItems(42, 100, 50, grown.Counter())) == std::optional<int64_t>(142));
  CHECK(grown.reads == std::vector<int64_t>{1, 2});
  Listing shrunk{180, false};
  CHECK(Counted(CountItems(250, 100, 50, shrunk.Counter())) == std::optional<int64_t>(180));
  CHECK(shrunk.reads == std::vector<int64_t>{3, 2});
  Listing fresh_shrunk{180};  // an empty page past the end names the last page
  CHECK(Counted(CountItems(950, 100, 50, fresh_shrunk.Counter())) == std::optional<int64_t>(180));
  CHECK(fresh_shrunk.reads == std::vector<int64_t>{10, 2});
}

TEST_CASE("CountItems: full pages, an empty listing and the cap") {
  Listing exact{200, false};
  CHECK(Counted(CountItems(199, 100, 50, exact.Counter())) == std::optional<int64_t>(200));
  CHECK(exact.reads == std::vector<int64_t>{2, 3});
  Listing none{0};
  CHECK(Counted(CountItems(std::nullopt, 100, 50, none.Counter())) == std::optional<int64_t>(0));
  Listing gone{0, false};
  CHECK(Counted(CountItems(120, 100, 50, gone.Counter())) == std::optional<int64_t>(0));
  CHECK(gone.reads == std::vector<int64_t>{2, 1});
  Listing huge{100'000, false};  // no rel="last" to jump by: a page a read, cut at the cap
  CHECK(Counted(CountItems(std::nullopt, 100, 5, huge.Counter())) == std::optional<int64_t>());
  CHECK(huge.reads.size() == 5);
}

TEST_CASE("CountItems: a hostile listing fails or is cut, never counted wrong") {
  const auto too_many = [](int64_t) -> tl::expected<CountedPage, Error> { return CountedPage{101, std::nullopt}; };
  auto overfull = CountItems(std::nullopt, 100, 50, too_many);
  REQUIRE_FALSE(overfull);
  CHECK(overfull.error().reason == "parse");
  // Every page full, each naming a far-away last page: bounded by the cap.
  int reads = 0;
  const auto endless = [&](int64_t page) -> tl::expected<CountedPage, Error> {
    ++reads;
    return CountedPage{100, page % 2 ? 1'000'000 : 3};
  };
  CHECK(Counted(CountItems(std::nullopt, 100, 7, endless)) == std::optional<int64_t>());
  CHECK(reads == 7);
  const auto failing = [](int64_t) -> tl::expected<CountedPage, Error> { return tl::unexpected(Error{"timeout", "x"}); };
  CHECK(CountItems(5, 100, 50, failing).error().reason == "timeout");
}

TEST_CASE("CountedPageOf takes rel=last only from a fresh answer with a valid page number") {
  HttpResponse fresh = Json("[]", {{"link", "<http://api/c?per_page=100&page=9>; rel=\"last\""}});
  CHECK(CountedPageOf(fresh, 100).last_page == std::optional<int64_t>(9));
  CHECK(CountedPageOf(fresh, 100).items == 100);
  HttpResponse cached = fresh;
  cached.from_cache = true;
  CHECK_FALSE(CountedPageOf(cached, 100).last_page);
  for (const char* page : {"-7", "0", "3x", ""}) {
    HttpResponse odd = Json("[]", {{"link", std::string("<http://api/c?page=") + page + ">; rel=\"last\""}});
    CHECK_FALSE(CountedPageOf(odd, 1).last_page);
  }
}
