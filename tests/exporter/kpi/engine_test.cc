#include "exporter/kpi/engine.h"

#include <doctest/doctest.h>

#include <limits>

using namespace kpi;

namespace {

using Snapshots = std::vector<std::shared_ptr<const Snapshot>>;

std::shared_ptr<const Snapshot> Build(SnapshotBuilder& b) {
  auto s = std::move(b).Build();
  REQUIRE(s);
  return std::make_shared<const Snapshot>(std::move(*s));
}

// Two collectors' snapshots: stars of two repositories, lead times of two, a ratio with NaN.
Snapshots World() {
  SnapshotBuilder a;
  a.Gauge("github_repo_stars", "h", {{"repo", "a/x"}}, 300);
  a.Gauge("github_repo_stars", "h", {{"repo", "a/y"}}, 250);
  a.Summary("github_pull_request_merge_lead_time_seconds", "h", {{"repo", "a/x"}, {"window", "30d"}}, {10, 20, 30});
  a.Summary("github_pull_request_merge_lead_time_seconds", "h", {{"repo", "a/y"}, {"window", "30d"}}, {100});
  a.Summary("github_issue_first_response_seconds", "h", {{"repo", "a/x"}, {"window", "30d"}}, {});
  SnapshotBuilder b;
  b.Gauge("pypi_downloads", "h", {{"package", "p"}, {"window", "30d"}}, 12000);
  b.Gauge("pypi_downloads", "h", {{"package", "p"}, {"window", "7d"}}, 3000);
  b.Gauge("ratio", "h", {{"w", "1"}}, std::numeric_limits<double>::quiet_NaN());
  b.Gauge("ratio", "h", {{"w", "2"}}, 0.5);
  return {Build(a), Build(b)};
}

KpiDefinition Kpi(std::string name, std::string metric, Aggregate aggregate, Labels matchers = {}) {
  KpiDefinition k;
  k.name = std::move(name);
  k.category = "c";
  k.metric = std::move(metric);
  k.aggregate = aggregate;
  k.summary = aggregate == Aggregate::kMean || aggregate == Aggregate::kP50 || aggregate == Aggregate::kP90;
  k.matchers = std::move(matchers);
  return k;
}

}  // namespace

TEST_CASE("KPI values: gauges aggregated over the selected series, across collectors") {
  const Snapshots w = World();
  CHECK(EvaluateKpi(Kpi("s", "github_repo_stars", Aggregate::kSum), w) == 550);
  CHECK(EvaluateKpi(Kpi("s", "github_repo_stars", Aggregate::kMax), w) == 300);
  CHECK(EvaluateKpi(Kpi("s", "github_repo_stars", Aggregate::kMin), w) == 250);
  CHECK(EvaluateKpi(Kpi("s", "github_repo_stars", Aggregate::kAvg), w) == 275);
  CHECK(EvaluateKpi(Kpi("s", "github_repo_stars", Aggregate::kSum, {{"repo", "a/y"}}), w) == 250);
  CHECK(EvaluateKpi(Kpi("d", "pypi_downloads", Aggregate::kSum, {{"window", "30d"}}), w) == 12000);
  // No series matches: unknown, not 0.
  CHECK_FALSE(EvaluateKpi(Kpi("s", "github_repo_stars", Aggregate::kSum, {{"repo", "other/z"}}), w));
  CHECK_FALSE(EvaluateKpi(Kpi("s", "github_repo_forks", Aggregate::kSum), w));
  // As PromQL: max and min skip a NaN, sum and avg turn NaN, which is unknown.
  CHECK(EvaluateKpi(Kpi("r", "ratio", Aggregate::kMax), w) == 0.5);
  CHECK(EvaluateKpi(Kpi("r", "ratio", Aggregate::kMin), w) == 0.5);
  CHECK_FALSE(EvaluateKpi(Kpi("r", "ratio", Aggregate::kSum), w));
}

