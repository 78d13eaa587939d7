#!/usr/bin/env python3
"""No container engine runs here, so the image is checked by its parts: the
runtime stage installs exactly the Debian packages that provide the built
binary's DT_NEEDED libraries (beyond bookworm-slim's own), runs as non-root,
and has the binary as ENTRYPOINT."""
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
    print("ok:", ", ".join(sorted(required)))


if __name__ == "__main__":
    main()
