// Jira collector: per named JQL query, the match count, resolution time of
// issues resolved in the last 30 days (the support-SLA KPI), and the age of
// the oldest unresolved issue. Jira Cloud (search/jql with nextPageToken and
// isLast, the approximate-count endpoint) and Data Center (api/2/search with
// startAt and total).
//
// The resolution summary is exact or kept: when max_issues (or the page cap)
// cuts the listing of resolved issues, the summary keeps its last complete
// value (absent until there is one) and the cut goes to PollReport::Truncated.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/last_good.h"

namespace kpi {

struct JiraQuery {
  std::string name;  // the `query` label
  std::string jql;   // without ORDER BY (dropped when configured)
};

struct JiraConfig {
  SourceSettings settings;  // api_url = the site's base URL
  bool cloud = true;
  std::string email;  // Cloud: basic auth user
  std::string token;  // Cloud: API token; Data Center: personal access token (bearer)
  std::vector<JiraQuery> queries;
  int max_issues = 1000;  // issues fetched per query per poll for the resolution summary
};

std::unique_ptr<Collector> MakeJiraCollector(SectionReader& reader);
// Its metric families and KPI defaults (see collectors/common/catalog.h).
SourceCatalog JiraCatalog();

namespace jira {

struct Issue {
  SystemTime created;
  std::optional<SystemTime> resolved;
};

struct SearchPage {
  std::vector<Issue> issues;
  std::optional<std::string> next;  // cursor of the next page: nextPageToken (Cloud) or startAt (Data Center)
  std::optional<int64_t> total;     // Data Center only
};

// The resolution summary's window: the JQL clause Jira applies, and the same
// span checked again on each issue read.
inline constexpr std::string_view kResolvedWindowJql = "resolved >= -30d";
inline constexpr std::chrono::days kResolvedWindow{30};

tl::expected<SearchPage, Error> ParseSearchPage(std::string_view body, bool cloud);
tl::expected<int64_t, Error> ParseApproximateCount(std::string_view body);
// "(jql) AND extra", keeping any ORDER BY of `order_by` at the end.
std::string Refine(std::string_view jql, std::string_view extra, std::string_view order_by = "");
// Drops a trailing ORDER BY clause (case-insensitive), which cannot be combined with AND.
std::string WithoutOrderBy(std::string_view jql);

}  // namespace jira

class JiraCollector final : public Collector {
 public:
  explicit JiraCollector(JiraConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "jira"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

  struct QueryStats {
    int64_t matching = 0;
    std::optional<std::vector<double>> resolution_seconds;  // absent until a poll read the whole listing
    double oldest_open_age_seconds = 0;
  };

 private:
  tl::expected<QueryStats, Error> PollQuery(HttpClient& http, const JiraQuery& query, SystemTime now, PollReport& report);
  // Created-to-resolved seconds of the query's issues resolved in the window,
  // or nullopt when max_issues or the page cap cut the listing.
  tl::expected<std::optional<std::vector<double>>, Error> ResolutionTimes(HttpClient& http, const JiraQuery& query,
                                                                          SystemTime now);
  tl::expected<int64_t, Error> Count(HttpClient& http, const std::string& jql);
  std::string SearchUrl(const std::string& jql, int max_results, const std::string& cursor) const;

  JiraConfig config_;
  LastGood<QueryStats> queries_;
};

}  // namespace kpi
