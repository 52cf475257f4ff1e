#!/usr/bin/env bash
# smoke.sh — proof that the stand-in base images work end to end, without a
# Docker engine or a registry:
#
#   1. proof/scripts/install-tools.sh                  (idempotent apt-get install)
#   2. npx tsx proof/bases/cli.ts <the two Dockerfiles>  (build / import stand-in bases)
#   3. buildah bud (vfs, chroot isolation, --pull=never) of
#        a Go hello-world  : golang:1.25-trixie  -> gcr.io/distroless/static-debian13:nonroot
#        a Node one-filer  : node:22-trixie-slim -> gcr.io/distroless/nodejs22-debian13:nonroot
#      both with RUN --mount=type=cache and USER 10001:10001
#   4. podman run each, check from the host that the container process runs as
#      UID/GID 10001 (/proc/<pid>/status), curl its endpoint, stop it.
#
# Prints a timing summary at the end and exits non-zero on the first failure.
#
# Environment:
#   DOCKFORGE_E2E_CACHE           cache of proof/bases (default <repo>/.e2e-cache/bases)
#   DOCKFORGE_E2E_STORAGE_ROOT    containers-storage root (default <cache>/containers/storage)
#   DOCKFORGE_E2E_STORAGE_RUNROOT containers-storage runroot (default <cache>/containers/run)
#   SMOKE_KEEP=1                  keep the work dir and the built images
#   SMOKE_SKIP_INSTALL=1          do not run install-tools.sh
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /tmp/dockforge-smoke.XXXXXX)
export STORAGE_DRIVER=vfs

# --- the flags that work here (see the report of proof/bases for the storage root) ---
# the e2e's own store under the cache directory, never the machine's default (proof/e2e/storage.ts)
CACHE_DIR=${DOCKFORGE_E2E_CACHE:-$REPO/.e2e-cache/bases}
export DOCKFORGE_E2E_STORAGE_ROOT=${DOCKFORGE_E2E_STORAGE_ROOT:-$CACHE_DIR/containers/storage}
export DOCKFORGE_E2E_STORAGE_RUNROOT=${DOCKFORGE_E2E_STORAGE_RUNROOT:-$CACHE_DIR/containers/run}
STORAGE_FLAGS=(--storage-driver vfs --root "$DOCKFORGE_E2E_STORAGE_ROOT" --runroot "$DOCKFORGE_E2E_STORAGE_RUNROOT")
PODMAN_STORAGE_FLAGS=("${STORAGE_FLAGS[@]}" --tmpdir "$DOCKFORGE_E2E_STORAGE_RUNROOT/libpod"
                      --volumepath "$DOCKFORGE_E2E_STORAGE_ROOT/volumes")
HOST_CA=/etc/ssl/certs/ca-certificates.crt
# harness-only: the host CA bundle (the outbound proxy re-signs TLS) and an npmrc
# pointing npm at it; never part of the generated Dockerfiles.
NPMRC="$WORK/npmrc"
BUD=(buildah "${STORAGE_FLAGS[@]}" bud --isolation chroot --pull=never --network host
     --volume "$HOST_CA:$HOST_CA:ro" --volume "$NPMRC:/usr/local/etc/npmrc:ro")
PODMAN=(podman "${PODMAN_STORAGE_FLAGS[@]}" --runtime runc --cgroup-manager cgroupfs --events-backend file)
RUN_FLAGS=(--network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

declare -a TIMES=()
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
step() { printf '\n== %s\n' "$*"; }
record() { TIMES+=("$(printf '%-44s %7ss' "$1" "$2")"); }

CONTAINERS=()
IMAGES=()
cleanup() {
  local rc=$?
  for c in "${CONTAINERS[@]}"; do "${PODMAN[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  if [[ "${SMOKE_KEEP:-0}" != 1 ]]; then
    for i in "${IMAGES[@]}"; do buildah "${STORAGE_FLAGS[@]}" rmi "$i" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
  else
    echo "kept: $WORK ${IMAGES[*]}"
  fi
  if [[ $rc -ne 0 ]]; then echo "SMOKE FAILED (exit $rc)" >&2; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---------------------------------------------------------------------------
if [[ "${SMOKE_SKIP_INSTALL:-0}" != 1 ]]; then
  step "install tools"
  t=$(now); "$REPO/proof/scripts/install-tools.sh"; record "install-tools.sh" "$(took "$t")"
fi

registry=$(npm config get registry 2>/dev/null || true)
{
  echo "cafile=$HOST_CA"
  echo "nodedir=/usr/local"  # node-gyp: use the image's headers (their download host is unreachable)
  [[ "$registry" == http* ]] && echo "registry=$registry"
  echo "fund=false"; echo "audit=false"; echo "update-notifier=false"
} >"$NPMRC"

# --- the Go service -----------------------------------------------------------
mkdir -p "$WORK/go"
cat >"$WORK/go/go.mod" <<'EOF'
module example.com/hello

go 1.25
EOF
cat >"$WORK/go/main.go" <<'EOF'
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from go uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	})
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
cat >"$WORK/go/Dockerfile" <<'EOF'
# syntax=docker/dockerfile:1
ARG GO_VERSION=1.25
FROM golang:${GO_VERSION}-trixie AS build
WORKDIR /src
COPY go.mod ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/server .

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/server /server
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/server"]
EOF

