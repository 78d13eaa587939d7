// DORA metrics (collectors/github/metrics/dora.*): the definitions on hand-built
// timelines, and each source mode through the collector over an in-memory
// transport. Answers are shaped like GitHub's published examples
// (tests/fixtures/github/vendor: deployment-items, deployment-status-items,
// release-items, commit-comparison, workflow-run-paginated).
#include "collectors/github/metrics/dora.h"

#include <doctest/doctest.h>

#include "tests/collectors/github/world.h"

using namespace kpi;
using namespace kpi::github;
using namespace kpi::testing;
using namespace kpi::testing::github_world;
using namespace std::chrono_literals;

namespace {

constexpr auto kD = std::chrono::hours(24);
const std::string kSince = "2026-10-02T00:00:00Z";  // the clock's now minus 30 days, at midnight

std::string DeploymentJson(const FakeClock& clock, int id, const std::string& sha, std::chrono::seconds ago,
                           const std::string& environment = "production") {
  return "{\"url\":\"" + kRepo + "/deployments/" + std::to_string(id) + "\",\"id\":" + std::to_string(id) +
         ",\"node_id\":\"MDEwOkRlcGxveW1lbnQx\",\"sha\":\"" + sha + "\",\"ref\":\"main\",\"task\":\"deploy\","
         "\"payload\":{},\"original_environment\":\"" + environment + "\",\"environment\":\"" + environment +
         "\",\"description\":\"Deploy request from hubot\",\"creator\":null,\"created_at\":\"" + Ago(clock, ago) +
         "\",\"updated_at\":\"" + Ago(clock, ago) + "\",\"statuses_url\":\"" + kRepo + "/deployments/" +
         std::to_string(id) + "/statuses\",\"transient_environment\":false,\"production_environment\":true}";
}

// Statuses newest first, as GitHub lists them: {state, ago}.
std::string StatusesJson(const FakeClock& clock, const std::vector<std::pair<std::string, std::chrono::seconds>>& list) {
  std::string out;
  int id = 1;
  for (const auto& [state, ago] : list) {
    out += std::string(out.empty() ? "" : ",") + "{\"id\":" + std::to_string(id++) + ",\"state\":\"" + state +
           "\",\"description\":\"Deployment finished.\",\"environment\":\"production\",\"created_at\":\"" +
           Ago(clock, ago) + "\",\"updated_at\":\"" + Ago(clock, ago) + "\"}";
  }
  return "[" + out + "]";
}

std::string CommitJson(const FakeClock& clock, const std::string& sha, std::chrono::seconds authored,
                       const std::string& message) {
  return "{\"sha\":\"" + sha + "\",\"commit\":{\"author\":{\"name\":\"Monalisa Octocat\",\"email\":\"mona@github.com\","
         "\"date\":\"" + Ago(clock, authored) + "\"},\"committer\":{\"name\":\"GitHub\",\"date\":\"" +
         Ago(clock, authored) + "\"},\"message\":\"" + message + "\",\"comment_count\":0},\"parents\":[]}";
}

std::string ComparisonJson(int64_t total, const std::vector<std::string>& commits) {
  std::string list;
  for (const auto& c : commits) list += (list.empty() ? "" : ",") + c;
  return "{\"status\":\"ahead\",\"ahead_by\":" + std::to_string(total) + ",\"behind_by\":0,\"total_commits\":" +
         std::to_string(total) + ",\"commits\":[" + list + "],\"files\":[]}";
}

std::string LabelledUrl(const std::string& label) {
  return kRepo + "/issues?labels=" + label + "&state=all&since=" + kSince + "&per_page=100";
}

// The deployments timeline of README "DORA" (ago from now):
//   D1 a1  success 40d (then inactive)          base, outside the window
//   D2 b2  failure 20d                          failed; not a compare base
//   D3 c3  success 10d (later inactive)         ships a commit authored 41d ago and one 11d ago
//   D4 d4  staging, success 8d                  another environment: ignored
//   incident #50 opened 9d, closed 8d            after D3, before D5
//   D5 e5  success 2d                           3 commits, cap 2; first success after the incident
//   D7 g7  error 12h                            failed
//   D6 f6  in_progress 1h                       neither
void SetDeployments(World& w) {
  const auto& c = w.clock;
  w.Set(kRepo + "/deployments?environment=production&per_page=100",
        "[" + DeploymentJson(c, 6, "f6", 1h) + "," + DeploymentJson(c, 7, "g7", 12h) + "," +
            DeploymentJson(c, 5, "e5", 2 * kD) + "," + DeploymentJson(c, 4, "d4", 8 * kD, "staging") + "," +
            DeploymentJson(c, 3, "c3", 10 * kD) + "," + DeploymentJson(c, 2, "b2", 20 * kD) + "]",
        {{"link", "<" + kRepo + "/deployments?environment=production&per_page=100&page=2>; rel=\"next\""}});
  w.Set(kRepo + "/deployments?environment=production&per_page=100&page=2",
        "[" + DeploymentJson(c, 1, "a1", 40 * kD) + "]");
  const std::string statuses = kRepo + "/deployments/";
  w.Set(statuses + "1/statuses?per_page=100", StatusesJson(c, {{"inactive", 35 * kD}, {"success", 40 * kD}}));
  w.Set(statuses + "2/statuses?per_page=100", StatusesJson(c, {{"failure", 20 * kD}, {"in_progress", 20 * kD + 60s}}));
  w.Set(statuses + "3/statuses?per_page=100",
        StatusesJson(c, {{"inactive", 2 * kD}, {"success", 10 * kD}, {"in_progress", 10 * kD + 300s}}));
  w.Set(statuses + "4/statuses?per_page=100", StatusesJson(c, {{"success", 8 * kD}}));
  w.Set(statuses + "5/statuses?per_page=100", StatusesJson(c, {{"success", 2 * kD}}));
  w.Set(statuses + "6/statuses?per_page=100", StatusesJson(c, {{"in_progress", 1h}}));
  w.Set(statuses + "7/statuses?per_page=100", StatusesJson(c, {{"error", 12h}, {"queued", 13h}}));
  w.Set(kRepo + "/compare/a1...c3?per_page=100",
        ComparisonJson(2, {CommitJson(c, "x1", 41 * kD, "Old work"), CommitJson(c, "x2", 11 * kD, "New work")}));
  w.Set(kRepo + "/compare/c3...e5?per_page=100",
        ComparisonJson(3, {CommitJson(c, "y1", 3 * kD, "Merge pull request #7 from o/fix\\n\\nFix it"),
                           CommitJson(c, "y2", 4 * kD, "Tidy (#8)")}),
        {{"link", "<" + kRepo + "/compare/c3...e5?per_page=100&page=2>; rel=\"next\""}});
  w.Set(kRepo + "/compare/c3...e5?per_page=100&page=2",
        ComparisonJson(3, {CommitJson(c, "y3", 5 * kD, "Third")}));
  w.Set(LabelledUrl("incident"),
        "[{\"number\":50,\"created_at\":\"" + Ago(c, 9 * kD) + "\",\"closed_at\":\"" + Ago(c, 8 * kD) +
            "\",\"user\":{\"login\":\"oncall\"},\"labels\":[{\"name\":\"incident\"}],\"comments\":0}]");
  w.Set(LabelledUrl("hotfix"), "[]");
}

GithubConfig DoraWorld(DoraConfig dora = {}) {
  GithubConfig config;
  config.security = false;
  config.dora = std::move(dora);
  return config;
}

DoraConfig Capped(int cap) {
  DoraConfig dora;
  dora.max_commits_per_deployment = cap;
  return dora;
}

const std::string kR = "{repo=\"o/r\"}";
const std::string kMonth = "{repo=\"o/r\",window=\"30d\"}";

}  // namespace

