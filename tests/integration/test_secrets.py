#!/usr/bin/env python3
"""Secrets sweep: recognisable tokens in every secret field (environment
variables, a secret file, a password in a URL) while the exporter meets every
error path a test can drive: 401/403 answers that echo the credentials, a
parse failure on a body that contains one, a redirect to another origin,
unknown packages, broken configs on reload (HTTP and SIGHUP) and in
check-config. No token may appear in the logs (logfmt and JSON), any page,
/metrics, a reload's answer, check-config's output, the process's command
line, or the URL of any request the upstream received; no credential may
follow the redirect to the other origin."""
import base64
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (EXPORTER, Processes, fake_requests, http, set_route, stop, wait_for)  # noqa: E402

GITHUB = "ghp_SweepGithubToken0000000000000000001"
JIRA = "ATATT3xSweepJiraToken000000000002"
JIRA_EMAIL = "sweep@acme.test"
STRIPE = "sk_test_SweepStripeKey0000000003"
DISCORD = "SweepDiscordBotToken.000000.0000000004"
URL_PASSWORD = "SweepUrlPassword0005"
RELOADED = "ghp_SweepTokenOnlyInABrokenReload0006"
TOKENS = [GITHUB, JIRA, STRIPE, DISCORD, URL_PASSWORD, RELOADED,
          # what goes on the wire for Jira Cloud: Basic base64(email:token)
          base64.b64encode(f"{JIRA_EMAIL}:{JIRA}".encode()).decode()]
ENV = {"SWEEP_GITHUB_TOKEN": GITHUB, "SWEEP_STRIPE_KEY": STRIPE, "SWEEP_DISCORD_TOKEN": DISCORD}


def config(fake, jira_token_file, extra=""):
    # pypi's api_url carries a password in its userinfo; the package that does not exist makes errors name the URL.
    pypi_url = fake.replace("http://", f"http://sweep:{URL_PASSWORD}@")
    return f"""
[github]
api_url = "{fake}"
token = "${{SWEEP_GITHUB_TOKEN}}"
repos = ["acme/widgets"]
interval = "2s"

[jira]
url = "{fake}"
flavor = "cloud"
email = "{JIRA_EMAIL}"
token_file = "{jira_token_file}"
interval = "2s"

[[jira.queries]]
name = "support"
jql = "project = SUP"

[stripe]
api_url = "{fake}"
api_key = "${{SWEEP_STRIPE_KEY}}"
interval = "2s"

[discord]
api_url = "{fake}/api/v10"
token = "${{SWEEP_DISCORD_TOKEN}}"
guilds = ["111222333444555666"]
invites = ["acme-users"]
interval = "2s"

[pypi]
api_url = "{pypi_url}"
stats_url = "{pypi_url}"
packages = ["Acme_Widgets", "no-such-package"]
interval = "2s"
{extra}"""


def hostile_upstream(fake):
    """Answers that quote the credentials back, fail to parse around one, or redirect elsewhere."""
    echo = " ".join(TOKENS[:5])
    set_route(fake, "github_repo", [{"status": 401, "body": {"message": f"Bad credentials: Bearer {GITHUB} ({echo})"}}],
              auth=f"Bearer {GITHUB}")
    set_route(fake, "jira_count", [{"status": 403, "body": {"errorMessages": [f"Basic {TOKENS[-1]} refused: {echo}"]}}],
              auth=f"Basic {TOKENS[-1]}")
    set_route(fake, "stripe_subscriptions_active",
              [{"status": 200, "body_text": '{"object": "list", "data": [{"id": "' + STRIPE + '", "status": '}],
              auth=f"Bearer {STRIPE}")
    other_origin = fake.replace("127.0.0.1", "localhost")
    set_route(fake, "stripe_charges", [{"status": 302, "headers": {"Location": other_origin + "/elsewhere/charges"}}],
              auth=f"Bearer {STRIPE}")


def check_config(path, env):
    r = subprocess.run([EXPORTER, "check-config", f"--config.file={path}"], capture_output=True, text=True,
                       timeout=30, env=dict(os.environ, **env))
    return r.stdout + r.stderr


