// GitHub collector logic over an in-memory transport. The end-to-end proof
// over real sockets is tests/integration/test_github.py.
#include "collectors/github/collector.h"

#include <doctest/doctest.h>

#include "collectors/common/time_util.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApi = "https://api.test";
const std::string kRepo = std::string(kApi) + "/repos/o/r";

std::string Ago(const FakeClock& clock, std::chrono::seconds ago) { return FormatTimestamp(clock.Now() - ago); }

std::string IssueJson(const FakeClock& clock, int number, std::chrono::seconds age, int comments, bool pr = false,
                      const std::string& labels = "") {
  return "{\"number\":" + std::to_string(number) + ",\"created_at\":\"" + Ago(clock, age) +
         "\",\"user\":{\"login\":\"author\"},\"comments\":" + std::to_string(comments) + ",\"labels\":[" + labels + "]" +
         (pr ? ",\"pull_request\":{}" : "") + "}";
}

std::string CommentJson(const FakeClock& clock, const std::string& login, std::chrono::seconds ago, bool bot = false) {
  return "{\"user\":{\"login\":\"" + login + "\",\"type\":\"" + (bot ? "Bot" : "User") + "\"},\"created_at\":\"" +
         Ago(clock, ago) + "\"}";
}

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<GithubCollector> collector;

  explicit World(GithubConfig config = {}) {
    config.settings.api_url = kApi;
    if (config.repos.empty() && config.orgs.empty()) config.repos = {"o/r"};
    collector = std::make_unique<GithubCollector>(config);
    http = std::make_unique<HttpClient>(std::make_unique<FakeTransport>(state), clock, collector->http_options());
    const std::string since = "2026-10-02T12:00:00Z";  // the clock's 2026-11-01T12:00:00Z minus 30 days
    Set(kRepo, R"({"stargazers_count":5,"subscribers_count":2,"forks_count":1,"open_issues_count":4,
                   "default_branch":"main","language":"Go"})");
    Set(kRepo + "/issues?per_page=100&state=open",
        "[" + IssueJson(clock, 1, 48h, 0) + "," + IssueJson(clock, 2, 1h, 0, true) + "," + IssueJson(clock, 3, 72h, 1) + "]",
        {{"link", "<" + kRepo + "/issues?per_page=100&state=open&page=2>; rel=\"next\""}});
    Set(kRepo + "/issues?per_page=100&state=open&page=2", "[" + IssueJson(clock, 4, 10h, 2) + "]");
    Set(kRepo + "/issues?per_page=100&state=all&since=" + since,
        "[" + IssueJson(clock, 4, 10h, 2, false, R"({"name":"BUG"})") + "," + IssueJson(clock, 5, 40 * 24h, 0) + "," +
            IssueJson(clock, 6, 5h, 0, true, R"({"name":"bug"})") + "]");
    Set(kRepo + "/issues/3/comments?per_page=100", "[" + CommentJson(clock, "ci-bot[bot]", 71h, true) + "]");
    Set(kRepo + "/issues/4/comments?per_page=100",
        "[" + CommentJson(clock, "author", 9h) + "," + CommentJson(clock, "maintainer", 8h) + "]");
    Set(kRepo + "/contributors?per_page=1", "[{},{},{}]");
    Set(kRepo + "/actions/workflows?per_page=100", R"({"workflows":[]})");
    Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100", "[]");
    Set(std::string(kApi) + "/rate_limit", R"({"resources":{"core":{"limit":60,"remaining":50,"reset":1}}})");
  }

  void Set(const std::string& url, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }

  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}, shard};
    auto result = collector->Poll(*http, context);
    report = context.report;
    return result;
  }

  // The text of a successful poll, or of the partial snapshot of a failed one.
  std::string PollText() {
    auto result = Poll();
    if (result) return SnapshotText(*result);
    REQUIRE(result.error().partial);
    return SnapshotText(*result.error().partial);
  }

  PollReport report;  // of the last poll
  Shard shard;        // of the next poll
};

}  // namespace

