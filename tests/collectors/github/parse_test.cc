#include "collectors/github/parse.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "collectors/common/time_util.h"
#include "collectors/common/upstream/json.h"

using namespace kpi;
using namespace kpi::github;

TEST_CASE("repository fields, watchers from subscribers_count") {
  auto repo = ParseRepo(R"({"stargazers_count": 10, "watchers_count": 10, "subscribers_count": 3, "forks_count": 2,
                            "open_issues_count": 7, "default_branch": "main", "language": null, "archived": true})");
  REQUIRE(repo);
  CHECK(repo->stars == 10);
  CHECK(repo->watchers == 3);
  CHECK(repo->forks == 2);
  CHECK(repo->default_branch == "main");
  CHECK(repo->language == "");
  CHECK(repo->archived);
}

TEST_CASE("malformed repository answers are parse errors naming the problem") {
  const auto error = [](const char* body) {
    auto repo = ParseRepo(body);
    REQUIRE_FALSE(repo);
    CHECK(repo.error().reason == "parse");
    return repo.error().message;
  };
  CHECK(error("").find("malformed JSON") != std::string::npos);
  CHECK(error(R"({"stargazers_count": 10, "forks_count": )").find("malformed JSON") != std::string::npos);  // truncated
  CHECK(error("[]") == "repository: repository is not an object");
  CHECK(error(R"({"stargazers_count": "10"})") == "repository: field 'stargazers_count' is not an integer");
  CHECK(error(R"({"stargazers_count": 1, "forks_count": 1, "subscribers_count": 1, "open_issues_count": 1})") ==
        "repository: field 'default_branch' is missing");
  CHECK(!error(R"({"stargazers_count": 99999999999999999999})").empty());  // beyond int64
  CHECK(error(std::string(100000, '[').c_str()).find("malformed JSON") != std::string::npos);  // hostile nesting
}

// Issue 16, "held up": numbers JSON cannot carry exactly are parse errors, never a value.
TEST_CASE("1e309, NaN, Infinity, 2^64 and negative counts in an answer are parse errors") {
  const auto error_for = [](const std::string& stars) {
    auto repo = ParseRepo(R"({"stargazers_count": )" + stars +
                          R"(, "forks_count": 1, "subscribers_count": 1, "open_issues_count": 1, "default_branch": "main"})");
    REQUIRE_FALSE(repo);
    CHECK(repo.error().reason == "parse");
    return repo.error().message;
  };
  for (const char* number : {"1e309", "-1e309", "NaN", "Infinity", "-Infinity"}) {
    CAPTURE(std::string(number));
    CHECK(error_for(number).find("malformed JSON") != std::string::npos);
  }
  // 2^64, 2^64-1 and 2^53+1 (no longer exact as a double), a negative count
  for (const char* number : {"18446744073709551616", "18446744073709551615", "9007199254740993", "-5"}) {
    CAPTURE(std::string(number));
    CHECK(!error_for(number).empty());
  }
}

TEST_CASE("issues: pull requests are marked, labels and authors read") {
  auto issues = ParseIssues(R"([
    {"number": 1, "created_at": "2026-01-01T00:00:00Z", "user": {"login": "a"}, "comments": 2,
     "labels": [{"name": "bug"}, {"name": "ui"}]},
    {"number": 2, "created_at": "2026-01-02T00:00:00Z", "user": {"login": "b"}, "pull_request": {"url": "x"}}
  ])");
  REQUIRE(issues);
  REQUIRE(issues->size() == 2);
  CHECK_FALSE((*issues)[0].is_pull_request);
  CHECK((*issues)[0].labels == std::vector<std::string>{"bug", "ui"});
  CHECK((*issues)[0].comments == 2);
  CHECK((*issues)[1].is_pull_request);
  CHECK((*issues)[1].author == "b");
  CHECK(ParseIssues(R"([{"number": 1, "created_at": "yesterday", "user": {"login": "a"}}])").error().message ==
        "issues: field 'created_at' is not a timestamp");
  CHECK_FALSE(ParseIssues(R"([1, 2])"));
  CHECK_FALSE(ParseIssues(R"({"message": "Not Found"})"));
}

