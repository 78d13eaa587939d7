#!/usr/bin/env python3
"""`kpi_exporter report` against a real Prometheus (Debian's, the generated rules, 1s scrape and
evaluation) that scraped the exporter over the fake upstream. Between the range's start and end the
upstream changes (stars up, CI turning red), so the review shows every kind of row: a zone change,
trends better and worse, flat, no data, a forecast on track and a deadline passed, the composite's
change. The Markdown must equal tests/fixtures/report/review.md with only what truly varies (timestamps,
loopback ports) normalised; KPI_UPDATE_GOLDEN=1 rewrites it.

The items behind red KPIs come from a loopback server in this test serving the /api/v1/items contract
(behind basic auth, to prove credentials in --exporter.url travel as a header and never show), and then
from the running exporter's own /api/v1/items (the failing workflow behind the red CI KPI). Also: HTML to a file (rendered in Debian's
headless chromium), the review without
Prometheus and with an unreachable one, bad flags (exit 2), nothing reachable (exit 1)."""
import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from harness import (free_port, EXPORTER, FIXTURES, TOKEN, Processes, ci_runs, github_config, http, set_route,  # noqa: E402
                     wait_for)
from test_scorecard import chromium  # noqa: E402

GOLDEN = os.path.join(FIXTURES, "report", "review.md")

KPIS = """
[[kpi]]
name = "stars"
category = "community"
metric = "github_repo_stars"
target = 1240
green = 1300
red = 1200

[[kpi]]
name = "first_response"
category = "community"
metric = "github_issue_first_response_seconds"
aggregate = "mean"
direction = "lower"
target = 86400
deadline = "2099-06-30"

[[kpi]]
name = "forks"
category = "community"
metric = "github_repo_forks"
target = 100
deadline = "2025-06-30"

[[kpi]]
name = "forks_missing"
category = "community"
metric = "github_repo_forks"
labels = { repo = "acme/not-configured" }
target = 5

[[kpi]]
name = "ci_failing"
category = "delivery"
metric = "github_workflow_failing"
aggregate = "max"
direction = "lower"
target = 0

[[kpi]]
name = "scrape_up"
category = "delivery"
expr = 'avg(up{job="kpi-exporter"})'
target = 0.99

[scorecard]
weights = { community = 0.5, delivery = 0.5 }
forecast_range = "5m"
"""

ITEMS_USER, ITEMS_PASSWORD = "reviewer", "items-s3cret-pw"
PROM_PASSWORD = "pr0m-s3cret-pw"

# The /api/v1/items contract: seven failing workflows (five shown), a title full of Markdown, a URL with
# parentheses; a list behind a metric of no red KPI (not shown).
ITEMS = {"status": "success", "data": {"lists": [
    {"collector": "github", "target": "acme/widgets", "list": "failing_workflows", "title": "Failing workflows",
     "metrics": ["github_workflow_failing", "github_workflow_success_ratio"], "updated": "2026-12-01T09:00:00Z",
     "total": 7, "truncated": False,
     "items": [{"id": "CI", "title": "CI | *main* [nightly](x) <b>", "url": "https://github.com/acme/widgets/actions/runs/(1)",
                "since": "2026-11-30T09:00:00Z", "age_seconds": 90000, "fields": {"consecutive_failures": 3}}] +
              [{"id": f"wf-{i}", "title": f"Workflow {i}", "url": f"https://github.com/acme/widgets/actions/runs/{i}",
                "since": "2026-12-01T08:00:00Z", "age_seconds": 3600, "fields": {}} for i in range(2, 8)]},
    {"collector": "github", "target": "acme/widgets", "list": "awaiting_response", "title": "Awaiting a first response",
     "metrics": ["github_issues_awaiting_response_oldest_age_seconds"], "updated": "2026-12-01T09:00:00Z",
     "total": 1, "truncated": False,
     "items": [{"id": "#7", "title": "Question", "url": "https://github.com/acme/widgets/issues/7",
                "since": "2026-11-01T00:00:00Z", "age_seconds": 2678400, "fields": {}}]}]}}


