// The Jira collector's SLA figures (sla, sla_field) and its drill-down lists.
#include "collectors/jira.h"

#include <doctest/doctest.h>

#include "collectors/all.h"
#include "exporter/config.h"
#include "tests/collectors/jira_world.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::jira_world;
using namespace std::chrono_literals;

namespace {

// A JSM SLA field value as Atlassian documents it (SlaInformation: id, name, completedCycles[] with
// breached, ongoingCycle with breached, paused, withinCalendarHours; times as iso8601/jira/friendly/epochMillis,
// durations as millis/friendly). Only the breached flags decide; the rest is there to be ignored.
std::string SlaCycle(bool breached, bool ongoing) {
  const std::string time = R"({"iso8601":"2026-10-30T09:00:00+0000","jira":"2026-10-30T09:00:00.000+0000",)"
                           R"("friendly":"30/Oct/26 9:00 AM","epochMillis":1793350800000})";
  std::string cycle = "{\"startTime\":" + time + ",\"breachTime\":" + time + ",\"breached\":" + (breached ? "true" : "false") +
                      R"(,"goalDuration":{"millis":86400000,"friendly":"24h"},"elapsedTime":{"millis":3600000,"friendly":"1h"},)"
                      R"("remainingTime":{"millis":82800000,"friendly":"23h"})";
  cycle += ongoing ? R"(,"paused":false,"withinCalendarHours":true})" : ",\"stopTime\":" + time + "}";
  return cycle;
}
std::string SlaField(const std::vector<bool>& completed, std::optional<bool> ongoing) {
  std::string cycles;
  for (const bool breached : completed) cycles += (cycles.empty() ? "" : ",") + SlaCycle(breached, false);
  return R"({"id":"1","name":"Time to resolution","_links":{"self":"https://acme.atlassian.test/rest/servicedeskapi/request/10001/sla/1"},)"
         "\"completedCycles\":[" + cycles + "]" + (ongoing ? ",\"ongoingCycle\":" + SlaCycle(*ongoing, true) : "") +
         ",\"slaDisplayFormat\":\"NEW_SLA_FORMAT\"}";
}
// IssueJson with the SLA field customfield_10030 set to `sla` ("null" for none).
std::string IssueWithSla(const FakeClock& clock, std::chrono::seconds created_ago, std::optional<std::chrono::seconds> resolved_ago,
                         const std::string& sla) {
  std::string issue = IssueJson(clock, created_ago, resolved_ago);
  return issue.substr(0, issue.size() - 2) + ",\"customfield_10030\":" + sla + "}}";
}

// An open issue with its key and a summary holding a customer's address (Jira sends the summary only when asked).
std::string KeyedIssue(const FakeClock& clock, const std::string& key, std::chrono::seconds created_ago) {
  return "{\"id\":\"1\",\"key\":\"" + key + "\",\"fields\":{\"created\":\"" + JiraTime(clock, created_ago) +
         "\",\"resolutiondate\":null,\"summary\":\"Refund for jane.doe@customer.test\"}}";
}

const ItemList* FindList(const Snapshot& snapshot, const std::string& list) {
  for (const auto& l : snapshot.items()) {
    if (l->list == list) return l.get();
  }
  return nullptr;
}

// Past a 24h SLA: SUP-9 (72h), SUP-7 (30h), SUP-8 (25h); SUP-3 (23h) is a stray Jira's minutes let through.
void BreachingWorld(World& w, const std::string& fields) {
  const std::string breaching =
      "%28project%20%3D%20SUP%29%20AND%20resolution%20IS%20EMPTY%20AND%20created%20%3C%3D%20%22-1440m%22"
      "%20ORDER%20BY%20created%20ASC";
  w.Set(std::string(kSite) + "/rest/api/3/search/approximate-count", R"({"count": 7})");
  w.Set(w.Search(kResolved, 100, "", fields), CloudPage({}));
  w.Set(w.Search(breaching, 100, "", fields),
        CloudPage({KeyedIssue(w.clock, "SUP-9", 72h), KeyedIssue(w.clock, "SUP-7", 30h), KeyedIssue(w.clock, "SUP-8", 25h),
                   KeyedIssue(w.clock, "SUP-3", 23h)}));
  w.Set(w.Search(kOldest, 2, "", fields), CloudPage({KeyedIssue(w.clock, "SUP-9", 72h), KeyedIssue(w.clock, "SUP-7", 30h)}, "more"));
}

JiraQuery SlaQuery() {
  JiraQuery query{"support", "project = SUP"};
  query.sla = 24h;
  return query;
}

}  // namespace

