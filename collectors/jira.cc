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

// A JSM SLA field value (SlaInformation: completedCycles[], ongoingCycle): breached when any completed cycle
// or the ongoing one breached; nullopt when the field is empty or has no cycle yet (no SLA applies).
std::optional<bool> SlaBreached(json::object fields, std::string_view field_id) {
  const auto sla = json::OptObj(fields, field_id);
  if (!sla) return std::nullopt;
  bool any_cycle = false;
  bool breached = false;
  if (const auto completed = json::OptArr(*sla, "completedCycles")) {
    for (const json::element cycle : *completed) {
      any_cycle = true;
      breached = json::Bool(json::AsObject(cycle, "completed cycle"), "breached") || breached;
    }
  }
  if (const auto ongoing = json::OptObj(*sla, "ongoingCycle")) {
    any_cycle = true;
    breached = json::Bool(*ongoing, "breached") || breached;
  }
  if (!any_cycle) return std::nullopt;
  return breached;
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

tl::expected<SearchPage, Error> ParseSearchPage(std::string_view body, bool cloud, std::string_view sla_field_id) {
  return json::ParseJson("search results", [&] {
    simdjson::dom::parser parser;
    const json::object root = json::AsObject(json::Parse(parser, body), "search results");
    SearchPage page;
    for (const json::element item : json::Arr(root, "issues")) {
      const json::object fields = json::Obj(json::AsObject(item, "issue"), "fields");
      Issue issue{JiraTime(fields, "created"), std::nullopt, std::nullopt};
      if (json::OptStr(fields, "resolutiondate")) issue.resolved = JiraTime(fields, "resolutiondate");
      if (!sla_field_id.empty()) issue.sla_breached = SlaBreached(fields, sla_field_id);
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

tl::expected<std::string, Error> ParseFieldId(std::string_view body, std::string_view name) {
  return json::ParseJson("field list", [&] {
    simdjson::dom::parser parser;
    std::vector<std::string> ids;
    for (const json::element item : json::AsArray(json::Parse(parser, body), "field list")) {
      const json::object field = json::AsObject(item, "field");
      if (AsciiLower(json::Str(field, "name")) == AsciiLower(name)) ids.emplace_back(json::Str(field, "id"));
    }
    if (ids.empty()) throw json::JsonError("no field is named '" + std::string(name) + "'");
    if (ids.size() > 1) {
      throw json::JsonError("several fields are named '" + std::string(name) + "'; give sla_field as an id (" +
                            ids[0] + ", " + ids[1] + ")");
    }
    return ids[0];
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
      {"jira_issues_resolved_within_sla_ratio", "gauge", "query,window"},
      {"jira_issues_open_breaching_sla", "gauge", "query"},
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
    if (auto sla = table.Duration("sla", std::chrono::minutes(1), std::chrono::days(365))) {
      query.sla = std::chrono::duration_cast<std::chrono::seconds>(*sla);
    }
    query.sla_field = table.String("sla_field").value_or("");
    if (table.ok() && query.sla && !query.sla_field.empty()) {
      table.Fail("sla_field", "query '" + query.name + "' has 'sla' and 'sla_field'; with sla_field JSM's own "
                              "goals decide, so drop 'sla'");
    }
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

std::string JiraCollector::SearchUrl(const std::string& jql, int max_results, const std::string& cursor,
                                     const std::string& sla_field_id) const {
  std::string url = config_.settings.api_url + (config_.cloud ? "/rest/api/3/search/jql" : "/rest/api/2/search") +
                    "?jql=" + UrlEncode(jql) + "&fields=created,resolutiondate" +
                    (sla_field_id.empty() ? "" : "," + UrlEncode(sla_field_id)) +
                    "&maxResults=" + std::to_string(max_results);
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

tl::expected<std::optional<std::vector<jira::Issue>>, Error> JiraCollector::List(HttpClient& http,
                                                                                 const std::string& jql,
                                                                                 const std::string& sla_field_id) {
  std::vector<jira::Issue> issues;
  const int max_pages = (config_.max_issues + kPageSize - 1) / kPageSize;
  bool cut = false;
  auto walk = WalkCursor(
      http, [&](const std::string& cursor) { return SearchUrl(jql, kPageSize, cursor, sla_field_id); }, max_pages,
      [&](const HttpResponse& page) -> tl::expected<std::optional<std::string>, Error> {
        auto parsed = jira::ParseSearchPage(page.body, config_.cloud, sla_field_id);
        if (!parsed) return tl::unexpected(parsed.error());
        for (const auto& issue : parsed->issues) {
          if (int(issues.size()) == config_.max_issues) {  // one more than the cap: the listing is cut
            cut = true;
            return std::nullopt;
          }
          issues.push_back(issue);
        }
        return parsed->next;
      });
  if (!walk) return tl::unexpected(walk.error());
  if (walk->truncated || cut) return std::nullopt;
  return issues;
}

tl::expected<std::optional<JiraCollector::Resolved>, Error> JiraCollector::ResolvedIssues(
    HttpClient& http, const JiraQuery& query, const std::string& sla_field_id, SystemTime now) {
  auto issues = List(http, jira::Refine(query.jql, jira::kResolvedWindowJql, "resolved DESC"), sla_field_id);
  if (!issues || !*issues) return issues.map([](const auto&) { return std::optional<Resolved>(); });
  Resolved resolved;
  for (const auto& issue : **issues) {
    // Skipped: an issue that matched the JQL yet has no date (reopened since), or one outside the window
    // (Jira's clock or a stray answer) that would move the number.
    if (!issue.resolved || *issue.resolved < now - jira::kResolvedWindow) continue;
    const double seconds = std::max(0.0, Seconds(*issue.resolved - issue.created).count());
    resolved.seconds.push_back(seconds);
    std::optional<bool> breached = issue.sla_breached;
    if (query.sla) breached = seconds > double(query.sla->count());
    if (!breached) continue;  // JSM applied no SLA to this issue
    ++resolved.sla_known;
    resolved.sla_met += !*breached;
  }
  return resolved;
}

tl::expected<std::optional<int64_t>, Error> JiraCollector::OpenBreaching(HttpClient& http, const JiraQuery& query,
                                                                         const std::string& sla_field_id,
                                                                         SystemTime now) {
  // By arithmetic only issues created before now - sla can breach: Jira narrows the listing to them (whole
  // minutes, a superset), the exact limit is checked here. JSM's verdict needs every open issue.
  std::string open = "resolution IS EMPTY";
  if (query.sla) open += " AND created <= \"-" + std::to_string(query.sla->count() / 60) + "m\"";
  auto issues = List(http, jira::Refine(query.jql, open, "created ASC"), sla_field_id);
  if (!issues || !*issues) return issues.map([](const auto&) { return std::optional<int64_t>(); });
  return std::count_if((*issues)->begin(), (*issues)->end(), [&](const jira::Issue& issue) {
    if (issue.resolved) return false;  // resolved since the search matched it
    if (query.sla) return now - issue.created > *query.sla;
    return issue.sla_breached.value_or(false);
  });
}

tl::expected<std::string, Error> JiraCollector::SlaFieldId(HttpClient& http, const JiraQuery& query) {
  if (query.sla_field.empty()) return std::string();
  if (query.sla_field.starts_with("customfield_")) return query.sla_field;
  if (const auto known = sla_field_ids_.find(query.sla_field); known != sla_field_ids_.end()) return known->second;
  auto id = http.GetOk(config_.settings.api_url + (config_.cloud ? "/rest/api/3/field" : "/rest/api/2/field"))
                .and_then([&](const HttpResponse& r) { return jira::ParseFieldId(r.body, query.sla_field); });
  if (id) sla_field_ids_[query.sla_field] = *id;
  return id;
}

tl::expected<JiraCollector::QueryStats, Error> JiraCollector::PollQuery(HttpClient& http, const JiraQuery& query,
                                                                         SystemTime now, PollReport& report) {
  QueryStats stats;
  auto count = Count(http, query.jql);
  if (!count) return tl::unexpected(count.error());
  stats.matching = *count;

  auto sla_field_id = SlaFieldId(http, query);
  if (!sla_field_id) return tl::unexpected(sla_field_id.error());
  const auto last = queries_.values().find(query.name);
  const QueryStats* previous = last == queries_.values().end() ? nullptr : &last->second;
  auto resolved = ResolvedIssues(http, query, *sla_field_id, now);
  if (!resolved) return tl::unexpected(resolved.error());
  if (*resolved) {
    stats.resolved = std::move(**resolved);
  } else {
    // A summary over part of the listing would be quietly wrong: keep the last complete one (or none).
    report.Truncated(query.name, "resolved_issues");
    if (previous) stats.resolved = previous->resolved;
  }
  if (query.has_sla()) {
    auto breaching = OpenBreaching(http, query, *sla_field_id, now);
    if (!breaching) return tl::unexpected(breaching.error());
    if (*breaching) {
      stats.open_breaching_sla = **breaching;
    } else {
      report.Truncated(query.name, "open_issues");
      if (previous) stats.open_breaching_sla = previous->open_breaching_sla;
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
    if (s.resolved) {
      b.Summary("jira_issue_resolution_seconds",
                "Created-to-resolved time of the query's issues resolved in the window.",
                {{"query", name}, {"window", "30d"}}, s.resolved->seconds);
      if (s.resolved->sla_known > 0) {  // 0 of 0 is no ratio
        b.Gauge("jira_issues_resolved_within_sla_ratio",
                "Share (0-1) of the query's issues resolved in the window that met their SLA.",
                {{"query", name}, {"window", "30d"}}, double(s.resolved->sla_met) / double(s.resolved->sla_known));
      }
    }
    if (s.open_breaching_sla) {
      b.Gauge("jira_issues_open_breaching_sla", "Unresolved issues of the query past their SLA.", q,
              double(*s.open_breaching_sla));
    }
    b.Gauge("jira_issues_oldest_open_age_seconds", "Age of the oldest unresolved issue of the query; 0 when none.", q,
            s.oldest_open_age_seconds);
  }
  return FinishPoll(std::move(b), errors);
}

}  // namespace kpi