class ItemsServer:
    """Serves ITEMS on /api/v1/items to the right basic-auth credentials; 401 otherwise, 404 elsewhere."""

    def __init__(self):
        self.authorizations = []
        server = self
        expected = "Basic " + base64.b64encode(f"{ITEMS_USER}:{ITEMS_PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.authorizations.append(self.headers.get("Authorization"))
                if self.headers.get("Authorization") != expected:
                    status, body = 401, b"unauthorized"
                elif self.path == "/api/v1/items":
                    status, body = 200, json.dumps(ITEMS).encode()
                else:
                    status, body = 404, b"not found"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def report(*args, check=True):
    r = subprocess.run([EXPORTER, "report", *args], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, KPI_TEST_TOKEN=TOKEN))
    if check:
        assert r.returncode == 0, f"report {args} exited {r.returncode}:\n{r.stderr}"
    return r


def normalise(text):
    """Only what varies between runs: timestamps and loopback ports."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    items = ItemsServer()
    with Processes() as p:
        fake = p.start_fake()
        set_route(fake, "github_ci_runs", ci_runs("success"))
        config = p.write_config(github_config(fake, interval="1s") + KPIS)
        rules = subprocess.run([EXPORTER, "rules", f"--config.file={config}"], capture_output=True, text=True,
                               check=True)
        rules_file = p.write_config(rules.stdout, "rules.yml")
        _, _, exporter_url = p.start_exporter(config)
        prom_port = free_port()
        prom_config = f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["{rules_file}"]
scrape_configs:
  - job_name: kpi-exporter
    static_configs:
      - targets: ["{exporter_url.removeprefix('http://')}"]
"""
        p.spawn(["prometheus", f"--config.file={p.write_config(prom_config, 'prometheus.yml')}",
                 f"--storage.tsdb.path={p.path('prom-data')}", f"--web.listen-address=127.0.0.1:{prom_port}"],
                "prometheus")
        prom = f"http://127.0.0.1:{prom_port}"

        def rule_value(expr):
            status, body = http(f"{prom}/api/v1/query?query={urllib.parse.quote(expr)}")
            result = json.loads(body)["data"]["result"] if status == 200 else []
            return result[0]["value"][1] if len(result) == 1 else None

        def settled(stars, ci_failing):
            return (rule_value('kpi:value{kpi="stars"}') == stars and
                    rule_value('kpi:value{kpi="ci_failing"}') == ci_failing and
                    rule_value('kpi:status{kpi="ci_failing"}') == ("2" if ci_failing == "0" else "0") and
                    rule_value('kpi:value{kpi="first_response"}') is not None and
                    rule_value('kpi:value{kpi="scrape_up"}') == "1" and
                    rule_value('kpi:forecast_at_deadline{kpi="first_response"}') is not None and
                    rule_value("kpi:composite_score") is not None)

        wait_for(lambda: settled("1234", "0"), timeout=90, what="Prometheus evaluating the first values")
        start = int(time.time()) + 2  # the range's start: well inside the first phase
        time.sleep(max(0.0, start + 1 - time.time()))

        # The second phase: more stars (yellow to green), CI failing (green to red).
        with open(os.path.join(FIXTURES, "github", "repo.json")) as f:
            repo = json.load(f)
        repo["stargazers_count"] = 1310
        set_route(fake, "github_repo", [{"status": 200, "body": repo}])
        set_route(fake, "github_ci_runs", ci_runs("failure"))
        wait_for(lambda: settled("1310", "1"), timeout=60, what="Prometheus evaluating the second values")
        end = start + 30
        assert time.time() < end, "the second phase took longer than the range"
        time.sleep(end + 3 - time.time())  # Prometheus has evaluated past the range's end

        # The review, with the items from the loopback server (credentials in the URL).
        prom_with_secret = f"http://alice:{PROM_PASSWORD}@127.0.0.1:{prom_port}"
        items_url = f"http://{ITEMS_USER}:{ITEMS_PASSWORD}@127.0.0.1:{items.port}/"
        r = report(f"--config.file={config}", f"--prometheus.url={prom_with_secret}", f"--exporter.url={items_url}",
                   "--range=30s", f"--time={rfc3339(end)}")
        for secret in (PROM_PASSWORD, ITEMS_PASSWORD, TOKEN):
            assert secret not in r.stdout + r.stderr
        assert set(items.authorizations) == {"Basic " + base64.b64encode(f"{ITEMS_USER}:{ITEMS_PASSWORD}".encode()).decode()}
        assert f"From {rfc3339(start)} to {rfc3339(end)} (30s)." in r.stdout, r.stdout
        got = normalise(r.stdout)
        if os.environ.get("KPI_UPDATE_GOLDEN"):
            os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
            with open(GOLDEN, "w") as f:
                f.write(got)
        with open(GOLDEN) as f:
            want = f.read()
        assert got == want, f"the review differs from {GOLDEN}:\n--- got ---\n{got}\n--- want ---\n{want}"

        # The same as HTML, to a file.
        html_file = p.path("review.html")
        r = report(f"--config.file={config}", f"--prometheus.url={prom}", f"--exporter.url={items_url}",
                   "--range=30s", f"--time={rfc3339(end)}", "--format=html", f"--out={html_file}")
        assert r.stdout == ""
        with open(html_file) as f:
            html = f.read()
        assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "<link" not in html  # self-contained
        assert '<tr class="red" data-kpi="ci_failing">' in html and '<tr class="green" data-kpi="stars">' in html
        assert '<a href="https://github.com/acme/widgets/actions/runs/(1)">CI | *main* [nightly](x) &lt;b&gt;</a>' in html
        assert ITEMS_PASSWORD not in html
        # As a mail reader or browser shows it: Debian's headless chromium, no JavaScript, a phone's width.
        dom = chromium("--dump-dom", "file://" + html_file)
        assert re.search(r'<tr class="red" data-kpi="ci_failing">', dom), dom
        assert '<a href="https://github.com/acme/widgets/actions/runs/(1)">CI | *main* [nightly](x) &lt;b&gt;</a>' in dom, dom
        shot = os.path.join(os.path.dirname(EXPORTER), "test-artifacts", "report.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        if os.path.exists(shot):
            os.remove(shot)
        chromium(f"--screenshot={shot}", "file://" + html_file)
        with open(shot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", "no screenshot of the HTML report"

        # The running exporter as --exporter.url: its real /api/v1/items, with CI now failing on acme/widgets.
        r = report(f"--config.file={config}", f"--prometheus.url={prom}", f"--exporter.url={exporter_url}",
                   "--range=30s", f"--time={rfc3339(end)}")
        assert "Items not listed" not in r.stdout, r.stdout
        assert re.search(r"Failing workflows on the default branch \(github, acme/widgets\): \d", r.stdout), r.stdout

        # Without Prometheus: the exporter's current values, and what could not be compared.
        r = report(f"--exporter.url={exporter_url}", "--range=7d")
        assert "Values from the exporter at " + exporter_url + " (current values only)." in r.stdout, r.stdout
        assert "| stars | community | 1310 | — | ≥ 1240 | 🟢 green |   |   |" in r.stdout, r.stdout
        assert "| scrape\\_up | delivery | no data | — | ≥ 0.99 | ⚪ unknown |   |   |" in r.stdout, r.stdout
        assert ("- No --prometheus.url given: the values are the exporter's current ones, so this report has no "
                "values at the range's start, no trends, no forecasts and no change of the composite score.") in r.stdout
        assert "- PromQL KPIs have values only in Prometheus: scrape\\_up." in r.stdout
        # An unreachable Prometheus: the same, saying why.
        closed = free_port()
        r = report(f"--config.file={config}", f"--prometheus.url=http://alice:{PROM_PASSWORD}@127.0.0.1:{closed}",
                   f"--exporter.url={exporter_url}")
        assert f"- Prometheus at http://127.0.0.1:{closed} could not be read (" in r.stdout, r.stdout
        assert PROM_PASSWORD not in r.stdout + r.stderr

        # Nothing to report from: exit 1; bad flags: exit 2, the message names the flag.
        r = report(f"--config.file={config}", f"--prometheus.url=http://127.0.0.1:{closed}", check=False)
        assert r.returncode == 1 and "nothing to report" in r.stderr and r.stdout == "", r
        for args, message in [(["--range=soon", f"--exporter.url={exporter_url}"], "--range must be a duration"),
                              (["--format=pdf", f"--exporter.url={exporter_url}"], "--format must be markdown or html"),
                              (["--time=yesterday", f"--exporter.url={exporter_url}"], "--time must be an RFC 3339"),
                              ([f"--prometheus.url={prom}"], "report needs --config.file or --exporter.url"),
                              ([f"--exporter.url=ftp://alice:{PROM_PASSWORD}@host/"], "--exporter.url must be an http")]:
            r = report(*args, check=False)
            assert r.returncode == 2 and message in r.stderr, (args, r)
            assert PROM_PASSWORD not in r.stderr
    items.server.shutdown()
    print("ok")


if __name__ == "__main__":
    main()