TEST_CASE("comments: bots by type or [bot] suffix, deleted users have no author") {
  auto comments = ParseComments(R"([
    {"user": {"login": "dependabot[bot]", "type": "Bot"}, "created_at": "2026-01-01T00:00:00Z"},
    {"user": {"login": "renovate[bot]"}, "created_at": "2026-01-01T00:00:00Z"},
    {"user": {"login": "human", "type": "User"}, "created_at": "2026-01-01T01:00:00Z"},
    {"user": null, "created_at": "2026-01-01T02:00:00Z"}
  ])");
  REQUIRE(comments);
  CHECK((*comments)[0].author_is_bot);
  CHECK((*comments)[1].author_is_bot);
  CHECK_FALSE((*comments)[2].author_is_bot);
  CHECK((*comments)[3].author.empty());
}

TEST_CASE("workflows and runs") {
  auto workflows = ParseWorkflows(R"({"total_count": 2, "workflows": [
    {"id": 1, "name": "CI", "state": "active"}, {"id": 2, "name": "Old", "state": "disabled_manually"}]})");
  REQUIRE(workflows);
  CHECK((*workflows)[0].active);
  CHECK_FALSE((*workflows)[1].active);
  auto runs = ParseWorkflowRuns(R"({"workflow_runs": [
    {"conclusion": "failure", "created_at": "2026-01-01T00:00:00Z", "run_started_at": "2026-01-01T00:01:00Z",
     "updated_at": "2026-01-01T00:11:00Z"},
    {"conclusion": null, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}]})");
  REQUIRE(runs);
  CHECK((*runs)[0].conclusion == "failure");
  CHECK(Seconds((*runs)[0].updated_at - (*runs)[0].started_at).count() == 600);
  CHECK((*runs)[1].conclusion == "");
  CHECK((*runs)[1].started_at == (*runs)[1].updated_at);  // no run_started_at: created_at
  CHECK_FALSE(ParseWorkflowRuns(R"({"workflow_runs": "nope"})"));
}

TEST_CASE("pull requests, rate limits, org repositories, array length") {
  auto pulls = ParsePullRequests(R"([{"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
                                      "merged_at": null}])");
  REQUIRE(pulls);
  CHECK_FALSE((*pulls)[0].merged_at);

  auto limits = ParseRateLimits(R"({"resources": {"core": {"limit": 5000, "remaining": 4999, "reset": 1700000000},
                                                   "search": {"limit": 30, "remaining": 0, "reset": 1700000060}}})");
  REQUIRE(limits);
  REQUIRE(limits->size() == 2);
  CHECK((*limits)[0].resource == "core");
  CHECK((*limits)[1].remaining == 0);

  auto names = ParseActiveRepoNames(R"([{"full_name": "a/x", "archived": false}, {"full_name": "a/y", "archived": true},
                                        {"full_name": "a/z"}])");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"a/x", "a/z"});

  CHECK(json::ParseArrayLength("[1, 2, 3]") == 3);
  CHECK_FALSE(json::ParseArrayLength("{}"));
}

