// CI health (collectors/github/metrics/workflows.*) through the GitHub collector.
#include "collectors/github/metrics/workflows.h"

#include <doctest/doctest.h>

#include "tests/collectors/github/world.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::github_world;
using namespace std::chrono_literals;

namespace {

// A workflow run as GET .../actions/workflows/{id}/runs lists it (fields as in
// GitHub's "workflow-run-paginated" example): repository 1 is o/r itself.
std::string RunJson(const FakeClock& clock, const std::string& conclusion, int minutes_ago,
                    const std::string& event = "push", int head_repository_id = 1) {
  return "{\"event\":\"" + event + "\",\"status\":\"completed\",\"conclusion\":\"" + conclusion +
         "\",\"head_branch\":\"main\",\"created_at\":\"" + Ago(clock, std::chrono::minutes(minutes_ago + 5)) +
         "\",\"run_started_at\":\"" + Ago(clock, std::chrono::minutes(minutes_ago + 5)) + "\",\"updated_at\":\"" +
         Ago(clock, std::chrono::minutes(minutes_ago)) + "\",\"head_repository\":{\"id\":" +
         std::to_string(head_repository_id) + ",\"full_name\":\"someone/r\"},\"repository\":{\"id\":1,\"full_name\":\"o/r\"}}";
}

const std::string kRuns = kRepo + "/actions/workflows/7/runs?branch=main&status=completed&exclude_pull_requests=true&per_page=100";
const std::string kCi = "{repo=\"o/r\",workflow=\"CI\",branch=\"main\"}";

// World with one active workflow "CI" (id 7) whose runs answer `runs` (JSON objects, newest first).
std::string WorkflowText(World& world, const std::vector<std::string>& runs) {
  world.Set(kRepo + "/actions/workflows?per_page=100", R"({"workflows":[{"id":7,"name":"CI","state":"active"}]})");
  std::string list;
  for (const auto& run : runs) list += (list.empty() ? "" : ",") + run;
  world.Set(kRuns, "{\"workflow_runs\":[" + list + "]}");
  return world.PollText();
}

}  // namespace

TEST_CASE("workflow health comes from decisive runs on the default branch") {
  World world;
  world.Set(kRepo + "/actions/workflows?per_page=100",
            R"({"workflows":[{"id":7,"name":"Build & Test","state":"active"},{"id":8,"name":"Nightly","state":"active"}]})");
  const auto& c = world.clock;
  world.Set(kRuns, "{\"workflow_runs\":[" + RunJson(c, "cancelled", 1) + "," + RunJson(c, "success", 10) + "," +
                       RunJson(c, "failure", 20) + "," + RunJson(c, "success", 30) + "]}");
  world.Set(kRepo + "/actions/workflows/8/runs?branch=main&status=completed&exclude_pull_requests=true&per_page=100",
            "{\"workflow_runs\":[" + RunJson(c, "skipped", 1) + "]}");
  const std::string text = world.PollText();
  const std::string labels = "{repo=\"o/r\",workflow=\"Build & Test\",branch=\"main\"}";
  CHECK(HasLine(text, "github_workflow_failing" + labels + " 0"));  // the cancelled run does not count
  CHECK(HasLine(text, "github_workflow_consecutive_failures" + labels + " 0"));
  CHECK(HasLine(text, "github_workflow_success_ratio" + labels + " 0.6666666666666666"));
  CHECK(HasLine(text, "github_workflow_last_run_duration_seconds" + labels + " 300"));
  CHECK(HasLine(text, "github_workflow_last_run_timestamp_seconds" + labels + " 1793533800"));  // 11:50:00Z
  CHECK(text.find("Nightly") == std::string::npos);  // no decisive run: no series
}

TEST_CASE("each failing conclusion fails CI, success passes") {
  for (const char* conclusion : {"failure", "timed_out", "startup_failure"}) {
    World world;
    const std::string text = WorkflowText(world, {RunJson(world.clock, conclusion, 1)});
    CHECK_MESSAGE(HasLine(text, "github_workflow_failing" + kCi + " 1"), conclusion);
    CHECK_MESSAGE(HasLine(text, "github_workflow_consecutive_failures" + kCi + " 1"), conclusion);
    CHECK_MESSAGE(HasLine(text, "github_workflow_success_ratio" + kCi + " 0"), conclusion);
  }
  World world;
  const std::string text = WorkflowText(world, {RunJson(world.clock, "success", 1)});
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
  CHECK(HasLine(text, "github_workflow_success_ratio" + kCi + " 1"));
}

TEST_CASE("runs that are not decisive are skipped and the verdict looks further back") {
  for (const char* conclusion : {"cancelled", "skipped", "neutral", "action_required", "stale"}) {
    World world;
    const std::string text =
        WorkflowText(world, {RunJson(world.clock, conclusion, 1), RunJson(world.clock, "failure", 2)});
    CHECK_MESSAGE(HasLine(text, "github_workflow_failing" + kCi + " 1"), conclusion);
    CHECK_MESSAGE(HasLine(text, "github_workflow_last_run_timestamp_seconds" + kCi + " 1793534280"), conclusion);
  }
}

TEST_CASE("a fork's red pull request on a branch named main never fails CI") {
  World world;
  const auto& c = world.clock;
  const std::string text = WorkflowText(world, {RunJson(c, "failure", 1, "pull_request", 2),  // fork PR
                                                RunJson(c, "failure", 2, "pull_request", 1),  // own PR event
                                                RunJson(c, "failure", 3, "push", 2),          // pushed in a fork
                                                RunJson(c, "failure", 4, "issues", 1),        // not a CI event
                                                RunJson(c, "success", 5, "push", 1)});
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
  CHECK(HasLine(text, "github_workflow_success_ratio" + kCi + " 1"));
}

