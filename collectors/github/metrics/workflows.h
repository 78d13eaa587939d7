// GitHub Actions health on the default branch (README "GitHub Actions"), and
// the run rules DORA's `workflow` source shares with it: which runs are the
// repository's own code on its default branch, and which conclusions decide.
//
// Pure functions plus one collecting function; no state of their own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/error.h"
#include "collectors/common/output/items.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/output/snapshot.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/github/parse.h"

namespace kpi::github {

// The CI verdict table (README "GitHub Actions"): success passes; failure,
// timed_out and startup_failure fail; cancelled, skipped, neutral,
// action_required and stale say nothing about the code and are skipped.
enum class Verdict { kPass, kFail, kNone };
Verdict VerdictOf(std::string_view conclusion);

// A run of the repository's own code (not a fork's, not a deleted
// repository's) triggered by one of `events`.
bool IsOwnRun(const WorkflowRun& run, const std::vector<std::string>& events);

// Completed runs of one workflow (its id or file name) on `branch`, newest first.
std::string CompletedRunsUrl(std::string_view api_url, std::string_view repo, std::string_view workflow,
                             std::string_view branch);

struct WorkflowStats {
  std::string name;
  std::string path;
  int64_t consecutive_failures = 0;  // decisive runs failed in a row at the head
  double success_ratio = 0;
  double last_run_duration_seconds = 0;
  double last_run_timestamp_seconds = 0;
  std::string latest_run_url;               // html_url of the latest decisive run
  std::optional<SystemTime> failing_since;  // when the first run of the failing streak at the head finished
  // Every one of the `workflow_runs` runs read failed: the streak began before
  // failing_since (the oldest run read) and is longer than counted.
  bool streak_began_earlier = false;
};
using WorkflowStatsById = std::map<int64_t, WorkflowStats>;

// The `workflow` label of each workflow: its name, or, for a second workflow
// of the same name, "name (path)" so no series collide.
std::map<int64_t, std::string> WorkflowLabels(const WorkflowStatsById& workflows);

// The drill-down list of failing workflows (README "Drill-down"), failing longest first.
extern const ItemListKind kFailingWorkflowsList;
ItemList FailingWorkflowItems(const std::string& repo, const WorkflowStatsById& workflows, SystemTime now,
                              size_t max_items);

struct WorkflowOptions {
  std::vector<std::string> ci_events;
  int workflow_runs = 20;   // decisive runs per workflow for the success ratio
  int max_workflows = 100;  // active workflows read per repository
  int max_pages = 50;       // per listing
};

// Health of every active workflow of `repo` on `branch`. A workflow whose runs
// a cap cut keeps its entry from `previous` (absent if none) and the cut is reported.
tl::expected<WorkflowStatsById, Error> CollectWorkflows(HttpClient& http, PollReport& report, std::string_view api_url,
                                                        const std::string& repo, const std::string& branch,
                                                        const WorkflowOptions& options,
                                                        const WorkflowStatsById* previous);

void AddWorkflowMetrics(SnapshotBuilder& builder, const std::string& repo, const std::string& branch,
                        const WorkflowStatsById& workflows);

}  // namespace kpi::github
