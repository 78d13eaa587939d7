#include "collectors/jira.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "collectors/common/upstream/json.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;

constexpr int kPageSize = 100;

SystemTime JiraTime(json::object o, std::string_view key) {
  const auto time = ParseTimestamp(json::Str(o, key));
  if (!time) throw json::JsonError("field '" + std::string(key) + "' is not a timestamp");
  return *time;
}

}  // namespace

namespace jira {

std::string WithoutOrderBy(std::string_view jql) {
  const auto order = AsciiLower(jql).rfind("order by");
  std::string out(jql.substr(0, order));
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out;
}

std::string Refine(std::string_view jql, std::string_view extra, std::string_view order_by) {
  std::string out = "(" + std::string(jql) + ") AND " + std::string(extra);
  if (!order_by.empty()) out += " ORDER BY " + std::string(order_by);
  return out;
}

tl::expected<SearchPage, Error> ParseSearchPage(std::string_view body, bool cloud) {
  return json::ParseJson("search results", [&] {
    simdjson::dom::parser parser;
    const json::object root = json::AsObject(json::Parse(parser, body), "search results");
    SearchPage page;
    for (const json::element item : json::Arr(root, "issues")) {
      const json::object fields = json::Obj(json::AsObject(item, "issue"), "fields");
      Issue issue{JiraTime(fields, "created"), std::nullopt};
      if (json::OptStr(fields, "resolutiondate")) issue.resolved = JiraTime(fields, "resolutiondate");
      page.issues.push_back(issue);
    }
    if (cloud) {
      // isLast: true ends the listing even when a nextPageToken comes along;
      // answers without isLast end where the token does.
      const auto is_last = json::OptBool(root, "isLast");
      const auto token = json::OptStr(root, "nextPageToken");
      if (is_last == false && !token) throw json::JsonError("isLast is false but there is no nextPageToken");
      if (token && !is_last.value_or(false)) page.next = std::string(*token);
    } else {
      const int64_t start = json::Int(root, "startAt");
      page.total = json::Count(root, "total");
      const int64_t next = start + int64_t(page.issues.size());
      if (!page.issues.empty() && next < *page.total) page.next = std::to_string(next);
    }
    return page;
  });
}

tl::expected<int64_t, Error> ParseApproximateCount(std::string_view body) {
  return json::ParseJson("approximate count", [&] {
    simdjson::dom::parser parser;
    return json::Count(json::AsObject(json::Parse(parser, body), "approximate count"), "count");
  });
}

}  // namespace jira

SourceCatalog JiraCatalog() {
  static constexpr MetricFamilyInfo kFamilies[] = {
      {"jira_issues", "gauge", "query"},
      {"jira_issue_resolution_seconds", "summary", "query,window"},
      {"jira_issues_oldest_open_age_seconds", "gauge", "query"},
  };
  static constexpr KpiDefault kKpis[] = {
      {"jira_resolution", "support", "jira_issue_resolution_seconds", "", "mean", "lower", 86400},
  };
  return {kFamilies, kKpis};
}
std::unique_ptr<Collector> MakeJiraCollector(SectionReader& reader) {
  JiraConfig config;
  config.settings = ReadSourceSettings(reader, {"", 5min, 10s});
  if (auto url = ReadUrl(reader, "url")) config.settings.api_url = *url;
  if (reader.ok() && config.settings.api_url.empty()) reader.Fail("url", "[jira] needs 'url', the site's base URL");
  const auto flavor = reader.String("flavor").value_or("cloud");
  if (flavor != "cloud" && flavor != "datacenter") {
    reader.Fail("flavor", "'flavor' in [jira] must be \"cloud\" or \"datacenter\"");
  }
  config.cloud = flavor == "cloud";
  config.email = reader.String("email").value_or("");
  config.token = reader.Secret("token").value_or("");
  if (reader.ok() && config.cloud && (config.email.empty() != config.token.empty())) {
    reader.Fail(config.email.empty() ? "token" : "email", "Jira Cloud needs both 'email' and 'token' (an API token)");
  }
  if (reader.ok() && !config.cloud && !config.email.empty()) {
    reader.Fail("email", "Jira Data Center authenticates with 'token' (a personal access token) alone; drop 'email'");
  }
  if (auto max = reader.Integer("max_issues", 1, 100000)) config.max_issues = int(*max);
  std::set<std::string> names;
  for (auto& table : reader.Tables("queries")) {
    JiraQuery query{table.String("name").value_or(""), jira::WithoutOrderBy(table.String("jql").value_or(""))};
    if (table.ok() && !ConsistsOf(query.name, ::isalnum, "_-.")) {
      table.Fail("name", "query 'name' must be non-empty letters, digits, '_', '-' or '.'");
    } else if (table.ok() && !names.insert(query.name).second) {
      table.Fail("name", "query name '" + query.name + "' is used twice");
    } else if (table.ok() && query.jql.empty()) {
      table.Fail("jql", "query '" + query.name + "' needs a non-empty 'jql'");
    }
    reader.Absorb(table);
    config.queries.push_back(std::move(query));
  }
  if (reader.ok() && config.queries.empty()) reader.Fail("queries", "[jira] needs at least one [[jira.queries]] entry");
  if (!reader.ok()) return nullptr;
  return std::make_unique<JiraCollector>(std::move(config));
}

HttpClientOptions JiraCollector::http_options() const {
  std::string authorization;
  if (!config_.token.empty()) {
    authorization = config_.cloud ? "Basic " + Base64Encode(config_.email + ":" + config_.token) : "Bearer " + config_.token;
  }
  return BaseHttpOptions(config_.settings, std::move(authorization), {{"Accept", "application/json"}});
}

