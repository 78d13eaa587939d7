#include "collectors/github/collector.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

#include "collectors/common/parallel.h"
#include "collectors/common/rate_budget.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/common/upstream/parse_once.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;
using github::Issue;

constexpr auto kMonth = std::chrono::days(30);  // the "30d" window

// A POST to GitHub's GraphQL endpoint (github::GraphqlUrl: /graphql, or /api/graphql on GHES).
bool IsGraphqlRequest(const HttpRequest& request) {
  return request.body.has_value() && std::string_view(request.url).ends_with("/graphql");
}

bool IsValidRepoName(std::string_view repo) {
  const auto slash = repo.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == repo.size()) return false;
  return ConsistsOf(repo, ::isalnum, "-_./") && repo.find('/', slash + 1) == std::string_view::npos;
}

double SecondsBetween(SystemTime from, SystemTime to) { return Seconds(to - from).count(); }

std::vector<std::string> LowerCased(std::vector<std::string> words) {
  for (auto& word : words) word = AsciiLower(word);
  return words;
}

// A group computed from cut data keeps its previous value (absent if none): an optional or a shared list.
template <typename T>
void Keep(T& group, const T& previous) {
  group = previous;
}

const ItemListKind kLongestLeadTimeList{"longest_lead_time",
                                        "Merged pull requests with the longest lead time (30 days)",
                                        {"github_pull_request_merge_lead_time_seconds"}};

ListItem LeadTimeItem(const github::PullRequest& pull, double lead_time) {
  return {"#" + std::to_string(pull.number), pull.title, pull.html_url, pull.created_at,
          {{"lead time", FormatDuration(std::chrono::seconds(int64_t(lead_time)))},
           {"merged", FormatTimestamp(*pull.merged_at)}}};
}

// Worst first; equal lead times in listing order (most recently updated first).
ItemList LongestLeadTimes(const std::string& repo, std::vector<std::pair<double, ListItem>> merged, SystemTime now,
                          size_t max_items) {
  std::stable_sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<ListItem> items;
  for (auto& [lead_time, item] : merged) items.push_back(std::move(item));
  return MakeItemList(kLongestLeadTimeList, repo, now, std::move(items), max_items);
}

}  // namespace

// Repositories are polled side by side (ParallelFor): what they share within
// one poll is guarded by `mu`.
struct GithubCollector::PollState {
  SystemTime now;
  PollLog& log;
  PollReport& report;
  Shard shard;
  github::CommentBudget comments;
  size_t max_items;  // [drill_down]: items per list, 0 = no lists
  // graphql = true: each repository's issue listings, for the lookups after all are listed.
  std::mutex listings_mu;
  std::map<std::string, github::IssueListing> listings;
  // graphql = true: every repository's facts and open counts, looked up before the repositories are polled.
  std::map<std::string, tl::expected<github::RepoFacts, Error>> facts;
};

