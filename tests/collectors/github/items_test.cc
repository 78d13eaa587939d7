// The GitHub collector's drill-down lists (README "Drill-down"): issues
// awaiting a first response, bugs of the last day, failing workflows and the
// longest merge lead times, each against hand-computed answers shaped like
// GitHub's (issue-items, workflow-run-paginated, pull-request-simple-items).
// DORA's and Dependabot's lists are tested in dora_test.cc and security_test.cc.
#include <doctest/doctest.h>

#include "tests/collectors/github/world.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::github_world;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> Ids(const ItemList& list) {
  std::vector<std::string> ids;
  for (const auto& item : list.items) ids.push_back(item.id);
  return ids;
}

std::string Field(const ListItem& item, const std::string& label) {
  for (const auto& [name, value] : item.fields) {
    if (name == label) return value;
  }
  return "(none)";
}

Snapshot Polled(World& world) {
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  return std::move(*snapshot);
}

// A run of the repository's own CI on main (GitHub's "workflow-run-paginated" fields), finished `minutes_ago`.
std::string RunJson(const FakeClock& clock, int id, const std::string& conclusion, int minutes_ago) {
  return "{\"id\":" + std::to_string(id) + ",\"html_url\":\"https://github.test/o/r/actions/runs/" +
         std::to_string(id) + "\",\"event\":\"push\",\"status\":\"completed\",\"conclusion\":\"" + conclusion +
         "\",\"head_branch\":\"main\",\"created_at\":\"" + Ago(clock, std::chrono::minutes(minutes_ago + 5)) +
         "\",\"run_started_at\":\"" + Ago(clock, std::chrono::minutes(minutes_ago + 5)) + "\",\"updated_at\":\"" +
         Ago(clock, std::chrono::minutes(minutes_ago)) +
         "\",\"head_repository\":{\"id\":1,\"full_name\":\"o/r\"},\"repository\":{\"id\":1,\"full_name\":\"o/r\"}}";
}

std::string RunsUrl(int workflow) {
  return kRepo + "/actions/workflows/" + std::to_string(workflow) +
         "/runs?branch=main&status=completed&exclude_pull_requests=true&per_page=100";
}

// A closed pull request as GET /pulls lists it (GitHub's "pull-request-simple-items" fields).
std::string PullJson(const FakeClock& clock, int number, std::chrono::seconds created, std::chrono::seconds updated,
                     std::optional<std::chrono::seconds> merged) {
  return "{\"number\":" + std::to_string(number) + ",\"title\":\"Pull " + std::to_string(number) +
         "\",\"html_url\":\"https://github.test/o/r/pull/" + std::to_string(number) +
         "\",\"state\":\"closed\",\"created_at\":\"" + Ago(clock, created) + "\",\"updated_at\":\"" +
         Ago(clock, updated) + "\",\"merged_at\":" + (merged ? "\"" + Ago(clock, *merged) + "\"" : std::string("null")) +
         "}";
}

}  // namespace

// The world's open issues: #1 (48 h, no comments), #3 (72 h, a bot's comment
// only), #4 (10 h, answered by a maintainer), and pull request #2.
TEST_CASE("awaiting_response lists the open issues without a first response, oldest first") {
  World world;
  const Snapshot snapshot = Polled(world);
  CHECK(HasLine(SnapshotText(snapshot), "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 2"));
  const ItemList& list = World::List(snapshot, "awaiting_response");
  CHECK(list.title == "Open issues awaiting a first response");
  CHECK(list.metrics == std::vector<std::string>{"github_issues_awaiting_response",
                                                 "github_issues_awaiting_response_oldest_age_seconds"});
  CHECK(list.updated == world.clock.Now());
  CHECK(list.total == 2);
  CHECK_FALSE(list.truncated());
  REQUIRE(Ids(list) == std::vector<std::string>{"#3", "#1"});
  CHECK(list.items[0].title == "Issue 3");
  CHECK(list.items[0].url == "https://github.test/o/r/issues/3");
  CHECK(list.items[0].since == world.clock.Now() - 72h);
  CHECK(list.items[1].since == world.clock.Now() - 48h);
}

TEST_CASE("a list longer than max_items keeps the first ones and says how many there were") {
  World world;
  world.max_items = 1;
  const ItemList list = World::List(Polled(world), "awaiting_response");
  CHECK(Ids(list) == std::vector<std::string>{"#3"});
  CHECK(list.total == 2);
  CHECK(list.truncated());
}

