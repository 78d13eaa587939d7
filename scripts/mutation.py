#!/usr/bin/env python3
"""Mutation testing: does the suite catch the bugs that matter?

Applies each mutation in tests/mutation/*.mutation (format: tests/mutation/README.md)
to a scratch copy of the tree, rebuilds it incrementally, runs the ctest tests
the mutation names, and reports caught (a test failed) or survived (all passed).
A developer tool, not part of CI: a full run takes a while (one incremental
build per mutation).

Usage: scripts/mutation.sh [--scratch DIR] [NAME_SUBSTRING ...]
       scripts/mutation.py --check   only checks every file applies (each 'find' occurs exactly once);
                                     ctest runs this ("suite: every mutation applies"), so none rots unnoticed
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(path):
    fields = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{path}: line without 'key: value': {line!r}")
        # "\n" is a newline, "\\" a backslash (so "\\n" is the two characters of a C++ escape).
        fields[key.strip()] = re.sub(r"\\([\\n])", lambda m: "\n" if m.group(1) == "n" else "\\", value.strip())
    missing = {"file", "find", "replace", "tests", "why"} - set(fields)
    if missing:
        raise ValueError(f"{path}: missing {', '.join(sorted(missing))}")
    return fields


def check_all():
    """Every mutation parses and its 'find' occurs exactly once in its file: no build, no tests."""
    problems = []
    paths = sorted(glob.glob(os.path.join(ROOT, "tests", "mutation", "*.mutation")))
    for path in paths:
        try:
            m = parse(path)
            target = os.path.join(ROOT, m["file"])
            count = open(target).read().count(m["find"]) if os.path.exists(target) else -1
            if count != 1:
                problems.append(f"{os.path.basename(path)}: 'find' occurs {count} times in {m['file']}"
                                if count >= 0 else f"{os.path.basename(path)}: no file {m['file']}")
        except ValueError as e:
            problems.append(str(e))
    for problem in problems:
        print(problem)
    print(f"{len(paths) - len(problems)}/{len(paths)} mutation files apply")
    sys.exit(1 if problems or not paths else 0)


def run(cmd, cwd, timeout=1800):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scratch", default="/tmp/kpi-mutation", help="scratch copy and its build dir (reused)")
    parser.add_argument("--check", action="store_true", help="only check that every mutation file applies")
    parser.add_argument("only", nargs="*", help="run only mutations whose file name contains one of these")
    args = parser.parse_args()
    if args.check:
        check_all()

    src = os.path.join(args.scratch, "src")
    build = os.path.join(args.scratch, "build")
    os.makedirs(src, exist_ok=True)
    # The scratch copy is the working tree as it is now (tracked and new files), without build output.
    subprocess.run(["rsync", "-a", "--delete", "--exclude", "/build", "--exclude", "/.git", "--exclude", "node_modules",
                    ROOT + "/", src + "/"], check=True)
    tools = os.path.join(ROOT, "tools", "k8s", "node_modules")
    if os.path.isdir(tools) and not os.path.exists(os.path.join(src, "tools", "k8s", "node_modules")):
        os.symlink(tools, os.path.join(src, "tools", "k8s", "node_modules"))
    subprocess.run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DKPI_WERROR=OFF"], check=True,
                   stdout=subprocess.DEVNULL)
    first = run(["cmake", "--build", build], src)
    if first.returncode != 0:
        sys.exit("the unmutated tree does not build:\n" + first.stdout[-4000:])

    mutations = sorted(glob.glob(os.path.join(ROOT, "tests", "mutation", "*.mutation")))
    if args.only:
        mutations = [m for m in mutations if any(o in os.path.basename(m) for o in args.only)]
    # A mutation only counts as caught when its tests pass on the unmutated tree: otherwise a missing tool
    # (helm, chromium) or a broken test would make every mutation look caught.
    baseline = {}
    for pattern in sorted({parse(path)["tests"] for path in mutations}):
        unmutated = run(["ctest", "--test-dir", build, "-R", pattern, "--timeout", "300", "-j2"], src)
        baseline[pattern] = unmutated.returncode == 0
        if not baseline[pattern]:
            print(f"tests '{pattern}' fail on the unmutated tree:\n" + unmutated.stdout[-2000:], flush=True)
    results = []
    for path in mutations:
        name = os.path.basename(path)[:-len(".mutation")]
        started = time.time()
        m = parse(path)
        target = os.path.join(src, m["file"])
        original = open(target).read()
        count = original.count(m["find"])
        if not baseline[m["tests"]]:
            results.append((name, "invalid", f"its tests '{m['tests']}' fail unmutated"))
            print(f"{name}: invalid (its tests fail unmutated)", flush=True)
            continue
        if count != 1:
            results.append((name, "invalid", f"'find' occurs {count} times in {m['file']}"))
            print(f"{name}: invalid ({count} matches)", flush=True)
            continue
        try:
            with open(target, "w") as f:
                f.write(original.replace(m["find"], m["replace"]))
            built = run(["cmake", "--build", build], src)
            if built.returncode != 0:
                verdict, detail = "invalid", "does not build: " + " ".join(
                    l for l in built.stdout.splitlines() if "error" in l)[:300]
            else:
                tested = run(["ctest", "--test-dir", build, "-R", m["tests"], "--timeout", "300", "-j2"], src)
                selected = re.search(r"tests passed, (\d+) tests failed out of (\d+)", tested.stdout)
                if "No tests were found" in tested.stdout + tested.stderr or not selected:
                    verdict, detail = "invalid", f"'{m['tests']}' selects no test"
                elif tested.returncode != 0:
                    failed = re.findall(r"\d+ - (.*?) \(", tested.stdout)
                    verdict, detail = "caught", "by " + "; ".join(failed[:3])
                else:
                    verdict, detail = "survived", f"{selected.group(2)} selected tests passed"
        finally:
            with open(target, "w") as f:
                f.write(original)
        results.append((name, verdict, detail))
        print(f"{name}: {verdict} ({detail}) [{time.time() - started:.0f}s]", flush=True)
    run(["cmake", "--build", build], src)  # leave the scratch build unmutated

    caught = sum(1 for _, v, _ in results if v == "caught")
    print(f"\n{caught}/{len(results)} mutations caught")
    for name, verdict, detail in results:
        if verdict != "caught":
            print(f"  {verdict}: {name}: {detail}")
    sys.exit(0 if results and caught == len(results) else 1)


if __name__ == "__main__":
    main()
