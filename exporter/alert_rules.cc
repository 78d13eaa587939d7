#include "exporter/alert_rules.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include "collectors/common/snapshot.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
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
     "{{ $labels.repo }} succeeded (target: at least {threshold}; below it for {for}).",
     true, ThresholdUnit::kRatio},
    // Silent while the package's data is stale (the same test and threshold as PypiDownloadDataStale, which
    // fires instead): a week that pypistats has not finished counting is no drop.
    {"pypi_download_drop", "PypiDownloadsDropped", "kpis",
     "(pypi_downloads{window=\"7d\"} < {threshold} * pypi_downloads_prior{window=\"7d\"}) unless ignoring (window) "
     "(time() - 86400 - pypi_downloads_newest_day_timestamp_seconds > {threshold:pypi_data_stale})",
     0.5,
     "ratio of the last 7 days to the 7 days before", "1h", "warning",
     "PyPI downloads of {{ $labels.package }} dropped week over week",
     "{{ $labels.package }} was downloaded {{ $value }} times in the last 7 days, less than {threshold} of the 7 "
     "days before (for {for}).",
     true, ThresholdUnit::kRatio},
    {"bug_spike", "GithubBugReportSpike", "kpis", "github_issues_opened{window=\"1d\",kind=\"bug\"} > {threshold}", 5,
     "bug issues opened in a day", "10m", "critical", "Bug report spike on {{ $labels.repo }}",
     "{{ $value }} bug issues were opened on {{ $labels.repo }} in the last day (more than {threshold}, for {for})."},
    // Only issues opened in the window count (github awaiting_response_window), so the alert clears once an
    // unanswered issue grows older than that, instead of firing for it forever.
    {"issue_awaiting_response", "GithubIssueAwaitingResponse", "kpis",
     "github_issues_awaiting_response_oldest_age_seconds > {threshold}", 86400,
     "seconds the oldest open issue may wait for a first response", "15m", "warning",
     "An issue on {{ $labels.repo }} has waited too long for a first response",
     "The oldest issue opened on {{ $labels.repo }} in the last {{ $labels.window }} without a response has waited "
     "{{ $value | humanizeDuration }} (limit: {threshold}).",
     true, ThresholdUnit::kSeconds},
    {"first_response_slow", "GithubFirstResponseSlow", "kpis",
     "github_issue_first_response_seconds_sum / github_issue_first_response_seconds_count > {threshold}", 86400,
     "mean seconds to first response over the window", "1h", "warning",
     "Mean time to first response on {{ $labels.repo }} is above target",
     "Issues opened on {{ $labels.repo }} in the last {{ $labels.window }} got a first response after "
     "{{ $value | humanizeDuration }} on average (target: {threshold}; above it for {for}).",
     true, ThresholdUnit::kSeconds},
    {"pr_lead_time_slow", "GithubPullRequestLeadTimeSlow", "kpis",
     "github_pull_request_merge_lead_time_seconds{quantile=\"0.5\"} > {threshold}", 172800,
     "median seconds from opening to merge", "1h", "warning",
     "Median PR merge lead time on {{ $labels.repo }} is above target",
     "Pull requests merged on {{ $labels.repo }} in the last {{ $labels.window }} took a median "
     "{{ $value | humanizeDuration }} from opening to merge (target: {threshold}; above it for {for}).",
     true, ThresholdUnit::kSeconds},
    // Support SLAs per query and per ticket: only queries with an `sla` (or `sla_field`) have these series,
    // so only they get these alerts. The ratio is a warning/critical pair (one alertname).
    {"jira_sla_resolved_ratio", "JiraResolvedWithinSlaLow", "kpis",
     "jira_issues_resolved_within_sla_ratio{window=\"30d\"} < {threshold}", 0.95,
     "share (0-1) of the issues resolved in 30 days that met their SLA", "1h", "warning",
     "Jira query {{ $labels.query }} resolves too few issues within its SLA",
     "Only {{ $value | humanizePercentage }} of the issues of {{ $labels.query }} resolved in the last "
     "{{ $labels.window }} met their SLA (target: at least {threshold}; below it for {for}).",
     true, ThresholdUnit::kRatio},
    {"jira_sla_resolved_ratio_critical", "JiraResolvedWithinSlaLow", "kpis",
     "jira_issues_resolved_within_sla_ratio{window=\"30d\"} < {threshold}", 0.8,
     "share (0-1) of the issues resolved in 30 days that met their SLA, critical below", "1h", "critical",
     "Jira query {{ $labels.query }} resolves far too few issues within its SLA",
     "Only {{ $value | humanizePercentage }} of the issues of {{ $labels.query }} resolved in the last "
     "{{ $labels.window }} met their SLA (critical below {threshold}; below it for {for}).",
     true, ThresholdUnit::kRatio},
    {"jira_sla_open_breaching", "JiraOpenIssuesBreachingSla", "kpis", "jira_issues_open_breaching_sla > {threshold}",
     0, "open issues past their SLA", "15m", "warning",
     "Open issues of Jira query {{ $labels.query }} are past their SLA",
     "{{ $value }} open issues of {{ $labels.query }} are past their SLA (alert above {threshold}, for {for})."},
    {"stripe_churn_high", "StripeChurnHigh", "kpis", "stripe_churn_ratio{window=\"30d\"} > {threshold}", 0.03,
     "share (0-1) of paying subscriptions lost over 30 days", "1h", "warning", "Subscription churn is above target",
     "{{ $value | humanizePercentage }} of the subscriptions paying 30 days ago have ended since (target: at most "
     "{threshold}; above it for {for}).",
     true, ThresholdUnit::kRatio},
    {"stripe_churn_critical", "StripeChurnHigh", "kpis", "stripe_churn_ratio{window=\"30d\"} > {threshold}", 0.05,
     "share (0-1) of paying subscriptions lost over 30 days, critical above", "1h", "critical",
     "Subscription churn is far above target",
     "{{ $value | humanizePercentage }} of the subscriptions paying 30 days ago have ended since (critical above "
     "{threshold}; above it for {for}).",
     true, ThresholdUnit::kRatio},
    {"stripe_failed_charges", "StripePaymentsFailing", "kpis",
     "stripe_charges{status=\"failed\",window=\"1d\"} > {threshold}", 5, "failed charges in a day", "15m", "warning",
     "Stripe payments are failing",
     "{{ $value }} charges failed in the last day (more than {threshold}, for {for})."},
    // --- DORA delivery and security KPIs (GitHub, issue 14): one self-contained block. Defaults are the
    // planning targets: change failure rate under 5 %, time to restore under 2 h, lead time under 2 days, no
    // failed rollback, vulnerabilities fixed within 7 days.
    {"dora_change_failure_high", "GithubChangeFailureRatioHigh", "kpis",
     "github_change_failure_ratio{window=\"30d\"} > {threshold}", 0.05,
     "share (0-1) of decided deployments that failed or led to an incident", "1h", "warning",
     "Change failure rate on {{ $labels.repo }} is above target",
     "{{ $value | humanizePercentage }} of the deployments of {{ $labels.repo }} in the last 30 days failed or were "
     "followed by an incident (target: at most {threshold}; above it for {for}).",
     true, ThresholdUnit::kRatio},
    {"dora_time_to_restore_slow", "GithubTimeToRestoreSlow", "kpis",
     "github_time_to_restore_seconds_sum / github_time_to_restore_seconds_count > {threshold}", 7200,
     "mean seconds from opening to closing of incident issues", "1h", "warning",
     "Mean time to restore on {{ $labels.repo }} is above target",
     "Incidents of {{ $labels.repo }} closed in the last {{ $labels.window }} took {{ $value | humanizeDuration }} "
     "on average from opening to close (target: {threshold}; above it for {for}).",
     true, ThresholdUnit::kSeconds},
    {"dora_lead_time_slow", "GithubDeploymentLeadTimeSlow", "kpis",
     "github_deployment_lead_time_seconds{quantile=\"0.5\"} > {threshold}", 172800,
     "median seconds from a commit's authoring to its deployment", "1h", "warning",
     "Median lead time for changes on {{ $labels.repo }} is above target",
     "Commits deployed on {{ $labels.repo }} in the last {{ $labels.window }} took a median "
     "{{ $value | humanizeDuration }} from authoring to deployment (target: {threshold}; above it for {for}).",
     true, ThresholdUnit::kSeconds},
    {"dora_deployment_failed", "GithubDeploymentFailed", "kpis", "github_deployments_failed{window=\"1d\"} > 0",
     std::nullopt, "", "0s", "warning", "A deployment of {{ $labels.repo }} failed",
     "{{ $value }} deployments of {{ $labels.repo }} failed in the last day (a failed rollout or rollback)."},
    {"dora_no_deployment", "GithubNoRecentDeployment", "kpis",
     "time() - github_deployment_last_timestamp_seconds > {threshold}", 604800,
     "seconds since the latest successful deployment", "1h", "warning",
     "{{ $labels.repo }} has not deployed for a while",
     "The latest successful deployment of {{ $labels.repo }} was {{ $value | humanizeDuration }} ago (limit: "
     "{threshold}).",
     false, ThresholdUnit::kSeconds},
    {"dependabot_fix_slow", "GithubDependabotFixSlow", "kpis",
     "github_dependabot_alert_fix_seconds_sum / github_dependabot_alert_fix_seconds_count > {threshold}", 604800,
     "mean seconds from a Dependabot alert's creation to its fix", "1h", "warning",
     "Vulnerabilities on {{ $labels.repo }} take too long to fix",
     "Dependabot alerts of {{ $labels.repo }} fixed in the last {{ $labels.window }} took "
     "{{ $value | humanizeDuration }} on average (target: {threshold}; above it for {for}).",
     true, ThresholdUnit::kSeconds},
    {"dependabot_critical_open", "GithubDependabotCriticalAlertOpen", "kpis",
     "github_dependabot_alert_oldest_open_seconds{severity=\"critical\"} > {threshold}", 604800,
     "seconds the oldest open critical Dependabot alert may stay open", "15m", "critical",
     "A critical vulnerability on {{ $labels.repo }} is open for too long",
     "The oldest open critical Dependabot alert of {{ $labels.repo }} was opened {{ $value | humanizeDuration }} "
     "ago (target: fixed within {threshold}).",
     true, ThresholdUnit::kSeconds},
    // --- end of the DORA and security block.
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
     "{threshold} * kpi_exporter_collector_effective_interval_seconds unless kpi_exporter_target_up == 0) or "
     "(time() - kpi_exporter_collector_last_success_timestamp_seconds > {threshold} * "
     "kpi_exporter_collector_effective_interval_seconds unless ignoring (target) kpi_exporter_target_up "
     "unless kpi_exporter_collector_up == 0)",
     3, "poll intervals without a successful poll, while no failure is reported", "5m", "warning",
     "Data of kpi-exporter collector {{ $labels.collector }}{{ with $labels.target }} for {{ . }}{{ end }} is stale",
     "{{ $labels.collector }}{{ with $labels.target }} last polled {{ . }}{{ else }} last polled{{ end }} "
     "successfully {{ $value | humanizeDuration }} ago, more than {threshold} poll intervals, although no poll "
     "reports a failure: polls are stuck or take longer than the interval."},
    {"config_reload_failed", "KpiExporterConfigReloadFailed", "health",
     "kpi_exporter_config_last_reload_successful == 0", std::nullopt, "", "10m", "warning",
     "kpi-exporter {{ $labels.instance }} failed to reload its config",
     "The last config reload of {{ $labels.instance }} failed and none has succeeded since (for {for} at least). "
     "It keeps serving the previous config: fix the file (`kpi_exporter check-config` says where) and reload."},
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
     "(limit: {threshold}). PypiDownloadsDropped stays silent for it until the data is current again.",
     true, ThresholdUnit::kSeconds},
    {"github_rate_limit_low", "GithubRateLimitLow", "health",
     "github_rate_limit_remaining{resource=\"core\"} / github_rate_limit_limit{resource=\"core\"} < {threshold}", 0.1,
     "share (0-1) of the core rate limit left", "5m", "warning", "GitHub API rate limit is nearly spent",
     "Only {{ $value | humanizePercentage }} of the GitHub core rate limit is left (warning below {threshold}).",
     true, ThresholdUnit::kRatio},
    {"exporter_absent", "KpiExporterAbsent", "health", "absent(kpi_exporter_build_info)", std::nullopt, "", "10m",
     "warning", "kpi-exporter is not scraped",
     "No kpi-exporter has been scraped for {for}: every KPI alert is blind until it is back."},
    // --- The scorecard (exporter/kpi/): rendered after the KPI recording rules, only when there are KPIs.
    {"kpi_red", "KpiRed", "scorecard", "kpi:value and on (kpi, category) (kpi:status == 0)", std::nullopt, "", "1h",
     "warning", "KPI {{ $labels.kpi }} is in the red zone",
     "KPI {{ $labels.kpi }} ({{ $labels.category }}) is {{ $value }}, worse than its red threshold (or its target, "
     "without zones), for more than {for}."},
    {"kpi_off_track", "KpiOffTrack", "scorecard",
     "kpi:forecast_at_deadline and on (kpi, category) (kpi:on_track == 0)", std::nullopt, "", "6h", "warning",
     "KPI {{ $labels.kpi }} will miss its target by {{ $labels.deadline }}",
     "At its trend over [scorecard] forecast_range, KPI {{ $labels.kpi }} ({{ $labels.category }}) will be "
     "{{ $value }} on {{ $labels.deadline }}, short of its target (off track for {for})."},
};

