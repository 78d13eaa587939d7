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

}  // namespace kpi
