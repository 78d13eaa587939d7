#!/usr/bin/env python3
"""The command line: --help, --version, check-config exit codes and messages,
bad flags, a port already in use, and startup with a broken config."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import EXPORTER, SOURCE_DIR, Processes  # noqa: E402


def run(*args, env=None):
    return subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, **(env or {})))


def main():
    with Processes() as p:
        r = run("--help")
        assert r.returncode == 0 and "--web.listen-address" in r.stdout and "check-config" in r.stdout

        r = run("--version")
        assert r.returncode == 0 and r.stdout.startswith("kpi_exporter, version "), r.stdout

        r = run("--no-such-flag")
        assert r.returncode == 2 and "unknown flag --no-such-flag" in r.stderr

        demo = os.path.join(SOURCE_DIR, "examples", "demo.toml")
        demo_env = {"DEMO_GITHUB_TOKEN": "demo-token-value", "DEMO_JIRA_TOKEN": "j", "DEMO_STRIPE_KEY": "sk_test_x",
                    "DEMO_DISCORD_TOKEN": "d"}
        r = run("check-config", f"--config.file={demo}", env=demo_env)
        assert r.returncode == 0 and "OK, 5 source(s): discord github jira pypi stripe" in r.stdout, r.stdout + r.stderr
        public = os.path.join(SOURCE_DIR, "examples", "public.toml")
        r = run("check-config", f"--config.file={public}", env={"GITHUB_TOKEN": "ghp_example"})
        assert r.returncode == 0, r.stderr

        bad = p.write_config('[github]\nrepos = ["a/b"]\ninterval = "often"\n', "bad.toml")
        r = run("check-config", f"--config.file={bad}")
        assert r.returncode == 2, r
        assert f"{bad}:3:12: 'interval' in [github] must be a duration" in r.stderr, r.stderr

        secret_env = p.write_config('[github]\nrepos = ["a/b"]\ntoken = "${UNSET_TOKEN_VAR}"\n', "env.toml")
        r = run("check-config", f"--config.file={secret_env}", env={"UNSET_TOKEN_VAR": ""})
        assert r.returncode == 2 and "UNSET_TOKEN_VAR" in r.stderr

        r = run(f"--config.file={bad}", "--web.listen-address=127.0.0.1:0")
        assert r.returncode == 2 and "must be a duration" in r.stderr, r

        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            empty = p.write_config("", "empty.toml")
            r = run(f"--config.file={empty}", f"--web.listen-address=127.0.0.1:{port}")
            assert r.returncode == 1 and "cannot listen on 127.0.0.1:" in r.stderr, r

        r = run(f"--config.file={p.path('empty.toml')}", "--web.listen-address=nonsense")
        assert r.returncode == 1 and "must be [host]:port" in r.stderr, r
    print("ok")


if __name__ == "__main__":
    main()
