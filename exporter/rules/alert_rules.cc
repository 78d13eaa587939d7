#include "exporter/rules/alert_rules.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include "collectors/common/output/snapshot.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "exporter/kpi/kpi_rules.h"

namespace kpi {
namespace {

// The item list behind each alert's numbers (README "Drill-down"): the list `list` of collector `collector`
// whose target is the alert's label `label` (`target` as is when the collector has one fixed target). No
// collector: a KPI alert, linked to its KPI's page. Alerts not here have no list that explains them.
struct ItemsLink {
  std::string_view alert_key;
  std::string_view collector;
  std::string_view label;
  std::string_view list;
  std::string_view target = "";
};

constexpr ItemsLink kItemsLinks[] = {
    {"ci_failing", "github", "repo", "failing_workflows"},
    {"ci_consecutive_failures", "github", "repo", "failing_workflows"},
    {"bug_spike", "github", "repo", "bugs_last_day"},
    {"issue_awaiting_response", "github", "repo", "awaiting_response"},
    {"pr_lead_time_slow", "github", "repo", "longest_lead_time"},
    {"dora_change_failure_high", "github", "repo", "failed_deployments"},
    {"dora_deployment_failed", "github", "repo", "failed_deployments"},
    {"dora_time_to_restore_slow", "github", "repo", "incidents"},
    {"dependabot_critical_open", "github", "repo", "dependabot_critical_high"},
    {"jira_sla_open_breaching", "jira", "query", "breaching_sla"},
    {"stripe_failed_charges", "stripe", "", "failed_payments", "account"},
    {"pypi_download_drop", "pypi", "package", "download_drop"},
    {"pypi_data_stale", "pypi", "package", "download_drop"},
    {"kpi_red", "", "kpi", ""},
    {"kpi_off_track", "", "kpi", ""},
};

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// YAML single-quoted scalar: only ' needs doubling.
std::string Quote(std::string_view text) { return "'" + ReplaceAll(std::string(text), "'", "''") + "'"; }

// Helm would expand Prometheus' own {{ ... }}; hand them through as literals.
std::string EscapeForHelm(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open);
    if (close == std::string_view::npos) break;
    out += text.substr(pos, open - pos);
    out += "{{`" + std::string(text.substr(open, close + 2 - open)) + "`}}";
    pos = close + 2;
  }
  return out + std::string(text.substr(pos));
}

struct Resolved {
  bool enabled = true;
  std::string threshold;  // rendered, or a Helm expression
  std::string threshold_human;  // idem, in the alert's unit
  std::string for_duration;
  std::string severity;
  std::string runbook;
};

const AlertDefinition* FindAlert(std::string_view key) {
  const auto alerts = AlertDefinitions();
  const auto it = std::find_if(alerts.begin(), alerts.end(), [&](const auto& a) { return a.key == key; });
  return it == alerts.end() ? nullptr : &*it;
}

// The threshold of alert `a` as it goes into a rule: the override, the default, or the Helm value; `human`:
// in its unit, for the annotations (in Helm by the chart's helpers, which format as HumanThreshold does).
std::string ThresholdOf(const AlertDefinition& a, const AlertSettings& settings, RulesFormat format, bool human) {
  if (format == RulesFormat::kHelmTemplate) {
    const std::string value = ".Values.alerts." + CamelCase(a.key) + ".threshold";
    switch (a.unit) {
      case ThresholdUnit::kNumber: return "{{ " + value + " }}";
      case ThresholdUnit::kRatio: return human ? "{{ include \"kpi-exporter.humanPercent\" " + value + " }}" : "{{ " + value + " }}";
      case ThresholdUnit::kSeconds: {
        // The values give a duration ("1d"), as the config does; the rule needs seconds.
        const std::string seconds = "include \"kpi-exporter.seconds\" " + value;
        return human ? "{{ include \"kpi-exporter.humanDuration\" (" + seconds + ") }}" : "{{ " + seconds + " }}";
      }
    }
  }
  std::optional<double> value = a.threshold;
  if (const auto o = settings.overrides.find(a.key); o != settings.overrides.end() && o->second.threshold) {
    value = o->second.threshold;
  }
  if (!value) return "";
  return human ? HumanThreshold(*value, a.unit) : FormatSampleValue(*value);
}

