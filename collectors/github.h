// GitHub collector: repository counters, Actions health on the default
// branch, PR merge lead time, issue first-response time and bug intake,
// and the API rate limit. See README "GitHub" for every metric.
//
// One poll per interval; a repository whose requests fail keeps its values
// from its last good poll (and the poll reports the error), so one bad repo
// never blanks the others.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/github_parse.h"
#include "collectors/last_good.h"

namespace kpi {

struct GithubConfig {
  SourceSettings settings;
  std::string token;  // secret; empty = unauthenticated (60 requests/hour)
  std::vector<std::string> repos;
  std::vector<std::string> orgs;
  std::vector<std::string> bug_labels{"bug"};
  int workflow_runs = 20;          // completed runs per workflow for the success ratio
  int max_pages = 50;              // per listing, 100 items a page
  int max_comment_requests = 300;  // per poll, for first-response lookups
};

std::unique_ptr<Collector> MakeGithubCollector(SectionReader& reader);

class GithubCollector final : public Collector {
 public:
  explicit GithubCollector(GithubConfig config);

  std::string_view name() const override { return "github"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

  struct WorkflowStats {
    std::string name;
    bool failing = false;
    double success_ratio = 0;
    double last_run_duration_seconds = 0;
    double last_run_timestamp_seconds = 0;
  };
  struct RepoStats {
    github::Repo repo;
    int64_t open_issues = 0;
    int64_t open_pull_requests = 0;
    int64_t contributors = 0;
    std::vector<WorkflowStats> workflows;
    std::vector<double> merge_lead_times;
    std::vector<double> first_responses;
    int64_t awaiting_response = 0;
    double oldest_awaiting_age_seconds = 0;
    int64_t opened_1d = 0, opened_1d_bugs = 0, opened_30d = 0, opened_30d_bugs = 0;
  };

 private:
  struct PollState;

  tl::expected<std::vector<std::string>, Error> ResolveRepos(HttpClient& http, std::vector<Error>& errors);
  tl::expected<RepoStats, Error> PollRepo(HttpClient& http, PollState& state, const std::string& repo);
  tl::expected<void, Error> CollectIssues(HttpClient& http, PollState& state, const std::string& repo, RepoStats& stats);
  tl::expected<std::optional<SystemTime>, Error> FirstResponse(HttpClient& http, PollState& state,
                                                               const std::string& repo, const github::Issue& issue);
  tl::expected<std::vector<WorkflowStats>, Error> CollectWorkflows(HttpClient& http, const std::string& repo,
                                                                   const std::string& branch);
  tl::expected<std::vector<double>, Error> CollectMergeLeadTimes(HttpClient& http, PollState& state,
                                                                 const std::string& repo);
  tl::expected<int64_t, Error> CountContributors(HttpClient& http, const std::string& repo);
  void AddMetrics(SnapshotBuilder& builder, const std::vector<std::string>& repos) const;

  GithubConfig config_;
  // Last good results, kept across polls (see header comment).
  LastGood<RepoStats> repos_;
  LastGood<std::vector<std::string>> org_repos_;
  LastGood<std::vector<github::RateLimit>> rate_limits_;
  // A first response never changes once it happened: "repo#number" -> time.
  std::map<std::string, SystemTime> first_response_cache_;
};

}  // namespace kpi