// Every family AddMetrics emits (the scorecard integration test checks that
// /metrics holds nothing undeclared). DORA and vulnerability families and
// their planning targets (change failure rate < 5 %, MTTR < 2 h, lead time
// < 2 d) belong here too once the collector emits them.
SourceCatalog GithubCatalog() {
  static constexpr MetricFamilyInfo kFamilies[] = {
      {"github_repo_stars", "gauge", "repo"},
      {"github_repo_forks", "gauge", "repo"},
      {"github_repo_watchers", "gauge", "repo"},
      {"github_repo_open_issues", "gauge", "repo"},
      {"github_repo_open_pull_requests", "gauge", "repo"},
      {"github_repo_contributors", "gauge", "repo"},
      {"github_repo_info", "gauge", "repo,default_branch,language,archived"},
      {"github_workflow_failing", "gauge", "repo,workflow,branch"},
      {"github_workflow_consecutive_failures", "gauge", "repo,workflow,branch"},
      {"github_workflow_success_ratio", "gauge", "repo,workflow,branch"},
      {"github_workflow_last_run_duration_seconds", "gauge", "repo,workflow,branch"},
      {"github_workflow_last_run_timestamp_seconds", "gauge", "repo,workflow,branch"},
      {"github_pull_request_merge_lead_time_seconds", "summary", "repo,window"},
      {"github_issue_first_response_seconds", "summary", "repo,window"},
      {"github_issues_awaiting_response", "gauge", "repo,window"},
      {"github_issues_awaiting_response_oldest_age_seconds", "gauge", "repo,window"},
      {"github_issues_opened", "gauge", "repo,window,kind"},
      {"github_rate_limit_remaining", "gauge", "resource"},
      {"github_rate_limit_limit", "gauge", "resource"},
      {"github_rate_limit_reset_timestamp_seconds", "gauge", "resource"},
      {"github_api_points_spent_total", "counter", "resource"},
      // DORA ([github.dora]) and security alerts (issue 14).
      {"github_deployments", "gauge", "repo,window"},
      {"github_deployments_failed", "gauge", "repo,window"},
      {"github_deployment_last_timestamp_seconds", "gauge", "repo"},
      {"github_deployment_lead_time_seconds", "summary", "repo,window"},
      {"github_change_failure_ratio", "gauge", "repo,window"},
      {"github_time_to_restore_seconds", "summary", "repo,window"},
      {"github_failed_deployment_recovery_seconds", "summary", "repo,window"},
      {"github_deployment_rework_ratio", "gauge", "repo,window"},
      {"github_dependabot_alerts_open", "gauge", "repo,severity"},
      {"github_dependabot_alert_oldest_open_seconds", "gauge", "repo,severity"},
      {"github_dependabot_alert_fix_seconds", "summary", "repo,window"},
      {"github_code_scanning_alerts_open", "gauge", "repo,severity"},
      {"github_secret_scanning_alerts_open", "gauge", "repo"},
      {"github_malformed_objects", "gauge", "repo,listing"},
  };
  // The planning targets (README "KPIs and targets"): totals over the configured repositories.
  static constexpr KpiDefault kKpis[] = {
      {"stars", "community", "github_repo_stars", "", "sum", "higher", 500},
      {"forks", "community", "github_repo_forks", "", "sum", "higher", 50},
      {"contributors", "community", "github_repo_contributors", "", "max", "higher", 20},
      {"ci_success", "delivery", "github_workflow_success_ratio", "", "avg", "higher", 0.95},
      {"pr_lead_time", "delivery", "github_pull_request_merge_lead_time_seconds", "", "mean", "lower", 172800},
      {"first_response", "community", "github_issue_first_response_seconds", "", "mean", "lower", 86400},
      {"bug_reports", "quality", "github_issues_opened", "kind=bug,window=30d", "sum", "lower", 10},
  };
  return {kFamilies, kKpis};
}
std::unique_ptr<Collector> MakeGithubCollector(SectionReader& reader) {
  GithubConfig config;
  config.settings = ReadSourceSettings(reader, {"https://api.github.com", 5min, 10s});
  config.token = reader.Secret("token").value_or("");
  config.app = github::ReadAppCredentials(reader, !config.token.empty());
  config.repos = reader.StringList("repos");
  config.orgs = reader.StringList("orgs");
  if (reader.ok()) {
    for (const auto& repo : config.repos) {
      if (!IsValidRepoName(repo)) reader.Fail("repos", "repos entry '" + repo + "' is not of the form owner/name");
    }
  }
  if (auto labels = reader.StringList("bug_labels"); !labels.empty() || !reader.ok()) config.bug_labels = labels;
  if (auto events = reader.StringList("ci_events"); !events.empty() || !reader.ok()) config.ci_events = events;
  if (auto runs = reader.Integer("workflow_runs", 1, 100)) config.workflow_runs = int(*runs);
  if (auto pages = reader.Integer("max_pages", 1, 1000)) config.max_pages = int(*pages);
  if (auto workflows = reader.Integer("max_workflows", 1, 1000)) config.max_workflows = int(*workflows);
  if (auto pace = reader.Integer("rest_requests_per_minute", 0, 100000)) config.rest_requests_per_minute = int(*pace);
  if (auto graphql = reader.Bool("graphql")) config.graphql = *graphql;
  if (auto comments = reader.Integer("max_comment_requests", 0, 100000)) config.max_comment_requests = int(*comments);
  if (auto points = reader.Integer("max_graphql_points", 0, 100000)) config.max_graphql_points = int(*points);
  if (auto security = reader.Bool("security")) config.security = *security;
  if (auto recheck = reader.Duration("security_recheck", std::chrono::minutes(1), std::chrono::days(30))) {
    config.security_recheck = *recheck;
  }
  if (auto dora = reader.Table("dora")) {
    config.dora = github::ReadDoraConfig(*dora);
    reader.Absorb(*dora);
  }
  if (auto window = reader.Duration("awaiting_response_window", std::chrono::hours(1), std::chrono::days(3650))) {
    config.awaiting_response_window = *window;
  }
  if (reader.ok() && config.repos.empty() && config.orgs.empty()) {
    reader.Fail("repos", "[github] needs at least one entry in 'repos' or 'orgs'");
  }
  if (!reader.ok()) return nullptr;
  return std::make_unique<GithubCollector>(std::move(config));
}