Resolved Resolve(const AlertDefinition& a, const AlertSettings& settings, RulesFormat format) {
  const std::string anchor = "#" + AsciiLower(a.name);
  const std::string threshold = ThresholdOf(a, settings, format, false);
  const std::string human = ThresholdOf(a, settings, format, true);
  if (format == RulesFormat::kHelmTemplate) {
    const std::string v = ".Values.alerts." + CamelCase(a.key);
    return {true, threshold, human, "{{ " + v + ".for }}", "{{ " + v + ".severity }}",
            "{{ .Values.prometheusRule.runbookBaseUrl }}" + anchor};
  }
  Resolved r{a.enabled_by_default, threshold, human, std::string(a.for_duration), std::string(a.severity),
             settings.runbook_base_url + anchor};
  if (const auto o = settings.overrides.find(a.key); o != settings.overrides.end()) {
    if (o->second.enabled) r.enabled = *o->second.enabled;
    if (o->second.for_duration) r.for_duration = *o->second.for_duration;
    if (o->second.severity) r.severity = *o->second.severity;
  }
  return r;
}

// The rule groups at `indent` (groups: at indent, their list items two deeper). The scorecard group, when
// there are KPIs, comes last; in Helm the chart's prometheusRule.kpiGroup replaces it when set.
std::string RenderGroups(const AlertSettings& settings, RulesFormat format, const KpiSettings& kpis,
                         const std::string& indent) {
  const bool helm = format == RulesFormat::kHelmTemplate;
  // Placeholders become control characters before the Helm escaping, and values after it, so a Helm
  // expression is never wrapped as a literal. "{threshold:<key>}" -> \x02<key>\x03, "{for}" -> \x04.
  // Expressions get plain numbers and the job selector; annotations (`human`) numbers in their units.
  // In Helm the selector's opening brace comes out of the action ("{{{" would not parse).
  const auto with_job = [&](std::string_view expr) {
    if (!helm) return WithSelector(expr, settings.job_selector);
    return ReplaceAll(ReplaceAll(WithSelector(expr, "\x06"), "{\x06}",
                                 "{{ printf \"{%s}\" .Values.prometheusRule.jobSelector }}"),
                      "{\x06", "{{ printf \"{%s\" .Values.prometheusRule.jobSelector }}");
  };
  const auto text = [&](std::string_view s, const Resolved& r, bool human) {
    std::string out = ReplaceAll(ReplaceAll(std::string(s), "{threshold}", "\x01"), "{for}", "\x04");
    for (size_t pos; (pos = out.find("{threshold:")) != std::string::npos;) {
      const size_t close = out.find('}', pos);
      out.replace(pos, close + 1 - pos, "\x02" + out.substr(pos + 11, close - pos - 11) + "\x03");
    }
    if (helm) out = EscapeForHelm(out);
    for (size_t pos; (pos = out.find('\x02')) != std::string::npos;) {
      const size_t close = out.find('\x03', pos);
      const AlertDefinition* other = FindAlert(std::string_view(out).substr(pos + 1, close - pos - 1));
      out.replace(pos, close + 1 - pos, other ? ThresholdOf(*other, settings, format, human) : "");
    }
    out = ReplaceAll(ReplaceAll(out, "\x01", human ? r.threshold_human : r.threshold), "\x04", r.for_duration);
    return human ? out : with_job(out);
  };
  // The chart may set an evaluation interval per group; the rule file leaves it to Prometheus' global one.
  const std::string group_interval =
      helm ? "{{- with .Values.prometheusRule.interval }}\n" + indent + "    interval: {{ . }}\n{{- end }}\n" : "";
  const std::string i = indent + "      ";
  const auto alerts_of = [&](std::string_view group) {
    std::string out;
    for (const auto& a : AlertDefinitions()) {
      if (a.group != group) continue;
      const Resolved r = Resolve(a, settings, format);
      if (!r.enabled) continue;
      if (helm) out += "{{- if .Values.alerts." + CamelCase(a.key) + ".enabled }}\n";
      out += i + "- alert: " + std::string(a.name) + "\n";
      out += i + "  expr: " + Quote(text(a.expr, r, false)) + "\n";
      out += i + "  for: " + r.for_duration + "\n";
      out += i + "  labels:\n" + i + "    severity: " + r.severity + "\n";
      out += i + "  annotations:\n";
      out += i + "    summary: " + Quote(text(a.summary, r, true)) + "\n";
      out += i + "    description: " + Quote(text(a.description, r, true)) + "\n";
      out += i + "    runbook_url: " + Quote(r.runbook) + "\n";
      if (helm) {
        // The chart's externalUrl, checked by its schema as --web.external-url is by the flag parser.
        const std::string link = ItemsLinkOf(a.key, "\x05");
        if (!link.empty()) {
          out += "{{- if .Values.externalUrl }}\n" + i + "    link: " +
                 Quote(ReplaceAll(EscapeForHelm(link), "\x05", "{{ trimSuffix \"/\" .Values.externalUrl }}")) +
                 "\n{{- end }}\n";
        }
      } else if (const std::string link = ItemsLinkOf(a.key, settings.external_url); !link.empty()) {
        out += i + "    link: " + Quote(link) + "\n";
      }
      if (helm) out += "{{- end }}\n";
    }
    return out;
  };
  std::string out = indent + "groups:\n";
  for (const std::string_view group : {"kpis", "health"}) {
    out += indent + "  - name: kpi-exporter." + std::string(group) + "\n" + group_interval + indent + "    rules:\n";
    out += alerts_of(group);
  }
  out += indent + "  - name: kpi-exporter.recording\n" + group_interval + indent + "    rules:\n";
  for (const auto& rec : RecordingDefinitions()) {
    out += i + "- record: " + std::string(rec.record) + "\n";
    out += i + "  expr: " + Quote(with_job(rec.expr)) + "\n";
  }
  const auto recording = KpiRecordingRules(kpis);
  if (recording.empty()) return out;
  if (helm) {
    // The user's own [[kpi]] group, taken from `kpi_exporter rules --config.file=...` (README "Helm chart").
    out += "{{- with .Values.prometheusRule.kpiGroup }}\n{{- $group := . }}\n"
           "{{- with $.Values.prometheusRule.interval }}{{ $group = merge (dict \"interval\" .) $group }}{{ end }}\n"
           "{{ list $group | toYaml | indent " + std::to_string(indent.size() + 2) + " }}\n{{- else }}\n";
  }
  out += indent + "  - name: kpi-exporter.scorecard\n" + group_interval + indent + "    rules:\n";
  for (const auto& rule : recording) {
    out += i + "- record: " + rule.record + "\n" + i + "  expr: " + Quote(with_job(rule.expr)) + "\n";
    if (rule.labels.empty()) continue;
    out += i + "  labels:\n";
    for (const auto& [name, value] : rule.labels) out += i + "    " + name + ": " + Quote(value) + "\n";
  }
  out += alerts_of("scorecard");
  if (helm) out += "{{- end }}\n";
  return out;
}

}  // namespace

