// The review as GitHub-flavoured Markdown (render.h).
#include <cmath>
#include <cstring>

#include "exporter/report/render.h"

namespace kpi {
namespace {

std::string ZoneMark(const std::string& zone_class) {
  if (zone_class == "green") return "🟢";
  if (zone_class == "yellow") return "🟡";
  if (zone_class == "red") return "🔴";
  return "⚪";
}

// A link target GitHub will not break up: spaces and parentheses percent-encoded.
std::string LinkTarget(std::string_view url) {
  std::string out;
  for (const char c : url) {
    if (c == ' ') out += "%20";
    else if (c == '(') out += "%28";
    else if (c == ')') out += "%29";
    else out += c;
  }
  return out;
}

std::string Cell(std::string_view text) { return text.empty() ? " " : MarkdownEscape(text); }

}  // namespace

std::string MarkdownEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c != '\0' && std::strchr("\\`*_[]<>|~&", c)) {  // what GitHub reads inline
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderReviewMarkdown(const Review& review) {
  std::string out = "# KPI review: " + review.range + " to " + review.end_time + "\n\n";
  out += "From " + review.start_time + " to " + review.end_time + " (" + review.range + "). Values from " +
         MarkdownEscape(review.values_from) + ".\n\n";
  out += "**Composite score: " + CompositeText(review) + "**";
  if (review.coverage_now) {
    out += " · " + std::to_string(int(std::lround(*review.coverage_now * 100))) + " % of the KPIs have data";
  }
  out += "\n\n";
  out += "| KPI | category | now | at start | target | zone | trend | forecast at deadline |\n";
  out += "|:--|:--|--:|--:|:--|:--|:--|:--|\n";
  for (const auto& r : review.kpis) {
    const ReviewRow row = RowOf(r, review);
    out += "| " + Cell(row.name) + " | " + Cell(row.category) + " | " + Cell(row.now) + " | " + Cell(row.start) +
           " | " + Cell(row.target) + " | " + ZoneMark(row.zone_class) + " " + Cell(row.zone) + " | " +
           Cell(row.trend) + " | " + Cell(row.forecast) + " |\n";
  }
  out += "\n## Behind the red KPIs\n\n";
  bool any_red = false;
  for (const auto& r : review.kpis) {
    if (!WantsItems(r)) continue;
    any_red = true;
    out += "### " + MarkdownEscape(r.kpi.name) + "\n\n";
    if (const std::string reason = NoItemsReason(r, review); !reason.empty()) {
      out += MarkdownEscape(reason) + "\n\n";
      continue;
    }
    for (const ReviewItemList* list : ListsFor(r, review)) {
      out += "**" + MarkdownEscape(ListHeading(*list)) + "**\n\n";
      if (list->items.empty()) continue;
      for (size_t i = 0; i < list->items.size() && i < kItemsPerList; ++i) {
        const ReviewItem& item = list->items[i];
        const std::string label = MarkdownEscape(ItemLabel(item));
        const std::string link = ItemLink(item);
        out += "- " + (link.empty() ? label : "[" + label + "](" + LinkTarget(link) + ")");
        if (const std::string details = ItemDetails(item); !details.empty()) out += ": " + MarkdownEscape(details);
        out += "\n";
      }
      out += "\n";
    }
  }
  if (!any_red) out += "No KPI is red.\n\n";
  if (!review.notes.empty()) {
    out += "## Notes\n\n";
    for (const auto& note : review.notes) out += "- " + MarkdownEscape(note) + "\n";
    out += "\n";
  }
  out += "_Zones: green at or better than the green threshold, red worse than the red one (without zones: the "
         "target), yellow between; unknown: no data. Trend: the value now against the range's start._\n";
  return out;
}

}  // namespace kpi
