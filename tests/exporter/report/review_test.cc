#include "exporter/report/review.h"

#include <doctest/doctest.h>

using namespace kpi;

namespace {

KpiDefinition Kpi(std::string metric, Direction direction, double target) {
  KpiDefinition k;
  k.name = "k";
  k.category = "c";
  k.metric = std::move(metric);
  k.direction = direction;
  k.target = target;
  return k;
}

}  // namespace

TEST_CASE("report trend: up, down or flat against the range's start, unknown without both values") {
  CHECK(TrendOf(100, 120) == Trend::kUp);
  CHECK(TrendOf(120, 100) == Trend::kDown);
  CHECK(TrendOf(100, 100) == Trend::kFlat);
  CHECK(TrendOf(0.1 + 0.2, 0.3) == Trend::kFlat);  // float noise is no change
  CHECK(TrendOf(0, 1e-12) == Trend::kUp);          // a real change, however small
  CHECK(TrendOf(std::nullopt, 100) == Trend::kUnknown);
  CHECK(TrendOf(100, std::nullopt) == Trend::kUnknown);
}

TEST_CASE("report trend: better or worse follows the KPI's direction") {
  CHECK(TrendText(Trend::kUp, Direction::kHigher) == "up, better");
  CHECK(TrendText(Trend::kUp, Direction::kLower) == "up, worse");
  CHECK(TrendText(Trend::kDown, Direction::kHigher) == "down, worse");
  CHECK(TrendText(Trend::kDown, Direction::kLower) == "down, better");
  CHECK(TrendText(Trend::kFlat, Direction::kLower) == "flat");
  CHECK(TrendText(Trend::kUnknown, Direction::kLower) == "");
}

TEST_CASE("report values in their metric's unit: durations, percentages, plain numbers") {
  CHECK(FormatKpiValue(Kpi("github_issue_first_response_seconds", Direction::kLower, 0), 93784) == "1d 2h");
  CHECK(FormatKpiValue(Kpi("x_seconds", Direction::kLower, 0), 86400) == "1d");
  CHECK(FormatKpiValue(Kpi("x_seconds", Direction::kLower, 0), 3720) == "1h 2m");
  CHECK(FormatKpiValue(Kpi("x_seconds", Direction::kLower, 0), 42.25) == "42.3s");
  CHECK(FormatKpiValue(Kpi("x_seconds", Direction::kLower, 0), -7200) == "-2h");
  CHECK(FormatKpiValue(Kpi("github_workflow_success_ratio", Direction::kHigher, 0), 0.9512) == "95.1 %");
  CHECK(FormatKpiValue(Kpi("github_repo_stars", Direction::kHigher, 0), 1234) == "1234");
  CHECK(FormatKpiValue(Kpi("stripe_mrr", Direction::kHigher, 0), 1234.5678) == "1234.568");
  CHECK(FormatKpiValue(Kpi("", Direction::kHigher, 0), 0.25) == "0.25");
  CHECK(FormatKpiValue(Kpi("", Direction::kHigher, 0), 0.00012345) == "0.000123");
  CHECK(FormatTarget(Kpi("x_seconds", Direction::kLower, 86400)) == "≤ 1d");
  CHECK(FormatTarget(Kpi("github_repo_stars", Direction::kHigher, 500)) == "≥ 500");
}

TEST_CASE("report ages: the two largest whole units") {
  CHECK(FormatAge(0) == "0s");
  CHECK(FormatAge(59.9) == "59s");
  CHECK(FormatAge(3600) == "1h");
  CHECK(FormatAge(3 * 86400 + 4 * 3600 + 59) == "3d 4h");
  CHECK(FormatAge(86400 + 30) == "1d");  // the second unit (hours) is 0; seconds are not the two largest
  CHECK(FormatAge(-5) == "0s");
}

TEST_CASE("report zones: the zone now, and the one at the range's start when it differs") {
  CHECK(ZoneText(Zone::kGreen, Zone::kGreen) == "green");
  CHECK(ZoneText(Zone::kRed, Zone::kGreen) == "red (was green)");
  CHECK(ZoneText(Zone::kYellow, std::nullopt) == "yellow");
  CHECK(ZoneText(std::nullopt, Zone::kRed) == "unknown");
}

TEST_CASE("report forecast: on or off track against the target, passed deadlines, no history, no Prometheus") {
  Review review;
  review.compared = true;
  review.end_unix_seconds = 1'000'000;
  ReviewKpi r{Kpi("github_repo_stars", Direction::kHigher, 500)};
  CHECK(ForecastText(r, review) == "");  // no deadline
  r.kpi.deadline = "2027-06-30";
  r.kpi.deadline_unix_seconds = 2'000'000;
  CHECK(ForecastText(r, review) == "no forecast yet (too little history), deadline 2027-06-30");
  r.forecast = 500;
  CHECK(ForecastText(r, review) == "500 by 2027-06-30: on track");  // exactly at the target meets it
  r.forecast = 499;
  CHECK(ForecastText(r, review) == "499 by 2027-06-30: off track");
  r.kpi.direction = Direction::kLower;
  CHECK(ForecastText(r, review) == "499 by 2027-06-30: on track");
  review.compared = false;
  CHECK(ForecastText(r, review) == "not forecast (needs Prometheus), deadline 2027-06-30");
  review.end_unix_seconds = 2'000'000;
  CHECK(ForecastText(r, review) == "deadline 2027-06-30 passed");
}