std::string CamelCase(std::string_view snake) {
  std::string out;
  bool upper = false;
  for (const char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? char(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

std::string WithSelector(std::string_view expr, std::string_view matchers) {
  if (matchers.empty()) return std::string(expr);
  static constexpr std::string_view kOwnPrefixes[] = {"github_", "jira_", "stripe_", "pypi_", "discord_", "kpi_"};
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  std::string out;
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {  // a string literal: copied as is
      size_t end = i + 1;
      while (end < expr.size() && expr[end] != c) end += (expr[end] == '\\' && c != '`') ? 2 : 1;
      end = std::min(end + 1, expr.size());
      out += expr.substr(i, end - i);
      i = end;
      continue;
    }
    if (!word(c) || std::isdigit(static_cast<unsigned char>(c))) {
      // Digits start no name; a number's tail (1e3, 0x1f, 3h) is copied with it.
      size_t end = i + 1;
      if (std::isdigit(static_cast<unsigned char>(c))) {
        while (end < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[end])) || expr[end] == '.')) ++end;
      }
      out += expr.substr(i, end - i);
      i = end;
      continue;
    }
    size_t end = i;
    while (end < expr.size() && word(expr[end])) ++end;
    const std::string_view name = expr.substr(i, end - i);
    out += name;
    i = end;
    size_t next = end;
    while (next < expr.size() && expr[next] == ' ') ++next;
    const bool own = name.find(':') == std::string_view::npos &&
                     std::any_of(std::begin(kOwnPrefixes), std::end(kOwnPrefixes),
                                 [&](std::string_view p) { return name.starts_with(p); });
    if (!own || (next < expr.size() && expr[next] == '(')) continue;  // another name, or a function
    if (next < expr.size() && expr[next] == '{') {
      size_t inside = next + 1;
      while (inside < expr.size() && expr[inside] == ' ') ++inside;
      const bool empty = inside < expr.size() && expr[inside] == '}';
      out += expr.substr(end, next + 1 - end);
      out += std::string(matchers) + (empty ? "" : ",");
      i = next + 1;
    } else {
      out += "{" + std::string(matchers) + "}";
    }
  }
  return out;
}

