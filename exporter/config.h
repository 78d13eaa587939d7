// Config: the validated, immutable result of reading the TOML file. Building
// it builds every enabled collector, so "it loaded" means "every section is
// valid". A reload builds a new Config and swaps it in only on success.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/collector.h"
#include "collectors/common/section_reader.h"
#include "exporter/rules/alert_rules.h"
#include "exporter/kpi/definition.h"

namespace kpi {

struct ExporterSettings {
  int max_concurrent_polls = 4;                          // collectors polling at the same time
  std::chrono::milliseconds shutdown_timeout{10'000};    // grace for in-flight polls on SIGTERM/reload
  std::optional<std::chrono::milliseconds> default_interval;  // for sources without their own interval
  Shard shard;  // shard_index / shard_count; --shard.* flags override them
  size_t max_series_per_collector = kDefaultMaxSeries;
};

// [drill_down]: the item lists behind the numbers (collectors/common/output/items.h).
struct DrillDownSettings {
  size_t max_items = kDefaultMaxItems;  // per list; 0 turns the lists off
};

struct Config {
  std::string file;
  ExporterSettings exporter;
  DrillDownSettings drill_down;
  AlertSettings alerts;
  KpiSettings kpis;  // [[kpi]] and [scorecard], or the enabled sources' defaults
  std::vector<std::shared_ptr<Collector>> collectors;  // sorted by section name
  std::vector<std::string> secrets;                     // every secret read, for redaction
  // Per collector name, a hash of everything that configures it: equal across
  // two loads exactly when a reload may keep the running collector.
  std::map<std::string, uint64_t> fingerprints;

  PollLimits poll_limits() const { return {exporter.max_series_per_collector, drill_down.max_items}; }
};

// kAlertsOnly reads [exporter] and [alerts] and only checks that source
// sections are known, so `kpi_exporter rules` needs no tokens.
enum class ConfigScope { kEverything, kAlertsOnly };

// Parses `text` as if read from `file` (for messages). Unknown sections and
// keys, wrong types and bad values are errors with line and column.
tl::expected<Config, ConfigError> ParseConfig(std::string_view text, const std::string& file,
                                              std::span<const CollectorFactory> factories, const EnvLookup& env,
                                              ConfigScope scope = ConfigScope::kEverything);

tl::expected<Config, ConfigError> LoadConfig(const std::string& file, std::span<const CollectorFactory> factories,
                                             const EnvLookup& env, ConfigScope scope = ConfigScope::kEverything);

}  // namespace kpi
