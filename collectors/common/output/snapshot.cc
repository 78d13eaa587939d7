#include "collectors/common/output/snapshot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <set>

namespace kpi {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

std::string SampleLine(std::string_view name, const Labels& labels, double value) {
  std::string line(name);
  if (!labels.empty()) {
    line += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) line += ',';
      line += labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + '"';
    }
    line += '}';
  }
  line += ' ';
  line += FormatSampleValue(value);
  line += '\n';
  return line;
}

std::string_view FirstLine(std::string_view text) { return text.substr(0, text.find('\n')); }

}  // namespace

std::string_view RenderedSeries::key() const {
  const std::string_view line = FirstLine(text);
  return line.substr(0, line.rfind(' '));
}

Labels RenderedSeries::labels() const {
  // name{label="value",...} value: the builder wrote it, so it is well formed.
  const std::string_view line = key();
  const bool summary = FirstLine(text).size() + 1 < text.size();  // more lines follow: the quantile is the builder's
  Labels labels;
  size_t i = line.find('{');
  if (i == std::string_view::npos) return labels;
  while (++i < line.size() && line[i] != '}') {
    const size_t equals = line.find('=', i);
    std::string name(line.substr(i, equals - i));
    std::string value;
    for (i = equals + 2; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) value += line[++i] == 'n' ? '\n' : line[i];
      else value += line[i];
    }
    ++i;  // past the closing quote, onto ',' or '}'
    if (!summary || name != "quantile") labels.emplace_back(std::move(name), std::move(value));
    if (i >= line.size() || line[i] == '}') break;
  }
  return labels;
}

std::vector<double> RenderedSeries::values() const {
  std::vector<double> values;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::string_view line = FirstLine(rest);
    // FormatSampleValue wrote the shortest text that reads back as the same double (NaN and ±Inf included).
    values.push_back(std::strtod(std::string(line.substr(line.rfind(' ') + 1)).c_str(), nullptr));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
  }
  return values;
}

std::string RenderedFamily::samples() const {
  std::string out;
  for (const auto& one : series) out += one.text;
  return out;
}

size_t Snapshot::series() const {
  size_t total = 0;
  for (const auto& family : families_) total += family.series.size();
  return total;
}

Snapshot Snapshot::MergedOver(const Snapshot& older) const {
  std::map<std::string, RenderedFamily> merged;
  for (const auto& family : families_) merged[family.name] = family;
  for (const auto& old : older.families_) {
    auto [it, inserted] = merged.try_emplace(old.name, old);
    if (inserted || it->second.type != old.type) continue;
    std::set<std::string, std::less<>> present;  // copies: push_back below may move the series' texts
    for (const auto& series : it->second.series) present.emplace(series.key());
    for (const auto& series : old.series) {
      if (!present.contains(series.key())) it->second.series.push_back(series);
    }
  }
  std::vector<RenderedFamily> out;
  for (auto& [name, family] : merged) out.push_back(std::move(family));
  std::map<std::pair<std::string, std::string>, SharedItemList> lists;
  for (const auto& list : items_) lists.try_emplace({list->target, list->list}, list);
  for (const auto& list : older.items_) lists.try_emplace({list->target, list->list}, list);
  std::vector<SharedItemList> items;
  for (auto& [key, list] : lists) items.push_back(std::move(list));
  return Snapshot(std::move(out), {}, std::move(items));
}


bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  // The shortest text that round-trips; 17 significant digits always do.
  char buf[32];
  for (int precision = 6;; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (precision == 17 || std::strtod(buf, nullptr) == value) return buf;
  }
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

// Length of the well-formed UTF-8 sequence at the start of `text`, or 0.
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char c = byte(0);
  const size_t length = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (length == 0 || length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(k) >> 6) != 0x2) return 0;
  }
  // No overlong forms, no surrogates, nothing past U+10FFFF.
  if ((c == 0xE0 && byte(1) < 0xA0) || (c == 0xED && byte(1) >= 0xA0) || (c == 0xF0 && byte(1) < 0x90) ||
      (c == 0xF4 && byte(1) >= 0x90)) {
    return 0;
  }
  return length;
}

}  // namespace

