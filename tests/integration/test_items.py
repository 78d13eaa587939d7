#!/usr/bin/env python3
"""Drill-down against the fake upstream: /api/v1/items in its documented shape with the filters and the 404
for an unknown collector, target or list; the list page and the KPI page in Debian's headless chromium
(JavaScript off, a phone viewport), linked from the scorecard and the target table; no secret anywhere.
Expected items from tests/fixtures/generate.py: Jira query "support", oldest open SUP-5 (3 days old) on a page
with more after it, so the total is the approximate count, 12."""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (EXPORTER, JIRA_TOKEN, STRIPE_KEY, Processes, http, jira_stripe_config, wait_for)  # noqa: E402
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
    print("ok")


if __name__ == "__main__":
    main()