GithubCollector::GithubCollector(GithubConfig config)
    : config_(std::move(config)),
      issues_(github::IssueOptions{LowerCased(config_.bug_labels), config_.max_pages,
                                   config_.awaiting_response_window}),
      security_(config_.max_pages, config_.security_recheck),
      contributors_(config_.max_pages) {
  // GitHub's GraphQL API answers authenticated requests only: without a token or App, REST alone.
  if (config_.token.empty() && !config_.app) config_.graphql = false;
  if (config_.dora) dora_.emplace(*config_.dora, github::DoraCollector::Limits{config_.ci_events, config_.max_pages});
  if (config_.app) {
    app_auth_ = std::make_shared<github::AppAuth>(std::move(*config_.app), config_.settings.api_url);
    config_.app.reset();
    // Requests before the first target (none today) still have an account to go by.
    const auto& targets = config_.orgs.empty() ? config_.repos : config_.orgs;
    if (!targets.empty()) UseInstallationOf(targets.front());
  }
}

HttpClientOptions GithubCollector::http_options() const {
  HttpClientOptions options =
      BaseHttpOptions(config_.settings, config_.token.empty() ? "" : "Bearer " + config_.token,
                      {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}});
  options.authorization_provider = app_auth_;
  // GitHub's primary limit: every answer costs a point but a 304 and
  // /rate_limit; the App's own calls (JWT) are charged to the App, not here.
  // GraphQL has a limit of its own, charged as its answers say (rateLimit.cost).
  options.cost = [](const HttpRequest& request, const HttpResponse& response) {
    const std::string_view url = request.url;
    const bool free = response.status == 304 || url.ends_with("/rate_limit") || url.find("/app/installations/") != url.npos ||
                      url.ends_with("/installation") || IsGraphqlRequest(request);
    return free ? 0 : 1;
  };
  // GitHub's secondary limit: "no more than 900 points per minute" for REST
  // (a GET is 1 point; 304s counted too, to stay on the safe side). GraphQL's
  // is 2000 of its own points a minute, apart from REST's: a GraphQL POST is
  // paced by its price (graphql_pacer_), not counted here as a REST request.
  options.max_requests_per_minute = config_.rest_requests_per_minute;
  options.paced = [](const HttpRequest& request) { return !IsGraphqlRequest(request); };
  return options;
}

std::chrono::milliseconds GithubCollector::BudgetedInterval(double core_spent, double graphql_spent,
                                                            SystemTime now) const {
  const auto limits = rate_limits_.values().find("rate_limit");
  if (limits == rate_limits_.values().end()) return config_.settings.interval;
  // The longest wait any of the two limits asks for.
  std::chrono::milliseconds interval = config_.settings.interval;
  for (const auto& limit : limits->second) {
    if (limit.resource != "core" && limit.resource != "graphql") continue;
    const auto until_reset = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::seconds(limit.reset) - now.time_since_epoch());
    const double spent = limit.resource == "core" ? core_spent : graphql_spent;
    interval = std::max(interval,
                        StretchedInterval(config_.settings.interval, spent, double(limit.remaining), until_reset));
  }
  return interval;
}

