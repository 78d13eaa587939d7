// The Jira collector's test world: query "support" (project = SUP) on a Jira
// Cloud or Data Center site behind an in-memory transport, and the shapes of
// its search answers. Shared by the Jira collector tests (jira_test.cc:
// listing, paging, cuts and errors; jira_sla_test.cc: SLAs and drill-down).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/time_util.h"
#include "collectors/jira.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace kpi::testing::jira_world {

using namespace std::chrono_literals;

inline constexpr const char* kSite = "https://acme.atlassian.test";
// The JQL the collector sends for query "support" (project = SUP), percent-encoded by hand.
inline constexpr const char* kSupport = "project%20%3D%20SUP";
inline constexpr const char* kResolved = "%28project%20%3D%20SUP%29%20AND%20resolved%20%3E%3D%20-30d%20ORDER%20BY%20resolved%20DESC";
inline constexpr const char* kOldest = "%28project%20%3D%20SUP%29%20AND%20resolution%20IS%20EMPTY%20ORDER%20BY%20created%20ASC";

inline std::string JiraTime(const FakeClock& clock, std::chrono::seconds ago) {
  // Jira's form: milliseconds and a +hhmm offset.
  std::string t = FormatTimestamp(clock.Now() - ago);
  return t.substr(0, t.size() - 1) + ".000+0000";
}

// An issue as search answers carry it when asked for fields=created,resolutiondate.
inline std::string IssueJson(const FakeClock& clock, std::chrono::seconds created_ago, std::optional<std::chrono::seconds> resolved_ago) {
  return "{\"expand\":\"\",\"id\":\"10001\",\"self\":\"https://acme.atlassian.test/rest/api/3/issue/10001\",\"key\":\"SUP-1\","
         "\"fields\":{\"created\":\"" + JiraTime(clock, created_ago) + "\",\"resolutiondate\":" +
         (resolved_ago ? "\"" + JiraTime(clock, *resolved_ago) + "\"" : std::string("null")) + "}}";
}

inline std::string Issues(const std::vector<std::string>& issues) {
  std::string out;
  for (const auto& issue : issues) out += (out.empty() ? "" : ",") + issue;
  return "[" + out + "]";
}

// A Jira Cloud search/jql page: every page says isLast; all but the last carry a nextPageToken.
inline std::string CloudPage(const std::vector<std::string>& issues, const std::string& next_token = "") {
  if (next_token.empty()) return "{\"issues\":" + Issues(issues) + ",\"isLast\":true}";
  return "{\"issues\":" + Issues(issues) + ",\"nextPageToken\":\"" + next_token + "\",\"isLast\":false}";
}

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  std::unique_ptr<JiraCollector> collector;
  std::unique_ptr<HttpClient> http;
  JiraConfig config;
  PollReport report;  // of the last poll
  size_t max_items = 0;  // [drill_down] max_items; off unless a test looks at the item lists

  explicit World(bool cloud, int max_issues = 1000, std::vector<JiraQuery> queries = {{"support", "project = SUP"}}) {
    config.settings.api_url = kSite;
    config.cloud = cloud;
    config.email = cloud ? "bot@acme.test" : "";
    config.token = "jira-api-token-123";
    config.queries = std::move(queries);
    config.max_issues = max_issues;
    collector = std::make_unique<JiraCollector>(config);
    http = std::make_unique<HttpClient>(std::make_unique<FakeTransport>(state), clock, collector->http_options());
  }
  // `jql` is already percent-encoded.
  std::string Search(const std::string& jql, int max, const std::string& cursor = "",
                     const std::string& fields = "created,resolutiondate") const {
    std::string url = std::string(kSite) + (config.cloud ? "/rest/api/3/search/jql" : "/rest/api/2/search") + "?jql=" + jql +
                      "&fields=" + fields + "&maxResults=" + std::to_string(max);
    if (config.cloud) return cursor.empty() ? url : url + "&nextPageToken=" + cursor;
    return url + "&startAt=" + (cursor.empty() ? "0" : cursor);
  }
  void Set(const std::string& url, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }
  void CloudBasics(int count) {
    Set(std::string(kSite) + "/rest/api/3/search/approximate-count", "{\"count\":" + std::to_string(count) + "}");
    Set(Search(kOldest, 1), CloudPage({}));
  }
  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    context.max_items = max_items;
    auto result = collector->Poll(*http, context);
    report = context.report;
    return result;
  }
  bool Requested(const std::string& url) const {
    return std::any_of(state->requests.begin(), state->requests.end(), [&](const HttpRequest& r) { return r.url == url; });
  }
};

}  // namespace kpi::testing::jira_world