TEST_CASE("deployments source: every DORA key from a hand-computed timeline") {
  World world(DoraWorld(Capped(2)));
  SetDeployments(world);
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_deployments{repo=\"o/r\",window=\"1d\"} 0"));
  CHECK(HasLine(text, "github_deployments{repo=\"o/r\",window=\"7d\"} 1"));
  CHECK(HasLine(text, "github_deployments{repo=\"o/r\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "github_deployments_failed{repo=\"o/r\",window=\"1d\"} 1"));
  CHECK(HasLine(text, "github_deployments_failed{repo=\"o/r\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "github_deployment_last_timestamp_seconds" + kR + " 1793361600"));  // 2 days before 12:00Z
  // D3: 31 d + 1 d; D5 (cut at 2 commits): 1 d + 2 d.
  CHECK(HasLine(text, "github_deployment_lead_time_seconds_count" + kMonth + " 4"));
  CHECK(HasLine(text, "github_deployment_lead_time_seconds_sum" + kMonth + " 3024000"));
  CHECK(world.report.truncations().contains({"o/r", "deployment_commits"}));
  // Decided in the window: D2 failed, D3 (incident after it), D5, D7 failed: 3 of 4.
  CHECK(HasLine(text, "github_change_failure_ratio" + kMonth + " 0.75"));
  CHECK(HasLine(text, "github_time_to_restore_seconds_sum" + kMonth + " 86400"));
  CHECK(HasLine(text, "github_time_to_restore_seconds_count" + kMonth + " 1"));
  // D2 (20 d) -> D3 (10 d); D7 has not recovered yet.
  CHECK(HasLine(text, "github_failed_deployment_recovery_seconds_sum" + kMonth + " 864000"));
  CHECK(HasLine(text, "github_failed_deployment_recovery_seconds_count" + kMonth + " 1"));
  // D5 is the first success after the incident: 1 of 2.
  CHECK(HasLine(text, "github_deployment_rework_ratio" + kMonth + " 0.5"));
}

TEST_CASE("lead_time_from = pull_request: one observation per shipped pull request, from its first commit") {
  DoraConfig dora;
  dora.lead_time_from = DoraConfig::LeadTimeFrom::kPullRequest;
  World world(DoraWorld(dora));
  SetDeployments(world);
  // D5 (2 d ago) ships the merge commit of PR #7 and the squash commit "Tidy (#8)"; #8 is an issue, not a pull
  // request (404): no observation. D3 ships no pull request. PR #7's first commit was authored 6 d ago.
  world.Set(kRepo + "/pulls/7/commits?per_page=1", "[" + CommitJson(world.clock, "p1", 6 * kD, "Start") + "]");
  world.Set(kRepo + "/pulls/8/commits?per_page=1", R"({"message":"Not Found"})", {}, 404);
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_deployment_lead_time_seconds_count" + kMonth + " 1"));
  CHECK(HasLine(text, "github_deployment_lead_time_seconds_sum" + kMonth + " 345600"));  // 6 d - 2 d
  REQUIRE(world.Poll());  // a merged pull request's first commit is asked once
  CHECK(std::count_if(world.state->requests.begin(), world.state->requests.end(), [](const HttpRequest& r) {
          return r.url == kRepo + "/pulls/7/commits?per_page=1";
        }) == 1);
}

TEST_CASE("succeeded deployments and shipped commits are asked once, undecided ones again") {
  World world(DoraWorld());
  SetDeployments(world);
  REQUIRE(world.Poll());
  REQUIRE(world.Poll());
  const auto count = [&](const std::string& url) {
    return std::count_if(world.state->requests.begin(), world.state->requests.end(),
                         [&](const HttpRequest& r) { return r.url == url; });
  };
  CHECK(count(kRepo + "/deployments/3/statuses?per_page=100") == 1);
  CHECK(count(kRepo + "/compare/a1...c3?per_page=100") == 1);
  CHECK(count(kRepo + "/deployments/6/statuses?per_page=100") == 2);
  CHECK(count(kRepo + "/deployments/4/statuses?per_page=100") == 0);  // staging
}

TEST_CASE("a deployment's outcome: any success decides, else the latest failure or error") {
  const Deployment d{1, "s", "production", SystemTime{}};
  const auto at = [](int seconds) { return SystemTime{} + std::chrono::seconds(seconds); };
  auto success = OutcomeOf(d, {{"inactive", at(30)}, {"success", at(20)}, {"success", at(25)}, {"in_progress", at(10)}});
  REQUIRE(success);
  CHECK(success->succeeded);
  CHECK(success->at == at(20));
  for (const char* failed : {"failure", "error"}) {
    auto outcome = OutcomeOf(d, {{"in_progress", at(10)}, {failed, at(20)}});
    REQUIRE(outcome);
    CHECK_FALSE(outcome->succeeded);
    CHECK(outcome->at == at(20));
  }
  CHECK_FALSE(OutcomeOf(d, {{"failure", at(10)}, {"in_progress", at(20)}}));  // retried, running again
  CHECK_FALSE(OutcomeOf(d, {{"pending", at(10)}}));
  CHECK_FALSE(OutcomeOf(d, {}));
}

TEST_CASE("rework: a revert, a rework-labelled pull request, or the first success after an incident") {
  const SystemTime now = SystemTime{} + 400 * kD;
  const auto at = [&](int days_ago) { return now - days_ago * kD; };
  const std::vector<DeploymentOutcome> deployments{{"a", at(40), true}, {"b", at(20), true}, {"c", at(15), true},
                                                   {"d", at(10), true}, {"e", at(5), true}, {"f", at(3), true}};
  std::map<size_t, Shipped> shipped;
  shipped[1].reverts = true;                 // b ships `Revert "…"`
  shipped[2].pull_requests = {12};           // c ships PR #12, labelled hotfix
  shipped[3].pull_requests = {13};           // d ships PR #13, not labelled
  const std::vector<Incident> incidents{{at(7), std::nullopt}};  // e is the first success after it; f is not
  const auto stats = ComputeDora(deployments, shipped, incidents, {12}, now);
  REQUIRE(stats.rework_ratio);
  CHECK(*stats.rework_ratio == doctest::Approx(3.0 / 5.0));  // b, c, e of b..f
  // d is followed by the incident before e: a change failure; a is outside the window.
  REQUIRE(stats.change_failure_ratio);
  CHECK(*stats.change_failure_ratio == doctest::Approx(1.0 / 5.0));
  CHECK(stats.restore_times.empty());  // not closed
}

TEST_CASE("without a previous success nothing was newly shipped: no lead time, no ratios without deployments") {
  const SystemTime now = SystemTime{} + 400 * kD;
  const auto stats = ComputeDora({{"a", now - 2 * kD, true}}, {}, {}, {}, now);
  CHECK(stats.lead_times.empty());
  CHECK(stats.deployments_7d == 1);
  const auto none = ComputeDora({}, {}, {}, {}, now);
  CHECK_FALSE(none.change_failure_ratio);
  CHECK_FALSE(none.rework_ratio);
}

TEST_CASE("consecutive failures are one episode, recovered at the next success") {
  const SystemTime now = SystemTime{} + 400 * kD;
  const auto at = [&](int hours_ago) { return now - std::chrono::hours(hours_ago); };
  const auto stats = ComputeDora({{"a", at(50), true}, {"b", at(10), false}, {"c", at(8), false}, {"d", at(4), true}},
                                 {}, {}, {}, now);
  REQUIRE(stats.recovery_times.size() == 1);
  CHECK(stats.recovery_times[0] == 6 * 3600);
  CHECK(stats.failed_1d == 2);
}

TEST_CASE("merge and squash messages name their pull request, others do not") {
  CHECK(PullRequestOfMessage("Merge pull request #12 from o/topic\n\nText") == 12);
  CHECK(PullRequestOfMessage("Add a cache (#345)\n\n* squashed") == 345);
  CHECK_FALSE(PullRequestOfMessage("Fix (#12) later"));
  CHECK_FALSE(PullRequestOfMessage("Plain commit"));
  CHECK_FALSE(PullRequestOfMessage("Body\n\nMerge pull request #12 from o/x"));
  CHECK(IsRevertMessage("Revert \"Add a cache\"\n\nThis reverts commit abc."));
  CHECK_FALSE(IsRevertMessage("Reverted the cache"));
}

TEST_CASE("releases source: published releases, drafts and prereleases left out") {
  DoraConfig dora;
  dora.source = DoraConfig::Source::kReleases;
  World world(DoraWorld(dora));
  const auto& c = world.clock;
  const auto release = [&](int id, const std::string& tag, bool draft, bool prerelease,
                           std::optional<std::chrono::seconds> published) {
    return "{\"id\":" + std::to_string(id) + ",\"tag_name\":\"" + tag +
           "\",\"target_commitish\":\"main\",\"name\":\"" + tag + "\",\"draft\":" + (draft ? "true" : "false") +
           ",\"prerelease\":" + (prerelease ? "true" : "false") + ",\"created_at\":\"" +
           Ago(c, published.value_or(1h)) + "\",\"published_at\":" +
           (published ? "\"" + Ago(c, *published) + "\"" : std::string("null")) + ",\"assets\":[]}";
  };
  world.Set(kRepo + "/releases?per_page=100",
            "[" + release(4, "v3.0.0", true, false, std::nullopt) + "," + release(3, "v2.1.0-rc1", false, true, 2 * kD) +
                "," + release(2, "v2.0.0", false, false, 5 * kD) + "," + release(1, "v1.0.0", false, false, 40 * kD) +
                "]");
  world.Set(kRepo + "/compare/v1.0.0...v2.0.0?per_page=100",
            ComparisonJson(1, {CommitJson(c, "z1", 6 * kD, "Feature")}));
  world.Set(LabelledUrl("incident"), "[]");
  world.Set(LabelledUrl("hotfix"), "[]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_deployments{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_deployments_failed{repo=\"o/r\",window=\"30d\"} 0"));
  CHECK(HasLine(text, "github_deployment_lead_time_seconds_sum" + kMonth + " 86400"));
  CHECK(HasLine(text, "github_change_failure_ratio" + kMonth + " 0"));
}

TEST_CASE("workflow source: the default branch's own runs, success and failure decide") {
  DoraConfig dora;
  dora.source = DoraConfig::Source::kWorkflow;
  dora.workflow = "deploy.yml";
  World world(DoraWorld(dora));
  const auto& c = world.clock;
  const auto run = [&](const std::string& conclusion, const std::string& sha, std::chrono::seconds ago,
                       const std::string& event = "push", int head_repository = 1) {
    return "{\"id\":1,\"event\":\"" + event + "\",\"status\":\"completed\",\"conclusion\":\"" + conclusion +
           "\",\"head_branch\":\"main\",\"head_sha\":\"" + sha + "\",\"created_at\":\"" + Ago(c, ago) +
           "\",\"updated_at\":\"" + Ago(c, ago) + "\",\"head_repository\":{\"id\":" + std::to_string(head_repository) +
           "},\"repository\":{\"id\":1}}";
  };
  world.Set(kRepo + "/actions/workflows/deploy.yml/runs?branch=main&status=completed&exclude_pull_requests=true&per_page=100",
            "{\"total_count\":5,\"workflow_runs\":[" + run("failure", "p1", 1h, "pull_request", 2) + "," +
                run("success", "s3", 1 * kD) + "," + run("cancelled", "s2", 2 * kD) + "," + run("timed_out", "s2", 3 * kD) +
                "," + run("success", "s1", 35 * kD) + "]}");
  world.Set(kRepo + "/compare/s1...s3?per_page=100", ComparisonJson(1, {CommitJson(c, "s3", 4 * kD, "Change")}));
  world.Set(LabelledUrl("incident"), "[]");
  world.Set(LabelledUrl("hotfix"), "[]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_deployments{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_deployments_failed{repo=\"o/r\",window=\"7d\"} 1"));  // timed_out; a fork's PR is not ours
  CHECK(HasLine(text, "github_failed_deployment_recovery_seconds_sum" + kMonth + " 172800"));
  CHECK(HasLine(text, "github_deployment_lead_time_seconds_sum" + kMonth + " 259200"));
  CHECK(HasLine(text, "github_change_failure_ratio" + kMonth + " 0.5"));
}

