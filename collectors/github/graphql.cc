#include "collectors/github/graphql.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

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

std::string QueryText(const std::vector<CommentPageRequest>& pages) {
  std::string text = "query { rateLimit { cost remaining resetAt limit used }";
  const auto repos = ReposOf(pages);
  for (size_t r = 0; r < repos.size(); ++r) {
    const std::string& repo = repos[r];
    const auto slash = repo.find('/');
    text += " r" + std::to_string(r) + ": repository(owner: " + GraphqlString(repo.substr(0, slash)) +
            ", name: " + GraphqlString(slash == std::string::npos ? "" : repo.substr(slash + 1)) + ") {";
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
  const auto owner = [](const CommentPageRequest& page) { return AsciiLower(page.repo.substr(0, page.repo.find('/'))); };
  std::vector<CommentQuery> queries;
  const auto finish = [&](std::vector<CommentPageRequest> part) {
    CommentQuery query;
    query.pages = std::move(part);
    query.text = QueryText(query.pages);
    query.body = "{\"query\":\"" + json::Escape(query.text) + "\"}";
    query.points = QueryPoints(CommentQueryConnections(query.pages));
    queries.push_back(std::move(query));
  };
  std::vector<CommentPageRequest> part;
  for (const auto& page : pages) {
    if (part.size() == kMaxIssuesPerQuery || (one_owner_per_query && !part.empty() && owner(part.back()) != owner(page))) {
      finish(std::move(part));
      part.clear();
    }
    part.push_back(page);
  }
  if (!part.empty()) finish(std::move(part));
  return queries;
}

tl::expected<CommentAnswer, Error> ParseCommentAnswer(std::string_view body, const CommentQuery& query) {
  const auto repos = ReposOf(query.pages);
  std::map<std::string, std::string> failed;  // alias path ("r3" or "r3.i12") -> message
  std::optional<Error> batch_error;
  auto parsed = ParseJson("graphql answer", [&] {
    simdjson::dom::parser parser;
    const object root = AsObject(json::Parse(parser, body), "graphql answer");
    CommentAnswer answer;
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
        // An error that names no alias of ours is about the query as a whole.
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
    if (batch_error) return answer;
    if (const auto rate_limit = OptObj(*data, "rateLimit")) answer.cost = OptInt(*rate_limit, "cost").value_or(0);
    for (const auto& page : query.pages) {
      const std::string repo_alias = "r" + std::to_string(std::find(repos.begin(), repos.end(), page.repo) - repos.begin());
      const std::string issue_alias = IssueAlias(page.number);
      const auto repo_failure = failed.find(repo_alias);
      const auto issue_failure = failed.find(repo_alias + "." + issue_alias);
      const auto repository = OptObj(*data, repo_alias);
      const auto issue = repository ? OptObj(*repository, issue_alias) : std::nullopt;
      if (repo_failure != failed.end() || issue_failure != failed.end() || !issue) {
        const std::string& why = repo_failure != failed.end()    ? repo_failure->second
                                 : issue_failure != failed.end() ? issue_failure->second
                                                                 : std::string("no answer");
        answer.pages.emplace_back(tl::unexpected(page.repo + "#" + std::to_string(page.number) + ": " + why));
        continue;
      }
      answer.pages.emplace_back(ReadPage(*issue));
    }
    return answer;
  });
  if (batch_error) return tl::unexpected(*batch_error);
  return parsed;
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