std::string JiraCollector::SearchUrl(const std::string& jql, int max_results, const std::string& cursor) const {
  std::string url = config_.settings.api_url + (config_.cloud ? "/rest/api/3/search/jql" : "/rest/api/2/search") +
                    "?jql=" + UrlEncode(jql) + "&fields=created,resolutiondate&maxResults=" + std::to_string(max_results);
  if (config_.cloud) {
    if (!cursor.empty()) url += "&nextPageToken=" + UrlEncode(cursor);
  } else {
    url += "&startAt=" + (cursor.empty() ? std::string("0") : cursor);
  }
  return url;
}

tl::expected<int64_t, Error> JiraCollector::Count(HttpClient& http, const std::string& jql) {
  if (config_.cloud) {
    return http.PostOk(config_.settings.api_url + "/rest/api/3/search/approximate-count", "{\"jql\":\"" + json::Escape(jql) + "\"}")
        .and_then([](const HttpResponse& r) { return jira::ParseApproximateCount(r.body); });
  }
  return http.GetOk(SearchUrl(jql, 0, ""))
      .and_then([](const HttpResponse& r) { return jira::ParseSearchPage(r.body, false); })
      .map([](const jira::SearchPage& page) { return page.total.value_or(0); });
}

tl::expected<std::optional<std::vector<double>>, Error> JiraCollector::ResolutionTimes(HttpClient& http,
                                                                                       const JiraQuery& query,
                                                                                       SystemTime now) {
  const std::string jql = jira::Refine(query.jql, jira::kResolvedWindowJql, "resolved DESC");
  std::vector<double> seconds;
  int listed = 0;
  const int max_pages = (config_.max_issues + kPageSize - 1) / kPageSize;
  auto walk = WalkCursor(
      http, [&](const std::string& cursor) { return SearchUrl(jql, kPageSize, cursor); }, max_pages,
      [&](const HttpResponse& page) -> tl::expected<std::optional<std::string>, Error> {
        auto parsed = jira::ParseSearchPage(page.body, config_.cloud);
        if (!parsed) return tl::unexpected(parsed.error());
        for (const auto& issue : parsed->issues) {
          if (++listed > config_.max_issues) return std::nullopt;  // one more than the cap: the listing is cut
          // Skipped: an issue that matched the JQL yet has no date (reopened since), or one outside the window
          // (Jira's clock or a stray answer) that would move the number.
          if (!issue.resolved || *issue.resolved < now - jira::kResolvedWindow) continue;
          seconds.push_back(std::max(0.0, Seconds(*issue.resolved - issue.created).count()));
        }
        return parsed->next;
      });
  if (!walk) return tl::unexpected(walk.error());
  if (walk->truncated || listed > config_.max_issues) return std::nullopt;
  return seconds;
}

tl::expected<JiraCollector::QueryStats, Error> JiraCollector::PollQuery(HttpClient& http, const JiraQuery& query,
                                                                         SystemTime now, PollReport& report) {
  QueryStats stats;
  auto count = Count(http, query.jql);
  if (!count) return tl::unexpected(count.error());
  stats.matching = *count;

  auto resolution = ResolutionTimes(http, query, now);
  if (!resolution) return tl::unexpected(resolution.error());
  if (*resolution) {
    stats.resolution_seconds = std::move(**resolution);
  } else {
    // A summary over part of the listing would be quietly wrong: keep the last complete one (or none).
    report.Truncated(query.name, "resolved_issues");
    if (const auto last = queries_.values().find(query.name); last != queries_.values().end()) {
      stats.resolution_seconds = last->second.resolution_seconds;
    }
  }

  // The oldest unresolved issue: one result, oldest first.
  auto oldest = http.GetOk(SearchUrl(jira::Refine(query.jql, "resolution IS EMPTY", "created ASC"), 1, ""))
                    .and_then([&](const HttpResponse& r) { return jira::ParseSearchPage(r.body, config_.cloud); });
  if (!oldest) return tl::unexpected(oldest.error());
  if (!oldest->issues.empty()) stats.oldest_open_age_seconds = std::max(0.0, Seconds(now - oldest->issues[0].created).count());
  return stats;
}

tl::expected<Snapshot, Error> JiraCollector::Poll(HttpClient& http, PollContext& context) {
  const SystemTime now = context.clock.Now();
  std::vector<Error> errors;
  std::vector<std::string> names;
  for (const auto& query : config_.queries) {
    if (!context.shard.Owns(query.name)) continue;  // another shard's
    names.push_back(query.name);
    if (!queries_.UpdateTarget(query.name, PollQuery(http, query, now, context.report), errors, context.report)) {
      return tl::unexpected(errors.back());
    }
  }
  queries_.Retain(names);

  SnapshotBuilder b(context.max_series);
  for (const auto& [name, s] : queries_.values()) {
    const Labels q{{"query", name}};
    b.Gauge("jira_issues", "Issues matching the query (Cloud: approximate count).", q, double(s.matching));
    if (s.resolution_seconds) {
      b.Summary("jira_issue_resolution_seconds",
                "Created-to-resolved time of the query's issues resolved in the window.",
                {{"query", name}, {"window", "30d"}}, *s.resolution_seconds);
    }
    b.Gauge("jira_issues_oldest_open_age_seconds", "Age of the oldest unresolved issue of the query; 0 when none.", q,
            s.oldest_open_age_seconds);
  }
  return FinishPoll(std::move(b), errors);
}

}  // namespace kpi
