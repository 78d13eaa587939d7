"""Shared helpers for the integration tests: start the fake upstream and the
real kpi_exporter binary on loopback (port 0), scrape, parse, clean up."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

EXPORTER = os.environ.get("KPI_EXPORTER", "build/kpi_exporter")
DASHBOARD = os.environ.get("KPI_DASHBOARD", "build/kpi_dashboard")  # the dashboard generator
SOURCE_DIR = os.environ.get("KPI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures")
FAKE = os.path.join(SOURCE_DIR, "tests", "fake_upstream", "fake_upstream.py")
TOKEN = "ghp_IntegrationTestToken_d0_n0t_l3ak"
# The fake upstream checks these (tests/fixtures/generate.py).
JIRA_TOKEN = "jira-fixture-token"
STRIPE_KEY = "sk_test_fixture_key"
DISCORD_TOKEN = "discord-fixture-token"


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def free_port():
    """A loopback port free right now, for servers that cannot take port 0 and report it (Prometheus, Alertmanager)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, method="GET", data=None):
    """Returns (status, body text); never raises for HTTP error statuses."""
    request = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# As KPI_SANITIZER_REPORT_REGEX in tests/CMakeLists.txt: ASan, LSan, TSan, UBSan reports.
SANITIZER_REPORT = re.compile(r"Sanitizer: |: runtime error: ")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): float} for every sample line."""
    samples = {}
    for line in text.split("\n"):  # the text format ends lines with \n only (splitlines would also cut at U+2028)
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"unparseable sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def value(samples, metric, /, **labels):
    key = (metric, frozenset(labels.items()))
    assert key in samples, f"missing series {metric}{labels}; have: " + \
        ", ".join(sorted(f"{n}{dict(l)}" for n, l in samples if n == metric))
    return samples[key]


class Processes:
    """Starts processes and guarantees they are stopped, also when a test fails."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kpi-it-")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for proc, _ in self.procs:
            if proc.poll() is None:
                # A clean stop first: a sanitized exporter checks for leaks only when it exits.
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        if exc[0] is None:
            self.assert_no_sanitizer_report()  # raises before the logs are removed
            shutil.rmtree(self.dir, ignore_errors=True)  # kept on failure, for the logs
        else:
            for proc, log in self.procs:
                sys.stderr.write(f"--- log of {proc.args[0]} ---\n")
                with open(log) as f:
                    sys.stderr.write(f.read()[-6000:])
        return False

    def assert_no_sanitizer_report(self):
        """A sanitized exporter (scripts/test.sh) aborts on its first finding, but a finding in a
        process the test no longer watches (one killed at the end, a leak reported at exit) would
        pass unseen: fail the test on any report in an exporter's log."""
        for proc, log in self.procs:
            if proc.args[0] != EXPORTER:
                continue
            with open(log, errors="replace") as f:
                text = f.read()
            m = SANITIZER_REPORT.search(text)
            if m:
                raise AssertionError(f"sanitizer report in {log}:\n{text[max(0, m.start() - 200):][:8000]}")

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, args, name, env=None):
        log = self.path(name + ".log")
        proc = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                env=dict(os.environ, **(env or {})))
        self.procs.append((proc, log))
        return proc, log

    def start_fake(self, *args, name="fake"):
        """Starts the fake upstream (extra `args` go to it, e.g. its GitHub App mode); `name` tells two apart."""
        port_file = self.path(name + ".port")
        self.spawn([sys.executable, FAKE, "--fixtures", FIXTURES, "--port", "0", "--port-file", port_file, *args],
                   name)
        port = wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(), what="fake upstream port")
        return f"http://127.0.0.1:{port}"

    def write_config(self, text, name="kpi.toml"):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_exporter(self, config, *flags, env=None):
        env = dict({"KPI_TEST_TOKEN": TOKEN, "KPI_JIRA_TOKEN": JIRA_TOKEN, "KPI_STRIPE_KEY": STRIPE_KEY,
                    "KPI_DISCORD_TOKEN": DISCORD_TOKEN}, **(env or {}))
        proc, log = self.spawn([EXPORTER, f"--config.file={config}", "--web.listen-address=127.0.0.1:0",
                                "--log.level=debug", *flags], "exporter", env)

        def port():
            if proc.poll() is not None:
                raise AssertionError(f"exporter exited with {proc.returncode}: {open(log).read()}")
            # logfmt: msg="kpi-exporter started" ... port=N; JSON: "msg":"kpi-exporter started",..."port":"N"
            m = re.search(r'kpi-exporter started.*[ "]port(?:=|":")(\d+)', open(log).read())
            return m and m.group(1)

        base = f"http://127.0.0.1:{wait_for(port, what='exporter start')}"
        return proc, log, base


