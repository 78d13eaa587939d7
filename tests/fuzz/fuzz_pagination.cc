// Link-header and cursor pagination (collectors/common/upstream/pagination.h).
// Each input line is what one page answers: its Link header for WalkPages,
// its next cursor for WalkCursor. The walks go through a real HttpClient over
// an in-memory transport, so redirects, URL resolution and the credential
// origin check see the upstream's URLs too.
#include <memory>
#include <string>
#include <vector>

#include "collectors/common/upstream/pagination.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/support/fake_clock.h"

namespace {

constexpr std::string_view kApi = "https://api.example.test";
constexpr int kMaxPages = 8;

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size() && lines.size() < 2 * kMaxPages) {
    const size_t end = std::min(text.find('\n', start), text.size());
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Answers request i with line i: as a Link header, as a Location of a
// redirect when the line starts with "302 ", and as the body (the cursor).
class LineTransport final : public kpi::HttpTransport {
 public:
  explicit LineTransport(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  tl::expected<kpi::HttpResponse, kpi::Error> Perform(const kpi::HttpRequest& request, const kpi::TransferLimits&,
                                                      std::stop_token) override {
    // Credentials go only to the API's origin, whatever URL the upstream named.
    for (const auto& [name, value] : request.headers) {
      if (name == "Authorization" || name == "authorization") {
        KPI_FUZZ_CHECK(kpi::OriginOf(request.url) == kpi::OriginOf(kApi));
      }
    }
    const std::string line = served_ < lines_.size() ? lines_[served_] : "";
    ++served_;
    kpi::HttpResponse response{200, {{"link", line}}, line, false};
    if (line.starts_with("302 ")) response = {302, {{"location", line.substr(4)}}, "", false};
    return response;
  }

 private:
  std::vector<std::string> lines_;
  size_t served_ = 0;
};

kpi::HttpClient Client(const std::vector<std::string>& lines, const kpi::Clock& clock) {
  kpi::HttpClientOptions options;
  options.api_url = std::string(kApi);
  options.authorization = "Bearer fuzz";
  options.max_attempts = 1;
  return kpi::HttpClient(std::make_unique<LineTransport>(lines), clock, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> lines = Lines(kpi::fuzz::Text(data, size));
  for (const std::string& line : lines) {
    for (const auto& [rel, url] : kpi::ParseLinkHeader(line)) (void)kpi::QueryParam(url, "page");
    (void)kpi::QueryParam(line, "page");
    (void)kpi::ResolveUrl(std::string(kApi) + "/a/b?page=1", line);
  }
  const kpi::testing::FakeClock clock;
  {
    kpi::HttpClient http = Client(lines, clock);
    int visited = 0;
    const auto walk = kpi::WalkPages(http, std::string(kApi) + "/items?page=1", kMaxPages,
                                     [&](const kpi::HttpResponse&) -> tl::expected<bool, kpi::Error> {
                                       ++visited;
                                       return true;
                                     });
    if (walk) KPI_FUZZ_CHECK(walk->pages == visited && walk->pages <= kMaxPages);
  }
  {
    kpi::HttpClient http = Client(lines, clock);
    const auto walk = kpi::WalkCursor(
        http, [](const std::string& cursor) { return std::string(kApi) + "/items?starting_after=" + kpi::UrlEncode(cursor); },
        kMaxPages, [](const kpi::HttpResponse& page) -> tl::expected<std::optional<std::string>, kpi::Error> {
          if (page.body.empty()) return std::nullopt;
          return page.body;
        });
    if (walk) KPI_FUZZ_CHECK(walk->pages <= kMaxPages);
  }
  return 0;
}
