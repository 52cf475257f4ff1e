/**
 * Node.js: package.json, the lockfile's package manager, the start file, a build step, native
 * addons, Prisma, Next.js; `node` as PID 1's child on distroless `nodejs<major>` or Alpine with
 * tini. What a container cannot fix (no lockfile, a loopback bind, required configuration, a
 * start script whose file cannot exist) becomes a warning with its evidence.
 * Templates: `templates/languages/node/`.
 */
import path from 'node:path';
import type { Repo, TextFile } from '../detect/repo.js';
import { allMatches, findLine, isTestFile, toLabel } from '../detect/repo.js';
import { packData } from '../templates/data.js';
import type { Answers, Detection, Evidence } from '../vocabulary.js';
import { addEnvFinding, addWarning, RELATIVE_PATH } from '../vocabulary.js';
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
 * How the runtime serves the app: `none` (node runs the start file), `next` (a Next.js build:
 * `.next` next to the sources, `next start` or a custom server), `next-standalone` (Next.js
 * `output: 'standalone'`: `.next/standalone/server.js`). Next.js docs, "output".
 */
export const NODE_FRAMEWORKS = ['none', 'next', 'next-standalone'] as const;
/** The `next` CLI inside node_modules, run by node (no npm or npx in the runtime image). */
const NEXT_BIN = 'node_modules/next/dist/bin/next';
/** Where `prisma generate` writes the client by default (Prisma docs, "Generating Prisma Client"). */
const PRISMA_DEFAULT_OUTPUT = 'node_modules/.prisma/client';

/**
 * The native-addon table (pack data `templates/data/node-addons.yaml`, with its sources):
 * packages compiled by node-gyp when no prebuilt binary matches, the first release of each that
 * builds against a Node major, and the builder packages that compiling needs.
 */
interface NodeAddonTable {
  native: string[];
  nodeMajors: Record<string, Record<string, string>>;
  baseImage: Record<string, { first: string; reason: string }>;
  builder: { debian: string[]; alpine: string[] };
}
const addonTable = (): NodeAddonTable => packData<NodeAddonTable>('node-addons');

/** Package-manager commands for the Dockerfile's deps/build stages. */
export interface PackageManagerCommands {
  /** The lockfile the locked installs need. */
  lockfile: string;
  /** BuildKit cache mount target of the package cache (Docker docs, "cache mounts"). */
  cache: string;
  /** Install all dependencies, exactly as locked. */
  install: string;
  /** Install production dependencies only (no devDependencies in the runtime image), as locked. */
  installProd: string;
  /** Without a lockfile: resolve and install (all, production only). */
  unlocked: { install: string; installProd: string };
  /** Script runner (`npm run`, `yarn`, `pnpm run`). */
  run: string;
  /** Runs a dependency's command (`npx`, `yarn`, `pnpm exec`). */
  exec: string;
  /** Needs `corepack enable` (yarn and pnpm ship through corepack in the official images). */
  corepack: boolean;
}

/**
 * Commands per package manager: `npm ci` (npm docs: clean, lockfile-exact install; it refuses
 * to run without package-lock.json, so without one it is `npm install`), `yarn install
 * --frozen-lockfile` (Yarn classic), `pnpm install --frozen-lockfile` (pnpm docs: fails
 * without pnpm-lock.yaml).
 */
export const PACKAGE_MANAGER_COMMANDS: Record<PackageManager, PackageManagerCommands> = {
  npm: {
    lockfile: 'package-lock.json',
    cache: '/root/.npm',
    install: 'npm ci',
    installProd: 'npm ci --omit=dev',
    unlocked: { install: 'npm install', installProd: 'npm install --omit=dev' },
    run: 'npm run',
    exec: 'npx',
    corepack: false,
  },
  yarn: {
    lockfile: 'yarn.lock',
    cache: '/usr/local/share/.cache/yarn',
    install: 'yarn install --frozen-lockfile',
    installProd: 'yarn install --frozen-lockfile --production',
    unlocked: { install: 'yarn install', installProd: 'yarn install --production' },
    run: 'yarn',
    exec: 'yarn',
    corepack: true,
  },
  pnpm: {
    lockfile: 'pnpm-lock.yaml',
    cache: '/root/.local/share/pnpm/store',
    install: 'pnpm install --frozen-lockfile',
    installProd: 'pnpm install --frozen-lockfile --prod',
    unlocked: { install: 'pnpm install', installProd: 'pnpm install --prod' },
    run: 'pnpm run',
    exec: 'pnpm exec',
    corepack: true,
  },
};

/** Lockfiles per package manager (npm also honours npm-shrinkwrap.json: npm docs, "npm-shrinkwrap.json"). */
export const LOCKFILES: readonly (readonly [string, PackageManager])[] = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
];

/** The Node answers, as this module reads them. */
interface NodeAnswers extends Answers {
  nodeVersion: string;
  packageManager: PackageManager;
  nodeLockfile: boolean;
  nodeStart: string;
  nodeBuild: boolean;
  nodeCopy: string;
  nodeBuildOutput: string;
  nodeNative: boolean;
  nodePrisma: string;
  nodeFramework: (typeof NODE_FRAMEWORKS)[number];
}

/**
 * The supported Node majors (NODE_MAJORS, oldest first) an `engines.node` range or `.nvmrc` text
 * allows: `lts/*`, `node` and `*` allow all; `>=N` / `>N` the majors from N (after N) on; `N`,
 * `^N`, `~N`, `N.x` only N (npm docs, "package.json engines"; nvm README, ".nvmrc").
 * @returns an empty list when no supported major satisfies the spec or it is not understood.
 */
export function nodeMajorsAllowed(spec: string): string[] {
  const s = spec.trim().replace(/^v/, '');
  if (/^lts(\/|$)/i.test(s) || s === 'node' || s === '*') return [...NODE_MAJORS];
  const m = /^(>=?|\^|~)?\s*v?(\d+)/.exec(s);
  if (!m) return [];
  const major = Number(m[2]);
  if (m[1] === '>=' || m[1] === '>') return NODE_MAJORS.filter((v) => (m[1] === '>' ? +v > major : +v >= major));
  return NODE_MAJORS.filter((v) => +v === major);
}

/** Of the allowed majors, the Active LTS (NODE_LTS) when allowed, else the newest; undefined for none. */
export function preferredNodeMajor(allowed: readonly string[]): string | undefined {
  return allowed.includes(NODE_LTS) ? NODE_LTS : allowed.at(-1);
}

/**
 * Parse an `engines.node` range or `.nvmrc` text into a supported major.
 * Open ranges (`>=22`) get the Active LTS when it satisfies them, else the newest supported major.
 * @returns one of NODE_MAJORS, or undefined when none satisfies the spec.
 */
export function nodeMajorFrom(spec: string): string | undefined {
  return preferredNodeMajor(nodeMajorsAllowed(spec));
}

/** Compare dotted numeric versions (`1.10.0` > `1.9.2`); a pre-release suffix is ignored. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * The version of top-level package `name` the build will install: the one the lockfile pins
 * (package-lock.json v1–v3, yarn.lock v1 and Berry, pnpm-lock.yaml), else the highest version
 * package.json's range can resolve to (`^11.1.2` → `11.999999.999999`, `~11.1.2` → `11.1.999999`).
 * @returns undefined when neither says (a tag, a git URL).
 */