TEST_CASE("every default CI event counts, and ci_events replaces them") {
  for (const char* event : {"push", "schedule", "workflow_dispatch", "merge_group"}) {
    World world;
    const std::string text = WorkflowText(world, {RunJson(world.clock, "failure", 1, event)});
    CHECK_MESSAGE(HasLine(text, "github_workflow_failing" + kCi + " 1"), event);
  }
  GithubConfig config;
  config.ci_events = {"release"};
  World world(config);
  const std::string text = WorkflowText(world, {RunJson(world.clock, "failure", 1, "push"),
                                                RunJson(world.clock, "success", 2, "release")});
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
}

TEST_CASE("a run whose head repository was deleted is not the repository's own") {
  World world;
  std::string orphan = RunJson(world.clock, "failure", 1);
  orphan.replace(orphan.find("\"head_repository\":{"), std::string("\"head_repository\":{\"id\":1,\"full_name\":\"someone/r\"}").size(),
                 "\"head_repository\":null");
  const std::string text = WorkflowText(world, {orphan, RunJson(world.clock, "success", 2)});
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
}

TEST_CASE("consecutive failures count decisive failures at the head") {
  World world;
  const auto& c = world.clock;
  const std::string text = WorkflowText(world, {RunJson(c, "failure", 1), RunJson(c, "cancelled", 2),
                                                RunJson(c, "timed_out", 3), RunJson(c, "startup_failure", 4),
                                                RunJson(c, "success", 5), RunJson(c, "failure", 6)});
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 1"));
  CHECK(HasLine(text, "github_workflow_consecutive_failures" + kCi + " 3"));
  CHECK(HasLine(text, "github_workflow_success_ratio" + kCi + " 0.2"));
}

TEST_CASE("the success ratio covers the last workflow_runs decisive runs only") {
  GithubConfig config;
  config.workflow_runs = 3;
  World world(config);
  const auto& c = world.clock;
  const std::string text = WorkflowText(world, {RunJson(c, "success", 1), RunJson(c, "skipped", 2),
                                                RunJson(c, "failure", 3), RunJson(c, "success", 4),
                                                RunJson(c, "failure", 5), RunJson(c, "failure", 6)});
  CHECK(HasLine(text, "github_workflow_success_ratio" + kCi + " 0.6666666666666666"));
}

TEST_CASE("runs are read from further pages until enough decisive ones are found") {
  World world;
  const auto& c = world.clock;
  world.Set(kRepo + "/actions/workflows?per_page=100", R"({"workflows":[{"id":7,"name":"CI","state":"active"}]})");
  world.Set(kRuns, "{\"workflow_runs\":[" + RunJson(c, "cancelled", 1) + "]}",
            {{"link", "<" + kRuns + "&page=2>; rel=\"next\""}});
  world.Set(kRuns + "&page=2", "{\"workflow_runs\":[" + RunJson(c, "failure", 2) + "]}");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 1"));
}

TEST_CASE("runs cut by max_pages keep the workflow's last complete values") {
  GithubConfig config;
  config.max_pages = 1;
  World world(config);
  const auto& c = world.clock;
  CHECK(HasLine(WorkflowText(world, {RunJson(c, "success", 1)}), "github_workflow_failing" + kCi + " 0"));
  // Now page 1 holds only a cancelled run and page 2 cannot be read.
  world.Set(kRuns, "{\"workflow_runs\":[" + RunJson(c, "cancelled", 1) + "]}",
            {{"link", "<" + kRuns + "&page=2>; rel=\"next\""}});
  world.Set(kRuns + "&page=2", "{\"workflow_runs\":[" + RunJson(c, "failure", 2) + "]}");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
  CHECK(world.report.truncations().contains({"o/r", "workflow_runs"}));
}

TEST_CASE("two workflows with one name are both reported, told apart by their file") {
  World world;
  world.Set(kRepo + "/actions/workflows?per_page=100",
            R"({"workflows":[{"id":9,"name":"CI","path":".github/workflows/ci-linux.yml","state":"active"},)"
            R"({"id":7,"name":"CI","path":".github/workflows/ci.yml","state":"active"}]})");
  world.Set(kRuns, "{\"workflow_runs\":[" + RunJson(world.clock, "success", 1) + "]}");
  world.Set(kRepo + "/actions/workflows/9/runs?branch=main&status=completed&exclude_pull_requests=true&per_page=100",
            "{\"workflow_runs\":[" + RunJson(world.clock, "failure", 1) + "]}");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
  CHECK(HasLine(text, "github_workflow_failing{repo=\"o/r\",workflow=\"CI (.github/workflows/ci-linux.yml)\",branch=\"main\"} 1"));
}

TEST_CASE("past max_workflows the other workflows are left out and the cut is reported") {
  GithubConfig config;
  config.max_workflows = 1;
  World world(config);
  world.Set(kRepo + "/actions/workflows?per_page=100",
            R"({"workflows":[{"id":7,"name":"CI","path":".github/workflows/ci.yml","state":"active"},)"
            R"({"id":8,"name":"Nightly","path":".github/workflows/nightly.yml","state":"active"}]})");
  world.Set(kRuns, "{\"workflow_runs\":[" + RunJson(world.clock, "success", 1) + "]}");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_workflow_failing" + kCi + " 0"));
  CHECK(text.find("Nightly") == std::string::npos);
  CHECK(world.report.truncations().contains({"o/r", "workflows"}));
  for (const auto& request : world.state->requests) CHECK(request.url.find("/workflows/8/") == std::string::npos);
}
