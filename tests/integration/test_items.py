#!/usr/bin/env python3
"""Drill-down against the fake upstream: /api/v1/items in its documented shape with the filters and the 404
for an unknown collector, target or list; the list page and the KPI page in Debian's headless chromium
(JavaScript off, a phone viewport), linked from the scorecard and the target table; no secret anywhere.
Expected items from tests/fixtures/generate.py: Jira query "support", oldest open SUP-5 (3 days old) on a page
with more after it, so the total is the approximate count, 12.
GitHub (acme/widgets, awaiting_response_window 100d, [github.dora] on deployments), by hand from generate.py:
awaiting_response #1 (90d) then #4..#110 (31..59d), 108 in all, 20 shown; bugs_last_day #200 (2h), #201 (20h);
failing_workflows CI (its failure 20m ago, 1 in a row); longest_lead_time the PRs opened 3d and 31d ago (2d each,
in listing order) and 5d1h ago (1h); failed_deployments deployment 13 (d2, 3d ago); incidents #400; Dependabot
open critical #1 (10d), #6 (3d), high #2 (1d). Each total equals the metric it explains."""
import json
import os
import re
import sys
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from harness import (EXPORTER, JIRA_TOKEN, STRIPE_KEY, TOKEN, Processes, github_config, http,  # noqa: E402
                     jira_stripe_config, parse_metrics, set_route, value, wait_for)
from test_scorecard import chromium  # noqa: E402

KPIS = """
[[kpi]]
name = "oldest_ticket"
category = "support"
metric = "jira_issues_oldest_open_age_seconds"
direction = "lower"
target = 86400
"""


