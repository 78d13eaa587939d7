#!/usr/bin/env python3
"""The Helm chart without a cluster: helm lint --strict and helm template for a
matrix of values; every rendered object validated against the Kubernetes and
prometheus-operator schemas; the PrometheusRule equal to `kpi_exporter rules`
for the same thresholds and accepted by promtool; values the schema must
reject; the generated rules template current; the scorecard group (default KPIs, alerts.kpiRed, or the
user's group as prometheusRule.kpiGroup); the dashboard the generator's output (scorecard row, zones as
thresholds, Jira SLA panels); the dashboard's PromQL naming
only metrics the exporter (or its recording rules) produces, aggregated across
shards in the health row; the sidecar recipe; and `shards`: a StatefulSet whose
pods take their ordinal as shard index, every pod scraped, one token per shard,
and three real exporters started with the rendered args, each repository
appearing in exactly one of them."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (DASHBOARD, EXPORTER, SOURCE_DIR, TOKEN, Processes, discord_pypi_config, github_config, http,  # noqa: E402
                     jira_stripe_config, parse_metrics, stop, wait_for)

CHART = os.path.join(SOURCE_DIR, "helm", "kpi-exporter")
TOOLS = os.path.join(SOURCE_DIR, "tools", "k8s")
HELM = os.path.join(TOOLS, "bin", "helm")
VALIDATE = os.path.join(TOOLS, "validate.mjs")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def helm(*args):
    r = run([HELM, *args])
    assert r.returncode == 0, f"helm {' '.join(args)} failed:\n{r.stdout}{r.stderr}"
    return r.stdout


class Rendered:
    def __init__(self, p, name, *values_args, chart=CHART):
        helm("lint", "--strict", chart, *values_args)
        manifest = p.write_config(helm("template", "rel", chart, "--namespace", "kpi", *values_args), name + ".yaml")
        out = p.path(name + ".json")
        r = run(["node", VALIDATE, "validate", manifest, out])
        assert r.returncode == 0, f"{name}: schema validation failed:\n{r.stdout}{r.stderr}"
        self.objects = json.load(open(out))
        self.text = open(manifest).read()

    def kinds(self):
        return sorted(o["kind"] for o in self.objects)

    def one(self, kind, name=None):
        found = [o for o in self.objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
        assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
        return found[0]


def yaml_to_json(p, text, name):
    src = p.write_config(text, name + ".yaml")
    r = run(["node", VALIDATE, "tojson", src, p.path(name + ".json")])
    assert r.returncode == 0, r.stderr
    return json.load(open(p.path(name + ".json")))


def program_groups(p, *args):
    r = run([EXPORTER, "rules", *args])
    assert r.returncode == 0, r.stderr
    return yaml_to_json(p, r.stdout, "program-rules")["groups"]


def check_rules(p, rendered, expected_groups, name):
    rule = rendered.one("PrometheusRule")
    assert rule["spec"]["groups"] == expected_groups, f"{name}: chart rules differ from `kpi_exporter rules`"
    rules_file = p.write_config(json.dumps({"groups": rule["spec"]["groups"]}), name + ".rules.yml")
    r = run(["promtool", "check", "rules", rules_file])
    assert r.returncode == 0, r.stdout + r.stderr


def metric_names(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)         # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                   # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)                  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        if expr[m.end():].lstrip().startswith("("):
            continue                                        # a function or aggregation
        names.add(m.group(0))
    return names


def container(workload):
    return workload["spec"]["template"]["spec"]["containers"][0]


def is_subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


def check_sharded_chart(p):
    """shards=3: a StatefulSet of three pods, each taking its ordinal as shard index
    from the pod-index label; the headless Service and the ServiceMonitor reach every
    pod; each pod mounts only its own token; values that cannot work are refused."""
    s = Rendered(p, "sharded", "-f", os.path.join(CHART, "ci", "sharded-values.yaml"))
    assert s.kinds() == ["ConfigMap", "NetworkPolicy", "PrometheusRule", "Service", "ServiceAccount",
                         "ServiceMonitor", "StatefulSet"], s.kinds()
    sts, svc, sm = s.one("StatefulSet"), s.one("Service"), s.one("ServiceMonitor")
    assert sts["spec"]["replicas"] == 3 and sts["spec"]["podManagementPolicy"] == "Parallel"
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    assert is_subset(sts["spec"]["selector"]["matchLabels"], pod_labels)
    c = container(sts)
    assert c["args"][-2:] == ["--shard.index=$(SHARD_INDEX)", "--shard.count=3"], c["args"]
    # $(SHARD_INDEX) expands only to a variable of the container: the first one, from the pod's ordinal.
    assert c["env"][0] == {"name": "SHARD_INDEX", "valueFrom": {"fieldRef": {
        "fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}}}, c["env"]
    assert "checksum/config" in sts["spec"]["template"]["metadata"]["annotations"]

    # Every pod is a scrape target: the ServiceMonitor selects the Service (same namespace,
    # its port by name), whose selector matches the pods; headless, it resolves to each of them.
    assert sts["spec"]["serviceName"] == svc["metadata"]["name"] and svc["spec"]["clusterIP"] == "None"
    assert is_subset(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"])
    assert svc["metadata"]["namespace"] in sm["spec"]["namespaceSelector"]["matchNames"]
    port = next(sp for sp in svc["spec"]["ports"] if sp["name"] == sm["spec"]["endpoints"][0]["port"])
    assert port["targetPort"] in [cp["name"] for cp in c["ports"]]
    assert is_subset(svc["spec"]["selector"], pod_labels)
    assert is_subset(s.one("NetworkPolicy")["spec"]["podSelector"]["matchLabels"], pod_labels)

    # One token per shard: key github-token-<i> is file <i>/github-token, pod i mounts directory <i>
    # where the one shared config looks for it.
    volume = next(v for v in sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "shard-secrets")
    assert volume["secret"]["secretName"] == "kpi-exporter-shard-tokens"
    assert volume["secret"]["items"] == [{"key": f"github-token-{i}", "path": f"{i}/github-token"} for i in range(3)]
    mount = next(m for m in c["volumeMounts"] if m["name"] == "shard-secrets")
    assert mount["subPathExpr"] == "$(SHARD_INDEX)" and mount["readOnly"]
    config = s.one("ConfigMap")["data"]["config.toml"]
    assert f'token_file = "{mount["mountPath"]}/github-token"' in config, config
    # Outside the pod the token file is missing, which check-config reports, and nothing else.
    r = run([EXPORTER, "check-config", f"--config.file={p.write_config(config, 'sharded.toml')}"])
    assert r.returncode != 0 and "cannot read" in r.stderr and "github-token" in r.stderr, r.stderr

    # Unsharded, the same secret layout works (the keys ending in -0) and nothing else changes.
    one = Rendered(p, "one-shard-secret", "--set", "shardSecret.name=tokens")
    dep = one.one("Deployment")
    assert next(m for m in container(dep)["volumeMounts"] if m["name"] == "shard-secrets")["subPath"] == "0"
    assert next(v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "shard-secrets")[
        "secret"]["items"] == [{"key": "github-token-0", "path": "0/github-token"}]
    assert not any("--shard" in arg for arg in container(dep)["args"]) and "env" not in container(dep)
    # replicaCount 0 scales every shard down.
    zero = Rendered(p, "sharded-zero", "--set", "shards=3", "--set", "replicaCount=0")
    assert zero.one("StatefulSet")["spec"]["replicas"] == 0 and zero.kinds().count("Deployment") == 0

    for args, message in [(["--set", "shards=0"], "/shards"),
                          (["--set", "shards=1001"], "/shards"),
                          (["--set-string", "shards=3"], "/shards"),
                          (["--set", "shardSecret.keys[0]=github/token"], "/shardSecret/keys/0"),
                          (["--set", "shards=3", "--kube-version", "1.27.9"], "Kubernetes 1.28 or later"),
                          (["--set", "shards=3", "--set", "service.type=NodePort"], "service.type ClusterIP")]:
        r = run([HELM, "template", "rel", CHART, *args])
        assert r.returncode != 0 and message in r.stderr, f"{args} must be rejected: {r.stderr}"
    # 1.28 is enough; every source shards by target, so any config renders.
    Rendered(p, "sharded-1.28", "--set", "shards=2", "--kube-version", "1.28.0", "--set-string",
             "config=[github]\norgs = [\"acme\"]\n\n[alerts.stripe_churn]\nthreshold = 0.05\n")


def check_shards_run(p):
    """Renders shards=3 over a config for the fake upstream and runs three real exporters
    with the StatefulSet's args, $(SHARD_INDEX) replaced by each pod's ordinal: every
    repository appears in exactly one exporter's github_repo_stars."""
    repos = ("acme/widgets", "acme/huge")
    fake = p.start_fake()
    config = github_config(fake, repos=repos).replace('orgs = ["acme"]\n', "")
    values = p.write_config(json.dumps({"shards": 3, "config": config}), "sharded-run-values.yaml")  # JSON is YAML
    s = Rendered(p, "sharded-run", "-f", values)
    sts = s.one("StatefulSet")
    config_file = p.write_config(s.one("ConfigMap")["data"]["config.toml"], "sharded-run.toml")
    mount = next(m for m in container(sts)["volumeMounts"] if m["name"] == "config")

    def local(arg, index):
        """The pod's view translated to this machine: the mounted config file, a free port."""
        arg = arg.replace("$(SHARD_INDEX)", str(index))
        if arg == f"--config.file={mount['mountPath']}/config.toml":
            return "--config.file=" + config_file
        if arg.startswith("--web.listen-address="):
            return "--web.listen-address=127.0.0.1:0"
        assert "/etc/" not in arg, arg
        return arg

    # Without the pod-index label (Kubernetes < 1.28, or its feature gate off) SHARD_INDEX is empty;
    # were the variable undefined, $(SHARD_INDEX) would stay as it is. Either way the exporter refuses to start.
    for unset in ("", "$(SHARD_INDEX)"):
        r = run([EXPORTER, *[local(a, unset) for a in container(sts)["args"]]])
        assert r.returncode == 2 and "--shard.index" in r.stderr, (unset, r.returncode, r.stderr)
    exporters = [p.start_exporter(config_file, *[local(a, i) for a in container(sts)["args"]])
                 for i in range(sts["spec"]["replicas"])]
    assert len(exporters) == 3
    seen = {}
    for index, (_, _, base) in enumerate(exporters):
        wait_for(lambda: http(base + "/readyz")[0] == 200, what=f"/readyz of shard {index}")
        for name, labels in parse_metrics(http(base + "/metrics")[1]):
            if name == "github_repo_stars":
                seen.setdefault(dict(labels)["repo"], []).append(index)
    assert sorted(seen) == sorted(repos) and all(len(shards) == 1 for shards in seen.values()), seen
    for proc, _, _ in exporters:
        assert stop(proc) == 0


