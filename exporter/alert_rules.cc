#include "exporter/alert_rules.h"

#include <algorithm>

#include "collectors/common/snapshot.h"
#include "collectors/common/text.h"
#include "exporter/kpi/kpi_rules.h"

namespace kpi {
namespace {

constexpr AlertDefinition kAlerts[] = {
    {"ci_failing", "GithubWorkflowFailing", "kpis", "github_workflow_failing == 1", std::nullopt, "", "5m", "critical",
     "CI workflow {{ $labels.workflow }} is failing on {{ $labels.repo }}",
     "The latest completed run of workflow {{ $labels.workflow }} on branch {{ $labels.branch }} of {{ $labels.repo }} "
     "failed (github_workflow_failing = {{ $value }})."},
    // Optional (off by default): for workflows too flaky to page on one red run, switch ci_failing off and this
    // on; or keep both as a ladder (ci_failing severity "warning" to chat, this one paging). With both at the
    // same severity the example Alertmanager config inhibits this one, so one cause pages once.
    {"ci_consecutive_failures", "GithubWorkflowFailingRepeatedly", "kpis",
     "github_workflow_consecutive_failures >= {threshold}", 3,
     "decisive runs failed in a row at the head of the default branch", "5m", "critical",
     "CI workflow {{ $labels.workflow }} on {{ $labels.repo }} failed {{ $value }} runs in a row",
     "The last {{ $value }} decisive runs of workflow {{ $labels.workflow }} on branch {{ $labels.branch }} of "
     "{{ $labels.repo }} failed (alert from {threshold} in a row).",
     false},
    {"ci_success_ratio", "GithubWorkflowSuccessRatioLow", "kpis", "github_workflow_success_ratio < {threshold}", 0.95,
     "success ratio (0-1) of the last completed runs", "30m", "warning",
     "CI success ratio of {{ $labels.workflow }} on {{ $labels.repo }} is below {threshold}",
     "Only {{ $value | humanizePercentage }} of the recent completed runs of {{ $labels.workflow }} on "
     "{{ $labels.repo }} succeeded (target: at least {threshold})."},
    // Silent while the package's data is stale (the same test and threshold as PypiDownloadDataStale, which
    // fires instead): a week that pypistats has not finished counting is no drop.
    {"pypi_download_drop", "PypiDownloadsDropped", "kpis",
     "(pypi_downloads{window=\"7d\"} < {threshold} * pypi_downloads_prior{window=\"7d\"}) unless ignoring (window) "
     "(time() - 86400 - pypi_downloads_newest_day_timestamp_seconds > {threshold:pypi_data_stale})",
     0.5,
     "ratio of the last 7 days to the 7 days before", "1h", "warning",
     "PyPI downloads of {{ $labels.package }} dropped week over week",
     "{{ $labels.package }} was downloaded {{ $value }} times in the last 7 days, less than {threshold} times the 7 "
     "days before."},
    {"bug_spike", "GithubBugReportSpike", "kpis", "github_issues_opened{window=\"1d\",kind=\"bug\"} > {threshold}", 5,
     "bug issues opened in a day", "10m", "critical", "Bug report spike on {{ $labels.repo }}",
     "{{ $value }} bug issues were opened on {{ $labels.repo }} in the last day (more than {threshold})."},
    {"issue_awaiting_response", "GithubIssueAwaitingResponse", "kpis",
     "github_issues_awaiting_response_oldest_age_seconds > {threshold}", 86400,
     "seconds the oldest open issue may wait for a first response", "15m", "warning",
     "An issue on {{ $labels.repo }} has waited too long for a first response",
     "The oldest issue on {{ $labels.repo }} without a response has waited {{ $value | humanizeDuration }} (limit: "
     "{threshold} s)."},
    {"first_response_slow", "GithubFirstResponseSlow", "kpis",
     "github_issue_first_response_seconds_sum / github_issue_first_response_seconds_count > {threshold}", 86400,
     "mean seconds to first response over the window", "1h", "warning",
     "Mean time to first response on {{ $labels.repo }} is above target",
     "Issues opened on {{ $labels.repo }} in the last {{ $labels.window }} got a first response after "
     "{{ $value | humanizeDuration }} on average (target: {threshold} s)."},
    {"pr_lead_time_slow", "GithubPullRequestLeadTimeSlow", "kpis",
     "github_pull_request_merge_lead_time_seconds{quantile=\"0.5\"} > {threshold}", 172800,
     "median seconds from opening to merge", "1h", "warning",
     "Median PR merge lead time on {{ $labels.repo }} is above target",
     "Pull requests merged on {{ $labels.repo }} in the last {{ $labels.window }} took a median "
     "{{ $value | humanizeDuration }} from opening to merge (target: {threshold} s)."},
    {"jira_resolution_slow", "JiraResolutionTimeSlow", "kpis",
     "jira_issue_resolution_seconds_sum / jira_issue_resolution_seconds_count > {threshold}", 86400,
     "mean seconds from creation to resolution", "1h", "warning",
     "Jira query {{ $labels.query }} misses its resolution-time SLA",
     "Issues of {{ $labels.query }} resolved in the last {{ $labels.window }} took {{ $value | humanizeDuration }} "
     "on average (SLA: {threshold} s)."},
    {"stripe_churn_high", "StripeChurnHigh", "kpis", "stripe_churn_ratio{window=\"30d\"} > {threshold}", 0.03,
     "share (0-1) of paying subscriptions lost over 30 days", "1h", "warning", "Subscription churn is above target",
     "{{ $value | humanizePercentage }} of the subscriptions paying 30 days ago have ended since (target: at most "
     "{threshold})."},
    {"stripe_failed_charges", "StripePaymentsFailing", "kpis",
     "stripe_charges{status=\"failed\",window=\"1d\"} > {threshold}", 5, "failed charges in a day", "15m", "warning",
     "Stripe payments are failing", "{{ $value }} charges failed in the last day (more than {threshold})."},
    // Exporter health, by cause, so one cause raises one alert: a target failing while others of its
    // collector update (TargetDown); the whole collector failing, no target up (CollectorDown); data not
    // refreshed although nothing reports a failure, i.e. polls stuck or slower than their interval
    // (DataStale); a cap cutting a listing, which freezes the series computed from it (Truncated).
    {"target_down", "KpiExporterTargetDown", "health",
     "kpi_exporter_target_up == 0 unless ignoring (target) "
     "(kpi_exporter_collector_up == 0 unless ignoring (target) kpi_exporter_target_up == 1)",
     std::nullopt, "", "15m", "warning",
     "kpi-exporter cannot poll {{ $labels.target }} ({{ $labels.collector }})",
     "Requests for {{ $labels.target }} fail at every poll of collector {{ $labels.collector }} while its other "
     "targets update. Its series keep their last good values, or are absent if it never succeeded (a typo, a "
     "renamed or deleted target, missing access?). The landing page of {{ $labels.instance }} shows the error."},
    {"collector_down", "KpiExporterCollectorDown", "health",
     "kpi_exporter_collector_up == 0 unless ignoring (target) kpi_exporter_target_up == 1", std::nullopt, "", "15m",
     "warning", "kpi-exporter collector {{ $labels.collector }} is failing",
     "The polls of {{ $labels.collector }} fail and none of its targets succeeds (a token, network or upstream "
     "problem rather than one target): all its metrics keep their last good values, or are absent if it never "
     "succeeded. The landing page of {{ $labels.instance }} shows the error."},
    {"data_stale", "KpiExporterDataStale", "health",
     "(time() - kpi_exporter_target_last_success_timestamp_seconds > ignoring (target) group_left "
     "{threshold} * kpi_exporter_collector_interval_seconds unless kpi_exporter_target_up == 0) or "
     "(time() - kpi_exporter_collector_last_success_timestamp_seconds > {threshold} * "
     "kpi_exporter_collector_interval_seconds unless ignoring (target) kpi_exporter_target_up "
     "unless kpi_exporter_collector_up == 0)",
     3, "poll intervals without a successful poll, while no failure is reported", "5m", "warning",
     "Data of kpi-exporter collector {{ $labels.collector }}{{ with $labels.target }} for {{ . }}{{ end }} is stale",
     "{{ $labels.collector }}{{ with $labels.target }} last polled {{ . }}{{ else }} last polled{{ end }} "
     "successfully {{ $value | humanizeDuration }} ago, more than {threshold} poll intervals, although no poll "
     "reports a failure: polls are stuck or take longer than the interval."},
    // A new counter series appears at 1, which increase() cannot see, hence the second branch: a series that
    // did not exist 3 hours ago.
    {"truncated", "KpiExporterTruncated", "health",
     "increase(kpi_exporter_truncated_total[3h]) > 0 or "
     "(kpi_exporter_truncated_total unless kpi_exporter_truncated_total offset 3h)",
     std::nullopt, "", "0s", "warning",
     "A cap cut the {{ $labels.what }} listing of {{ $labels.target }} ({{ $labels.collector }})",
     "A configured cap cut the {{ $labels.what }} listing of {{ $labels.target }} (collector "
     "{{ $labels.collector }}) in the last 3 hours. The series computed from it keep their last complete values "
     "instead of a wrong number, so they are stale while the cap cuts: raise the cap."},
    {"pypi_data_stale", "PypiDownloadDataStale", "health",
     "time() - 86400 - pypi_downloads_newest_day_timestamp_seconds > {threshold}", 259200,
     "seconds since the end of the newest day pypistats has downloads for (normally under 1 day)", "0s", "warning",
     "PyPI download data of {{ $labels.package }} is stale",
     "The newest day pypistats has downloads of {{ $labels.package }} for ended {{ $value | humanizeDuration }} ago "
     "(limit: {threshold} s). PypiDownloadsDropped stays silent for it until the data is current again."},
    {"github_rate_limit_low", "GithubRateLimitLow", "health",
     "github_rate_limit_remaining{resource=\"core\"} / github_rate_limit_limit{resource=\"core\"} < {threshold}", 0.1,
     "share (0-1) of the core rate limit left", "5m", "warning", "GitHub API rate limit is nearly spent",
     "Only {{ $value | humanizePercentage }} of the GitHub core rate limit is left (warning below {threshold})."},
    {"exporter_absent", "KpiExporterAbsent", "health", "absent(kpi_exporter_build_info)", std::nullopt, "", "10m",
     "warning", "kpi-exporter is not scraped",
     "No kpi-exporter has been scraped for 10 minutes: every KPI alert is blind until it is back."},
};

constexpr RecordingDefinition kRecordings[] = {
    {"currency:stripe_arr:sum", "12 * sum by (currency) (stripe_mrr)"},
    {"repo:github_issue_first_response_seconds:mean",
     "github_issue_first_response_seconds_sum / github_issue_first_response_seconds_count"},
    {"repo:github_workflow_failing:count", "count by (repo) (github_workflow_failing == 1)"},
    {"query:jira_issue_resolution_seconds:mean", "jira_issue_resolution_seconds_sum / jira_issue_resolution_seconds_count"},
    {"package:pypi_downloads_week_over_week:ratio", "pypi_downloads{window=\"7d\"} / pypi_downloads_prior{window=\"7d\"}"},
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
  std::string for_duration;
  std::string severity;
  std::string runbook;
};

const AlertDefinition* FindAlert(std::string_view key) {
  const auto it = std::find_if(std::begin(kAlerts), std::end(kAlerts), [&](const auto& a) { return a.key == key; });
  return it == std::end(kAlerts) ? nullptr : &*it;
}

// The threshold of alert `a` as it goes into a rule: the override, the default, or the Helm value.
std::string ThresholdOf(const AlertDefinition& a, const AlertSettings& settings, RulesFormat format) {
  if (format == RulesFormat::kHelmTemplate) return "{{ .Values.alerts." + CamelCase(a.key) + ".threshold }}";
  if (const auto o = settings.overrides.find(a.key); o != settings.overrides.end() && o->second.threshold) {
    return FormatSampleValue(*o->second.threshold);
  }
  return a.threshold ? FormatSampleValue(*a.threshold) : "";
}

Resolved Resolve(const AlertDefinition& a, const AlertSettings& settings, RulesFormat format) {
  const std::string anchor = "#" + AsciiLower(a.name);
  const std::string threshold = ThresholdOf(a, settings, format);
  if (format == RulesFormat::kHelmTemplate) {
    const std::string v = ".Values.alerts." + CamelCase(a.key);
    return {true, threshold, "{{ " + v + ".for }}", "{{ " + v + ".severity }}",
            "{{ .Values.prometheusRule.runbookBaseUrl }}" + anchor};
  }
  Resolved r{a.enabled_by_default, threshold, std::string(a.for_duration), std::string(a.severity),
             settings.runbook_base_url + anchor};
  if (const auto o = settings.overrides.find(a.key); o != settings.overrides.end()) {
    if (o->second.enabled) r.enabled = *o->second.enabled;
    if (o->second.for_duration) r.for_duration = *o->second.for_duration;
    if (o->second.severity) r.severity = *o->second.severity;
  }
  return r;
}

std::string RenderGroups(const AlertSettings& settings, RulesFormat format, const std::string& indent) {
  const bool helm = format == RulesFormat::kHelmTemplate;
  // Placeholders become control characters before the Helm escaping, and values after it, so a Helm
  // expression is never wrapped as a literal. "{threshold:<key>}" -> \x02<key>\x03.
  const auto text = [&](std::string_view s, const Resolved& r) {
    std::string out = ReplaceAll(std::string(s), "{threshold}", "\x01");
    for (size_t pos; (pos = out.find("{threshold:")) != std::string::npos;) {
      const size_t close = out.find('}', pos);
      out.replace(pos, close + 1 - pos, "\x02" + out.substr(pos + 11, close - pos - 11) + "\x03");
    }
    if (helm) out = EscapeForHelm(out);
    for (size_t pos; (pos = out.find('\x02')) != std::string::npos;) {
      const size_t close = out.find('\x03', pos);
      const AlertDefinition* other = FindAlert(std::string_view(out).substr(pos + 1, close - pos - 1));
      out.replace(pos, close + 1 - pos, other ? ThresholdOf(*other, settings, format) : "");
    }
    return ReplaceAll(out, "\x01", r.threshold);
  };
  // The chart may set an evaluation interval per group; the rule file leaves it to Prometheus' global one.
  const std::string group_interval =
      helm ? "{{- with .Values.prometheusRule.interval }}\n" + indent + "    interval: {{ . }}\n{{- end }}\n" : "";
  std::string out = indent + "groups:\n";
  for (const std::string_view group : {"kpis", "health"}) {
    out += indent + "  - name: kpi-exporter." + std::string(group) + "\n" + group_interval + indent + "    rules:\n";
    for (const auto& a : kAlerts) {
      if (a.group != group) continue;
      const Resolved r = Resolve(a, settings, format);
      if (!r.enabled) continue;
      const std::string i = indent + "      ";
      if (helm) out += "{{- if .Values.alerts." + CamelCase(a.key) + ".enabled }}\n";
      out += i + "- alert: " + std::string(a.name) + "\n";
      out += i + "  expr: " + Quote(text(a.expr, r)) + "\n";
      out += i + "  for: " + r.for_duration + "\n";
      out += i + "  labels:\n" + i + "    severity: " + r.severity + "\n";
      out += i + "  annotations:\n";
      out += i + "    summary: " + Quote(text(a.summary, r)) + "\n";
      out += i + "    description: " + Quote(text(a.description, r)) + "\n";
      out += i + "    runbook_url: " + Quote(r.runbook) + "\n";
      if (helm) out += "{{- end }}\n";
    }
  }
  out += indent + "  - name: kpi-exporter.recording\n" + group_interval + indent + "    rules:\n";
  for (const auto& rec : kRecordings) {
    out += indent + "      - record: " + std::string(rec.record) + "\n";
    out += indent + "        expr: " + Quote(rec.expr) + "\n";
  }
  return out;
}

}  // namespace

std::span<const AlertDefinition> AlertDefinitions() { return kAlerts; }
std::span<const RecordingDefinition> RecordingDefinitions() { return kRecordings; }

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

std::string RenderRules(const AlertSettings& settings, RulesFormat format, const KpiSettings& kpis) {
  switch (format) {
    case RulesFormat::kRuleFile:
      return "# Generated by `kpi_exporter rules`; do not edit. Regenerate: cmake --build build --target rules\n" +
             RenderGroups(settings, format, "") + RenderKpiRuleGroup(kpis, settings.runbook_base_url, "");
    case RulesFormat::kPrometheusRule:
      return "# Generated by `kpi_exporter rules --format=prometheusrule`; do not edit.\n"
             "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: kpi-exporter\n"
             "  labels:\n    app.kubernetes.io/name: kpi-exporter\nspec:\n" +
             RenderGroups(settings, format, "  ") + RenderKpiRuleGroup(kpis, settings.runbook_base_url, "  ");
    case RulesFormat::kHelmTemplate:
      return "{{/* Generated by `kpi_exporter rules --format=helm`; do not edit. The rule groups, with every threshold,\n"
             "`for`, severity and on/off taken from .Values.alerts. */}}\n"
             "{{- define \"kpi-exporter.ruleGroups\" }}\n" +
             RenderGroups(settings, format, "") + "{{- end }}\n";
  }
  return {};
}

}  // namespace kpi
