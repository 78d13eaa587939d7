// GitHub collector: repository counters, Actions health on the default
// branch, PR merge lead time, issue first-response time and bug intake,
// the API rate limit, DORA delivery metrics with [github.dora] (dora.h) and
// security alerts (security.h). See README "GitHub" for every metric.
//
// One poll per interval; a repository whose requests fail keeps its values
// from its last good poll (and the poll reports the error), so one bad repo
// never blanks the others.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/github/app_auth.h"
#include "collectors/github/metrics/contributors.h"
#include "collectors/github/metrics/dora.h"
#include "collectors/github/metrics/issues.h"
#include "collectors/github/parse.h"
#include "collectors/github/metrics/security.h"
#include "collectors/github/metrics/workflows.h"
#include "collectors/common/last_good.h"

namespace kpi {

struct GithubConfig {
  SourceSettings settings;
  std::string token;  // secret; empty = unauthenticated (60 requests/hour), unless `app` is set
  std::optional<github::AppCredentials> app;  // GitHub App installation auth instead of `token`
  std::vector<std::string> repos;
  std::vector<std::string> orgs;
  std::vector<std::string> bug_labels{"bug"};
  // Events whose runs are the repository's own CI (pull_request runs are not:
  // a fork's branch may share the default branch's name).
  std::vector<std::string> ci_events{"push", "schedule", "workflow_dispatch", "merge_group"};
  int workflow_runs = 20;          // decisive runs per workflow for the success ratio
  int max_workflows = 100;         // active workflows read per repository
  int max_pages = 50;              // per listing, 100 items a page
  // REST requests in any minute (GitHub's secondary limit: 900 points a minute, a GET 1); 0: unpaced, for a
  // GitHub Enterprise Server whose administrator turned its rate limits off (its default).
  int rest_requests_per_minute = 900;
  // First-response lookups through GraphQL, many issues per query across
  // repositories (README "GraphQL"); false: one REST comment listing per issue.
  bool graphql = true;
  int max_comment_requests = 300;  // REST comment pages per poll for first-response lookups (graphql = false)
  int max_graphql_points = 1000;   // GraphQL points per poll for first-response lookups (graphql = true)
  std::optional<github::DoraConfig> dora;  // [github.dora]: DORA metrics when present
  bool security = true;                    // Dependabot, code and secret scanning alerts
  // A security feature found off is asked about again this often (README "Security alerts").
  std::chrono::milliseconds security_recheck = std::chrono::hours(12);
  // "Awaiting response" counts open issues opened this recently, so an alert on it can clear: an issue nobody
  // answered for longer leaves the count instead of holding the alert forever.
  std::chrono::milliseconds awaiting_response_window = std::chrono::days(30);
};

std::unique_ptr<Collector> MakeGithubCollector(SectionReader& reader);
// Its metric families and KPI defaults (see collectors/common/output/catalog.h).
SourceCatalog GithubCatalog();

class GithubCollector final : public Collector {
 public:
  explicit GithubCollector(GithubConfig config);

  std::string_view name() const override { return "github"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

  // Each group is absent until it was computed from complete data once; a
  // group whose listing a cap cut keeps its previous value (see Keep()).
  struct RepoStats {
    github::Repo repo;
    github::IssueStats issues;
    std::optional<std::vector<double>> merge_lead_times;
    SharedItemList longest_lead_times;  // kept and cut with merge_lead_times
    github::ContributorCount contributors;
    github::WorkflowStatsById workflows;
    SharedItemList failing_workflows;  // absent with max_items = 0
    std::optional<github::DoraStats> dora;
    std::optional<github::SecurityStats> security;
  };

 private:
  struct PollState;

  tl::expected<std::vector<std::string>, Error> ResolveRepos(HttpClient& http, PollState& state,
                                                             std::vector<Error>& errors);
  tl::expected<RepoStats, Error> PollRepo(HttpClient& http, PollState& state, const std::string& repo);
  tl::expected<void, Error> CollectIssues(HttpClient& http, PollState& state, const std::string& repo,
                                          const RepoStats* previous, RepoStats& stats);
  tl::expected<void, Error> CollectWorkflows(HttpClient& http, PollState& state, const std::string& repo,
                                             const RepoStats* previous, RepoStats& stats);
  tl::expected<void, Error> CollectMergeLeadTimes(HttpClient& http, PollState& state, const std::string& repo,
                                                  const RepoStats* previous, RepoStats& stats);
  tl::expected<void, Error> CollectDora(HttpClient& http, PollState& state, const std::string& repo,
                                        const RepoStats* previous, RepoStats& stats);
  tl::expected<void, Error> CollectSecurity(HttpClient& http, PollState& state, const std::string& repo,
                                            const RepoStats* previous, RepoStats& stats);
  tl::expected<void, Error> CountContributors(HttpClient& http, PollState& state, const std::string& repo,
                                              const RepoStats* previous, RepoStats& stats);
  void AddMetrics(SnapshotBuilder& builder, const std::vector<std::string>& repos, SystemTime now) const;
  // Every drill-down list of one repository's stats (README "Drill-down").
  static void AddItems(SnapshotBuilder& builder, const RepoStats& stats);

  // The wait before the next poll that lets the core limit last until its
  // reset, when this poll cost `spent` points (README "GitHub": budget).
  std::chrono::milliseconds BudgetedInterval(double core_spent, double graphql_spent, SystemTime now) const;
  // GraphQL: the first-response lookups of every repository listed this poll,
  // then each repository's issue stats.
  void LookUpFirstResponses(HttpClient& http, PollState& state, const std::vector<std::string>& repos,
                            std::vector<tl::expected<RepoStats, Error>>& results, std::vector<Error>& errors);
  // Tells the App auth (if any) whose installation the next requests are for.
  void UseInstallationOf(std::string_view target);

  GithubConfig config_;
  std::shared_ptr<github::AppAuth> app_auth_;  // shared with the HttpClient built from http_options()
  // Last good results, kept across polls (see header comment).
  LastGood<RepoStats> repos_;
  LastGood<std::vector<std::string>> org_repos_;
  LastGood<std::vector<github::RateLimit>> rate_limits_;
  size_t next_start_ = 0;      // where the next poll starts: after a rate limit cut the last one short
  int64_t points_spent_ = 0;          // github_api_points_spent_total{resource="core"}
  int64_t graphql_points_spent_ = 0;  // github_api_points_spent_total{resource="graphql"}
  github::PointsPacer graphql_pacer_;  // GitHub's secondary limit of GraphQL points per minute
  github::IssueCollector issues_;
  std::optional<github::DoraCollector> dora_;
  github::SecurityCollector security_;
  github::ContributorCounter contributors_;
};

}  // namespace kpi