TEST_CASE("max_items = 0 builds no GitHub lists") {
  World world;
  world.max_items = 0;
  CHECK(Polled(world).items().empty());
}

TEST_CASE("bugs_last_day lists the issues opened as bugs in the last day, newest first") {
  World world;
  const auto& c = world.clock;
  world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z",
            "[" + IssueJson(c, 20, 23h, 0, false, R"({"name":"bug"})") + "," +
                IssueJson(c, 21, 2h, 0, false, R"({"name":"ui"},{"name":"BUG"})") + "," +
                IssueJson(c, 22, 25h, 0, false, R"({"name":"bug"})") + "," + IssueJson(c, 23, 1h, 0) + "," +
                IssueJson(c, 24, 1h, 0, true, R"({"name":"bug"})") + "]");
  const Snapshot snapshot = Polled(world);
  CHECK(HasLine(SnapshotText(snapshot), "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"bug\"} 2"));
  const ItemList& list = World::List(snapshot, "bugs_last_day");
  CHECK(list.metrics == std::vector<std::string>{R"(github_issues_opened{window="1d",kind="bug"})"});
  CHECK(list.total == 2);
  REQUIRE(Ids(list) == std::vector<std::string>{"#21", "#20"});
  CHECK(list.items[0].url == "https://github.test/o/r/issues/21");
  CHECK(list.items[0].since == world.clock.Now() - 2h);
}

TEST_CASE("failing_workflows: the failing streak's latest run, its start and length, failing longest first") {
  World world;
  const auto& c = world.clock;
  world.Set(kRepo + "/actions/workflows?per_page=100",
            R"({"workflows":[{"id":7,"name":"CI","path":".github/workflows/ci.yml","state":"active"},)"
            R"({"id":8,"name":"Deploy","path":".github/workflows/deploy.yml","state":"active"},)"
            R"({"id":9,"name":"Lint","path":".github/workflows/lint.yml","state":"active"}]})");
  // CI: failed, cancelled (not decisive), failed, then passed: failing for 2 runs, since the one 3 minutes ago.
  world.Set(RunsUrl(7), "{\"workflow_runs\":[" + RunJson(c, 101, "failure", 1) + "," + RunJson(c, 102, "cancelled", 2) +
                            "," + RunJson(c, 103, "timed_out", 3) + "," + RunJson(c, 104, "success", 5) + "]}");
  // Deploy: every run read failed: since the oldest of them.
  world.Set(RunsUrl(8), "{\"workflow_runs\":[" + RunJson(c, 201, "failure", 100) + "," +
                            RunJson(c, 202, "failure", 200) + "," + RunJson(c, 203, "startup_failure", 300) + "]}");
  world.Set(RunsUrl(9), "{\"workflow_runs\":[" + RunJson(c, 301, "success", 1) + "," + RunJson(c, 302, "failure", 2) + "]}");
  const ItemList list = World::List(Polled(world), "failing_workflows");
  CHECK(list.metrics == std::vector<std::string>{"github_workflow_failing", "github_workflow_consecutive_failures"});
  CHECK(list.total == 2);
  REQUIRE(Ids(list) == std::vector<std::string>{"Deploy", "CI"});
  CHECK(list.items[0].url == "https://github.test/o/r/actions/runs/201");
  CHECK(list.items[0].since == c.Now() - 300min);
  CHECK(Field(list.items[0], "consecutive failures") == "3");
  CHECK(list.items[1].url == "https://github.test/o/r/actions/runs/101");
  CHECK(list.items[1].since == c.Now() - 3min);
  CHECK(Field(list.items[1], "consecutive failures") == "2");
  CHECK(Field(list.items[1], "file") == ".github/workflows/ci.yml");
}

