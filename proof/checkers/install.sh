#!/usr/bin/env bash
# Installs the external checkers dockforge's tests use as witnesses, from source
# through the Go module proxy (no release binaries are downloaded):
#
#   dockerfile-lint  built from proof/dockerfile-lint (BuildKit's Dockerfile checks;
#                    BuildKit version pinned in proof/dockerfile-lint/go.mod)
#   kube-score       go install github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION
#   kube-linter      go install golang.stackrox.io/kube-linter/cmd/kube-linter@$KUBE_LINTER_VERSION
#                    (optional: best effort unless --strict, because the module
#                    proxy used here refuses the golang.stackrox.io host)
#
# Usage: proof/checkers/install.sh [BIN_DIR] [--strict] [--no-kube-linter]
#   BIN_DIR           default: $DOCKFORGE_TOOLS_BIN or <repo>/.tools/bin
#   --strict          fail if any checker, kube-linter included, cannot be installed
#   --no-kube-linter  do not try kube-linter at all
#
# Idempotent: a tool already in BIN_DIR at the pinned version (read back with
# `go version -m`; for dockerfile-lint, a hash of its sources) is skipped.
# Prints the time each step took. Cold cost on a 2-core machine, empty Go
# module and build caches: ~2m15s dockerfile-lint, ~2m kube-score. Keep
# $(go env GOMODCACHE) and $(go env GOCACHE) between CI runs to make reruns fast.
set -euo pipefail

KUBE_SCORE_VERSION=v1.20.0
KUBE_LINTER_VERSION=v0.8.3

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=""
STRICT=0
WITH_KUBE_LINTER=1
for arg in "$@"; do
  case "$arg" in
    --strict) STRICT=1 ;;
    --no-kube-linter) WITH_KUBE_LINTER=0 ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# --- dockerfile-lint (local module) -----------------------------------------
SRC="$REPO_ROOT/proof/dockerfile-lint"
stamp_of_sources() {
  (cd "$SRC" && cat go.mod go.sum $(ls *.go | grep -v '_test\.go$' | sort) && go env GOVERSION) |
    sha256sum | cut -d' ' -f1
}
install_dockerfile_lint() {
  local stamp_file="$BIN_DIR/.dockerfile-lint.stamp" want have="" buildkit
  want=$(stamp_of_sources)
  buildkit=$(awk '$1 == "github.com/moby/buildkit" { print $2 } $2 == "github.com/moby/buildkit" { print $3 }' \
    "$SRC/go.mod" | head -1)
  [ -f "$stamp_file" ] && have=$(cat "$stamp_file")
  if [ -x "$BIN_DIR/dockerfile-lint" ] && [ "$have" = "$want" ]; then
    log "dockerfile-lint (buildkit $buildkit) already present, skipped"
    return 0
  fi
  log "building dockerfile-lint (buildkit $buildkit) ..."
  local start rc=0
  start=$(now)
  (cd "$SRC" && go build -trimpath -buildvcs=false -o "$BIN_DIR/dockerfile-lint" .) || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "dockerfile-lint FAILED after $(( $(now) - start ))s (exit $rc)"
    return "$rc"
  fi
  printf '%s\n' "$want" > "$stamp_file"
  log "dockerfile-lint built in $(( $(now) - start ))s"
}

install_dockerfile_lint || FAILED+=(dockerfile-lint)

go_install kube-score github.com/zegl/kube-score \
  github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" \
  "-X main.version=$KUBE_SCORE_VERSION" || FAILED+=(kube-score)

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
for t in dockerfile-lint kube-score kube-linter; do
  [ -x "$BIN_DIR/$t" ] && log "  $BIN_DIR/$t"
done
if [ "${#FAILED[@]}" -gt 0 ]; then
  log "FAILED: ${FAILED[*]}"
  exit 1
fi
[ "$KUBE_LINTER_MISSING" = 1 ] && log "(kube-linter missing, not fatal without --strict)"
exit 0
