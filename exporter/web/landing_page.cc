#include "exporter/web/landing_page.h"

#include <cmath>
#include <cstdio>

#include "collectors/common/snapshot.h"
#include "collectors/common/time_util.h"
#include "exporter/web/template.h"
#include "page_templates.h"

namespace kpi {
namespace {

// A number for people: at most 4 significant digits past the point where it matters.
std::string Human(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

std::string Percent(std::optional<double> ratio) { return ratio ? Human(std::round(*ratio * 1000) / 10) + " %" : "-"; }

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonNumber(std::optional<double> v) {
  return v && std::isfinite(*v) ? FormatSampleValue(*v) : "null";
}

}  // namespace

std::string RenderLandingPage(const LandingPageInput& in) {
  TemplateData data;
  const Scorecard& card = in.scorecard;
  data.values["version"] = in.version;
  data.values["telemetry_path"] = in.telemetry_path;
  data.values["composite"] = card.composite ? Human(std::round(*card.composite * 10) / 10) : "-";
  data.values["coverage"] = Percent(card.coverage);
  for (const auto& [category, score] : card.category_scores) {
    data.lists["categories"].push_back({{"name", category}, {"score", Human(std::round(score * 10) / 10)}});
  }
  for (const auto& r : card.kpis) {
    data.lists["kpis"].push_back({{"name", r.kpi.name},
                                  {"category", r.kpi.category},
                                  {"value", r.value ? Human(*r.value) : "-"},
                                  {"direction", r.kpi.direction == Direction::kHigher ? "≥" : "≤"},
                                  {"target", Human(r.kpi.target)},
                                  {"zone", r.zone ? std::string(ZoneName(*r.zone)) : "unknown"},
                                  {"deadline", r.kpi.deadline.value_or("")}});
  }
  for (const auto& s : in.collectors) {
    const std::string state = !s.polled ? "pending" : s.last_ok ? "ok" : "failed";
    data.lists["collectors"].push_back(
        {{"name", s.name},
         // A stretched interval (rate limit) shows beside the configured one.
         {"interval", s.effective_interval > s.interval ? FormatDuration(s.effective_interval) + " (configured " +
                                                               FormatDuration(s.interval) + ", stretched for the rate limit)"
                                                         : FormatDuration(s.interval)},
         {"last_poll", s.polled ? FormatTimestamp(s.last_poll) : "never"},
         {"last_success", s.last_success.time_since_epoch().count() ? FormatTimestamp(s.last_success) : "never"},
         {"state", state},
         {"error", in.redact(s.last_error)}});
    for (const auto& [target, t] : s.targets) {
      data.lists["targets"].push_back(
          {{"collector", s.name},
           {"target", target},
           {"state", t.ok ? "ok" : "failed"},
           {"last_success", t.last_success.time_since_epoch().count() ? FormatTimestamp(t.last_success) : "never"}});
    }
  }
  return RenderTemplate(templates::kLandingPage, data);
}

std::string RenderScorecardJson(const Scorecard& card) {
  std::string out = "{\"composite_score\":" + JsonNumber(card.composite) +
                    ",\"coverage_ratio\":" + JsonNumber(card.coverage) + ",\"category_scores\":{";
  bool first = true;
  for (const auto& [category, score] : card.category_scores) {
    out += (first ? "" : ",") + JsonString(category) + ":" + JsonNumber(score);
    first = false;
  }
  out += "},\"kpis\":[";
  first = true;
  for (const auto& r : card.kpis) {
    const KpiDefinition& k = r.kpi;
    out += std::string(first ? "" : ",") + "{\"name\":" + JsonString(k.name) + ",\"category\":" + JsonString(k.category) +
           ",\"metric\":" + (k.metric.empty() ? "null" : JsonString(k.metric)) +
           ",\"value\":" + JsonNumber(r.value) + ",\"target\":" + JsonNumber(k.target) +
           ",\"green\":" + JsonNumber(k.green) + ",\"red\":" + JsonNumber(k.red) +
           ",\"direction\":" + JsonString(k.direction == Direction::kHigher ? "higher" : "lower") +
           ",\"zone\":" + (r.zone ? JsonString(ZoneName(*r.zone)) : "null") +
           ",\"status\":" + (r.zone ? std::to_string(int(*r.zone)) : "null") + ",\"weight\":" + JsonNumber(k.weight) +
           ",\"deadline\":" + (k.deadline ? JsonString(*k.deadline) : "null") +
           ",\"evaluated_by\":" + JsonString(k.expr.empty() ? "exporter" : "prometheus") + "}";
    first = false;
  }
  return out + "]}\n";
}

}  // namespace kpi
