#!/usr/bin/env python3
"""GitHub at organisation scale: API budget, cycle time, memory and serving,
measured against real peers in the same run. `bash scripts/bench.sh github`
runs it; every figure is reported, never asserted (shared, noisy machines).

1. Polling: the exporter polls a fake GitHub (tests/bench/fake_github.mjs) that
   charges like GitHub, holding --repos repositories of a mid-size shape.
   Per cycle: points spent per bucket (REST "core", and "graphql" priced by
   GitHub's formula, with the GraphQL queries and those GitHub would refuse),
   each as a share of a 5000/h token-hour at --interval, requests and 304s, wall time (the exporter's own
   kpi_exporter_collector_poll_duration_seconds), CPU time of the exporter,
   and how many repositories have every value right (compared with what the
   fake computes from the same data, first-response and awaiting-response
   values included, whichever API the exporter used). Cycles: the first, unchanged ones, and
   ones with --changed-share of the repositories changed before them.
2. Memory: the exporter's RSS against Debian's prometheus-pushgateway holding
   the same series (the exporter's page pushed to it).
3. Serving: wrk loads /metrics (plain and gzip) of the exporter, the same
   series on pushgateway, and Debian's nginx serving the exporter's gzip
   bytes from a file (what serving stored bytes costs at best).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN_HOUR = 5000  # a personal token's primary limit per hour, in each bucket (REST core, GraphQL)
BUCKETS = ("core", "graphql")


def http(url, data=None, method=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"bench: timed out waiting for {what}")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def samples(text):
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def value(metrics, name, labels):
    return metrics.get((name, "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}"))


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="kpi-bench-")
        self.procs = []
        self.rows = []

    def start(self, cmd, **kw):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, os.path.basename(cmd[0]) + ".log"), "a"), **kw)
        self.procs.append(p)
        return p

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.work, ignore_errors=True)

    # --- polling ------------------------------------------------------------
    def start_fake(self, latency_ms):
        port_file = os.path.join(self.work, f"fake-{latency_ms}.port")
        if os.path.exists(port_file):  # an earlier fake's: its port is closed now
            os.remove(port_file)
        fake = self.start(["node", os.path.join(ROOT, "tests/bench/fake_github.mjs"), f"--repos={self.args.repos}",
                           f"--latency-ms={latency_ms}", "--core-limit=1000000000", "--graphql-limit=1000000000",
                           f"--rest-per-minute={self.args.rest_requests_per_minute}", f"--port-file={port_file}"])
        port = wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 20, "the fake GitHub")
        return fake, f"http://127.0.0.1:{port}"

    def start_exporter(self, fake_url, name, max_items=20):
        config = os.path.join(self.work, f"{name}.toml")
        with open(config, "w") as f:
            f.write(f"""[exporter]
max_series_per_collector = 10000000

[drill_down]
max_items = {max_items}

