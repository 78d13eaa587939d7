#include "collectors/github/dora.h"

#include <algorithm>
#include <cctype>

#include "collectors/common/section_reader.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/github/workflows.h"

namespace kpi::github {
namespace {

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMonth = 30 * kDay;  // the "30d" window

double SecondsBetween(SystemTime from, SystemTime to) { return std::max(0.0, Seconds(to - from).count()); }

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

}  // namespace

std::optional<DoraConfig> ReadDoraConfig(SectionReader& reader) {
  DoraConfig config;
  if (const auto source = reader.String("source")) {
    if (*source == "deployments") {
      config.source = DoraConfig::Source::kDeployments;
    } else if (*source == "releases") {
      config.source = DoraConfig::Source::kReleases;
    } else if (*source == "workflow") {
      config.source = DoraConfig::Source::kWorkflow;
    } else {
      reader.Fail("source", "'source' in [github.dora] must be \"deployments\", \"releases\" or \"workflow\", not '" +
                                *source + "'");
    }
  }
  if (const auto environment = reader.String("environment")) {
    if (environment->empty()) reader.Fail("environment", "'environment' in [github.dora] must not be empty");
    config.environment = *environment;
  }
  config.workflow = reader.String("workflow").value_or("");
  if (auto labels = reader.StringList("incident_labels"); !labels.empty() || !reader.ok()) {
    config.incident_labels = labels;
  }
  if (auto labels = reader.StringList("rework_labels"); !labels.empty() || !reader.ok()) config.rework_labels = labels;
  if (const auto cap = reader.Integer("max_commits_per_deployment", 1, 10000)) {
    config.max_commits_per_deployment = int(*cap);
  }
  if (const auto from = reader.String("lead_time_from"); from && *from != "commit") {
    reader.Fail("lead_time_from", "'lead_time_from' in [github.dora] supports only \"commit\" so far");
  }
  if (reader.ok() && config.source == DoraConfig::Source::kWorkflow && config.workflow.empty()) {
    reader.Fail("source", "source = \"workflow\" in [github.dora] needs 'workflow' (a file name such as "
                          "\"deploy.yml\", or an id)");
  }
  if (!reader.ok()) return std::nullopt;
  return config;
}

bool IsRevertMessage(std::string_view message) { return message.starts_with("Revert \""); }

std::optional<int64_t> PullRequestOfMessage(std::string_view message) {
  const std::string_view line = message.substr(0, message.find('\n'));
  const auto number = [](std::string_view digits) -> std::optional<int64_t> {
    if (digits.empty() || digits.size() > 12 || !ConsistsOf(digits, ::isdigit)) return std::nullopt;
    return std::stoll(std::string(digits));
  };
  constexpr std::string_view kMerge = "Merge pull request #";
  if (line.starts_with(kMerge)) {
    const std::string_view rest = line.substr(kMerge.size());
    return number(rest.substr(0, rest.find(' ')));
  }
  if (const auto open = line.rfind("(#"); open != std::string_view::npos && line.ends_with(")")) {
    return number(line.substr(open + 2, line.size() - open - 3));
  }
  return std::nullopt;
}

std::optional<DeploymentOutcome> OutcomeOf(const Deployment& deployment, const std::vector<DeploymentStatus>& statuses) {
  std::optional<SystemTime> first_success;
  const DeploymentStatus* latest = nullptr;
  for (const auto& status : statuses) {
    if (status.state == "success" && (!first_success || status.created_at < *first_success)) {
      first_success = status.created_at;
    }
    if (!latest || status.created_at > latest->created_at) latest = &status;
  }
  // Superseded deployments later turn `inactive`: any success decides.
  if (first_success) return DeploymentOutcome{deployment.sha, *first_success, true};
  if (latest && (latest->state == "failure" || latest->state == "error")) {
    return DeploymentOutcome{deployment.sha, latest->created_at, false};
  }
  return std::nullopt;
}

DoraStats ComputeDora(const std::vector<DeploymentOutcome>& deployments, const std::map<size_t, Shipped>& shipped,
                      const std::vector<Incident>& incidents, const std::set<int64_t>& rework_pulls, SystemTime now) {
  DoraStats stats;
  const SystemTime month_ago = now - kMonth;
  const auto opened_between = [&](std::optional<SystemTime> after, SystemTime until) {
    return std::any_of(incidents.begin(), incidents.end(), [&](const Incident& incident) {
      return (!after || incident.opened > *after) && incident.opened <= until;
    });
  };
  int64_t decided = 0, failures = 0, successes = 0, rework = 0;
  std::optional<size_t> previous_success;
  // The first failure since the last success (a plain pair: GCC 12 misreads an optional time here).
  bool in_episode = false;
  SystemTime episode_start{};
  for (size_t i = 0; i < deployments.size(); ++i) {
    const auto& d = deployments[i];
    const bool in_window = d.at >= month_ago && d.at <= now;
    const auto count = [&](int64_t& day, int64_t& week, int64_t& month) {
      if (d.at > now) return;
      if (d.at >= now - kDay) ++day;
      if (d.at >= now - 7 * kDay) ++week;
      if (d.at >= month_ago) ++month;
    };
    if (!d.succeeded) {
      count(stats.failed_1d, stats.failed_7d, stats.failed_30d);
      if (!in_episode) episode_start = d.at;
      in_episode = true;
      if (in_window) {
        ++decided;
        ++failures;
      }
      continue;
    }
    count(stats.deployments_1d, stats.deployments_7d, stats.deployments_30d);
    stats.last_deployment = d.at;
    const std::optional<SystemTime> previous_at =
        previous_success ? std::optional<SystemTime>(deployments[*previous_success].at) : std::nullopt;
    if (in_window) {
      ++decided;
      ++successes;
      // The next successful deployment, or now: an incident opened in between is this deployment's failure.
      SystemTime until = now;
      for (size_t j = i + 1; j < deployments.size(); ++j) {
        if (deployments[j].succeeded) {
          until = deployments[j].at;
          break;
        }
      }
      const bool caused_incident = std::any_of(incidents.begin(), incidents.end(), [&](const Incident& incident) {
        return incident.opened > d.at && incident.opened < until;
      });
      if (caused_incident) ++failures;
      bool is_rework = opened_between(previous_at, d.at);
      if (const auto found = shipped.find(i); found != shipped.end()) {
        for (const auto authored : found->second.authored) stats.lead_times.push_back(SecondsBetween(authored, d.at));
        is_rework = is_rework || found->second.reverts ||
                    std::any_of(found->second.pull_requests.begin(), found->second.pull_requests.end(),
                                [&](int64_t pull) { return rework_pulls.contains(pull); });
      }
      if (is_rework) ++rework;
      if (in_episode) stats.recovery_times.push_back(SecondsBetween(episode_start, d.at));
    }
    in_episode = false;
    previous_success = i;
  }
  for (const auto& incident : incidents) {
    if (incident.closed && *incident.closed >= month_ago && *incident.closed <= now) {
      stats.restore_times.push_back(SecondsBetween(incident.opened, *incident.closed));
    }
  }
  if (decided > 0) stats.change_failure_ratio = double(failures) / double(decided);
  if (successes > 0) stats.rework_ratio = double(rework) / double(successes);
  return stats;
}

tl::expected<std::optional<DoraStats>, Error> DoraCollector::Collect(HttpClient& http, PollReport& report,
                                                                     const std::string& api_url,
                                                                     const std::string& repo,
                                                                     const std::string& default_branch,
                                                                     SystemTime now) {
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
      if (!commits) return tl::unexpected(commits.error());
      shipped[i] = std::move(*commits);
    }
    previous = i;
  }
  auto labelled = ReadLabelled(http, report, api_url, repo, since);
  if (!labelled) return tl::unexpected(labelled.error());
  if (!*labelled) return std::optional<DoraStats>();
  return ComputeDora(list, shipped, (*labelled)->incidents, (*labelled)->rework_pulls, now);
}

