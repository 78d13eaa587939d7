// Jira collector: per named JQL query, the match count, resolution time of
// issues resolved in the last 30 days (the support-SLA KPI), and the age of
// the oldest unresolved issue. Queries with an SLA also get the share of
// issues resolved within it and the open issues past it: by created->resolved
// arithmetic against `sla`, or, with `sla_field`, by Jira Service
// Management's own verdicts (completedCycles[].breached, ongoingCycle.breached
// of the SLA field in the search answer; JSM knows calendars and pauses). Jira Cloud (search/jql with nextPageToken and
// isLast, the approximate-count endpoint) and Data Center (api/2/search with
// startAt and total).
//
// The resolution summary is exact or kept: when max_issues (or the page cap)
// cuts the listing of resolved issues, the summary keeps its last complete
// value (absent until there is one) and the cut goes to PollReport::Truncated.
#pragma once

#include <chrono>
#include <map>
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
  std::optional<std::chrono::seconds> sla = std::nullopt;  // created->resolved limit per issue
  std::string sla_field = "";  // a JSM SLA field's name ("Time to resolution") or id ("customfield_10030")
  bool has_sla() const { return sla || !sla_field.empty(); }
};

struct JiraConfig {
  SourceSettings settings;  // api_url = the site's base URL
  bool cloud = true;
  std::string email;  // Cloud: basic auth user
  std::string token;  // Cloud: API token; Data Center: personal access token (bearer)
  std::vector<JiraQuery> queries;
  int max_issues = 1000;  // issues fetched per query per poll for the resolution summary
  // Ticket summaries on the drill-down pages: off by default, since summaries
  // often hold customer names. Off: the summary is never even requested.
  bool show_titles = false;
};

std::unique_ptr<Collector> MakeJiraCollector(SectionReader& reader);
// Its metric families and KPI defaults (see collectors/common/output/catalog.h).
SourceCatalog JiraCatalog();

namespace jira {

struct Issue {
  std::string key;      // "SUP-42"
  std::string summary;  // only when asked for (show_titles)
  SystemTime created;
  std::optional<SystemTime> resolved;
  // JSM's verdict from the SLA field asked for: true when a completed cycle or the ongoing one breached;
  // nullopt when the field is empty (no SLA applies to the issue) or was not asked for.
  std::optional<bool> sla_breached = std::nullopt;
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

// `sla_field_id`: also read that JSM SLA field into Issue::sla_breached.
// `summary`: also read each issue's summary.
tl::expected<SearchPage, Error> ParseSearchPage(std::string_view body, bool cloud, std::string_view sla_field_id = "",
                                                bool summary = false);
// The id of the field named `name` (case-insensitive) in a GET /rest/api/{2,3}/field answer.
tl::expected<std::string, Error> ParseFieldId(std::string_view body, std::string_view name);
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

  struct Resolved {
    std::vector<double> seconds;  // created to resolved, per issue
    int64_t sla_known = 0;        // issues with an SLA verdict
    int64_t sla_met = 0;          // ... that met it
  };
  struct QueryStats {
    int64_t matching = 0;
    std::optional<Resolved> resolved;  // absent until a poll read the whole listing
    double oldest_open_age_seconds = 0;
    std::optional<int64_t> open_breaching_sla;  // queries with an SLA, once a poll read the whole listing
    // The drill-down lists (with [drill_down] max_items > 0): kept with the
    // values, so a failed or cut poll keeps the last complete ones.
    std::optional<ItemList> breaching_items;
    std::optional<ItemList> oldest_items;
  };

 private:
  tl::expected<QueryStats, Error> PollQuery(HttpClient& http, const JiraQuery& query, SystemTime now, PollContext& context);
  // The issues matching `jql`, or nullopt when max_issues or the page cap cut the listing.
  tl::expected<std::optional<std::vector<jira::Issue>>, Error> List(HttpClient& http, const std::string& jql,
                                                                    const std::string& sla_field_id);
  // The query's issues resolved in the window, or nullopt when the listing was cut.
  tl::expected<std::optional<Resolved>, Error> ResolvedIssues(HttpClient& http, const JiraQuery& query,
                                                              const std::string& sla_field_id, SystemTime now);
  // Open issues past their SLA, or nullopt when the listing was cut.
  tl::expected<std::optional<std::vector<jira::Issue>>, Error> OpenBreaching(HttpClient& http, const JiraQuery& query,
                                                                            const std::string& sla_field_id,
                                                                            SystemTime now);
  // The oldest unresolved issues (at least one asked for) and how many there are.
  tl::expected<QueryStats, Error> OldestOpen(HttpClient& http, const JiraQuery& query, SystemTime now,
                                             size_t max_items, QueryStats stats);
  ListItem ToItem(const jira::Issue& issue) const;
  // The SLA field's id: as configured when it is one, else looked up by name (once, then cached).
  tl::expected<std::string, Error> SlaFieldId(HttpClient& http, const JiraQuery& query);
  tl::expected<int64_t, Error> Count(HttpClient& http, const std::string& jql);
  std::string SearchUrl(const std::string& jql, int max_results, const std::string& cursor,
                        const std::string& sla_field_id = "") const;
  tl::expected<jira::SearchPage, Error> ParsePage(const HttpResponse& page, const std::string& sla_field_id) const;

  JiraConfig config_;
  LastGood<QueryStats> queries_;
  std::map<std::string, std::string> sla_field_ids_;  // by configured name
};

}  // namespace kpi