void GithubCollector::UseInstallationOf(std::string_view target) {
  if (app_auth_) app_auth_->UseInstallationOf(target);
}

tl::expected<Snapshot, Error> GithubCollector::Poll(HttpClient& http, PollContext& context) {
  PollState state{context.clock.Now(), context.log, context.report, context.shard,
                  github::CommentBudget(config_.graphql ? config_.max_graphql_points : config_.max_comment_requests),
                  context.max_items, {}, {}, {}};
  std::vector<Error> errors;

  const int64_t spent_before = http.points_spent();
  const int64_t graphql_spent_before = graphql_points_spent_;
  auto repos = ResolveRepos(http, state, errors);
  if (!repos) return tl::unexpected(repos.error());
  if (config_.graphql) {
    auto facts = github::LookUpRepos(http, graphql_pacer_, github::GraphqlUrl(config_.settings.api_url), *repos,
                                     config_.settings.concurrency, app_auth_ != nullptr,
                                     [this](const std::string& repo) { UseInstallationOf(repo); });
    graphql_points_spent_ += facts.points_spent;
    state.facts = std::move(facts.repos);
  }
  // Up to `concurrency` repositories at once, starting where the last poll ran
  // into the rate limit so no repository starves; applied in order afterwards.
  const size_t n = repos->size();
  const size_t start = n ? next_start_ % n : 0;
  std::vector<tl::expected<RepoStats, Error>> results(n, tl::unexpected(Error{"internal", "not polled"}));
  ParallelFor(n, config_.settings.concurrency,
              [&](size_t k) { results[(start + k) % n] = PollRepo(http, state, (*repos)[(start + k) % n]); });
  next_start_ = 0;
  for (size_t k = 0; k < n; ++k) {
    const auto& result = results[(start + k) % n];
    if (!result && result.error().reason == "rate_limited") {
      next_start_ = (start + k) % n;
      break;
    }
  }
  if (config_.graphql) LookUpFirstResponses(http, state, *repos, results, errors);
  for (size_t i = 0; i < n; ++i) {
    if (!repos_.UpdateTarget((*repos)[i], std::move(results[i]), errors, context.report)) {
      return tl::unexpected(errors.back());
    }
  }
  repos_.Retain(*repos);
  if (dora_) dora_->Retain(std::set<std::string>(repos->begin(), repos->end()));
  issues_.Retain(state.comments);

  // /rate_limit is free: it does not count against the limit it reports.
  rate_limits_.Update("rate_limit",
                      http.GetOk(config_.settings.api_url + "/rate_limit").and_then([](const HttpResponse& r) {
                        return github::ParseRateLimits(r.body);
                      }),
                      errors);
  const int64_t spent = http.points_spent() - spent_before;
  points_spent_ += spent;
  context.next_interval =
      BudgetedInterval(double(spent), double(graphql_points_spent_ - graphql_spent_before), state.now);
  if (Canceled(errors)) return tl::unexpected(errors.back());

  SnapshotBuilder builder(context.max_series);
  AddMetrics(builder, *repos, state.now);
  return FinishPoll(std::move(builder), errors);
}

tl::expected<std::vector<std::string>, Error> GithubCollector::ResolveRepos(HttpClient& http, PollState& state,
                                                                           std::vector<Error>& errors) {
  std::set<std::string> repos(config_.repos.begin(), config_.repos.end());
  for (const auto& org : config_.orgs) {
    UseInstallationOf(org);
    std::vector<std::string> names;
    auto walk = WalkPages(http, config_.settings.api_url + "/orgs/" + UrlEncode(org) + "/repos?type=all&per_page=100",
                          config_.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                            auto page_names = github::ParseActiveRepoNames(page.body);
                            if (!page_names) return tl::unexpected(page_names.error());
                            names.insert(names.end(), page_names->begin(), page_names->end());
                            return true;
                          });
    const std::string target = "org " + org;
    // A cut listing would silently drop repositories: keep the last complete one.
    if (walk && walk->truncated) state.report.Truncated(target, "repositories");
    if (walk && !walk->truncated) {
      if (!org_repos_.UpdateTarget(target, std::move(names), errors, state.report)) return tl::unexpected(errors.back());
    } else if (!walk && !org_repos_.UpdateTarget(target, tl::unexpected(walk.error()), errors, state.report)) {
      return tl::unexpected(errors.back());
    }
    if (const auto known = org_repos_.values().find(target); known != org_repos_.values().end()) {
      repos.insert(known->second.begin(), known->second.end());
    }
  }
  // Sharded: this process polls only its own repositories (also those found through orgs).
  std::erase_if(repos, [&](const std::string& repo) { return !state.shard.Owns(repo); });
  return std::vector<std::string>(repos.begin(), repos.end());
}

