#include "exporter/kpi/kpi_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>

#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {
namespace {

struct FoundFamily {
  const MetricFamilyInfo* family = nullptr;
  std::string_view section;  // the source that declares it
};

FoundFamily FindFamily(std::span<const CollectorFactory> factories, std::string_view name) {
  for (const auto& f : factories) {
    if (!f.catalog) continue;
    for (const auto& family : f.catalog().families) {
      if (family.name == name) return {&family, f.section};
    }
  }
  return {};
}

bool IsKpiName(std::string_view name) { return ConsistsOf(name, ::islower, "0123456789_"); }

std::optional<Aggregate> ParseAggregate(std::string_view text, bool summary) {
  static constexpr Aggregate kSummary[] = {Aggregate::kMean, Aggregate::kP50, Aggregate::kP90};
  static constexpr Aggregate kGauge[] = {Aggregate::kSum, Aggregate::kMax, Aggregate::kMin, Aggregate::kAvg};
  for (const Aggregate a : summary ? std::span<const Aggregate>(kSummary) : std::span<const Aggregate>(kGauge)) {
    if (AggregateName(a) == text) return a;
  }
  return std::nullopt;
}

// Checks what depends on the metric's family: it exists and its source is enabled, the matchers name its
// labels, the aggregate fits its type. `fail(key, message)` records a problem at that key.
template <typename Fail>
void CheckAgainstFamily(KpiDefinition& kpi, std::string_view aggregate, std::span<const CollectorFactory> factories,
                        const std::set<std::string, std::less<>>& enabled, Fail fail) {
  const FoundFamily found = FindFamily(factories, kpi.metric);
  if (!found.family) {
    fail("metric", "unknown metric '" + kpi.metric + "' in [[kpi]] " + kpi.name +
                       ": 'metric' must be one of the exporter's own metrics (README \"Metrics\"), or use 'expr'");
    return;
  }
  if (!enabled.contains(found.section)) {
    fail("metric", "metric '" + kpi.metric + "' of [[kpi]] " + kpi.name + " comes from [" +
                       std::string(found.section) + "], which this config does not enable");
    return;
  }
  const auto labels = Split(found.family->labels, ',');
  for (const auto& [label, value] : kpi.matchers) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
      fail("labels", "unknown label '" + label + "' for metric " + kpi.metric + " in [[kpi]] " + kpi.name +
                         "; its labels: " + std::string(found.family->labels));
      return;
    }
  }
  kpi.summary = found.family->type == "summary";
  const std::string_view wanted = !aggregate.empty() ? aggregate : kpi.summary ? "mean" : "sum";
  if (const auto a = ParseAggregate(wanted, kpi.summary)) {
    kpi.aggregate = *a;
  } else {
    fail("aggregate", "'aggregate' of [[kpi]] " + kpi.name + " must be " +
                          (kpi.summary ? "mean, p50 or p90 (" + kpi.metric + " is a summary)"
                                       : "sum, max, min or avg (" + kpi.metric + " is a gauge)"));
  }
}

// Zones on the right side of the target: green at or better, red at or worse.
std::optional<std::pair<std::string_view, std::string>> ZoneProblem(const KpiDefinition& kpi) {
  const bool higher = kpi.direction == Direction::kHigher;
  const std::string better = higher ? "at least" : "at most";
  const std::string worse = higher ? "at most" : "at least";
  if (kpi.green && (higher ? *kpi.green < kpi.target : *kpi.green > kpi.target)) {
    return std::make_pair("green", "'green' of [[kpi]] " + kpi.name + " must be " + better + " the target (" +
                                       FormatSampleValue(kpi.target) + ") when " +
                                       (higher ? "higher" : "lower") + " is better");
  }
  if (kpi.red && (higher ? *kpi.red > kpi.target : *kpi.red < kpi.target)) {
    return std::make_pair("red", "'red' of [[kpi]] " + kpi.name + " must be " + worse + " the target (" +
                                     FormatSampleValue(kpi.target) + ") when " + (higher ? "higher" : "lower") +
                                     " is better");
  }
  return std::nullopt;
}

