#include "collectors/github.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "collectors/pagination.h"
#include "collectors/text.h"
#include "collectors/time_util.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;
using github::Issue;

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMonth = 30 * kDay;  // the "30d" window

bool IsValidRepoName(std::string_view repo) {
  const auto slash = repo.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == repo.size()) return false;
  return ConsistsOf(repo, ::isalnum, "-_./") && repo.find('/', slash + 1) == std::string_view::npos;
}

// A workflow's health counts runs that passed or failed; cancelled, skipped
// and neutral runs say nothing about the code and are ignored.
bool IsDecisive(std::string_view conclusion) {
  return conclusion == "success" || conclusion == "failure" || conclusion == "timed_out" ||
         conclusion == "startup_failure";
}

double SecondsBetween(SystemTime from, SystemTime to) { return Seconds(to - from).count(); }

}  // namespace

struct GithubCollector::PollState {
  SystemTime now;
  PollLog& log;
  int comment_requests_left;
  std::set<std::string> live_cache_keys;  // first-response entries still needed
  std::map<std::string, std::optional<SystemTime>> checked;  // this poll's lookups, answered or not
};

std::unique_ptr<Collector> MakeGithubCollector(SectionReader& reader) {
  GithubConfig config;
  config.settings = ReadSourceSettings(reader, {"https://api.github.com", 5min, 10s});
  config.token = reader.Secret("token").value_or("");
  config.repos = reader.StringList("repos");
  config.orgs = reader.StringList("orgs");
  if (reader.ok()) {
    for (const auto& repo : config.repos) {
      if (!IsValidRepoName(repo)) reader.Fail("repos", "repos entry '" + repo + "' is not of the form owner/name");
    }
  }
  if (auto labels = reader.StringList("bug_labels"); !labels.empty() || !reader.ok()) config.bug_labels = labels;
  if (auto runs = reader.Integer("workflow_runs", 1, 100)) config.workflow_runs = int(*runs);
  if (auto pages = reader.Integer("max_pages", 1, 1000)) config.max_pages = int(*pages);
  if (auto comments = reader.Integer("max_comment_requests", 0, 100000)) config.max_comment_requests = int(*comments);
  if (reader.ok() && config.repos.empty() && config.orgs.empty()) {
    reader.Fail("repos", "[github] needs at least one entry in 'repos' or 'orgs'");
  }
  if (!reader.ok()) return nullptr;
  return std::make_unique<GithubCollector>(std::move(config));
}

GithubCollector::GithubCollector(GithubConfig config) : config_(std::move(config)) {
  for (auto& label : config_.bug_labels) label = AsciiLower(label);
}

HttpClientOptions GithubCollector::http_options() const {
  return BaseHttpOptions(config_.settings, config_.token.empty() ? "" : "Bearer " + config_.token,
                         {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}});
}

tl::expected<Snapshot, Error> GithubCollector::Poll(HttpClient& http, PollContext& context) {
  PollState state{context.clock.Now(), context.log, config_.max_comment_requests, {}, {}};
  std::vector<Error> errors;

  auto repos = ResolveRepos(http, errors);
  if (!repos) return tl::unexpected(repos.error());
  for (const auto& repo : *repos) {
    if (!repos_.Update(repo, PollRepo(http, state, repo), errors)) return tl::unexpected(errors.back());
  }
  repos_.Retain(*repos);
  std::erase_if(first_response_cache_, [&](const auto& entry) { return !state.live_cache_keys.contains(entry.first); });

  // /rate_limit is free: it does not count against the limit it reports.
  rate_limits_.Update("rate_limit",
                      http.GetOk(config_.settings.api_url + "/rate_limit").and_then([](const HttpResponse& r) {
                        return github::ParseRateLimits(r.body);
                      }),
                      errors);
  if (Canceled(errors)) return tl::unexpected(errors.back());

  SnapshotBuilder builder;
  AddMetrics(builder, *repos);
  return FinishPoll(std::move(builder), errors);
}