constexpr RecordingDefinition kRecordings[] = {
    {"currency:stripe_arr:sum", "12 * sum by (currency) (stripe_mrr)"},
    {"repo:github_issue_first_response_seconds:mean",
     "github_issue_first_response_seconds_sum / github_issue_first_response_seconds_count"},
    {"repo:github_workflow_failing:count", "count by (repo) (github_workflow_failing == 1)"},
    {"query:jira_issue_resolution_seconds:mean", "jira_issue_resolution_seconds_sum / jira_issue_resolution_seconds_count"},
    {"package:pypi_downloads_week_over_week:ratio", "pypi_downloads{window=\"7d\"} / pypi_downloads_prior{window=\"7d\"}"},
    // DORA performance buckets (issue 14), 1 = best, with the edges of DORA's quick check. Deployment
    // frequency: 1 on demand (more than once a day on average over 30 days), 2 daily to weekly, 3 weekly to
    // monthly, 4 monthly to every six months (latest success within 180 days), 5 fewer. Lead time and
    // recovery (median): 1 under an hour, 2 under a day, 3 under a week, 4 under a month, 5 under six months,
    // 6 more. A summary without observations (NaN) has no bucket.
    {"repo:github_deployment_frequency:dora_bucket",
     "5 - sum without (window) ((github_deployments{window=\"30d\"} > bool 30) + "
     "(github_deployments{window=\"30d\"} >= bool 30 / 7) + (github_deployments{window=\"30d\"} >= bool 1)) - "
     "(time() - github_deployment_last_timestamp_seconds < bool 180 * 86400)"},
    {"repo:github_deployment_lead_time:dora_bucket",
     "sum without (quantile) (6 - ((github_deployment_lead_time_seconds{quantile=\"0.5\"} >= 0) < bool 3600) - "
     "((github_deployment_lead_time_seconds{quantile=\"0.5\"} >= 0) < bool 86400) - "
     "((github_deployment_lead_time_seconds{quantile=\"0.5\"} >= 0) < bool 7 * 86400) - "
     "((github_deployment_lead_time_seconds{quantile=\"0.5\"} >= 0) < bool 30 * 86400) - "
     "((github_deployment_lead_time_seconds{quantile=\"0.5\"} >= 0) < bool 180 * 86400))"},
    {"repo:github_failed_deployment_recovery:dora_bucket",
     "sum without (quantile) (6 - ((github_failed_deployment_recovery_seconds{quantile=\"0.5\"} >= 0) < bool 3600) - "
     "((github_failed_deployment_recovery_seconds{quantile=\"0.5\"} >= 0) < bool 86400) - "
     "((github_failed_deployment_recovery_seconds{quantile=\"0.5\"} >= 0) < bool 7 * 86400) - "
     "((github_failed_deployment_recovery_seconds{quantile=\"0.5\"} >= 0) < bool 30 * 86400) - "
     "((github_failed_deployment_recovery_seconds{quantile=\"0.5\"} >= 0) < bool 180 * 86400))"},
    {"repo:github_time_to_restore_seconds:mean", "github_time_to_restore_seconds_sum / github_time_to_restore_seconds_count"},
    {"repo:github_dependabot_alert_fix_seconds:mean",
     "github_dependabot_alert_fix_seconds_sum / github_dependabot_alert_fix_seconds_count"},
    // Customer lifetime value, the planning documents' formula: ARPU x gross margin / monthly churn, per currency.
    // Absent while churn is 0 (no finite lifetime) or no [stripe] gross_margin is configured.
    {"kpi:ltv",
     "stripe_arpu * on (job, instance) group_left () stripe_gross_margin_ratio "
     "/ on (job, instance) group_left () (stripe_churn_ratio{window=\"30d\"} > 0)"},
};

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
  const auto it = std::find_if(std::begin(kAlerts), std::end(kAlerts), [&](const auto& a) { return a.key == key; });
  return it == std::end(kAlerts) ? nullptr : &*it;
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
    for (const auto& a : kAlerts) {
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
  for (const auto& rec : kRecordings) {
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
