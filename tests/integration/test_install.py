#!/usr/bin/env python3
"""`cmake --install` as a packager runs it: into DESTDIR under a prefix of its
choosing. The binary, the example config, every example, the rule files, the
project files and a systemd unit land under DESTDIR/prefix; the unit names the
installed binary and config by their final paths (the prefix, without
DESTDIR); the installed binary accepts the installed config (it runs without a
token); `systemd-analyze verify` accepts the unit where systemd is installed."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import EXPORTER  # noqa: E402

BUILD_DIR = os.path.dirname(os.path.abspath(EXPORTER))


def install(destdir, prefix):
    r = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, DESTDIR=destdir))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def check(destdir, prefix):
    out = install(destdir, prefix)
    root = destdir + prefix
    # Nothing outside DESTDIR: every path cmake reports lies under it.
    for path in re.findall(r"^-- (?:Installing|Up-to-date): (.+)$", out, re.M):
        assert path.startswith(destdir + "/"), f"installed outside DESTDIR: {path}"
    binary = os.path.join(root, "bin", "kpi_exporter")
    config = os.path.join(root, "etc", "kpi-exporter", "kpi-exporter.toml")
    assert os.access(binary, os.X_OK), out
    for relative in ("share/doc/kpi-exporter/examples/public.toml", "share/doc/kpi-exporter/examples/all-sources.toml",
                     "share/doc/kpi-exporter/LICENSE", "share/doc/kpi-exporter/README.md",
                     "share/doc/kpi-exporter/CHANGELOG.md", "share/kpi-exporter/rules/kpi-exporter.rules.yml",
                     "share/kpi-exporter/rules/alertmanager.example.yml",
                     "share/kpi-exporter/rules/alertmanager.example.tmpl"):
        assert os.path.isfile(os.path.join(root, relative)), f"{relative} not installed:\n{out}"
    units = [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f == "kpi-exporter.service"]
    assert len(units) == 1, units
    unit = open(units[0]).read()
    exec_start = re.search(r"^ExecStart=(\S+) --config.file=(\S+)$", unit, re.M)
    assert exec_start, unit
    assert exec_start.groups() == (f"{prefix}/bin/kpi_exporter", f"{prefix}/etc/kpi-exporter/kpi-exporter.toml"), \
        exec_start.groups()
    assert "@" not in unit.replace("kpi-exporter@", ""), "unsubstituted @VAR@ in the unit:\n" + unit
    clean_env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    r = subprocess.run([binary, "check-config", f"--config.file={config}"], capture_output=True, text=True,
                       timeout=30, env=clean_env)
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr
    analyze = shutil.which("systemd-analyze")
    if analyze:
        # verify resolves ExecStart on the real file system: point it at the DESTDIR copy.
        local = os.path.join(destdir, "kpi-exporter.service")
        with open(local, "w") as f:
            f.write(unit.replace(f"ExecStart={prefix}", f"ExecStart={root}"))
        r = subprocess.run([analyze, "verify", local], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 or "kpi-exporter.service" not in r.stderr, r.stderr


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check(os.path.join(tmp, "a"), "/usr/local")
        check(os.path.join(tmp, "b"), "/opt/kpi-exporter")
    print("ok")


if __name__ == "__main__":
    main()