TEST_CASE("report composite: the score, the score at the start and the change, in tenths") {
  Review review;
  CHECK(CompositeText(review) == "unknown (no KPI has data)");
  review.composite_now = 62.54;
  CHECK(CompositeText(review) == "62.5");
  review.composite_start = 50;
  CHECK(CompositeText(review) == "62.5 (was 50, +12.5)");
  review.composite_start = 100.0 * 2 / 3;
  CHECK(CompositeText(review) == "62.5 (was 66.7, -4.1)");
  review.composite_start = 62.54;
  CHECK(CompositeText(review) == "62.5 (was 62.5, 0)");
}

TEST_CASE("report items: a red KPI's lists are those naming its metric, the reasons when there are none") {
  Review review;
  ReviewKpi red{Kpi("github_workflow_failing", Direction::kLower, 0)};
  red.zone = Zone::kRed;
  ReviewKpi green = red;
  green.zone = Zone::kGreen;
  CHECK(WantsItems(red));
  CHECK_FALSE(WantsItems(green));
  review.items_unavailable = "no --exporter.url given";
  CHECK(NoItemsReason(red, review) == "Items not listed: no --exporter.url given.");
  review.items_listed = true;
  review.item_lists.push_back({.collector = "github", .target = "acme/widgets", .list = "failing_workflows",
                               .title = "Failing workflows", .metrics = {"github_workflow_failing"}});
  review.item_lists.push_back({.collector = "github", .target = "acme/widgets", .list = "awaiting_response",
                               .title = "Awaiting response", .metrics = {"github_issues_awaiting_response"}});
  const auto lists = ListsFor(red, review);
  REQUIRE(lists.size() == 1);
  CHECK(lists[0]->list == "failing_workflows");
  CHECK(NoItemsReason(red, review) == "");
  red.kpi.metric = "github_repo_stars";
  CHECK(NoItemsReason(red, review) == "The exporter keeps no item list behind github_repo_stars.");
  red.kpi.metric = "";
  red.kpi.expr = "avg(up)";
  CHECK(NoItemsReason(red, review) == "A PromQL KPI: the exporter keeps no items behind it.");
}

TEST_CASE("report items: a KPI on one target shows that target's lists only, an unnamed target all of them") {
  Review review;
  review.items_listed = true;
  for (const char* repo : {"acme/widgets", "acme/gadgets"}) {
    review.item_lists.push_back({.collector = "github", .target = repo, .list = "failing_workflows",
                                 .title = "Failing workflows", .metrics = {"github_workflow_failing"}});
  }
  ReviewKpi red{Kpi("github_workflow_failing", Direction::kLower, 0)};
  red.zone = Zone::kRed;
  CHECK(ListsFor(red, review).size() == 2);  // no labels: every repository's list
  red.kpi.matchers = {{"repo", "acme/gadgets"}};
  const auto lists = ListsFor(red, review);
  REQUIRE(lists.size() == 1);
  CHECK(lists[0]->target == "acme/gadgets");
}

TEST_CASE("report item lists: counts shown of total, items by title or id with their details") {
  ReviewItemList list{.collector = "github", .target = "acme/widgets", .list = "l", .title = "Failing workflows",
                      .updated = "2026-12-01T09:00:00Z", .total = 7};
  for (int i = 0; i < 7; ++i) list.items.push_back({.id = std::to_string(i)});
  CHECK(ListHeading(list) == "Failing workflows (github, acme/widgets): 5 of 7 shown, updated 2026-12-01T09:00:00Z");
  list.items.resize(3);
  list.total = 3;
  list.updated = "";
  CHECK(ListHeading(list) == "Failing workflows (github, acme/widgets): 3");
  list.items.clear();
  list.total = 0;
  CHECK(ListHeading(list) == "Failing workflows (github, acme/widgets): none");

  ReviewItem item{.id = "#42", .title = "", .url = "javascript:alert(1)", .since = "2026-11-28T05:00:00Z",
                  .age_seconds = 3 * 86400 + 4 * 3600, .fields = {{"workflow", "CI"}}};
  CHECK(ItemLabel(item) == "#42");
  CHECK(ItemDetails(item) == "3d 4h old, since 2026-11-28T05:00:00Z, workflow: CI");
  CHECK(ItemLink(item) == "");  // only http(s) links
  item.title = "Crash on start";
  item.url = "https://github.com/acme/widgets/issues/42";
  CHECK(ItemLabel(item) == "Crash on start");
  CHECK(ItemDetails(item) == "#42, 3d 4h old, since 2026-11-28T05:00:00Z, workflow: CI");
  CHECK(ItemLink(item) == "https://github.com/acme/widgets/issues/42");
}
