#!/usr/bin/env python3
"""The command line: --help, --version (Prometheus' multi-line form),
check-config exit codes and messages (every error of a file in one run, a
warning for a file without a source), every example config valid, bad flags,
a port already in use, startup with a broken config, several listen addresses
(IPv4 and IPv6) and the health endpoints under both names."""
import glob
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import EXPORTER, SOURCE_DIR, Processes, http, stop, wait_for  # noqa: E402


def run(*args, env=None):
    return subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, **(env or {})))


def main():
    with Processes() as p:
        r = run("--help")
        assert r.returncode == 0 and "--web.listen-address" in r.stdout and "check-config" in r.stdout

        r = run("--version")
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        # prometheus/common's version.Print: first line, then indented "key: value" lines.
        assert re.fullmatch(r"kpi_exporter, version \d+\.\d+\.\d+ \(branch: \S+, revision: ([0-9a-f]{12}|unknown)\)", lines[0]), lines
        fields = dict(re.fullmatch(r"  ([a-z ]+):\s+(\S.*)", line).groups() for line in lines[1:])
        assert sorted(fields) == ["build date", "build user", "compiler", "platform"], lines
        assert re.fullmatch(r"\d{8}", fields["build date"]) and "/" in fields["platform"], fields
        assert fields["compiler"].startswith("GNU "), fields
        # The revision of this checkout, unless the build was given one (-DKPI_REVISION, as the image is).
        git = subprocess.run(["git", "-C", SOURCE_DIR, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
        if git.returncode == 0:
            assert f"revision: {git.stdout.strip()})" in lines[0], (lines[0], git.stdout)

        r = run("--no-such-flag")
        assert r.returncode == 2 and "unknown flag --no-such-flag" in r.stderr

        demo = os.path.join(SOURCE_DIR, "examples", "demo.toml")
        demo_env = {"DEMO_GITHUB_TOKEN": "demo-token-value", "DEMO_JIRA_TOKEN": "j", "DEMO_STRIPE_KEY": "sk_test_x",
                    "DEMO_DISCORD_TOKEN": "d"}
        r = run("check-config", f"--config.file={demo}", env=demo_env)
        assert r.returncode == 0 and "OK, 5 source(s): discord github jira pypi stripe" in r.stdout, r.stdout + r.stderr
        check_examples()
        check_every_error(p)

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

        r = run("check-config", f"--config.file={p.path('empty.toml')}")
        assert r.returncode == 0 and "warning:" in r.stderr and "configures no source" in r.stderr, r
        r = run("check-config", f"--config.file={demo}", env=demo_env)
        assert "warning" not in r.stderr, r.stderr

        check_listen_addresses(p)
        check_help_matches_readme(p)
    print("ok")


def check_help_matches_readme(p):
    """The README's self-metrics table says what the HELP text says (kpi_exporter_collector_polls_total)."""
    config = p.write_config('[pypi]\npackages = ["x"]\napi_url = "http://127.0.0.1:1"\n'
                            'stats_url = "http://127.0.0.1:1"\ninterval = "1h"\n', "unreachable.toml")
    _, _, base = p.start_exporter(config)
    wait_for(lambda: http(base + "/-/ready")[0] == 200, what="first poll")
    page = http(base + "/metrics")[1]
    readme = open(os.path.join(SOURCE_DIR, "README.md")).read()
    for name in ("kpi_exporter_collector_polls_total",):
        help_text = re.search(rf"^# HELP {name} (.+)$", page, re.M).group(1)
        row = re.search(rf"^\| `{name}\{{[^`]*\}}` \| \w+ \| (.+?) \|$", readme, re.M)
        assert row and row.group(1) == help_text, (name, help_text, row and row.group(1))


def check_examples():
    """Every example config is valid as shipped: each ${VAR} it names set to a stand-in;
    public.toml with no token in the environment at all."""
    examples = sorted(glob.glob(os.path.join(SOURCE_DIR, "examples", "*.toml")))
    names = {os.path.basename(e) for e in examples}
    expected = {"public.toml", "demo.toml", "all-sources.toml", "github.toml", "jira.toml", "stripe.toml",
                "discord.toml", "pypi.toml"}
    assert expected <= names, f"missing examples: {expected - names}"
    for example in examples:
        text = open(example).read()
        env = {var: "stand-in-value" for var in re.findall(r'"\$\{([A-Z0-9_]+)\}"', text)}
        r = run("check-config", f"--config.file={example}", env=env)
        assert r.returncode == 0 and "warning" not in r.stderr, (example, r.stdout, r.stderr)
        if os.path.basename(example) == "all-sources.toml":
            assert "OK, 5 source(s): discord github jira pypi stripe" in r.stdout, r.stdout
    public = os.path.join(SOURCE_DIR, "examples", "public.toml")
    clean_env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    r = subprocess.run([EXPORTER, "check-config", f"--config.file={public}"], capture_output=True, text=True,
                       timeout=30, env=clean_env)
    assert r.returncode == 0 and "github" in r.stdout, r.stdout + r.stderr


def check_every_error(p):
    """One run names every error of the file, in file order, and counts them."""
    text = ('[github]\nrepos = ["a/b"]\ninterval = "often"\n\n[gitlab]\nurl = "x"\n\n'
            '[pypi]\npackages = "requests"\n\n[exporter]\nmax_concurrent_polls = 0\n')
    bad = p.write_config(text, "many-errors.toml")
    r = run("check-config", f"--config.file={bad}")
    assert r.returncode == 2, r
    located = [line.split(": ", 1)[0] for line in r.stderr.splitlines() if line.startswith(bad + ":")]
    assert located == [f"{bad}:3:12", f"{bad}:5:2", f"{bad}:9:12", f"{bad}:12:24"], r.stderr
    assert r.stderr.rstrip().endswith(f"{bad}: 4 error(s)"), r.stderr


def check_listen_addresses(p):
    """--web.listen-address repeated: the exporter serves every endpoint on each address,
    /-/healthy and /-/ready beside /healthz and /readyz; an IPv6 literal is one of them;
    [::] serves IPv4 and IPv6 clients."""
    empty = p.path("empty.toml")
    second = "[::1]:0"
    proc, log = p.spawn([EXPORTER, f"--config.file={empty}", "--web.listen-address=127.0.0.1:0",
                         f"--web.listen-address={second}"], "two-addresses")

    def ports():
        assert proc.poll() is None, open(log).read()
        m = re.search(r"kpi-exporter started.* port=(\d+),(\d+)", open(log).read())
        return m and m.groups()
    first_port, second_port = wait_for(ports, what="exporter on two addresses")
    assert f"listen_address=127.0.0.1:0,{second}" in open(log).read().replace('"', ""), open(log).read()
    for base in (f"http://127.0.0.1:{first_port}", f"http://{second.rsplit(':', 1)[0]}:{second_port}"):
        for path, body in (("/healthz", "OK"), ("/-/healthy", "OK"), ("/readyz", "ready"), ("/-/ready", "ready")):
            status, text = http(base + path)
            assert status == 200 and text.strip() == body, (base, path, status, text)
        assert http(base + "/-/healthy/x")[0] == 404
        assert http(base + "/metrics")[0] == 200
    assert stop(proc) == 0
    # [::] is dual stack: IPv4 and IPv6 clients reach it.
    proc, log = p.spawn([EXPORTER, f"--config.file={empty}", "--web.listen-address=[::]:0"], "dual-stack")

    def dual_port():
        assert proc.poll() is None, open(log).read()
        m = re.search(r"kpi-exporter started.* port=(\d+)", open(log).read())
        return m and m.group(1)
    port = wait_for(dual_port, what="exporter on [::]")
    for host in ("127.0.0.1", "[::1]"):
        status, text = http(f"http://{host}:{port}/-/healthy")
        assert status == 200 and text.strip() == "OK", (host, status, text)
    assert stop(proc) == 0
    # An IPv6 address without brackets is refused with the form to use.
    r = run(f"--config.file={empty}", "--web.listen-address=::1:0")
    assert r.returncode == 1 and "an IPv6 address goes in brackets" in r.stderr, r
    # A bad one among several is an error naming it; nothing is served.
    r = run(f"--config.file={empty}", "--web.listen-address=127.0.0.1:0", "--web.listen-address=127.0.0.2:x")
    assert r.returncode == 1 and "invalid port: '127.0.0.2:x'" in r.stderr, r


if __name__ == "__main__":
    main()
