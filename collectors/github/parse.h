// GitHub REST API answers parsed into plain structs. Pure functions of the
// body, so every malformed shape is unit-tested without a network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"

namespace kpi::github {

struct Repo {
  int64_t stars = 0;
  int64_t forks = 0;
  int64_t watchers = 0;           // subscribers_count; watchers_count is a legacy alias of stars
  std::string default_branch;
  std::string language;  // "" when GitHub detected none
  bool archived = false;
  // GraphQL only: the oid of the default branch's newest commit ("" from REST, or for an empty repository).
  std::string head_commit;
};

// Open issues (pull requests excluded) and open pull requests of a repository.
struct OpenCounts {
  int64_t issues = 0;
  int64_t pull_requests = 0;
};

// An entry of /issues, which lists pull requests too (they carry "pull_request").
struct Issue {
  int64_t number = 0;
  bool is_pull_request = false;
  bool open = false;  // state "open"
  SystemTime created_at;
  std::string author;  // "" for a deleted account (user: null)
  std::vector<std::string> labels;
  int64_t comments = 0;
  std::optional<SystemTime> closed_at;
  // Moves with every new comment: a lookup that found no first response stays
  // true while it is unchanged (absent: never assumed unchanged).
  std::optional<SystemTime> updated_at = std::nullopt;
  std::string title = "";     // upstream text: for the drill-down lists only, never a label
  std::string html_url = "";  // where a person opens it
};

struct Comment {
  std::string author;
  bool author_is_bot = false;
  SystemTime created_at;
};

struct Workflow {
  int64_t id = 0;
  std::string name;  // not unique: two workflow files may share a name
  std::string path;  // ".github/workflows/ci.yml": unique within the repository
  bool active = false;
};

struct WorkflowRun {
  int64_t id = 0;
  std::string html_url = "";
  std::string event;       // push, schedule, pull_request, ...
  std::string conclusion;  // success, failure, cancelled, skipped, timed_out, ...
  // False when the run's code came from another repository (a fork's pull
  // request whose branch has the default branch's name) or from a deleted one.
  bool from_own_repository = false;
  std::string head_sha;
  SystemTime started_at;
  SystemTime updated_at;
};

struct PullRequest {
  SystemTime created_at;
  SystemTime updated_at;
  std::optional<SystemTime> merged_at;
  int64_t number = 0;
  std::string title = "";  // upstream text: for the drill-down lists only
  std::string html_url = "";
};

struct RateLimit {
  std::string resource;
  int64_t limit = 0;
  int64_t remaining = 0;
  int64_t reset = 0;  // Unix seconds
};

// GET /repos/{owner}/{repo}/deployments (newest first).
struct Deployment {
  int64_t id = 0;
  std::string sha;
  std::string environment;
  SystemTime created_at;
};

// GET /repos/{owner}/{repo}/deployments/{id}/statuses (newest first).
struct DeploymentStatus {
  std::string state;  // error, failure, inactive, pending, success, queued, in_progress
  SystemTime created_at;
  std::string log_url = "";  // log_url, else the older target_url; "" when neither is set
};

// GET /repos/{owner}/{repo}/releases.
struct Release {
  std::string tag_name;
  bool draft = false;
  bool prerelease = false;
  std::optional<SystemTime> published_at;  // null for drafts
  SystemTime created_at;
  std::string html_url = "";
};

// One commit of GET /repos/{owner}/{repo}/compare/{base}...{head} or of
// GET /repos/{owner}/{repo}/pulls/{number}/commits.
struct ComparedCommit {
  std::string sha;
  std::optional<SystemTime> authored_at;  // commit.author.date; the git author may be absent
  std::string message;
};

struct Comparison {
  int64_t total_commits = 0;  // all commits between base and head, beyond any page
  std::vector<ComparedCommit> commits;
};

// GET /repos/{owner}/{repo}/dependabot/alerts.
struct DependabotAlert {
  std::string state;     // open, fixed, dismissed, auto_dismissed
  std::string severity;  // security_advisory.severity: low, medium, high, critical
  SystemTime created_at;
  std::optional<SystemTime> fixed_at;
  int64_t number = 0;
  std::string package = "";  // dependency.package.name
  std::string html_url = "";
};

// GET /repos/{owner}/{repo}/code-scanning/alerts.
struct CodeScanningAlert {
  std::string state;
  std::string security_severity;  // rule.security_severity_level; "" for code-quality rules
};

// An installation access token (POST /app/installations/{id}/access_tokens).
// What each parsed object owns on the heap (ParseOnce charges it to the cache).
size_t HeapBytes(const Repo& repo);
size_t HeapBytes(const Issue& issue);
size_t HeapBytes(const Comment& comment);
size_t HeapBytes(const Workflow& workflow);
size_t HeapBytes(const WorkflowRun& run);
size_t HeapBytes(const PullRequest& pull);

struct InstallationToken {
  std::string token;  // a secret: never in an error or a log
  SystemTime expires_at;
};

tl::expected<Repo, Error> ParseRepo(std::string_view body);
tl::expected<std::vector<Issue>, Error> ParseIssues(std::string_view body);
tl::expected<std::vector<Comment>, Error> ParseComments(std::string_view body);
tl::expected<std::vector<Workflow>, Error> ParseWorkflows(std::string_view body);
tl::expected<std::vector<WorkflowRun>, Error> ParseWorkflowRuns(std::string_view body);
tl::expected<std::vector<PullRequest>, Error> ParsePullRequests(std::string_view body);
tl::expected<std::vector<RateLimit>, Error> ParseRateLimits(std::string_view body);
tl::expected<std::vector<Deployment>, Error> ParseDeployments(std::string_view body);
tl::expected<std::vector<DeploymentStatus>, Error> ParseDeploymentStatuses(std::string_view body);
tl::expected<std::vector<Release>, Error> ParseReleases(std::string_view body);
tl::expected<Comparison, Error> ParseComparison(std::string_view body);
tl::expected<std::vector<ComparedCommit>, Error> ParseCommits(std::string_view body);
tl::expected<std::vector<DependabotAlert>, Error> ParseDependabotAlerts(std::string_view body);
tl::expected<std::vector<CodeScanningAlert>, Error> ParseCodeScanningAlerts(std::string_view body);
// full_name of every repository on the page that is not archived.
tl::expected<std::vector<std::string>, Error> ParseActiveRepoNames(std::string_view body);
// The "id" of an installation (GET /orgs/{org}/installation, /repos/{owner}/{repo}/installation).
tl::expected<int64_t, Error> ParseInstallationId(std::string_view body);
tl::expected<InstallationToken, Error> ParseInstallationToken(std::string_view body);

}  // namespace kpi::github
