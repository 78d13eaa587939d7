#!/usr/bin/env python3
"""End to end, loopback only: fake upstream -> kpi_exporter -> real Prometheus
(generated rules, 1s scrape and evaluation) -> real Alertmanager (the example
routing) -> a webhook receiver. A CI run turning red must page the pager
receiver with the right labels; turning green must send the resolved
notification. Alerts carry a `link` to the items behind them (rules generated
with --web.external-url): in the webhook payload, in the chat message the
example template writes, and the exporter serves that page. Every process is
stopped, also on failure."""
import json
import os
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from harness import free_port, EXPORTER, SOURCE_DIR, Processes, ci_runs, github_config, http, wait_for  # noqa: E402


class Receiver:
    """A webhook receiver recording every notification by path (/pager, /chat)."""

    def __init__(self):
        self.notifications = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.notifications.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, path, status, alertname):
        with self.lock:
            for got_path, body in self.notifications:
                if got_path == path and body.get("status") == status:
                    for alert in body["alerts"]:
                        if alert["labels"].get("alertname") == alertname and alert["status"] == status:
                            return body, alert
        return None

    def slack_text(self, needle):
        """The text of a Slack-shaped message (slack_configs) holding `needle`."""
        with self.lock:
            for got_path, body in self.notifications:
                for attachment in body.get("attachments", []) if got_path == "/slack" else []:
                    if needle in attachment.get("text", ""):
                        return attachment["text"]
        return None


# Where people reach the exporter (behind a proxy that strips the path): the links start with it.
EXTERNAL_URL = "http://kpi.example.test/kpi-exporter/"

# A Jira query with an SLA: two of its open tickets are past it (tests/integration/test_jira_stripe.py).
JIRA = """
[jira]
url = "{fake}"
email = "demo@acme.test"
token = "${{KPI_JIRA_TOKEN}}"
interval = "1s"

[[jira.queries]]
name = "support"
jql = "project = SUP ORDER BY created DESC"
sla = "24h"

[alerts.jira_sla_open_breaching]
for = "0s"
"""


def set_route(fake, name, responses):
    body = json.dumps({"name": name, "responses": responses}).encode()
    with urllib.request.urlopen(urllib.request.Request(fake + "/_control/routes", data=body, method="POST"), timeout=5):
        pass


