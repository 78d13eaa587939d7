// Reads [[kpi]] tables and [scorecard] strictly (file:line:column errors),
// checking every metric and label against the families the sources declare
// (SourceCatalog). Without any [[kpi]], the KPIs are the default planning
// targets of the sources the config enables.
#pragma once

#include <functional>
#include <span>
#include <string>

#include <toml++/toml.h>
#include <tl/expected.hpp>

#include "collectors/common/collector.h"
#include "collectors/common/section_reader.h"
#include "exporter/kpi/definition.h"

namespace kpi {

// `root` is the whole config file; only its "kpi" and "scorecard" keys and
// the names of its source sections are read.
tl::expected<KpiSettings, ConfigError> ReadKpiSettings(const toml::table& root, const std::string& file,
                                                       const EnvLookup& env,
                                                       std::span<const CollectorFactory> factories);

// The default KPIs of the sources for which `enabled(section)` holds (every source: the KPIs of the checked-in
// rules, the chart and the dashboard).
std::vector<KpiDefinition> DefaultKpis(std::span<const CollectorFactory> factories,
                                       const std::function<bool(std::string_view section)>& enabled);

// The end (24:00 UTC) of a "YYYY-MM-DD" calendar day, in Unix seconds.
std::optional<double> ParseDeadline(std::string_view text);

}  // namespace kpi