[github]
api_url = "{fake_url}"
token = "bench-token"
orgs = ["bench"]
interval = "{self.args.cycle_gap}"
max_comment_requests = {self.args.max_comment_requests}
concurrency = {self.args.concurrency}
rest_requests_per_minute = {self.args.rest_requests_per_minute}
""")
        port = free_port()
        exporter = self.start([os.path.join(ROOT, "build/kpi_exporter"), f"--config.file={config}",
                               f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http(base + "/healthz"), 20, "the exporter")
        return exporter, base

    def polls(self, base):
        m = samples(http(base + "/metrics").decode())
        return sum(v for (n, l), v in m.items() if n == "kpi_exporter_collector_polls_total" and 'collector="github"' in l)

    def right_repos(self, metrics, expected):
        """How many repositories have every value right, and the first wrong one's differences."""
        right, wrong = 0, None
        for repo, values in expected.items():
            r = [("repo", repo)]
            got = {
                "github_repo_stars": value(metrics, "github_repo_stars", r),
                "github_repo_open_issues": value(metrics, "github_repo_open_issues", r),
                "github_repo_open_pull_requests": value(metrics, "github_repo_open_pull_requests", r),
                "github_repo_contributors": value(metrics, "github_repo_contributors", r),
                "github_issues_awaiting_response": value(metrics, "github_issues_awaiting_response", r + [("window", "30d")]),
                "github_issues_opened_30d": value(metrics, "github_issues_opened", r + [("window", "30d"), ("kind", "all")]),
                "github_issue_first_response_seconds_count":
                    value(metrics, "github_issue_first_response_seconds_count", r + [("window", "30d")]),
                "github_issue_first_response_seconds_sum":
                    value(metrics, "github_issue_first_response_seconds_sum", r + [("window", "30d")]),
                "github_pull_request_merge_lead_time_seconds_count":
                    value(metrics, "github_pull_request_merge_lead_time_seconds_count", r + [("window", "30d")]),
            }
            differences = {k: (got[k], v) for k, v in values.items() if got[k] is None or abs(got[k] - v) >= 1e-6}
            right += not differences
            wrong = wrong or (differences and {"repo": repo, "got, expected": differences})
        return right, wrong

    def cycles(self, latency_ms, plan):
        """Runs the exporter through `plan` (a list of (label, changed share))."""
        fake, fake_url = self.start_fake(latency_ms)
        # Before the exporter starts: its first poll begins at once and belongs to the first cycle.
        before = json.loads(http(fake_url + "/_control/stats"))
        exporter, base = self.start_exporter(fake_url, f"lat{latency_ms}")
        done = 0
        cpu = cpu_seconds(exporter.pid)
        results = []
        for label, share in plan:
            # The exporter sleeps --cycle-gap between polls: changes made now land in the next one.
            if share:
                http(fake_url + "/_control/change", json.dumps({"count": int(self.args.repos * share)}).encode(), "POST")
            wait_for(lambda: self.polls(base) > done, self.args.cycle_timeout, f"poll {done + 1}")
            stats = json.loads(http(fake_url + "/_control/stats"))  # first: the next poll has not begun
            done = self.polls(base)
            now_cpu = cpu_seconds(exporter.pid)
            metrics = samples(http(base + "/metrics").decode())
            duration = value(metrics, "kpi_exporter_collector_poll_duration_seconds", [("collector", "github")])
            expected = json.loads(http(fake_url + "/_control/expected"))
            routes = {k: v - before["routes"].get(k, 0) for k, v in stats["routes"].items()}
            graphql = {k: v - before["graphql"][k] for k, v in stats["graphql"].items()}
            right, wrong = self.right_repos(metrics, expected)
            results.append({"cycle": label, "latency_ms": latency_ms,
                            "points": {b: stats["points"][b] - before["points"][b] for b in BUCKETS},
                            "graphql_queries": graphql["queries"], "graphql_refused": graphql["invalid"] + graphql["rate_limited"],
                            "graphql_last_refused": stats["graphql_last_refused"],
                            "requests": stats["requests"] - before["requests"],
                            "not_modified": stats["not_modified"] - before["not_modified"],
                            "secondary_limited": stats["secondary_limited"] - before["secondary_limited"],
                            "wall_s": duration, "cpu_s": now_cpu - cpu,
                            "right": right, "first_wrong": wrong, "rss_mib": rss_mib(exporter.pid),
                            "routes": routes})
            before, cpu = stats, now_cpu
            print(f"bench: {label} at {latency_ms} ms: {results[-1]}", file=sys.stderr)
        return results, exporter, base, fake

    def drill_down_off_rss(self, polls):
        """RSS of an exporter with the item lists off ([drill_down] max_items = 0) after `polls` polls."""
        fake, fake_url = self.start_fake(0)
        exporter, base = self.start_exporter(fake_url, "drill-down-off", max_items=0)
        wait_for(lambda: self.polls(base) >= polls, self.args.cycle_timeout, f"{polls} polls with drill-down off")
        rss = rss_mib(exporter.pid)
        exporter.send_signal(signal.SIGTERM)
        fake.send_signal(signal.SIGTERM)
        return rss

    # --- serving ------------------------------------------------------------
    def wrk(self, url, gzip):
        cmd = ["wrk", "-t2", "-c16", f"-d{self.args.seconds}s", url]
        if gzip:
            cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        total = int(re.search(r"(\d+) requests in", out).group(1))
        return rate, total

    def serving(self, exporter, base):
        page = http(base + "/metrics")
        zipped = http(base + "/metrics", headers={"Accept-Encoding": "gzip"})
        series = sum(1 for line in page.decode().splitlines() if line and not line.startswith("#"))
        # pushgateway: the same series (its own process_* families would clash with ours).
        push_port = free_port()
        pushgateway = self.start(["/usr/bin/prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{push_port}",
                                  "--log.level=warn"])
        push = f"http://127.0.0.1:{push_port}"
        wait_for(lambda: http(push + "/-/ready"), 20, "pushgateway")
        families, keep = [], True
        for line in page.decode().splitlines(keepends=True):
            if line.startswith("# HELP "):
                keep = not line.split()[2].startswith("process_")
            if keep:
                families.append(line)
        http(push + "/metrics/job/bench", "".join(families).encode(), "PUT")
        # nginx: the exporter's gzip bytes from a file, as a static server serves them at best.
        nginx_port = free_port()
        root = os.path.join(self.work, "www")
        os.makedirs(root, exist_ok=True)
        os.chmod(self.work, 0o755)  # nginx's workers run as another user when started by root
        with open(os.path.join(root, "metrics"), "wb") as f:
            f.write(zipped)
        conf = os.path.join(self.work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes auto; pid {self.work}/nginx.pid; daemon off; error_log {self.work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; server {{ listen 127.0.0.1:{nginx_port}; root {root};
  location = /metrics {{ default_type "text/plain; version=0.0.4"; add_header Content-Encoding gzip; }} }} }}
