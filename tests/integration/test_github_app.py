#!/usr/bin/env python3
"""GitHub App auth end to end: a real RSA key pair made with openssl, the fake
upstream in its GitHub App mode (it verifies each app JWT's RS256 signature
with the public key, and its iat, exp and iss), installations found per
account, installation tokens that live 6 seconds so renewal happens during the
test, a revoked token renewed on the 401, the metrics as with a token, and
neither the key, a JWT nor a token anywhere we serve or log. Also the config
errors check-config reports (exit 2)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (EXPORTER, Processes, assert_fake_saw_no_problems, http, parse_metrics,  # noqa: E402
                     promtool_check, stop, value, wait_for)

APP_ID = 123456
CONCURRENCY = 8  # [github] concurrency left at its default: requests in flight at once
TOKEN_LIFETIME = 6  # seconds (GitHub: an hour); renewed after half of it


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def app_config(fake_url, key_file, extra=""):
    return f"""
[github]
api_url = "{fake_url}"
app_id = {APP_ID}
private_key_file = "{key_file}"
repos = ["acme/widgets", "acme/huge"]
orgs = ["acme"]
interval = "1s"
timeout = "5s"
{extra}
"""


def check_config(path):
    return subprocess.run([EXPORTER, "check-config", f"--config.file={path}"], capture_output=True, text=True,
                          timeout=30)


def main():
    with Processes() as p:
        key, public = p.path("app.pem"), p.path("app.pub.pem")
        # -traditional: the PKCS#1 form GitHub hands out ("BEGIN RSA PRIVATE KEY").
        openssl("genrsa", "-traditional", "-out", key, "2048")
        openssl("rsa", "-in", key, "-pubout", "-out", public)
        key_text = open(key).read()
        key_lines = [line for line in key_text.splitlines() if "-----" not in line]

        # Config errors: file:line:col, exit 2, the key never printed.
        both = p.write_config(app_config("http://127.0.0.1:1", key, 'token = "ghp_x"'), "both.toml")
        r = check_config(both)
        assert r.returncode == 2 and f"{both}:4:10: set either 'token' or 'app_id' in [github], not both" in r.stderr, r
        ec_key = p.path("ec.pem")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec_key)
        not_rsa = p.write_config(app_config("http://127.0.0.1:1", ec_key), "ec.toml")
        r = check_config(not_rsa)
        assert r.returncode == 2, r
        assert f"{not_rsa}:5:20: 'private_key_file' in [github] ({ec_key}) does not hold an RSA private key" in r.stderr, r
        assert "PRIVATE KEY" not in r.stdout + r.stderr
        missing = p.write_config(app_config("http://127.0.0.1:1", p.path("nope.pem")), "missing.toml")
        r = check_config(missing)
        assert r.returncode == 2 and f"cannot read 'private_key_file' in [github] at {p.path('nope.pem')}" in r.stderr, r

        fake = p.start_fake("--github-app-id", str(APP_ID), "--github-app-public-key", public,
                            "--github-app-token-lifetime", str(TOKEN_LIFETIME))
        config = p.write_config(app_config(fake, key))
        assert check_config(config).returncode == 0
        exporter, log, base = p.start_exporter(config)

        def app_status():
            return json.loads(http(fake + "/_control/app")[1])

        def metrics():
            return parse_metrics(http(base + "/metrics")[1])

        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        m = wait_for(lambda: (s := metrics()) and value(s, "kpi_exporter_collector_up", collector="github") == 1 and s,
                     what="a successful poll")
        assert value(m, "github_repo_stars", repo="acme/widgets") == 1234
        assert value(m, "github_repo_open_issues", repo="acme/widgets") == 110
        assert value(m, "github_repo_stars", repo="acme/huge") == 99000
        assert value(m, "github_rate_limit_remaining", resource="core") == 4990
        for target in ("acme/widgets", "acme/huge", "org acme"):
            assert value(m, "kpi_exporter_target_up", collector="github", target=target) == 1, target

        # Tokens live seconds and are renewed before they run out: several are used, none is refused.
        wait_for(lambda: len(app_status()["tokens"]) >= 3, timeout=30, what="three installation tokens")
        status = app_status()
        assert status["refused"] == [], f"an API call went out without a live token: {status['refused']}"
        assert status["api_calls"] > 0 and status["jwts_verified"] >= len(status["tokens"])
        requests = json.loads(http(fake + "/_control/requests")[1])
        lookups = [r for r in requests if r["path"].endswith("/installation")]
        assert lookups and lookups[0]["path"] == "/orgs/acme/installation", lookups
        assert len(lookups) == 1, "the installation of an account is looked up once"
        exchanges = [r for r in requests if r["path"].endswith("/access_tokens")]
        assert all(r["method"] == "POST" and r["path"] == "/app/installations/4242/access_tokens" for r in exchanges)

        # Long-lived tokens from now on, then revoke them: the next call gets GitHub's 401 and
        # the exporter renews the token once and repeats the call, so the poll does not fail.
        assert http(fake + "/_control/app", "POST", json.dumps({"token_lifetime": 3600}).encode())[0] == 200
        wait_for(lambda: app_status()["newest_token_expires_in"] > 600, timeout=15, what="a long-lived token")
        polls = value(metrics(), "kpi_exporter_collector_polls_total", collector="github")
        tokens_before = len(app_status()["tokens"])
        assert http(fake + "/_control/app/revoke", "POST", b"")[0] == 200
        wait_for(lambda: app_status()["refused"] and value(metrics(), "kpi_exporter_collector_polls_total",
                                                           collector="github") >= polls + 2,
                 timeout=30, what="a revoked token refused and polls after it")
        status = app_status()
        assert {r["why"] for r in status["refused"]} == {"revoked"}, status["refused"]
        # Every request in flight at the revocation may get a 401 (at most `concurrency`
        # of them); one renewal serves them all and every later call.
        assert 1 <= len(status["refused"]) <= CONCURRENCY, status["refused"]
        assert len(status["tokens"]) == tokens_before + 1, "one renewal after the revocation"
        m = metrics()
        assert value(m, "kpi_exporter_collector_up", collector="github") == 1
        assert value(m, "kpi_exporter_collector_errors_total", collector="github", reason="unauthorized") == 0
        promtool_check(http(base + "/metrics")[1])

        # Each API call carried an installation token the fake issued; App calls carried a JWT.
        requests = json.loads(http(fake + "/_control/requests")[1])
        app_paths = [r for r in requests if r["path"].endswith(("/installation", "/access_tokens"))]
        api_calls = [r for r in requests if r not in app_paths and not r["path"].startswith("/_control")]
        assert all(r["authorization"].removeprefix("Bearer ") in status["tokens"] for r in api_calls)
        jwts = {r["authorization"].removeprefix("Bearer ") for r in app_paths}
        assert all(jwt.count(".") == 2 for jwt in jwts)
        assert_fake_saw_no_problems(fake)

        # No key, JWT or token in what we serve or log.
        landing = http(base + "/")[1]
        assert "github" in landing and 'class="ok"' in landing
        served = {"/metrics": http(base + "/metrics")[1], "landing page": landing, "log": open(log).read()}
        for name, body in served.items():
            assert "PRIVATE KEY" not in body and not any(line in body for line in key_lines), f"key leaked into {name}"
            for secret in [*status["tokens"], *jwts]:
                assert secret not in body, f"a token or JWT leaked into {name}"

        assert stop(exporter) == 0
    print("ok")


if __name__ == "__main__":
    main()
