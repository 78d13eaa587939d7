#!/usr/bin/env python3
"""The landing page as the scorecard and /api/v1/scorecard against the fake upstream: every KPI with its
value, target, zone and deadline, the composite score and coverage, the collector and target health
tables; the JSON says the same; trend arrows and deadline forecasts from the values of earlier polls (the
stars grow between polls); the page in Debian's headless chromium (DOM checked, no JavaScript needed, a
phone viewport) with a screenshot kept as a test artifact in the build dir."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (EXPORTER, SOURCE_DIR, STRIPE_KEY, TOKEN, Processes, discord_pypi_config, github_config, http,  # noqa: E402
                     jira_stripe_config, parse_metrics, set_route, wait_for)

KPIS = """
[[kpi]]
name = "stars"
category = "community"
metric = "github_repo_stars"
target = 1
green = 2
deadline = "2027-06-30"

[[kpi]]
name = "downloads_month"
category = "adoption"
metric = "pypi_downloads"
labels = { window = "30d" }
target = 1000000000

[[kpi]]
name = "forks_missing"
category = "community"
metric = "github_repo_forks"
labels = { repo = "acme/not-configured" }
target = 5

[[kpi]]
name = "uptime"
category = "adoption"
expr = 'avg(up)'
target = 0.99

[scorecard]
weights = { community = 0.25, adoption = 0.5 }
"""


def chromium(*args):
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-javascript", "--window-size=412,915", *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def main():
    with Processes() as p:
        fake = p.start_fake()
        config = github_config(fake) + jira_stripe_config(fake) + discord_pypi_config(fake) + KPIS
        exporter, log, base = p.start_exporter(p.write_config(config))
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        samples = parse_metrics(http(base + "/metrics")[1])
        stars = sum(v for (n, l), v in samples.items() if n == "github_repo_stars")
        downloads = sum(v for (n, l), v in samples.items() if n == "pypi_downloads" and ("window", "30d") in l)

        status, body = http(base + "/api/v1/scorecard")
        assert status == 200, body
        card = json.loads(body)
        kpis = {k["name"]: k for k in card["kpis"]}
        assert list(kpis) == ["stars", "downloads_month", "forks_missing", "uptime"]
        assert kpis["stars"]["value"] == stars and stars >= 2 and kpis["stars"]["zone"] == "green"
        assert kpis["stars"]["status"] == 2 and kpis["stars"]["deadline"] == "2027-06-30"
        assert kpis["downloads_month"]["value"] == downloads and kpis["downloads_month"]["zone"] == "red"
        assert kpis["forks_missing"]["value"] is None and kpis["forks_missing"]["zone"] is None  # no data: not red
        assert kpis["uptime"]["evaluated_by"] == "prometheus" and kpis["uptime"]["value"] is None
        assert card["category_scores"] == {"community": 100, "adoption": 0}
        # Weights 0.25 and 0.5 normalised: (0.25 * 100 + 0.5 * 0) / 0.75.
        assert abs(card["composite_score"] - 100 / 3) < 1e-9, card
        assert card["coverage_ratio"] == 0.5
        # /metrics says the same.
        assert samples[("kpi_status", frozenset({("kpi", "stars"), ("category", "community")}))] == 2
        assert ("kpi_status", frozenset({("kpi", "forks_missing"), ("category", "community")})) not in samples

        # Trends and forecasts, without Prometheus: the stars grow from one poll to the next; the KPI then shows
        # up (better, since higher is better) from the first value, and the line through its polls meets the
        # target by the deadline. The downloads stay: flat. No data: no trend.
        assert kpis["stars"]["trend"] in (None, "flat"), kpis["stars"]
        with open(os.path.join(SOURCE_DIR, "tests", "fixtures", "github", "repo.json")) as f:
            repo = json.load(f)
        repo["stargazers_count"] = int(stars) + 66
        set_route(fake, "github_repo", [{"status": 200, "body": repo}])

        def grown():
            now = {k["name"]: k for k in json.loads(http(base + "/api/v1/scorecard")[1])["kpis"]}
            return now if now["stars"]["value"] == stars + 66 and now["downloads_month"]["trend"] == "flat" else None
        kpis = wait_for(grown, what="the stars of the next poll")
        assert kpis["stars"]["trend"] == "up" and kpis["stars"]["trend_from"] == stars, kpis["stars"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", kpis["stars"]["trend_since"]), kpis["stars"]
        assert kpis["stars"]["forecast_at_deadline"] > stars + 66 and kpis["stars"]["on_track"] is True, kpis["stars"]
        assert kpis["downloads_month"]["forecast_at_deadline"] is None  # no deadline, no forecast
        assert kpis["forks_missing"]["trend"] is None and kpis["forks_missing"]["trend_from"] is None
        stars += 66

        status, page = http(base + "/")
        assert status == 200
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert '<meta http-equiv="refresh"' in page
        assert "<script" not in page

        # The real browser, JavaScript off: what it builds from the page.
        dom = chromium("--dump-dom", base + "/")
        assert '<span class="score" id="composite">33.3</span>' in dom, dom
        assert '<span id="coverage">50 %</span>' in dom
        rows = {name: zone for zone, name in re.findall(r'<tr class="(\w+)" data-kpi="(\w+)">', dom)}
        assert rows == {"stars": "green", "downloads_month": "red",
                                                   "forks_missing": "unknown", "uptime": "unknown"}, rows
        stars_row = re.search(r'<tr class="green" data-kpi="stars">(.*?)</tr>', dom).group(1)
        assert f"<td>{int(stars)}</td>" in stars_row and "2027-06-30" in stars_row and "≥ 1" in stars_row, stars_row
        assert re.search(r'<td class="trend better" title="since [0-9T:Z-]+">↑ from %d</td>' % (stars - 66), stars_row), stars_row
        assert re.search(r'<td class="forecast">[0-9.e+]+ \(on track\)</td>', stars_row), stars_row
        downloads_row = re.search(r'<tr class="red" data-kpi="downloads_month">(.*?)</tr>', dom).group(1)
        assert '<td class="trend " title="since' in downloads_row and "→ unchanged" in downloads_row, downloads_row
        assert "<h2>Collectors</h2>" in dom and "<h2>Targets</h2>" in dom
        assert re.search(r"<td>discord</td><td>expired</td><td class=\"failed\">failed</td>", dom), dom
        assert STRIPE_KEY not in dom and TOKEN not in dom  # secrets never on a page
        artifacts = os.path.join(os.path.dirname(EXPORTER), "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        shot = os.path.join(artifacts, "scorecard.png")
        if os.path.exists(shot):
            os.remove(shot)
        chromium(f"--screenshot={shot}", base + "/")
        with open(shot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", "no screenshot"


if __name__ == "__main__":
    main()
