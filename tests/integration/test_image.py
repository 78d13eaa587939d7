#!/usr/bin/env python3
"""No container engine runs here, so the image is checked by its parts: the
runtime stage installs exactly the Debian packages that provide the built
binary's DT_NEEDED libraries (beyond bookworm-slim's own), runs as non-root,
and has the binary as ENTRYPOINT. The build stage stays buildable: it installs
every build package scripts/install-deps.sh names, and its cmake configure
step, run here with the Dockerfile's own flags and a REVISION build argument,
succeeds and bakes that revision into the binary's version header."""
import shlex
import tempfile
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import EXPORTER, SOURCE_DIR  # noqa: E402

IN_SLIM_BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
# The sanitizer runtimes a KPI_SANITIZE build links (scripts/test.sh runs this
# test against it too); the image builds without sanitizers, so they are not
# runtime libraries of the image.
SANITIZER_RUNTIMES = re.compile(r"lib(asan|ubsan|tsan|lsan)\.so\.")


def package_of(path):
    candidates = {path, os.path.realpath(path)}
    for p in list(candidates):  # merged /usr: dpkg may know either spelling
        candidates.add(p.replace("/usr/lib/", "/lib/", 1) if p.startswith("/usr/lib/") else "/usr" + p)
    for p in candidates:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0]
    raise AssertionError(f"no Debian package owns {path}")


def main():
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", EXPORTER], capture_output=True, text=True, check=True).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", EXPORTER], capture_output=True, text=True,
                                                                        check=True).stdout, re.M))
    assert needed and all(lib in resolved for lib in needed), (needed, resolved)
    needed = [lib for lib in needed if not SANITIZER_RUNTIMES.match(lib)]
    required = {package_of(resolved[lib]) for lib in needed} - IN_SLIM_BASE

    with open(os.path.join(SOURCE_DIR, "Dockerfile")) as f:
        dockerfile = f.read()
    block = dockerfile.split("# runtime-libraries:begin")[1].split("# runtime-libraries:end")[0]
    listed = set(re.findall(r"^\s*([a-z0-9.+-]+) \\$", block, re.M))
    assert listed == required, f"Dockerfile runtime libraries {sorted(listed)} != needed {sorted(required)}"

    runtime = dockerfile.split("FROM debian:bookworm-slim")[1]
    assert "USER 65534:65534" in runtime, "the runtime stage must not run as root"
    assert 'ENTRYPOINT ["/usr/bin/kpi_exporter"]' in runtime
    assert "FROM debian:bookworm AS build" in dockerfile
    with open(os.path.join(SOURCE_DIR, ".dockerignore")) as f:
        ignored = f.read().split()
    assert "build" in ignored and ".git" in ignored
    check_build_stage(dockerfile)
    print("ok:", ", ".join(sorted(required)))


def check_build_stage(dockerfile):
    build = dockerfile.split("FROM debian:bookworm AS build")[1].split("FROM debian:bookworm-slim")[0]
    deps = open(os.path.join(SOURCE_DIR, "scripts", "install-deps.sh")).read()
    build_packages = set(deps.split("build_packages=(")[1].split(")")[0].split())
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", build.split("apt-get install")[1].split("&& rm")[0]))
    missing = build_packages - installed - {"curl", "python3"}  # the demo's tools, not the build's
    assert not missing, f"the image's build stage lacks build packages {sorted(missing)}"
    assert re.search(r"^ARG REVISION=", build, re.M) and "-DKPI_REVISION=\"${REVISION}\"" in build, build

    # The configure step as the Dockerfile writes it, with REVISION and BRANCH given.
    run = build.split("RUN cmake ", 1)[1].split("&&")[0].replace("\\\n", " ")
    args = shlex.split(run.replace("${REVISION}", "0123456789ab").replace("${BRANCH}", "release-1"))
    with tempfile.TemporaryDirectory() as tmp:
        args = [a.replace("/build", os.path.join(tmp, "build")) if a == "/build" else a for a in args]
        args = [SOURCE_DIR if a == "." else a for a in args]
        r = subprocess.run(["cmake", *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        header = open(os.path.join(tmp, "build", "generated", "version.h")).read()
        assert 'kRevision = "0123456789ab"' in header and 'kBranch = "release-1"' in header, header


if __name__ == "__main__":
    main()