void GithubCollector::AddItems(SnapshotBuilder& b, const RepoStats& s) {
  const auto add = [&](const SharedItemList& list) { b.Items(list); };  // shared, not copied; Items skips a null one
  if (s.issues.awaiting) add(s.issues.awaiting->items);
  if (s.issues.opened) add(s.issues.opened->day_bug_items);
  add(s.failing_workflows);
  add(s.longest_lead_times);
  if (s.dora) {
    add(s.dora->failed_deployment_items);
    add(s.dora->incident_items);
  }
  if (s.security && s.security->dependabot) add(s.security->dependabot->critical_high_items);
}

tl::expected<GithubCollector::RepoStats, Error> GithubCollector::PollRepo(HttpClient& http, PollState& state,
                                                                          const std::string& repo) {
  const auto found = repos_.values().find(repo);
  const RepoStats* previous = found == repos_.values().end() ? nullptr : &found->second;
  RepoStats stats;
  UseInstallationOf(repo);
  if (config_.graphql) {
    const auto facts = state.facts.find(repo);
    if (facts == state.facts.end()) return tl::unexpected(Error{"internal", repo + ": its facts were not looked up"});
    if (!facts->second) return tl::unexpected(facts->second.error());
    stats.repo = facts->second->repo;
  } else {
    auto info = http.GetOk(config_.settings.api_url + "/repos/" + repo).and_then([&](const HttpResponse& r) {
      return ParseOnce(http, r, github::ParseRepo);
    });
    if (!info) return tl::unexpected(info.error());
    stats.repo = **info;
  }

  for (auto step : {&GithubCollector::CollectIssues, &GithubCollector::CollectWorkflows,
                    &GithubCollector::CollectMergeLeadTimes, &GithubCollector::CollectDora,
                    &GithubCollector::CollectSecurity}) {
    if (auto done = (this->*step)(http, state, repo, previous, stats); !done) return tl::unexpected(done.error());
  }
  if (auto done = CountContributors(http, state, repo, previous, stats); !done) return tl::unexpected(done.error());
  return stats;
}

void GithubCollector::LookUpFirstResponses(HttpClient& http, PollState& state, const std::vector<std::string>& repos,
                                           std::vector<tl::expected<RepoStats, Error>>& results,
                                           std::vector<Error>& errors) {
  for (size_t i = 0; i < repos.size(); ++i) {
    if (!results[i]) state.listings.erase(repos[i]);  // its poll failed: it keeps its last values anyway
  }
  auto lookups = issues_.LookUpWithGraphql(http, state.comments, graphql_pacer_,
                                           github::GraphqlUrl(config_.settings.api_url), state.listings,
                                           config_.settings.concurrency, app_auth_ != nullptr,
                                           [this](const std::string& repo) { UseInstallationOf(repo); });
  graphql_points_spent_ += lookups.points_spent;
  for (size_t i = 0; i < repos.size(); ++i) {
    const auto listing = state.listings.find(repos[i]);
    if (!results[i] || listing == state.listings.end()) continue;
    const auto found = repos_.values().find(repos[i]);
    results[i]->issues = issues_.Summarize(listing->second, state.comments, state.report, repos[i], state.now,
                                           found == repos_.values().end() ? nullptr : &found->second.issues,
                                           state.max_items);
    // Only this repository's lookups failed: its other values are fresh, its
    // first-response values keep their last complete ones.
    if (const auto failed = lookups.failed_repos.find(repos[i]); failed != lookups.failed_repos.end()) {
      state.report.Target(repos[i], false);
      errors.push_back(Error{failed->second.reason, repos[i] + ": " + failed->second.message});
    }
  }
}

