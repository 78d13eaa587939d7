"""Guards that every test the suite has is executed by ctest.

1. Every doctest case the unit_tests binary lists has exactly one ctest entry
   ("unit: <name>"), and no name holds a ';' (CMake splits lists there, so a
   case would turn into two entries that each run nothing).
2. Every integration script tests/integration/test_*.py is registered with ctest.

Usage: check_test_count.py <unit_tests binary> <build dir> <tests source dir>
"""
import glob
import os
import re
import subprocess
import sys


def main():
    binary, build_dir, source_dir = sys.argv[1:4]
    listed = subprocess.run([binary, "--list-test-cases", "--no-version"], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    cases = [line for line in listed if line and not line.startswith("[doctest]") and not line.startswith("=====")]
    summary = [line for line in listed if "unskipped test cases passing the current filters" in line]
    assert summary, "doctest printed no summary line; cannot count its test cases"
    total = int(re.search(r"\[doctest\] unskipped test cases passing the current filters: (\d+)", summary[0]).group(1))
    assert total == len(cases), f"parsed {len(cases)} case names but doctest reports {total}"

    ctest = subprocess.run(["ctest", "--test-dir", build_dir, "-N"], check=True, capture_output=True,
                           text=True).stdout
    registered = re.findall(r"Test +#\d+: (.*)$", ctest, re.MULTILINE)
    unit = [name[len("unit:"):].lstrip() for name in registered if name.startswith("unit:")]

    problems = []
    for case in cases:
        if ";" in case:
            problems.append(f"test case name holds ';' (ctest would split it): {case!r}")
    missing = sorted(set(cases) - set(unit))
    extra = sorted(set(unit) - set(cases))
    problems += [f"doctest case without a ctest entry: {name!r}" for name in missing]
    problems += [f"ctest entry that is no doctest case: {name!r}" for name in extra]
    if len(unit) != len(cases):
        problems.append(f"ctest has {len(unit)} unit entries, the binary lists {len(cases)} test cases")

    scripts = sorted(os.path.basename(p)[len("test_"):-len(".py")]
                     for p in glob.glob(os.path.join(source_dir, "integration", "test_*.py")))
    integration = {name[len("integration:"):].lstrip() for name in registered if name.startswith("integration:")}
    problems += [f"integration script not registered with ctest: test_{name}.py"
                 for name in scripts if name not in integration]

    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"ok: {len(cases)} unit test cases, {len(scripts)} integration scripts, all under ctest")


if __name__ == "__main__":
    main()
