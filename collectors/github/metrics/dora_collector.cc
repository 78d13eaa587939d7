// DoraCollector: reads deployments (or releases, or workflow runs), the
// commits each newly shipped, and labelled issues from GitHub for
// ComputeDora (dora.cc).
#include <algorithm>

#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/github/metrics/dora.h"
#include "collectors/github/metrics/issues.h"
#include "collectors/github/metrics/workflows.h"

namespace kpi::github {
namespace {

constexpr auto kMonth = std::chrono::days(30);  // the "30d" window

// Reads a newest-first listing of deployments back to the latest success
// before the window: the compare base of the window's first deployment.
struct Reading {
  explicit Reading(SystemTime window_start) : since(window_start) {}
  SystemTime since;
  std::vector<DeploymentOutcome> outcomes;
  bool has_base = false;
  bool reached_window_start = false;
  bool statuses_cut = false;  // a deployment's statuses were cut: its outcome is unknown

  void Add(SystemTime listed_at, std::optional<DeploymentOutcome> outcome) {
    if (listed_at < since) reached_window_start = true;
    if (!outcome) return;
    if (outcome->succeeded && outcome->at < since) has_base = true;
    outcomes.push_back(std::move(*outcome));
  }
};

// Only a cut inside the window changes a number; a cut while looking further
// back for the base only leaves the first deployment's lead times out.
std::optional<std::vector<DeploymentOutcome>> Finish(Reading reading, const PageWalk& walk, PollReport& report,
                                                     const std::string& repo) {
  if (walk.truncated && !reading.reached_window_start) {
    report.Truncated(repo, "deployments");
    return std::nullopt;
  }
  if (reading.statuses_cut) {
    report.Truncated(repo, "deployment_statuses");
    return std::nullopt;
  }
  std::stable_sort(reading.outcomes.begin(), reading.outcomes.end(),
                   [](const DeploymentOutcome& a, const DeploymentOutcome& b) { return a.at < b.at; });
  return std::move(reading.outcomes);
}

// The author date of a pull request's first commit (the commits listing is
// oldest first); nullopt when the number is no pull request of this
// repository (a squash message may name an issue) or its commit has no date.
tl::expected<std::optional<SystemTime>, Error> PullRequestStart(HttpClient& http, const std::string& api_url,
                                                                const std::string& repo, int64_t number) {
  const std::string url = api_url + "/repos/" + repo + "/pulls/" + std::to_string(number) + "/commits?per_page=1";
  auto page = http.Get(url);
  if (!page) return tl::unexpected(page.error());
  if (page->status == 404) return std::optional<SystemTime>();
  if (page->status < 200 || page->status > 299) {
    return tl::unexpected(HttpStatusError(page->status, url, false, http.SendsCredentialsTo(url)));
  }
  auto commits = ParseCommits(page->body);
  if (!commits) return tl::unexpected(commits.error());
  if (commits->empty()) return std::optional<SystemTime>();
  return commits->front().authored_at;
}

}  // namespace

tl::expected<std::optional<DoraStats>, Error> DoraCollector::Collect(HttpClient& http, PollReport& report,
                                                                     const std::string& api_url,
                                                                     const std::string& repo,
                                                                     const std::string& default_branch,
                                                                     SystemTime now, size_t max_items) {
  const SystemTime since = now - kMonth;
  auto deployments = Deployments(http, report, api_url, repo, default_branch, since);
  if (!deployments) return tl::unexpected(deployments.error());
  if (!*deployments) return std::optional<DoraStats>();
  const auto& list = **deployments;
  std::map<size_t, Shipped> shipped;
  std::optional<size_t> previous;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].succeeded) continue;
    if (previous && list[i].at >= since) {
      auto commits = list[*previous].sha == list[i].sha
                         ? tl::expected<Shipped, Error>(Shipped{})  // a redeployment ships nothing new
                         : ShippedBetween(http, report, api_url, repo, list[*previous].sha, list[i].sha);
      if (commits && config_.lead_time_from == DoraConfig::LeadTimeFrom::kPullRequest) {
        commits = FromPullRequests(http, api_url, repo, std::move(*commits));
      }
      if (!commits) return tl::unexpected(commits.error());
      shipped[i] = std::move(*commits);
    }
    previous = i;
  }
  auto labelled = ReadLabelled(http, report, api_url, repo, since);
  if (!labelled) return tl::unexpected(labelled.error());
  if (!*labelled) return std::optional<DoraStats>();
  DoraStats stats = ComputeDora(list, shipped, (*labelled)->incidents, (*labelled)->rework_pulls, now);
  if (max_items > 0) {
    stats.failed_deployment_items = Shared(FailedDeploymentItems(repo, list, now, max_items));
    stats.incident_items = Shared(IncidentItems(repo, (*labelled)->incidents, now, max_items));
  }
  return stats;
}