""")
        self.start(["/usr/sbin/nginx", "-c", conf, "-p", self.work])
        nginx = f"http://127.0.0.1:{nginx_port}"
        wait_for(lambda: http(nginx + "/metrics"), 20, "nginx")

        rows = []
        for gzip in (False, True):
            before = cpu_seconds(exporter.pid)
            kpi_rate, kpi_total = self.wrk(base + "/metrics", gzip)
            kpi_cpu_ms = (cpu_seconds(exporter.pid) - before) * 1000 / max(kpi_total, 1)
            push_rate, _ = self.wrk(push + "/metrics", gzip)
            row = {"gzip": gzip, "kpi_rps": kpi_rate, "kpi_cpu_ms_per_scrape": kpi_cpu_ms, "pushgateway_rps": push_rate}
            if gzip:
                row["nginx_rps"], _ = self.wrk(nginx + "/metrics", True)
            rows.append(row)
            print(f"bench: serving {row}", file=sys.stderr)
        memory = {"series": series, "page_bytes": len(page), "gzip_bytes": len(zipped),
                  "kpi_rss_mib": rss_mib(exporter.pid), "pushgateway_rss_mib": rss_mib(pushgateway.pid)}
        return rows, memory


def report(args, cycles, serving, memory, drill_down):
    per_hour = 3600 / args.interval_seconds
    print(f"\n### GitHub at scale: {args.repos} repositories, {args.interval} interval "
          f"(`bash scripts/bench.sh github`, {time.strftime('%Y-%m-%d')})\n")
    hour_share = lambda points: f"{points * per_hour / TOKEN_HOUR:.0%}"
    print("| cycle | upstream latency | core points | GraphQL points (queries, refused) | token-hour share: core, GraphQL "
          "| requests (304, secondary-limited) | wall s | CPU s | repositories right | RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in cycles:
        wall = f"{c['wall_s']:.1f}" if c["wall_s"] is not None else "?"
        core, graphql = c["points"]["core"], c["points"]["graphql"]
        print(f"| {c['cycle']} | {c['latency_ms']} ms | {core} | {graphql} ({c['graphql_queries']}, {c['graphql_refused']}) | "
              f"{hour_share(core)}, {hour_share(graphql)} | {c['requests']} ({c['not_modified']}, {c['secondary_limited']}) | "
              f"{wall} | {c['cpu_s']:.1f} | {c['right']}/{args.repos} | {c['rss_mib']:.0f} |")
    unchanged = [c for c in cycles if c["cycle"] == "unchanged" and c["latency_ms"] == 0]
    changed = [c for c in cycles if c["cycle"].startswith("changed") and c["latency_ms"] == 0]
    first = [c for c in cycles if c["cycle"] == "first" and c["latency_ms"] == 0]
    spent = lambda c: sum(c["points"].values())  # all buckets together, each 5000/h on one token
    print(f"\nToken-hour shares are per hour of {args.interval} cycles, against 5000 points in each bucket; "
          "below, all buckets together.\n")
    if first:
        print(f"- first cycle: {spent(first[0]) / TOKEN_HOUR:.2f} token-hours (target at most 0.5)")
    if unchanged:
        share = spent(unchanged[-1]) * per_hour / TOKEN_HOUR
        print(f"- an unchanged hour: {share:.0%} of one 5000/h token (target at most 10 %)")
        per_repo_hour = spent(unchanged[-1]) * per_hour / args.repos
        for n in (10000, 50000):
            print(f"- {n} repositories at this interval: {n * per_repo_hour / TOKEN_HOUR:.1f} tokens (unchanged hours)")
    if changed:
        print(f"- an hour with {args.changed_share:.0%} changed per cycle: "
              f"{spent(changed[-1]) * per_hour / TOKEN_HOUR:.0%} of a token (target at most 20 %)")
    refused = sum(c["graphql_refused"] for c in cycles)
    if refused:
        last = next(c["graphql_last_refused"] for c in reversed(cycles) if c["graphql_last_refused"])
        print(f"- {refused} GraphQL queries refused (invalid against GitHub's schema, over its query limits, or "
              f"rate-limited); the last one's errors: {json.dumps(last)[:2000]}")
    print("\n| serving | kpi_exporter scrapes/s | pushgateway scrapes/s | ratio | nginx (stored gzip) scrapes/s | share of nginx | exporter CPU ms/scrape |")
    print("|---|---|---|---|---|---|---|")
    for s in serving:
        nginx = s.get("nginx_rps")
        nginx_rps = f"{nginx:.0f}" if nginx else "-"
        share = f"{s['kpi_rps'] / nginx:.0%}" if nginx else "-"
        print(f"| {'gzip' if s['gzip'] else 'plain'} | {s['kpi_rps']:.0f} | {s['pushgateway_rps']:.0f} | "
              f"{s['kpi_rps'] / s['pushgateway_rps']:.1f}x | {nginx_rps} | {share} | {s['kpi_cpu_ms_per_scrape']:.3f} |")
    print(f"\nMemory with {memory['series']} series ({memory['page_bytes']} bytes, gzip {memory['gzip_bytes']}): "
          f"exporter {memory['kpi_rss_mib']:.0f} MiB, pushgateway {memory['pushgateway_rss_mib']:.0f} MiB "
          f"({memory['kpi_rss_mib'] / memory['pushgateway_rss_mib']:.2f}x)")
    if drill_down:
        on, off = drill_down
        print(f"\nDrill-down lists after {args.unchanged + 1} polls: exporter RSS {on:.0f} MiB with `max_items = 20` (the "
              f"default), {off:.0f} MiB with the lists off (`max_items = 0`): {on / off:.2f}x")


def seconds_of(duration):
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", duration))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--interval", default="5m", help="the exporter's interval (budget figures are per hour of it)")
    parser.add_argument("--unchanged", type=int, default=2, help="unchanged cycles after the first")
    parser.add_argument("--changed-share", type=float, default=0.05)
    parser.add_argument("--latency-ms", type=int, default=50, help="a second run with this upstream latency (0: none)")
    parser.add_argument("--max-comment-requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8, help="[github] concurrency: requests in flight")
    parser.add_argument("--rest-requests-per-minute", type=int, default=900,
                        help="[github] rest_requests_per_minute: GitHub's secondary limit; 0 unpaced (GHES without limits)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per serving measure")
    parser.add_argument("--cycle-timeout", type=int, default=1800)
    # The exporter really polls every --cycle-gap (the bench waits for each
    # poll); --interval only sets the per-hour budget arithmetic.
    parser.add_argument("--cycle-gap", default="15s")
    args = parser.parse_args()
    args.interval_seconds = seconds_of(args.interval)
    bench = Bench(args)
    try:
        plan = [("first", 0)] + [("unchanged", 0)] * args.unchanged + [(f"changed {args.changed_share:.0%}", args.changed_share)]
        cycles, exporter, base, fake = bench.cycles(0, plan)
        serving, memory = bench.serving(exporter, base)
        exporter.send_signal(signal.SIGTERM)
        fake.send_signal(signal.SIGTERM)
        # The same number of polls with the lists off: what the drill-down costs in memory (issue 18).
        on = [c["rss_mib"] for c in cycles if c["cycle"] == "unchanged"]
        drill_down = (on[-1], bench.drill_down_off_rss(args.unchanged + 1)) if on else None
        if args.latency_ms:
            more, *_ = bench.cycles(args.latency_ms, [("first", 0), ("unchanged", 0)])
            cycles += more
        report(args, cycles, serving, memory, drill_down)
    finally:
        bench.stop()


if __name__ == "__main__":
    main()