TEST_CASE("pull requests are never counted as issues, across pages") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
  CHECK(HasLine(text, "github_repo_open_pull_requests{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_repo_contributors{repo=\"o/r\"} 3"));
  CHECK(HasLine(text, "github_repo_watchers{repo=\"o/r\"} 2"));
}

TEST_CASE("first response ignores the author and bots, awaiting counts the rest") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  // #1 no comments, #3 only a bot: awaiting. #4 answered by maintainer 2h after opening.
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\",window=\"30d\"} 259200"));
  CHECK(HasLine(text, "github_issue_first_response_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));
  // Opened in the window: #4 (bug, case-insensitive); #5 is older; #6 is a PR.
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"all\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"bug\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 1"));
}

TEST_CASE("awaiting response counts only issues opened in awaiting_response_window, so its alert can clear") {
  GithubConfig config;
  config.awaiting_response_window = 60h;
  World world(config);
  const std::string text = world.PollText();
  // #1 (48h, no comments) is in the window; #3 (72h, only a bot answered) has left it and is not even asked about.
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"2d12h\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\",window=\"2d12h\"} 172800"));
  CHECK(std::none_of(world.state->requests.begin(), world.state->requests.end(),
                     [](const HttpRequest& r) { return r.url == kRepo + "/issues/3/comments?per_page=100"; }));
}

TEST_CASE("a known first response is not fetched again on the next poll") {
  World world;
  REQUIRE(world.Poll());
  const auto count = [&](const std::string& url) {
    return std::count_if(world.state->requests.begin(), world.state->requests.end(),
                         [&](const HttpRequest& r) { return r.url == url; });
  };
  CHECK(count(kRepo + "/issues/4/comments?per_page=100") == 1);
  REQUIRE(world.Poll());
  CHECK(count(kRepo + "/issues/4/comments?per_page=100") == 1);  // cached: answered issues stay answered
  CHECK(count(kRepo + "/issues/3/comments?per_page=100") == 2);  // still awaiting: asked again
}

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

