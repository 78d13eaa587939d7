#include "collectors/github/metrics/dora.h"

#include <algorithm>
#include <cctype>

#include "collectors/common/section_reader.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi::github {
namespace {

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMonth = 30 * kDay;  // the "30d" window

double SecondsBetween(SystemTime from, SystemTime to) { return std::max(0.0, Seconds(to - from).count()); }

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
  if (const auto from = reader.String("lead_time_from")) {
    if (*from == "commit") {
      config.lead_time_from = DoraConfig::LeadTimeFrom::kCommit;
    } else if (*from == "pull_request") {
      config.lead_time_from = DoraConfig::LeadTimeFrom::kPullRequest;
    } else {
      reader.Fail("lead_time_from",
                  "'lead_time_from' in [github.dora] must be \"commit\" or \"pull_request\", not '" + *from + "'");
    }
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
  const DeploymentStatus* first_success = nullptr;
  const DeploymentStatus* latest = nullptr;
  for (const auto& status : statuses) {
    if (status.state == "success" && (!first_success || status.created_at < first_success->created_at)) {
      first_success = &status;
    }
    if (!latest || status.created_at > latest->created_at) latest = &status;
  }
  const std::string id = "deployment " + std::to_string(deployment.id);
  // Superseded deployments later turn `inactive`: any success decides.
  if (first_success) return DeploymentOutcome{deployment.sha, first_success->created_at, true, id, first_success->log_url};
  if (latest && (latest->state == "failure" || latest->state == "error")) {
    return DeploymentOutcome{deployment.sha, latest->created_at, false, id, latest->log_url};
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

const ItemListKind kFailedDeploymentsList{"failed_deployments",
                                          "Failed deployments (30 days)",
                                          {"github_deployments_failed", "github_change_failure_ratio"}};
const ItemListKind kIncidentsList{"incidents",
                                  "Incidents opened or closed in the last 30 days",
                                  {"github_change_failure_ratio", "github_time_to_restore_seconds"}};

ItemList FailedDeploymentItems(const std::string& repo, const std::vector<DeploymentOutcome>& deployments,
                               SystemTime now, size_t max_items) {
  std::vector<ListItem> items;
  for (const auto& d : deployments) {
    if (d.succeeded || d.at < now - kMonth || d.at > now) continue;
    items.push_back({d.id, "", d.url, d.at, {{"deployed", d.sha}}});
  }
  SortNewestFirst(items);
  return MakeItemList(kFailedDeploymentsList, repo, now, std::move(items), max_items);
}

ItemList IncidentItems(const std::string& repo, const std::vector<Incident>& incidents, SystemTime now,
                       size_t max_items) {
  const auto in_window = [&](SystemTime t) { return t >= now - kMonth && t <= now; };
  std::vector<ListItem> items;
  for (const auto& incident : incidents) {
    if (!in_window(incident.opened) && !(incident.closed && in_window(*incident.closed))) continue;
    ListItem item = incident.item;
    item.since = incident.opened;
    item.fields.push_back({"closed", incident.closed ? FormatTimestamp(*incident.closed) : "open"});
    items.push_back(std::move(item));
  }
  SortNewestFirst(items);
  return MakeItemList(kIncidentsList, repo, now, std::move(items), max_items);
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
