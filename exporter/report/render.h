// The review laid out: Markdown that reads well pasted into a GitHub issue or
// wiki, and a self-contained HTML page for mail (report.html, compiled in).
// Both say the same things in the same order: the range and where the values
// came from, the composite score, one row per KPI, the items behind every red
// KPI, and notes on what could not be read or compared.
#pragma once

#include <string>
#include <string_view>

#include "exporter/report/review.h"

namespace kpi {

std::string RenderReviewMarkdown(const Review& review);
std::string RenderReviewHtml(const Review& review);

// Text made inert in Markdown (inline: table cells, list entries, link texts):
// the punctuation GitHub reads inline (emphasis, code, links, HTML, table cells, strikethrough,
// entities) is backslash-escaped, line breaks become spaces.
std::string MarkdownEscape(std::string_view text);

}  // namespace kpi
