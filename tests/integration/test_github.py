#!/usr/bin/env python3
"""The real kpi_exporter against the fake GitHub on loopback: exact values for
the fixtures (pagination, PRs among issues, a failing workflow, a fork's red
pull request that must not count, bot comments, a repository too large to
count contributors, a 500 then success, 304s), DORA from deployments and
security alerts (a cursor-paged Dependabot listing; a repository without the
features), the query parameters the fake checks, per-repository health,
promtool check metrics, and no token anywhere."""
import gzip
import time
import zlib
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (TOKEN, Processes, assert_fake_saw_no_problems, github_config, http,  # noqa: E402
                     parse_metrics, promtool_check, stop, value, wait_for)

DAY = 86400


def main():
    with Processes() as p:
        fake = p.start_fake()
        exporter, log, base = p.start_exporter(p.write_config(github_config(
            # A window past the oldest open issue (90 days): every unanswered one counts.
            fake, repos=("acme/widgets", "acme/huge"),
            # REST alone (graphql = false): test_github_graphql.py compares the two modes.
            extra='graphql = false\nawaiting_response_window = "100d"\n[github.dora]\nsource = "deployments"\nenvironment = "production"\n')))
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        assert http(base + "/healthz") == (200, "OK\n")
        status, body = http(base + "/-/reload", method="POST", data=b"")
        assert status == 403 and "--web.enable-lifecycle" in body, "reload needs --web.enable-lifecycle"
        status, text = http(base + "/metrics")
        assert status == 200
        m = parse_metrics(text)
        repo = {"repo": "acme/widgets"}

        assert value(m, "kpi_exporter_collector_up", collector="github") == 1
        assert 1e6 < value(m, "process_resident_memory_bytes") < 1e9
        assert value(m, "process_open_fds") >= 3
        # CPU time as the kernel counts it (utime + stime in clock ticks), read right after the scrape.
        fields = open(f"/proc/{exporter.pid}/stat").read().rsplit(")", 1)[1].split()
        kernel_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        assert kernel_cpu - 0.05 <= value(m, "process_cpu_seconds_total") <= kernel_cpu, \
            (value(m, "process_cpu_seconds_total"), kernel_cpu)
        assert abs(value(m, "process_start_time_seconds") - value(m, "kpi_exporter_start_time_seconds")) < 5
        assert value(m, "github_repo_stars", **repo) == 1234
        assert value(m, "github_repo_forks", **repo) == 56
        assert value(m, "github_repo_watchers", **repo) == 78
        assert value(m, "github_repo_open_issues", **repo) == 110, "PRs must not count as issues"
        assert value(m, "github_repo_open_pull_requests", **repo) == 20
        assert value(m, "github_repo_contributors", **repo) == 142, "counted over both pages"
        assert value(m, "github_repo_info", repo="acme/widgets", default_branch="main", language="C++",
                     archived="false") == 1
        assert not any(dict(l).get("repo") == "acme/gadgets" for _, l in m), "archived org repo must be skipped"

        ci = {"repo": "acme/widgets", "workflow": "CI", "branch": "main"}
        release = dict(ci, workflow="Release")
        assert value(m, "github_workflow_failing", **ci) == 1
        assert value(m, "github_workflow_consecutive_failures", **ci) == 1
        assert value(m, "github_workflow_failing", **release) == 0, "a fork's pull request run must not fail CI"
        assert value(m, "github_workflow_consecutive_failures", **release) == 0
        assert abs(value(m, "github_workflow_success_ratio", **ci) - 7 / 9) < 1e-12
        assert value(m, "github_workflow_success_ratio", **release) == 1
        assert value(m, "github_workflow_last_run_duration_seconds", **ci) == 600
        assert value(m, "github_workflow_last_run_duration_seconds", **release) == 300
        assert not any(dict(l).get("workflow") == "Old" for _, l in m), "disabled workflow must have no series"

        month = {"repo": "acme/widgets", "window": "30d"}
        lead = "github_pull_request_merge_lead_time_seconds"
        assert value(m, lead, quantile="0.5", **month) == 2 * DAY
        assert value(m, lead + "_sum", **month) == 2 * DAY + 3600 + 2 * DAY
        assert value(m, lead + "_count", **month) == 3
        first = "github_issue_first_response_seconds"
        assert value(m, first, quantile="0.5", **month) == 10800
        assert value(m, first, quantile="0.9", **month) == DAY
        assert value(m, first + "_sum", **month) == 10800 + 7200 + DAY
        assert value(m, first + "_count", **month) == 3
        awaiting = dict(repo, window="100d")
        assert value(m, "github_issues_awaiting_response", **awaiting) == 108
        oldest = value(m, "github_issues_awaiting_response_oldest_age_seconds", **awaiting)
        assert 90 * DAY <= oldest < 90 * DAY + 300, oldest  # issue #1: only its author and a bot commented
        opened = "github_issues_opened"
        assert value(m, opened, window="1d", kind="all", **repo) == 2
        assert value(m, opened, window="1d", kind="bug", **repo) == 2
        assert value(m, opened, window="30d", kind="all", **repo) == 6
        assert value(m, opened, window="30d", kind="bug", **repo) == 3
        assert value(m, "github_rate_limit_remaining", resource="core") == 4990
        assert value(m, "github_rate_limit_limit", resource="search") == 30

        # Too large to count contributors: everything else is there, the poll is not failed.
        huge = {"repo": "acme/huge"}
        assert value(m, "github_repo_stars", **huge) == 99000
        assert value(m, "github_repo_open_issues", **huge) == 0
        assert ("github_repo_contributors", frozenset(huge.items())) not in m
        # DORA (tests/fixtures/generate.py derives each number). Times come from several answers rendered
        # a moment apart, so a second either way is allowed where two answers meet.
        def near(got, want, slack=2):
            return abs(got - want) <= slack

        for window, ok_count, failed in (("1d", 0, 0), ("7d", 1, 1), ("30d", 2, 1)):
            assert value(m, "github_deployments", window=window, **repo) == ok_count, window
            assert value(m, "github_deployments_failed", window=window, **repo) == failed, window
        assert near(value(m, "github_deployment_last_timestamp_seconds", **repo), time.time() - 2 * DAY, 30)
        dora_lead = "github_deployment_lead_time_seconds"
        assert value(m, dora_lead + "_count", **month) == 3
        assert near(value(m, dora_lead + "_sum", **month), 2 * DAY + DAY + 12 * 3600, 6)
        assert near(value(m, dora_lead, quantile="0.5", **month), DAY)
        assert abs(value(m, "github_change_failure_ratio", **month) - 2 / 3) < 1e-12
        assert near(value(m, "github_failed_deployment_recovery_seconds_sum", **month), DAY)
        assert value(m, "github_time_to_restore_seconds_sum", **month) == 3 * 3600
        assert value(m, "github_deployment_rework_ratio", **month) == 0.5
        assert ("github_deployments", frozenset({("repo", "acme/huge"), ("window", "30d")})) in m
        assert ("github_change_failure_ratio", frozenset({("repo", "acme/huge"), ("window", "30d")})) not in m, \
            "no decided deployment: no ratio"

        # Security: Dependabot over two cursor pages; every severity present.
        for severity, count in (("critical", 2), ("high", 1), ("medium", 0), ("low", 0)):
            assert value(m, "github_dependabot_alerts_open", severity=severity, **repo) == count, severity
        assert near(value(m, "github_dependabot_alert_oldest_open_seconds", severity="critical", **repo), 10 * DAY, 30)
        assert value(m, "github_dependabot_alert_oldest_open_seconds", severity="low", **repo) == 0
        assert value(m, "github_dependabot_alert_fix_seconds_count", **month) == 2
        assert value(m, "github_dependabot_alert_fix_seconds_sum", **month) == 3 * DAY + 10 * DAY
        for severity, count in (("critical", 0), ("high", 2), ("medium", 1), ("low", 0)):
            assert value(m, "github_code_scanning_alerts_open", severity=severity, **repo) == count, severity
        assert value(m, "github_secret_scanning_alerts_open", **repo) == 1
        assert not any(n.startswith(("github_dependabot", "github_code_scanning", "github_secret_scanning"))
                       and dict(l).get("repo") == "acme/huge" for n, l in m), "no security features: no series"

        for target in ("acme/widgets", "acme/huge", "org acme"):
            assert value(m, "kpi_exporter_target_up", collector="github", target=target) == 1, target
            assert value(m, "kpi_exporter_target_last_success_timestamp_seconds", collector="github", target=target) > 0

        # The repo answered 500 once and the client retried; page 2 of closed PRs (also 500) was never read.
        assert value(m, "kpi_exporter_upstream_requests_total", collector="github", code="500") == 1
        errors = {dict(l)["reason"]: v for (n, l), v in m.items() if n == "kpi_exporter_collector_errors_total"}
        assert set(errors) == {"unauthorized", "not_found", "rate_limited", "http_4xx", "http_5xx", "timeout",
                               "network", "response_too_large", "parse", "internal"}, errors
        assert set(errors.values()) == {0}, f"a retried 500 is not a failed poll: {errors}"
        promtool_check(text)

        # Prometheus asks for gzip: the same page comes back compressed.
        request = urllib.request.Request(base + "/metrics", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            zipped = response.read()
        unzipped = gzip.decompress(zipped).decode()
        assert len(zipped) * 3 < len(unzipped) and "github_repo_stars{repo=\"acme/widgets\"} 1234" in unzipped
        promtool_check(unzipped)
        # One gzip member: readers that stop after the first (curl --compressed, browsers) get it all.
        one_member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert one_member.decompress(zipped).decode() == unzipped and one_member.eof and not one_member.unused_data

        # The next poll revalidates with If-None-Match and gets 304s; values stay.
        def second_poll():
            s = parse_metrics(http(base + "/metrics")[1])
            key = ("kpi_exporter_upstream_requests_total", frozenset({("collector", "github"), ("code", "304")}))
            return s if s.get(key, 0) >= 1 and value(s, "kpi_exporter_collector_polls_total", collector="github") >= 2 \
                and value(s, "kpi_exporter_collector_up", collector="github") == 1 else None
        m2 = wait_for(second_poll, timeout=30, what="a second poll with 304s")
        assert value(m2, "github_repo_stars", **repo) == 1234
        assert value(m2, "github_repo_open_issues", **repo) == 110
        assert value(m2, "kpi_exporter_upstream_requests_total", collector="github", code="500") == 1
        # The cache that made the 304s possible holds this poll's URLs and dropped none.
        assert value(m2, "kpi_exporter_upstream_cache_entries", collector="github") >= 1  # the answers with an ETag
        assert value(m2, "kpi_exporter_upstream_cache_bytes", collector="github") > 0
        assert value(m2, "kpi_exporter_upstream_cache_evictions_total", collector="github") == 0

        # The token was sent to the fake API, and shows up nowhere we serve or log.
        requests = __import__("json").loads(http(fake + "/_control/requests")[1])
        assert requests and all(r["authorization"] == "Bearer " + TOKEN for r in requests)
        assert any(r["if_none_match"] for r in requests)
        landing = http(base + "/")[1]
        assert "github" in landing and 'class="ok"' in landing
        assert "<td>github</td><td>acme/huge</td><td class=\"ok\">ok</td>" in landing, "per-target health on the landing page"
        assert open(log).read().count("will not list contributors") == 1, "the contributors refusal is logged once, not every poll"
        assert open(log).read().count("acme/huge: Dependabot alerts are not available") == 1, "logged once"
        dependabot = [r for r in requests if "/dependabot/" in r.get("path", "")]
        assert len(dependabot) >= 4 and not any("page" in r.get("query", {}) for r in dependabot), \
            "the Dependabot listing pages by cursor only"
        assert any(r.get("query", {}).get("after") for r in dependabot)
        assert_fake_saw_no_problems(fake)
        for name, body in [("/metrics", http(base + "/metrics")[1]), ("landing page", landing), ("log", open(log).read())]:
            assert TOKEN not in body, f"token leaked into {name}"

        assert stop(exporter) == 0
    print("ok")


if __name__ == "__main__":
    main()
