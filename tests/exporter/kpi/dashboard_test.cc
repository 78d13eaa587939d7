#include "exporter/kpi/dashboard.h"

#include <cmath>
#include <limits>

#include <doctest/doctest.h>

using namespace kpi;

namespace {

KpiDefinition Kpi(Direction direction, double target, std::optional<double> green = {}, std::optional<double> red = {}) {
  KpiDefinition k;
  k.name = "first_response";
  k.category = "community";
  k.metric = "github_issue_first_response_seconds";
  k.direction = direction;
  k.target = target;
  k.green = green;
  k.red = red;
  return k;
}

// The colour Grafana gives `value`: the last step whose start is at or below it.
std::string Colour(const std::vector<ThresholdStep>& steps, double value) {
  std::string colour;
  for (const auto& s : steps) {
    if (!s.value || value >= *s.value) colour = s.color;
  }
  return colour;
}

// The panel colour is the zone, exactly at and just beside every threshold.
void CheckAgrees(const KpiDefinition& k) {
  const auto steps = ZoneSteps(k);
  for (const double t : {GreenThreshold(k), k.target, RedThreshold(k)}) {
    for (const double v : {t, std::nextafter(t, -INFINITY), std::nextafter(t, INFINITY), t - 1, t + 1}) {
      CAPTURE(v);
      CHECK(Colour(steps, v) == ZoneName(ZoneOf(k, v)));
    }
  }
}

}  // namespace

TEST_CASE("dashboard zone colours are the zones at every boundary, higher and lower is better, with and without zones") {
  CheckAgrees(Kpi(Direction::kHigher, 500, 600, 400));
  CheckAgrees(Kpi(Direction::kHigher, 500));
  CheckAgrees(Kpi(Direction::kHigher, 500, std::nullopt, 400));
  CheckAgrees(Kpi(Direction::kLower, 86400, 43200, 172800));
  CheckAgrees(Kpi(Direction::kLower, 86400));
  CheckAgrees(Kpi(Direction::kLower, 0.03, 0.01));
  CHECK(ZoneSteps(Kpi(Direction::kHigher, 500)).size() == 2);  // no yellow without zones
}

TEST_CASE("dashboard: a scorecard row on top, the base below it, zones on the marked query only") {
  KpiSettings settings;
  settings.kpis = {Kpi(Direction::kLower, 86400, 43200, 172800)};
  const std::string base = R"({"title": "t", "panels": [
    {"type": "timeseries", "title": "Mean first response", "gridPos": {"h": 7, "w": 8, "x": 0, "y": 0},
     "targets": [{"expr": "x", "refId": "A", "kpi": "first_response"}, {"expr": "y", "refId": "B"}]},
    {"type": "timeseries", "title": "Other", "gridPos": {"h": 7, "w": 8, "x": 8, "y": 0},
     "targets": [{"expr": "z", "refId": "A", "kpi": "not_configured"}]}]})";
  const auto out = RenderDashboard(base, settings);
  REQUIRE(out);
  CHECK(out->find("\"title\": \"Scorecard (KPIs and targets)\"") < out->find("\"title\": \"Mean first response\""));
  CHECK(out->find("\"expr\": \"kpi:composite_score\"") != std::string::npos);
  CHECK(out->find("\"expr\": \"kpi:value{kpi=\\\"first_response\\\"}\"") != std::string::npos);
  CHECK(out->find("\"kpi\":") == std::string::npos);  // the marks are gone
  // One override (refId A of the marked panel), with the zones and threshold lines.
  CHECK(out->find("\"options\": \"A\"") != std::string::npos);
  CHECK(out->find("\"options\": \"B\"") == std::string::npos);
  const auto line = out->find("\"mode\": \"line+area\"");
  CHECK((line != std::string::npos && line == out->rfind("\"mode\": \"line+area\"")));
  // Three stats (composite, coverage, one KPI) fit one line of the row: the base moves down by 1 + 4.
  CHECK(out->find("\"y\": 5") != std::string::npos);
  CHECK(!RenderDashboard("{\"panels\": 3}", settings));
  CHECK(!RenderDashboard("not json", settings));
  CHECK(!RenderDashboard(R"({"panels": [{"type": "row", "title": "r"}]})", settings));
}
