/**
 * Node.js: package.json, the lockfile's package manager, the start file, a build step, native
 * addons; `node` as PID 1's child on distroless `nodejs<major>` or Alpine with tini.
 * Templates: `templates/languages/node/`.
 */
import type { Repo } from '../detect/repo.js';
import { findLine, toLabel } from '../detect/repo.js';
import type { Answers, Detection, Evidence } from '../vocabulary.js';
import { RELATIVE_PATH } from '../vocabulary.js';
import { healthUrl, httpHealth, runtimeStage, wgetHealthcheck } from './common.js';
import type { LanguageContext, LanguageSupport, ServiceFacts, WatchRule } from './types.js';

/**
 * Node majors that have both an official `node:<major>-alpine` image and a
 * `gcr.io/distroless/nodejs<major>-debian13` image (distroless README, "nodejs" images).
 */
export const NODE_MAJORS = ['20', '22', '24'] as const;
/** The Node major preferred when a range allows it: the Active LTS line (Node release schedule). */
export const NODE_LTS = '24';
/** Node package managers, chosen from the `packageManager` field or the lockfile. */
export const PACKAGE_MANAGERS = ['npm', 'yarn', 'pnpm'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/**
 * Node packages that compile a native addon at install time (node-gyp), so their
 * `node_modules` must be built on a builder with the runtime's libc.
 */
const NODE_NATIVE = [
  'better-sqlite3',
  'sqlite3',
  'bcrypt',
  'argon2',
  'canvas',
  'sharp',
  'libpq',
  'pg-native',
  'cpu-features',
];

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
  npm: {
    manifests: 'package.json package-lock.json',
    cache: '/root/.npm',
    install: 'npm ci',
    installProd: 'npm ci --omit=dev',
    run: 'npm run',
    corepack: false,
  },
  yarn: {
    manifests: 'package.json yarn.lock',
    cache: '/usr/local/share/.cache/yarn',
    install: 'yarn install --frozen-lockfile',
    installProd: 'yarn install --frozen-lockfile --production',
    run: 'yarn',
    corepack: true,
  },
  pnpm: {
    manifests: 'package.json pnpm-lock.yaml',
    cache: '/root/.local/share/pnpm/store',
    install: 'pnpm install --frozen-lockfile',
    installProd: 'pnpm install --frozen-lockfile --prod',
    run: 'pnpm run',
    corepack: true,
  },
};

/** The Node answers, as this module reads them. */
interface NodeAnswers extends Answers {
  nodeVersion: string;
  packageManager: PackageManager;
  nodeStart: string;
  nodeBuild: boolean;
  nodeBuildOutput: string;
  nodeNative: boolean;
}

/**
 * Parse an `engines.node` range or `.nvmrc` text into a supported major.
 * Open ranges (`>=22`) get the Active LTS when it satisfies them, else the newest supported major.
 * @returns one of NODE_MAJORS, or undefined when none satisfies the spec.
 */