// One [[kpi]] table.
KpiDefinition ReadKpi(SectionReader& reader, std::span<const CollectorFactory> factories,
                      const std::set<std::string, std::less<>>& enabled) {
  KpiDefinition kpi;
  const auto fail = [&](std::string_view key, std::string message) { reader.Fail(key, std::move(message)); };
  kpi.name = reader.String("name").value_or("");
  if (reader.ok() && !IsKpiName(kpi.name)) fail("name", "'name' in [[kpi]] must be set and consist of a-z, 0-9 and _");
  kpi.category = reader.String("category").value_or("");
  if (reader.ok() && !IsKpiName(kpi.category)) {
    fail("category", "'category' of [[kpi]] " + kpi.name + " must be set and consist of a-z, 0-9 and _");
  }
  kpi.metric = reader.String("metric").value_or("");
  kpi.expr = reader.String("expr").value_or("");
  if (auto labels = reader.Table("labels")) {
    for (const auto& key : labels->Keys()) {
      if (auto value = labels->String(key)) kpi.matchers.emplace_back(key, *value);
    }
    reader.Absorb(*labels);
  }
  const std::string aggregate = reader.String("aggregate").value_or("");
  const std::string direction = reader.String("direction").value_or("higher");
  if (direction != "higher" && direction != "lower") {
    fail("direction", "'direction' of [[kpi]] " + kpi.name + " must be \"higher\" or \"lower\" (which is better)");
  }
  kpi.direction = direction == "lower" ? Direction::kLower : Direction::kHigher;
  const auto target = reader.NumberOrDuration("target");
  if (reader.ok() && !target) fail("target", "[[kpi]] " + kpi.name + " needs a 'target'");
  kpi.target = target.value_or(0);
  kpi.green = reader.NumberOrDuration("green");
  kpi.red = reader.NumberOrDuration("red");
  constexpr double kHuge = std::numeric_limits<double>::max();
  if (const auto weight = reader.Number("weight", -kHuge, kHuge)) {
    kpi.weight = *weight;
    if (kpi.weight < 0) fail("weight", "'weight' of [[kpi]] " + kpi.name + " must not be negative");
  }
  if (auto deadline = reader.String("deadline")) {
    if (const auto end = ParseDeadline(*deadline)) {
      kpi.deadline = *deadline;
      kpi.deadline_unix_seconds = *end;
    } else {
      fail("deadline", "'deadline' of [[kpi]] " + kpi.name + " must be a date such as \"2027-06-30\"");
    }
  }
  if (!reader.ok()) return kpi;
  if (kpi.metric.empty() == kpi.expr.empty()) {
    fail(kpi.metric.empty() ? "name" : "expr", "[[kpi]] " + kpi.name + " needs exactly one of 'metric' and 'expr'");
  } else if (!kpi.expr.empty()) {
    if (!kpi.matchers.empty()) fail("labels", "'labels' of [[kpi]] " + kpi.name + " go with 'metric', not 'expr'");
    if (!aggregate.empty()) fail("aggregate", "'aggregate' of [[kpi]] " + kpi.name + " goes with 'metric', not 'expr'");
  } else {
    CheckAgainstFamily(kpi, aggregate, factories, enabled, fail);
  }
  if (const auto problem = ZoneProblem(kpi); problem && reader.ok()) fail(problem->first, problem->second);
  return kpi;
}

KpiDefinition FromDefault(const KpiDefault& d, std::span<const CollectorFactory> factories) {
  KpiDefinition kpi;
  kpi.name = d.name;
  kpi.category = d.category;
  kpi.metric = d.metric;
  kpi.expr = d.expr;
  for (const auto& matcher : Split(d.labels, ',')) {
    const auto eq = matcher.find('=');
    kpi.matchers.emplace_back(matcher.substr(0, eq), matcher.substr(eq + 1));
  }
  kpi.direction = d.direction == "lower" ? Direction::kLower : Direction::kHigher;
  kpi.target = d.target;
  if (const FoundFamily found = FindFamily(factories, d.metric); found.family) {
    kpi.summary = found.family->type == "summary";
    kpi.aggregate = ParseAggregate(d.aggregate, kpi.summary).value_or(kpi.summary ? Aggregate::kMean : Aggregate::kSum);
  }
  return kpi;
}

