/**
 * The one typed render context: the answers plus values derived from them, so templates stay
 * declarative (no logic beyond `if`/`each`). Every derived value documents its source.
 */
import type { Answers, PackageManager } from '../answers/schema.js';

/** Package-manager commands for the Dockerfile's deps/build stages. */
export interface PackageManagerCommands {
  /** Files copied before `install`: the manifest and the lockfile (Docker docs, cache ordering). */
  manifests: string;
  /** BuildKit cache mount target of the package cache (Docker docs, "cache mounts"). */
  cache: string;
  /** Install all dependencies, exactly as locked. */
  install: string;
  /** Install production dependencies only (no devDependencies in the runtime image). */
  installProd: string;
  /** Script runner (`npm run`, `yarn`, `pnpm run`). */
  run: string;
  /** Needs `corepack enable` (yarn and pnpm ship through corepack in the official images). */
  corepack: boolean;
}

/**
 * Commands per package manager: `npm ci` (npm docs: clean, lockfile-exact install),
 * `yarn install --frozen-lockfile` (Yarn classic), `pnpm install --frozen-lockfile`.
 */
export const PACKAGE_MANAGER_COMMANDS: Record<PackageManager, PackageManagerCommands> = {
  npm: { manifests: 'package.json package-lock.json', cache: '/root/.npm', install: 'npm ci', installProd: 'npm ci --omit=dev', run: 'npm run', corepack: false },
  yarn: { manifests: 'package.json yarn.lock', cache: '/usr/local/share/.cache/yarn', install: 'yarn install --frozen-lockfile', installProd: 'yarn install --frozen-lockfile --production', run: 'yarn', corepack: true },
  pnpm: { manifests: 'package.json pnpm-lock.yaml', cache: '/root/.local/share/pnpm/store', install: 'pnpm install --frozen-lockfile', installProd: 'pnpm install --frozen-lockfile --prod', run: 'pnpm run', corepack: true },
};

/** A Dockerfile stage, listed in README.Docker.md. */
export interface StageInfo {
  name: string;
  what: string;
}

/** Everything a template can reference. */
export interface RenderContext extends Answers {
  /** dockforge's version, printed in file headers. */
  version: string;
  /** Resolved pack id, `name@version[ + name@version]`. */
  pack: string;
  go: boolean;
  node: boolean;
  c: boolean;
  sqlite: boolean;
  postgres: boolean;
  hasDb: boolean;
  alpine: boolean;
  distroless: boolean;
  /** File name of the executable in the image (`/usr/local/bin/<bin>`): the service name, or the C target. */
  bin: string;
  /** Node package-manager commands (npm when not Node, unused). */
  pm: PackageManagerCommands;
  /** C: space-separated package lists for the toolchain stage and the Alpine runtime. */
  cPackages: { build: string };
  /** Alpine runtime packages for Go and C. */
  runtimePackages: string;
  /** Exec-form healthcheck command for compose (works without a shell, on distroless too). */
  healthcheck: string[];
  /** Dockerfile stages in order, for README.Docker.md. */
  stages: StageInfo[];
  /** Files under k8s/ that kustomization.yaml lists (filled in by the planner). */
  k8sResources: string[];
}

/**
 * Build-time packages for C: Alpine `build-base` / Debian `build-essential`, plus the -dev
 * package of the database client library (Alpine: sqlite-dev, libpq-dev; Debian: libsqlite3-dev, libpq-dev).
 */
function cBuildPackages(a: Answers): string {
  const alpine = a.runtime === 'alpine';
  const pkgs = alpine ? ['build-base'] : ['build-essential'];
  if (a.cBuild === 'cmake') pkgs.push('cmake', alpine ? 'pkgconf' : 'pkg-config');
  if (a.database === 'sqlite') pkgs.push(alpine ? 'sqlite-dev' : 'libsqlite3-dev');
  if (a.database === 'postgres') pkgs.push('libpq-dev');
  return pkgs.join(' ');
}

