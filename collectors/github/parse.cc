#include "collectors/github/parse.h"

#include <algorithm>

#include "collectors/common/upstream/approx_bytes.h"
#include "collectors/common/upstream/json.h"
#include "collectors/common/time_util.h"

namespace kpi::github {
namespace {

using namespace kpi::json;

SystemTime Time(object o, std::string_view key) {
  const auto text = Str(o, key);
  const auto time = ParseTimestamp(text);
  if (!time) throw JsonError("field '" + std::string(key) + "' is not a timestamp");
  return *time;
}

std::optional<SystemTime> OptTime(object o, std::string_view key) {
  const auto text = OptStr(o, key);
  if (!text) return std::nullopt;
  const auto time = ParseTimestamp(*text);
  if (!time) throw JsonError("field '" + std::string(key) + "' is not a timestamp");
  return time;
}

// GitHub marks apps with type "Bot"; their logins also end in "[bot]".
bool IsBot(object user) {
  const auto login = Str(user, "login");
  return OptStr(user, "type") == std::optional<std::string_view>("Bot") || login.ends_with("[bot]");
}

template <typename T, typename F>
tl::expected<std::vector<T>, Error> ParseList(std::string_view what, std::string_view body,
                                              std::optional<std::string_view> wrapper_key, F&& parse_one) {
  return ParseJson(what, [&] {
    simdjson::dom::parser parser;
    element root = json::Parse(parser, body);
    array items = wrapper_key ? Arr(AsObject(root, what), *wrapper_key) : AsArray(root, what);
    std::vector<T> out;
    out.reserve(items.size());  // exact: the list may live on in the answer cache (ParseOnce)
    for (element item : items) out.push_back(parse_one(AsObject(item, "list element")));
    return out;
  });
}

// A commit object as the compare and pull request commits listings give it.
ComparedCommit CommitOf(object c) {
  const object git = Obj(c, "commit");
  ComparedCommit commit{std::string(Str(c, "sha")), std::nullopt, std::string(OptStr(git, "message").value_or(""))};
  if (const auto author = OptObj(git, "author")) commit.authored_at = OptTime(*author, "date");
  return commit;
}

}  // namespace

tl::expected<Repo, Error> ParseRepo(std::string_view body) {
  return ParseJson("repository", [&] {
    simdjson::dom::parser parser;
    const object o = AsObject(json::Parse(parser, body), "repository");
    Repo repo;
    repo.stars = Count(o, "stargazers_count");  // a negative count is a malformed answer (issue 16, item 7)
    repo.forks = Count(o, "forks_count");
    repo.watchers = Count(o, "subscribers_count");
    repo.default_branch = std::string(Str(o, "default_branch"));
    repo.language = std::string(OptStr(o, "language").value_or(""));
    repo.archived = OptBool(o, "archived").value_or(false);
    return repo;
  });
}

tl::expected<std::vector<Issue>, Error> ParseIssues(std::string_view body) {
  return ParseList<Issue>("issues", body, std::nullopt, [](object o) {
    Issue issue;
    issue.number = Int(o, "number");
    issue.is_pull_request = OptObj(o, "pull_request").has_value();
    issue.created_at = Time(o, "created_at");
    // A deleted account comes back as user: null.
    if (const auto user = OptObj(o, "user")) issue.author = std::string(Str(*user, "login"));
    issue.comments = OptInt(o, "comments").value_or(0);
    issue.closed_at = OptTime(o, "closed_at");
    issue.open = OptStr(o, "state") == std::optional<std::string_view>("open");
    issue.updated_at = OptTime(o, "updated_at");
    issue.title = std::string(OptStr(o, "title").value_or(""));
    issue.html_url = std::string(OptStr(o, "html_url").value_or(""));
    if (const auto labels = OptArr(o, "labels")) {
      // The schema allows a label as an object or as a plain string.
      for (element label : *labels) {
        std::string_view name;
        if (label.get(name) != simdjson::SUCCESS) name = Str(AsObject(label, "label"), "name");
        issue.labels.emplace_back(name);
      }
    }
    return issue;
  });
}

tl::expected<std::vector<Comment>, Error> ParseComments(std::string_view body) {
  return ParseList<Comment>("comments", body, std::nullopt, [](object o) {
    Comment comment;
    // A deleted account ("ghost") comes back as user: null; it is nobody's bot.
    if (const auto user = OptObj(o, "user")) {
      comment.author = std::string(Str(*user, "login"));
      comment.author_is_bot = IsBot(*user);
    }
    comment.created_at = Time(o, "created_at");
    return comment;
  });
}

tl::expected<std::vector<Workflow>, Error> ParseWorkflows(std::string_view body) {
  return ParseList<Workflow>("workflows", body, "workflows", [](object o) {
    return Workflow{Int(o, "id"), std::string(Str(o, "name")), std::string(OptStr(o, "path").value_or("")),
                    Str(o, "state") == "active"};
  });
}

tl::expected<std::vector<WorkflowRun>, Error> ParseWorkflowRuns(std::string_view body) {
  return ParseList<WorkflowRun>("workflow runs", body, "workflow_runs", [](object o) {
    WorkflowRun run;
    run.id = OptInt(o, "id").value_or(0);
    run.html_url = std::string(OptStr(o, "html_url").value_or(""));
    run.event = std::string(OptStr(o, "event").value_or(""));
    run.conclusion = std::string(OptStr(o, "conclusion").value_or(""));
    // head_repository is null when the fork was deleted; ids never change on a rename.
    const auto head = OptObj(o, "head_repository");
    const auto own = OptObj(o, "repository");
    run.from_own_repository = head && own && Int(*head, "id") == Int(*own, "id");
    run.head_sha = std::string(OptStr(o, "head_sha").value_or(""));
    run.updated_at = Time(o, "updated_at");
    run.started_at = OptTime(o, "run_started_at").value_or(Time(o, "created_at"));
    return run;
  });
}

tl::expected<std::vector<PullRequest>, Error> ParsePullRequests(std::string_view body) {
  return ParseList<PullRequest>("pull requests", body, std::nullopt, [](object o) {
    return PullRequest{Time(o, "created_at"), Time(o, "updated_at"), OptTime(o, "merged_at"),
                       OptInt(o, "number").value_or(0), std::string(OptStr(o, "title").value_or("")),
                       std::string(OptStr(o, "html_url").value_or(""))};
  });
}

tl::expected<std::vector<RateLimit>, Error> ParseRateLimits(std::string_view body) {
  return ParseJson("rate limit", [&] {
    simdjson::dom::parser parser;
    const object resources = Obj(AsObject(json::Parse(parser, body), "rate limit"), "resources");
    std::vector<RateLimit> out;
    for (const auto field : resources) {
      const object r = AsObject(field.value, "resource");
      out.push_back(RateLimit{std::string(field.key), Int(r, "limit"), Int(r, "remaining"), Int(r, "reset")});
    }
    return out;
  });
}

tl::expected<std::vector<Deployment>, Error> ParseDeployments(std::string_view body) {
  return ParseList<Deployment>("deployments", body, std::nullopt, [](object o) {
    return Deployment{Int(o, "id"), std::string(Str(o, "sha")), std::string(OptStr(o, "environment").value_or("")),
                      Time(o, "created_at")};
  });
}

tl::expected<std::vector<DeploymentStatus>, Error> ParseDeploymentStatuses(std::string_view body) {
  return ParseList<DeploymentStatus>("deployment statuses", body, std::nullopt, [](object o) {
    const auto log_url = OptStr(o, "log_url");
    return DeploymentStatus{std::string(Str(o, "state")), Time(o, "created_at"),
                            std::string(log_url && !log_url->empty() ? *log_url : OptStr(o, "target_url").value_or(""))};
  });
}

tl::expected<std::vector<Release>, Error> ParseReleases(std::string_view body) {
  return ParseList<Release>("releases", body, std::nullopt, [](object o) {
    return Release{std::string(Str(o, "tag_name")), OptBool(o, "draft").value_or(false),
                   OptBool(o, "prerelease").value_or(false), OptTime(o, "published_at"), Time(o, "created_at"),
                   std::string(OptStr(o, "html_url").value_or(""))};
  });
}

tl::expected<Comparison, Error> ParseComparison(std::string_view body) {
  return ParseJson("comparison", [&] {
    simdjson::dom::parser parser;
    const object o = AsObject(json::Parse(parser, body), "comparison");
    Comparison comparison;
    comparison.total_commits = Int(o, "total_commits");
    for (element item : Arr(o, "commits")) comparison.commits.push_back(CommitOf(AsObject(item, "commit")));
    return comparison;
  });
}

tl::expected<std::vector<ComparedCommit>, Error> ParseCommits(std::string_view body) {
  return ParseList<ComparedCommit>("commits", body, std::nullopt, CommitOf);
}

tl::expected<std::vector<DependabotAlert>, Error> ParseDependabotAlerts(std::string_view body) {
  return ParseList<DependabotAlert>("dependabot alerts", body, std::nullopt, [](object o) {
    DependabotAlert alert{std::string(Str(o, "state")), std::string(Str(Obj(o, "security_advisory"), "severity")),
                          Time(o, "created_at"), OptTime(o, "fixed_at")};
    alert.number = OptInt(o, "number").value_or(0);
    alert.html_url = std::string(OptStr(o, "html_url").value_or(""));
    if (const auto dependency = OptObj(o, "dependency")) {
      if (const auto package = OptObj(*dependency, "package")) alert.package = std::string(OptStr(*package, "name").value_or(""));
    }
    return alert;
  });
}

tl::expected<std::vector<CodeScanningAlert>, Error> ParseCodeScanningAlerts(std::string_view body) {
  return ParseList<CodeScanningAlert>("code scanning alerts", body, std::nullopt, [](object o) {
    CodeScanningAlert alert{std::string(Str(o, "state")), ""};
    if (const auto rule = OptObj(o, "rule")) {
      alert.security_severity = std::string(OptStr(*rule, "security_severity_level").value_or(""));
    }
    return alert;
  });
}

tl::expected<int64_t, Error> ParseInstallationId(std::string_view body) {
  return ParseJson("installation", [&] {
    simdjson::dom::parser parser;
    return Int(AsObject(json::Parse(parser, body), "installation"), "id");
  });
}

tl::expected<InstallationToken, Error> ParseInstallationToken(std::string_view body) {
  return ParseJson("installation token", [&] {
    simdjson::dom::parser parser;
    const object o = AsObject(json::Parse(parser, body), "installation token");
    InstallationToken token{std::string(Str(o, "token")), Time(o, "expires_at")};
    // It goes into a header line: only visible ASCII, so an answer cannot add headers of its own.
    const bool visible =
        std::all_of(token.token.begin(), token.token.end(), [](char c) { return c > ' ' && c < 0x7f; });
    if (token.token.empty() || !visible) throw JsonError("field 'token' is not a token");
    return token;
  });
}

tl::expected<std::vector<std::string>, Error> ParseActiveRepoNames(std::string_view body) {
  auto repos = ParseList<std::pair<std::string, bool>>("repositories", body, std::nullopt, [](object o) {
    return std::make_pair(std::string(Str(o, "full_name")), OptBool(o, "archived").value_or(false));
  });
  if (!repos) return tl::unexpected(repos.error());
  std::vector<std::string> names;
  for (auto& [name, archived] : *repos) {
    if (!archived) names.push_back(std::move(name));
  }
  return names;
}

// kpi::HeapBytes for strings and vectors; the overloads here would hide it.
using kpi::HeapBytes;

size_t HeapBytes(const Repo& repo) {
  return HeapBytes(repo.default_branch) + HeapBytes(repo.language) + HeapBytes(repo.head_commit);
}

size_t HeapBytes(const Issue& issue) {
  return HeapBytes(issue.author) + HeapBytes(issue.labels) + HeapBytes(issue.title) + HeapBytes(issue.html_url);
}

size_t HeapBytes(const Comment& comment) { return HeapBytes(comment.author); }

size_t HeapBytes(const Workflow& workflow) { return HeapBytes(workflow.name) + HeapBytes(workflow.path); }

size_t HeapBytes(const WorkflowRun& run) {
  return HeapBytes(run.html_url) + HeapBytes(run.event) + HeapBytes(run.conclusion) + HeapBytes(run.head_sha);
}

size_t HeapBytes(const PullRequest& pull) { return HeapBytes(pull.title) + HeapBytes(pull.html_url); }

}  // namespace kpi::github
