// A minimal template language for the pages in exporter/web/*.html (compiled
// in by CMake, see page_templates.h.in): {{name}} inserts a value, HTML-escaped;
// {{#list}}...{{/list}} repeats its body once per item of a list, whose
// fields are the names inside. No logic, no unescaped output.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kpi {

struct TemplateData {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, std::vector<std::map<std::string, std::string, std::less<>>>, std::less<>> lists;
};

std::string HtmlEscape(std::string_view text);

// Unknown names render empty; an unclosed {{#list}} renders the rest as text.
std::string RenderTemplate(std::string_view text, const TemplateData& data);

}  // namespace kpi