TEST_CASE("failing_workflows: a streak longer than the runs read has no start, only a bound, and still leads") {
  World world;
  const auto& c = world.clock;
  world.Set(kRepo + "/actions/workflows?per_page=100",
            R"({"workflows":[{"id":7,"name":"CI","path":".github/workflows/ci.yml","state":"active"},)"
            R"({"id":8,"name":"Nightly","path":".github/workflows/nightly.yml","state":"active"}]})");
  world.Set(RunsUrl(7), "{\"workflow_runs\":[" + RunJson(c, 101, "failure", 1) + "," + RunJson(c, 104, "success", 5) + "]}");
  // Nightly: the 20 runs read (workflow_runs' default) all failed, the oldest 20 hours ago; older ones exist.
  std::string runs;
  for (int k = 0; k < 25; ++k) runs += (k ? "," : "") + RunJson(c, 200 + k, "failure", 60 * (k + 1));
  world.Set(RunsUrl(8), "{\"workflow_runs\":[" + runs + "]}");
  const Snapshot snapshot = Polled(world);
  CHECK(HasLine(SnapshotText(snapshot),
                "github_workflow_consecutive_failures{repo=\"o/r\",workflow=\"Nightly\",branch=\"main\"} 20"));
  const ItemList list = World::List(snapshot, "failing_workflows");
  REQUIRE(Ids(list) == std::vector<std::string>{"Nightly", "CI"});
  CHECK_FALSE(list.items[0].since.has_value());
  CHECK(Field(list.items[0], "consecutive failures") == "20 or more");
  CHECK(Field(list.items[0], "failing since") == "before " + Ago(c, 20h));
  CHECK(list.items[1].since == c.Now() - 1min);
  CHECK(Field(list.items[1], "failing since") == "(none)");
}

TEST_CASE("longest_lead_time lists the pull requests merged in the window, longest lead time first") {
  World world;
  const auto& c = world.clock;
  constexpr auto kD = std::chrono::hours(24);
  // Newest update first, as asked: #14 was last touched before the window, so paging stops there.
  world.Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
            "[" + PullJson(c, 10, 3 * kD, 1 * kD, 1 * kD) + "," + PullJson(c, 11, 6 * kD, 2 * kD, std::nullopt) + "," +
                PullJson(c, 12, 5 * kD + 1h, 5 * kD, 5 * kD) + "," + PullJson(c, 13, 35 * kD, 29 * kD, 29 * kD) + "," +
                PullJson(c, 14, 50 * kD, 40 * kD, 40 * kD) + "]");
  const Snapshot snapshot = Polled(world);
  CHECK(HasLine(SnapshotText(snapshot),
                "github_pull_request_merge_lead_time_seconds_count{repo=\"o/r\",window=\"30d\"} 3"));
  const ItemList& list = World::List(snapshot, "longest_lead_time");
  CHECK(list.metrics == std::vector<std::string>{"github_pull_request_merge_lead_time_seconds"});
  CHECK(list.total == 3);
  REQUIRE(Ids(list) == std::vector<std::string>{"#13", "#10", "#12"});
  CHECK(list.items[0].title == "Pull 13");
  CHECK(list.items[0].url == "https://github.test/o/r/pull/13");
  CHECK(list.items[0].since == c.Now() - 35 * kD);
  CHECK(Field(list.items[0], "lead time") == "6d");
  CHECK(Field(list.items[0], "merged") == FormatTimestamp(c.Now() - 29 * kD));
  CHECK(Field(list.items[1], "lead time") == "2d");
  CHECK(Field(list.items[2], "lead time") == "1h");
}

TEST_CASE("a cut or failed listing keeps the last good list with the time it was read") {
  GithubConfig config;
  config.graphql = false;  // REST's own reads
  config.max_pages = 1;
  World world(config);
  const auto& c = world.clock;
  world.Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc", "[" + IssueJson(c, 1, 48h, 0) + "]");
  const SystemTime first = c.Now();
  CHECK(Ids(World::List(Polled(world), "awaiting_response")) == std::vector<std::string>{"#1"});

  // Cut by max_pages: the count and its list stay as they were.
  world.clock.Advance(5min);
  world.Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc", "[" + IssueJson(c, 1, 48h, 0) + "," + IssueJson(c, 3, 2h, 0) + "]",
            {{"link", "<" + kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc&page=2>; rel=\"next\""}});
  const ItemList cut = World::List(Polled(world), "awaiting_response");
  CHECK(Ids(cut) == std::vector<std::string>{"#1"});
  CHECK(cut.updated == first);

  // The repository fails: its lists stay, the poll's partial snapshot still holds them.
  world.clock.Advance(5min);
  world.Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc", "[{\"number\":");  // malformed
  auto failed = world.Poll();
  REQUIRE_FALSE(failed);
  REQUIRE(failed.error().partial);
  const ItemList kept = World::List(*failed.error().partial, "awaiting_response");
  CHECK(Ids(kept) == std::vector<std::string>{"#1"});
  CHECK(kept.updated == first);
}