export function installedVersion(
  lockText: string | undefined,
  lockfile: string | undefined,
  name: string,
  range: string | undefined,
): string | undefined {
  const n = escapeRe(name);
  if (lockText && lockfile === 'package-lock.json') {
    try {
      const lock = JSON.parse(lockText) as {
        packages?: Record<string, { version?: string }>;
        dependencies?: Record<string, { version?: string }>;
      };
      const v = lock.packages?.[`node_modules/${name}`]?.version ?? lock.dependencies?.[name]?.version;
      if (v) return v;
    } catch {
      // not JSON: fall back to the range
    }
  } else if (lockText && lockfile === 'yarn.lock') {
    const m = new RegExp(`^"?${n}@[^\\n]*:\\r?\\n\\s+version:? "?(\\d[^"\\s]*)`, 'm').exec(lockText);
    if (m) return m[1];
  } else if (lockText && lockfile === 'pnpm-lock.yaml') {
    const m =
      new RegExp(`^\\s+'?${n}'?:\\r?\\n\\s+specifier: [^\\n]*\\r?\\n\\s+version: (\\d[^\\s(]*)`, 'm').exec(lockText) ??
      new RegExp(`^\\s+'?${n}'?: (\\d[^\\s(]*)`, 'm').exec(lockText);
    if (m) return m[1];
  }
  const r = /^\s*([~^]|>=)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range ?? '');
  if (!r) return undefined;
  if (r[1] === '>=') return '999999.0.0';
  if (r[1] === '^') return `${r[2]}.999999.999999`;
  if (r[1] === '~') return `${r[2]}.${r[3] ?? 999999}.999999`;
  return `${r[2]}.${r[3] ?? 999999}.${r[4] ?? 999999}`;
}

/**
 * Whether package `name` at `version` works on Node `major`, by pack data `node-addons.yaml`
 * `nodeMajors` (the first release that builds or runs on each major; no entry: not known to fail).
 * @returns undefined when it works, else the first release that does.
 */