void DoraCollector::Retain(const std::set<std::string>& repos) {
  std::lock_guard lock(mu_);
  const auto stale = [&](const auto& entry) {
    return !live_keys_.contains(entry.first) ||
           !repos.contains(entry.first.substr(0, entry.first.find_first_of(" #!")));
  };
  std::erase_if(shipped_cache_, stale);
  std::erase_if(succeeded_cache_, stale);
  std::erase_if(pull_start_cache_, stale);
  live_keys_.clear();
}

tl::expected<DoraCollector::Outcomes, Error> DoraCollector::Deployments(HttpClient& http, PollReport& report,
                                                                        const std::string& api_url,
                                                                        const std::string& repo,
                                                                        const std::string& default_branch,
                                                                        SystemTime since) {
  switch (config_.source) {
    case DoraConfig::Source::kDeployments: return FromDeployments(http, report, api_url, repo, since);
    case DoraConfig::Source::kReleases: return FromReleases(http, report, api_url, repo, since);
    case DoraConfig::Source::kWorkflow: return FromWorkflow(http, report, api_url, repo, default_branch, since);
  }
  return tl::unexpected(Error{"config", "unknown DORA source"});
}

tl::expected<DoraCollector::Outcomes, Error> DoraCollector::FromDeployments(HttpClient& http, PollReport& report,
                                                                            const std::string& api_url,
                                                                            const std::string& repo,
                                                                            SystemTime since) {
  Reading reading(since);
  const std::string base = api_url + "/repos/" + repo + "/deployments";
  auto walk = WalkPages(
      http, base + "?environment=" + UrlEncode(config_.environment) + "&per_page=100", limits_.max_pages,
      [&](const HttpResponse& page) -> tl::expected<bool, Error> {
        auto deployments = ParseDeployments(page.body);
        if (!deployments) return tl::unexpected(deployments.error());
        for (const auto& deployment : *deployments) {
          if (reading.has_base) return false;
          if (deployment.environment != config_.environment) continue;  // other environments are ignored
          // A success stays the first success: its statuses are read once.
          const std::string key = repo + "#" + std::to_string(deployment.id);
          std::optional<DeploymentOutcome> known;
          {
            std::lock_guard lock(mu_);
            live_keys_.insert(key);
            if (const auto cached = succeeded_cache_.find(key); cached != succeeded_cache_.end()) known = cached->second;
          }
          if (known) {
            reading.Add(deployment.created_at, std::move(known));
            continue;
          }
          std::vector<DeploymentStatus> statuses;
          auto status_walk = WalkPages(http, base + "/" + std::to_string(deployment.id) + "/statuses?per_page=100",
                                       limits_.max_pages, [&](const HttpResponse& status_page) -> tl::expected<bool, Error> {
                                         auto more = ParseDeploymentStatuses(status_page.body);
                                         if (!more) return tl::unexpected(more.error());
                                         statuses.insert(statuses.end(), more->begin(), more->end());
                                         return true;
                                       });
          if (!status_walk) return tl::unexpected(status_walk.error());
          auto outcome = OutcomeOf(deployment, statuses);
          if (status_walk->truncated) {
            // The first success may be on a page not read: no outcome is guessed, and no number
            // depending on it is either (the last complete values stay).
            reading.statuses_cut = true;
            return false;
          }
          if (outcome && outcome->succeeded) {
            std::lock_guard lock(mu_);
            succeeded_cache_[key] = *outcome;
          }
          reading.Add(deployment.created_at, std::move(outcome));
        }
        return !reading.has_base;
      });
  if (!walk) return tl::unexpected(walk.error());
  return Finish(std::move(reading), *walk, report, repo);
}

