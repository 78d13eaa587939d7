#include "exporter/report/render.h"

#include <doctest/doctest.h>

using namespace kpi;

namespace {

// Two KPIs, one red with an item list of seven, compared over 7d.
Review SampleReview() {
  Review review;
  review.range = "7d";
  review.start_time = "2026-11-24T09:00:00Z";
  review.end_time = "2026-12-01T09:00:00Z";
  review.end_unix_seconds = 1'796'115'600;
  review.compared = true;
  review.values_from = "Prometheus at http://prometheus:9090";
  ReviewKpi stars;
  stars.kpi.name = "stars";
  stars.kpi.category = "community";
  stars.kpi.metric = "github_repo_stars";
  stars.kpi.target = 500;
  stars.now = 520;
  stars.start = 480;
  stars.zone = Zone::kGreen;
  stars.start_zone = Zone::kRed;
  ReviewKpi ci;
  ci.kpi.name = "ci_failing";
  ci.kpi.category = "delivery";
  ci.kpi.metric = "github_workflow_failing";
  ci.kpi.direction = Direction::kLower;
  ci.kpi.target = 0;
  ci.now = 1;
  ci.start = 0;
  ci.zone = Zone::kRed;
  ci.start_zone = Zone::kGreen;
  review.kpis = {stars, ci};
  review.composite_now = 50;
  review.composite_start = 50;
  review.coverage_now = 1;
  review.items_listed = true;
  ReviewItemList list{.collector = "github", .target = "acme/widgets", .list = "failing_workflows",
                      .title = "Failing workflows", .metrics = {"github_workflow_failing"}, .total = 7};
  list.items.push_back({.id = "1", .title = "Deploy | *prod* <b>", .url = "https://ci.example/runs/(1)",
                        .age_seconds = 7200});
  for (int i = 2; i <= 7; ++i) list.items.push_back({.id = std::to_string(i), .title = "run " + std::to_string(i)});
  review.item_lists.push_back(list);
  review.notes.push_back("a note with a | pipe");
  return review;
}

}  // namespace

TEST_CASE("report markdown escaping: what GitHub reads inline is escaped, lines stay one line") {
  CHECK(MarkdownEscape("a|b *c* _d_ [e](f) <g> `h` ~i~ &amp;") ==
        "a\\|b \\*c\\* \\_d\\_ \\[e\\](f) \\<g\\> \\`h\\` \\~i\\~ \\&amp;");
  CHECK(MarkdownEscape("two\nlines\r\n") == "two lines  ");
  CHECK(MarkdownEscape("2026-12-01 (7d), 95.1 %") == "2026-12-01 (7d), 95.1 %");  // prose stays readable
}

TEST_CASE("report markdown: one table row per KPI, the red KPI's top items, notes") {
  const std::string md = RenderReviewMarkdown(SampleReview());
  CHECK(md.starts_with("# KPI review: 7d to 2026-12-01T09:00:00Z\n\n"));
  CHECK(md.find("**Composite score: 50 (was 50, 0)** · 100 % of the KPIs have data\n") != std::string::npos);
  CHECK(md.find("| KPI | category | now | at start | target | zone | trend | forecast at deadline |\n"
                "|:--|:--|--:|--:|:--|:--|:--|:--|\n"
                "| stars | community | 520 | 480 | ≥ 500 | 🟢 green (was red) | ↑ up, better |   |\n"
                "| ci\\_failing | delivery | 1 | 0 | ≤ 0 | 🔴 red (was green) | ↑ up, worse |   |\n") !=
        std::string::npos);
  CHECK(md.find("### ci\\_failing\n\n**Failing workflows (github, acme/widgets): 5 of 7 shown**\n\n"
                "- [Deploy \\| \\*prod\\* \\<b\\>](https://ci.example/runs/%281%29): 1, 2h old\n"
                "- run 2: 2\n") != std::string::npos);
  CHECK(md.find("- run 5: 5\n\n") != std::string::npos);
  CHECK(md.find("run 6") == std::string::npos);  // five per list
  CHECK(md.find("### stars") == std::string::npos);  // green: no items
  CHECK(md.find("## Notes\n\n- a note with a \\| pipe\n") != std::string::npos);
}

TEST_CASE("report html: the same rows, zone classes, items escaped, links only to http(s)") {
  Review review = SampleReview();
  review.item_lists[0].items[1].url = "javascript:alert(1)";
  const std::string html = RenderReviewHtml(review);
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(html.find("<title>KPI review: 7d to 2026-12-01T09:00:00Z</title>") != std::string::npos);
  CHECK(html.find("Composite score: 50 (was 50, 0)") != std::string::npos);
  CHECK(html.find("<tr class=\"green\" data-kpi=\"stars\"><td>stars</td><td>community</td><td class=\"num\">520</td>"
                  "<td class=\"num\">480</td><td>≥ 500</td><td>green (was red)</td><td>↑ up, better</td>") !=
        std::string::npos);
  CHECK(html.find("<tr class=\"red\" data-kpi=\"ci_failing\">") != std::string::npos);
  CHECK(html.find("<a href=\"https://ci.example/runs/(1)\">Deploy | *prod* &lt;b&gt;</a>") != std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
  CHECK(html.find("<a href=\"#\">run 2</a>") != std::string::npos);
  CHECK(html.find("run 6") == std::string::npos);
  CHECK(html.find("<li>a note with a | pipe</li>") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("report without Prometheus: no start values, no trend, the forecast says why, the note says what is missing") {
  Review review = SampleReview();
  review.compared = false;
  for (auto& r : review.kpis) {
    r.start.reset();
    r.start_zone.reset();
  }
  review.kpis[0].kpi.deadline = "2027-06-30";
  review.kpis[0].kpi.deadline_unix_seconds = 1814400000;
  review.composite_start.reset();
  const std::string md = RenderReviewMarkdown(review);
  CHECK(md.find("| stars | community | 520 | — | ≥ 500 | 🟢 green |   | not forecast (needs Prometheus), deadline "
                "2027-06-30 |\n") != std::string::npos);
  CHECK(md.find("**Composite score: 50** ·") != std::string::npos);
}