TEST_CASE("a malformed answer fails the poll but keeps the last good values") {
  World world;
  REQUIRE(world.Poll());
  world.Set(kRepo, R"({"stargazers_count": 9, "forks_count)");  // truncated
  auto failed = world.Poll();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().reason == "parse");
  CHECK(failed.error().message.starts_with("o/r: repository: malformed JSON"));
  REQUIRE(failed.error().partial);
  CHECK(HasLine(SnapshotText(*failed.error().partial), "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("one failing repository does not blank the others") {
  GithubConfig config;
  config.repos = {"o/r", "o/missing"};
  World world(config);
  auto result = world.Poll();
  REQUIRE_FALSE(result);  // the poll reports the failure...
  CHECK(result.error().reason == "not_found");
  CHECK(result.error().message.starts_with("o/missing: https://api.test/repos/o/missing answered HTTP 404"));
  REQUIRE(result.error().partial);  // ...and still serves the healthy repository
  CHECK(HasLine(SnapshotText(*result.error().partial), "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("org repositories are listed, archived ones skipped, and kept when the listing fails") {
  GithubConfig config;
  config.orgs = {"o"};
  World world(config);
  world.Set(std::string(kApi) + "/orgs/o/repos?type=all&per_page=100",
            R"([{"full_name":"o/r","archived":false},{"full_name":"o/old","archived":true}])");
  auto first = world.Poll();
  REQUIRE(first);
  CHECK(HasLine(SnapshotText(*first), "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(SnapshotText(*first).find("o/old") == std::string::npos);

  world.Set(std::string(kApi) + "/orgs/o/repos?type=all&per_page=100", "oops", {}, 502);
  auto second = world.Poll();
  REQUIRE_FALSE(second);
  REQUIRE(second.error().partial);
  CHECK(HasLine(SnapshotText(*second.error().partial), "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("merge lead time counts PRs merged in the window and stops paging at its start") {
  World world;
  const auto pr = [&](std::chrono::hours created, std::chrono::hours updated, std::optional<std::chrono::hours> merged) {
    return "{\"created_at\":\"" + Ago(world.clock, created) + "\",\"updated_at\":\"" + Ago(world.clock, updated) +
           "\",\"merged_at\":" + (merged ? "\"" + Ago(world.clock, *merged) + "\"" : std::string("null")) + "}";
  };
  world.Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
            "[" + pr(50h, 2h, 2h) + "," + pr(10h, 3h, std::nullopt) + "," + pr(800h, 750h, 750h) + "]",
            {{"link", "<" + kRepo + "/pulls?page=2>; rel=\"next\""}});
  world.Set(kRepo + "/pulls?page=2", "must not be read", {}, 500);
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_sum{repo=\"o/r\",window=\"30d\"} 172800"));
}

TEST_CASE("the token is sent as a bearer token to the API") {
  GithubConfig config;
  config.token = "ghp_unit_test_token";
  World world(config);
  REQUIRE(world.Poll());
  REQUIRE_FALSE(world.state->requests.empty());
  for (const auto& request : world.state->requests) {
    const bool has_auth = std::any_of(request.headers.begin(), request.headers.end(), [](const auto& h) {
      return h.first == "Authorization" && h.second == "Bearer ghp_unit_test_token";
    });
    CHECK(has_auth);
  }
}

TEST_CASE("issues opened at 23 h and 25 h, 29 d and 31 d ago fall on their side of each window") {
  World world;
  const auto& c = world.clock;
  world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T12:00:00Z",
            "[" + IssueJson(c, 11, 23h, 0, false, R"({"name":"bug"})") + "," +
                IssueJson(c, 12, 25h, 0, false, R"({"name":"bug"})") + "," + IssueJson(c, 13, 29 * 24h, 0) + "," +
                IssueJson(c, 14, 31 * 24h, 0, false, R"({"name":"bug"})") + "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"all\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"bug\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 3"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"bug\"} 2"));
}

TEST_CASE("the first response is the earliest human comment, whatever order the page lists") {
  World world;
  // #4 opened 10 h ago: the reviewer answered 5 h ago, the maintainer 8 h ago (listed second).
  world.Set(kRepo + "/issues/4/comments?per_page=100",
            "[" + CommentJson(world.clock, "reviewer", 5h) + "," + CommentJson(world.clock, "maintainer", 8h) + "]");
  CHECK(HasLine(world.PollText(), "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));

  World in_order;
  in_order.Set(kRepo + "/issues/4/comments?per_page=100",
               "[" + CommentJson(in_order.clock, "maintainer", 8h) + "," + CommentJson(in_order.clock, "reviewer", 5h) + "]");
  CHECK(HasLine(in_order.PollText(), "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));
}

TEST_CASE("an issue of a deleted account is answered by any human, labels may be strings") {
  World world;
  world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T12:00:00Z",
            "[{\"number\":4,\"created_at\":\"" + Ago(world.clock, 10h) +
                "\",\"user\":null,\"comments\":1,\"labels\":[\"bug\"]}]");
  world.Set(kRepo + "/issues/4/comments?per_page=100",
            "[{\"user\":null,\"created_at\":\"" + Ago(world.clock, 9h) + "\"}," + CommentJson(world.clock, "author", 7h) + "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 10800"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"bug\"} 1"));
}

TEST_CASE("open issues cut by max_pages keep their last complete counts") {
  GithubConfig config;
  config.max_pages = 1;
  World world(config);
  const auto& c = world.clock;
  // First poll: one page, complete.
  world.Set(kRepo + "/issues?per_page=100&state=open", "[" + IssueJson(c, 1, 48h, 0) + "," + IssueJson(c, 2, 1h, 0, true) + "]");
  std::string text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_repo_open_pull_requests{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK_FALSE(world.report.truncations().contains({"o/r", "open_issues"}));
  // Second poll: a second page exists that max_pages will not read.
  world.Set(kRepo + "/issues?per_page=100&state=open", "[" + IssueJson(c, 1, 48h, 0) + "," + IssueJson(c, 3, 2h, 0) + "]",
            {{"link", "<" + kRepo + "/issues?per_page=100&state=open&page=2>; rel=\"next\""}});
  text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\",window=\"30d\"} 172800"));
  CHECK(world.report.truncations().contains({"o/r", "open_issues"}));
  CHECK(world.report.targets().at("o/r"));  // a cut is not a failure
}

TEST_CASE("a cut before the first complete listing leaves the series out") {
  GithubConfig config;
  config.max_pages = 1;
  World world(config);  // its open-issue listing has two pages
  const std::string text = world.PollText();
  CHECK(text.find("github_repo_open_issues{") == std::string::npos);
  CHECK(text.find("github_issues_awaiting_response{") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("when max_comment_requests runs out, response times are not guessed") {
  GithubConfig config;
  config.max_comment_requests = 0;
  World world(config);
  const std::string text = world.PollText();
  CHECK(text.find("github_issues_awaiting_response{") == std::string::npos);
  CHECK(text.find("github_issue_first_response_seconds") == std::string::npos);
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 1"));
  CHECK(world.report.truncations().contains({"o/r", "comments"}));
}

TEST_CASE("a repository too large to count contributors still exports everything else") {
  World world;
  world.Set(kRepo + "/contributors?per_page=1",
            R"({"message":"The history or contributor list is too large to list contributors for this repository via the API.",)"
            R"("documentation_url":"https://docs.github.com/rest/repos/repos#list-repository-contributors","status":"403"})",
            {}, 403);
  auto first = world.Poll();
  REQUIRE(first);
  const std::string text = SnapshotText(*first);
  CHECK(text.find("github_repo_contributors") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
  CHECK(world.report.targets().at("o/r"));
  REQUIRE(world.Poll());
  CHECK(world.log.warnings.size() == 1);  // logged once, not every poll
}

TEST_CASE("a 403 on contributors that is not about size fails the repository") {
  World world;
  world.Set(kRepo + "/contributors?per_page=1", R"({"message":"Resource not accessible by integration"})", {}, 403);
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "unauthorized");
  CHECK_FALSE(world.report.targets().at("o/r"));
}

TEST_CASE("every repository reports its own health") {
  GithubConfig config;
  config.repos = {"o/r", "o/missing"};
  World world(config);
  REQUIRE_FALSE(world.Poll());
  CHECK(world.report.targets() == std::map<std::string, bool>{{"o/missing", false}, {"o/r", true}});
}

TEST_CASE("merge lead time counts PRs merged 29 days ago, not 31") {
  World world;
  const auto pr = [&](std::chrono::hours created, std::chrono::hours merged) {
    return "{\"created_at\":\"" + Ago(world.clock, created) + "\",\"updated_at\":\"" + Ago(world.clock, 1h) +
           "\",\"merged_at\":\"" + Ago(world.clock, merged) + "\"}";
  };
  world.Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
            "[" + pr(30 * 24h, 29 * 24h) + "," + pr(32 * 24h, 31 * 24h) + "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_sum{repo=\"o/r\",window=\"30d\"} 86400"));
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

TEST_CASE("a shard polls only the repositories whose name hashes to it") {
  GithubConfig config;
  config.repos = {"o/r", "o/c"};  // FNV-1a-64 mod 2: o/r 1, o/c 0
  World world(config);
  world.shard = Shard{1, 2};
  auto result = world.Poll();
  REQUIRE(result);  // o/c has no answers at all: it was never asked
  CHECK(HasLine(SnapshotText(*result), "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(world.report.targets() == std::map<std::string, bool>{{"o/r", true}});
  for (const auto& request : world.state->requests) CHECK(request.url.find("/repos/o/c") == std::string::npos);
}

TEST_CASE("a contributors link with a negative page is a malformed answer") {
  World world;
  world.Set(kRepo + "/contributors?per_page=1", "[{}]",
            {{"link", "<" + kRepo + "/contributors?per_page=1&page=-7>; rel=\"last\""}});
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "parse");
  CHECK(result.error().partial);
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
