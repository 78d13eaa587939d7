// The landing page (the scorecard plus per-collector and per-target health,
// from landing_page.html) and the same scorecard as JSON for /api/v1/scorecard.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kpi/engine.h"
#include "exporter/scheduler.h"

namespace kpi {

struct LandingPageInput {
  std::string version;
  std::string telemetry_path;
  std::vector<CollectorStatus> collectors;
  Scorecard scorecard;
  std::function<std::string(std::string_view)> redact;  // for error texts
};

std::string RenderLandingPage(const LandingPageInput& input);
std::string RenderScorecardJson(const Scorecard& scorecard);

}  // namespace kpi