namespace {

// GitHub's own examples from its OpenAPI description (tests/fixtures/github/vendor).
std::string VendorExample(const std::string& name) {
  std::ifstream in(std::string(KPI_SOURCE_DIR) + "/tests/fixtures/github/vendor/" + name + ".json");
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("GitHub's published examples parse to the values they show") {
  auto repo = ParseRepo(VendorExample("full-repository"));
  REQUIRE(repo);
  CHECK(repo->stars == 80);
  CHECK(repo->forks == 9);
  CHECK(repo->watchers == 42);
  CHECK(repo->default_branch == "master");
  CHECK(repo->language == "");
  CHECK_FALSE(repo->archived);

  auto issues = ParseIssues(VendorExample("issue-items"));
  REQUIRE(issues);
  REQUIRE(issues->size() == 1);
  CHECK((*issues)[0].number == 1347);
  CHECK((*issues)[0].is_pull_request);
  CHECK((*issues)[0].author == "octocat");
  CHECK((*issues)[0].labels == std::vector<std::string>{"bug"});
  CHECK(ToUnixSeconds((*issues)[0].created_at) == 1303479228);  // 2011-04-22T13:33:48Z
  CHECK((*issues)[0].title == "Found a bug");
  CHECK((*issues)[0].html_url == "https://github.com/octocat/Hello-World/issues/1347");

  auto comments = ParseComments(VendorExample("issue-comment-items"));
  REQUIRE(comments);
  REQUIRE(comments->size() == 1);
  CHECK((*comments)[0].author == "octocat");
  CHECK_FALSE((*comments)[0].author_is_bot);
  CHECK(ToUnixSeconds((*comments)[0].created_at) == 1302796849);  // 2011-04-14T16:00:49Z

  auto workflows = ParseWorkflows(VendorExample("workflow-paginated"));
  REQUIRE(workflows);
  REQUIRE(workflows->size() == 2);
  CHECK((*workflows)[0].id == 161335);
  CHECK((*workflows)[0].name == "CI");
  CHECK((*workflows)[1].name == "Linter");
  CHECK((*workflows)[1].active);

  // The example run was pushed to octo-org/octo-repo (id 217723378) but belongs
  // to octocat/Hello-World (id 1296269): not the repository's own code.
  auto runs = ParseWorkflowRuns(VendorExample("workflow-run-paginated"));
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  CHECK((*runs)[0].event == "push");
  CHECK((*runs)[0].conclusion == "");  // queued: no conclusion yet
  CHECK_FALSE((*runs)[0].from_own_repository);
  CHECK(ToUnixSeconds((*runs)[0].started_at) == 1579721588);  // 2020-01-22T19:33:08Z
  CHECK((*runs)[0].id == 30433642);
  CHECK((*runs)[0].html_url == "https://github.com/octo-org/octo-repo/actions/runs/30433642");

  auto pulls = ParsePullRequests(VendorExample("pull-request-simple-items"));
  REQUIRE(pulls);
  REQUIRE(pulls->size() == 1);
  REQUIRE((*pulls)[0].merged_at);
  CHECK(ToUnixSeconds(*(*pulls)[0].merged_at) == 1296068472);  // 2011-01-26T19:01:12Z
  CHECK((*pulls)[0].number == 1347);
  CHECK((*pulls)[0].title == "Amazing new feature");
  CHECK((*pulls)[0].html_url == "https://github.com/octocat/Hello-World/pull/1347");

  auto limits = ParseRateLimits(VendorExample("rate-limit-overview"));
  REQUIRE(limits);
  CHECK(limits->size() == 10);
  const auto core = std::find_if(limits->begin(), limits->end(), [](const RateLimit& l) { return l.resource == "core"; });
  REQUIRE(core != limits->end());
  CHECK(core->limit == 5000);
  CHECK(core->remaining == 4999);
  CHECK(core->reset == 1691591363);

  auto names = ParseActiveRepoNames(VendorExample("minimal-repository-items"));
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"octocat/Hello-World"});
}

TEST_CASE("issues of deleted accounts and labels given as plain strings are valid") {
  auto issues = ParseIssues(R"([{"number": 9, "created_at": "2026-01-01T00:00:00Z", "user": null, "comments": 1,
                                 "labels": ["bug", {"name": "ui"}]}])");
  REQUIRE(issues);
  REQUIRE(issues->size() == 1);
  CHECK((*issues)[0].author == "");
  CHECK((*issues)[0].labels == std::vector<std::string>{"bug", "ui"});
  CHECK_FALSE(ParseIssues(R"([{"number": 9, "created_at": "2026-01-01T00:00:00Z", "user": null, "labels": [7]}])"));
}

TEST_CASE("a run from the repository itself is told from a fork's by repository id") {
  auto runs = ParseWorkflowRuns(R"({"workflow_runs": [
    {"event": "push", "conclusion": "success", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:05:00Z",
     "head_repository": {"id": 5, "full_name": "o/r"}, "repository": {"id": 5, "full_name": "o/r"}},
    {"event": "pull_request", "conclusion": "failure", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:05:00Z",
     "head_repository": {"id": 6, "full_name": "fork/r"}, "repository": {"id": 5, "full_name": "o/r"}},
    {"event": "push", "conclusion": "failure", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:05:00Z",
     "head_repository": null, "repository": {"id": 5, "full_name": "o/r"}}]})");
  REQUIRE(runs);
  REQUIRE(runs->size() == 3);
  CHECK((*runs)[0].from_own_repository);
  CHECK((*runs)[0].event == "push");
  CHECK_FALSE((*runs)[1].from_own_repository);
  CHECK((*runs)[1].event == "pull_request");
  CHECK_FALSE((*runs)[2].from_own_repository);
  CHECK(ToUnixSeconds((*runs)[0].started_at) == 1767225600);  // created_at when run_started_at is absent
}

