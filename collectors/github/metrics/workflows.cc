#include "collectors/github/metrics/workflows.h"

#include <algorithm>
#include <set>

#include "collectors/common/time_util.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/common/upstream/parse_once.h"

namespace kpi::github {

Verdict VerdictOf(std::string_view conclusion) {
  if (conclusion == "success") return Verdict::kPass;
  if (conclusion == "failure" || conclusion == "timed_out" || conclusion == "startup_failure") return Verdict::kFail;
  return Verdict::kNone;
}

bool IsOwnRun(const WorkflowRun& run, const std::vector<std::string>& events) {
  return run.from_own_repository && std::find(events.begin(), events.end(), run.event) != events.end();
}

std::string CompletedRunsUrl(std::string_view api_url, std::string_view repo, std::string_view workflow,
                             std::string_view branch) {
  return std::string(api_url) + "/repos/" + std::string(repo) + "/actions/workflows/" + UrlEncode(workflow) +
         "/runs?branch=" + UrlEncode(branch) + "&status=completed&exclude_pull_requests=true&per_page=100";
}

tl::expected<WorkflowStatsById, Error> CollectWorkflows(HttpClient& http, PollReport& report, std::string_view api_url,
                                                        const std::string& repo, const std::string& branch,
                                                        const WorkflowOptions& options,
                                                        const WorkflowStatsById* previous) {
  std::vector<Workflow> active;
  auto listing = WalkPages(http, std::string(api_url) + "/repos/" + repo + "/actions/workflows?per_page=100",
                           options.max_pages, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                             auto workflows = ParseOnce(http, page, ParseWorkflows);
                             if (!workflows) return tl::unexpected(workflows.error());
                             for (const auto& w : **workflows) {
                               if (w.active) active.push_back(w);
                             }
                             return true;
                           });
  if (!listing) return tl::unexpected(listing.error());
  // Each workflow costs requests and series: an answer listing thousands must
  // not decide either. Past the cap (or a cut listing) the rest stay absent.
  if (listing->truncated || active.size() > size_t(options.max_workflows)) {
    report.Truncated(repo, "workflows");
    if (active.size() > size_t(options.max_workflows)) active.resize(size_t(options.max_workflows));
  }
  WorkflowStatsById stats;
  for (const auto& workflow : active) {
    // Newest first; skip runs that say nothing about this repository's own
    // code on its default branch, and look further back until enough decisive ones.
    std::vector<WorkflowRun> decisive;
    auto walk = WalkPages(http, CompletedRunsUrl(api_url, repo, std::to_string(workflow.id), branch), options.max_pages,
                          [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                            auto runs = ParseOnce(http, page, ParseWorkflowRuns);
                            if (!runs) return tl::unexpected(runs.error());
                            for (const auto& run : **runs) {
                              if (!IsOwnRun(run, options.ci_events) || VerdictOf(run.conclusion) == Verdict::kNone) {
                                continue;
                              }
                              decisive.push_back(run);
                              if (int(decisive.size()) == options.workflow_runs) return false;
                            }
                            return true;
                          });
    if (!walk) return tl::unexpected(walk.error());
    if (walk->truncated) {
      report.Truncated(repo, "workflow_runs");
      if (previous) {
        if (const auto kept = previous->find(workflow.id); kept != previous->end()) stats[workflow.id] = kept->second;
      }
      continue;
    }
    if (decisive.empty()) continue;  // nothing to judge yet: no series rather than a made-up value
    const auto& latest = decisive.front();
    const auto passed = [](const WorkflowRun& run) { return VerdictOf(run.conclusion) == Verdict::kPass; };
    WorkflowStats w;
    w.name = workflow.name;
    w.path = workflow.path;
    w.consecutive_failures = std::find_if(decisive.begin(), decisive.end(), passed) - decisive.begin();
    w.success_ratio = double(std::count_if(decisive.begin(), decisive.end(), passed)) / double(decisive.size());
    w.last_run_duration_seconds = std::max(0.0, Seconds(latest.updated_at - latest.started_at).count());
    w.last_run_timestamp_seconds = ToUnixSeconds(latest.updated_at);
    w.latest_run_url = latest.html_url;
    if (w.consecutive_failures > 0) w.failing_since = decisive[size_t(w.consecutive_failures) - 1].updated_at;
    w.streak_began_earlier = w.consecutive_failures == options.workflow_runs;
    stats[workflow.id] = w;
  }
  return stats;
}

std::map<int64_t, std::string> WorkflowLabels(const WorkflowStatsById& workflows) {
  std::map<int64_t, std::string> labels;
  std::set<std::string> taken;
  for (const auto& [id, w] : workflows) {
    // GitHub allows two workflow files with one name: the oldest keeps the
    // name, the others are told apart by their file.
    const std::string name = taken.insert(w.name).second ? w.name : w.name + " (" + w.path + ")";
    taken.insert(name);
    labels[id] = name;
  }
  return labels;
}

const ItemListKind kFailingWorkflowsList{"failing_workflows",
                                         "Failing workflows on the default branch",
                                         {"github_workflow_failing", "github_workflow_consecutive_failures"}};

ItemList FailingWorkflowItems(const std::string& repo, const WorkflowStatsById& workflows, SystemTime now,
                              size_t max_items) {
  const auto labels = WorkflowLabels(workflows);
  std::vector<std::pair<SystemTime, ListItem>> failing;  // failing at least since, the item
  for (const auto& [id, w] : workflows) {
    if (w.consecutive_failures == 0) continue;
    const std::string count = std::to_string(w.consecutive_failures);
    ListItem item{labels.at(id), "", w.latest_run_url, w.failing_since, {{"consecutive failures", count}, {"file", w.path}}};
    if (w.streak_began_earlier) {
      // Its start is older than any run read: unknown, so the item has none (and no age).
      item.since.reset();
      item.fields = {{"consecutive failures", count + " or more"},
                     {"failing since", "before " + FormatTimestamp(*w.failing_since)},
                     {"file", w.path}};
    }
    failing.emplace_back(*w.failing_since, std::move(item));
  }
  return MakeItemList(kFailingWorkflowsList, repo, now, OldestFirst(std::move(failing)), max_items);
}

void AddWorkflowMetrics(SnapshotBuilder& b, const std::string& repo, const std::string& branch,
                        const WorkflowStatsById& workflows) {
  const auto labels = WorkflowLabels(workflows);
  for (const auto& [id, w] : workflows) {
    const Labels wl{{"repo", repo}, {"workflow", labels.at(id)}, {"branch", branch}};
    b.Gauge("github_workflow_failing", "1 when the latest decisive run of the repository's own CI on the default "
            "branch failed.", wl, w.consecutive_failures > 0 ? 1 : 0);
    b.Gauge("github_workflow_consecutive_failures",
            "Decisive runs on the default branch that failed in a row at the head; 0 when the latest passed.", wl,
            double(w.consecutive_failures));
    b.Gauge("github_workflow_success_ratio", "Share of successful runs among the last decisive runs (0-1).", wl,
            w.success_ratio);
    b.Gauge("github_workflow_last_run_duration_seconds", "Duration of the latest decisive run.", wl,
            w.last_run_duration_seconds);
    b.Gauge("github_workflow_last_run_timestamp_seconds", "When the latest decisive run finished.", wl,
            w.last_run_timestamp_seconds);
  }
}

}  // namespace kpi::github