tl::expected<DoraCollector::Outcomes, Error> DoraCollector::FromReleases(HttpClient& http, PollReport& report,
                                                                         const std::string& api_url,
                                                                         const std::string& repo, SystemTime since) {
  Reading reading(since);
  auto walk = WalkPages(http, api_url + "/repos/" + repo + "/releases?per_page=100", limits_.max_pages,
                        [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                          auto releases = ParseReleases(page.body);
                          if (!releases) return tl::unexpected(releases.error());
                          for (const auto& release : *releases) {
                            if (reading.has_base) return false;
                            std::optional<DeploymentOutcome> outcome;
                            if (!release.draft && !release.prerelease && release.published_at) {
                              outcome = DeploymentOutcome{release.tag_name, *release.published_at, true,
                                                          release.tag_name, release.html_url};
                            }
                            reading.Add(release.published_at.value_or(release.created_at), std::move(outcome));
                          }
                          return !reading.has_base;
                        });
  if (!walk) return tl::unexpected(walk.error());
  return Finish(std::move(reading), *walk, report, repo);
}

tl::expected<DoraCollector::Outcomes, Error> DoraCollector::FromWorkflow(HttpClient& http, PollReport& report,
                                                                         const std::string& api_url,
                                                                         const std::string& repo,
                                                                         const std::string& default_branch,
                                                                         SystemTime since) {
  Reading reading(since);
  auto walk = WalkPages(http, CompletedRunsUrl(api_url, repo, config_.workflow, default_branch), limits_.max_pages,
                        [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                          auto runs = ParseWorkflowRuns(page.body);
                          if (!runs) return tl::unexpected(runs.error());
                          for (const auto& run : *runs) {
                            if (reading.has_base) return false;
                            std::optional<DeploymentOutcome> outcome;
                            if (IsOwnRun(run, limits_.ci_events) && !run.head_sha.empty()) {
                              const std::string id = "run " + std::to_string(run.id);
                              if (run.conclusion == "success") {
                                outcome = DeploymentOutcome{run.head_sha, run.updated_at, true, id, run.html_url};
                              } else if (run.conclusion == "failure" || run.conclusion == "timed_out") {
                                outcome = DeploymentOutcome{run.head_sha, run.updated_at, false, id, run.html_url};
                              }
                            }
                            reading.Add(run.updated_at, std::move(outcome));
                          }
                          return !reading.has_base;
                        });
  if (!walk) return tl::unexpected(walk.error());
  return Finish(std::move(reading), *walk, report, repo);
}