def assert_clean(what, text):
    for token in TOKENS:
        assert token not in text, f"a token leaked into {what}: ...{text[max(0, text.find(token) - 200):][:400]}..."


def sweep(p, log_format):
    fake = p.start_fake()
    hostile_upstream(fake)
    jira_file = p.path("jira-token")
    with open(jira_file, "w") as f:
        f.write(JIRA + "\n")
    good = p.write_config(config(fake, jira_file), f"good-{log_format}.toml")
    exporter, log, base = p.start_exporter(good, f"--log.format={log_format}", "--web.enable-lifecycle", env=ENV)
    seen = {}

    with open(f"/proc/{exporter.pid}/cmdline", "rb") as f:
        seen["the command line"] = f.read().decode(errors="replace")
    wait_for(lambda: http(base + "/readyz")[0] == 200, what="every collector's first poll")
    wait_for(lambda: fake_requests(fake, "/elsewhere/charges"), what="the redirect to another origin followed")
    for path in ("/", "/metrics", "/healthz", "/readyz"):
        seen[path] = http(base + path)[1]

    # Reload errors: a broken file that holds a new token, by HTTP and by SIGHUP; then a wrongly typed secret.
    broken = config(fake, jira_file, extra='\n[exporter]\nmax_concurrent_polls = "many"\n').replace(
        'token = "${SWEEP_GITHUB_TOKEN}"', f'token = "{RELOADED}"')
    with open(good, "w") as f:
        f.write(broken)
    seen["a failed reload's answer"] = "\n".join(map(str, http(base + "/-/reload", method="POST", data=b"")))
    exporter.send_signal(signal.SIGHUP)
    with open(good, "w") as f:
        f.write(config(fake, jira_file).replace('token = "${SWEEP_GITHUB_TOKEN}"', f'token = ["{RELOADED}"]'))
    seen["a failed reload's answer (wrong type)"] = "\n".join(map(str, http(base + "/-/reload", method="POST", data=b"")))
    with open(good, "w") as f:
        f.write(config(fake, jira_file))
    assert http(base + "/-/reload", method="POST", data=b"")[0] == 200
    wait_for(lambda: http(base + "/readyz")[0] == 200, what="ready again after the reload")
    for path in ("/", "/metrics"):
        seen[path + " after the reloads"] = http(base + path)[1]

    # check-config on the good file, a broken one, one with a missing variable, and one with both token and token_file.
    seen["check-config (valid)"] = check_config(good, ENV)
    seen["check-config (broken)"] = check_config(p.write_config(broken, "broken.toml"), ENV)
    seen["check-config (unset variable)"] = check_config(good, {k: v for k, v in ENV.items() if k != "SWEEP_STRIPE_KEY"})
    both = config(fake, jira_file).replace(f'token_file = "{jira_file}"', f'token_file = "{jira_file}"\ntoken = "{JIRA}"')
    seen["check-config (token and token_file)"] = check_config(p.write_config(both, "both.toml"), ENV)

    assert stop(exporter) == 0
    text = open(log).read()
    seen["the log"] = text
    for name, output in seen.items():
        assert_clean(name, output)

    # The log shows the paths were driven (else the sweep proves nothing).
    for expected in ("401", "403", "no-such-package", "reload failed", "subscriptions_active", "parse"):
        assert expected in text, f"the sweep did not drive '{expected}'; log:\n{text[-3000:]}"
    if log_format == "json":
        for line in text.splitlines():
            json.loads(line)

    # Tokens never in a URL the upstream saw; credentials never to the other origin.
    requests = json.loads(http(fake + "/_control/requests")[1])
    for r in requests:
        assert_clean(f"the URL of a request the upstream saw ({r['path']})", r["path"] + json.dumps(r["query"]))
    for r in fake_requests(fake, "/elsewhere/charges"):
        assert r["authorization"] is None, f"a credential followed a redirect to another origin: {r}"
    assert any(r["authorization"] == f"Bot {DISCORD}" for r in requests), "the sweep never sent the Discord token"


def main():
    for log_format in ("logfmt", "json"):
        with Processes() as p:
            sweep(p, log_format)
    print("ok")


if __name__ == "__main__":
    main()
