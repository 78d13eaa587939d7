// Jira collector: per named JQL query, the match count, resolution time of
// issues resolved in the last 30 days (the support-SLA KPI), and the age of
// the oldest unresolved issue. Jira Cloud (search/jql with nextPageToken, the
// approximate-count endpoint) and Data Center (api/2/search with startAt).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/last_good.h"

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
    std::vector<double> resolution_seconds;
    double oldest_open_age_seconds = 0;
    bool truncated = false;
  };

 private:
  tl::expected<QueryStats, Error> PollQuery(HttpClient& http, const JiraQuery& query, SystemTime now);
  tl::expected<int64_t, Error> Count(HttpClient& http, const std::string& jql);
  std::string SearchUrl(const std::string& jql, int max_results, const std::string& cursor) const;

  JiraConfig config_;
  LastGood<QueryStats> queries_;
};

}  // namespace kpi