# --- the Node service ---------------------------------------------------------
mkdir -p "$WORK/node"
cat >"$WORK/node/package.json" <<'EOF'
{
  "name": "hello-node",
  "version": "1.0.0",
  "private": true,
  "main": "server.js",
  "dependencies": { "ms": "2.1.3" }
}
EOF
cat >"$WORK/node/server.js" <<'EOF'
const http = require('node:http');
const ms = require('ms'); // installed by npm inside the build: proves npm + CA mount work
http
  .createServer((_req, res) => {
    res.end(`hello from node uid=${process.getuid()} gid=${process.getgid()} ${process.version} ${ms(90000)}\n`);
  })
  .listen(Number(process.env.PORT || 3000), '127.0.0.1');
EOF
cat >"$WORK/node/Dockerfile" <<'EOF'
# syntax=docker/dockerfile:1
FROM node:22-trixie-slim AS deps
WORKDIR /app
COPY package.json ./
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs22-debian13:nonroot
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY server.js ./
USER 10001:10001
EXPOSE 3000
CMD ["server.js"]
EOF

# ---------------------------------------------------------------------------
step "stand-in bases (npx tsx proof/bases/cli.ts)"
t=$(now)
(cd "$REPO" && npx --no-install tsx proof/bases/cli.ts "$WORK/go/Dockerfile" "$WORK/node/Dockerfile")
record "proof/bases (go + node Dockerfiles)" "$(took "$t")"

build() { # name dir
  local name=$1 dir=$2 t
  step "buildah bud $name"
  echo "+ ${BUD[*]} -t localhost/dockforge-smoke-$name:latest $dir"
  t=$(now)
  "${BUD[@]}" -t "localhost/dockforge-smoke-$name:latest" "$dir"
  IMAGES+=("localhost/dockforge-smoke-$name:latest")
  record "buildah bud $name" "$(took "$t")"
}

check_run() { # name port expected-substring
  local name=$1 port=$2 want=$3 t cid pid uid gid body
  step "podman run $name (port $port)"
  t=$(now)
  echo "+ ${PODMAN[*]} run -d ${RUN_FLAGS[*]} -e PORT=$port localhost/dockforge-smoke-$name:latest"
  cid=$("${PODMAN[@]}" run -d --name "dockforge-smoke-$name-$$" "${RUN_FLAGS[@]}" -e "PORT=$port" \
    "localhost/dockforge-smoke-$name:latest")
  CONTAINERS+=("$cid")
  pid=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$cid")
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || { echo "no pid for $name: '$pid'" >&2; "${PODMAN[@]}" logs "$cid" >&2; exit 1; }
  uid=$(awk '/^Uid:/{print $2":"$3":"$4":"$5}' "/proc/$pid/status")
  gid=$(awk '/^Gid:/{print $2":"$3":"$4":"$5}' "/proc/$pid/status")
  echo "host pid $pid  Uid(r:e:s:fs)=$uid  Gid=$gid  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  [[ "$uid" == "10001:10001:10001:10001" && "$gid" == "10001:10001:10001:10001" ]] ||
    { echo "expected UID/GID 10001, got $uid / $gid" >&2; exit 1; }
  body=""
  for _ in $(seq 1 50); do
    body=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null) && break
    sleep 0.2
  done
  echo "curl -> $body"
  [[ "$body" == *"$want"* ]] || { echo "unexpected response from $name" >&2; "${PODMAN[@]}" logs "$cid" >&2; exit 1; }
  "${PODMAN[@]}" stop -t 2 "$cid" >/dev/null
  "${PODMAN[@]}" rm "$cid" >/dev/null
  record "podman run+check+stop $name" "$(took "$t")"
}

build go "$WORK/go"
build node "$WORK/node"
check_run go "$(free_port)" "hello from go uid=10001 gid=10001"
check_run node "$(free_port)" "hello from node uid=10001 gid=10001"

step "timings"
printf '%s\n' "${TIMES[@]}"
echo "SMOKE OK"
