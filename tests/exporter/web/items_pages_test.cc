#include "exporter/web/items_pages.h"

#include <doctest/doctest.h>

using namespace kpi;
using namespace std::chrono_literals;

namespace {

const SystemTime kNow = SystemTime(std::chrono::seconds(1'796'173'200));  // 2026-12-02T01:00:00Z

std::shared_ptr<const Snapshot> WithLists(std::vector<ItemList> lists) {
  SnapshotBuilder b;
  for (auto& list : lists) b.Items(std::move(list));
  return std::make_shared<const Snapshot>(*std::move(b).Build());
}

ItemsSource Source() {
  const ItemListKind awaiting{"awaiting_response", "Issues awaiting a first response", {"github_issues_awaiting_response"}};
  std::vector<ListItem> items{{"#123", "Crash \"on\" start", "https://github.test/acme/widgets/issues/123", kNow - 25h,
                               {{"label", "bug"}}},
                              {"#125", "cut by max_items", "https://github.test/acme/widgets/issues/125", std::nullopt}};
  ItemList list = MakeItemList(awaiting, "acme/widgets", kNow - 1h, std::move(items), 1, 57);
  // An upstream URL of another scheme: shown as text, never linked.
  ItemList other = MakeItemList(awaiting, "acme/other", kNow - 1h, {{"#124", "", "javascript:alert(1)", std::nullopt}}, 20);
  const ItemListKind oldest{"oldest_open", "Oldest open tickets", {"jira_issues_oldest_open_age_seconds"}};
  return ItemsSource{{{"github", WithLists({list, other})}, {"jira", WithLists({MakeItemList(oldest, "support", kNow, {}, 20)})}},
                     kNow};
}

std::string NoRedaction(std::string_view text) { return std::string(text); }

}  // namespace

TEST_CASE("items API: the documented JSON shape, ages counted to now, texts escaped") {
  const ItemsSource source = Source();
  const auto lists = SelectItemLists(source, ParseItemsFilter("collector=github&target=acme%2Fwidgets"));
  REQUIRE(lists);
  CHECK(RenderItemsJson(*lists, kNow, NoRedaction) ==
        R"({"status":"success","data":{"lists":[{"collector":"github","target":"acme/widgets","list":"awaiting_response",)"
        R"("title":"Issues awaiting a first response","metrics":["github_issues_awaiting_response"],)"
        R"("updated":"2026-12-02T00:00:00Z","total":57,"truncated":true,"items":[{"id":"#123","title":"Crash \"on\" start",)"
        R"("url":"https://github.test/acme/widgets/issues/123","since":"2026-12-01T00:00:00Z","age_seconds":90000,)"
        R"("fields":{"label":"bug"}}]}]}})"
        "\n");
}

TEST_CASE("items API: filters narrow in order, and an unknown collector, target or list is named") {
  const ItemsSource source = Source();
  CHECK(SelectItemLists(source, {})->size() == 3);
  CHECK(SelectItemLists(source, ParseItemsFilter("collector=github"))->size() == 2);
  CHECK(SelectItemLists(source, ParseItemsFilter("list=oldest_open"))->size() == 1);
  CHECK(SelectItemLists(source, ParseItemsFilter("collector=&target="))->size() == 3);  // empty is no filter
  CHECK(SelectItemLists(source, ParseItemsFilter("collector=gitlab")).error() == "no item lists for collector 'gitlab'");
  CHECK(SelectItemLists(source, ParseItemsFilter("collector=github&target=support")).error() ==
        "no item lists for target 'support'");
  CHECK(SelectItemLists(source, ParseItemsFilter("target=acme/widgets&list=nope")).error() ==
        "no item lists for list 'nope'");
  CHECK(RenderItemsErrorJson("no item lists for list 'x'", NoRedaction) ==
        "{\"status\":\"error\",\"errorType\":\"not_found\",\"error\":\"no item lists for list 'x'\"}\n");
  CHECK(ParseQueryValue("name=a+b%2Fc%zz", "name") == "a b/c%zz");
}

TEST_CASE("items for a KPI: the lists naming its metric, narrowed to the target its labels name") {
  const ItemsSource source = Source();
  KpiDefinition kpi;
  kpi.metric = "github_issues_awaiting_response";
  CHECK(ItemListsForKpi(source, kpi).size() == 2);
  kpi.matchers = {{"repo", "acme/other"}};
  REQUIRE(ItemListsForKpi(source, kpi).size() == 1);
  CHECK(ItemListsForKpi(source, kpi)[0].list->target == "acme/other");
  kpi.metric = "github_repo_stars";
  CHECK(ItemListsForKpi(source, kpi).empty());
  kpi.metric.clear();
  kpi.expr = "avg(up)";
  CHECK(ItemListsForKpi(source, kpi).empty());
}

TEST_CASE("items for a KPI: a list about some label values explains only KPIs that ask for those values") {
  KpiDefinition kpi;
  kpi.metric = "github_issues_opened";
  const std::string day_bugs = R"(github_issues_opened{window="1d",kind="bug"})";
  CHECK(SeriesExplainsKpi(day_bugs, kpi));  // no matchers: any window
  kpi.matchers = {{"kind", "bug"}, {"window", "1d"}, {"repo", "acme/widgets"}};
  CHECK(SeriesExplainsKpi(day_bugs, kpi));
  kpi.matchers = {{"kind", "bug"}, {"window", "30d"}};  // the default bug_reports KPI
  CHECK_FALSE(SeriesExplainsKpi(day_bugs, kpi));
  kpi.matchers = {{"kind", "all"}};
  CHECK_FALSE(SeriesExplainsKpi(day_bugs, kpi));
  CHECK_FALSE(SeriesExplainsKpi(R"(github_issues_opened_total{window="1d"})", kpi));
  CHECK_FALSE(SeriesExplainsKpi("github_issues_opened{window=", kpi));  // not a selector of ours
  CHECK(SeriesExplainsKpi("github_issues_opened", kpi));
}

TEST_CASE("items page: redacted, escaped, only web links, links to each list") {
  const ItemsSource source = Source();
  const auto lists = SelectItemLists(source, ParseItemsFilter("collector=github"));
  const auto redact = [](std::string_view text) {
    std::string out(text);
    for (size_t at; (at = out.find("Crash")) != std::string::npos;) out.replace(at, 5, "<redacted>");
    return out;
  };
  const std::string page = RenderItemsPage("Item lists · github", *lists, kNow, redact);
  CHECK(page.find("Crash") == std::string::npos);
  CHECK(page.find("&lt;redacted&gt; &quot;on&quot; start") != std::string::npos);
  CHECK(page.find("#124") != std::string::npos);
  CHECK(page.find("javascript:") == std::string::npos);
  CHECK(page.find("cut by max_items") == std::string::npos);
  CHECK(page.find("href=\"/items?collector=github&amp;target=acme%2Fwidgets&amp;list=awaiting_response\"") !=
        std::string::npos);
  CHECK(page.find("1 of 57") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
}
