#!/usr/bin/env python3
"""Generated rules: the hand-written promtool unit tests in rules/tests pass
on what the program generates (rules/tests/optional with the optional alerts
switched on), the checked-in file is current, every output passes
`promtool check rules`, config overrides change exactly what they should,
bad [alerts] config is rejected with a position, and every alert has its
RUNBOOK section and README row."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import EXPORTER, SOURCE_DIR, Processes  # noqa: E402

RULES = os.path.join(SOURCE_DIR, "rules", "kpi-exporter.rules.yml")


def run(*args):
    return subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=30)


def promtool(*args):
    r = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"promtool {' '.join(args)} failed:\n{r.stdout}{r.stderr}"
    return r.stdout


def spec_of(prometheus_rule):
    """The groups of a PrometheusRule object, as a plain rule file (drop the header, unindent spec)."""
    lines = prometheus_rule.splitlines()
    start = lines.index("spec:") + 1
    return "\n".join(line[2:] for line in lines[start:]) + "\n"


def unit_tests(p, rules_text, rules_name, tests_glob):
    """Runs the promtool test files matching tests_glob (relative to the source) against rules_text, written
    where their rule_files entry finds it."""
    tests = sorted(glob.glob(os.path.join(SOURCE_DIR, tests_glob)))
    assert tests, f"no promtool tests match {tests_glob}"
    os.makedirs(p.path("unit/tests"), exist_ok=True)
    for test_file in tests:
        with open(test_file) as f:
            text = f.read()
        rule_files = re.findall(r"^rule_files:\n  - (\S+)$", text, re.M)
        assert rule_files in (["../" + rules_name], [rules_name]), f"{test_file}: rule_files {rule_files}"
        copy = p.write_config(text, os.path.join("unit", "tests", os.path.basename(test_file)))
        p.write_config(rules_text, os.path.join("unit", "tests", rule_files[0]))
        promtool("test", "rules", copy)


def main():
    with Processes() as p:
        default = run("rules")
        assert default.returncode == 0, default.stderr
        assert "GithubWorkflowFailingRepeatedly" not in default.stdout, "optional alerts are off by default"
        # The hand-written promtool tests judge what the program generates (copied side by side, as in rules/),
        # before the checked-in file is compared with it: a wrong rule fails on its test, not only as stale.
        unit_tests(p, default.stdout, "kpi-exporter.rules.yml", os.path.join("rules", "tests", "*.yml"))
        # Optional alerts (off by default): their tests run against the rules with every one switched on.
        optional = p.write_config('[alerts.ci_consecutive_failures]\nenabled = true\n'
                                  '[alerts.dora_no_deployment]\nenabled = true\n', "optional.toml")
        all_on = run("rules", f"--config.file={optional}")
        assert all_on.returncode == 0, all_on.stderr
        unit_tests(p, all_on.stdout, "optional.rules.yml", os.path.join("rules", "tests", "optional", "*.yml"))

        # Links to the items behind an alert (README "Drill-down"): only with --web.external-url, built from
        # it and the alert's labels; promtool renders them (rules/tests/links), escaping included.
        assert "link:" not in default.stdout
        linked = run("rules", "--web.external-url=https://kpi.example.com/kpi-exporter/")
        assert linked.returncode == 0, linked.stderr
        unit_tests(p, linked.stdout, "links.rules.yml", os.path.join("rules", "tests", "links", "*.yml"))
        links = re.findall(r"^      - alert: (\w+)\n(?:        .*\n)*?          link: '([^']*)'$", linked.stdout, re.M)
        assert ("KpiRed", "https://kpi.example.com/kpi-exporter/items/kpi?name={{ $labels.kpi | urlquery }}") in links
        assert ("GithubDependabotCriticalAlertOpen", "https://kpi.example.com/kpi-exporter/items?collector=github&"
                "target={{ $labels.repo | urlquery }}&list=dependabot_critical_high") in links, links
        assert "StripeChurnHigh" not in dict(links), "no list explains churn: no link"
        promtool("check", "rules", p.write_config(linked.stdout, "linked.rules.yml"))
        for bad, message in [("kpi.example.com", "must start with http:// or https://"),
                             ("https://u:pw@kpi.example.com/", "must not hold a user or password"),
                             ("https://kpi.example.com/?a=b", "must have no query (?) or fragment (#)")]:
            r = run("rules", f"--web.external-url={bad}")
            assert r.returncode == 2 and f"kpi_exporter: --web.external-url {message}\n" in r.stderr, r.stderr
            assert "pw@" not in r.stderr and r.stdout == ""

        with open(RULES) as f:
            assert f.read() == default.stdout, \
                "rules/kpi-exporter.rules.yml is stale: run `cmake --build build --target rules` and commit it"
        promtool("check", "rules", RULES)  # and, being equal, it passes the tests above
        # A disabled alert's threshold still holds where another rule uses it.
        off = p.write_config('[alerts.pypi_data_stale]\nenabled = false\nthreshold = "4d"\n', "stale-off.toml")
        r = run("rules", f"--config.file={off}")
        assert r.returncode == 0, r.stderr
        assert "PypiDownloadDataStale" not in r.stdout
        assert "pypi_downloads_newest_day_timestamp_seconds{job=~\"kpi-exporter.*\"} > 345600)'" in r.stdout

        with open(os.path.join(SOURCE_DIR, "tests", "fixtures", "alerts-custom.toml")) as f:
            custom = p.write_config('[alerts]\nrunbook_base_url = "https://wiki.example/kpi-runbook"\n' + f.read(),
                                    "alerts.toml")
        out = run("rules", f"--config.file={custom}")
        assert out.returncode == 0, out.stderr
        text = out.stdout
        assert "expr: 'github_workflow_success_ratio{job=~\"kpi-exporter.*\"} < 0.9'" in text
        ratio_block = text[text.index("alert: GithubWorkflowSuccessRatioLow"):text.index("alert: PypiDownloadsDropped")]
        # The description says the configured threshold and `for`, in human units.
        assert "for: 1h" in ratio_block and "severity: critical" in ratio_block
        assert "(target: at least 90 %; below it for 1h)" in ratio_block
        assert "GithubBugReportSpike" not in text
        assert "github_issues_awaiting_response_oldest_age_seconds{job=~\"kpi-exporter.*\"} > 172800" in text
        assert "(limit: 2d)" in text
        assert "runbook_url: 'https://wiki.example/kpi-runbook#githubworkflowfailing'" in text
        failing_block = text[text.index("alert: GithubWorkflowFailing\n"):text.index("alert: GithubWorkflowFailingRepeatedly")]
        assert "for: 0s" in failing_block
        # An optional alert switched on, with its own threshold.
        assert "expr: 'github_workflow_consecutive_failures{job=~\"kpi-exporter.*\"} >= 2'" in text
        # One threshold in two rules: [alerts.pypi_data_stale] also sets when the drop alert falls silent.
        assert "expr: 'time() - 86400 - pypi_downloads_newest_day_timestamp_seconds{job=~\"kpi-exporter.*\"} > 172800'" in text
        assert "unless ignoring (window) (time() - 86400 - pypi_downloads_newest_day_timestamp_seconds{job=~\"kpi-exporter.*\"} > 172800)'" in text
        assert "259200" not in text and "(limit: 2d)." in text
        custom_file = p.write_config(text, "custom.rules.yml")
        promtool("check", "rules", custom_file)

        for config_args in ([], [f"--config.file={custom}"]):
            pr = run("rules", "--format=prometheusrule", *config_args)
            assert pr.returncode == 0, pr.stderr
            assert "kind: PrometheusRule" in pr.stdout and "apiVersion: monitoring.coreos.com/v1" in pr.stdout
            spec = spec_of(pr.stdout)
            promtool("check", "rules", p.write_config(spec, "spec.rules.yml"))
            plain = run("rules", *config_args).stdout
            assert spec.split("groups:", 1)[1] == plain.split("groups:", 1)[1], "PrometheusRule groups differ from rules"

        helm = run("rules", "--format=helm")
        assert helm.returncode == 0
        assert '{{- define "kpi-exporter.ruleGroups" }}' in helm.stdout
        assert "{{- if .Values.alerts.ciFailing.enabled }}" in helm.stdout
        assert ('github_workflow_success_ratio{{ printf "{%s}" .Values.prometheusRule.jobSelector }} < '
                '{{ .Values.alerts.ciSuccessRatio.threshold }}') in helm.stdout
        assert 'at least {{ include "kpi-exporter.humanPercent" .Values.alerts.ciSuccessRatio.threshold }}' in helm.stdout
        assert "{{`{{ $labels.repo }}`}}" in helm.stdout
        assert ("{{- if .Values.externalUrl }}\n          link: '{{ trimSuffix \"/\" .Values.externalUrl }}/items?collector="
                "github&target={{`{{ $labels.repo | urlquery }}`}}&list=awaiting_response'\n{{- end }}\n") in helm.stdout

        # Rules need no tokens: sources are not built (a missing variable is fine), only checked to be known.
        tokens = p.write_config('[github]\ntoken = "${NOT_SET_ANYWHERE}"\nrepos = ["a/b"]\n[alerts.bug_spike]\nthreshold = 9\n',
                                "tokens.toml")
        r = run("rules", f"--config.file={tokens}")
        assert r.returncode == 0 and "kind=\"bug\"} > 9'" in r.stdout, r.stderr

        # The job selector: in every selector of every rule, alerts and recordings; another one from the config;
        # none at all when empty. Only exporter-own metric names get it, never functions or recorded names.
        exprs = [e for e in re.findall(r"^\s+expr: '(.*)'$", default.stdout, re.M)
                 if re.search(r"(?<![\w:])(github|jira|stripe|pypi|discord|kpi)_\w", re.sub(r'"[^"]*"', "", e))]
        assert len(exprs) > 40 and all('job=~"kpi-exporter.*"' in e for e in exprs), \
            [e for e in exprs if "job=~" not in e]
        # The scorecard group (the default KPIs of every source without a config) too.
        assert "expr: '(sum(github_repo_stars{job=~\"kpi-exporter.*\"})) > -Inf'" in default.stdout
        assert "count(count by (kpi) (kpi_target{job=~\"kpi-exporter.*\"}))" in default.stdout
        assert "expr: 'absent(kpi_exporter_build_info{job=~\"kpi-exporter.*\"})'" in default.stdout
        assert "'12 * sum by (currency) (stripe_mrr{job=~\"kpi-exporter.*\"})'" in default.stdout
        own = p.write_config('[alerts]\njob_selector = \'job="kpi", namespace=~"mon.*"\'\n', "job.toml")
        r = run("rules", f"--config.file={own}")
        assert r.returncode == 0, r.stderr
        assert "expr: 'github_issues_opened{job=\"kpi\", namespace=~\"mon.*\",window=\"1d\",kind=\"bug\"} > 5'" in r.stdout
        promtool("check", "rules", p.write_config(r.stdout, "job.rules.yml"))
        # ... in the KPI rules too, a KPI's own `expr` included; [alerts.kpi_red] sets KpiRed's `for`.
        with open(os.path.join(SOURCE_DIR, "rules", "tests", "kpi", "kpi.toml")) as f:
            kpis = p.write_config('[alerts]\njob_selector = \'job="kpi"\'\n' + f.read(), "job-kpi.toml")
        r = run("rules", f"--config.file={kpis}")
        assert r.returncode == 0, r.stderr
        assert "expr: '(avg(github_workflow_success_ratio{job=\"kpi\"})) > -Inf'" in r.stdout
        assert "expr: '(max(github_repo_stars{job=\"kpi\"})" not in r.stdout
        assert "expr: '(sum(github_repo_stars{job=\"kpi\"})) > -Inf'" in r.stdout
        red = r.stdout[r.stdout.index("- alert: KpiRed"):r.stdout.index("- alert: KpiOffTrack")]
        assert "for: 10m" in red and "for more than 10m." in red, red
        none = p.write_config('[alerts]\njob_selector = ""\n', "nojob.toml")
        r = run("rules", f"--config.file={none}")
        assert r.returncode == 0 and "expr: 'github_workflow_failing == 1'" in r.stdout and "job=" not in r.stdout
        unknown = p.write_config("[gitlab]\n", "unknown.toml")
        r = run("rules", f"--config.file={unknown}")
        assert r.returncode == 2 and "unknown section [gitlab]" in r.stderr, r.stderr

        for text_config, message in [
            ("[alerts.no_such_alert]\nthreshold = 1\n", "1:1: unknown alert [alerts.no_such_alert]; known alerts: ci_failing"),
            ("[alerts.ci_failing]\nthreshold = 1\n", "2:13: alert 'ci_failing' has no threshold to set"),
            ("[alerts.bug_spike]\nseverity = \"page\"\n", "2:12: 'severity' in [alerts.bug_spike] must be critical"),
            ("[alerts.bug_spike]\nfor = \"soon\"\n", "2:7: 'for' in [alerts.bug_spike] must be a duration"),
            ("[alerts.bug_spike]\nthreshold = \"many\"\n", "2:13: 'threshold' in [alerts.bug_spike] must be a finite number"),
            # One form per threshold, as in the chart's values: time as a duration, counts and ratios as numbers.
            ("[alerts.bug_spike]\nthreshold = \"1d\"\n", "2:13: 'threshold' in [alerts.bug_spike] must be a finite number"),
            ("[alerts.issue_awaiting_response]\nthreshold = 86400\n",
             "2:13: 'threshold' in [alerts.issue_awaiting_response] must be a duration such as"),
            ("[alerts.issue_awaiting_response]\nthreshold = \"1500ms\"\n",
             "2:13: 'threshold' in [alerts.issue_awaiting_response] must be whole seconds"),
            ("[alerts.bug_spike]\nthreshhold = 3\n", "2:1: unknown key 'threshhold' in [alerts.bug_spike]"),
            ("[alerts]\njob_selector = 'job=kpi'\n", "2:16: 'job_selector' in [alerts] must be label matchers"),
            ("[alerts.kpi_red]\nthreshold = 1\n", "2:13: alert 'kpi_red' has no threshold to set"),
            # Issue 16, item 6: nothing promtool would refuse, and no threshold that can never fire.
            ("[alerts.first_response_slow]\nthreshold = \"99999999999h\"\n",
             "2:13: 'threshold' in [alerts.first_response_slow] must be a duration such as"),
            ("[alerts.first_response_slow]\nfor = \"99999999999h\"\n",
             "2:7: 'for' in [alerts.first_response_slow] must be a duration"),
            ("[alerts.first_response_slow]\nfor = \"30m1h\"\n", "2:7: 'for' in [alerts.first_response_slow] must be a duration"),
            # A threshold of time is a duration: no number, finite or not.
            ("[alerts.first_response_slow]\nthreshold = -inf\n",
             "2:13: 'threshold' in [alerts.first_response_slow] must be a duration such as"),
            ("[alerts.first_response_slow]\nthreshold = nan\n",
             "2:13: 'threshold' in [alerts.first_response_slow] must be a duration such as"),
            ("[alerts.bug_spike]\nthreshold = nan\n", "2:13: 'threshold' in [alerts.bug_spike] must be a finite number"),
        ]:
            bad = p.write_config(text_config, "bad-alerts.toml")
            r = run("rules", f"--config.file={bad}")
            assert r.returncode == 2 and f"{bad}:{message}" in r.stderr, (text_config, r.stderr)

        # Every alert, optional ones included, has its RUNBOOK section (the runbook_url anchor) and its row
        # in the README's table, and nothing else has.
        alerts = re.findall(r"^      - alert: (\w+)$", all_on.stdout, re.M)
        assert len(alerts) > len(re.findall(r"^      - alert: ", default.stdout, re.M))
        with open(os.path.join(SOURCE_DIR, "rules", "RUNBOOK.md")) as f:
            sections = re.findall(r"^## (\w+)$", f.read(), re.M)
        assert sorted(sections) == sorted(set(alerts)), f"RUNBOOK.md sections {sections} != alerts {alerts}"
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        alerting = readme[readme.index("\n## Alerting\n"):readme.index("\n## ", readme.index("\n## Alerting\n") + 1)]
        rows = re.findall(r"^\| `(\w+)` \| ([A-Z]\w+) \|", alerting, re.M)
        helm_keys = re.findall(r"^\{\{- if \.Values\.alerts\.(\w+)\.enabled \}\}\n      - alert: (\w+)$", helm.stdout, re.M)
        camel = [(re.sub(r"_(\w)", lambda m: m.group(1).upper(), key), name) for key, name in rows]
        assert camel == helm_keys, f"README alert table {rows} != the alerts and their keys {helm_keys}"
        assert [name for _, name in rows] == alerts
    print("ok")


if __name__ == "__main__":
    main()