export function firstWorkingRelease(name: string, version: string | undefined, major: string): string | undefined {
  const first = addonTable().nodeMajors[name]?.[major];
  return first && version && compareVersions(version, first) < 0 ? first : undefined;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const posix = path.posix;
/** A relative path as written in a script or config: no `./`, no trailing `/`. */
const cleanPath = (p: string): string => posix.normalize(p.replace(/^['"]|['"]$/g, '')).replace(/\/+$/, '');

/** JSON with comments and trailing commas (tsconfig.json is JSONC: TypeScript docs, "tsconfig.json"). */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** True when `rel` is a regular file of the repository (a folder answers false). */
async function isFile(repo: Repo, rel: string): Promise<boolean> {
  return rel !== '' && (await repo.exists(rel)) && !(await repo.exists(`${rel}/`));
}

// ---------------------------------------------------------------------------------------------
// Scripts

/** Node options that take their value as the next word (Node.js docs, "Command-line API"). */
const NODE_VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '--env-file',
  '--env-file-if-exists',
  '-C',
  '--conditions',
  '--title',
  '--input-type',
]);
/** Options of development runners (nodemon, ts-node, ts-node-dev, tsx) that take a value. */
const RUNNER_VALUE_OPTIONS = new Set([
  ...NODE_VALUE_OPTIONS,
  '-w',
  '--watch',
  '-e',
  '--ext',
  '-x',
  '--exec',
  '-i',
  '--ignore',
  '-d',
  '--delay',
  '--signal',
  '--config',
  '-P',
  '--project',
  '--tsconfig',
  '-O',
  '--compiler-options',
]);
/** Development runners that run a source file (with a watcher or an on-the-fly compiler). */
const RUNNERS = new Set(['nodemon', 'ts-node', 'ts-node-dev', 'tsnd', 'tsx', 'node-dev', 'babel-node']);

/** The commands of a script, split at `&&`, `||`, `;` and `|`, each as words. */
function commands(script: string): string[][] {
  return script
    .split(/&&|\|\||;|\|/)
    .map((c) => c.trim().split(/\s+/).filter(Boolean))
    .filter((w) => w.length > 0);
}

/** The first positional argument after `from`, skipping options (and the values of `valueOptions`). */
function positional(words: string[], from: number, valueOptions: Set<string>): string | undefined {
  for (let j = from; j < words.length; j++) {
    const w = words[j]!;
    if (['-e', '--eval', '-p', '--print'].includes(w) && valueOptions === NODE_VALUE_OPTIONS) return undefined;
    if (!w.startsWith('-')) return w;
    if (!w.includes('=') && valueOptions.has(w)) j++;
  }
  return undefined;
}

/** What `node <file>` runs in a script (`cross-env X=1 node -r dotenv/config dist/main`), if it runs node. */
export function nodeTarget(script: string): string | undefined {
  for (const words of commands(script)) {
    const i = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
    if (i < 0) continue;
    const target = positional(words, i + 1, NODE_VALUE_OPTIONS);
    if (target) return target;
  }
  return undefined;
}

/** What a development runner runs in a script (`nodemon server.js`, `tsx watch src/index.ts`). */
function runnerTarget(script: string): string | undefined {
  for (const words of commands(script)) {
    const i = words.findIndex((w) => RUNNERS.has(w) || (w === 'node' && words.includes('--watch')));
    if (i < 0) continue;
    const rest = words[i] === 'tsx' && words[i + 1] === 'watch' ? i + 2 : i + 1;
    const target = positional(words, rest, RUNNER_VALUE_OPTIONS);
    if (target && /^[\w./@-]+$/.test(target)) return target;
  }
  return undefined;
}

/** A script with the scripts it runs (`npm run x`, `yarn x`, `pnpm x`) appended, two levels deep. */
function expandScript(scripts: Record<string, string>, name: string, depth = 2): string {
  const text = scripts[name] ?? '';
  if (depth === 0) return text;
  const called = allMatches(/\b(?:npm run|pnpm run|yarn run|pnpm|yarn)\s+([\w:.-]+)/g, text).map((m) => m[1]!);
  return [text, ...called.filter((c) => c !== name && scripts[c]).map((c) => expandScript(scripts, c, depth - 1))].join(
    ' && ',
  );
}

// ---------------------------------------------------------------------------------------------
// TypeScript build layout

/** How a build maps sources to the files it writes. */
interface BuildLayout {
  /** The build's output folder, with its evidence. */
  output?: { value: string; evidence: Evidence };
  /** The compiler's root folder (tsconfig `rootDir`, else the common folder of its inputs). */
  rootDir?: string;
  /** Every file a plain `tsc` build writes; undefined when the build is not plain tsc (a bundler). */
  produced?: Set<string>;
  /** The tsconfig the layout was read from, for evidence. */
  tsconfig?: string;
}

/** A tsconfig `include`/`exclude` pattern as a RegExp on repository-relative paths (TypeScript docs, "include"). */
function tsPattern(pattern: string, base: string): RegExp {
  let p = cleanPath(posix.join(base, pattern));
  if (p === '.') p = '**/*';
  else if (!/[*?]/.test(p) && !/\.\w+$/.test(p.split('/').pop()!)) p += '/**/*';
  else if (p.endsWith('**')) p += '/*';
  let re = '';
  for (let i = 0; i < p.length; i++) {
    if (p.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (p[i] === '*') re += '[^/]*';
    else if (p[i] === '?') re += '[^/]';
    else re += escapeRe(p[i]!);
  }
  return new RegExp(`^${re}$`);
}

/** A tsconfig, merged with the local file it `extends` (one level: the common case). */
interface TsConfig {
  file: string;
  compilerOptions: Record<string, any>;
  include?: string[];
  exclude?: string[];
  files?: string[];
  /** Where outDir is written (evidence). */
  outDirAt?: Evidence;
}

async function readTsconfig(repo: Repo, file: string, depth = 0): Promise<TsConfig | undefined> {
  const t = await repo.read(file);
  if (!t) return undefined;
  let json: Record<string, any>;
  try {
    json = parseJsonc(t.lines.join('\n')) as Record<string, any>;
  } catch {
    return undefined;
  }
  const dir = posix.dirname(file);
  const rel = (p: unknown): string | undefined => (typeof p === 'string' ? cleanPath(posix.join(dir, p)) : undefined);
  const own = json.compilerOptions ?? {};
  const co: Record<string, any> = { ...own };
  for (const key of ['outDir', 'rootDir']) if (own[key] !== undefined) co[key] = rel(own[key]);
  const idx = findLine(t.lines, /"outDir"\s*:/);
  const config: TsConfig = {
    file,
    compilerOptions: co,
    include: Array.isArray(json.include) ? json.include.map((p: string) => posix.join(dir, p)) : undefined,
    exclude: Array.isArray(json.exclude) ? json.exclude.map((p: string) => posix.join(dir, p)) : undefined,
    files: Array.isArray(json.files) ? json.files.map((p: string) => rel(p)!) : undefined,
    outDirAt: own.outDir !== undefined && idx >= 0 ? { file, line: idx + 1 } : undefined,
  };
  const parent = typeof json.extends === 'string' && json.extends.startsWith('.') ? rel(json.extends) : undefined;
  if (parent && depth < 2) {
    const base = await readTsconfig(repo, parent.endsWith('.json') ? parent : `${parent}.json`, depth + 1);
    if (base) {
      config.compilerOptions = { ...base.compilerOptions, ...co };
      config.include ??= base.include;
      config.exclude ??= base.exclude;
      config.files ??= base.files;
      config.outDirAt ??= base.outDirAt;
    }
  }
  return config;
}

const TS_SOURCE = /\.(?:ts|tsx|mts|cts)$/;
const JS_SOURCE = /\.(?:js|jsx|mjs|cjs)$/;
/** The file tsc writes for a source: `.ts`/`.tsx` → `.js`, `.mts` → `.mjs`, `.cts` → `.cjs`. */
const emitted = (file: string): string => file.replace(/\.(m|c)?tsx?$/, (_, k: string | undefined) => `.${k ?? ''}js`);

/** Bundlers and copy steps: their output is not tsc's mapping of the sources. */
const NOT_PLAIN_TSC =
  /\b(?:tsup|esbuild|webpack|rollup|vite|ncc|swc|parcel|babel|bun|rspack|rolldown|cp|copyfiles|cpx|nest)\b/;

/**
 * The build layout: the tsconfig the build uses (`tsc -p <file>`, `nest build` → tsconfig.build.json,
 * else tsconfig.json), its outDir and rootDir, and for a plain `tsc` build every file it writes.
 */
async function buildLayout(repo: Repo, build: string): Promise<BuildLayout> {
  const layout: BuildLayout = {};
  const project = /(?:^|\s)(?:-p|--project)\s+(\S+)/.exec(build)?.[1];
  const candidates = project
    ? [cleanPath(project).endsWith('.json') ? cleanPath(project) : posix.join(cleanPath(project), 'tsconfig.json')]
    : /\bnest\s+build\b/.test(build)
      ? ['tsconfig.build.json', 'tsconfig.json']
      : ['tsconfig.json'];
  let config: TsConfig | undefined;
  for (const file of candidates) {
    config = await readTsconfig(repo, file);
    if (config) break;
  }
  if (config) {
    layout.tsconfig = config.file;
    const co = config.compilerOptions;
    if (typeof co.outDir === 'string' && co.outDir !== '.' && config.outDirAt) {
      layout.output = { value: co.outDir, evidence: config.outDirAt };
    }
    const exts = co.allowJs ? [TS_SOURCE, JS_SOURCE] : [TS_SOURCE];
    const include = (config.include ?? (config.files ? [] : ['**/*'])).map((p) => tsPattern(p, '.'));
    const excludes = (config.exclude ?? ['node_modules', 'bower_components', 'jspm_packages', co.outDir ?? '']).filter(
      Boolean,
    );
    const exclude = excludes.map((p) => tsPattern(p, '.'));
    const inputs = repo.sources.filter(
      (s) =>
        exts.some((re) => re.test(s)) &&
        !s.endsWith('.d.ts') &&
        ((config!.files ?? []).includes(s) || (include.some((re) => re.test(s)) && !exclude.some((re) => re.test(s)))),
    );
    layout.rootDir = typeof co.rootDir === 'string' ? co.rootDir : commonDir(inputs);
    if (/\btsc\b/.test(build) && !NOT_PLAIN_TSC.test(build) && layout.output) {
      const out = layout.output.value;
      layout.produced = new Set(inputs.map((s) => tsEmit(s, layout.rootDir, out)).filter((s) => s !== undefined));
    }
  }
  if (!layout.output) {
    // a bundler's output folder on its command line (`tsup -d build`, `esbuild --outdir=out`)
    const flag = /(?:^|\s)(?:--out-?[dD]ir|-d)[=\s]+([\w./-]+)/.exec(build)?.[1];
    const outfile = /(?:^|\s)--outfile[=\s]+([\w./-]+)/.exec(build)?.[1];
    const out = flag ? cleanPath(flag) : outfile ? posix.dirname(cleanPath(outfile)) : undefined;
    if (out && out !== '.') layout.output = { value: out, evidence: { file: 'package.json', line: 0 } };
  }
  return layout;
}

/** Longest common folder of files (`''` for the repository root). */
function commonDir(files: string[]): string | undefined {
  if (files.length === 0) return undefined;
  let common = posix.dirname(files[0]!).split('/');
  for (const f of files.slice(1)) {
    const parts = posix.dirname(f).split('/');
    let i = 0;
    while (i < common.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  const dir = common.join('/');
  return dir === '.' ? '' : dir;
}

/** The file tsc writes for `source` (TypeScript docs, "rootDir" and "outDir"), undefined when outside rootDir. */
function tsEmit(source: string, rootDir: string | undefined, outDir: string): string | undefined {
  const root = rootDir ?? '';
  if (root && !source.startsWith(`${root}/`)) return undefined;
  return posix.join(outDir, emitted(root ? source.slice(root.length + 1) : source));
}

// ---------------------------------------------------------------------------------------------
// Detection

/** One place the start file may come from, in order of precedence. */
interface StartCandidate {
  file: string;
  evidence: Evidence[];
  /** The script it comes from: a start file that cannot exist is a warning then. */
  script?: { name: string; text: string };
}

/** Scripts that start the app in production, after `start` (`start:prod` is the NestJS and common name). */
const PROD_SCRIPTS = ['start', 'start:prod', 'start:production', 'prod', 'production', 'serve', 'start:server'];
/** Conventional entry files, most conventional first (npm docs: `npm start` defaults to `node server.js`). */
const CONVENTIONAL_JS = ['server.js', 'index.js', 'app.js', 'main.js', 'src/index.js', 'src/server.js', 'bin/www'];
const CONVENTIONAL_TS = [
  'src/server.ts',
  'src/index.ts',
  'src/main.ts',
  'src/app.ts',
  'server.ts',
  'index.ts',
  'main.ts',
  'app.ts',
];

/** Everything the start-file resolution needs. */
interface StartInputs {
  repo: Repo;
  pkg: Record<string, any>;
  scripts: Record<string, string>;
  lineOf: (re: RegExp) => Evidence;
  build: boolean;
  layout: BuildLayout;
}

/**
 * A script or `main` target as the file node runs: a folder → its `index.js`, a path without
 * extension → `<path>.js` (Node.js docs, "Modules: folders as modules", "file modules"), a
 * TypeScript source → the file the build writes for it.
 */
async function startFile(inp: StartInputs, raw: string): Promise<string> {
  const t = cleanPath(raw);
  if (t === '.' || t === '') {
    return typeof inp.pkg.main === 'string' && cleanPath(inp.pkg.main) !== '.'
      ? startFile(inp, inp.pkg.main)
      : 'index.js';
  }
  if (TS_SOURCE.test(t)) return inp.build ? mapSource(inp, t) : t;
  if (JS_SOURCE.test(t) || (await isFile(inp.repo, t))) return t;
  for (const ext of ['.js', '.cjs', '.mjs']) if (await isFile(inp.repo, t + ext)) return t + ext;
  if (await isFile(inp.repo, `${t}/index.js`)) return `${t}/index.js`;
  const { output, produced } = inp.layout;
  if (t === output?.value || produced?.has(`${t}/index.js`) || (await inp.repo.exists(`${t}/`))) return `${t}/index.js`;
  return `${t}.js`;
}

/** The build output of a TypeScript source: tsc's mapping, else a bundler's `<out>/<name>.js`. */
function mapSource(inp: StartInputs, source: string): string {
  const { output, rootDir } = inp.layout;
  const mapped = output ? tsEmit(source, rootDir, output.value) : undefined;
  return mapped ?? posix.join(output?.value ?? 'dist', emitted(posix.basename(source)));
}

/** Whether the start file is in the repository or written by the build (under its output folder). */
async function canExist(inp: StartInputs, file: string): Promise<boolean> {
  if (await isFile(inp.repo, file)) return true;
  if (!inp.build) return false;
  const { output, produced } = inp.layout;
  if (produced) return produced.has(file);
  const top = output?.value ?? file.split('/')[0]!;
  return file.startsWith(`${top}/`);
}

/**
 * The runtime stage's copy of the sources from the `nodeCopy` answer: everything for `.` and for
 * `next start` (it reads next.config.*, public/ and more: Next.js docs, "Self-Hosting"); else
 * the listed files, and the folders (written with a trailing `/`).
 */
function nodeRuntimeCopy(a: NodeAnswers, next: boolean): { all: boolean; files: string[]; dirs: string[] } {
  const items = String(a.nodeCopy ?? '.')
    .split(',')
    .filter(Boolean);
  if (next || items.includes('.')) return { all: true, files: [], dirs: [] };
  return {
    all: false,
    files: items.filter((i) => !i.endsWith('/')),
    dirs: items.filter((i) => i.endsWith('/')).map((i) => i.slice(0, -1)),
  };
}

/** Pack data `templates/data/node-runtime.yaml`: folders frameworks read by convention. */
interface NodeRuntimeTable {
  conventionalDirs: string[];
}

/**
 * Suffixes a relative `require`/`import` of plain JavaScript resolves with (Node docs, "Modules:
 * CommonJS", the require algorithm: LOAD_AS_FILE, LOAD_INDEX).
 */
const JS_RESOLVE = ['', '.js', '.cjs', '.mjs', '.json', '/index.js', '/index.cjs', '/index.mjs', '/index.json'];

/** Most files followed from the start file (a bound on detection's reads). */
const MAX_FOLLOWED = 400;

/** A line that uses a string as a file-system path: a string on it names a folder the app reads. */
const PATH_USE = new RegExp(
  [
    '__dirname|import\\.meta\\.(?:dirname|url)|process\\.cwd\\(\\)|\\bpath\\.|\\b(?:join|resolve)\\s*\\(',
    'static\\s*\\(|readdir|readFile|sendFile|createReadStream|existsSync|\\bviews\\b|\\brequire\\s*\\(',
  ].join('|'),
);

/**
 * What the runtime stage of a plain-JavaScript app copies: `package.json`, the top-level files and
 * folders of everything the start file loads (followed through relative `require()`, `import`
 * and `import()`, resolved as Node does), the top-level folders a string names where the code
 * uses a path (`path.join(__dirname, 'views')`, `express.static('public')`, `require(__dirname +
 * '/../config/config.json')`), and the conventional folders of `node-runtime.yaml` that exist.
 * Tests, docs and tooling the app never loads stay out of the production image.
 * @returns the `nodeCopy` value (comma-separated top-level names), or undefined when the start
 *   file cannot be read (the runtime then copies everything).
 */
export async function runtimeCopy(repo: Repo, start: string): Promise<string[] | undefined> {
  if (!(await repo.read(start))) return undefined;
  const top = new Map((await repo.list('.')).map((e) => [e.name, e.dir]));
  const need = new Set<string>(['package.json']);
  for (const dir of packData<NodeRuntimeTable>('node-runtime').conventionalDirs) if (top.get(dir)) need.add(dir);
  const queue = [start];
  const seen = new Set<string>();
  const isJs = (f: string): boolean => /\.(c|m)?js$/.test(f);
  /** Follow every JavaScript file under a top-level folder the code names (files it may load by name). */
  const followFolder = (name: string): void => {
    for (const f of repo.sources) if (f.startsWith(`${name}/`) && isJs(f) && !isTestFile(f)) queue.push(f);
  };
  while (queue.length > 0 && seen.size < MAX_FOLLOWED) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    need.add(file.split('/')[0]!);
    const text = await repo.read(file);
    if (!text) continue;
    for (const line of text.lines) {
      for (const m of allMatches(
        /(?:\brequire|\bimport)\s*\(\s*(['"`])([^'"`]+)\1|\b(?:from|import)\s+(['"])([^'"]+)\3/g,
        line,
      )) {
        const spec = m[2] ?? m[4] ?? '';
        if (!spec.startsWith('.')) continue; // a package: in node_modules
        const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        if (base.startsWith('..')) continue;
        for (const ext of JS_RESOLVE) {
          const candidate = `${base}${ext}`;
          if (candidate !== '.' && (await repo.read(candidate))) {
            if (isJs(candidate)) queue.push(candidate);
            else need.add(candidate.split('/')[0]!);
            break;
          }
        }
      }
      const pathUse = PATH_USE.test(line);
      for (const m of allMatches(/(['"`])([^'"`\n]{1,200})\1/g, line)) {
        // a string is a path on a line that uses paths, or when it says so (./x, ../x)
        if (!pathUse && !/^\.{1,2}\//.test(m[2]!)) continue;
        const name = m[2]!.replace(/^(?:\.{0,2}\/)+/, '').split(/[/$]/)[0]!;
        if (!name || name === 'node_modules' || !top.has(name) || need.has(name)) continue;
        need.add(name);
        if (top.get(name)) followFolder(name);
      }
    }
  }
  return [...need]
    .filter((n) => top.has(n))
    .sort((a, b) => (a === 'package.json' ? -1 : b === 'package.json' ? 1 : a < b ? -1 : 1))
    .map((n) => (top.get(n) ? `${n}/` : n));
}

/**
 * The start file, first that can exist of: production scripts that run node (`start`, `start:prod`,
 * …), NestJS's `dist/main.js`, `main`, a development runner's entry (`nodemon`, `ts-node`, `tsx`),
 * conventional files. A script whose file cannot exist is a warning with the script's line.
 */
async function detectStart(inp: StartInputs, out: Detection): Promise<void> {
  const { scripts, lineOf, pkg } = inp;
  const scriptLine = (name: string): Evidence => lineOf(new RegExp(`"${escapeRe(name)}"\\s*:`));
  const candidates: StartCandidate[] = [];
  for (const name of PROD_SCRIPTS) {
    const target = typeof scripts[name] === 'string' ? nodeTarget(scripts[name]) : undefined;
    if (target) {
      const file = await startFile(inp, target);
      candidates.push({ file, evidence: [scriptLine(name)], script: { name, text: target } });
    }
  }
  const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  // NestJS: `nest build` writes dist/main.js (NestJS docs, CLI: sourceRoot "src", entryFile "main")
  if (deps['@nestjs/core']) {
    candidates.push({
      file: posix.join(inp.layout.output?.value ?? 'dist', 'main.js'),
      evidence: [lineOf(/"@nestjs\/core"\s*:/)],
    });
  }
  if (typeof pkg.main === 'string') {
    candidates.push({ file: await startFile(inp, pkg.main), evidence: [lineOf(/"main"\s*:/)] });
  }
  for (const [name, text] of Object.entries(scripts)) {
    const target = typeof text === 'string' && !/test|lint|spec|e2e/.test(name) ? runnerTarget(text) : undefined;
    if (target) candidates.push({ file: await startFile(inp, target), evidence: [scriptLine(name)] });
  }
  for (const file of [...CONVENTIONAL_JS, ...(inp.build ? CONVENTIONAL_TS : [])]) {
    if (await isFile(inp.repo, file)) {
      const evidence = [{ file, line: 0 }];
      if (inp.layout.output && TS_SOURCE.test(file)) evidence.push(inp.layout.output.evidence);
      candidates.push({ file: TS_SOURCE.test(file) ? mapSource(inp, file) : file, evidence });
    }
  }

  const broken: StartCandidate[] = [];
  let chosen: StartCandidate | undefined;
  for (const c of candidates) {
    if (await canExist(inp, c.file)) {
      chosen = c;
      break;
    }
    if (c.script) broken.push(c);
  }
  chosen ??= broken[0];
  for (const b of broken) {
    const instead = b === chosen ? 'so the container exits at start' : `so the image runs ${chosen!.file} instead`;
    addWarning(out, {
      code: 'start-file-missing',
      message:
        `the ${b.script!.name} script runs node ${b.script!.text}, but ${b.file} is neither in the repository nor ` +
        `written by the build, ${instead}: fix the script or set nodeStart (dockforge generate --set nodeStart=<file>)`,
      evidence: b.evidence,
    });
  }
  if (chosen) out.findings.nodeStart = { value: chosen.file, evidence: chosen.evidence };
  else {
    addWarning(out, {
      code: 'no-start-file',
      message:
        'no start file found (no `node <file>` start script, no "main", no server.js or index.js): ' +
        'set it with dockforge generate --set nodeStart=<file>',
      evidence: [{ file: 'package.json', line: 0 }],
    });
  }
}

/**
 * Prisma: the schema (package.json `prisma.schema`, prisma.config's `schema`, then the default
 * locations: Prisma docs, "Prisma schema location"), its datasource provider (names the
 * database), its generator's output (where the client is generated) and its `env("X")` reads.
 */
async function detectPrisma(repo: Repo, pkg: Record<string, any>, out: Detection, lineOf: (re: RegExp) => Evidence) {
  const prod = { ...(pkg.dependencies ?? {}), ...(pkg.optionalDependencies ?? {}) };
  const all = { ...prod, ...(pkg.devDependencies ?? {}) };
  if (!all['@prisma/client'] && !all.prisma) return;
  const locations: string[] = [];
  if (typeof pkg.prisma?.schema === 'string') locations.push(cleanPath(pkg.prisma.schema));
  for (const file of ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.js', 'prisma.config.mjs']) {
    const config = await repo.read(file);
    config?.lines.forEach((line, i) => {
      const schema = /\bschema\s*:\s*['"`]([^'"`]+)['"`]/.exec(line);
      if (schema) locations.push(cleanPath(schema[1]!));
      for (const m of allMatches(/\benv\(\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]/g, line)) {
        out.envReads.push({ name: m[1]!, evidence: { file, line: i + 1 } });
      }
    });
  }
  locations.push('prisma/schema.prisma', 'schema.prisma');
  let schema: TextFile | undefined;
  for (const loc of locations) {
    schema = (await repo.read(loc)) ?? (await repo.read(posix.join(loc, 'schema.prisma')));
    if (schema) break;
  }
  if (!schema) {
    out.notes.push('Prisma packages but no schema.prisma: no Prisma Client is generated');
    return;
  }
  const lines = schema.lines;
  const idx = findLine(lines, /provider\s*=\s*"(postgresql|postgres|sqlite)"/);
  if (idx >= 0 && (prod['@prisma/client'] || prod.prisma)) {
    const provider = /"(postgresql|postgres|sqlite)"/.exec(lines[idx]!)![1]!;
    out.dependencies.push({ name: `prisma:${provider}`, evidence: { file: schema.rel, line: idx + 1 } });
  }
  lines.forEach((line, i) => {
    for (const m of allMatches(/\benv\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g, line)) {
      out.envReads.push({ name: m[1]!, evidence: { file: schema!.rel, line: i + 1 } });
    }
  });
  if (!prod['@prisma/client']) return;
  // the client generator and its output folder, relative to the schema file (Prisma docs, "generator")
  const gen = findLine(lines, /^\s*generator\s+\w+\s*\{/);
  let client = PRISMA_DEFAULT_OUTPUT;
  let at = gen;
  for (let i = gen + 1; gen >= 0 && i < lines.length && !/^\s*\}/.test(lines[i]!); i++) {
    const output = /^\s*output\s*=\s*"([^"]+)"/.exec(lines[i]!);
    if (output) {
      client = cleanPath(posix.join(posix.dirname(schema.rel), output[1]!));
      at = i;
    }
  }
  if (client.startsWith('node_modules/.prisma/') || !RELATIVE_PATH.test(client)) client = PRISMA_DEFAULT_OUTPUT;
  out.findings.nodePrisma = {
    value: client,
    evidence: [{ file: schema.rel, line: Math.max(at, 0) + 1 }, lineOf(/"@prisma\/client"\s*:/)],
  };
}

/** Next.js: `next build` in the build script; `output: 'standalone'` in next.config.* (Next.js docs, "output"). */
async function detectNext(repo: Repo, build: string, pkg: Record<string, any>, out: Detection, buildEv: Evidence) {
  if (!pkg.dependencies?.next || !/\bnext\s+build\b/.test(build)) return undefined;
  const f = out.findings;
  f.nodeBuildOutput = { value: '.next', evidence: [buildEv] };
  out.notes.push(
    'Next.js writes its cache under .next/cache at run time; the container root is read-only, so optimised ' +
      'images and regenerated pages are not cached (Next.js docs, "Self-Hosting": mount a volume or a cache handler)',
  );

  for (const file of ['next.config.js', 'next.config.mjs', 'next.config.cjs', 'next.config.ts', 'next.config.mts']) {
    const config = await repo.read(file);
    const idx = config ? findLine(config.lines, /\boutput\s*:\s*['"`]standalone['"`]/) : -1;
    if (idx >= 0) {
      f.nodeFramework = { value: 'next-standalone', evidence: [{ file, line: idx + 1 }] };
      f.nodeStart = { value: 'server.js', evidence: [{ file, line: idx + 1 }] };
      return 'next-standalone';
    }
  }
  f.nodeFramework = { value: 'next', evidence: [buildEv] };
  return 'next';
}

/** The port in a committed `.env` (`PORT=3000`): the code's own literals, found later, take precedence. */
async function detectDotenvPort(repo: Repo, out: Detection): Promise<void> {
  const env = await repo.read('.env');
  const idx = env ? findLine(env.lines, /^\s*(?:export\s+)?PORT\s*=\s*["']?\d{2,5}["']?\s*$/) : -1;
  const port = idx >= 0 ? Number(/\d{2,5}/.exec(env!.lines[idx]!)![0]) : 0;
  if (port >= 1 && port <= 65535) out.findings.port = { value: port, evidence: [{ file: '.env', line: idx + 1 }] };
}

/** Lifecycle scripts that the production install runs too (npm docs, "scripts": `npm ci` runs them). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];
/** Commands whose package has another name. */
const BIN_PACKAGE: Record<string, string> = { tsc: 'typescript' };

/**
 * A lifecycle script that runs a devDependency's command: the deps stage installs production
 * dependencies only and still runs the script, which then fails (command not found).
 */
function detectLifecycle(pkg: Record<string, any>, out: Detection, lineOf: (re: RegExp) => Evidence): void {
  const scripts: Record<string, unknown> = pkg.scripts ?? {};
  const dev: Record<string, string> = pkg.devDependencies ?? {};
  const prod: Record<string, string> = { ...(pkg.dependencies ?? {}), ...(pkg.optionalDependencies ?? {}) };
  for (const name of INSTALL_SCRIPTS) {
    const text = scripts[name];
    if (typeof text !== 'string') continue;
    for (const words of commands(text)) {
      const cmd = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && w !== 'npx' && w !== 'exec');
      const dep = cmd && (BIN_PACKAGE[cmd] ?? cmd);
      if (!dep || !dev[dep] || prod[dep]) continue;
      addWarning(out, {
        code: 'install-script-dev-dependency',
        message:
          `the ${name} script runs ${cmd}, a devDependency that the production install leaves out, so the deps ` +
          `stage fails: move ${dep} to dependencies or let the script succeed without it`,
        evidence: [lineOf(new RegExp(`"${name}"\\s*:`))],
      });
    }
  }
}

const LOOPBACK = /['"`](?:localhost|127\.0\.0\.1|::1|\[::1\])['"`]/;
/** A host chosen by an environment variable: every interface when it is set (group 1, 2 or 3 names it). */
const ENV_SWITCHED_HOST = new RegExp(
  String.raw`(?:['"](\w+)['"]\s+in\s+process\.env|process\.env\.(\w+)|process\.env\[['"](\w+)['"]\])` +
    String.raw`\s*\)?\s*\?\s*['"\`](?:0\.0\.0\.0|::)['"\`]`,
);

/**
 * A server bound to the loopback interface: a loopback literal in a `.listen(…)` call's
 * arguments, or in the value of the host variable the call passes. In a container nothing
 * outside reaches it (Docker docs, "Networking overview": published ports forward to the
 * container's interface, not its loopback).
 */
function detectLoopback(file: string, lines: string[], out: Detection): void {
  lines.forEach((line, i) => {
    const at = line.search(/\.listen\s*\(/);
    if (at < 0 || /^\s*(\/\/|\*)/.test(line)) return;
    // the call's arguments, up to its callback
    const call = [line.slice(at), ...lines.slice(i + 1, i + 4)]
      .map((l) => l.replace(/(^|\s)\/\/.*$/, ''))
      .join(' ')
      .split(/=>|\bfunction\b/)[0]!;
    const evidence: Evidence[] = [{ file, line: i + 1 }];
    let bound = LOOPBACK.test(call);
    for (const id of new Set(allMatches(/\b(\w*host\w*)\b/gi, call).map((m) => m[1]!))) {
      if (bound) break;
      const def = new RegExp(`(?:\\b(?:const|let|var)\\s+${id}\\s*=|\\b${id}\\s*:)[^\\n]*${LOOPBACK.source}`);
      const j = lines.findIndex((l, k) => k !== i && def.test(l) && !/^\s*(\/\/|\*)/.test(l));
      if (j < 0) continue;
      // `("RENDER" in process.env) ? '0.0.0.0' : 'localhost'`: setting the variable opens it up
      const cond = ENV_SWITCHED_HOST.exec(lines[j]!);
      const name = cond && (cond[1] ?? cond[2] ?? cond[3]);
      if (name) {
        addEnvFinding(out, name, 'true', { file, line: j + 1 });
        out.notes.push(`the server listens on every interface only when ${name} is set: the app gets ${name}=true`);
        return;
      }
      bound = true;
      evidence.unshift({ file, line: j + 1 });
    }
    if (!bound) return;
    addWarning(out, {
      code: 'loopback-bind',
      message:
        'the server listens on localhost only, which nothing outside the container can reach: listen on ' +
        '0.0.0.0, or read the host from an environment variable and set it to 0.0.0.0',
      evidence,
    });
  });
}

/** The entries of an object literal starting at `{` (offset `start` of `text`): name, expression, offset. */
function objectEntries(text: string, start: number): { name: string; expr: string; at: number }[] {
  const entries: { name: string; expr: string; at: number }[] = [];
  let depth = 0;
  let from = start + 1;
  const push = (end: number) => {
    const raw = text.slice(from, end);
    const m = /^\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?\s*:\s*([\s\S]*)$/.exec(raw);
    if (m) entries.push({ name: m[1]!, expr: m[2]!, at: from + raw.search(/\S/) });
  };
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      i = j;
    } else if ('{(['.includes(c)) depth++;
    else if ('})]'.includes(c)) {
      depth--;
      if (depth === 0) {
        push(i);
        break;
      }
    } else if (c === ',' && depth === 1) {
      push(i);
      from = i + 1;
    }
  }
  return entries;
}

/**
 * Names of `process.env` the app cannot start without, each with its line: the schema of an
 * env validator that runs on `process.env` — envalid `cleanEnv` (a validator without `default`;
 * envalid docs: `devDefault` does not apply under NODE_ENV=production), zod `z.object` parsed from
 * process.env (neither `.optional()`, `.default()` nor `.catch()`), joi `.required()` — and
 * `if (!process.env.X)` followed by a throw or `process.exit`.
 */
function requiredEnv(file: string, lines: string[]): Map<string, Evidence> {
  const found = new Map<string, Evidence>();
  const text = lines.join('\n');
  const lineAt = (offset: number): Evidence => ({ file, line: text.slice(0, offset).split('\n').length });
  const schemas: { re: RegExp; required: (expr: string) => boolean; when: boolean }[] = [
    {
      re: /\bcleanEnv\s*\(\s*[\w.]+\s*,\s*\{/g,
      required: (e) => !/\bdefault\s*:/.test(e),
      when: true,
    },
    {
      re: /\bz\s*\.\s*object\s*\(\s*\{/g,
      required: (e) => !/\.(?:optional|default|catch|nullish)\s*\(/.test(e),
      when: /\.(?:safeParse|parse|parseAsync|safeParseAsync)\s*\(\s*process\.env\s*\)/.test(text),
    },
    {
      re: /\bjoi\s*\.\s*object\s*\(\s*\{/gi,
      required: (e) => /\.required\s*\(/.test(e) && !/\.default\s*\(/.test(e),
      when: /\.validate\s*\(\s*process\.env\b/.test(text),
    },
  ];
  for (const s of schemas) {
    if (!s.when) continue;
    for (const m of allMatches(s.re, text)) {
      for (const e of objectEntries(text, m.index + m[0].length - 1)) {
        if (/^[A-Z][A-Z0-9_]*$/.test(e.name) && s.required(e.expr) && !found.has(e.name))
          found.set(e.name, lineAt(e.at));
      }
    }
  }
  lines.forEach((line, i) => {
    const cond = /\bif\s*\((.*)$/.exec(line);
    if (!cond || !/!\s*process\.env/.test(cond[1]!)) return;
    // the if's statement: its block up to the closing brace, or the one statement after it
    const body = [line];
    if (/\{\s*$/.test(line)) {
      for (const next of lines.slice(i + 1, i + 8)) {
        body.push(next);
        if (/^\s*\}/.test(next)) break;
      }
    } else if (/\)\s*$/.test(line)) body.push(lines[i + 1] ?? '');
    if (!/\bthrow\b|\bprocess\.exit\s*\(/.test(body.join('\n'))) return;
    for (const m of allMatches(/!\s*process\.env(?:\.([A-Za-z_]\w*)|\[\s*['"]([A-Za-z_]\w*)['"]\s*\])/g, cond[1]!)) {
      const name = m[1] ?? m[2]!;
      if (!found.has(name)) found.set(name, { file, line: i + 1 });
    }
  });
  return found;
}

/** Set in every Node image (`ENV NODE_ENV=<nodeEnv>`, production by default): never asked of the user. */
const SET_BY_IMAGE = new Set(['NODE_ENV']);

/**
 * Loopback binds (warnings) and required configuration in the app's sources (tests excluded):
 * the required names go to `requiredEnv`, which detection turns into one warning for those
 * dockforge does not set.
 */
async function detectSources(repo: Repo, out: Detection, extensions: string[]): Promise<void> {
  const required = new Map<string, Evidence>();
  for (const file of repo.sources) {
    if (!extensions.includes(path.extname(file)) || isTestFile(file) || file.endsWith('.d.ts')) continue;
    const t = await repo.read(file);
    if (!t) continue;
    detectLoopback(file, t.lines, out);
    for (const [name, ev] of requiredEnv(file, t.lines)) if (!required.has(name)) required.set(name, ev);
  }
  out.requiredEnv ??= [];
  for (const [name, evidence] of required) if (!SET_BY_IMAGE.has(name)) out.requiredEnv.push({ name, evidence });
}

/**
 * Choose a Node major every dependency works on (pack data `node-addons.yaml`, `nodeMajors`: the
 * first release of a package that builds or runs on each major): when the detected (or default)
 * major is too new for an installed version, the newest major the spec allows that they all work
 * on is used, with a note; when none is allowed, a warning names the package, its version and the
 * first release that works (the build fails compiling it, or the app fails at run time).
 * @param packages dependencies with a `nodeMajors` entry
 * @param versionOf the version the build installs, per package (installedVersion)
 * @param allowed majors `.nvmrc` / `engines.node` allow (all supported ones when neither says)
 * @param spec what allowed them, for the messages ('' when nothing did)
 */
function fitNodeToPackages(
  out: Detection,
  packages: string[],
  versionOf: (name: string) => string | undefined,
  allowed: string[],
  spec: string,
  lineOf: (re: RegExp) => Evidence,
): void {
  const f = out.findings;
  const chosen = String(f.nodeVersion?.value ?? preferredNodeMajor(allowed) ?? NODE_LTS);
  const blockers = (major: string) =>
    packages.flatMap((n) => {
      const first = firstWorkingRelease(n, versionOf(n), major);
      return first ? [{ name: n, version: versionOf(n)!, first }] : [];
    });
  const now = blockers(chosen);
  if (now.length === 0) return;
  const evidence = now.map((b) => lineOf(new RegExp(`"${escapeRe(b.name)}"\\s*:`)));
  const what = now
    .map(
      (b) =>
        `${b.name} ${b.version.replace(/\.999999/g, '.x')} does not work on Node ${chosen} ` +
        `(the first release that does is ${b.first})`,
    )
    .join('; ');
  const fits = allowed.filter((m) => +m < +chosen && blockers(m).length === 0);
  const pick = preferredNodeMajor(fits);
  if (pick) {
    f.nodeVersion = { value: pick, evidence };
    out.notes.push(`${what}: building with Node ${pick}`);
  } else {
    const other = preferredNodeMajor(NODE_MAJORS.filter((m) => blockers(m).length === 0));
    addWarning(out, {
      code: 'node-major-unsupported',
      message:
        what +
        (other
          ? `, and ${spec} does not allow Node ${other}, which it works on: upgrade it, or set nodeVersion=${other}`
          : `, nor on any Node major dockforge supports (${NODE_MAJORS.join(', ')}): upgrade it`),
      evidence,
    });
  }
}

/**
 * Configuration files keyed by environment name (knex CLI docs, "knexfile"; sequelize-cli docs,
 * config/config.json).
 */
const ENV_CONFIG_FILES = [
  'knexfile.js',
  'knexfile.cjs',
  'knexfile.mjs',
  'knexfile.ts',
  'config/config.json',
  'config/config.js',
];

/**
 * An app that picks its configuration entry by NODE_ENV from a file with no `production` entry
 * (a knexfile or sequelize config with only `development`) crashes under the image's
 * NODE_ENV=production: nodeEnv becomes the entry the file defines (`development` when it has one),
 * with a warning naming the file and the read.
 */
async function detectEnvConfig(repo: Repo, out: Detection): Promise<void> {
  let read: Evidence | undefined;
  for (const file of repo.sources.filter((s) => !isTestFile(s))) {
    const t = await repo.read(file);
    const i = t ? findLine(t.lines, /process\.env\.NODE_ENV\b/) : -1;
    if (i >= 0) {
      read = { file, line: i + 1 };
      break;
    }
  }
  if (!read) return;
  for (const file of ENV_CONFIG_FILES) {
    const t = await repo.read(file);
    if (!t) continue;
    // the entries: object-valued keys at the shallowest indentation
    const found = t.lines.flatMap((line, i) => {
      const m = /^(\s*)["']?([A-Za-z][\w-]*)["']?\s*:\s*\{/.exec(line);
      return m ? [{ indent: m[1]!.length, key: m[2]!, line: i + 1 }] : [];
    });
    const top = Math.min(...found.map((k) => k.indent));
    const keys = new Map(found.filter((k) => k.indent === top).map((k) => [k.key, k.line] as const));
    if (keys.has('production') || keys.size === 0) continue;
    const name = keys.has('development') ? 'development' : [...keys.keys()][0]!;
    const ev: Evidence = { file, line: keys.get(name)! };
    out.findings.nodeEnv = { value: name, evidence: [ev, read] };
    addWarning(out, {
      code: 'node-env-config',
      message:
        `${file} has no production entry (only ${[...keys.keys()].join(', ')}) and the app picks its entry by ` +
        `NODE_ENV: the image runs with NODE_ENV=${name}; add a production entry, then set nodeEnv=production`,
      evidence: [ev, read],
    });
    return;
  }
}

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
  let allowedMajors: string[] = [...NODE_MAJORS];
  let majorSpec = '';
  for (const file of ['.nvmrc', '.node-version']) {
    const t = await repo.read(file);
    const allowed = t ? nodeMajorsAllowed(t.lines[0] ?? '') : [];
    if (allowed.length > 0) {
      f.nodeVersion = { value: preferredNodeMajor(allowed)!, evidence: [{ file, line: 1 }] };
      [allowedMajors, majorSpec] = [allowed, `${file} "${t!.lines[0]!.trim()}"`];
      break;
    }
  }
  if (!f.nodeVersion && typeof pkg.engines?.node === 'string') {
    const allowed = nodeMajorsAllowed(pkg.engines.node);
    if (allowed.length > 0) {
      f.nodeVersion = { value: preferredNodeMajor(allowed)!, evidence: [lineOf(/"node"\s*:/)] };
      [allowedMajors, majorSpec] = [allowed, `engines.node "${pkg.engines.node}"`];
    } else out.notes.push(`engines.node "${pkg.engines.node}" has no supported major (${NODE_MAJORS.join(', ')})`);
  }

  // package manager: the packageManager field, else the lockfile; then whether its lockfile is committed
  let pm: { value: PackageManager; ev: Evidence } | undefined;
  const field = typeof pkg.packageManager === 'string' ? /^(npm|yarn|pnpm)@/.exec(pkg.packageManager) : null;
  if (field) pm = { value: field[1] as PackageManager, ev: lineOf(/"packageManager"\s*:/) };
  else {
    for (const [file, value] of LOCKFILES) {
      if (await repo.exists(file)) {
        pm = { value, ev: { file, line: 0 } };
        break;
      }
    }
  }
  if (pm) f.packageManager = { value: pm.value, evidence: [pm.ev] };
  const manager = pm?.value ?? 'npm';
  let lockfile: string | undefined;
  for (const [file, value] of LOCKFILES)
    if (value === manager && !lockfile && (await repo.exists(file))) lockfile = file;
  if (lockfile) f.nodeLockfile = { value: true, evidence: [{ file: lockfile, line: 0 }] };
  else {
    const name = PACKAGE_MANAGER_COMMANDS[manager].lockfile;
    f.nodeLockfile = { value: false, evidence: [pm?.ev ?? { file: 'package.json', line: 0 }] };
    const install = PACKAGE_MANAGER_COMMANDS[manager].unlocked.install;
    addWarning(out, {
      code: 'no-lockfile',
      message: `no lockfile: installs are not reproducible (the image runs ${install}); commit ${name}`,
      evidence: [{ file: 'package.json', line: 0 }],
    });
  }

  const scripts: Record<string, string> = pkg.scripts ?? {};
  const hasBuild = typeof scripts.build === 'string';
  const buildEv = hasBuild ? lineOf(/"build"\s*:/) : { file: 'package.json', line: 0 };
  f.nodeBuild = { value: hasBuild, evidence: [buildEv] };
  const build = hasBuild ? expandScript(scripts, 'build') : '';
  const layout = hasBuild ? await buildLayout(repo, build) : {};
  if (layout.output) {
    const ev = layout.output.evidence.line > 0 ? layout.output.evidence : buildEv;
    f.nodeBuildOutput = { value: layout.output.value, evidence: [ev] };
  }

  const inputs: StartInputs = { repo, pkg, scripts, lineOf, build: hasBuild, layout };
  const next = hasBuild ? await detectNext(repo, build, pkg, out, buildEv) : undefined;
  if (next === 'next') {
    // `next start`, or a custom server that node runs (Next.js docs, "Custom Server")
    const custom = typeof scripts.start === 'string' ? nodeTarget(scripts.start) : undefined;
    f.nodeStart = custom
      ? { value: await startFile(inputs, custom), evidence: [lineOf(/"start"\s*:/)] }
      : { value: NEXT_BIN, evidence: [lineOf(/"next"\s*:/)] };
  } else if (!next) {
    await detectStart(inputs, out);
  }
  if (!hasBuild && !next && f.nodeStart) {
    // plain JavaScript: the runtime copies what the start file loads, not the whole repository
    const copy = await runtimeCopy(repo, String(f.nodeStart.value));
    if (copy) {
      f.nodeCopy = { value: copy.join(','), evidence: f.nodeStart.evidence };
      out.notes.push(
        `the runtime image copies what ${f.nodeStart.value} loads: ${copy.join(', ')} ` +
          '(set nodeCopy=. to copy everything)',
      );
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
    if (addonTable().native.includes(name)) native.push(name);
  }
  await detectPrisma(repo, pkg, out, lineOf);
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
  const lockText = lockfile ? (await repo.read(lockfile))?.lines.join('\n') : undefined;
  const allDeps: Record<string, string> = { ...(pkg.devDependencies ?? {}), ...deps };
  // packages too old for the base image's OS, one warning per rule and version (prisma + @prisma/client)
  const tooOld = new Map<string, { names: string[]; evidence: Evidence[] }>();
  for (const [name, rule] of Object.entries(addonTable().baseImage)) {
    if (!(name in allDeps)) continue;
    const version = installedVersion(lockText, lockfile, name, allDeps[name]);
    if (!version || compareVersions(version, rule.first) >= 0) continue;
    const key =
      `${version.replace(/\.999999/g, '.x')}: ${rule.reason}, which every base image has ` +
      `(the first release that works is ${rule.first})`;
    const hit = tooOld.get(key) ?? { names: [], evidence: [] };
    hit.names.push(name);
    hit.evidence.push(lineOf(new RegExp(`"${escapeRe(name)}"\\s*:`)));
    tooOld.set(key, hit);
  }
  for (const [key, hit] of tooOld) {
    addWarning(out, {
      code: 'package-too-old-for-base',
      message: `${hit.names.join(' and ')} ${key}: upgrade ${hit.names.length > 1 ? 'them' : 'it'}`,
      evidence: hit.evidence,
    });
  }
  const sensitive = Object.keys(deps).filter((n) => n in addonTable().nodeMajors);
  if (sensitive.length > 0) {
    fitNodeToPackages(
      out,
      sensitive,
      (n) => installedVersion(lockText, lockfile, n, deps[n]),
      allowedMajors,
      majorSpec,
      lineOf,
    );
  }
  detectLifecycle(pkg, out, lineOf);
  await detectEnvConfig(repo, out);
  await detectDotenvPort(repo, out);
  await detectSources(repo, out, node.sourceExtensions);
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

/** The package-manager commands the templates run, for the lockfile and the Prisma client's layout. */
function templateCommands(a: NodeAnswers, prismaDefault: boolean) {
  const c = PACKAGE_MANAGER_COMMANDS[a.packageManager];
  const locked = a.nodeLockfile;
  // pnpm links packages from node_modules/.pnpm, where the Prisma client then lives too; a hoisted
  // (flat, npm-like) node_modules puts it at node_modules/.prisma (pnpm docs, "nodeLinker")
  const layout = a.packageManager === 'pnpm' && prismaDefault ? ' --config.node-linker=hoisted' : '';
  return {
    manifests: locked ? `package.json ${c.lockfile}` : 'package.json',
    cache: c.cache,
    install: (locked ? c.install : c.unlocked.install) + layout,
    installProd: (locked ? c.installProd : c.unlocked.installProd) + layout,
    run: c.run,
    exec: c.exec,
    corepack: c.corepack,
  };
}

function nodeContext(answers: Answers, facts: ServiceFacts): LanguageContext {
  const a = answers as NodeAnswers;
  const distroless = a.base === 'distroless';
  const prisma = a.nodePrisma !== 'none';
  const prismaDefault = a.nodePrisma === PRISMA_DEFAULT_OUTPUT;
  const standalone = a.nodeFramework === 'next-standalone';
  const next = a.nodeFramework === 'next';
  const pm = templateCommands(a, prismaDefault);
  const buildStage = a.nodeBuild || prisma;
  const runBuild = `\`${a.packageManager} run build\``;
  const built = !prisma
    ? ` and ${runBuild}`
    : a.nodeBuild
      ? `, \`prisma generate\` and ${runBuild}`
      : ' and `prisma generate`';
  const stages = [
    { name: 'base', what: `Node ${a.nodeVersion}${a.nodeNative ? ' with a C/C++ toolchain for native addons' : ''}` },
    { name: 'deps', what: 'production dependencies only' },
    ...(buildStage ? [{ name: 'build', what: `all dependencies${built}` }] : []),
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
  // the generated Prisma client: the default output and @prisma/client (Prisma docs,
  // "Generating Prisma Client"), or the generator's own output folder when it is not in the build output
  const underBuild = a.nodeBuild && a.nodePrisma.startsWith(`${a.nodeBuildOutput}/`);
  const prismaCopies = !prisma
    ? []
    : prismaDefault
      ? ['node_modules/.prisma', 'node_modules/@prisma/client']
      : underBuild
        ? []
        : [a.nodePrisma];
  const nextStart = next && a.nodeStart === NEXT_BIN;
  return {
    bin: a.name,
    stages,
    healthcheck: nodeHealthcheck(a),
    probe: false,
    httpHealth: httpHealth(a),
    composeInit: true,
    watch,
    devSync: watch.some((w) => w.action.startsWith('sync')),
    entrypoint: distroless ? ['/nodejs/bin/node'] : ['/sbin/tini', '--', 'node'],
    cmd: nextStart ? [a.nodeStart, 'start'] : [a.nodeStart],
    devCmd: next || standalone ? ['node', NEXT_BIN, 'dev'] : ['node', ...(a.nodeBuild ? [] : ['--watch']), a.nodeStart],
    pm,
    pnpmHoisted: a.packageManager === 'pnpm' && prismaDefault,
    buildStage,
    buildComment: !prisma
      ? 'all dependencies and the build script; only its output reaches the runtime.'
      : a.nodeBuild
        ? 'all dependencies, `prisma generate` and the build script; their output reaches the runtime.'
        : 'all dependencies and `prisma generate`; only the generated client reaches the runtime.',
    prisma,
    prismaCopies,
    next,
    nextStandalone: standalone,
    // the runtime takes the sources from the build context: plain JavaScript, and `next start`
    // (it reads next.config.*, public/ and the app's own files next to .next: Next.js docs, "next start")
    runtimeSources: !a.nodeBuild || next,
    runtimeCopy: nodeRuntimeCopy(a, next),
    alpineBuildPackages: [...(a.nodeNative ? addonTable().builder.alpine : []), ...(prisma ? ['openssl'] : [])],
    debianBuildPackages: a.nodeNative ? addonTable().builder.debian : [],
    alpineRuntimePackages: prisma ? ['openssl'] : [],
    images: {
      builder: distroless
        ? `node:\${NODE_VERSION}-trixie${a.nodeNative || prisma ? '' : '-slim'}`
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
  appDir: '/app',
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
      key: 'nodeLockfile',
      kind: 'bool',
      allowed: 'true or false',
      describe: "Node: the package manager's lockfile is committed (false: installs resolve versions anew)",
      fallback: true,
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
      key: 'nodeCopy',
      kind: 'string',
      pattern: /^\.$|^(?!\.\.?\/?(,|$))(?!.*,\.\.?\/?(,|$))[A-Za-z0-9._-]+\/?(,[A-Za-z0-9._-]+\/?)*$/,
      allowed:
        '. (everything), or top-level files and folders (with a trailing /) separated by commas, ' +
        'such as package.json,server.js,src/',
      describe: 'Node: what the runtime image copies of a plain-JavaScript app',
      fallback: '.',
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
    {
      key: 'nodePrisma',
      kind: 'string',
      pattern: /^(?:none|(?!\/)(?!.*\.\.)[A-Za-z0-9._/@-]+)$/,
      allowed: `none, or the folder prisma generate writes the client to, such as ${PRISMA_DEFAULT_OUTPUT}`,
      describe: 'Node: Prisma Client output folder (none: no Prisma)',
      fallback: 'none',
    },
    {
      key: 'nodeEnv',
      kind: 'string',
      pattern: /^[A-Za-z][A-Za-z0-9_-]{0,31}$/,
      allowed: 'an environment name such as production (letters, digits, _ and -)',
      describe: 'Node: NODE_ENV in the runtime image',
      fallback: 'production',
    },
    {
      key: 'nodeFramework',
      kind: 'enum',
      choices: NODE_FRAMEWORKS,
      allowed: NODE_FRAMEWORKS.join(', '),
      describe: 'Node: how the app is served (next: next start; next-standalone: output standalone)',
      fallback: 'none',
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
