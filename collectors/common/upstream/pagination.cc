#include "collectors/common/upstream/pagination.h"

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

}  // namespace kpi