tl::expected<void, Error> GithubCollector::CollectIssues(HttpClient& http, PollState& state, const std::string& repo,
                                                         const RepoStats* previous, RepoStats& stats) {
  if (config_.graphql) {  // looked up for all repositories at once, after all are listed
    const auto facts = state.facts.find(repo);  // PollRepo found them
    auto listing = issues_.List(http, config_.settings.api_url, repo, state.now, previous ? &previous->issues : nullptr,
                                facts->second->open);
    if (!listing) return tl::unexpected(listing.error());
    std::lock_guard lock(state.listings_mu);
    state.listings[repo] = std::move(*listing);
    return {};
  }
  auto issues = issues_.Collect(http, state.report, state.comments, config_.settings.api_url, repo, state.now,
                                previous ? &previous->issues : nullptr, state.max_items);
  if (!issues) return tl::unexpected(issues.error());
  stats.issues = std::move(*issues);
  return {};
}

tl::expected<void, Error> GithubCollector::CountContributors(HttpClient& http, PollState& state, const std::string& repo,
                                                             const RepoStats* previous, RepoStats& stats) {
  auto count = contributors_.Count(http, state.log, state.report, config_.settings.api_url, repo,
                                   stats.repo.head_commit, state.now, previous ? &previous->contributors : nullptr);
  if (!count) return tl::unexpected(count.error());
  stats.contributors = std::move(*count);
  return {};
}

tl::expected<void, Error> GithubCollector::CollectWorkflows(HttpClient& http, PollState& state, const std::string& repo,
                                                            const RepoStats* previous, RepoStats& stats) {
  const github::WorkflowOptions options{config_.ci_events, config_.workflow_runs, config_.max_workflows,
                                        config_.max_pages};
  auto workflows = github::CollectWorkflows(http, state.report, config_.settings.api_url, repo,
                                            stats.repo.default_branch, options,
                                            previous ? &previous->workflows : nullptr);
  if (!workflows) return tl::unexpected(workflows.error());
  stats.workflows = std::move(*workflows);
  if (state.max_items > 0) {
    stats.failing_workflows = Shared(github::FailingWorkflowItems(repo, stats.workflows, state.now, state.max_items));
  }
  return {};
}

tl::expected<void, Error> GithubCollector::CollectMergeLeadTimes(HttpClient& http, PollState& state,
                                                                 const std::string& repo, const RepoStats* previous,
                                                                 RepoStats& stats) {
  const SystemTime month_ago = state.now - kMonth;
  std::vector<double> lead_times;
  std::vector<std::pair<double, ListItem>> merged;  // lead time, pull request
  // Newest updates first: once a page reaches PRs last touched before the
  // window, no later page can hold a PR merged inside it.
  auto walk = WalkPages(http, config_.settings.api_url + "/repos/" + repo +
                                  "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
                        config_.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                          auto pulls = ParseOnce(http, page, github::ParsePullRequests);
                          if (!pulls) return tl::unexpected(pulls.error());
                          bool reached_window_start = false;
                          for (const auto& pull : **pulls) {
                            if (pull.updated_at < month_ago) reached_window_start = true;
                            if (pull.merged_at && *pull.merged_at >= month_ago) {
                              const double lead_time = std::max(0.0, SecondsBetween(pull.created_at, *pull.merged_at));
                              lead_times.push_back(lead_time);
                              if (state.max_items > 0) merged.emplace_back(lead_time, LeadTimeItem(pull, lead_time));
                            }
                          }
                          return !reached_window_start;
                        });
  if (!walk) return tl::unexpected(walk.error());
  stats.merge_lead_times = std::move(lead_times);
  if (state.max_items > 0) stats.longest_lead_times = Shared(LongestLeadTimes(repo, std::move(merged), state.now, state.max_items));
  if (walk->truncated) {
    state.report.Truncated(repo, "pull_requests");
    Keep(stats.merge_lead_times, previous ? previous->merge_lead_times : std::nullopt);
    Keep(stats.longest_lead_times, previous ? previous->longest_lead_times : nullptr);
  }
  return {};
}