def main():
    receiver = Receiver()
    with Processes() as p:
        fake = p.start_fake()
        set_route(fake, "github_ci_runs", ci_runs("success"))
        config = p.write_config(github_config(fake, interval="1s") + '\n[alerts.ci_failing]\nfor = "0s"\n' +
                                JIRA.format(fake=fake))
        rules = subprocess.run([EXPORTER, "rules", f"--config.file={config}", f"--web.external-url={EXTERNAL_URL}"],
                               capture_output=True, text=True, check=True)
        rules_file = p.write_config(rules.stdout, "rules.yml")
        exporter, _, exporter_url = p.start_exporter(config)

        am_port, prom_port = free_port(), free_port()
        with open(os.path.join(SOURCE_DIR, "rules", "alertmanager.example.yml")) as f:
            am_config = (f.read()
                         .replace("http://pager.example.internal/alerts", receiver.url + "/pager")
                         .replace("http://chat.example.internal/alerts", receiver.url + "/chat")
                         .replace("http://chat.example.internal/slack", receiver.url + "/slack")
                         .replace("group_wait: 30s", "group_wait: 1s")
                         .replace("group_interval: 5m", "group_interval: 1s"))
        with open(os.path.join(SOURCE_DIR, "rules", "alertmanager.example.tmpl")) as f:
            p.write_config(f.read(), "alertmanager.example.tmpl")  # beside am.yml, where `templates` finds it
        p.spawn(["prometheus-alertmanager", f"--config.file={p.write_config(am_config, 'am.yml')}",
                 f"--storage.path={p.path('am-data')}", f"--web.listen-address=127.0.0.1:{am_port}",
                 "--cluster.listen-address="], "alertmanager")
        prom_config = f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["{rules_file}"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:{am_port}"]
scrape_configs:
  - job_name: kpi-exporter
    static_configs:
      - targets: ["{exporter_url.removeprefix('http://')}"]
"""
        p.spawn(["prometheus", f"--config.file={p.write_config(prom_config, 'prometheus.yml')}",
                 f"--storage.tsdb.path={p.path('prom-data')}", f"--web.listen-address=127.0.0.1:{prom_port}",
                 "--rules.alert.resend-delay=1s"], "prometheus")
        prom = f"http://127.0.0.1:{prom_port}"
        wait_for(lambda: http(f"http://127.0.0.1:{am_port}/-/ready")[0] == 200, timeout=60, what="alertmanager ready")

        def ci_value():
            query = urllib.parse.quote('github_workflow_failing{workflow="CI"}')
            status, body = http(f"{prom}/api/v1/query?query={query}")
            result = json.loads(body)["data"]["result"] if status == 200 else []
            return result[0]["value"][1] if result else None

        wait_for(lambda: ci_value() == "0", timeout=60, what="Prometheus scraping a green CI")
        assert receiver.find("/pager", "firing", "GithubWorkflowFailing") is None

        set_route(fake, "github_ci_runs", ci_runs("failure"))
        body, alert = wait_for(lambda: receiver.find("/pager", "firing", "GithubWorkflowFailing"), timeout=90,
                               what="the page for the failing workflow")
        assert body["receiver"] == "pager"
        labels = alert["labels"]
        assert labels["severity"] == "critical" and labels["repo"] == "acme/widgets", labels
        assert labels["workflow"] == "CI" and labels["branch"] == "main" and labels["job"] == "kpi-exporter", labels
        assert body["groupLabels"] == {"alertname": "GithubWorkflowFailing", "repo": "acme/widgets"}, body["groupLabels"]
        assert alert["annotations"]["summary"] == "CI workflow CI is failing on acme/widgets"
        assert alert["annotations"]["runbook_url"].endswith("RUNBOOK.md#githubworkflowfailing")
        assert receiver.find("/chat", "firing", "GithubWorkflowFailing") is None, "a page must not go to chat"
        # The page links to the repository's failing workflows, the repository escaped as one query value.
        assert alert["annotations"]["link"] == \
            EXTERNAL_URL + "items?collector=github&target=acme%2Fwidgets&list=failing_workflows", alert["annotations"]
        status, page = http(exporter_url + "/" + alert["annotations"]["link"].removeprefix(EXTERNAL_URL))
        assert status == 200 and "Failing workflows on the default branch" in page, (status, page[:500])

        # The SLA warning goes to chat, with the link to the tickets past their SLA: in the webhook payload,
        # in the chat message of the example template, and the exporter serves the page it points at.
        _, sla = wait_for(lambda: receiver.find("/chat", "firing", "JiraOpenIssuesBreachingSla"), timeout=90,
                          what="the chat notification for the tickets past their SLA")
        link = sla["annotations"]["link"]
        assert link == EXTERNAL_URL + "items?collector=jira&target=support&list=breaching_sla", sla["annotations"]
        text = wait_for(lambda: receiver.slack_text(link), timeout=60, what="the chat message with the link")
        assert f"Items: {link}\n" in text and "Open issues of Jira query support are past their SLA" in text, text
        status, page = http(exporter_url + "/" + link.removeprefix(EXTERNAL_URL))
        assert status == 200 and "Open tickets past their SLA" in page, (status, page[:500])

        set_route(fake, "github_ci_runs", ci_runs("success"))
        body, alert = wait_for(lambda: receiver.find("/pager", "resolved", "GithubWorkflowFailing"), timeout=90,
                               what="the resolved notification")
        assert alert["labels"]["workflow"] == "CI"
        assert exporter.poll() is None
    receiver.server.shutdown()
    print("ok")


if __name__ == "__main__":
    main()