TEST_CASE("a query with an sla: share resolved within it, open issues past it (created->resolved arithmetic)") {
  JiraQuery query{"support", "project = SUP"};
  query.sla = 24h;
  World w(true, 1000, {query});
  w.CloudBasics(5);
  // Resolved after 2h, 24h (exactly the SLA: met) and 30h: 2 of 3 within.
  w.Set(w.Search(kResolved, 100), CloudPage({IssueJson(w.clock, 5h, 3h), IssueJson(w.clock, 25h, 1h),
                                             IssueJson(w.clock, 40h, 10h)}));
  // Open and created at least 1440 minutes ago, as Jira narrows; the one 23h old is a stray the collector drops.
  const std::string breaching =
      "%28project%20%3D%20SUP%29%20AND%20resolution%20IS%20EMPTY%20AND%20created%20%3C%3D%20%22-1440m%22"
      "%20ORDER%20BY%20created%20ASC";
  w.Set(w.Search(breaching, 100), CloudPage({IssueJson(w.clock, 72h, std::nullopt), IssueJson(w.clock, 25h, std::nullopt)}, "p2"));
  w.Set(w.Search(breaching, 100, "p2"), CloudPage({IssueJson(w.clock, 23h, std::nullopt)}));
  const std::string text = SnapshotText(*w.Poll());
  CHECK(HasLine(text, "jira_issues_resolved_within_sla_ratio{query=\"support\",window=\"30d\"} 0.6666666666666666"));
  CHECK(HasLine(text, "jira_issues_open_breaching_sla{query=\"support\"} 2"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 3"));
}

TEST_CASE("a query without an sla has no SLA series and asks nothing more") {
  World w(true);
  w.CloudBasics(1);
  w.Set(w.Search(kResolved, 100), CloudPage({IssueJson(w.clock, 50h, 1h)}));
  const std::string text = SnapshotText(*w.Poll());
  CHECK(text.find("sla") == std::string::npos);
  CHECK(w.state->requests.size() == 3);  // count, resolved, oldest
}

TEST_CASE("sla_field by name: JSM's breached verdicts decide, the field id is looked up once") {
  JiraQuery query{"support", "project = SUP"};
  query.sla_field = "time to RESOLUTION";  // names match without regard to case, as in JQL
  World w(true, 1000, {query});
  w.CloudBasics(4);
  w.Set(std::string(kSite) + "/rest/api/3/field",
        R"([{"id":"summary","key":"summary","name":"Summary","custom":false},)"
        R"({"id":"customfield_10030","key":"customfield_10030","name":"Time to resolution","custom":true,)"
        R"("schema":{"type":"sd-servicelevelagreement","custom":"com.atlassian.servicedesk:sd-sla-field","customId":10030}}])");
  const std::string fields = "created,resolutiondate,customfield_10030";
  // Resolved: met (one completed cycle), breached (the second of two cycles), no SLA applied (null, left out),
  // and one resolved after 200h that JSM says met its goal (a paused clock): JSM wins over arithmetic.
  w.Set(w.Search(kResolved, 100, "", fields),
        CloudPage({IssueWithSla(w.clock, 5h, 3h, SlaField({false}, std::nullopt)),
                   IssueWithSla(w.clock, 9h, 1h, SlaField({false, true}, std::nullopt)),
                   IssueWithSla(w.clock, 9h, 1h, "null"), IssueWithSla(w.clock, 201h, 1h, SlaField({false}, std::nullopt))}));
  // Open: the ongoing cycle breached, not breached, and no cycle yet.
  w.Set(w.Search(kOldest, 100, "", fields),
        CloudPage({IssueWithSla(w.clock, 2h, std::nullopt, SlaField({}, true)),
                   IssueWithSla(w.clock, 300h, std::nullopt, SlaField({}, false)),
                   IssueWithSla(w.clock, 1h, std::nullopt, SlaField({}, std::nullopt))}));
  std::string text = SnapshotText(*w.Poll());
  CHECK(HasLine(text, "jira_issues_resolved_within_sla_ratio{query=\"support\",window=\"30d\"} 0.6666666666666666"));
  CHECK(HasLine(text, "jira_issues_open_breaching_sla{query=\"support\"} 1"));
  REQUIRE(w.Poll());
  CHECK(std::count_if(w.state->requests.begin(), w.state->requests.end(), [](const HttpRequest& r) {
          return r.url == std::string(kSite) + "/rest/api/3/field";
        }) == 1);
}

TEST_CASE("sla_field: an unknown or ambiguous name fails the query, an id is used as is") {
  JiraQuery query{"support", "project = SUP"};
  query.sla_field = "Time to first response";
  World w(true, 1000, {query});
  w.CloudBasics(1);
  w.Set(std::string(kSite) + "/rest/api/3/field", R"([{"id":"customfield_1","name":"Time to resolution"}])");
  auto result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().message.find("no field is named 'Time to first response'") != std::string::npos);
  w.Set(std::string(kSite) + "/rest/api/3/field",
        R"([{"id":"customfield_1","name":"Time to first response"},{"id":"customfield_2","name":"Time to first response"}])");
  result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().message.find("give sla_field as an id (customfield_1, customfield_2)") != std::string::npos);

  JiraQuery by_id{"support", "project = SUP"};
  by_id.sla_field = "customfield_10030";
  World v(true, 1000, {by_id});
  v.CloudBasics(0);
  const std::string fields = "created,resolutiondate,customfield_10030";
  v.Set(v.Search(kResolved, 100, "", fields), CloudPage({}));
  v.Set(v.Search(kOldest, 100, "", fields), CloudPage({}));
  const std::string text = SnapshotText(*v.Poll());
  CHECK(text.find("jira_issues_resolved_within_sla_ratio") == std::string::npos);  // 0 of 0 is no ratio
  CHECK(HasLine(text, "jira_issues_open_breaching_sla{query=\"support\"} 0"));
  CHECK(v.state->requests.size() == 4);  // no field lookup
}

