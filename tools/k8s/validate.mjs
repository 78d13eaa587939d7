// Validates rendered Kubernetes objects against the Kubernetes and
// prometheus-operator schemas (npm kubernetes-models), and converts YAML to
// JSON for the Python tests (which have no YAML parser).
//
//   node validate.mjs validate <manifest.yaml> <out.json>   every object valid -> JSON array of them
//   node validate.mjs tojson <file.yaml> <out.json>         one YAML document -> JSON
// It lives beside tools/k8s/node_modules so its imports resolve there.
import { readFileSync, writeFileSync } from "node:fs";
import YAML from "yaml";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = { "v1": core, "apps/v1": apps, "networking.k8s.io/v1": networking, "policy/v1": policy, "rbac.authorization.k8s.io/v1": rbac, "monitoring.coreos.com/v1": monitoring };

function validate(manifestPath, outPath) {
  const docs = YAML.parseAllDocuments(readFileSync(manifestPath, "utf8"));
  const objects = [];
  const errors = [];
  for (const doc of docs) {
    if (doc.errors.length) {
      errors.push(`YAML: ${doc.errors[0].message}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const Model = models[obj.apiVersion]?.[obj.kind];
    if (!Model) {
      errors.push(`${obj.apiVersion} ${obj.kind}: no schema known for this kind`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      errors.push(`${obj.kind} ${obj.metadata?.name}: ${e.message}`);
    }
    objects.push(obj);
  }
  writeFileSync(outPath, JSON.stringify(objects, null, 1));
  if (errors.length) {
    console.error(errors.join("\n"));
    process.exit(1);
  }
  console.log(`valid: ${objects.map((o) => o.kind).join(", ")}`);
}

const [command, input, output] = process.argv.slice(2);
if (command === "validate") {
  validate(input, output);
} else if (command === "tojson") {
  writeFileSync(output, JSON.stringify(YAML.parse(readFileSync(input, "utf8")), null, 1));
} else {
  console.error("usage: validate.mjs validate|tojson <in.yaml> <out.json>");
  process.exit(2);
}