export function nodeMajorFrom(spec: string): string | undefined {
  const s = spec.trim().replace(/^v/, '');
  if (/^lts(\/|$)/i.test(s) || s === 'node' || s === '*') return NODE_LTS;
  const m = /^(>=?|\^|~)?\s*v?(\d+)/.exec(s);
  if (!m) return undefined;
  const major = Number(m[2]);
  const supported = NODE_MAJORS.map(Number);
  if (m[1] === '>=' || m[1] === '>') {
    const ok = supported.filter((v) => (m[1] === '>' ? v > major : v >= major));
    if (ok.includes(Number(NODE_LTS))) return NODE_LTS;
    return ok.length > 0 ? String(Math.max(...ok)) : undefined;
  }
  return supported.includes(major) ? String(major) : undefined;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function detectNode(repo: Repo, out: Detection): Promise<void> {
  const pkgFile = await repo.read('package.json');
  if (!pkgFile) return;
  const f = out.findings;
  let pkg: Record<string, any>;
  try {
    pkg = JSON.parse(pkgFile.lines.join('\n'));
  } catch {
    out.notes.push('package.json is not valid JSON; Node details not detected');
    return;
  }
  const lineOf = (re: RegExp): Evidence => ({ file: 'package.json', line: findLine(pkgFile.lines, re) + 1 });
  if (typeof pkg.name === 'string') {
    const label = toLabel(pkg.name.replace(/^@[^/]+\//, ''));
    if (label) f.name = { value: label, evidence: [lineOf(/"name"\s*:/)] };
  }
  if (typeof pkg.version === 'string' && /^\d+\.\d+\.\d+/.test(pkg.version) && f.name) {
    f.image = { value: `${f.name.value}:${pkg.version}`, evidence: [lineOf(/"version"\s*:/)] };
  }

  // Node major: .nvmrc / .node-version pin it exactly; engines.node gives a range.
  for (const file of ['.nvmrc', '.node-version']) {
    const t = await repo.read(file);
    const major = t && nodeMajorFrom(t.lines[0] ?? '');
    if (major) {
      f.nodeVersion = { value: major, evidence: [{ file, line: 1 }] };
      break;
    }
  }
  if (!f.nodeVersion && typeof pkg.engines?.node === 'string') {
    const major = nodeMajorFrom(pkg.engines.node);
    if (major) f.nodeVersion = { value: major, evidence: [lineOf(/"node"\s*:/)] };
    else out.notes.push(`engines.node "${pkg.engines.node}" has no supported major (${NODE_MAJORS.join(', ')})`);
  }

  // package manager: the packageManager field, else the lockfile
  let pm: { value: PackageManager; ev: Evidence } | undefined;
  const field = typeof pkg.packageManager === 'string' ? /^(npm|yarn|pnpm)@/.exec(pkg.packageManager) : null;
  if (field) pm = { value: field[1] as PackageManager, ev: lineOf(/"packageManager"\s*:/) };
  else {
    const lockfiles = [
      ['package-lock.json', 'npm'],
      ['npm-shrinkwrap.json', 'npm'],
      ['pnpm-lock.yaml', 'pnpm'],
      ['yarn.lock', 'yarn'],
    ] as const;
    for (const [file, value] of lockfiles) {
      if (await repo.exists(file)) {
        pm = { value, ev: { file, line: 0 } };
        break;
      }
    }
  }
  if (pm) f.packageManager = { value: pm.value, evidence: [pm.ev] };
  else {
    out.notes.push(
      'no lockfile: dependency installs are not reproducible until one is committed ' +
        '(npm install writes package-lock.json)',
    );
  }

  const scripts: Record<string, string> = pkg.scripts ?? {};
  const hasBuild = typeof scripts.build === 'string';
  f.nodeBuild = { value: hasBuild, evidence: [hasBuild ? lineOf(/"build"\s*:/) : { file: 'package.json', line: 0 }] };
  if (hasBuild) {
    const tsconfig = await repo.read('tsconfig.json');
    const outIdx = tsconfig ? findLine(tsconfig.lines, /"outDir"\s*:/) : -1;
    const outDir = outIdx >= 0 ? /"outDir"\s*:\s*"\.?\/?([^"]+?)\/?"/.exec(tsconfig!.lines[outIdx]!) : null;
    if (outDir) f.nodeBuildOutput = { value: outDir[1]!, evidence: [{ file: 'tsconfig.json', line: outIdx + 1 }] };
  }

  // start file: `node <file>` in scripts.start, else "main", else a conventional file
  const start = typeof scripts.start === 'string' ? /\bnode\s+(?:--\S+\s+)*(\S+\.[cm]?js)\b/.exec(scripts.start) : null;
  if (start) f.nodeStart = { value: start[1]!.replace(/^\.\//, ''), evidence: [lineOf(/"start"\s*:/)] };
  else if (typeof pkg.main === 'string') {
    f.nodeStart = { value: pkg.main.replace(/^\.\//, ''), evidence: [lineOf(/"main"\s*:/)] };
  } else {
    for (const file of ['server.js', 'index.js', 'app.js', 'main.js', 'src/index.js', 'src/server.js']) {
      if (await repo.exists(file)) {
        f.nodeStart = { value: file, evidence: [{ file, line: 0 }] };
        break;
      }
    }
  }
  if (hasBuild && f.nodeStart && !f.nodeBuildOutput) {
    const start = String(f.nodeStart.value);
    const top = start.split('/')[0]!;
    if (top !== start) f.nodeBuildOutput = { value: top, evidence: f.nodeStart.evidence };
  }

  const deps: Record<string, string> = { ...(pkg.dependencies ?? {}), ...(pkg.optionalDependencies ?? {}) };
  const native: string[] = [];
  for (const name of Object.keys(deps)) {
    out.dependencies.push({ name, evidence: lineOf(new RegExp(`"${escapeRe(name)}"\\s*:`)) });
    if (NODE_NATIVE.includes(name)) native.push(name);
  }
  // Prisma: the datasource provider names the database (Prisma docs, "Data sources")
  if (deps['@prisma/client'] || deps.prisma) {
    const schema = (await repo.read('prisma/schema.prisma')) ?? (await repo.read('schema.prisma'));
    const idx = schema ? findLine(schema.lines, /provider\s*=\s*"(postgresql|postgres|sqlite)"/) : -1;
    if (idx >= 0) {
      const provider = /"(postgresql|postgres|sqlite)"/.exec(schema!.lines[idx]!)![1]!;
      out.dependencies.push({ name: `prisma:${provider}`, evidence: { file: schema!.rel, line: idx + 1 } });
    }
  }
  f.nodeNative = {
    value: native.length > 0,
    evidence:
      native.length > 0 ? native.map((n) => lineOf(new RegExp(`"${n}"\\s*:`))) : [{ file: 'package.json', line: 0 }],
  };
  if (native.length > 0) {
    out.notes.push(
      `native addons (${native.join(', ')}): dependencies are compiled on a builder with the runtime's libc`,
    );
  }
}

/**
 * The compose healthcheck: BusyBox wget for HTTP on Alpine; otherwise node itself, which is in
 * every Node image (distroless has no shell or HTTP client: distroless README) — `fetch` for
 * HTTP, a `net` connect for TCP.
 */
function nodeHealthcheck(a: NodeAnswers): string[] {
  const node = a.base === 'distroless' ? '/nodejs/bin/node' : 'node';
  if (httpHealth(a)) {
    if (a.base === 'alpine') return wgetHealthcheck(a);
    const url = healthUrl(a);
    return ['CMD', node, '-e', `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`];
  }
  const connect = `require('net').connect(${a.port}, '127.0.0.1')`;
  return ['CMD', node, '-e', `${connect}.on('connect', () => process.exit(0)).on('error', () => process.exit(1))`];
}

function nodeContext(answers: Answers, facts: ServiceFacts): LanguageContext {
  const a = answers as NodeAnswers;
  const distroless = a.base === 'distroless';
  const pm = PACKAGE_MANAGER_COMMANDS[a.packageManager];
  const stages = [
    { name: 'base', what: `Node ${a.nodeVersion}${a.nodeNative ? ' with a C/C++ toolchain for native addons' : ''}` },
    { name: 'deps', what: 'production dependencies only' },
    ...(a.nodeBuild ? [{ name: 'build', what: `all dependencies and \`${a.packageManager} run build\`` }] : []),
    { name: 'dev', what: 'all dependencies and the sources, for `compose watch`' },
    ...facts.volumes.map((v) => ({ name: v.name, what: `the ${v.path} directory, owned by the runtime user` })),
    runtimeStage(a),
  ];
  const watch: WatchRule[] = a.nodeBuild
    ? [{ action: 'rebuild', path: '.' }]
    : [
        { action: 'sync+restart', path: '.', target: '/app', ignore: ['node_modules/'] },
        { action: 'rebuild', path: 'package.json' },
      ];
  return {
    bin: a.name,
    stages,
    healthcheck: nodeHealthcheck(a),
    probe: false,
    httpHealth: httpHealth(a),
    composeInit: true,
    watch,
    entrypoint: distroless ? ['/nodejs/bin/node'] : ['/sbin/tini', '--', 'node'],
    cmd: [a.nodeStart],
    pm,
    images: {
      builder: distroless
        ? `node:\${NODE_VERSION}-trixie${a.nodeNative ? '' : '-slim'}`
        : 'node:${NODE_VERSION}-alpine${ALPINE_VERSION}',
      runtime: distroless
        ? 'gcr.io/distroless/nodejs${NODE_VERSION}-debian13:nonroot'
        : 'node:${NODE_VERSION}-alpine${ALPINE_VERSION}',
    },
  };
}

/** The Node.js language module. */
export const node: LanguageSupport = {
  id: 'node',
  title: 'Node.js',
  defaultPort: 3000,
  sourceExtensions: ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'],
  fields: [
    {
      key: 'nodeVersion',
      kind: 'enum',
      choices: NODE_MAJORS,
      allowed: NODE_MAJORS.join(', '),
      describe: 'Node.js major version',
      fallback: NODE_LTS,
    },
    {
      key: 'packageManager',
      kind: 'enum',
      choices: PACKAGE_MANAGERS,
      allowed: PACKAGE_MANAGERS.join(', '),
      describe: 'Node package manager',
      fallback: 'npm',
    },
    {
      key: 'nodeStart',
      kind: 'string',
      pattern: RELATIVE_PATH,
      allowed: 'a relative file path such as server.js',
      describe: 'Node start file',
      fallback: 'index.js',
    },
    {
      key: 'nodeBuild',
      kind: 'bool',
      allowed: 'true or false',
      describe: 'Node: run the build script',
      fallback: false,
    },
    {
      key: 'nodeBuildOutput',
      kind: 'string',
      pattern: RELATIVE_PATH,
      allowed: 'a relative folder such as dist',
      describe: 'Node build output folder',
      fallback: 'dist',
    },
    {
      key: 'nodeNative',
      kind: 'bool',
      allowed: 'true or false',
      describe: 'Node: dependencies build native addons',
      fallback: false,
    },
  ],
  portPatterns: [
    /\.listen\(\s*(\d{2,5})\b/,
    /PORT\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})/,
    /\bport\s*[:=]\s*(\d{2,5})\b/i,
    /env\.PORT\b[^\n]*?\b(\d{2,5})\b/,
  ],
  envPatterns: [
    /process\.env\.([A-Za-z_][A-Za-z0-9_]*)(?:\s*(?:\|\||\?\?)\s*['"`]?([^'"`\s);,]+))?/g,
    /process\.env\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\](?:\s*(?:\|\||\?\?)\s*['"`]?([^'"`\s);,]+))?/g,
  ],
  routePatterns: [/\.(?:get|all|route)\(\s*['"`](\/[^'"`\s:]*)['"`]/g, /\burl\s*:\s*['"`](\/[^'"`\s:]*)['"`]/g],
  async identify(repo) {
    return (await repo.read('package.json')) ? { file: 'package.json', line: 1 } : undefined;
  },
  detect: detectNode,
  context: nodeContext,
};