bool IsMatcherList(std::string_view text) {
  static const std::regex kMatchers(
      R"re(\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!~|!=|=)\s*"([^"\\]|\\.)*"\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!~|!=|=)\s*"([^"\\]|\\.)*"\s*)*)re");
  return text.empty() || std::regex_match(text.begin(), text.end(), kMatchers);
}

std::string ItemsLinkOf(std::string_view key, std::string_view external_url) {
  const auto link = std::find_if(std::begin(kItemsLinks), std::end(kItemsLinks),
                                 [&](const ItemsLink& l) { return l.alert_key == key; });
  if (link == std::end(kItemsLinks) || external_url.empty()) return "";
  // A label value may hold '/', '&' or spaces (owner/name, a query's name): escaped as a query value.
  const std::string label = "{{ $labels." + std::string(link->label) + " | urlquery }}";
  std::string base(external_url);
  if (base.ends_with('/')) base.pop_back();
  if (link->collector.empty()) return base + "/items/kpi?name=" + label;
  return base + "/items?collector=" + std::string(link->collector) +
         "&target=" + (link->label.empty() ? std::string(link->target) : label) + "&list=" + std::string(link->list);
}

std::string HumanThreshold(double value, ThresholdUnit unit) {
  switch (unit) {
    case ThresholdUnit::kNumber:
      return FormatSampleValue(value);
    case ThresholdUnit::kSeconds:
      return FormatDuration(std::chrono::milliseconds(std::llround(value * 1000)));
    case ThresholdUnit::kRatio:
      return FormatSampleValue(std::round(value * 100 * 1e6) / 1e6) + " %";
  }
  return FormatSampleValue(value);
}

std::string RenderRules(const AlertSettings& settings, RulesFormat format, const KpiSettings& kpis) {
  switch (format) {
    case RulesFormat::kRuleFile:
      return "# Generated by `kpi_exporter rules`; do not edit. Regenerate: cmake --build build --target rules\n" +
             RenderGroups(settings, format, kpis, "");
    case RulesFormat::kPrometheusRule:
      return "# Generated by `kpi_exporter rules --format=prometheusrule`; do not edit.\n"
             "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: kpi-exporter\n"
             "  labels:\n    app.kubernetes.io/name: kpi-exporter\nspec:\n" +
             RenderGroups(settings, format, kpis, "  ");
    case RulesFormat::kHelmTemplate:
      return "{{/* Generated by `kpi_exporter rules --format=helm`; do not edit. The rule groups, with every threshold,\n"
             "`for`, severity and on/off taken from .Values.alerts. */}}\n"
             "{{- define \"kpi-exporter.ruleGroups\" }}\n" +
             RenderGroups(settings, format, kpis, "") + "{{- end }}\n";
  }
  return {};
}

}  // namespace kpi
