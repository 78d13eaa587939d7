#include "exporter/web/template.h"

namespace kpi {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;

std::string Render(std::string_view text, const TemplateData& data, const Values* item) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    const size_t close = open == std::string_view::npos ? open : text.find("}}", open);
    if (close == std::string_view::npos) break;
    out += text.substr(pos, open - pos);
    const std::string_view name = text.substr(open + 2, close - open - 2);
    pos = close + 2;
    if (name.starts_with('#')) {
      const std::string end = "{{/" + std::string(name.substr(1)) + "}}";
      const size_t body_end = text.find(end, pos);
      if (body_end == std::string_view::npos) break;
      const std::string_view body = text.substr(pos, body_end - pos);
      if (const auto list = data.lists.find(name.substr(1)); list != data.lists.end()) {
        for (const auto& entry : list->second) out += Render(body, data, &entry);
      }
      pos = body_end + end.size();
      continue;
    }
    if (item) {
      if (const auto v = item->find(name); v != item->end()) {
        out += HtmlEscape(v->second);
        continue;
      }
    }
    if (const auto v = data.values.find(name); v != data.values.end()) out += HtmlEscape(v->second);
  }
  return out + std::string(text.substr(pos));
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderTemplate(std::string_view text, const TemplateData& data) { return Render(text, data, nullptr); }

}  // namespace kpi
