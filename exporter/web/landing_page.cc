#include "exporter/web/landing_page.h"

#include <cmath>
#include <cstdio>

#include "collectors/common/output/snapshot.h"
#include "collectors/common/time_util.h"
#include "exporter/web/json_text.h"
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

// "3 items" or "57 items (20 shown)": what the link to the lists opens.
std::string ItemsCount(const std::vector<ItemListRef>& lists) {
  if (lists.empty()) return "none";
  size_t total = 0, shown = 0;
  for (const auto& ref : lists) {
    total += ref.list->total;
    shown += ref.list->items.size();
  }
  return std::to_string(total) + (total == 1 ? " item" : " items") +
         (shown < total ? " (" + std::to_string(shown) + " shown)" : "");
}

std::string Percent(std::optional<double> ratio) { return ratio ? Human(std::round(*ratio * 1000) / 10) + " %" : "-"; }

// "up", "down" or "flat" since the oldest poll of the forecast range; absent without one.
std::optional<std::string_view> Trend(const KpiResult& r) {
  if (!r.value || !r.trend_from) return std::nullopt;
  return *r.value > *r.trend_from ? "up" : *r.value < *r.trend_from ? "down" : "flat";
}

std::string Since(const KpiResult& r) {
  const auto t = FromUnixSeconds(int64_t(r.trend_since));
  return t ? FormatTimestamp(*t) : "";
}

// Whether the move is good news for the KPI: "better", "worse" or "" (flat, or no trend).
std::string_view TrendMeaning(const KpiResult& r) {
  const auto trend = Trend(r);
  if (!trend || *trend == "flat") return "";
  return (*trend == "up") == (r.kpi.direction == Direction::kHigher) ? "better" : "worse";
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
    const auto lists = ItemListsForKpi(in.items, r.kpi);
    data.lists["kpis"].push_back({{"name", r.kpi.name},
                                  {"items", ItemsCount(lists)},
                                  {"items_link", KpiItemsPagePath(r.kpi.name)},
                                  {"category", r.kpi.category},
                                  {"value", r.value ? Human(*r.value) : "-"},
                                  {"direction", r.kpi.direction == Direction::kHigher ? "≥" : "≤"},
                                  {"target", Human(r.kpi.target)},
                                  {"zone", r.zone ? std::string(ZoneName(*r.zone)) : "unknown"},
                                  {"trend", !Trend(r)           ? ""
                                            : *Trend(r) == "up"   ? "↑ from " + Human(*r.trend_from)
                                            : *Trend(r) == "down" ? "↓ from " + Human(*r.trend_from)
                                                                  : "→ unchanged"},
                                  {"trend_since", Trend(r) ? "since " + Since(r) : ""},
                                  {"trend_meaning", std::string(TrendMeaning(r))},
                                  {"deadline", r.kpi.deadline.value_or("")},
                                  {"forecast", r.forecast ? Human(*r.forecast) + (MeetsTarget(r.kpi, *r.forecast)
                                                                                      ? " (on track)"
                                                                                      : " (off track)")
                                                          : ""}});
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
      const auto lists = SelectItemLists(in.items, {s.name, target, std::nullopt});
      data.lists["targets"].push_back(
          {{"collector", s.name},
           {"target", target},
           {"items", lists ? ItemsCount(*lists) : "none"},
           {"items_link", ItemsPagePath(s.name, target)},
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
           ",\"trend\":" + (Trend(r) ? JsonString(*Trend(r)) : "null") +
           ",\"trend_from\":" + (Trend(r) ? JsonNumber(r.trend_from) : "null") +
           ",\"trend_since\":" + (Trend(r) ? JsonString(Since(r)) : "null") +
           ",\"deadline\":" + (k.deadline ? JsonString(*k.deadline) : "null") +
           ",\"forecast_at_deadline\":" + JsonNumber(r.forecast) +
           ",\"on_track\":" + (r.forecast ? (MeetsTarget(k, *r.forecast) ? "true" : "false") : "null") +
           ",\"evaluated_by\":" + JsonString(k.expr.empty() ? "exporter" : "prometheus") + "}";
    first = false;
  }
  return out + "]}\n";
}

}  // namespace kpi