TEST_CASE("an installation and its access token, as GitHub documents them") {
  // The shapes of GitHub's examples for GET /orgs/{org}/installation and POST .../access_tokens.
  CHECK(ParseInstallationId(R"({"id": 1, "account": {"login": "octocat"}, "app_id": 1})") == 1);
  CHECK_FALSE(ParseInstallationId(R"({"account": {}})"));
  auto token = ParseInstallationToken(R"({"token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    "expires_at": "2016-07-11T22:14:10Z", "permissions": {"issues": "write"}, "repository_selection": "selected"})");
  REQUIRE(token);
  CHECK(token->token == "ghs_16C7e42F292c6912E7710c838347Ae178B4a");
  CHECK(ToUnixSeconds(token->expires_at) == 1468275250);
  // A token goes into a header line: a line break in it is a malformed answer, not a second header.
  auto injected = ParseInstallationToken(R"({"token": "ghs_x\r\nX-Evil: 1", "expires_at": "2016-07-11T22:14:10Z"})");
  REQUIRE_FALSE(injected);
  CHECK(injected.error().message.find("ghs_x") == std::string::npos);
  CHECK_FALSE(ParseInstallationToken(R"({"token": "", "expires_at": "2016-07-11T22:14:10Z"})"));
  CHECK_FALSE(ParseInstallationToken(R"({"token": "ghs_y", "expires_at": "soon"})"));
}

TEST_CASE("GitHub's published DORA and security examples parse to the values they show") {
  auto deployments = ParseDeployments(VendorExample("deployment-items"));
  REQUIRE(deployments);
  REQUIRE(deployments->size() == 1);
  CHECK((*deployments)[0].id == 1);
  CHECK((*deployments)[0].sha == "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d");
  CHECK((*deployments)[0].environment == "production");
  CHECK(ToUnixSeconds((*deployments)[0].created_at) == 1342747153);  // 2012-07-20T01:19:13Z

  auto statuses = ParseDeploymentStatuses(VendorExample("deployment-status-items"));
  REQUIRE(statuses);
  REQUIRE(statuses->size() == 1);
  CHECK((*statuses)[0].state == "success");
  CHECK((*statuses)[0].log_url == "https://example.com/deployment/42/output");

  auto releases = ParseReleases(VendorExample("release-items"));
  REQUIRE(releases);
  REQUIRE(releases->size() == 1);
  CHECK((*releases)[0].tag_name == "v1.0.0");
  CHECK_FALSE((*releases)[0].draft);
  CHECK_FALSE((*releases)[0].prerelease);
  REQUIRE((*releases)[0].published_at);
  CHECK(ToUnixSeconds(*(*releases)[0].published_at) == 1361993732);  // 2013-02-27T19:35:32Z
  CHECK((*releases)[0].html_url == "https://github.com/octocat/Hello-World/releases/v1.0.0");

  auto comparison = ParseComparison(VendorExample("commit-comparison"));
  REQUIRE(comparison);
  CHECK(comparison->total_commits == 1);
  REQUIRE(comparison->commits.size() == 1);
  CHECK(comparison->commits[0].message == "Fix all the bugs");
  REQUIRE(comparison->commits[0].authored_at);
  CHECK(ToUnixSeconds(*comparison->commits[0].authored_at) == 1302796849);  // 2011-04-14T16:00:49Z

  auto dependabot = ParseDependabotAlerts(VendorExample("dependabot-alerts-for-repository"));
  REQUIRE(dependabot);
  REQUIRE(dependabot->size() == 2);
  CHECK((*dependabot)[0].state == "dismissed");
  CHECK((*dependabot)[0].severity == "high");
  CHECK_FALSE((*dependabot)[0].fixed_at);
  CHECK((*dependabot)[1].state == "open");
  CHECK((*dependabot)[1].severity == "medium");
  CHECK((*dependabot)[0].number == 2);
  CHECK((*dependabot)[0].package == "django");
  CHECK((*dependabot)[0].html_url == "https://github.com/octocat/hello-world/security/dependabot/2");
  CHECK((*dependabot)[1].package == "ansible");

  // The example's rule has no security_severity_level: not a security alert.
  auto code = ParseCodeScanningAlerts(VendorExample("code-scanning-alert-items"));
  REQUIRE(code);
  REQUIRE(code->size() == 2);
  CHECK((*code)[0].state == "open");
  CHECK((*code)[0].security_severity.empty());

  auto secrets = json::ParseArrayLength(VendorExample("secret-scanning-alert-list"));
  REQUIRE(secrets);
  CHECK(*secrets == 1);
}