def check_conventions(p, a):
    """The prometheus-community value names each land where users of those charts expect them."""
    dep = a.one("Deployment")
    pod = dep["spec"]["template"]["spec"]
    c = container(dep)
    assert c["image"].endswith("@sha256:" + "0123456789abcdef" * 4) and c["image"].startswith("ghcr.io/"), c["image"]
    assert c["envFrom"] == [{"secretRef": {"name": "kpi-exporter-env"}}]
    assert c["env"][0]["name"] == "STRIPE_API_KEY"
    assert {"name": "ca", "mountPath": "/etc/ssl/corporate", "readOnly": True} in c["volumeMounts"]
    assert any(v["name"] == "ca" and v["configMap"]["name"] == "corporate-ca" for v in pod["volumes"])
    assert [x["name"] for x in pod["containers"]] == ["kpi-exporter", "kube-rbac-proxy"]
    assert [x["name"] for x in pod["initContainers"]] == ["wait"]
    assert pod["priorityClassName"] == "monitoring"
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert c["resources"]["limits"]["memory"] == "128Mi"
    # extraManifests: an object as it is, a string as a template of the release.
    assert a.one("ConfigMap", "corporate-ca")["data"]["ca.crt"] == "placeholder"
    assert a.one("ConfigMap", "rel-kpi-exporter-extra")["data"]["release"] == "rel"
    pdb = a.one("PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1 and is_subset(pdb["spec"]["selector"]["matchLabels"],
                                                            dep["spec"]["template"]["metadata"]["labels"])
    sm = a.one("ServiceMonitor")
    endpoint = sm["spec"]["endpoints"][0]
    assert sm["metadata"]["namespace"] == "monitoring" and sm["spec"]["namespaceSelector"]["matchNames"] == ["kpi"]
    assert sm["spec"]["jobLabel"] == "app.kubernetes.io/name"
    assert sm["spec"]["targetLabels"] == ["app.kubernetes.io/instance"]
    assert endpoint["path"] == "/metrics" and endpoint["scheme"] == "http" and endpoint["honorLabels"] is True
    assert a.one("PrometheusRule")["metadata"]["namespace"] == "monitoring"
    # path, scheme and tlsConfig for a TLS proxy in front.
    tls = Rendered(p, "sm-tls", "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.scheme=https",
                   "--set", "serviceMonitor.path=/kpi", "--set", "serviceMonitor.tlsConfig.insecureSkipVerify=true")
    endpoint = tls.one("ServiceMonitor")["spec"]["endpoints"][0]
    assert (endpoint["scheme"], endpoint["path"], endpoint["tlsConfig"]) == ("https", "/kpi", {"insecureSkipVerify": True})
    assert "honorLabels" not in endpoint
    # registry empty: the repository as it is; a tag when no digest.
    plain = Rendered(p, "image-plain", "--set", "image.registry=", "--set", "image.repository=mirror/kpi",
                     "--set", "image.tag=1.2.3")
    assert container(plain.one("Deployment"))["image"] == "mirror/kpi:1.2.3"
    # minAvailable instead of maxUnavailable.
    pdb = Rendered(p, "pdb-min", "--set", "podDisruptionBudget.enabled=true",
                   "--set", "podDisruptionBudget.minAvailable=1").one("PodDisruptionBudget")
    assert pdb["spec"] == {"minAvailable": 1, "selector": pdb["spec"]["selector"]}, pdb["spec"]