std::string SanitizeLabelValue(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size();) {
    const size_t length = Utf8SequenceLength(value.substr(i));
    out += length ? value.substr(i, length) : "\xEF\xBF\xBD";  // U+FFFD for a broken byte
    i += length ? length : 1;
    if (out.size() > kMaxLabelValueBytes) break;  // enough to decide; the rest is cut anyway
  }
  if (out.size() <= kMaxLabelValueBytes) return out;
  constexpr std::string_view kCut = "\xE2\x80\xA6";  // "…"
  size_t end = kMaxLabelValueBytes - kCut.size();
  while (end > 0 && (static_cast<unsigned char>(out[end]) >> 6) == 0x2) --end;  // not inside a character
  out.resize(end);
  return out + std::string(kCut);
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (const char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

double NearestRankQuantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = static_cast<size_t>(std::ceil(q * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

SnapshotBuilder::Family* SnapshotBuilder::FamilyFor(std::string_view name, std::string_view help,
                                                    std::string_view type) {
  if (!IsValidMetricName(name)) {
    problems_.push_back("invalid metric name '" + std::string(name) + "'");
    return nullptr;
  }
  auto [it, inserted] = families_.try_emplace(std::string(name));
  Family& family = it->second;
  if (inserted) {
    family.help = EscapeHelp(help);
    family.type = std::string(type);
  } else if (family.type != type || family.help != EscapeHelp(help)) {
    problems_.push_back("metric '" + std::string(name) + "' declared twice with different type or help");
    return nullptr;
  }
  return &family;
}

bool SnapshotBuilder::Admit() {
  if (series_ >= max_series_) {
    ++dropped_.over_limit;
    return false;
  }
  ++series_;
  return true;
}

void SnapshotBuilder::Gauge(std::string_view name, std::string_view help, Labels labels, double value) {
  Sample("gauge", name, help, std::move(labels), value);
}

void SnapshotBuilder::Counter(std::string_view name, std::string_view help, Labels labels, double value) {
  if (!name.ends_with("_total")) problems_.push_back("counter '" + std::string(name) + "' does not end in _total");
  Sample("counter", name, help, std::move(labels), value);
}

void SnapshotBuilder::Sample(std::string_view type, std::string_view name, std::string_view help, Labels labels,
                             double value) {
  Family* family = FamilyFor(name, help, type);
  if (!family || !Admit()) return;
  for (auto& label : labels) {
    if (!IsValidLabelName(label.first)) problems_.push_back("invalid label name '" + label.first + "'");
    label.second = SanitizeLabelValue(label.second);
  }
  family->series.push_back(RenderedSeries{SampleLine(name, labels, value)});
}

void SnapshotBuilder::Summary(std::string_view name, std::string_view help, Labels labels,
                              std::vector<double> observations) {
  Family* family = FamilyFor(name, help, "summary");
  if (!family || !Admit()) return;
  for (auto& label : labels) {
    if (!IsValidLabelName(label.first) || label.first == "quantile") {
      problems_.push_back("invalid label name '" + label.first + "' on summary");
    }
    label.second = SanitizeLabelValue(label.second);
  }
  std::sort(observations.begin(), observations.end());
  std::string text;
  for (const double q : {0.5, 0.9, 0.99}) {
    Labels with_quantile = labels;
    with_quantile.emplace_back("quantile", FormatSampleValue(q));
    text += SampleLine(name, with_quantile, NearestRankQuantile(observations, q));
  }
  const std::string base(name);
  text += SampleLine(base + "_sum", labels, std::accumulate(observations.begin(), observations.end(), 0.0));
  text += SampleLine(base + "_count", labels, double(observations.size()));
  family->series.push_back(RenderedSeries{std::move(text)});
}

tl::expected<Snapshot, Error> SnapshotBuilder::Build() && {
  std::vector<RenderedFamily> rendered;
  for (auto& [name, family] : families_) {
    std::set<std::string> seen;
    std::vector<RenderedSeries> unique;
    for (auto& series : family.series) {
      if (seen.emplace(series.key()).second) {
        unique.push_back(std::move(series));
      } else {
        ++dropped_.duplicates;
      }
    }
    if (unique.empty()) continue;  // every series of it fell past the cap
    unique.shrink_to_fit();
    rendered.push_back(RenderedFamily{name, family.help, family.type, std::move(unique)});
  }
  if (!problems_.empty()) return tl::unexpected(Error{"internal", problems_.front()});
  std::vector<SharedItemList> items;
  for (auto& [key, list] : items_) items.push_back(std::move(list));
  return Snapshot(std::move(rendered), dropped_, std::move(items));
}

void SnapshotBuilder::Items(SharedItemList list) {
  if (!list) return;
  auto key = std::make_pair(list->target, list->list);
  items_.insert_or_assign(std::move(key), std::move(list));
}

}  // namespace kpi