tl::expected<std::vector<std::string>, Error> GithubCollector::ResolveRepos(HttpClient& http, std::vector<Error>& errors) {
  std::set<std::string> repos(config_.repos.begin(), config_.repos.end());
  for (const auto& org : config_.orgs) {
    std::vector<std::string> names;
    auto walk = WalkPages(http, config_.settings.api_url + "/orgs/" + UrlEncode(org) + "/repos?type=all&per_page=100",
                          config_.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                            auto page_names = github::ParseActiveRepoNames(page.body);
                            if (!page_names) return tl::unexpected(page_names.error());
                            names.insert(names.end(), page_names->begin(), page_names->end());
                            return true;
                          });
    auto listed = walk.map([&](const PageWalk&) { return names; });
    if (!org_repos_.Update("org " + org, std::move(listed), errors)) return tl::unexpected(errors.back());
    if (const auto known = org_repos_.values().find("org " + org); known != org_repos_.values().end()) {
      repos.insert(known->second.begin(), known->second.end());
    }
  }
  return std::vector<std::string>(repos.begin(), repos.end());
}

tl::expected<GithubCollector::RepoStats, Error> GithubCollector::PollRepo(HttpClient& http, PollState& state,
                                                                          const std::string& repo) {
  const std::string base = config_.settings.api_url + "/repos/" + repo;
  RepoStats stats;
  auto info = http.GetOk(base).and_then([](const HttpResponse& r) { return github::ParseRepo(r.body); });
  if (!info) return tl::unexpected(info.error());
  stats.repo = std::move(*info);

  if (auto issues = CollectIssues(http, state, repo, stats); !issues) return tl::unexpected(issues.error());

  auto contributors = CountContributors(http, repo);
  if (!contributors) return tl::unexpected(contributors.error());
  stats.contributors = *contributors;

  auto workflows = CollectWorkflows(http, repo, stats.repo.default_branch);
  if (!workflows) return tl::unexpected(workflows.error());
  stats.workflows = std::move(*workflows);

  auto lead_times = CollectMergeLeadTimes(http, state, repo);
  if (!lead_times) return tl::unexpected(lead_times.error());
  stats.merge_lead_times = std::move(*lead_times);
  return stats;
}

tl::expected<void, Error> GithubCollector::CollectIssues(HttpClient& http, PollState& state, const std::string& repo,
                                                         RepoStats& stats) {
  const std::string base = config_.settings.api_url + "/repos/" + repo + "/issues?per_page=100";
  std::vector<Issue> open_issues;
  std::vector<Issue> recent_issues;  // opened in the last 30 days, any state
  const auto collect = [&](std::vector<Issue>& into, bool count_pull_requests) {
    return [&, count_pull_requests](const HttpResponse& page) -> tl::expected<bool, Error> {
      auto issues = github::ParseIssues(page.body);
      if (!issues) return tl::unexpected(issues.error());
      for (auto& issue : *issues) {
        if (issue.is_pull_request) {
          if (count_pull_requests) ++stats.open_pull_requests;
        } else {
          into.push_back(std::move(issue));
        }
      }
      return true;
    };
  };
  // The issues API lists pull requests too; they are counted apart, never as issues.
  auto open_walk = WalkPages(http, base + "&state=open", config_.max_pages, collect(open_issues, true));
  if (!open_walk) return tl::unexpected(open_walk.error());
  if (open_walk->truncated) state.log.Warn(repo + ": open issues truncated at max_pages; counts are a lower bound");
  stats.open_issues = int64_t(open_issues.size());

  // `since` filters by last update, a superset of issues created since then.
  const SystemTime month_ago = state.now - kMonth;
  auto recent_walk = WalkPages(http, base + "&state=all&since=" + FormatTimestamp(month_ago), config_.max_pages,
                               collect(recent_issues, false));
  if (!recent_walk) return tl::unexpected(recent_walk.error());
  std::erase_if(recent_issues, [&](const Issue& issue) { return issue.created_at < month_ago; });

  for (const Issue& issue : recent_issues) {
    const bool is_bug = std::any_of(issue.labels.begin(), issue.labels.end(), [&](const std::string& label) {
      return std::find(config_.bug_labels.begin(), config_.bug_labels.end(), AsciiLower(label)) != config_.bug_labels.end();
    });
    const bool last_day = issue.created_at >= state.now - kDay;
    stats.opened_30d += 1;
    stats.opened_30d_bugs += is_bug;
    stats.opened_1d += last_day;
    stats.opened_1d_bugs += last_day && is_bug;
    auto response = FirstResponse(http, state, repo, issue);
    if (!response) return tl::unexpected(response.error());
    if (*response) stats.first_responses.push_back(SecondsBetween(issue.created_at, **response));
  }

  std::optional<SystemTime> oldest_awaiting;
  for (const Issue& issue : open_issues) {
    auto response = FirstResponse(http, state, repo, issue);
    if (!response) return tl::unexpected(response.error());
    if (*response) continue;
    ++stats.awaiting_response;
    if (!oldest_awaiting || issue.created_at < *oldest_awaiting) oldest_awaiting = issue.created_at;
  }
  stats.oldest_awaiting_age_seconds = oldest_awaiting ? std::max(0.0, SecondsBetween(*oldest_awaiting, state.now)) : 0;
  return {};
}