def check_as_dependency(p):
    """A parent chart that pulls this one in as a dependency and sets `global` (as
    umbrella charts do) renders, lints and validates; values reach the subchart."""
    parent = p.path("umbrella")
    shutil.rmtree(parent, ignore_errors=True)
    os.makedirs(os.path.join(parent, "charts"))
    os.makedirs(os.path.join(parent, "templates"))
    with open(os.path.join(parent, "templates", "NOTES.txt"), "w") as f:
        f.write("the platform chart\n")
    shutil.copytree(CHART, os.path.join(parent, "charts", "kpi-exporter"))
    version = re.search(r"^version: (\S+)", open(os.path.join(CHART, "Chart.yaml")).read(), re.M).group(1)
    with open(os.path.join(parent, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: umbrella\nversion: 1.0.0\ndescription: a platform chart\n"
                "icon: https://example.com/icon.svg\n"
                f"dependencies:\n  - name: kpi-exporter\n    version: {version}\n"
                f"    repository: file://../kpi-exporter\n    condition: kpi-exporter.enabled\n")
    with open(os.path.join(parent, "values.yaml"), "w") as f:
        f.write("global:\n  imageRegistry: registry.internal\n  imagePullSecrets: []\n"
                "kpi-exporter:\n  enabled: true\n  serviceMonitor:\n    enabled: true\n")
    r = Rendered(p, "as-dependency", chart=parent)
    assert r.kinds() == ["ConfigMap", "Deployment", "Service", "ServiceAccount", "ServiceMonitor"], r.kinds()
    # A value for the subchart that its schema refuses is still refused through the parent.
    bad = run([HELM, "template", "rel", parent, "--set", "kpi-exporter.unknownKey=1"])
    assert bad.returncode != 0 and "unknownKey" in bad.stderr, bad.stderr


def check_notes():
    """NOTES.txt: the rules check is a query that answers while nothing fires (the
    rule-group metrics Prometheus keeps for every loaded group), not ALERTS."""
    r = run([HELM, "install", "rel", CHART, "--dry-run=client", "--namespace", "kpi",
             "--set", "prometheusRule.enabled=true", "--set", "serviceMonitor.enabled=true"])
    assert r.returncode == 0, r.stderr
    notes = r.stdout.split("NOTES:", 1)[1]
    assert "ALERTS" not in notes, notes
    query = re.search(r"^\s*(count by \(rule_group\) \(prometheus_rule_group_rules\{.*\}\))$", notes, re.M)
    assert query, notes
    # The query names the groups the rules really have.
    pattern = re.search(r'rule_group=~"(.*)"', query.group(1)).group(1)
    for group in ("kpi-exporter.kpis", "kpi-exporter.health"):
        assert re.fullmatch(pattern, f"/etc/prometheus/rules/kpi-kpi-rel-kpi-exporter.yaml;{group}"), pattern


def check_dashboard_health_row(dashboard):
    """The exporter-health row shows per-target health, aggregated so that several
    shards (pods) never show one collector or target twice."""
    rows = [i for i, panel in enumerate(dashboard["panels"]) if panel["type"] == "row"]
    start = next(i for i in rows if "Exporter health" in dashboard["panels"][i]["title"])
    end = next((i for i in rows if i > start), len(dashboard["panels"]))
    exprs = [t["expr"] for panel in dashboard["panels"][start + 1:end] for t in panel.get("targets", [])]
    for expr in exprs:
        assert re.match(r"^(sum|min|max) by \(collector\b|^(min|max) by \(resource\)", expr), \
            f"exporter health expr {expr!r} is not aggregated across shards"
    for metric in ("kpi_exporter_target_up", "kpi_exporter_target_last_success_timestamp_seconds",
                   "kpi_exporter_truncated_total"):
        assert any(metric in expr and re.match(r"^(sum|min|max) by \(collector, target\b", expr) for expr in exprs), \
            f"no exporter health panel shows {metric} per collector and target"


def zone_steps(dashboard, title, ref="A"):
    """The threshold steps the generator put on query `ref` of the panel `title`."""
    panel = next(panel for panel in dashboard["panels"] if panel["title"].startswith(title))
    override = next(o for o in panel["fieldConfig"]["overrides"] if o["matcher"] == {"id": "byFrameRefID", "options": ref})
    props = {prop["id"]: prop["value"] for prop in override["properties"]}
    if panel["type"] == "timeseries":
        assert props["custom.thresholdsStyle"] == {"mode": "line+area"}, props
    return [(step["color"], step["value"]) for step in props["thresholds"]["steps"]]


def check_generated_dashboard(p, dashboard):
    """The checked-in dashboard is the generator's output for its base and the default KPIs: a scorecard row
    on top (composite, coverage, a stat per KPI in its zones), the KPIs' zones on the panels that show their
    metrics, the Jira SLA panels; the same for a config's own [[kpi]]."""
    base = os.path.join(CHART, "dashboards", "base", "kpi-exporter.json")
    r = run([DASHBOARD, base])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == dashboard, \
        "helm/kpi-exporter/dashboards/kpi-exporter.json is stale: run `cmake --build build --target rules`"
    with open(os.path.join(CHART, "dashboards", "kpi-exporter.json")) as f:
        assert f.read() == r.stdout, "the dashboard is not byte for byte the generator's output"
    panels = dashboard["panels"]
    assert panels[0]["type"] == "row" and panels[0]["title"].startswith("Scorecard") and panels[0]["gridPos"]["y"] == 0
    row_end = next(panel["gridPos"]["y"] for panel in panels[1:] if panel["type"] == "row")
    top = [panel for panel in panels if panel["gridPos"]["y"] < row_end and panel["type"] == "stat"]
    exprs = [panel["targets"][0]["expr"] for panel in top]
    assert exprs[:2] == ["kpi:composite_score", "kpi:coverage_ratio"], exprs
    names = {"stars", "forks", "contributors", "ci_success", "pr_lead_time", "first_response", "bug_reports",
             "jira_resolution", "churn", "mrr_growth", "discord_members", "pypi_downloads"}
    assert set(exprs[2:]) == {f'kpi:value{{kpi="{n}"}}' for n in names}, exprs
    # Zones from the definitions: higher is better from the target up; lower is better green up to the target
    # itself (Grafana starts a step at its value, so red starts at the next double above it).
    assert zone_steps(dashboard, "Stars, forks", "A") == [("red", None), ("green", 500)]
    assert zone_steps(dashboard, "Stars, forks", "C") == [("red", None), ("green", 20)]
    assert zone_steps(dashboard, "Churn") == [("green", None), ("red", 0.030000000000000002)]
    assert zone_steps(dashboard, "Mean time to first response") == [("green", None), ("red", 86400.00000000001)]
    assert zone_steps(dashboard, "MRR growth") == [("red", None), ("green", 0.15)]
    stat = next(panel for panel in top if panel["title"] == "first_response")
    assert [(s["color"], s["value"]) for s in stat["fieldConfig"]["defaults"]["thresholds"]["steps"]] == \
        [("green", None), ("red", 86400.00000000001)] and stat["fieldConfig"]["defaults"]["unit"] == "s"
    assert all("kpi" not in t for panel in panels for t in panel.get("targets", [])), "a \"kpi\" mark was left"
    titles = [panel["title"] for panel in panels]
    assert any("Resolved within SLA" in t for t in titles) and any("past their SLA" in t for t in titles), titles
    # No two panels overlap.
    cells = set()
    for panel in panels:
        g = panel["gridPos"]
        for y in range(g["y"], g["y"] + g["h"]):
            for x in range(g["x"], g["x"] + g["w"]):
                assert (x, y) not in cells, (panel["title"], x, y)
                cells.add((x, y))
    # A config's own KPIs: zones with yellow, an expr KPI, KPIs the base does not mark only in the row.
    own = run([DASHBOARD, base, os.path.join(SOURCE_DIR, "rules", "tests", "kpi", "kpi.toml")])
    assert own.returncode == 0, own.stderr
    mine = json.loads(own.stdout)
    assert zone_steps(mine, "Stars, forks", "A") == [("red", None), ("yellow", 400), ("green", 600)]
    assert [panel["title"] for panel in mine["panels"][3:6]] == ["stars", "first_response", "ci"]
    bad = run([DASHBOARD, p.write_config('{"panels": [{"title": "no position"}]}', "bad-base.json")])
    assert bad.returncode == 2 and "gridPos" in bad.stderr, bad.stderr


def main():
    with Processes() as p:
        version = run([EXPORTER, "--version"]).stdout.split()[2].rstrip(",")
        chart_yaml = open(os.path.join(CHART, "Chart.yaml")).read()
        assert f'appVersion: "{version}"' in chart_yaml, f"Chart appVersion must be the program's version {version}"

        with open(os.path.join(CHART, "templates", "_rules.tpl")) as f:
            assert f.read() == run([EXPORTER, "rules", "--format=helm"]).stdout, \
                "helm/kpi-exporter/templates/_rules.tpl is stale: run `cmake --build build --target rules`"

        # 1. Defaults.
        d = Rendered(p, "defaults")
        assert d.kinds() == ["ConfigMap", "Deployment", "Service", "ServiceAccount"], d.kinds()
        dep = d.one("Deployment")
        assert dep["spec"]["replicas"] == 1
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz" and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c["image"] == "ghcr.io/kpi-exporter/kpi-exporter:" + version, c["image"]
        assert "resources" not in c, "resources are unset by default (values.yaml documents a suggestion)"
        assert "--config.file=/etc/kpi-exporter/config/config.toml" in c["args"]
        assert not any("--shard" in arg for arg in c["args"]) and "env" not in c  # shards: 1
        assert "checksum/config" in dep["spec"]["template"]["metadata"]["annotations"]
        config = d.one("ConfigMap")["data"]["config.toml"]
        toml = p.write_config(config, "chart-default.toml")
        r = run([EXPORTER, "check-config", f"--config.file={toml}"])
        assert r.returncode == 0, "the chart's default config must be valid: " + r.stderr

        # A config change rolls the pod (the checksum changes with it).
        other = Rendered(p, "other-config", "--set-string", "config=[exporter]\nmax_concurrent_polls = 2\n")
        assert other.one("Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != \
            dep["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

        # 2. Everything enabled.
        a = Rendered(p, "all", "-f", os.path.join(CHART, "ci", "all-enabled-values.yaml"))
        assert a.kinds() == ["ConfigMap", "ConfigMap", "ConfigMap", "ConfigMap", "Deployment", "NetworkPolicy",
                             "PodDisruptionBudget", "PrometheusRule", "Service", "ServiceAccount",
                             "ServiceMonitor"], a.kinds()
        check_conventions(p, a)
        sm = a.one("ServiceMonitor")
        assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert sm["spec"]["endpoints"][0]["port"] == "http-metrics" and sm["spec"]["endpoints"][0]["interval"] == "60s"
        assert a.one("PrometheusRule")["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        dash = a.one("ConfigMap", "rel-kpi-exporter-dashboard")
        assert dash["metadata"]["labels"]["grafana_dashboard"] == "1" and dash["metadata"]["namespace"] == "monitoring"
        assert json.loads(dash["data"]["kpi-exporter.json"])["uid"] == "kpi-exporter"
        np = a.one("NetworkPolicy")
        assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
        assert [port["port"] for rule in np["spec"]["egress"] for port in rule["ports"]] == [53, 53, 443]
        mounts = {m["name"]: m for m in a.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
        assert mounts["secrets"]["mountPath"] == "/etc/kpi-exporter/secrets" and mounts["secrets"]["readOnly"]
        extra = a.one("PrometheusRule")["spec"]["groups"][-1]
        assert extra["name"] == "kpi-exporter.extra" and extra["rules"][0]["alert"] == "KpiStarsDropped", extra
        a.one("PrometheusRule")["spec"]["groups"].pop()
        check_rules(p, a, program_groups(p), "all")

        # A rule evaluation interval, when set, lands on every group and nowhere else.
        iv = Rendered(p, "rule-interval", "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.interval=2m")
        groups = iv.one("PrometheusRule")["spec"]["groups"]
        assert [g.get("interval") for g in groups] == ["2m"] * len(groups)
        assert [{k: v for k, v in g.items() if k != "interval"} for g in groups] == program_groups(p)

        # externalUrl: the container's --web.external-url, and the alerts' links as `rules` writes them with it.
        url = "https://kpi.example.com/kpi-exporter/"
        ext = Rendered(p, "external-url", "--set", "prometheusRule.enabled=true", "--set", f"externalUrl={url}")
        assert f"--web.external-url={url}" in ext.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
        check_rules(p, ext, program_groups(p, f"--web.external-url={url}"), "external-url")
        assert '"link": ' in json.dumps(ext.one("PrometheusRule")) and '"link": ' not in json.dumps(a.one("PrometheusRule"))
        assert not any("--web.external-url" in arg for arg in c["args"])

        # 3. existingConfigMap + existingSecret: nothing rendered of either, both mounted.
        e = Rendered(p, "existing", "-f", os.path.join(CHART, "ci", "existing-values.yaml"))
        assert e.kinds() == ["Deployment", "Service"], e.kinds()
        spec = e.one("Deployment")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["config"]["configMap"]["name"] == "my-kpi-config"
        assert volumes["secrets"]["secret"]["secretName"] == "my-kpi-tokens"
        assert spec["serviceAccountName"] == "monitoring-reader"
        assert "checksum/config" not in e.one("Deployment")["spec"]["template"]["metadata"].get("annotations", {})

        # 4. Non-default thresholds equal the program's output for the same thresholds.
        c4 = Rendered(p, "custom-alerts", "-f", os.path.join(CHART, "ci", "custom-alerts-values.yaml"))
        same = os.path.join(SOURCE_DIR, "tests", "fixtures", "alerts-custom.toml")
        check_rules(p, c4, program_groups(p, f"--config.file={same}"), "custom-alerts")

        # The scorecard group: the default KPIs of every source, KpiRed's settings from alerts.kpiRed; or the
        # user's own group from `kpi_exporter rules --config.file=...`, given as prometheusRule.kpiGroup.
        scorecard = next(g for g in a.one("PrometheusRule")["spec"]["groups"] if g["name"] == "kpi-exporter.scorecard")
        assert {r["labels"]["kpi"] for r in scorecard["rules"] if r.get("record") == "kpi:value"} >= \
            {"stars", "ci_success", "jira_resolution", "churn", "mrr_growth", "discord_members", "pypi_downloads"}
        red = Rendered(p, "kpi-red", "--set", "prometheusRule.enabled=true", "--set", "alerts.kpiRed.for=3h",
                       "--set", "alerts.kpiOffTrack.enabled=false")
        rules = [r for g in red.one("PrometheusRule")["spec"]["groups"] for r in g["rules"]]
        assert [r["for"] for r in rules if r.get("alert") == "KpiRed"] == ["3h"]
        assert not [r for r in rules if r.get("alert") == "KpiOffTrack"]
        kpi_toml = os.path.join(SOURCE_DIR, "rules", "tests", "kpi", "kpi.toml")
        own = program_groups(p, f"--config.file={kpi_toml}")
        group = next(g for g in own if g["name"] == "kpi-exporter.scorecard")
        values = p.write_config(json.dumps({"prometheusRule": {"enabled": True, "kpiGroup": group}}), "kpi-values.yaml")
        check_rules(p, Rendered(p, "kpi-group", "-f", values), own, "kpi-group")
        iv = Rendered(p, "kpi-group-interval", "-f", values, "--set", "prometheusRule.interval=2m")
        assert [g.get("interval") for g in iv.one("PrometheusRule")["spec"]["groups"]] == ["2m"] * len(own)

        # kube-rbac-proxy sidecar and a web config from a Secret.
        k = Rendered(p, "kube-rbac-proxy", "--set", "kubeRBACProxy.enabled=true", "--set", "serviceMonitor.enabled=true",
                     "--set", "webConfig.existingSecret=kpi-web")
        assert k.kinds() == ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Service",
                             "ServiceAccount", "ServiceMonitor"], k.kinds()
        kspec = k.one("Deployment")["spec"]["template"]["spec"]
        assert kspec["automountServiceAccountToken"] is True
        exporter_c, proxy_c = kspec["containers"]
        assert proxy_c["name"] == "kube-rbac-proxy" and proxy_c["image"].startswith("quay.io/brancz/kube-rbac-proxy:")
        assert "--web.listen-address=127.0.0.1:9878" in exporter_c["args"] and "ports" not in exporter_c
        assert "--web.config.file=/etc/kpi-exporter/web/web-config.yml" in exporter_c["args"]
        assert {"--secure-listen-address=:9877", "--upstream=http://127.0.0.1:9878/",
                "--ignore-paths=/healthz,/readyz"} <= set(proxy_c["args"])
        assert proxy_c["ports"] == [{"name": "http-metrics", "containerPort": 9877, "protocol": "TCP"}]
        assert exporter_c["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
        assert exporter_c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http-metrics", "scheme": "HTTPS"}
        assert {v["name"]: v for v in kspec["volumes"]}["web-config"]["secret"]["secretName"] == "kpi-web"
        endpoint = k.one("ServiceMonitor")["spec"]["endpoints"][0]
        assert endpoint["scheme"] == "https" and endpoint["tlsConfig"]["insecureSkipVerify"] is True
        binding = k.one("ClusterRoleBinding")
        assert binding["subjects"][0]["name"] == kspec["serviceAccountName"]
        assert {r["resources"][0] for r in k.one("ClusterRole")["rules"]} == {"tokenreviews", "subjectaccessreviews"}
        # Off by default: no proxy, no RBAC, the exporter on the service port.
        assert len(pod["containers"]) == 1 and "--web.listen-address=:9877" in c["args"]
        assert pod["automountServiceAccountToken"] is False

        # 5. Values the schema must reject.
        for args, message in [(["--set", "replicaCount=2"], "replicaCount"),
                              (["--set", "unknownKey=1"], "additional properties 'unknownKey' not allowed"),
                              (["--set", "alerts.bugSpike.threshold=many"], "/alerts/bugSpike/threshold"),
                              (["--set", "alerts.ciFailing.threshold=1"], "additional properties 'threshold'"),
                              (["--set", "alerts.targetDown.threshold=1"], "additional properties 'threshold'"),
                              (["--set", "alerts.pypiDataStale.threshold=-1"], "/alerts/pypiDataStale/threshold"),
                              # Time thresholds are durations, as in the config; not seconds as numbers.
                              (["--set", "alerts.issueAwaitingResponse.threshold=86400"],
                               "/alerts/issueAwaitingResponse/threshold"),
                              (["--set", "alerts.prLeadTimeSlow.threshold=2days"], "/alerts/prLeadTimeSlow/threshold"),
                              (["--set", "alerts.prLeadTimeSlow.threshold=30m1h"], "/alerts/prLeadTimeSlow/threshold"),
                              (["--set", "alerts.ciConsecutiveFailures.threshold=0"],
                               "/alerts/ciConsecutiveFailures/threshold"),
                              (["--set", "alerts.notAnAlert.enabled=true"], "notAnAlert"),
                              (["--set", "log.level=verbose"], "/log/level"),
                              (["--set-string", "service.port=http"], "/service/port"),
                              (["--set", "serviceMonitor.interval=often"], "/serviceMonitor/interval"),
                              (["--set", "env[0].name=X"], "additional properties 'env' not allowed"),
                              (["--set", "image.digest=latest"], "/image/digest"),
                              (["--set", "serviceMonitor.scheme=ftp"], "/serviceMonitor/scheme"),
                              (["--set", "externalUrl=kpi.example.com"], "/externalUrl"),
                              (["--set", "externalUrl=https://user:pw@kpi.example.com/"], "/externalUrl"),
                              (["--set", "externalUrl=https://kpi.example.com/#top"], "/externalUrl")]:
            r = run([HELM, "template", "rel", CHART, *args])
            assert r.returncode != 0 and message in r.stderr, f"{args} must be rejected: {r.stderr}"

        # 6. No secret ever rendered: a config referencing files and env only.
        assert "ghp_" not in a.text and "sk_live" not in a.text

        # 7. The dashboard names only metrics the exporter or its recording rules produce.
        with open(os.path.join(CHART, "dashboards", "kpi-exporter.json")) as f:
            dashboard = json.load(f)
        assert any(v["type"] == "datasource" and v["name"] == "datasource" for v in dashboard["templating"]["list"])
        exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
        assert len(exprs) > 20
        titles = [panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"]
        for needed in ("CI", "Pull requests", "Bug", "DORA", "Security", "Community", "Jira", "Stripe", "Exporter health"):
            assert any(needed in t for t in titles), f"no dashboard row for {needed}"
        for panel in dashboard["panels"]:
            for t in panel.get("targets", []):
                assert t["datasource"]["uid"] == "${datasource}"
        check_dashboard_health_row(dashboard)
        # Variables for job, instance and repo, used by every selector of the exporter's own metrics (GitHub
        # ones by repo too); money panels carry currency units per currency.
        names = {v["name"] for v in dashboard["templating"]["list"]}
        assert {"job", "instance", "repo"} <= names, names
        for expr in exprs:
            for m in re.finditer(r"(?<![\w:\"])((?:github|jira|stripe|pypi|discord|kpi_exporter)_\w+)(\{[^}]*\})?", expr):
                assert m.group(2) and 'job=~"$job",instance=~"$instance"' in m.group(2), (expr, m.group(1))
                if m.group(1).startswith("github_"):
                    assert 'repo=~"$repo"' in m.group(2), (expr, m.group(1))
        check_generated_dashboard(p, dashboard)
        mrr = next(panel for panel in dashboard["panels"] if panel["title"] == "MRR")
        units = {o["matcher"]["options"]: o["properties"][0]["value"] for o in mrr["fieldConfig"]["overrides"]}
        assert units["usd"] == "currencyUSD" and units["eur"] == "currencyEUR", units

        fake = p.start_fake()
        # A query with an SLA, so that the SLA series exist.
        with_sla = jira_stripe_config(fake, "60s").replace('jql = "project = SUP ORDER BY created DESC"\n',
                                                           'jql = "project = SUP ORDER BY created DESC"\nsla = "24h"\n')
        config = p.write_config(github_config(fake, "60s", extra="[github.dora]\n") + with_sla +
                                discord_pypi_config(fake, "60s"))
        _, _, base = p.start_exporter(config, env={"KPI_TEST_TOKEN": TOKEN})
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        produced = {name for name, _ in parse_metrics(http(base + "/metrics")[1])}
        # A second one whose Jira cap cuts a listing, so that kpi_exporter_truncated_total exists.
        capped = jira_stripe_config(fake, "60s").replace("[[jira.queries]]", "max_issues = 1\n\n[[jira.queries]]")
        _, _, capped_base = p.start_exporter(p.write_config(capped, "capped.toml"))
        wait_for(lambda: http(capped_base + "/readyz")[0] == 200, what="/readyz of the capped exporter")
        capped_names = {name for name, _ in parse_metrics(http(capped_base + "/metrics")[1])}
        assert "kpi_exporter_truncated_total" in capped_names
        produced |= capped_names
        produced |= {r["record"] for g in program_groups(p) for r in g["rules"] if "record" in r}
        for expr in exprs:
            unknown = metric_names(expr) - produced
            assert not unknown, f"dashboard expr {expr!r} names metrics nobody produces: {unknown}"

        # 8. The sidecar recipe's container is a valid container spec.
        recipe = yaml_to_json(p, open(os.path.join(CHART, "examples", "kube-prometheus-stack-sidecar.yaml")).read(),
                              "sidecar")["prometheus"]["prometheusSpec"]
        pod_manifest = p.write_config(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "prometheus"},
                                                  "spec": {"containers": recipe["containers"],
                                                           "volumes": recipe["volumes"]}}), "sidecar-pod.yaml")
        r = run(["node", VALIDATE, "validate", pod_manifest, p.path("sidecar-pod.json")])
        assert r.returncode == 0, r.stderr
        assert recipe["additionalScrapeConfigs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9877"]

        # 9. As a dependency of another chart, with global values; NOTES.txt.
        check_as_dependency(p)
        check_notes()

        # 10. shards > 1.
        check_sharded_chart(p)
        check_shards_run(p)
    print("ok")


if __name__ == "__main__":
    main()
