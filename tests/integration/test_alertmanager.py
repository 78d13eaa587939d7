#!/usr/bin/env python3
"""rules/alertmanager.example.yml: valid for amtool, pages go to the pager,
warnings to chat, grouped by alertname and repo."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE_DIR  # noqa: E402

CONFIG = os.path.join(SOURCE_DIR, "rules", "alertmanager.example.yml")


def amtool(*args):
    r = subprocess.run(["amtool", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"amtool {' '.join(args)} failed:\n{r.stdout}{r.stderr}"
    return r.stdout.strip()


def route(*labels):
    return amtool("config", "routes", "test", f"--config.file={CONFIG}", *labels)


def main():
    amtool("check-config", CONFIG)
    assert route("alertname=GithubWorkflowFailing", "severity=critical", "repo=acme/widgets") == "pager"
    assert route("alertname=GithubBugReportSpike", "severity=critical", "repo=acme/widgets") == "pager"
    assert route("alertname=StripeChurnHigh", "severity=warning") == "chat"
    assert route("alertname=KpiExporterCollectorDown", "severity=warning", "collector=github") == "chat"
    assert route("alertname=Whatever") == "chat", "unlabelled alerts fall back to chat"
    tree = amtool("config", "routes", "show", f"--config.file={CONFIG}")
    assert "receiver: pager" in tree and "receiver: chat" in tree
    with open(CONFIG) as f:
        assert "group_by: [alertname, repo]" in f.read()
    print("ok")


if __name__ == "__main__":
    main()