def main():
    with Processes() as p:
        fake = p.start_fake()
        exporter, log, base = p.start_exporter(p.write_config(jira_stripe_config(fake) + KPIS))
        wait_for(lambda: http(base + "/api/v1/items?collector=jira")[0] == 200, what="jira item lists")

        status, body = http(base + "/api/v1/items?collector=jira&target=support&list=oldest_open")
        assert status == 200, body
        answer = json.loads(body)
        assert answer["status"] == "success"
        [listed] = answer["data"]["lists"]
        assert {k: listed[k] for k in ("collector", "target", "list", "title", "metrics", "total", "truncated")} == {
            "collector": "jira", "target": "support", "list": "oldest_open", "title": "Oldest open tickets",
            "metrics": ["jira_issues_oldest_open_age_seconds"], "total": 12, "truncated": True}, listed
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", listed["updated"])
        [item] = listed["items"]
        assert item["id"] == "SUP-5" and item["url"] == fake + "/browse/SUP-5" and item["title"] == ""
        assert abs(item["age_seconds"] - 3 * 86400) < 120, item
        assert item["fields"] == {}
        # The filters, and what is unknown.
        assert [l["list"] for l in json.loads(http(base + "/api/v1/items?target=support")[1])["data"]["lists"]] == \
            ["oldest_open"]
        for query, named in (("collector=gitlab", "collector 'gitlab'"), ("collector=jira&target=nope", "target 'nope'"),
                             ("list=nope", "list 'nope'")):
            status, body = http(base + "/api/v1/items?" + query)
            assert status == 404, (query, status)
            error = json.loads(body)
            assert error["status"] == "error" and error["errorType"] == "not_found" and named in error["error"], error

        # The scorecard links the KPI and the target to their items.
        status, landing = http(base + "/")
        assert 'href="/items/kpi?name=oldest_ticket">12 items (1 shown)</a>' in landing, landing
        assert 'href="/items?collector=jira&amp;target=support">12 items (1 shown)</a>' in landing, landing

        artifacts = os.path.join(os.path.dirname(EXPORTER), "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        for path, shot in (("/items?collector=jira&target=support&list=oldest_open", "items-list.png"),
                           ("/items/kpi?name=oldest_ticket", "items-kpi.png")):
            dom = chromium("--dump-dom", base + path)
            assert re.search(r'<tr data-list="oldest_open" data-id="SUP-5"><td><a href="[^"]*/browse/SUP-5">SUP-5</a>', dom), dom
            assert re.search(r'<td class="truncated">1 of 12</td>', dom), dom
            assert "<script" not in dom
            shot_path = os.path.join(artifacts, shot)
            if os.path.exists(shot_path):
                os.remove(shot_path)
            chromium(f"--screenshot={shot_path}", base + path)
            with open(shot_path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n", "no screenshot"
        assert "Oldest open tickets · jira support" in chromium("--dump-dom", base + "/items?collector=jira&target=support&list=oldest_open")
        assert "KPI oldest_ticket: the items behind jira_issues_oldest_open_age_seconds" in \
            chromium("--dump-dom", base + "/items/kpi?name=oldest_ticket")
        assert http(base + "/items/kpi?name=nope")[0] == 404
        assert http(base + "/items?collector=nope")[0] == 404

        # No secret on any of it, nor in the log.
        for path in ("/api/v1/items", "/items", "/items/kpi?name=oldest_ticket", "/"):
            body = http(base + path)[1]
            assert JIRA_TOKEN not in body and STRIPE_KEY not in body, path
        time.sleep(0.1)
        assert JIRA_TOKEN not in open(log).read()
    github_lists()
    print("ok")


DAY = 86400


def github_lists():
    with Processes() as p:
        fake = p.start_fake()
        _, log, base = p.start_exporter(p.write_config(github_config(
            fake, repos=("acme/widgets",),
            extra='awaiting_response_window = "100d"\n[github.dora]\nsource = "deployments"\n')))
        api = base + "/api/v1/items?collector=github&target=" + urllib.parse.quote("acme/widgets", safe="")

        def lists():
            status, body = http(api)
            return {l["list"]: l for l in json.loads(body)["data"]["lists"]} if status == 200 else {}

        names = {"awaiting_response", "bugs_last_day", "failing_workflows", "longest_lead_time", "failed_deployments",
                 "incidents", "dependabot_critical_high"}
        wait_for(lambda: set(lists()) == names, what="the GitHub item lists")
        got = lists()
        m = parse_metrics(http(base + "/metrics")[1])
        repo = {"repo": "acme/widgets"}

        def ids(name):
            return [item["id"] for item in got[name]["items"]]

        awaiting = got["awaiting_response"]
        assert awaiting["total"] == 108 == value(m, "github_issues_awaiting_response", window="100d", **repo), awaiting
        assert awaiting["truncated"] and len(awaiting["items"]) == 20
        first = awaiting["items"][0]
        assert first["id"] == "#1" and first["url"] == "https://github.com/acme/widgets/issues/1", first
        assert first["title"] == "Issue number 1 with a title nobody should see in metrics"
        assert abs(first["age_seconds"] - 90 * DAY) < 300, first
        ages = [item["age_seconds"] for item in awaiting["items"]]
        assert ages == sorted(ages, reverse=True), "oldest first"
        assert not {"#2", "#3"} & set(ids("awaiting_response")), "answered issues are not awaiting"

        assert ids("bugs_last_day") == ["#200", "#201"], got["bugs_last_day"]
        assert got["bugs_last_day"]["total"] == 2 == value(m, "github_issues_opened", window="1d", kind="bug", **repo)

        [ci] = got["failing_workflows"]["items"]
        run_id = zlib.crc32(b"failure30m") % 10**9
        assert ci["id"] == "CI" and ci["url"] == f"https://github.com/acme/widgets/actions/runs/{run_id}", ci
        assert ci["fields"] == {"consecutive failures": "1", "file": ".github/workflows/ci.yml"}, ci
        assert abs(ci["age_seconds"] - 20 * 60) < 300, ci

        lead = got["longest_lead_time"]
        assert ids("longest_lead_time") == [f"#{zlib.crc32(c.encode()) % 1000}" for c in ("3d", "31d", "5d1h")], lead
        assert [item["fields"]["lead time"] for item in lead["items"]] == ["2d", "2d", "1h"], lead
        assert lead["items"][0]["url"].startswith("https://github.com/acme/widgets/pull/")
        assert lead["total"] == 3 == value(m, "github_pull_request_merge_lead_time_seconds_count", window="30d", **repo)

        [failed] = got["failed_deployments"]["items"]
        assert failed["id"] == "deployment 13" and failed["url"] == "https://ci.example/deployments/13/output", failed
        assert failed["fields"] == {"deployed": "d2"} and abs(failed["age_seconds"] - 3 * DAY) < 300, failed
        assert value(m, "github_deployments_failed", window="30d", **repo) == 1
        [incident] = got["incidents"]["items"]
        assert incident["id"] == "#400" and incident["url"] == "https://github.com/acme/widgets/issues/400", incident
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", incident["fields"]["closed"]), incident

        alerts = got["dependabot_critical_high"]
        assert ids("dependabot_critical_high") == ["#1", "#6", "#2"], alerts
        assert [item["fields"]["severity"] for item in alerts["items"]] == ["critical", "critical", "high"]
        assert alerts["items"][0]["title"] == "django"
        assert alerts["items"][0]["url"] == "https://github.com/acme/widgets/security/dependabot/1"
        assert alerts["total"] == 3 == sum(value(m, "github_dependabot_alerts_open", severity=s, **repo)
                                           for s in ("critical", "high"))

        # Titles are upstream text: a token planted in one is redacted like everywhere else.
        with open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "github", "issues_recent.json")) as f:
            recent = json.load(f)
        for issue in recent:
            if issue["number"] == 200:
                issue["title"] = f"Crash when the token {TOKEN} is set"
        set_route(fake, "github_issues_recent", [{"status": 200, "body": recent}])
        wait_for(lambda: "redacted" in lists().get("bugs_last_day", {}).get("items", [{}])[0].get("title", ""),
                 what="the planted title")
        for path in ("/api/v1/items", "/items?collector=github", "/"):
            status, body = http(base + path)
            assert status == 200 and TOKEN not in body, path
        assert "#200" in http(base + "/items?collector=github&target=acme%2Fwidgets&list=bugs_last_day")[1]
        time.sleep(0.1)
        assert TOKEN not in open(log).read()


if __name__ == "__main__":
    main()
