#include "collectors/github/graphql.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <set>

#include "collectors/common/parallel.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/json.h"

namespace kpi::github {
namespace {

using namespace kpi::json;

constexpr std::string_view kCommentFields =
    "totalCount pageInfo { hasNextPage endCursor } nodes { createdAt author { login __typename } }";

std::string IssueAlias(int64_t number) { return "i" + std::to_string(number); }

// "r3" (a repository's alias) or "i12" (an issue's), not a field such as "rateLimit".
bool IsAlias(std::string_view name, char prefix) {
  return name.size() > 1 && name[0] == prefix &&
         std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The repositories of `pages` in order of first appearance: their alias is r<index>.
std::vector<std::string> ReposOf(const std::vector<CommentPageRequest>& pages) {
  std::vector<std::string> repos;
  for (const auto& page : pages) {
    if (std::find(repos.begin(), repos.end(), page.repo) == repos.end()) repos.push_back(page.repo);
  }
  return repos;
}

std::string RepositoryField(size_t index, const std::string& repo) {
  const auto slash = repo.find('/');
  return " r" + std::to_string(index) + ": repository(owner: " + GraphqlString(repo.substr(0, slash)) +
         ", name: " + GraphqlString(slash == std::string::npos ? "" : repo.substr(slash + 1)) + ")";
}

std::string OwnerOf(const std::string& repo) { return AsciiLower(repo.substr(0, repo.find('/'))); }

// Splits `items` into parts of at most `max` (and, with `one_owner_per_query`, of one owner each), in order.
template <class T, class OwnerFn>
std::vector<std::vector<T>> Batches(const std::vector<T>& items, size_t max, bool one_owner_per_query, OwnerFn owner) {
  std::vector<std::vector<T>> parts;
  for (const auto& item : items) {
    if (parts.empty() || parts.back().size() == max ||
        (one_owner_per_query && owner(parts.back().back()) != owner(item))) {
      parts.emplace_back();
    }
    parts.back().push_back(item);
  }
  return parts;
}

std::string QueryText(const std::vector<CommentPageRequest>& pages) {
  std::string text = "query { rateLimit { cost remaining resetAt limit used }";
  const auto repos = ReposOf(pages);
  for (size_t r = 0; r < repos.size(); ++r) {
    const std::string& repo = repos[r];
    text += RepositoryField(r, repo) + " {";
    for (const auto& page : pages) {
      if (page.repo != repo) continue;
      text += " " + IssueAlias(page.number) + ": issue(number: " + std::to_string(page.number) + ") { comments(";
      text += page.after.empty() ? "first: " + std::to_string(kFirstCommentPage)
                                 : "first: " + std::to_string(kNextCommentPage) + ", after: " + GraphqlString(page.after);
      text += ") { " + std::string(kCommentFields) + " } }";
    }
    text += " }";
  }
  return text + " }";
}

CommentPage ReadPage(object issue) {
  const object connection = Obj(issue, "comments");
  const object info = Obj(connection, "pageInfo");
  CommentPage page;
  page.has_next = Bool(info, "hasNextPage");
  page.end_cursor = std::string(OptStr(info, "endCursor").value_or(""));
  for (element node : Arr(connection, "nodes")) {
    const object o = AsObject(node, "comment");
    Comment comment;
    // A deleted account ("ghost") comes as author: null. GraphQL names a bot's
    // login without REST's "[bot]" suffix: only its type tells it is one.
    if (const auto author = OptObj(o, "author")) {
      comment.author = std::string(Str(*author, "login"));
      comment.author_is_bot = Str(*author, "__typename") == "Bot";
    }
    const auto created = ParseTimestamp(Str(o, "createdAt"));
    if (!created) throw JsonError("field 'createdAt' is not a timestamp");
    comment.created_at = *created;
    page.comments.push_back(std::move(comment));
  }
  if (page.has_next && page.end_cursor.empty()) throw JsonError("hasNextPage without an endCursor");
  return page;
}

}  // namespace

std::string GraphqlUrl(std::string_view api_url) {
  while (api_url.ends_with('/')) api_url.remove_suffix(1);
  constexpr std::string_view kEnterpriseRest = "/api/v3";
  if (api_url.ends_with(kEnterpriseRest)) {
    api_url.remove_suffix(kEnterpriseRest.size());
    return std::string(api_url) + "/api/graphql";
  }
  return std::string(api_url) + "/graphql";
}

// GraphQL's escapes are JSON's: \" \\ \n \r \t and \uXXXX for the other control characters.
std::string GraphqlString(std::string_view text) { return "\"" + json::Escape(text) + "\""; }

int64_t QueryRequests(const std::vector<Connection>& top) {
  int64_t requests = 0;
  const auto add = [&](auto& self, const Connection& connection, int64_t parents) -> void {
    requests += parents;
    for (const auto& child : connection.nested) self(self, child, parents * connection.first);
  };
  for (const auto& connection : top) add(add, connection, 1);
  return requests;
}

int64_t QueryPoints(const std::vector<Connection>& top) {
  return std::max<int64_t>(1, std::llround(double(QueryRequests(top)) / 100.0));
}

int64_t QueryNodes(const std::vector<Connection>& top) {
  int64_t nodes = 0;
  const auto add = [&](auto& self, const Connection& connection, int64_t parents) -> void {
    nodes += parents * connection.first;
    for (const auto& child : connection.nested) self(self, child, parents * connection.first);
  };
  for (const auto& connection : top) add(add, connection, 1);
  return nodes;
}

std::vector<Connection> CommentQueryConnections(const std::vector<CommentPageRequest>& pages) {
  // repository and issue are single objects, not connections: each issue's
  // comments are one top-level connection.
  std::vector<Connection> connections;
  for (const auto& page : pages) connections.push_back({page.after.empty() ? kFirstCommentPage : kNextCommentPage, {}});
  return connections;
}

std::vector<CommentQuery> BuildCommentQueries(const std::vector<CommentPageRequest>& pages, bool one_owner_per_query) {
  std::vector<CommentQuery> queries;
  const auto owner = [](const CommentPageRequest& page) { return OwnerOf(page.repo); };
  for (auto& part : Batches(pages, kMaxIssuesPerQuery, one_owner_per_query, owner)) {
    CommentQuery query;
    query.pages = std::move(part);
    query.text = QueryText(query.pages);
    query.points = QueryPoints(CommentQueryConnections(query.pages));
    queries.push_back(std::move(query));
  }
  return queries;
}

namespace {

// Per-alias failures of an answer: "r3" (a repository) or "r3.i12" (an issue) -> GitHub's message.
using AliasFailures = std::map<std::string, std::string>;

// The frame every answer shares: reads its errors and hands its data to
// `read`. An error whose path names an alias of ours fails that alias alone;
// the whole answer fails with "rate_limited" for a RATE_LIMITED error, and
// "parse" for an error about the query as a whole or an answer without data.
// Returns rateLimit.cost.
tl::expected<int64_t, Error> ReadAnswer(std::string_view body,
                                        const std::function<void(object data, const AliasFailures& failed)>& read) {
  AliasFailures failed;
  std::optional<Error> batch_error;
  auto parsed = ParseJson("graphql answer", [&]() -> int64_t {
    simdjson::dom::parser parser;
    const object root = AsObject(json::Parse(parser, body), "graphql answer");
    std::string first_message;
    if (const auto errors = OptArr(root, "errors")) {
      for (element e : *errors) {
        const object error = AsObject(e, "error");
        const std::string message(OptStr(error, "message").value_or("(no message)"));
        if (first_message.empty()) first_message = message;
        if (OptStr(error, "type") == std::optional<std::string_view>("RATE_LIMITED")) {
          batch_error = Error{"rate_limited", "GraphQL: " + message};
        }
        const auto path = OptArr(error, "path");
        std::vector<std::string> names;
        if (path) {
          for (element step : *path) {
            std::string_view name;
            if (step.get(name) != simdjson::SUCCESS || names.size() == 2) break;
            names.emplace_back(name);
          }
        }
        if (names.empty() || !IsAlias(names[0], 'r')) {
          if (!batch_error) batch_error = Error{"parse", "GraphQL: " + message};
          continue;
        }
        const std::string key = names.size() == 2 && IsAlias(names[1], 'i') ? names[0] + "." + names[1] : names[0];
        failed.emplace(key, message);
      }
    }
    const auto data = OptObj(root, "data");
    if (!batch_error && !data) batch_error = Error{"parse", "GraphQL answer without data: " + first_message};
    if (batch_error) return 0;
    read(*data, failed);
    const auto rate_limit = OptObj(*data, "rateLimit");
    return rate_limit ? OptInt(*rate_limit, "cost").value_or(0) : 0;
  });
  if (batch_error) return tl::unexpected(*batch_error);
  return parsed;
}

// The message for an alias the answer did not give: its own error, its repository's, or "no answer".
std::string WhyMissing(const AliasFailures& failed, const std::string& repo_alias, const std::string& alias) {
  if (const auto repo = failed.find(repo_alias); repo != failed.end()) return repo->second;
  if (const auto own = failed.find(alias); own != failed.end()) return own->second;
  return "no answer";
}

// One alias of an answer, read alone: what `read` made of it; `read` giving nullopt (the alias is null, or an
// error names it) is "not_found" with `why_missing()`, a malformed alias "parse". Either fails that alias only.
template <class T, class Read, class Why>
tl::expected<T, Error> ReadAlias(const std::string& what, Read&& read, Why&& why_missing) {
  auto value = ParseJson(what, std::forward<Read>(read));
  if (!value) return tl::unexpected(std::move(value.error()));
  if (!*value) return tl::unexpected(Error{"not_found", what + ": " + why_missing()});
  return std::move(**value);
}

constexpr std::string_view kRepoFields =
    "stargazerCount forkCount watchers { totalCount } defaultBranchRef { name target { oid } } primaryLanguage { name } isArchived "
    "openIssues: issues(states: OPEN) { totalCount } openPullRequests: pullRequests(states: OPEN) { totalCount }";

RepoFacts ReadRepoFacts(object repository) {
  RepoFacts facts;
  facts.repo.stars = Count(repository, "stargazerCount");
  facts.repo.forks = Count(repository, "forkCount");
  facts.repo.watchers = Count(Obj(repository, "watchers"), "totalCount");
  // An empty repository has no default branch, a repository of no detected language no primary one.
  if (const auto branch = OptObj(repository, "defaultBranchRef")) {
    facts.repo.default_branch = std::string(Str(*branch, "name"));
    if (const auto target = OptObj(*branch, "target")) facts.repo.head_commit = std::string(Str(*target, "oid"));
  }
  if (const auto language = OptObj(repository, "primaryLanguage")) facts.repo.language = std::string(Str(*language, "name"));
  facts.repo.archived = OptBool(repository, "isArchived").value_or(false);
  facts.open.issues = Count(Obj(repository, "openIssues"), "totalCount");
  facts.open.pull_requests = Count(Obj(repository, "openPullRequests"), "totalCount");
  return facts;
}

}  // namespace

tl::expected<CommentAnswer, Error> ParseCommentAnswer(std::string_view body, const CommentQuery& query) {
  const auto repos = ReposOf(query.pages);
  CommentAnswer answer;
  auto cost = ReadAnswer(body, [&](object data, const AliasFailures& failed) {
    for (const auto& page : query.pages) {
      const std::string repo_alias = "r" + std::to_string(std::find(repos.begin(), repos.end(), page.repo) - repos.begin());
      const std::string issue_alias = IssueAlias(page.number);
      const std::string key = repo_alias + "." + issue_alias;
      const std::string what = page.repo + "#" + std::to_string(page.number);
      // A malformed alias fails that issue alone, not the other issues of the answer.
      answer.pages.push_back(ReadAlias<CommentPage>(
          what,
          [&]() -> std::optional<CommentPage> {
            const auto repository = OptObj(data, repo_alias);
            const auto issue = repository ? OptObj(*repository, issue_alias) : std::nullopt;
            if (failed.contains(repo_alias) || failed.contains(key) || !issue) return std::nullopt;
            return ReadPage(*issue);
          },
          [&] { return WhyMissing(failed, repo_alias, key); }));
    }
  });
  if (!cost) return tl::unexpected(cost.error());
  answer.cost = *cost;
  return answer;
}

std::vector<RepoQuery> BuildRepoQueries(const std::vector<std::string>& repos, bool one_owner_per_query) {
  std::vector<RepoQuery> queries;
  for (auto& part : Batches(repos, kMaxReposPerQuery, one_owner_per_query, OwnerOf)) {
    RepoQuery query;
    query.repos = std::move(part);
    query.text = "query { rateLimit { cost remaining resetAt limit used }";
    for (size_t r = 0; r < query.repos.size(); ++r) {
      query.text += RepositoryField(r, query.repos[r]) + " { " + std::string(kRepoFields) + " }";
    }
    query.text += " }";
    // Three connections a repository, each asked for its count alone: one request each.
    query.points = QueryPoints(std::vector<Connection>(3 * query.repos.size(), Connection{}));
    queries.push_back(std::move(query));
  }
  return queries;
}

tl::expected<RepoAnswer, Error> ParseRepoAnswer(std::string_view body, const RepoQuery& query) {
  RepoAnswer answer;
  auto cost = ReadAnswer(body, [&](object data, const AliasFailures& failed) {
    for (size_t r = 0; r < query.repos.size(); ++r) {
      const std::string alias = "r" + std::to_string(r);
      // A malformed alias fails that repository alone, not the other 99 of the query.
      answer.repos.push_back(ReadAlias<RepoFacts>(
          query.repos[r],
          [&]() -> std::optional<RepoFacts> {
            const auto repository = OptObj(data, alias);
            if (failed.contains(alias) || !repository) return std::nullopt;
            return ReadRepoFacts(*repository);
          },
          [&] { return WhyMissing(failed, alias, alias); }));
    }
  });
  if (!cost) return tl::unexpected(cost.error());
  answer.cost = *cost;
  return answer;
}

std::string QueryBody(std::string_view text) { return "{\"query\":\"" + json::Escape(text) + "\"}"; }

tl::expected<HttpResponse, Error> SendQuery(HttpClient& http, PointsPacer& pacer, const std::string& graphql_url,
                                            std::string_view text, int64_t points, const std::string& first_repo,
                                            const std::function<void(const std::string& repo)>& before_query) {
  if (!pacer.Take(points, http.clock(), http.stop_token())) return tl::unexpected(Error{"canceled", "shutting down"});
  if (before_query) before_query(first_repo);
  return http.PostOk(graphql_url, QueryBody(text));
}

RepoLookups LookUpRepos(HttpClient& http, PointsPacer& pacer, const std::string& graphql_url,
                        const std::vector<std::string>& repos, int concurrency, bool one_owner_per_query,
                        const std::function<void(const std::string& repo)>& before_query) {
  const auto queries = BuildRepoQueries(repos, one_owner_per_query);
  RepoLookups lookups;
  std::mutex mu;
  std::atomic<bool> rate_limited{false};
  ParallelFor(queries.size(), concurrency, [&](size_t q) {
    const RepoQuery& query = queries[q];
    tl::expected<RepoAnswer, Error> answer =
        tl::unexpected(Error{"rate_limited", "an earlier query of this poll was refused"});
    if (!rate_limited) {
      answer = SendQuery(http, pacer, graphql_url, query.text, query.points, query.repos.front(), before_query)
                   .and_then([&](const HttpResponse& response) { return ParseRepoAnswer(response.body, query); });
    }
    if (!answer && answer.error().reason == "rate_limited") rate_limited = true;
    std::lock_guard lock(mu);
    for (size_t r = 0; r < query.repos.size(); ++r) {
      if (!answer) {
        lookups.repos.emplace(query.repos[r], tl::unexpected(answer.error()));
      } else {
        lookups.repos.emplace(query.repos[r], std::move(answer->repos[r]));
      }
    }
    if (answer) lookups.points_spent += answer->cost;
  });
  return lookups;
}

bool PointsPacer::Take(int64_t points, const Clock& clock, std::stop_token stop) {
  // A minute and a second, as for REST: GitHub counts on its own clock.
  constexpr auto kWindow = std::chrono::seconds(61);
  for (;;) {
    SystemTime free_at;
    {
      std::lock_guard lock(mu_);
      const SystemTime now = clock.Now();
      while (!recent_.empty() && recent_.front().first <= now - kWindow) {
        in_window_ -= recent_.front().second;
        recent_.pop_front();
      }
      // A query dearer than the whole minute still goes, alone.
      if (recent_.empty() || in_window_ + points <= per_minute_) {
        recent_.emplace_back(now, points);
        in_window_ += points;
        return true;
      }
      free_at = recent_.front().first + kWindow;
    }
    const auto wait = std::max(std::chrono::milliseconds(1),
                               std::chrono::ceil<std::chrono::milliseconds>(free_at - clock.Now()));
    if (!clock.SleepFor(wait, stop)) return false;
  }
}

}  // namespace kpi::github
