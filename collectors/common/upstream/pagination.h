// Pagination helpers for APIs that page with RFC 8288 Link headers
// (GitHub: <https://api.github.com/...&page=2>; rel="next", ...).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "collectors/common/error.h"
#include "collectors/common/upstream/http_client.h"

namespace kpi {

// rel -> URL for every link in the header; malformed parts are skipped.
std::map<std::string, std::string> ParseLinkHeader(std::string_view header);

// The value of query parameter `name` in `url`, if present.
std::optional<std::string> QueryParam(std::string_view url, std::string_view name);

// Called for each page in order. Return false to stop early (e.g. the rest is
// outside a time window), or an Error to fail the walk.
using PageVisitor = std::function<tl::expected<bool, Error>(const HttpResponse& page)>;

struct PageWalk {
  int pages = 0;
  bool truncated = false;  // stopped at max_pages while a next page existed
};

// GETs `first_url` and follows rel="next" until there is none, the visitor
// says stop, or `max_pages` pages were read. Every page must answer 2xx.
tl::expected<PageWalk, Error> WalkPages(HttpClient& http, std::string first_url, int max_pages,
                                        const PageVisitor& visit);

// For APIs that page with a cursor carried in the body (Stripe's
// starting_after, Jira's nextPageToken or startAt). `page_url` builds the URL
// for a cursor ("" = the first page); `visit` returns the next cursor, or
// nullopt when there is no further page.
using CursorVisitor = std::function<tl::expected<std::optional<std::string>, Error>(const HttpResponse& page)>;
tl::expected<PageWalk, Error> WalkCursor(HttpClient& http, const std::function<std::string(const std::string&)>& page_url,
                                         int max_pages, const CursorVisitor& visit);

// Counting a page-numbered listing exactly with conditional requests. A page's
// ETag covers that page's items only (GitHub: "The ETag is returned per page"),
// so a 304 on the first page of per_page=1 says nothing of a rel="last" that
// moved: a count read that way goes quietly stale. Instead: for the first page
// L that is not full, every page before it is full, so the count is
// per_page * (L - 1) + the items on L whenever L holds any; the search starts
// on the page the previous count ended on, so an unchanged listing costs one
// free 304.
struct CountedPage {
  int64_t items = 0;
  // rel="last"'s page number from a fresh answer (a 304's cached Link may be stale).
  std::optional<int64_t> last_page;
};
using PageCounter = std::function<tl::expected<CountedPage, Error>(int64_t page)>;
// The count, or nullopt when `max_pages` reads did not settle it (a cap cut:
// the caller keeps its last value). `count_page(n)` reads page n (from 1).
tl::expected<std::optional<int64_t>, Error> CountItems(std::optional<int64_t> previous_count, int64_t per_page,
                                                       int max_pages, const PageCounter& count_page);
// A CountedPage for `items` read from `response`.
CountedPage CountedPageOf(const HttpResponse& response, int64_t items);
// CountItems over a listing of JSON arrays: GETs `first_url` (which holds its
// per_page) for page 1 and `first_url&page=n` for the others; a 204 is an empty
// page. `refuse(answer)` may end the count with an Error before any other check.
using CountRefusal = std::function<std::optional<Error>(const HttpResponse& answer)>;
tl::expected<std::optional<int64_t>, Error> CountListing(HttpClient& http, const std::string& first_url,
                                                         int64_t per_page, std::optional<int64_t> previous_count,
                                                         int max_pages, const CountRefusal& refuse = {});

}  // namespace kpi