TEST_CASE("Jira config: sla and sla_field per query") {
  const auto parse = [](const std::string& text) {
    return ParseConfig(text, "j.toml", AllCollectorFactories(), [](const std::string&) -> std::optional<std::string> {
      return std::string("tok");
    });
  };
  const std::string head = "[jira]\nurl = \"https://x\"\nemail = \"a@b\"\ntoken = \"t\"\n[[jira.queries]]\nname = \"a\"\njql = \"x\"\n";
  CHECK(parse(head + "sla = \"24h\"\n"));
  CHECK(parse(head + "sla_field = \"Time to resolution\"\n"));
  CHECK(parse(head + "sla = \"soon\"\n").error().ToString().starts_with("j.toml:8:7: 'sla'"));
  CHECK(parse(head + "sla = \"24h\"\nsla_field = \"customfield_1\"\n").error().ToString() ==
        "j.toml:9:13: query 'a' has 'sla' and 'sla_field'; with sla_field JSM's own goals decide, so drop 'sla'");
}

TEST_CASE("drill-down: tickets past their SLA and the oldest open, oldest first, key, age and URL, no summary") {
  World w(true, 1000, {SlaQuery()});
  w.max_items = 2;
  BreachingWorld(w, "created,resolutiondate");
  const auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const ItemList* breaching = FindList(*snapshot, "breaching_sla");
  REQUIRE(breaching);
  CHECK(breaching->target == "support");
  CHECK(breaching->metrics == std::vector<std::string>{"jira_issues_open_breaching_sla"});
  CHECK(breaching->total == 3);  // the same number as jira_issues_open_breaching_sla
  REQUIRE(breaching->items.size() == 2);
  CHECK(breaching->items[0].id == "SUP-9");
  CHECK(breaching->items[0].url == "https://acme.atlassian.test/browse/SUP-9");
  CHECK(breaching->items[0].since == w.clock.Now() - 72h);
  CHECK(breaching->items[1].id == "SUP-7");
  CHECK(breaching->updated == w.clock.Now());
  const ItemList* oldest = FindList(*snapshot, "oldest_open");
  REQUIRE(oldest);
  CHECK(oldest->total == 7);  // more than one page: counted
  CHECK(oldest->items.size() == 2);
  // Summaries were neither asked for nor kept, though this Jira sent them.
  for (const auto* list : {breaching, oldest}) {
    for (const auto& item : list->items) CHECK(item.title.empty());
  }
  for (const auto& request : w.state->requests) CHECK(request.url.find("summary") == std::string::npos);
}

TEST_CASE("drill-down: show_titles = true asks for and shows the summary") {
  World w(true, 1000, {SlaQuery()});
  w.max_items = 2;
  w.config.show_titles = true;
  w.collector = std::make_unique<JiraCollector>(w.config);
  BreachingWorld(w, "created,resolutiondate,summary");
  const auto snapshot = w.Poll();
  REQUIRE(snapshot);
  CHECK(FindList(*snapshot, "breaching_sla")->items[0].title == "Refund for jane.doe@customer.test");
}

TEST_CASE("drill-down: a failed query keeps its last lists, and max_items = 0 builds none") {
  World w(true, 1000, {SlaQuery()});
  w.max_items = 2;
  BreachingWorld(w, "created,resolutiondate");
  REQUIRE(w.Poll());
  const SystemTime first_poll = w.clock.Now();
  w.clock.Advance(1h);
  w.Set(std::string(kSite) + "/rest/api/3/search/approximate-count", "{}", {}, 500);
  const auto failed = w.Poll();
  REQUIRE_FALSE(failed);
  REQUIRE(failed.error().partial);
  const ItemList* kept = FindList(*failed.error().partial, "breaching_sla");
  REQUIRE(kept);
  CHECK(kept->updated == first_poll);  // retries moved the clock on since
  CHECK(kept->total == 3);

  World off(true, 1000, {SlaQuery()});
  BreachingWorld(off, "created,resolutiondate");
  off.Set(off.Search(kOldest, 1), CloudPage({KeyedIssue(off.clock, "SUP-9", 72h)}, "more"));
  const auto none = off.Poll();
  REQUIRE(none);
  CHECK(none->items().empty());
}
