#include "collectors/github/collector.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

#include "collectors/common/parallel.h"
#include "collectors/common/rate_budget.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;
using github::Issue;

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMonth = 30 * kDay;  // the "30d" window
// Comment pages one issue's first-response lookup may take (10 000 comments):
// an issue whose first 10 000 comments are all its author's or bots' counts as
// unknown (the lookup is incomplete), not as unanswered.
constexpr int kMaxCommentPagesPerIssue = 100;
constexpr int kRestPointsPerMinute = 900;

bool IsValidRepoName(std::string_view repo) {
  const auto slash = repo.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == repo.size()) return false;
  return ConsistsOf(repo, ::isalnum, "-_./") && repo.find('/', slash + 1) == std::string_view::npos;
}

double SecondsBetween(SystemTime from, SystemTime to) { return Seconds(to - from).count(); }

// A group computed from cut data keeps its previous value (absent if none).
template <typename T>
void Keep(std::optional<T>& group, const std::optional<T>& previous) {
  group = previous;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

// Repositories are polled side by side (ParallelFor): what they share within
// one poll is guarded by `mu`.
struct GithubCollector::PollState {
  SystemTime now;
  PollLog& log;
  PollReport& report;
  Shard shard;
  std::mutex mu;
  int comment_requests_left;
  std::set<std::string> live_cache_keys;  // first-response entries still needed
  std::map<std::string, FirstResponseLookup> checked;  // this poll's lookups

  // Takes up to `wanted` comment pages from the poll's budget; returns how many.
  int ReserveCommentPages(int wanted) {
    std::lock_guard lock(mu);
    const int granted = std::clamp(comment_requests_left, 0, wanted);
    comment_requests_left -= granted;
    return granted;
  }
  void ReturnCommentPages(int unused) {
    std::lock_guard lock(mu);
    comment_requests_left += unused;
  }
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
  if (auto comments = reader.Integer("max_comment_requests", 0, 100000)) config.max_comment_requests = int(*comments);
  if (auto security = reader.Bool("security")) config.security = *security;
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
    : config_(std::move(config)), security_(config_.max_pages) {
  if (config_.dora) dora_.emplace(*config_.dora, github::DoraCollector::Limits{config_.ci_events, config_.max_pages});
  for (auto& label : config_.bug_labels) label = AsciiLower(label);
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
  options.cost = [](const HttpRequest& request, const HttpResponse& response) {
    const std::string_view url = request.url;
    const bool free = response.status == 304 || url.ends_with("/rate_limit") || url.find("/app/installations/") != url.npos ||
                      url.ends_with("/installation");
    return free ? 0 : 1;
  };
  // GitHub's secondary limit: "no more than 900 points per minute" for REST
  // (a GET is 1 point; 304s counted too, to stay on the safe side).
  options.max_requests_per_minute = kRestPointsPerMinute;
  return options;
}

std::chrono::milliseconds GithubCollector::BudgetedInterval(double spent, SystemTime now) const {
  const auto limits = rate_limits_.values().find("rate_limit");
  if (limits == rate_limits_.values().end()) return config_.settings.interval;
  for (const auto& limit : limits->second) {
    if (limit.resource != "core") continue;
    const auto until_reset = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::seconds(limit.reset) - now.time_since_epoch());
    return StretchedInterval(config_.settings.interval, spent, double(limit.remaining), until_reset);
  }
  return config_.settings.interval;
}

void GithubCollector::UseInstallationOf(std::string_view target) {
  if (app_auth_) app_auth_->UseInstallationOf(target);
}

tl::expected<Snapshot, Error> GithubCollector::Poll(HttpClient& http, PollContext& context) {
  PollState state{context.clock.Now(), context.log, context.report, context.shard, {}, config_.max_comment_requests,
                  {}, {}};
  std::vector<Error> errors;

  const int64_t spent_before = http.points_spent();
  auto repos = ResolveRepos(http, state, errors);
  if (!repos) return tl::unexpected(repos.error());
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
  for (size_t i = 0; i < n; ++i) {
    if (!repos_.UpdateTarget((*repos)[i], std::move(results[i]), errors, context.report)) {
      return tl::unexpected(errors.back());
    }
  }
  repos_.Retain(*repos);
  if (dora_) dora_->Retain(std::set<std::string>(repos->begin(), repos->end()));
  std::erase_if(first_response_cache_, [&](const auto& entry) { return !state.live_cache_keys.contains(entry.first); });

  // /rate_limit is free: it does not count against the limit it reports.
  rate_limits_.Update("rate_limit",
                      http.GetOk(config_.settings.api_url + "/rate_limit").and_then([](const HttpResponse& r) {
                        return github::ParseRateLimits(r.body);
                      }),
                      errors);
  const int64_t spent = http.points_spent() - spent_before;
  points_spent_ += spent;
  context.next_interval = BudgetedInterval(double(spent), state.now);
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

tl::expected<GithubCollector::RepoStats, Error> GithubCollector::PollRepo(HttpClient& http, PollState& state,
                                                                          const std::string& repo) {
  const auto found = repos_.values().find(repo);
  const RepoStats* previous = found == repos_.values().end() ? nullptr : &found->second;
  RepoStats stats;
  UseInstallationOf(repo);
  auto info = http.GetOk(config_.settings.api_url + "/repos/" + repo).and_then([](const HttpResponse& r) {
    return github::ParseRepo(r.body);
  });
  if (!info) return tl::unexpected(info.error());
  stats.repo = std::move(*info);

  for (auto step : {&GithubCollector::CollectIssues, &GithubCollector::CollectWorkflows,
                    &GithubCollector::CollectMergeLeadTimes, &GithubCollector::CollectDora,
                    &GithubCollector::CollectSecurity}) {
    if (auto done = (this->*step)(http, state, repo, previous, stats); !done) return tl::unexpected(done.error());
  }
  if (auto done = CountContributors(http, state, repo, stats); !done) return tl::unexpected(done.error());
  return stats;
}

tl::expected<void, Error> GithubCollector::CollectIssues(HttpClient& http, PollState& state, const std::string& repo,
                                                         const RepoStats* previous, RepoStats& stats) {
  const std::string base = config_.settings.api_url + "/repos/" + repo + "/issues?per_page=100";
  OpenCounts open;
  std::vector<Issue> open_issues;
  std::vector<Issue> recent_issues;  // opened in the last 30 days, any state
  const auto collect = [&](std::vector<Issue>& into, int64_t* pull_requests) {
    return [&, pull_requests](const HttpResponse& page) -> tl::expected<bool, Error> {
      auto issues = github::ParseIssues(page.body);
      if (!issues) return tl::unexpected(issues.error());
      for (auto& issue : *issues) {
        if (issue.is_pull_request) {
          if (pull_requests) ++*pull_requests;
        } else {
          into.push_back(std::move(issue));
        }
      }
      return true;
    };
  };
  // The issues API lists pull requests too; they are counted apart, never as issues.
  auto open_walk = WalkPages(http, base + "&state=open", config_.max_pages, collect(open_issues, &open.pull_requests));
  if (!open_walk) return tl::unexpected(open_walk.error());
  open.issues = int64_t(open_issues.size());

  // `since` filters by last update, a superset of issues created since then.
  const SystemTime month_ago = state.now - kMonth;
  auto recent_walk = WalkPages(http, base + "&state=all&since=" + FormatTimestamp(month_ago), config_.max_pages,
                               collect(recent_issues, nullptr));
  if (!recent_walk) return tl::unexpected(recent_walk.error());
  std::erase_if(recent_issues, [&](const Issue& issue) { return issue.created_at < month_ago; });

  Opened opened;
  std::vector<double> first_responses;
  bool responses_complete = true;
  for (const Issue& issue : recent_issues) {
    const bool is_bug = std::any_of(issue.labels.begin(), issue.labels.end(), [&](const std::string& label) {
      return Contains(config_.bug_labels, AsciiLower(label));
    });
    const bool last_day = issue.created_at >= state.now - kDay;
    opened.month += 1;
    opened.month_bugs += is_bug;
    opened.day += last_day;
    opened.day_bugs += last_day && is_bug;
    auto response = FirstResponse(http, state, repo, issue);
    if (!response) return tl::unexpected(response.error());
    responses_complete = responses_complete && response->complete;
    if (response->at) first_responses.push_back(SecondsBetween(issue.created_at, *response->at));
  }

  Awaiting awaiting;
  bool awaiting_complete = true;
  for (const Issue& issue : open_issues) {
    if (issue.created_at < state.now - config_.awaiting_response_window) continue;
    auto response = FirstResponse(http, state, repo, issue);
    if (!response) return tl::unexpected(response.error());
    awaiting_complete = awaiting_complete && response->complete;
    if (response->at) continue;
    ++awaiting.count;
    if (!awaiting.oldest_created || issue.created_at < *awaiting.oldest_created) awaiting.oldest_created = issue.created_at;
  }

  static const RepoStats kNever;  // "previous" before the first good poll: every group absent
  const RepoStats& last = previous ? *previous : kNever;
  stats.open = open;
  stats.awaiting = awaiting;
  stats.opened = opened;
  stats.first_responses = std::move(first_responses);
  if (open_walk->truncated) {
    state.report.Truncated(repo, "open_issues");
    Keep(stats.open, last.open);
    Keep(stats.awaiting, last.awaiting);
  } else if (!awaiting_complete) {
    state.report.Truncated(repo, "comments");
    Keep(stats.awaiting, last.awaiting);
  }
  if (recent_walk->truncated) {
    state.report.Truncated(repo, "recent_issues");
    Keep(stats.opened, last.opened);
    Keep(stats.first_responses, last.first_responses);
  } else if (!responses_complete) {
    state.report.Truncated(repo, "comments");
    Keep(stats.first_responses, last.first_responses);
  }
  return {};
}

tl::expected<GithubCollector::FirstResponseLookup, Error> GithubCollector::FirstResponse(HttpClient& http,
                                                                                        PollState& state,
                                                                                        const std::string& repo,
                                                                                        const Issue& issue) {
  if (issue.comments == 0) return FirstResponseLookup{};
  const std::string key = repo + "#" + std::to_string(issue.number);
  {
    std::lock_guard lock(state.mu);
    state.live_cache_keys.insert(key);
    if (const auto checked = state.checked.find(key); checked != state.checked.end()) return checked->second;
  }
  {
    std::lock_guard lock(shared_mu_);
    if (const auto cached = first_response_cache_.find(key); cached != first_response_cache_.end()) {
      return FirstResponseLookup{true, cached->second};
    }
  }
  std::optional<SystemTime> first;
  const std::string url = config_.settings.api_url + "/repos/" + repo + "/issues/" + std::to_string(issue.number) +
                          "/comments?per_page=100";
  // Each page is taken from the shared budget just before it is fetched (the
  // first here, each next one when the page read says there is one), so
  // parallel lookups never spend more than max_comment_requests together and
  // none holds pages it does not use.
  bool budget_ran_out = state.ReserveCommentPages(1) == 0;
  if (budget_ran_out) {
    std::lock_guard lock(state.mu);
    return state.checked[key] = FirstResponseLookup{false, std::nullopt};
  }
  auto walk = WalkPages(http, url, kMaxCommentPagesPerIssue, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
    auto comments = github::ParseComments(page.body);
    if (!comments) return tl::unexpected(comments.error());
    for (const auto& comment : *comments) {
      // A deleted author (no login) can only be answered by someone with one.
      if (comment.author_is_bot || comment.author.empty() || comment.author == issue.author) continue;
      if (!first || comment.created_at < *first) first = comment.created_at;
    }
    if (first) return false;  // pages come oldest first: a later page cannot hold an earlier answer
    if (!ParseLinkHeader(page.Header("link")).contains("next")) return true;  // the last page: the walk ends
    budget_ran_out = state.ReserveCommentPages(1) == 0;
    return !budget_ran_out;
  });
  if (!walk) {
    state.ReturnCommentPages(1);  // the failed page was reserved but not answered
    return tl::unexpected(walk.error());
  }
  if (budget_ran_out) {
    walk->truncated = true;
  } else if (walk->truncated) {
    state.ReturnCommentPages(1);  // reserved for the page after kMaxCommentPagesPerIssue, never fetched
  }
  const FirstResponseLookup lookup{first || !walk->truncated, first};
  if (first) {
    std::lock_guard lock(shared_mu_);
    first_response_cache_[key] = *first;
  }
  std::lock_guard lock(state.mu);
  state.checked[key] = lookup;
  return lookup;
}

tl::expected<void, Error> GithubCollector::CountContributors(HttpClient& http, PollState& state, const std::string& repo,
                                                             RepoStats& stats) {
  // One item per page: the rel="last" link's page number is the count.
  const std::string url = config_.settings.api_url + "/repos/" + repo + "/contributors?per_page=1";
  auto page = http.Get(url);
  if (!page) return tl::unexpected(page.error());
  // Very large repositories: 403 "The history or contributor list is too large
  // to list contributors for this repository via the API." Only this metric is
  // absent; it is no failure, and it is logged once.
  if (page->status == 403 && AsciiLower(page->body).find("too large") != std::string::npos) {
    std::unique_lock lock(shared_mu_);
    if (contributors_refused_.insert(repo).second) {
      state.log.Warn(repo + ": GitHub will not list contributors of a repository this large; "
                            "github_repo_contributors is left out for it");
    }
    return {};
  }
  if (page->status < 200 || page->status > 299) {
    return tl::unexpected(HttpStatusError(page->status, url, false, http.SendsCredentialsTo(url)));
  }
  {
    std::lock_guard lock(shared_mu_);
    contributors_refused_.erase(repo);
  }
  if (page->status == 204) {  // an empty repository
    stats.contributors = 0;
    return {};
  }
  const auto links = ParseLinkHeader(page->Header("link"));
  if (const auto last = links.find("last"); last != links.end()) {
    const auto number = QueryParam(last->second, "page");
    try {
      // A count below zero is a malformed answer, not a number to export.
      if (number && std::stoll(*number) >= 0) {
        stats.contributors = std::stoll(*number);
        return {};
      }
    } catch (const std::exception&) {
    }
    return tl::unexpected(Error{"parse", "contributors: rel=\"last\" link without a valid page number"});
  }
  auto count = github::ParseArrayLength(page->body);
  if (!count) return tl::unexpected(count.error());
  stats.contributors = *count;
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
  return {};
}

tl::expected<void, Error> GithubCollector::CollectMergeLeadTimes(HttpClient& http, PollState& state,
                                                                 const std::string& repo, const RepoStats* previous,
                                                                 RepoStats& stats) {
  const SystemTime month_ago = state.now - kMonth;
  std::vector<double> lead_times;
  // Newest updates first: once a page reaches PRs last touched before the
  // window, no later page can hold a PR merged inside it.
  auto walk = WalkPages(http, config_.settings.api_url + "/repos/" + repo +
                                  "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
                        config_.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                          auto pulls = github::ParsePullRequests(page.body);
                          if (!pulls) return tl::unexpected(pulls.error());
                          bool reached_window_start = false;
                          for (const auto& pull : *pulls) {
                            if (pull.updated_at < month_ago) reached_window_start = true;
                            if (pull.merged_at && *pull.merged_at >= month_ago) {
                              lead_times.push_back(std::max(0.0, SecondsBetween(pull.created_at, *pull.merged_at)));
                            }
                          }
                          return !reached_window_start;
                        });
  if (!walk) return tl::unexpected(walk.error());
  stats.merge_lead_times = std::move(lead_times);
  if (walk->truncated) {
    state.report.Truncated(repo, "pull_requests");
    Keep(stats.merge_lead_times, previous ? previous->merge_lead_times : std::nullopt);
  }
  return {};
}