tl::expected<std::optional<SystemTime>, Error> GithubCollector::FirstResponse(HttpClient& http, PollState& state,
                                                                               const std::string& repo,
                                                                               const Issue& issue) {
  if (issue.comments == 0) return std::nullopt;
  const std::string key = repo + "#" + std::to_string(issue.number);
  state.live_cache_keys.insert(key);
  if (const auto cached = first_response_cache_.find(key); cached != first_response_cache_.end()) {
    return cached->second;
  }
  if (const auto checked = state.checked.find(key); checked != state.checked.end()) return checked->second;
  std::optional<SystemTime> first;
  const std::string url = config_.settings.api_url + "/repos/" + repo + "/issues/" + std::to_string(issue.number) +
                          "/comments?per_page=100";
  auto walk = WalkPages(http, url, state.comment_requests_left, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
    auto comments = github::ParseComments(page.body);
    if (!comments) return tl::unexpected(comments.error());
    for (const auto& comment : *comments) {
      if (comment.author_is_bot || comment.author.empty() || comment.author == issue.author) continue;
      if (!first || comment.created_at < *first) first = comment.created_at;
    }
    return !first;  // comments come oldest first: stop at the first page with an answer
  });
  if (!walk) return tl::unexpected(walk.error());
  state.comment_requests_left -= walk->pages;
  if (walk->truncated && !first) {
    state.log.Warn(repo + ": max_comment_requests reached; issue #" + std::to_string(issue.number) +
                   " counted as awaiting a response");
  }
  if (first) first_response_cache_[key] = *first;
  state.checked[key] = first;
  return first;
}

tl::expected<int64_t, Error> GithubCollector::CountContributors(HttpClient& http, const std::string& repo) {
  // One item per page: the rel="last" link's page number is the count.
  auto page = http.GetOk(config_.settings.api_url + "/repos/" + repo + "/contributors?per_page=1");
  if (!page) return tl::unexpected(page.error());
  if (page->status == 204) return 0;  // an empty repository
  const auto links = ParseLinkHeader(page->Header("link"));
  if (const auto last = links.find("last"); last != links.end()) {
    const auto number = QueryParam(last->second, "page");
    try {
      if (number) return std::stoll(*number);
    } catch (const std::exception&) {
    }
    return tl::unexpected(Error{"parse", "contributors: rel=\"last\" link without a page number"});
  }
  return github::ParseArrayLength(page->body);
}

tl::expected<std::vector<GithubCollector::WorkflowStats>, Error> GithubCollector::CollectWorkflows(
    HttpClient& http, const std::string& repo, const std::string& branch) {
  const std::string base = config_.settings.api_url + "/repos/" + repo + "/actions/workflows";
  auto workflows = http.GetOk(base + "?per_page=100").and_then([](const HttpResponse& r) {
    return github::ParseWorkflows(r.body);
  });
  if (!workflows) return tl::unexpected(workflows.error());
  std::vector<WorkflowStats> out;
  for (const auto& workflow : *workflows) {
    if (!workflow.active) continue;
    auto runs = http.GetOk(base + "/" + std::to_string(workflow.id) + "/runs?branch=" + UrlEncode(branch) +
                           "&status=completed&per_page=" + std::to_string(config_.workflow_runs))
                    .and_then([](const HttpResponse& r) { return github::ParseWorkflowRuns(r.body); });
    if (!runs) return tl::unexpected(runs.error());
    std::erase_if(*runs, [](const github::WorkflowRun& run) { return !IsDecisive(run.conclusion); });
    if (runs->empty()) continue;  // nothing to judge yet: no series rather than a made-up value
    const auto& latest = runs->front();  // newest first
    const auto successes = std::count_if(runs->begin(), runs->end(),
                                         [](const github::WorkflowRun& run) { return run.conclusion == "success"; });
    out.push_back(WorkflowStats{workflow.name, latest.conclusion != "success", double(successes) / double(runs->size()),
                                std::max(0.0, SecondsBetween(latest.started_at, latest.updated_at)),
                                ToUnixSeconds(latest.updated_at)});
  }
  return out;
}

