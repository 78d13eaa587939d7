#include "exporter/rules/alert_definitions.h"

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

}  // namespace

std::span<const AlertDefinition> AlertDefinitions() { return kAlerts; }
std::span<const RecordingDefinition> RecordingDefinitions() { return kRecordings; }

}  // namespace kpi