tl::expected<void, Error> GithubCollector::CollectDora(HttpClient& http, PollState& state, const std::string& repo,
                                                       const RepoStats* previous, RepoStats& stats) {
  if (!dora_) return {};
  auto dora = dora_->Collect(http, state.report, config_.settings.api_url, repo, stats.repo.default_branch, state.now);
  if (!dora) return tl::unexpected(dora.error());
  stats.dora = std::move(*dora);
  if (!stats.dora) Keep(stats.dora, previous ? previous->dora : std::nullopt);  // a cap cut a listing
  return {};
}

tl::expected<void, Error> GithubCollector::CollectSecurity(HttpClient& http, PollState& state, const std::string& repo,
                                                           const RepoStats* previous, RepoStats& stats) {
  if (!config_.security) return {};
  auto security = security_.Collect(http, state.report, state.log, config_.settings.api_url, repo, state.now);
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
    if (s.open) {
      b.Gauge("github_repo_open_issues", "Open issues, pull requests excluded.", r, double(s.open->issues));
      b.Gauge("github_repo_open_pull_requests", "Open pull requests.", r, double(s.open->pull_requests));
    }
    if (s.contributors) {
      b.Gauge("github_repo_contributors", "Contributors with commits on the default branch.", r,
              double(*s.contributors));
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
    if (s.first_responses) {
      b.Summary("github_issue_first_response_seconds",
                "Time to the first comment by someone other than the author (bots excluded), issues opened in the "
                "window.",
                month, *s.first_responses);
    }
    if (s.awaiting) {
      const Labels awaiting{{"repo", repo}, {"window", FormatDuration(config_.awaiting_response_window)}};
      b.Gauge("github_issues_awaiting_response",
              "Open issues opened in the window without a response from anyone but the author or bots.", awaiting,
              double(s.awaiting->count));
      b.Gauge("github_issues_awaiting_response_oldest_age_seconds",
              "Age of the oldest open issue opened in the window still awaiting a first response; 0 when none.",
              awaiting,
              s.awaiting->oldest_created ? std::max(0.0, SecondsBetween(*s.awaiting->oldest_created, now)) : 0);
    }
    if (s.opened) {
      const char* help =
          "Issues opened in the window (pull requests excluded); kind=bug counts the configured bug labels.";
      const Opened& o = *s.opened;
      b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "1d"}, {"kind", "all"}}, double(o.day));
      b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "1d"}, {"kind", "bug"}}, double(o.day_bugs));
      b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "30d"}, {"kind", "all"}}, double(o.month));
      b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "30d"}, {"kind", "bug"}},
              double(o.month_bugs));
    }
  }
  b.Counter("github_api_points_spent_total",
            "Rate-limit points this exporter's GitHub requests cost (REST: 1 per answer but 304s and /rate_limit).",
            {{"resource", "core"}}, double(points_spent_));
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
