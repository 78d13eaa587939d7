#!/usr/bin/env python3
"""Bad upstream answers and bad reloads: the last good values stay, self-metrics
tell what happened, the process keeps running, and the token never leaks."""
import json
import os
import signal
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (TOKEN, Processes, github_config, http, parse_metrics, promtool_check, set_route, stop,  # noqa: E402
                     value, wait_for)

REPO = {"repo": "acme/widgets"}


def errors(m, reason):
    return m.get(("kpi_exporter_collector_errors_total", frozenset({("collector", "github"), ("reason", reason)})), 0)


def main():
    with Processes() as p:
        fake = p.start_fake()
        config = p.write_config(github_config(fake, interval="1s", extra="graphql = false\n"))  # REST's answers, hostile
        exporter, log, base = p.start_exporter(config, "--log.format=json", "--web.enable-lifecycle")
        scrape = lambda: parse_metrics(http(base + "/metrics")[1])  # noqa: E731
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        assert value(scrape(), "github_repo_stars", **REPO) == 1234

        # 1. A truncated answer: the poll fails with reason "parse", the last good values stay.
        set_route(fake, "github_repo", [{"status": 200, "body_text": '{"stargazers_count": 99, "forks_'}])
        m = wait_for(lambda: (lambda s: s if errors(s, "parse") >= 1 else None)(scrape()), what="a parse error")
        assert value(m, "kpi_exporter_collector_up", collector="github") == 0
        assert value(m, "github_repo_stars", **REPO) == 1234
        assert value(m, "github_repo_open_issues", **REPO) == 110
        landing = http(base + "/")[1]
        assert 'class="failed"' in landing and "malformed JSON" in landing

        # 2. A hostile answer: not JSON at all, and huge nesting.
        set_route(fake, "github_repo", [{"status": 200, "body_text": "[" * 50000}])
        before = errors(scrape(), "parse")
        wait_for(lambda: errors(scrape(), "parse") > before, what="another parse error")
        assert exporter.poll() is None, "exporter must survive hostile input"

        # 3. Persistent 5xx: retried, then the poll fails; values still stay.
        set_route(fake, "github_repo", [{"status": 502, "body_text": "bad gateway"}])
        m = wait_for(lambda: (lambda s: s if errors(s, "http_5xx") >= 1 else None)(scrape()), what="an http_5xx error")
        assert value(m, "github_repo_stars", **REPO) == 1234

        # 4. A 401: reported as unauthorized, no token in the message.
        set_route(fake, "github_repo", [{"status": 401, "body_text": '{"message": "Bad credentials"}'}])
        wait_for(lambda: errors(scrape(), "unauthorized") >= 1, what="an unauthorized error")

        # 5. Recovery: new values arrive, the collector is up again.
        set_route(fake, "github_repo", [{"status": 200, "body": {
            "stargazers_count": 1300, "forks_count": 56, "subscribers_count": 78, "open_issues_count": 130,
            "default_branch": "main", "language": "C++", "archived": False}}])
        m = wait_for(lambda: (lambda s: s if value(s, "github_repo_stars", **REPO) == 1300 else None)(scrape()),
                     what="recovered values")
        wait_for(lambda: value(scrape(), "kpi_exporter_collector_up", collector="github") == 1, what="collector up")

        # 5b. A label value as hostile as JSON allows (quote, backslash, newline, NUL, U+2028; the
        #     repository's language) is escaped so that promtool accepts the page.
        hostile = 'we"ird\\branch\nnew\u0000line\u2028sep'
        set_route(fake, "github_repo", [{"status": 200, "body": {
            "stargazers_count": 1300, "forks_count": 56, "subscribers_count": 78, "open_issues_count": 130,
            "default_branch": "main", "language": hostile, "archived": False}}])
        page = wait_for(lambda: (t := http(base + "/metrics")[1]) and 'language="we\\"ird' in t and t,
                        what="the hostile label values on the page")
        promtool_check(page)
        info = [labels for (name, labels) in parse_metrics(page) if name == "github_repo_info"]
        assert ("language", 'we\\"ird\\\\branch\\nnew\x00line\u2028sep') in info[0], info

        # 6. A broken config on reload (SIGHUP and POST /-/reload) keeps the old one running.
        good = open(config).read()
        with open(config, "w") as f:
            f.write(good + "\nunknown_key = 1\n")
        exporter.send_signal(signal.SIGHUP)
        wait_for(lambda: value(scrape(), "kpi_exporter_config_last_reload_successful") == 0, what="failed reload metric")
        status, body = http(base + "/-/reload", method="POST", data=b"")
        assert status == 500 and "unknown key 'unknown_key'" in body, (status, body)
        assert http(base + "/readyz")[0] == 200
        assert value(scrape(), "github_repo_stars", **REPO) == 1300
        with open(config, "w") as f:
            f.write(good)
        status, body = http(base + "/-/reload", method="POST", data=b"")
        assert status == 200, body
        assert value(scrape(), "kpi_exporter_config_last_reload_successful") == 1
        assert http(base + "/-/reload")[0] == 405, "reload must be POST only"
        assert http(base + "/-/reload/x", method="POST", data=b"")[0] == 404, "paths match exactly"
        status, body = http_with_headers(base + "/-/reload", {"Origin": "https://evil.example"})
        assert status == 403 and "Origin" in body, (status, body)
        for path in ("/METRICS", "/metrics/extra", "/healthz/", "/readyzz", "/x"):
            assert http(base + path)[0] == 404, path

        # 7. Nothing we serve or log carries the token; every log line is JSON.
        for name, text in [("metrics", http(base + "/metrics")[1]), ("landing", http(base + "/")[1])]:
            assert TOKEN not in text, f"token leaked into {name}"
        for line in open(log):
            if line.startswith("fake") or not line.strip():
                continue
            json.loads(line)
        assert TOKEN not in open(log).read(), "token leaked into the log"

        # 8. SIGTERM: a clean exit with code 0.
        assert stop(exporter) == 0
        assert '"msg":"stopped"' in open(log).read()
    print("ok")


def http_with_headers(url, headers):
    """A POST with extra headers, as a browser would send it; (status, body)."""
    request = urllib.request.Request(url, method="POST", data=b"", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


if __name__ == "__main__":
    main()