TEST_CASE("KPI values: summaries pool the mean, a quantile needs exactly one series, no observations is unknown") {
  const Snapshots w = World();
  CHECK(EvaluateKpi(Kpi("l", "github_pull_request_merge_lead_time_seconds", Aggregate::kMean), w) == 40);  // 160/4
  CHECK(EvaluateKpi(Kpi("l", "github_pull_request_merge_lead_time_seconds", Aggregate::kMean, {{"repo", "a/x"}}), w) ==
        20);
  CHECK(EvaluateKpi(Kpi("l", "github_pull_request_merge_lead_time_seconds", Aggregate::kP50, {{"repo", "a/x"}}), w) ==
        20);
  CHECK(EvaluateKpi(Kpi("l", "github_pull_request_merge_lead_time_seconds", Aggregate::kP90, {{"repo", "a/x"}}), w) ==
        30);
  CHECK_FALSE(EvaluateKpi(Kpi("l", "github_pull_request_merge_lead_time_seconds", Aggregate::kP50), w));
  CHECK_FALSE(EvaluateKpi(Kpi("f", "github_issue_first_response_seconds", Aggregate::kMean), w));
  CHECK_FALSE(EvaluateKpi(Kpi("f", "github_issue_first_response_seconds", Aggregate::kP50), w));
  KpiDefinition expr;
  expr.expr = "sum(github_repo_stars)";
  CHECK_FALSE(EvaluateKpi(expr, w));
}

TEST_CASE("scorecard: missing data is never red, weights that do not sum to one are normalised") {
  KpiSettings settings;
  auto stars = Kpi("stars", "github_repo_stars", Aggregate::kSum);  // 550: green against 500
  stars.category = "community";
  stars.target = 500;
  auto forks = Kpi("forks", "github_repo_forks", Aggregate::kSum);  // no data
  forks.category = "community";
  forks.target = 50;
  auto lead = Kpi("lead", "github_pull_request_merge_lead_time_seconds", Aggregate::kMean);  // 40: yellow
  lead.category = "delivery";
  lead.direction = Direction::kLower;
  lead.target = 30;
  lead.red = 60;
  lead.weight = 3;
  auto downloads = Kpi("downloads", "pypi_downloads", Aggregate::kSum, {{"window", "7d"}});  // 3000 < 10000: red
  downloads.category = "delivery";
  downloads.target = 10000;
  settings.kpis = {stars, forks, lead, downloads};
  settings.scorecard.category_weights = {{"community", 3}, {"delivery", 1}};  // sum 4, not 1

  const Scorecard card = Score(settings, World());
  REQUIRE(card.kpis.size() == 4);
  CHECK(card.kpis[0].zone == Zone::kGreen);
  CHECK_FALSE(card.kpis[1].value);
  CHECK_FALSE(card.kpis[1].zone);
  CHECK(card.kpis[2].zone == Zone::kYellow);
  CHECK(card.kpis[3].zone == Zone::kRed);
  // community: only stars has data (100); delivery: (3*50 + 1*0) / 4 = 37.5.
  CHECK(card.category_scores == std::map<std::string, double>{{"community", 100}, {"delivery", 37.5}});
  CHECK(card.composite == doctest::Approx((3 * 100 + 1 * 37.5) / 4));
  CHECK(card.coverage == 0.75);

  const std::string text = RenderKpiMetrics(card);
  CHECK(text.find("kpi_target{kpi=\"forks\",category=\"community\"} 50\n") != std::string::npos);
  CHECK(text.find("kpi_value{kpi=\"forks\"") == std::string::npos);
  CHECK(text.find("kpi_status{kpi=\"forks\"") == std::string::npos);
  CHECK(text.find("kpi_value{kpi=\"lead\",category=\"delivery\"} 40\n") != std::string::npos);
  CHECK(text.find("kpi_status{kpi=\"stars\",category=\"community\"} 2\n") != std::string::npos);
  CHECK(text.find("kpi_status{kpi=\"lead\",category=\"delivery\"} 1\n") != std::string::npos);
  CHECK(text.find("kpi_status{kpi=\"downloads\",category=\"delivery\"} 0\n") != std::string::npos);
  CHECK(text.find("# TYPE kpi_status gauge\n") != std::string::npos);
}

TEST_CASE("scorecard: no data at all gives no scores, coverage 0, and no KPIs no coverage") {
  KpiSettings settings;
  auto forks = Kpi("forks", "github_repo_forks", Aggregate::kSum);
  forks.target = 50;
  settings.kpis = {forks};
  const Scorecard card = Score(settings, World());
  CHECK(card.category_scores.empty());
  CHECK_FALSE(card.composite);
  CHECK(card.coverage == 0);
  CHECK_FALSE(Score(KpiSettings{}, World()).coverage);
}