tl::expected<ScorecardSettings, ConfigError> ReadScorecard(SectionReader& reader) {
  ScorecardSettings settings;
  if (auto weights = reader.Table("weights")) {
    for (const auto& category : weights->Keys()) {
      constexpr double kHuge = std::numeric_limits<double>::max();
      const auto w = weights->Number(category, -kHuge, kHuge);
      if (!w) break;
      if (*w < 0) weights->Fail(category, "weight of category '" + category + "' in [scorecard] must not be negative");
      settings.category_weights[category] = *w;
    }
    reader.Absorb(*weights);
  }
  if (const auto range = reader.Duration("forecast_range", std::chrono::minutes(5), std::chrono::days(366))) {
    settings.forecast_range = FormatDuration(*range);
  }
  if (auto done = reader.Finish(); !done) return tl::unexpected(done.error());
  return settings;
}

}  // namespace

std::vector<KpiDefinition> DefaultKpis(std::span<const CollectorFactory> factories,
                                       const std::function<bool(std::string_view section)>& enabled) {
  std::vector<KpiDefinition> kpis;
  for (const auto& f : factories) {
    if (!f.catalog || !enabled(f.section)) continue;
    for (const auto& d : f.catalog().default_kpis) kpis.push_back(FromDefault(d, factories));
  }
  return kpis;
}

std::optional<double> ParseDeadline(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  const auto start = ParseTimestamp(std::string(text) + "T00:00:00Z");
  // ParseTimestamp takes "2027-02-31" as 3 March: only a date that formats back to itself is one.
  if (!start || FormatTimestamp(*start).substr(0, 10) != text) return std::nullopt;
  return ToUnixSeconds(*start) + 86400;
}

tl::expected<KpiSettings, ConfigError> ReadKpiSettings(const toml::table& root, const std::string& file,
                                                       const EnvLookup& env,
                                                       std::span<const CollectorFactory> factories) {
  KpiSettings settings;
  std::set<std::string, std::less<>> enabled;
  for (const auto& f : factories) {
    if (root.contains(f.section)) enabled.insert(std::string(f.section));
  }
  if (const toml::node* node = root.get("scorecard")) {
    if (!node->is_table()) {
      return tl::unexpected(ConfigError{file, int(node->source().begin.line), int(node->source().begin.column),
                                        "'scorecard' must be a table ([scorecard])", {}});
    }
    SectionReader reader(*node->as_table(), "scorecard", file, env);
    auto scorecard = ReadScorecard(reader);
    if (!scorecard) return tl::unexpected(scorecard.error());
    settings.scorecard = std::move(*scorecard);
  }
  const toml::node* kpis = root.get("kpi");
  if (!kpis) {
    settings.defaults = true;
    settings.kpis = DefaultKpis(factories, [&](std::string_view section) { return enabled.contains(section); });
  } else if (!kpis->is_array_of_tables()) {
    return tl::unexpected(ConfigError{file, int(kpis->source().begin.line), int(kpis->source().begin.column),
                                      "'kpi' must be an array of tables ([[kpi]])", {}});
  }
  std::set<std::string> names;
  if (!kpis) return settings;
  for (const toml::node& element : *kpis->as_array()) {
    SectionReader reader(*element.as_table(), "kpi", file, env);
    KpiDefinition kpi = ReadKpi(reader, factories, enabled);
    if (reader.ok() && !names.insert(kpi.name).second) reader.Fail("name", "[[kpi]] name '" + kpi.name + "' is used twice");
    if (reader.ok() && !settings.scorecard.category_weights.empty() &&
        !settings.scorecard.category_weights.contains(kpi.category)) {
      reader.Fail("category", "category '" + kpi.category + "' of [[kpi]] " + kpi.name +
                                  " has no weight in [scorecard] weights");
    }
    if (auto done = reader.Finish(); !done) return tl::unexpected(done.error());
    settings.kpis.push_back(std::move(kpi));
  }
  return settings;
}

}  // namespace kpi
