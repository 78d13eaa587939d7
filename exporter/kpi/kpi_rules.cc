#include "exporter/kpi/kpi_rules.h"

#include <algorithm>
#include <vector>

#include "collectors/common/output/snapshot.h"

namespace kpi {
namespace {

// A PromQL double-quoted string.
std::string PromString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out + "\"";
}

std::string Selector(const Labels& matchers, const std::string& extra = "") {
  std::string out;
  for (const auto& [name, value] : matchers) out += (out.empty() ? "" : ",") + name + "=" + PromString(value);
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

std::string Number(double v) { return FormatSampleValue(v); }

std::string KpiLabel(const KpiDefinition& kpi) { return "{kpi=" + PromString(kpi.name) + "}"; }

// 2 at or better than green, 1 more at or better than red: the zone as ZoneOf computes it.
std::string StatusExpr(const KpiDefinition& kpi) {
  const std::string op = kpi.direction == Direction::kHigher ? " >= bool " : " <= bool ";
  const std::string value = "kpi:value" + KpiLabel(kpi);
  return "(" + value + op + Number(GreenThreshold(kpi)) + ") + (" + value + op + Number(RedThreshold(kpi)) + ")";
}

}  // namespace

std::string KpiValueExpr(const KpiDefinition& kpi) {
  std::string value;
  if (!kpi.expr.empty()) {
    value = kpi.expr;
  } else if (kpi.aggregate == Aggregate::kMean) {
    value = "sum(" + kpi.metric + "_sum" + Selector(kpi.matchers) + ") / sum(" + kpi.metric + "_count" +
            Selector(kpi.matchers) + ")";
  } else if (kpi.aggregate == Aggregate::kP50 || kpi.aggregate == Aggregate::kP90) {
    // Quantiles of several series do not combine: a value only from exactly one.
    const std::string series =
        kpi.metric + Selector(kpi.matchers, kpi.aggregate == Aggregate::kP50 ? "quantile=\"0.5\"" : "quantile=\"0.9\"");
    value = "max(" + series + ") and on () (count(" + series + ") == 1)";
  } else {
    value = std::string(AggregateName(kpi.aggregate)) + "(" + kpi.metric + Selector(kpi.matchers) + ")";
  }
  // NaN (no observations, 0/0) is no value: compared, it would make a red status.
  return "(" + value + ") > -Inf";
}

std::vector<KpiRecordingRule> KpiRecordingRules(const KpiSettings& settings) {
  std::vector<KpiRecordingRule> rules;
  if (settings.kpis.empty()) return rules;
  // Every rule carries its KPI's labels, also where the expression keeps them: promtool refuses two rules
  // with one name and the same labels.
  const auto labels = [](const KpiDefinition& k) -> std::vector<std::pair<std::string, std::string>> {
    return {{"kpi", k.name}, {"category", k.category}};
  };
  for (const auto& k : settings.kpis) rules.push_back({"kpi:value", KpiValueExpr(k), labels(k)});
  for (const auto& k : settings.kpis) rules.push_back({"kpi:status", StatusExpr(k), labels(k)});
  // A KPI's weight exists only while it has a status, so KPIs without data drop out of the scores.
  for (const auto& k : settings.kpis) {
    rules.push_back({"kpi:weight", "kpi:status" + KpiLabel(k) + " * 0 + " + Number(k.weight), labels(k)});
  }
  rules.push_back({"kpi:category_score",
                   "50 * sum by (category) (kpi:status * on (kpi, category) kpi:weight) / "
                   "(sum by (category) (kpi:weight) > 0)"});
  std::vector<std::string> categories;
  for (const auto& k : settings.kpis) {
    if (std::find(categories.begin(), categories.end(), k.category) == categories.end()) categories.push_back(k.category);
  }
  for (const auto& c : categories) {
    rules.push_back({"kpi:category_weight", "kpi:category_score{category=" + PromString(c) + "} * 0 + " +
                                                Number(settings.scorecard.WeightOf(c)),
                     {{"category", c}}});
  }
  rules.push_back({"kpi:composite_score",
                   "sum(kpi:category_score * kpi:category_weight) / (sum(kpi:category_weight) > 0)"});
  // Out of the KPIs the exporter has (kpi_target, one per KPI and exporter): with the default KPIs of every
  // source (the chart's rules), only the sources a config enables count, as on the landing page.
  rules.push_back({"kpi:coverage_ratio", "(count(kpi:status) or vector(0)) / count(count by (kpi) (kpi_target))"});
  for (const auto& k : settings.kpis) {
    if (!k.deadline) continue;
    const std::string deadline = Number(k.deadline_unix_seconds);
    rules.push_back({"kpi:forecast_at_deadline",
                     "predict_linear(kpi:value" + KpiLabel(k) + "[" + settings.scorecard.forecast_range + "], " +
                         deadline + " - time()) and on () (vector(time()) < " + deadline + ")",
                     {{"kpi", k.name}, {"category", k.category}, {"deadline", *k.deadline}}});
  }
  for (const auto& k : settings.kpis) {
    if (!k.deadline) continue;
    rules.push_back({"kpi:on_track", "kpi:forecast_at_deadline" + KpiLabel(k) +
                                         (k.direction == Direction::kHigher ? " >= bool " : " <= bool ") +
                                         Number(k.target),
                     {{"kpi", k.name}, {"category", k.category}, {"deadline", *k.deadline}}});
  }

  return rules;
}

}  // namespace kpi