tl::expected<std::vector<double>, Error> GithubCollector::CollectMergeLeadTimes(HttpClient& http, PollState& state,
                                                                                const std::string& repo) {
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
  return lead_times;
}

void GithubCollector::AddMetrics(SnapshotBuilder& b, const std::vector<std::string>& repos) const {
  for (const auto& repo : repos) {
    const auto found = repos_.values().find(repo);
    if (found == repos_.values().end()) continue;  // never polled successfully yet
    const RepoStats& s = found->second;
    const Labels r{{"repo", repo}};
    b.Gauge("github_repo_stars", "Stargazers of the repository.", r, double(s.repo.stars));
    b.Gauge("github_repo_forks", "Forks of the repository.", r, double(s.repo.forks));
    b.Gauge("github_repo_watchers", "Users watching the repository (subscribers).", r, double(s.repo.watchers));
    b.Gauge("github_repo_open_issues", "Open issues, pull requests excluded.", r, double(s.open_issues));
    b.Gauge("github_repo_open_pull_requests", "Open pull requests.", r, double(s.open_pull_requests));
    b.Gauge("github_repo_contributors", "Contributors with commits on the default branch.", r, double(s.contributors));
    b.Gauge("github_repo_info", "Repository facts as labels; always 1.",
            {{"repo", repo}, {"default_branch", s.repo.default_branch}, {"language", s.repo.language},
             {"archived", s.repo.archived ? "true" : "false"}},
            1);
    for (const auto& w : s.workflows) {
      const Labels wl{{"repo", repo}, {"workflow", w.name}, {"branch", s.repo.default_branch}};
      b.Gauge("github_workflow_failing", "1 when the latest completed run on the default branch failed.", wl,
              w.failing ? 1 : 0);
      b.Gauge("github_workflow_success_ratio", "Share of successful runs among the last completed runs (0-1).", wl,
              w.success_ratio);
      b.Gauge("github_workflow_last_run_duration_seconds", "Duration of the latest completed run.", wl,
              w.last_run_duration_seconds);
      b.Gauge("github_workflow_last_run_timestamp_seconds", "When the latest completed run finished.", wl,
              w.last_run_timestamp_seconds);
    }
    const Labels month{{"repo", repo}, {"window", "30d"}};
    b.Summary("github_pull_request_merge_lead_time_seconds", "Time from opening to merge of PRs merged in the window.",
              month, s.merge_lead_times);
    b.Summary("github_issue_first_response_seconds",
              "Time to the first comment by someone other than the author (bots excluded), issues opened in the window.",
              month, s.first_responses);
    b.Gauge("github_issues_awaiting_response", "Open issues without a response from anyone but the author or bots.", r,
            double(s.awaiting_response));
    b.Gauge("github_issues_awaiting_response_oldest_age_seconds",
            "Age of the oldest open issue still awaiting a first response; 0 when none.", r,
            s.oldest_awaiting_age_seconds);
    const char* help = "Issues opened in the window (pull requests excluded); kind=bug counts the configured bug labels.";
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "1d"}, {"kind", "all"}}, double(s.opened_1d));
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "1d"}, {"kind", "bug"}}, double(s.opened_1d_bugs));
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "30d"}, {"kind", "all"}}, double(s.opened_30d));
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "30d"}, {"kind", "bug"}},
            double(s.opened_30d_bugs));
  }
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