TEST_CASE("deployments cut by max_pages inside the window keep the last complete DORA values") {
  GithubConfig config = DoraWorld();
  config.max_pages = 1;
  World world(config);
  const auto& c = world.clock;
  world.Set(kRepo + "/deployments?environment=production&per_page=100", "[" + DeploymentJson(c, 5, "e5", 2 * kD) + "]");
  world.Set(kRepo + "/deployments/5/statuses?per_page=100", StatusesJson(c, {{"success", 2 * kD}}));
  world.Set(LabelledUrl("incident"), "[]");
  world.Set(LabelledUrl("hotfix"), "[]");
  CHECK(HasLine(world.PollText(), "github_deployments{repo=\"o/r\",window=\"30d\"} 1"));
  world.Set(kRepo + "/deployments?environment=production&per_page=100", "[" + DeploymentJson(c, 6, "f6", 1h) + "]",
            {{"link", "<" + kRepo + "/deployments?environment=production&per_page=100&page=2>; rel=\"next\""}});
  world.Set(kRepo + "/deployments/6/statuses?per_page=100", StatusesJson(c, {{"success", 1h}}));
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_deployments{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(world.report.truncations().contains({"o/r", "deployments"}));
}

TEST_CASE("a deployment whose statuses max_pages cut decides nothing: DORA series stay absent") {
  GithubConfig config = DoraWorld();
  config.max_pages = 1;
  World world(config);
  const auto& c = world.clock;
  world.Set(kRepo + "/deployments?environment=production&per_page=100", "[" + DeploymentJson(c, 5, "e5", 2 * kD) + "]");
  world.Set(kRepo + "/deployments/5/statuses?per_page=100", StatusesJson(c, {{"inactive", 1 * kD}}),
            {{"link", "<" + kRepo + "/deployments/5/statuses?per_page=100&page=2>; rel=\"next\""}});
  world.Set(LabelledUrl("incident"), "[]");
  world.Set(LabelledUrl("hotfix"), "[]");
  const std::string text = world.PollText();
  CHECK(text.find("github_deployments") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(world.report.truncations().contains({"o/r", "deployment_statuses"}));
}

TEST_CASE("failed_deployments and incidents list the DORA window's failures and incidents, newest first") {
  World world(DoraWorld());
  SetDeployments(world);
  const auto& c = world.clock;
  const std::string statuses = kRepo + "/deployments/";
  // GitHub's deployment-status-items: log_url, or only the older target_url.
  world.Set(statuses + "7/statuses?per_page=100",
            "[{\"id\":2,\"state\":\"error\",\"log_url\":\"https://ci.test/deploy/7\",\"target_url\":\"https://ci.test/t/7\","
            "\"created_at\":\"" + Ago(c, 12h) + "\"},{\"id\":1,\"state\":\"queued\",\"created_at\":\"" + Ago(c, 13h) + "\"}]");
  world.Set(statuses + "2/statuses?per_page=100",
            "[{\"id\":2,\"state\":\"failure\",\"log_url\":\"\",\"target_url\":\"https://ci.test/t/2\",\"created_at\":\"" +
                Ago(c, 20 * kD) + "\"}]");
  const auto incident = [&](int number, std::chrono::seconds opened, std::optional<std::chrono::seconds> closed) {
    return "{\"number\":" + std::to_string(number) + ",\"title\":\"Outage " + std::to_string(number) +
           "\",\"html_url\":\"https://github.test/o/r/issues/" + std::to_string(number) + "\",\"created_at\":\"" +
           Ago(c, opened) + "\",\"closed_at\":" + (closed ? "\"" + Ago(c, *closed) + "\"" : std::string("null")) +
           ",\"user\":{\"login\":\"oncall\"},\"labels\":[{\"name\":\"incident\"}],\"comments\":0}";
  };
  // #51 was opened and closed before the window (a late comment brought it into the listing): not listed.
  world.Set(LabelledUrl("incident"), "[" + incident(52, 1 * kD, std::nullopt) + "," + incident(50, 9 * kD, 8 * kD) + "," +
                                         incident(51, 45 * kD, 40 * kD) + "]");
  auto snapshot = world.Poll();
  REQUIRE(snapshot);

  const ItemList& failed = World::List(*snapshot, "failed_deployments");
  CHECK(failed.metrics == std::vector<std::string>{"github_deployments_failed", "github_change_failure_ratio"});
  CHECK(failed.total == 2);
  REQUIRE(failed.items.size() == 2);
  CHECK(failed.items[0].id == "deployment 7");
  CHECK(failed.items[0].url == "https://ci.test/deploy/7");
  CHECK(failed.items[0].since == c.Now() - 12h);
  CHECK(failed.items[0].fields == std::vector<std::pair<std::string, std::string>>{{"deployed", "g7"}});
  CHECK(failed.items[1].id == "deployment 2");
  CHECK(failed.items[1].url == "https://ci.test/t/2");
  CHECK(failed.items[1].since == c.Now() - 20 * kD);

  const ItemList& incidents = World::List(*snapshot, "incidents");
  CHECK(incidents.metrics == std::vector<std::string>{"github_change_failure_ratio", "github_time_to_restore_seconds"});
  CHECK(incidents.total == 2);
  REQUIRE(incidents.items.size() == 2);
  CHECK(incidents.items[0].id == "#52");
  CHECK(incidents.items[0].title == "Outage 52");
  CHECK(incidents.items[0].url == "https://github.test/o/r/issues/52");
  CHECK(incidents.items[0].since == c.Now() - 1 * kD);
  CHECK(incidents.items[0].fields == std::vector<std::pair<std::string, std::string>>{{"closed", "open"}});
  CHECK(incidents.items[1].id == "#50");
  CHECK(incidents.items[1].fields ==
        std::vector<std::pair<std::string, std::string>>{{"closed", FormatTimestamp(c.Now() - 8 * kD)}});
}
