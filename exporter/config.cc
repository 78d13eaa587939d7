#include "exporter/config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "collectors/common/time_util.h"
#include "exporter/kpi/kpi_config.h"

namespace kpi {
namespace {

tl::expected<ExporterSettings, ConfigError> ReadExporterSection(SectionReader& reader) {
  ExporterSettings settings;
  if (auto polls = reader.Integer("max_concurrent_polls", 1, 64)) settings.max_concurrent_polls = int(*polls);
  if (auto timeout = reader.Duration("shutdown_timeout", std::chrono::milliseconds(0), std::chrono::minutes(10))) {
    settings.shutdown_timeout = *timeout;
  }
  if (auto interval = reader.Duration("default_interval", kMinInterval, kMaxInterval)) settings.default_interval = *interval;
  if (auto series = reader.Integer("max_series_per_collector", 1, 10'000'000)) settings.max_series_per_collector = size_t(*series);
  if (auto count = reader.Integer("shard_count", 1, kMaxShards)) settings.shard.count = int(*count);
  if (auto index = reader.Integer("shard_index", 0, kMaxShards - 1)) {
    settings.shard.index = int(*index);
    if (settings.shard.index >= settings.shard.count) {
      reader.Fail("shard_index", "'shard_index' must be less than 'shard_count' (" +
                                     std::to_string(settings.shard.count) + ")");
    }
  }
  if (auto done = reader.Finish(); !done) return tl::unexpected(done.error());
  return settings;
}

// A threshold of time: a duration in whole seconds ("1d", "36h"), the one form the chart's values take too.
std::optional<double> ThresholdSeconds(SectionReader& table) {
  const auto duration = table.Duration("threshold", std::chrono::milliseconds(0), std::chrono::milliseconds(kMaxDurationMs));
  if (!duration) return std::nullopt;
  if (duration->count() % 1000 != 0) {
    table.Fail("threshold", "'threshold' in [" + table.section() + "] must be whole seconds, such as \"90s\" or \"1d\"");
    return std::nullopt;
  }
  return double(duration->count() / 1000);
}

// [alerts]: runbook_base_url, job_selector, and one [alerts.<key>] table per alert to tune.
tl::expected<AlertSettings, ConfigError> ReadAlertsSection(SectionReader& reader) {
  AlertSettings settings;
  if (auto url = reader.String("runbook_base_url")) settings.runbook_base_url = *url;
  if (auto selector = reader.String("job_selector")) {
    if (!IsMatcherList(*selector)) {
      reader.Fail("job_selector", "'job_selector' in [alerts] must be label matchers such as job=~\"kpi-exporter.*\"");
    }
    settings.job_selector = *selector;
  }
  const auto definitions = AlertDefinitions();
  for (const auto& key : reader.Keys()) {
    if (key == "runbook_base_url" || key == "job_selector") continue;
    const auto known = std::find_if(definitions.begin(), definitions.end(),
                                    [&](const AlertDefinition& a) { return a.key == key; });
    if (known == definitions.end()) {
      std::string names;
      for (const auto& a : definitions) names += (names.empty() ? "" : ", ") + std::string(a.key);
      reader.Fail(key, "unknown alert [alerts." + key + "]; known alerts: " + names);
      (void)reader.Table(key);  // marks the key as read: this error, not a second "unknown key" one
      continue;
    }
    auto table = reader.Table(key);
    if (!table) continue;
    AlertOverride o;
    o.enabled = table->Bool("enabled");
    if (!known->threshold) {
      if (table->NumberOrDuration("threshold")) table->Fail("threshold", "alert '" + key + "' has no threshold to set");
    } else if (known->unit == ThresholdUnit::kSeconds) {
      o.threshold = ThresholdSeconds(*table);
    } else {
      o.threshold = table->FiniteNumber("threshold");
    }
    if (const auto for_text = table->String("for")) {
      if (!ParseDuration(*for_text)) {
        table->Fail("for", "'for' in [alerts." + key + "] must be a duration such as \"0s\", \"5m\" or \"1h\"");
      }
      o.for_duration = for_text;
    }
    o.severity = table->String("severity");
    if (o.severity && *o.severity != "critical" && *o.severity != "warning" && *o.severity != "info") {
      table->Fail("severity", "'severity' in [alerts." + key + "] must be critical, warning or info");
    }
    reader.Absorb(*table);
    settings.overrides[key] = o;
  }
  if (auto done = reader.Finish(); !done) return tl::unexpected(done.error());
  return settings;
}

// What decides whether a reload restarts a collector: its section as toml++
// writes it back (comments, layout and key order do not count), the secrets it
// read (a secret file or environment variable may change while the config
// file does not) and [exporter] default_interval. Hashed, so the secrets are
// not copied into one more string that lives on.
uint64_t Fingerprint(const toml::table& section, const std::vector<std::string>& secrets,
                     std::optional<std::chrono::milliseconds> default_interval) {
  std::ostringstream text;
  text << toml::toml_formatter(section);
  for (const std::string& secret : secrets) text << '\0' << secret;
  text << '\0' << (default_interval ? default_interval->count() : -1);
  return std::hash<std::string>{}(text.str());
}

}  // namespace

tl::expected<Config, ConfigError> ParseConfig(std::string_view text, const std::string& file,
                                              std::span<const CollectorFactory> factories, const EnvLookup& env,
                                              ConfigScope scope) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return tl::unexpected(ConfigError{file, int(e.source().begin.line), int(e.source().begin.column),
                                      std::string(e.description()), {}});
  }

  Config config;
  config.file = file;
  // Every problem of the file is collected and reported at once, in file order.
  std::vector<ConfigError> errors;
  const auto keep = [&](const ConfigError& error) { errors.push_back(error); };
  // [exporter] first: its default_interval applies to the sources, wherever it sits in the file.
  if (toml::table* exporter = root["exporter"].as_table()) {
    SectionReader reader(*exporter, "exporter", file, env);
    auto settings = ReadExporterSection(reader);
    if (settings) config.exporter = *settings;
    else keep(settings.error());
  }
  for (auto& entry : root) {
    // No structured binding: clang 14 (the fuzz build) cannot capture one in at_key.
    const toml::key& key = entry.first;
    toml::node& node = entry.second;
    const std::string name(key.str());
    const auto at_key = [&](std::string message) {
      keep(ConfigError{file, int(key.source().begin.line), int(key.source().begin.column), std::move(message), {}});
    };
    if (name == "kpi" || name == "scorecard") continue;  // read below, once the sources are known
    toml::table* table = node.as_table();
    if (!table) {
      at_key("'" + name + "' must be a table ([" + name + "])");
      continue;
    }
    if (name == "exporter") continue;
    if (name == "alerts") {
      SectionReader reader(*table, name, file, env);
      auto alerts = ReadAlertsSection(reader);
      if (alerts) config.alerts = std::move(*alerts);
      else keep(alerts.error());
      continue;
    }
    const auto factory = std::find_if(factories.begin(), factories.end(),
                                      [&](const CollectorFactory& f) { return f.section == name; });
    if (factory == factories.end()) {
      std::string known = "exporter, alerts, kpi, scorecard";
      for (const auto& f : factories) known += ", " + std::string(f.section);
      at_key("unknown section [" + name + "]; known sections: " + known);
      continue;
    }
    if (scope == ConfigScope::kAlertsOnly) continue;
    SectionReader reader(*table, name, file, env);
    reader.set_default_interval(config.exporter.default_interval);
    std::unique_ptr<Collector> collector = factory->create(reader);
    if (auto done = reader.Finish(); !done) {
      keep(done.error());
      continue;
    }
    if (!collector) {
      at_key("[" + name + "] could not be configured");
      continue;
    }
    config.secrets.insert(config.secrets.end(), reader.secrets().begin(), reader.secrets().end());
    config.fingerprints[std::string(collector->name())] =
        Fingerprint(*table, reader.secrets(), config.exporter.default_interval);
    config.collectors.push_back(std::move(collector));
  }
  auto kpis = ReadKpiSettings(root, file, env, factories);
  if (kpis) config.kpis = std::move(*kpis);
  else keep(kpis.error());
  if (!errors.empty()) return tl::unexpected(InFileOrder(std::move(errors)));
  return config;
}

tl::expected<Config, ConfigError> LoadConfig(const std::string& file, std::span<const CollectorFactory> factories,
                                             const EnvLookup& env, ConfigScope scope) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return tl::unexpected(ConfigError{file, 0, 0, "cannot open config file", {}});
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), file, factories, env, scope);
}

}  // namespace kpi