/** Alpine runtime packages: CA bundle and zoneinfo always; the shared client library for C (sqlite-libs, libpq). */
function alpineRuntimePackages(a: Answers): string {
  const pkgs = ['ca-certificates', 'tzdata'];
  if (a.language === 'c' && a.database === 'sqlite') pkgs.push('sqlite-libs');
  if (a.language === 'c' && a.database === 'postgres') pkgs.push('libpq');
  return pkgs.join(' ');
}

/**
 * The compose healthcheck in exec form. Alpine images have BusyBox `wget`; distroless has no
 * shell or HTTP client (distroless README), so Node uses `node -e fetch(...)` and Go/C use the
 * generated static probe at /usr/local/bin/healthcheck.
 */
function healthcheckCommand(a: Answers): string[] {
  const url = `http://127.0.0.1:${a.port}${a.healthPath}`;
  if (a.runtime === 'alpine') return ['CMD', 'wget', '-q', '-O', '/dev/null', url];
  if (a.language === 'node') {
    return ['CMD', '/nodejs/bin/node', '-e', `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`];
  }
  return ['CMD', '/usr/local/bin/healthcheck', url];
}

function stagesOf(a: Answers): StageInfo[] {
  const s: StageInfo[] = [];
  const distroless = a.runtime === 'distroless';
  if (a.language === 'go') {
    s.push({ name: 'base', what: 'Go toolchain and `go mod download` (cached until go.mod/go.sum change)' });
    s.push({ name: 'build', what: 'static, stripped binary (`-trimpath -ldflags="-s -w"`)' });
    if (distroless) s.push({ name: 'healthcheck', what: 'tiny static probe for the compose healthcheck' });
    s.push({ name: 'dev', what: 'toolchain, sources and an unstripped build, for `compose watch`' });
  } else if (a.language === 'node') {
    s.push({ name: 'base', what: `Node ${a.nodeVersion}${a.nodeNative ? ' with a C/C++ toolchain for native addons' : ''}` });
    s.push({ name: 'deps', what: 'production dependencies only' });
    if (a.nodeBuild) s.push({ name: 'build', what: `all dependencies and \`${a.packageManager} run build\`` });
    s.push({ name: 'dev', what: 'all dependencies and the sources, for `compose watch`' });
    if (a.database === 'sqlite') s.push({ name: 'data', what: 'the /data directory, owned by the runtime user' });
  } else {
    s.push({ name: 'toolchain', what: 'compiler and library headers (cached until the package list changes)' });
    s.push({ name: 'build', what: `\`${a.cBuild}\` build, stripped binary${distroless ? ' and its shared-library closure' : ''}` });
    if (distroless) s.push({ name: 'healthcheck', what: 'tiny static probe for the compose healthcheck' });
    s.push({ name: 'dev', what: 'the build stage as the runtime user' });
  }
  s.push({ name: 'runtime', what: `the image you ship: ${distroless ? 'distroless (no shell, no package manager)' : 'Alpine'}, non-root` });
  return s;
}

/**
 * Derive the render context from validated answers.
 * @param answers a validated answer set.
 * @param meta dockforge version and the resolved pack id.
 */
export function buildContext(answers: Answers, meta: { version: string; pack: string }): RenderContext {
  return {
    ...answers,
    version: meta.version,
    pack: meta.pack,
    go: answers.language === 'go',
    node: answers.language === 'node',
    c: answers.language === 'c',
    sqlite: answers.database === 'sqlite',
    postgres: answers.database === 'postgres',
    hasDb: answers.database !== 'none',
    alpine: answers.runtime === 'alpine',
    distroless: answers.runtime === 'distroless',
    bin: answers.language === 'c' ? answers.cBinary : answers.name,
    pm: PACKAGE_MANAGER_COMMANDS[answers.packageManager],
    cPackages: { build: cBuildPackages(answers) },
    runtimePackages: alpineRuntimePackages(answers),
    healthcheck: healthcheckCommand(answers),
    stages: stagesOf(answers),
    k8sResources: [],
  };
}