void DoraCollector::Retain(const std::set<std::string>& repos) {
  std::lock_guard lock(mu_);
  const auto stale = [&](const auto& entry) {
    return !live_keys_.contains(entry.first) ||
           !repos.contains(entry.first.substr(0, entry.first.find_first_of(" #")));
  };
  std::erase_if(shipped_cache_, stale);
  std::erase_if(succeeded_cache_, stale);
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
                              outcome = DeploymentOutcome{release.tag_name, *release.published_at, true};
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
                              if (run.conclusion == "success") {
                                outcome = DeploymentOutcome{run.head_sha, run.updated_at, true};
                              } else if (run.conclusion == "failure" || run.conclusion == "timed_out") {
                                outcome = DeploymentOutcome{run.head_sha, run.updated_at, false};
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
                                    "&state=all&since=" + FormatTimestamp(since) + "&per_page=100",
                          limits_.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                            auto issues = ParseIssues(page.body);
                            if (!issues) return tl::unexpected(issues.error());
                            for (const auto& issue : *issues) {
                              if (issue.is_pull_request) {
                                if (has(config_.rework_labels, label)) labelled.rework_pulls.insert(issue.number);
                              } else if (has(config_.incident_labels, label) &&
                                         incident_numbers.insert(issue.number).second) {
                                labelled.incidents.push_back(Incident{issue.created_at, issue.closed_at});
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

void AddDoraMetrics(SnapshotBuilder& b, const std::string& repo, const DoraStats& s) {
  const char* deployments_help = "Successful deployments in the window (README \"DORA\").";
  const char* failed_help = "Failed deployments in the window: never succeeded, latest status failure or error.";
  const std::pair<const char*, std::pair<int64_t, int64_t>> windows[] = {
      {"1d", {s.deployments_1d, s.failed_1d}}, {"7d", {s.deployments_7d, s.failed_7d}},
      {"30d", {s.deployments_30d, s.failed_30d}}};
  for (const auto& [window, counts] : windows) {
    const Labels l{{"repo", repo}, {"window", window}};
    b.Gauge("github_deployments", deployments_help, l, double(counts.first));
    b.Gauge("github_deployments_failed", failed_help, l, double(counts.second));
  }
  const Labels r{{"repo", repo}};
  if (s.last_deployment) {
    b.Gauge("github_deployment_last_timestamp_seconds", "When the latest successful deployment succeeded.", r,
            ToUnixSeconds(*s.last_deployment));
  }
  const Labels month{{"repo", repo}, {"window", "30d"}};
  b.Summary("github_deployment_lead_time_seconds",
            "Deployment time minus author date of each commit newly shipped by a successful deployment in the window.",
            month, s.lead_times);
  b.Summary("github_time_to_restore_seconds", "Creation to close of incident issues closed in the window.", month,
            s.restore_times);
  b.Summary("github_failed_deployment_recovery_seconds",
            "From a failed deployment to the next successful deployment, recoveries in the window.", month,
            s.recovery_times);
  if (s.change_failure_ratio) {
    b.Gauge("github_change_failure_ratio",
            "Failed deployments plus successful ones followed by an incident, over decided deployments in the window.",
            month, *s.change_failure_ratio);
  }
  if (s.rework_ratio) {
    b.Gauge("github_deployment_rework_ratio",
            "Share of successful deployments in the window that were unplanned fixes (revert, rework label, after an "
            "incident).",
            month, *s.rework_ratio);
  }
}

}  // namespace kpi::github
