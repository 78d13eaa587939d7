// `kpi_exporter report`: gathers the KPI review of a range (sources.h) and
// writes it as Markdown or HTML (render.h).
//
// The KPIs come from --config.file, or else from the exporter's scorecard.
// With Prometheus, every number is a kpi:* recording rule evaluated at the
// range's end and start; without it (no --prometheus.url, or no answer) the
// exporter's current values stand alone and the notes say what could not be
// compared. The items behind red KPIs come from the exporter's /api/v1/items;
// when that is missing the report says so and goes on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/upstream/http_client.h"
#include "exporter/flags.h"
#include "exporter/report/review.h"
#include "exporter/report/sources.h"

namespace kpi {

struct ReviewRequest {
  std::optional<Endpoint> prometheus;
  std::optional<Endpoint> exporter;
  std::optional<std::vector<KpiDefinition>> kpis;  // from --config.file; unset: the exporter's scorecard
  std::string range;                               // as written
  double range_seconds = 0;
  double end_unix_seconds = 0;
};

// Fails only when there is nothing to report (no KPIs, no values from anywhere).
tl::expected<Review, std::string> GatherReview(const ReviewRequest& request, HttpClient* prometheus,
                                               HttpClient* exporter);

// The whole command: 0 written, 1 nothing to report or not writable, 2 bad flags or config.
int RunReport(const Flags& flags, const Clock& clock);

}  // namespace kpi
