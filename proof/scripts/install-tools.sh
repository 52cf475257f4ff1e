#!/usr/bin/env bash
# install-tools.sh — install the host tools dockforge's container e2e needs.
#
# Idempotent: packages already installed are not touched and `apt-get update`
# is skipped when every package is present. Runs as root on Debian 12
# (bookworm), non-interactively. Prints how long each step took.
#
# What is installed and why (--no-install-recommends keeps it minimal):
#   buildah      builds the stand-in base images and the generated Dockerfiles
#                (vfs storage, chroot isolation; no daemon needed)
#   podman       runs the built images (pulls in conmon, CNI plugins, iptables)
#   runc         OCI runtime used by podman (--runtime runc)
#   debootstrap  makes the Debian 13 (trixie) rootfs for builder bases
#   unzip        unpacks Go toolchain zips from the Go module proxy
#   ca-certificates curl  fetch toolchains (curl is only used for the smoke test)
#   postgresql   the real PostgreSQL server proof/e2e/run.ts starts on loopback for the Postgres cells
#   redis-server the real Redis server proof/e2e/project.ts starts on loopback for the project's Redis
#   catatonit    the init of podman's pause image: the infra container of proof/e2e/project.ts's pod
#
# Deliberately NOT installed: fuse-overlayfs / slirp4netns / uidmap-based rootless
# setup (we run as root with the vfs driver and --network host), netavark /
# aardvark-dns (host networking only), criu.
#
# Environment:
#   DOCKFORGE_E2E_APT_UPDATE=1   force `apt-get update` even if nothing is missing
set -euo pipefail

PKGS=(buildah podman runc debootstrap unzip ca-certificates curl postgresql redis-server catatonit)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-tools.sh: must run as root (uses apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 && "${DOCKFORGE_E2E_APT_UPDATE:-0}" != 1 ]]; then
  echo "install-tools: all present (${PKGS[*]}) [$(elapsed "$t0")]"
else
  t=$(date +%s.%N)
  apt-get update -qq
  echo "install-tools: apt-get update [$(elapsed "$t")]"
  if [[ ${#missing[@]} -gt 0 ]]; then
    t=$(date +%s.%N)
    apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}" >/dev/null
    echo "install-tools: installed ${missing[*]} [$(elapsed "$t")]"
  fi
fi

# debootstrap from bookworm must know the trixie suite (it is a symlink to sid).
if [[ ! -e /usr/share/debootstrap/scripts/trixie ]]; then
  ln -s sid /usr/share/debootstrap/scripts/trixie
  echo "install-tools: added debootstrap script link trixie -> sid"
fi

printf 'install-tools: buildah %s, podman %s, runc %s, debootstrap %s [total %s]\n' \
  "$(buildah --version | awk '{print $3}')" \
  "$(podman --version | awk '{print $3}')" \
  "$(runc --version | awk 'NR==1{print $3}')" \
  "$(dpkg-query -W -f='${Version}' debootstrap)" \
  "$(elapsed "$t0")"
