#!/usr/bin/env python3
"""KPIs: the promtool tests in rules/tests/kpi pass on the rules generated from rules/tests/kpi/kpi.toml;
against the fake upstream with every source and the default KPIs, the in-process kpi_status and the
generated kpi:status recording rules agree on the same inputs (the scraped series fed to promtool);
every family a source emits is declared in its catalog with its labels (check-config accepts a [[kpi]]
on it with all its labels); check-config rejects a bad [[kpi]] with file:line:col and exit code 2."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (DISCORD_TOKEN, EXPORTER, JIRA_TOKEN, SOURCE_DIR, STRIPE_KEY, TOKEN, Processes, discord_pypi_config, github_config, http,  # noqa: E402
                     jira_stripe_config, parse_metrics, wait_for)

KPI_DIR = os.path.join(SOURCE_DIR, "rules", "tests", "kpi")


def run(*args):
    env = dict(os.environ, KPI_TEST_TOKEN=TOKEN, KPI_JIRA_TOKEN=JIRA_TOKEN, KPI_STRIPE_KEY=STRIPE_KEY,
               KPI_DISCORD_TOKEN=DISCORD_TOKEN)
    return subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=60, env=env)


def promtool(*args):
    r = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"promtool {' '.join(args)} failed:\n{r.stdout}{r.stderr}"
    return r.stdout


def rules_for(config):
    r = run("rules", f"--config.file={config}")
    assert r.returncode == 0, r.stderr
    return r.stdout


def series_text(name, labels):
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels)) + "}"


def main():
    with Processes() as p:
        # 1. The hand-written promtool tests on the generated KPI group.
        os.makedirs(p.path("kpi"), exist_ok=True)
        p.write_config(rules_for(os.path.join(KPI_DIR, "kpi.toml")), os.path.join("kpi", "kpi.rules.yml"))
        with open(os.path.join(KPI_DIR, "kpi.test.yml")) as f:
            test = p.write_config(f.read(), os.path.join("kpi", "kpi.test.yml"))
        promtool("test", "rules", test)

        # 2. Every source with its default KPIs, against the fake upstream.
        fake = p.start_fake()
        config = p.write_config(github_config(fake) + jira_stripe_config(fake) + discord_pypi_config(fake), "all.toml")
        exporter, log, base = p.start_exporter(config)
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        samples = parse_metrics(http(base + "/metrics")[1])
        status = {dict(l)["kpi"]: v for (n, l), v in samples.items() if n == "kpi_status"}
        targets = {dict(l)["kpi"] for (n, l), v in samples.items() if n == "kpi_target"}
        assert {"stars", "ci_success", "pr_lead_time", "first_response", "jira_resolution", "churn", "discord_members",
                "pypi_downloads", "mrr_growth"} <= targets, targets
        assert len(status) >= 5 and "mrr_growth" not in status, status  # an expr KPI: only Prometheus evaluates it

        # The same inputs to the generated rules: the scraped source series, constant for 10 minutes, with the
        # job label Prometheus adds (the rules select job=~"kpi-exporter.*").
        inputs = [(n, l | {("job", "kpi-exporter")}, v) for (n, l), v in samples.items()
                  if not n.startswith("kpi_") and not n.startswith("process_") and v == v]
        series = "".join(f"      - series: '{series_text(n, l)}'\n        values: '{v!r}x10'\n" for n, l, v in inputs)
        expected = "".join(f"          - labels: 'kpi:status{{category=\"{dict(l)['category']}\",kpi=\"{dict(l)['kpi']}\"}}'\n"
                           f"            value: {v!r}\n" for (n, l), v in samples.items() if n == "kpi_status")
        agree = ("rule_files:\n  - all.rules.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n"
                 "    input_series:\n" + series + "    promql_expr_test:\n      - expr: kpi:status\n        eval_time: 5m\n"
                 "        exp_samples:\n" + expected)
        p.write_config(rules_for(config), os.path.join("kpi", "all.rules.yml"))
        promtool("test", "rules", p.write_config(agree, os.path.join("kpi", "agree.test.yml")))

        # 3. Every source family on /metrics is declared with its labels: a [[kpi]] on it naming them all passes.
        families = {}
        for (n, l), v in samples.items():
            base_name = re.sub(r"_(sum|count)$", "", n)
            if n.startswith(("kpi_", "process_")):
                continue
            families.setdefault(base_name, set()).update(k for k, _ in l if k != "quantile")
        sources = {"github_", "jira_", "stripe_", "discord_", "pypi_"}
        checked = 0
        for name, labels in sorted(families.items()):
            if not any(name.startswith(s) for s in sources):
                continue
            matchers = ", ".join(f'{k} = "x"' for k in sorted(labels))
            kpi = f'[[kpi]]\nname = "k"\ncategory = "c"\nmetric = "{name}"\nlabels = {{ {matchers} }}\ntarget = 1\n'
            r = run("check-config", f"--config.file={p.write_config(open(config).read() + kpi, 'declared.toml')}")
            assert r.returncode == 0, f"{name} with labels {labels} is not declared: {r.stderr}"
            checked += 1
        assert checked >= 25, checked

        # 4. check-config: a bad [[kpi]] is an error with its position, exit code 2.
        bad = p.write_config(github_config(fake) + '[[kpi]]\nname = "k"\ncategory = "c"\nmetric = "github_stars"\n'
                             'target = 1\n', "bad.toml")
        r = run("check-config", f"--config.file={bad}")
        lines = open(bad).read().splitlines()
        line = next(i for i, t in enumerate(lines, 1) if t.startswith("metric ="))
        assert r.returncode == 2 and f"{bad}:{line}:10: unknown metric 'github_stars'" in r.stderr, r.stderr


if __name__ == "__main__":
    main()
