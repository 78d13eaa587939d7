#include "exporter/kpi/history.h"

#include <doctest/doctest.h>

using namespace kpi;

namespace {

std::shared_ptr<const Snapshot> StarsSnapshot(double stars) {
  SnapshotBuilder b;
  b.Gauge("github_repo_stars", "Stars.", {{"repo", "acme/widgets"}}, stars);
  return std::make_shared<const Snapshot>(*std::move(b).Build());
}

KpiSettings Stars(std::optional<std::string> deadline = {}, double deadline_unix_seconds = 0) {
  KpiSettings settings;
  KpiDefinition k;
  k.name = "stars";
  k.category = "community";
  k.metric = "github_repo_stars";
  k.target = 500;
  k.deadline = deadline;
  k.deadline_unix_seconds = deadline_unix_seconds;
  settings.kpis = {k};
  settings.scorecard.forecast_range = "1h";
  return settings;
}

// The scorecard for `snapshot` at `now`, after the history has seen it.
KpiResult At(KpiHistory& history, const KpiSettings& settings, std::shared_ptr<const Snapshot> snapshot, double now) {
  std::vector<std::shared_ptr<const Snapshot>> snapshots = {std::move(snapshot)};
  Scorecard card = Score(settings, snapshots);
  history.Update(card, settings.scorecard, now);
  return card.kpis.at(0);
}

}  // namespace

TEST_CASE("the least-squares line: through two points, flat, and none without two distinct times") {
  CHECK(*LinearForecast({{0, 0}, {10, 10}}, 20) == doctest::Approx(20));
  CHECK(*LinearForecast({{0, 1}, {10, 3}, {20, 2}}, 40) == doctest::Approx(3.5));  // slope 0.05, mean 2 at t=10
  CHECK(*LinearForecast({{0, 5}, {10, 5}}, 1e9) == 5);
  CHECK_FALSE(LinearForecast({{0, 5}}, 10));
  CHECK_FALSE(LinearForecast({{3, 5}, {3, 6}}, 10));
}

TEST_CASE("a KPI's trend: one point per poll of its source, compared with the oldest point of the range") {
  KpiHistory history;
  const KpiSettings settings = Stars();
  const auto first = StarsSnapshot(400);
  CHECK_FALSE(At(history, settings, first, 1000).trend_from);  // one poll: no trend yet
  CHECK_FALSE(At(history, settings, first, 1100).trend_from);  // the same poll seen again adds nothing
  const auto second = At(history, settings, StarsSnapshot(450), 1200);
  REQUIRE(second.trend_from);
  CHECK(*second.trend_from == 400);
  CHECK(second.trend_since == 1000);
  CHECK_FALSE(second.forecast);  // no deadline, no forecast
  // Past the range (1h) the oldest point goes: the trend starts from the next one.
  const auto later = At(history, settings, StarsSnapshot(470), 1000 + 3600 + 250);
  CHECK(*later.trend_from == 450);
  CHECK(later.trend_since == 1200);
}

TEST_CASE("a KPI's forecast: the line through the polls of the range at the deadline, only before it") {
  KpiHistory history;
  const KpiSettings settings = Stars("1970-01-02", 86400);
  At(history, settings, StarsSnapshot(100), 0);
  const auto now = At(history, settings, StarsSnapshot(110), 600);  // 1 star a minute
  REQUIRE(now.forecast);
  CHECK(*now.forecast == doctest::Approx(100 + 86400.0 / 60));
  CHECK_FALSE(At(history, settings, StarsSnapshot(120), 86400).forecast);  // at the deadline: no forecast
}
