#include "collectors/common/upstream/pagination.h"

#include <algorithm>
#include <charconv>

#include "collectors/common/upstream/json.h"
#include "collectors/common/upstream/parse_once.h"

namespace kpi {

std::map<std::string, std::string> ParseLinkHeader(std::string_view header) {
  std::map<std::string, std::string> links;
  size_t pos = 0;
  while (pos < header.size()) {
    const auto open = header.find('<', pos);
    if (open == std::string_view::npos) break;
    const auto close = header.find('>', open);
    if (close == std::string_view::npos) break;
    const std::string url(header.substr(open + 1, close - open - 1));
    auto end = header.find('<', close);
    if (end == std::string_view::npos) end = header.size();
    const std::string_view params = header.substr(close + 1, end - close - 1);
    if (const auto rel = params.find("rel="); rel != std::string_view::npos) {
      std::string_view value = params.substr(rel + 4);
      if (!value.empty() && value.front() == '"') {
        value.remove_prefix(1);
        value = value.substr(0, value.find('"'));
      } else {
        value = value.substr(0, value.find_first_of(";, "));
      }
      // rel may hold several space-separated relation types.
      size_t start = 0;
      while (start < value.size()) {
        const auto space = value.find(' ', start);
        const auto token = value.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start);
        if (!token.empty()) links[std::string(token)] = url;
        if (space == std::string_view::npos) break;
        start = space + 1;
      }
    }
    pos = end;
  }
  return links;
}

std::optional<std::string> QueryParam(std::string_view url, std::string_view name) {
  const auto question = url.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = url.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

tl::expected<PageWalk, Error> WalkPages(HttpClient& http, std::string first_url, int max_pages,
                                        const PageVisitor& visit) {
  PageWalk walk;
  std::string url = std::move(first_url);
  while (!url.empty()) {
    if (walk.pages >= max_pages) {
      walk.truncated = true;
      break;
    }
    auto page = http.GetOk(url);
    if (!page) return tl::unexpected(page.error());
    ++walk.pages;
    auto keep_going = visit(*page);
    if (!keep_going) return tl::unexpected(keep_going.error());
    if (!*keep_going) break;
    const auto links = ParseLinkHeader(page->Header("link"));
    const auto next = links.find("next");
    url = next == links.end() ? std::string() : next->second;
  }
  return walk;
}

tl::expected<PageWalk, Error> WalkCursor(HttpClient& http, const std::function<std::string(const std::string&)>& page_url,
                                         int max_pages, const CursorVisitor& visit) {
  PageWalk walk;
  std::optional<std::string> cursor = "";
  while (cursor) {
    if (walk.pages >= max_pages) {
      walk.truncated = true;
      break;
    }
    auto page = http.GetOk(page_url(*cursor));
    if (!page) return tl::unexpected(page.error());
    ++walk.pages;
    auto next = visit(*page);
    if (!next) return tl::unexpected(next.error());
    if (*next && *next == *cursor) {
      return tl::unexpected(Error{"parse", "pagination cursor did not advance: " + *cursor});  // a loop, not a next page
    }
    cursor = std::move(*next);
  }
  return walk;
}

tl::expected<std::optional<int64_t>, Error> CountItems(std::optional<int64_t> previous_count, int64_t per_page,
                                                       int max_pages, const PageCounter& count_page) {
  int64_t page = previous_count && *previous_count > 0 ? *previous_count / per_page + 1 : 1;
  int64_t full_up_to = 0;     // the highest page seen full
  int64_t empty_from = 0;     // the lowest page above 1 seen empty (0: none)
  for (int read = 0; read < max_pages; ++read) {
    auto counted = count_page(page);
    if (!counted) return tl::unexpected(counted.error());
    const int64_t items = counted->items;
    if (items < 0 || items > per_page) {
      return tl::unexpected(Error{"parse", "page " + std::to_string(page) + " of a listing of " +
                                               std::to_string(per_page) + " a page holds " + std::to_string(items)});
    }
    if (items > 0 && items < per_page) return per_page * (page - 1) + items;
    if (items == 0 && page == 1) return int64_t(0);
    if (items == per_page) {
      full_up_to = std::max(full_up_to, page);
      if (empty_from == page + 1) return per_page * page;
    } else {
      empty_from = empty_from ? std::min(empty_from, page) : page;
      if (full_up_to == page - 1) return per_page * (page - 1);
    }
    // A fresh rel="last" says where the end is; else one page towards it.
    const int64_t step = items == per_page ? page + 1 : page - 1;
    const auto last = counted->last_page;
    const bool last_is_new = last && *last > full_up_to && (!empty_from || *last < empty_from) && *last != page;
    page = last_is_new ? *last : step;
  }
  return std::optional<int64_t>();
}

CountedPage CountedPageOf(const HttpResponse& response, int64_t items) {
  CountedPage counted{items, std::nullopt};
  if (response.from_cache) return counted;
  const auto links = ParseLinkHeader(response.Header("link"));
  const auto last = links.find("last");
  if (last == links.end()) return counted;
  const auto number = QueryParam(last->second, "page");
  int64_t page = 0;
  if (!number) return counted;
  const char* end = number->data() + number->size();
  if (const auto parsed = std::from_chars(number->data(), end, page); parsed.ec == std::errc() && parsed.ptr == end && page >= 1) {
    counted.last_page = page;
  }
  return counted;
}

tl::expected<std::optional<int64_t>, Error> CountListing(HttpClient& http, const std::string& first_url,
                                                         int64_t per_page, std::optional<int64_t> previous_count,
                                                         int max_pages, const CountRefusal& refuse) {
  return CountItems(previous_count, per_page, max_pages, [&](int64_t number) -> tl::expected<CountedPage, Error> {
    const std::string url = number == 1 ? first_url : first_url + "&page=" + std::to_string(number);
    auto page = http.Get(url);
    if (!page) return tl::unexpected(page.error());
    if (refuse) {
      if (auto refused = refuse(*page)) return tl::unexpected(std::move(*refused));
    }
    if (page->status == 204) return CountedPage{};
    if (page->status < 200 || page->status > 299) {
      return tl::unexpected(HttpStatusError(page->status, url, false, http.SendsCredentialsTo(url)));
    }
    auto items = ParseOnce(http, *page, json::ParseArrayLength);
    if (!items) return tl::unexpected(items.error());
    return CountedPageOf(*page, **items);
  });
}

}  // namespace kpi
