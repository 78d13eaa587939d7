#!/usr/bin/env python3
"""Secrets sweep: recognisable tokens in every secret field (environment
variables, a secret file, a password in a URL) while the exporter meets every
error path a test can drive: 401/403 answers that echo the credentials, a
parse failure on a body that contains one, a redirect to another origin,
unknown packages, broken configs on reload (HTTP and SIGHUP) and in
check-config. Then GitHub polls as an App (a second fake upstream in its App
mode issues installation tokens): with its private key in a file and in an
environment variable, an answer that quotes the live installation token back,
revoked tokens, a key the upstream does not know (every JWT refused) and a
broken key file on reload and in check-config. No token may appear in the
logs (logfmt and JSON), any page, /metrics, a reload's answer, check-config's
output, the process's command line, or the URL of any request the upstream
received; no credential may follow the redirect to the other origin; no part
of either private key (any 16 characters of its base64 body, or its PEM
armour), no JWT and no installation token may appear anywhere either."""
import base64
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (EXPORTER, Processes, fake_requests, http, parse_metrics, set_route, stop, value,  # noqa: E402
                     wait_for)

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
APP_ID = 424242


def config(fake, jira_token_file, extra="", github=None, github_interval="2s"):
    # pypi's api_url carries a password in its userinfo; the package that does not exist makes errors name the URL.
    pypi_url = fake.replace("http://", f"http://sweep:{URL_PASSWORD}@")
    github = github or f'api_url = "{fake}"\ntoken = "${{SWEEP_GITHUB_TOKEN}}"'
    return f"""
[github]
{github}
repos = ["acme/widgets"]
interval = "{github_interval}"

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


def assert_clean(what, text, secrets=TOKENS):
    for token in secrets:
        assert token not in text, f"a secret leaked into {what}: ...{text[max(0, text.find(token) - 200):][:400]}..."


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def key_parts(path):
    """What of a PEM key must never show: its armour and every 16 characters of its base64 body at a
    multiple of 16 (so any leaked stretch of 31 characters or more contains one)."""
    body = "".join(line for line in open(path).read().splitlines() if "-----" not in line)
    return ["PRIVATE KEY"] + [body[i:i + 16] for i in range(0, len(body) - 15, 16)]


def make_app_keys(p):
    """The App's key (PKCS#1, as GitHub hands them out) and its public half for the fake, a key the
    upstream does not know (PKCS#8), and a broken file: the armour and most of the key, the end cut off."""
    keys = {name: p.path(name + ".pem") for name in ("app", "public", "wrong", "broken")}
    openssl("genrsa", "-traditional", "-out", keys["app"], "2048")
    openssl("rsa", "-in", keys["app"], "-pubout", "-out", keys["public"])
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keys["wrong"])
    with open(keys["broken"], "w") as f:
        f.write(open(keys["app"]).read()[:1200])
    return keys


def app_phase(p, exporter, base, fake, jira_file, path, keys, env, seen):
    """GitHub as an App against a second fake in its App mode, reloading the exporter's config file
    `path`; returns the App secrets to look for."""
    key = keys["app"]
    app = p.start_fake("--github-app-id", str(APP_ID), "--github-app-public-key", keys["public"], name="app-fake")
    as_app = config(fake, jira_file, github=f'api_url = "{app}"\napp_id = {APP_ID}\nprivate_key_file = "{key}"',
                    github_interval="1s")
    key_in_env = as_app.replace(f'private_key_file = "{key}"', 'private_key = "${SWEEP_APP_KEY}"')

    def reload_with(text):
        with open(path, "w") as f:
            f.write(text)
        return http(base + "/-/reload", method="POST", data=b"")

    def app_status():
        return json.loads(http(app + "/_control/app")[1])

    def github_polls():
        m = parse_metrics(http(base + "/metrics")[1])
        return value(m, "kpi_exporter_collector_polls_total", collector="github")

    def polls_after(what):
        polls = github_polls()
        wait_for(lambda: github_polls() >= polls + 2, timeout=30, what=what)

    assert reload_with(as_app)[0] == 200
    wait_for(lambda: app_status()["api_calls"] > 0, what="API calls with an installation token")
    polls_after("GitHub polls as an App")
    seen["the landing page (App)"] = http(base + "/")[1]
    seen["/metrics (App)"] = http(base + "/metrics")[1]
    seen["check-config (App)"] = check_config(path, env)

    # An answer that quotes the live installation tokens back, then revoked tokens (401, renewed).
    tokens = " ".join(app_status()["tokens"])
    set_route(app, "github_repo", [{"status": 403, "body": {"message": f"token {tokens} may not read this"}}])
    polls_after("polls with the answer that quotes the token")
    assert http(app + "/_control/app/revoke", method="POST", data=b"")[0] == 200
    wait_for(lambda: app_status()["refused"], what="a revoked token refused")
    polls_after("polls after the revocation")

    # The key from the environment, then a key the upstream does not know: every JWT refused.
    assert reload_with(key_in_env)[0] == 200
    polls_after("polls with the key from the environment")
    assert reload_with(as_app.replace(key, keys["wrong"]))[0] == 200
    polls_after("polls with a key the upstream does not know")
    problems = json.loads(http(app + "/_control/problems")[1])
    assert any("signature does not verify" in p for r in problems for p in r["problems"]), problems
    seen["the landing page (wrong key)"] = http(base + "/")[1]

    # A broken key file: the reload is refused, and check-config says so, naming the file only.
    status, body = reload_with(as_app.replace(key, keys["broken"]))
    assert status == 500 and "does not hold an RSA private key" in body, (status, body)
    seen["a failed reload's answer (broken key)"] = body
    seen["check-config (broken key)"] = check_config(
        p.write_config(as_app.replace(key, keys["broken"]), "broken-key.toml"), env)
    seen["check-config (key in the environment)"] = check_config(p.write_config(key_in_env, "env-key.toml"), env)
    assert reload_with(as_app)[0] == 200

    requests = json.loads(http(app + "/_control/requests")[1])
    jwts = {r["authorization"].removeprefix("Bearer ") for r in requests
            if r["path"].endswith(("/installation", "/access_tokens")) and r["authorization"]}
    assert jwts and app_status()["tokens"], "the App phase issued no JWT or token"
    return [*key_parts(key), *key_parts(keys["wrong"]), *jwts, *app_status()["tokens"]]


def sweep(p, log_format):
    fake = p.start_fake()
    hostile_upstream(fake)
    jira_file = p.path("jira-token")
    with open(jira_file, "w") as f:
        f.write(JIRA + "\n")
    keys = make_app_keys(p)
    env = dict(ENV, SWEEP_APP_KEY=open(keys["app"]).read())
    good = p.write_config(config(fake, jira_file), f"good-{log_format}.toml")
    exporter, log, base = p.start_exporter(good, f"--log.format={log_format}", "--web.enable-lifecycle", env=env)
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
    app_secrets = app_phase(p, exporter, base, fake, jira_file, good, keys, env, seen)

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
        assert_clean(name, output, TOKENS + app_secrets)

    # The log shows the paths were driven (else the sweep proves nothing).
    for expected in ("401", "403", "no-such-package", "reload failed", "subscriptions_active", "parse",
                     "private_key_file", "GitHub App installation for acme"):
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