tl::expected<void, Error> GithubCollector::CollectDora(HttpClient& http, PollState& state, const std::string& repo,
                                                       const RepoStats* previous, RepoStats& stats) {
  if (!dora_) return {};
  auto dora = dora_->Collect(http, state.report, config_.settings.api_url, repo, stats.repo.default_branch, state.now,
                             state.max_items);
  if (!dora) return tl::unexpected(dora.error());
  stats.dora = std::move(*dora);
  if (!stats.dora) Keep(stats.dora, previous ? previous->dora : std::nullopt);  // a cap cut a listing
  return {};
}

tl::expected<void, Error> GithubCollector::CollectSecurity(HttpClient& http, PollState& state, const std::string& repo,
                                                           const RepoStats* previous, RepoStats& stats) {
  if (!config_.security) return {};
  auto security =
      security_.Collect(http, state.report, state.log, config_.settings.api_url, repo, state.now, state.max_items);
  if (!security) return tl::unexpected(security.error());
  stats.security = std::move(*security);
  if (!stats.security) Keep(stats.security, previous ? previous->security : std::nullopt);  // a cap cut a listing
  return {};
}

void GithubCollector::AddMetrics(SnapshotBuilder& b, const std::vector<std::string>& repos, SystemTime now) const {
  for (const auto& repo : repos) {
    const auto found = repos_.values().find(repo);
    if (found == repos_.values().end()) continue;  // never polled successfully yet
    const RepoStats& s = found->second;
    const Labels r{{"repo", repo}};
    b.Gauge("github_repo_stars", "Stargazers of the repository.", r, double(s.repo.stars));
    b.Gauge("github_repo_forks", "Forks of the repository.", r, double(s.repo.forks));
    b.Gauge("github_repo_watchers", "Users watching the repository (subscribers).", r, double(s.repo.watchers));
    if (s.contributors.value) {
      b.Gauge("github_repo_contributors", "Contributors with commits on the default branch.", r,
              double(*s.contributors.value));
    }
    b.Gauge("github_repo_info", "Repository facts as labels; always 1.",
            {{"repo", repo}, {"default_branch", s.repo.default_branch}, {"language", s.repo.language},
             {"archived", s.repo.archived ? "true" : "false"}},
            1);
    github::AddWorkflowMetrics(b, repo, s.repo.default_branch, s.workflows);
    if (s.dora) github::AddDoraMetrics(b, repo, *s.dora);
    if (s.security) github::AddSecurityMetrics(b, repo, *s.security, now);
    const Labels month{{"repo", repo}, {"window", "30d"}};
    if (s.merge_lead_times) {
      b.Summary("github_pull_request_merge_lead_time_seconds", "Time from opening to merge of PRs merged in the window.",
                month, *s.merge_lead_times);
    }
    issues_.AddMetrics(b, repo, s.issues, now);
    AddItems(b, s);
  }
  const char* spent_help =
      "Rate-limit points this exporter's GitHub requests cost (core: 1 per REST answer but 304s and /rate_limit; "
      "graphql: the cost GitHub's answers report).";
  b.Counter("github_api_points_spent_total", spent_help, {{"resource", "core"}}, double(points_spent_));
  b.Counter("github_api_points_spent_total", spent_help, {{"resource", "graphql"}}, double(graphql_points_spent_));
  const auto limits = rate_limits_.values().find("rate_limit");
  if (limits == rate_limits_.values().end()) return;
  for (const auto& limit : limits->second) {
    const Labels l{{"resource", limit.resource}};
    b.Gauge("github_rate_limit_remaining", "Requests left in the current rate-limit window.", l, double(limit.remaining));
    b.Gauge("github_rate_limit_limit", "Requests allowed per rate-limit window.", l, double(limit.limit));
    b.Gauge("github_rate_limit_reset_timestamp_seconds", "When the current rate-limit window resets.", l,
            double(limit.reset));
  }
}

}  // namespace kpi