tl::expected<Shipped, Error> DoraCollector::ShippedBetween(HttpClient& http, PollReport& report,
                                                           const std::string& api_url, const std::string& repo,
                                                           const std::string& base, const std::string& head) {
  const std::string key = repo + " " + base + "..." + head;
  std::optional<Shipped> known;
  {
    std::lock_guard lock(mu_);
    live_keys_.insert(key);
    if (const auto cached = shipped_cache_.find(key); cached != shipped_cache_.end()) known = cached->second;
  }
  if (known) {
    if (known->cut) report.Truncated(repo, "deployment_commits");
    return *known;
  }
  Shipped shipped;
  int64_t total = 0, examined = 0;
  const int max_pages = (config_.max_commits_per_deployment + 99) / 100;
  auto walk = WalkPages(http, api_url + "/repos/" + repo + "/compare/" + UrlEncode(base) + "..." + UrlEncode(head) +
                                  "?per_page=100",
                        max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                          auto comparison = ParseComparison(page.body);
                          if (!comparison) return tl::unexpected(comparison.error());
                          total = comparison->total_commits;
                          for (const auto& commit : comparison->commits) {
                            if (examined == config_.max_commits_per_deployment) return false;
                            ++examined;
                            if (commit.authored_at) shipped.authored.push_back(*commit.authored_at);
                            shipped.reverts = shipped.reverts || IsRevertMessage(commit.message);
                            if (const auto pull = PullRequestOfMessage(commit.message)) {
                              shipped.pull_requests.push_back(*pull);
                            }
                          }
                          return examined < config_.max_commits_per_deployment;
                        });
  if (!walk) return tl::unexpected(walk.error());
  shipped.cut = total > examined;
  if (shipped.cut) report.Truncated(repo, "deployment_commits");
  std::lock_guard lock(mu_);
  shipped_cache_[key] = shipped;
  return shipped;
}

tl::expected<Shipped, Error> DoraCollector::FromPullRequests(HttpClient& http, const std::string& api_url,
                                                             const std::string& repo, Shipped shipped) {
  shipped.authored.clear();
  for (const int64_t number : std::set<int64_t>(shipped.pull_requests.begin(), shipped.pull_requests.end())) {
    // A merged pull request's commits never change: its first one is asked once.
    const std::string key = repo + "!" + std::to_string(number);
    std::optional<std::optional<SystemTime>> known;
    {
      std::lock_guard lock(mu_);
      live_keys_.insert(key);
      if (const auto cached = pull_start_cache_.find(key); cached != pull_start_cache_.end()) known = cached->second;
    }
    if (!known) {
      auto start = PullRequestStart(http, api_url, repo, number);
      if (!start) return tl::unexpected(start.error());
      known = *start;
      std::lock_guard lock(mu_);
      pull_start_cache_[key] = *known;
    }
    if (*known) shipped.authored.push_back(**known);
  }
  return shipped;
}

tl::expected<std::optional<DoraCollector::Labelled>, Error> DoraCollector::ReadLabelled(HttpClient& http,
                                                                                       PollReport& report,
                                                                                       const std::string& api_url,
                                                                                       const std::string& repo,
                                                                                       SystemTime since) {
  const auto has = [](const std::vector<std::string>& list, const std::string& label) {
    const std::string lower = AsciiLower(label);
    return std::any_of(list.begin(), list.end(), [&](const std::string& item) { return AsciiLower(item) == lower; });
  };
  std::set<std::string> labels(config_.incident_labels.begin(), config_.incident_labels.end());
  labels.insert(config_.rework_labels.begin(), config_.rework_labels.end());
  Labelled labelled;
  std::set<int64_t> incident_numbers;
  for (const auto& label : labels) {
    // The labels parameter ANDs its names, so each label is its own listing.
    auto walk = WalkPages(http, api_url + "/repos/" + repo + "/issues?labels=" + UrlEncode(label) +
                                    "&state=all&since=" + FormatTimestamp(StableSince(since)) + "&per_page=100",
                          limits_.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                            auto issues = ParseIssues(page.body);
                            if (!issues) return tl::unexpected(issues.error());
                            for (const auto& issue : *issues) {
                              if (issue.is_pull_request) {
                                if (has(config_.rework_labels, label)) labelled.rework_pulls.insert(issue.number);
                              } else if (has(config_.incident_labels, label) &&
                                         incident_numbers.insert(issue.number).second) {
                                labelled.incidents.push_back(Incident{issue.created_at, issue.closed_at, IssueItem(issue)});
                              }
                            }
                            return true;
                          });
    if (!walk) return tl::unexpected(walk.error());
    if (walk->truncated) {
      report.Truncated(repo, "incidents");
      return std::optional<Labelled>();
    }
  }
  return labelled;
}

}  // namespace kpi::github