def github_config(fake_url, interval="2s", extra="", repos=("acme/widgets",)):
    repo_list = ", ".join(f'"{r}"' for r in repos)
    return f"""
[github]
api_url = "{fake_url}"
token = "${{KPI_TEST_TOKEN}}"
repos = [{repo_list}]
orgs = ["acme"]
interval = "{interval}"
timeout = "5s"
{extra}
"""


def jira_stripe_config(fake_url, interval="2s"):
    return f"""
[jira]
url = "{fake_url}"
email = "demo@acme.test"
token = "${{KPI_JIRA_TOKEN}}"
interval = "{interval}"

[[jira.queries]]
name = "support"
jql = "project = SUP ORDER BY created DESC"

[stripe]
api_url = "{fake_url}"
api_key = "${{KPI_STRIPE_KEY}}"
interval = "{interval}"
mrr_discounts = "forever"
"""


def discord_pypi_config(fake_url, interval="2s"):
    return f"""
[discord]
api_url = "{fake_url}/api/v10"
token = "${{KPI_DISCORD_TOKEN}}"
guilds = ["111222333444555666"]
invites = ["acme-users", "expired"]
interval = "{interval}"

[pypi]
api_url = "{fake_url}"
stats_url = "{fake_url}"
packages = ["Acme_Widgets", "acme.empty", "no-such-package"]
interval = "{interval}"
"""


def set_route(fake_url, name, responses, auth=None):
    """Replaces the answers of the fake upstream's route `name` (and the Authorization it wants)."""
    import json
    body = json.dumps({"name": name, "responses": responses, **({"auth": auth} if auth else {})}).encode()
    request = urllib.request.Request(fake_url + "/_control/routes", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def ci_runs(conclusion):
    """The fake upstream's answer for acme/widgets' CI: one completed push run to the repository itself (its own
    CI, repository id 1 in the fixtures) with this conclusion; for the route "github_ci_runs"."""
    run = {"event": "push", "status": "completed", "conclusion": conclusion, "head_branch": "main",
           "created_at": "{{ago:10m}}", "run_started_at": "{{ago:10m}}", "updated_at": "{{ago:5m}}",
           "head_repository": {"id": 1, "full_name": "acme/widgets"},
           "repository": {"id": 1, "full_name": "acme/widgets"}}
    return [{"status": 200, "body": {"total_count": 1, "workflow_runs": [run]}}]


def fake_requests(fake_url, path):
    """The requests the fake upstream saw for `path`."""
    import json
    return [r for r in json.loads(http(fake_url + "/_control/requests")[1]) if r["path"] == path]


def assert_fake_saw_no_problems(fake_url):
    """Fails when the fake upstream refused a request whose parameters broke a route's "expect"."""
    import json
    problems = json.loads(http(fake_url + "/_control/problems")[1])
    assert not problems, f"the exporter sent requests the fake upstream refused: {problems}"


def promtool_check(text):
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, f"promtool check metrics failed:\n{result.stdout}{result.stderr}"


def stop(proc, sig=signal.SIGTERM, timeout=20):
    proc.send_signal(sig)
    return proc.wait(timeout=timeout)
