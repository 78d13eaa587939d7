// The review as a self-contained HTML page for mail (report.html through the pages' template renderer).
#include <cmath>

#include "exporter/report/render.h"
#include "exporter/web/template.h"
#include "page_templates.h"

namespace kpi {

std::string RenderReviewHtml(const Review& review) {
  TemplateData data;
  data.values["range"] = review.range;
  data.values["start_time"] = review.start_time;
  data.values["end_time"] = review.end_time;
  data.values["values_from"] = review.values_from;
  data.values["composite"] = CompositeText(review);
  if (review.coverage_now) {
    data.values["coverage"] =
        "· " + std::to_string(int(std::lround(*review.coverage_now * 100))) + " % of the KPIs have data";
  }
  bool any_red = false;
  for (const auto& r : review.kpis) {
    const ReviewRow row = RowOf(r, review);
    data.lists["kpis"].push_back({{"name", row.name},
                                  {"category", row.category},
                                  {"now", row.now},
                                  {"start", row.start},
                                  {"target", row.target},
                                  {"zone", row.zone},
                                  {"zone_class", row.zone_class},
                                  {"trend", row.trend},
                                  {"forecast", row.forecast}});
    if (!WantsItems(r)) continue;
    any_red = true;
    if (const std::string reason = NoItemsReason(r, review); !reason.empty()) {
      data.lists["no_items"].push_back({{"kpi", r.kpi.name}, {"text", reason}});
      continue;
    }
    for (const ReviewItemList* list : ListsFor(r, review)) {
      const std::string heading = ListHeading(*list);
      if (list->items.empty()) data.lists["no_items"].push_back({{"kpi", r.kpi.name}, {"text", heading}});
      for (size_t i = 0; i < list->items.size() && i < kItemsPerList; ++i) {
        const ReviewItem& item = list->items[i];
        const std::string link = ItemLink(item);
        data.lists["items"].push_back({{"kpi", r.kpi.name},
                                       {"list", heading},
                                       {"url", link.empty() ? "#" : link},
                                       {"label", ItemLabel(item)},
                                       {"details", ItemDetails(item)}});
      }
    }
  }
  data.values["red_summary"] = any_red ? "The top items behind every red KPI, from the exporter." : "No KPI is red.";
  for (const auto& note : review.notes) data.lists["notes"].push_back({{"text", note}});
  return RenderTemplate(templates::kReportPage, data);
}

}  // namespace kpi
