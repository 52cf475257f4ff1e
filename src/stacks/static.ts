/**
 * Static sites: a package.json whose build script writes static files (Vite, Create React App,
 * Vue CLI, Parcel, Angular CLI, Preact CLI, webpack with html-webpack-plugin, Astro without a
 * server adapter) and that runs no server of its own. Node builds the files; dockforge's own
 * file server (`.dockforge/static-server/main.go`, Go, standard library only) serves them from
 * distroless `static` or Alpine: the image you ship holds the server binary and the built files,
 * no Node, no package manager, no shell on distroless. The variables the bundler bakes into the
 * files (`import.meta.env.VITE_*`, `process.env.REACT_APP_*`, …) are build arguments.
 * Templates: `templates/languages/static/`.
 */
import path from 'node:path';
import type { Repo } from '../detect/repo.js';
import { allMatches, findLine, isTestFile, toLabel } from '../detect/repo.js';
import type { Answers, Detection, Evidence } from '../vocabulary.js';
import { addWarning } from '../vocabulary.js';
import { httpHealth } from './common.js';
import { golangImages } from './go.js';
import {
  LOCKFILES,
  NODE_LTS,
  NODE_MAJORS,
  nodeMajorsAllowed,
  nodeTarget,
  PACKAGE_MANAGER_COMMANDS,
  PACKAGE_MANAGERS,
  type PackageManager,
  parseJsonc,
  preferredNodeMajor,
} from './node.js';
import type { LanguageContext, LanguageSupport, WatchRule } from './types.js';

/**
 * A build tool that writes a static site: the package that names it, the folder it writes by
 * default, and for webpack the plugin that makes its output a site (an index.html).
 */
interface StaticTool {
  dependency: string;
  output: string;
  with?: string;
}

/**
 * The static build tools, in the order they are recognised, with their default output folders:
 * Vite docs "build.outDir" (dist); Create React App docs "Deployment" (`npm run build` creates
 * build/); Vue CLI docs "outputDir" (dist); Parcel docs "CLI" (`--dist-dir`, dist); Angular CLI
 * `outputPath` in angular.json (read below); Preact CLI README (`preact build` writes build/);
 * Astro docs "outDir" (dist); webpack docs "output.path" (dist) with html-webpack-plugin.
 */
export const STATIC_TOOLS: readonly StaticTool[] = [
  { dependency: 'vite', output: 'dist' },
  { dependency: 'react-scripts', output: 'build' },
  { dependency: '@vue/cli-service', output: 'dist' },
  { dependency: 'parcel', output: 'dist' },
  { dependency: 'parcel-bundler', output: 'dist' },
  { dependency: '@angular/cli', output: 'dist' },
  { dependency: 'preact-cli', output: 'build' },
  { dependency: 'astro', output: 'dist' },
  { dependency: 'webpack-cli', output: 'dist', with: 'html-webpack-plugin' },
];

/**
 * Packages that mean the app runs a server of its own (in dependencies or devDependencies), so it
 * stays a Node.js app: server-rendering frameworks (Next.js, Nuxt, Remix and React Router's
 * server, SvelteKit, Angular SSR, Vike, TanStack Start, Astro with a server adapter: Astro docs,
 * "On-demand rendering"), HTTP server libraries and WebSocket servers.
 */
const SERVER_PACKAGES: readonly RegExp[] = [
  /^next$/,
  /^nuxt3?$/,
  /^express$/,
  /^fastify$/,
  /^koa$/,
  /^(@hapi\/)?hapi$/,
  /^@nestjs\/core$/,
  /^hono$/,
  /^@hono\/node-server$/,
  /^@remix-run\//,
  /^@sveltejs\/kit$/,
  /^@react-router\/(node|serve|express|architect|cloudflare)$/,
  /^@angular\/ssr$/,
  /^@nguniversal\//,
  /^vike$/,
  /^vite-plugin-ssr$/,
  /^@tanstack\/(react-|solid-)?start$/,
  /^@astrojs\/(node|vercel|netlify|cloudflare|deno)$/,
  /^restify$/,
  /^polka$/,
  /^h3$/,
  /^nitropack$/,
  /^@trpc\/server$/,
  /^socket\.io$/,
  /^ws$/,
];

/** Development runners that run a server file (`nodemon server.js`, `tsx src/server.ts`). */
const RUNNER = /(?:^|[\s;&|])(?:nodemon|ts-node|ts-node-dev|tsnd|tsx|node-dev|babel-node)\s/;

/** The folder the static server serves, in the runtime image. */
export const STATIC_ROOT = '/srv/www';
/** The static server's executable in the runtime image. */
export const STATIC_SERVER = '/usr/local/bin/static-server';

/** The static-site answers, as this module reads them. */
interface StaticAnswers extends Answers {
  staticNodeVersion: string;
  staticPackageManager: PackageManager;
  staticLockfile: boolean;
  staticBuildScript: string;
  staticDevScript: string;
  staticOutput: string;
  staticSpaFallback: boolean;
  staticEnv: string;
}

/** A package.json that describes a static site, with what identified it. */
interface Site {
  pkg: Record<string, any>;
  /** The line of package.json naming `re` (line 0 when none does). */
  lineOf: (re: RegExp) => Evidence;
  tool: StaticTool;
  /** The tool's dependency line. */
  evidence: Evidence;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The static site package.json describes, if it does: a `build` script, a static build tool
 * among its dependencies or devDependencies (STATIC_TOOLS), no server package (SERVER_PACKAGES)
 * and no `start` script that runs node or a development runner on a file.
 * @returns undefined for anything else (a Node.js server, no package.json, invalid JSON).
 */
async function readSite(repo: Repo): Promise<Site | undefined> {
  const file = await repo.read('package.json');
  if (!file) return undefined;
  let pkg: Record<string, any>;
  try {
    pkg = JSON.parse(file.lines.join('\n'));
  } catch {
    return undefined;
  }
  if (typeof pkg !== 'object' || pkg === null || typeof pkg.scripts?.build !== 'string') return undefined;
  const deps: Record<string, unknown> = { ...(pkg.devDependencies ?? {}), ...(pkg.dependencies ?? {}) };
  const names = Object.keys(deps);
  if (names.some((n) => SERVER_PACKAGES.some((re) => re.test(n)))) return undefined;
  const start = pkg.scripts.start;
  if (typeof start === 'string' && (nodeTarget(start) !== undefined || RUNNER.test(`${start} `))) return undefined;
  const tool = STATIC_TOOLS.find((t) => t.dependency in deps && (!t.with || t.with in deps));
  if (!tool) return undefined;
  const lineOf = (re: RegExp): Evidence => ({ file: 'package.json', line: findLine(file.lines, re) + 1 });
  return { pkg, lineOf, tool, evidence: lineOf(new RegExp(`"${escapeRe(tool.dependency)}"\\s*:`)) };
}

// ---------------------------------------------------------------------------------------------
// Detection

/** Folders never scanned for build-time variables: dependencies, outputs, VCS, caches. */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'out', 'coverage', 'vendor']);
/** Files scanned for build-time variables: the front end's sources and its HTML. */
const FRONTEND_SOURCE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro|html)$/;
/** Scan bounds, as detection's own (src/detect/repo.ts): files kept, entries looked at, depth. */
const MAX_FILES = 2000;
const MAX_ENTRIES = 30_000;
const MAX_DEPTH = 8;

/**
 * The front end's source files, breadth first from the root, each folder's entries sorted:
 * no dot-folders, dependencies or build outputs, no tests, within the bounds above.
 */
async function frontendFiles(repo: Repo, output: string): Promise<string[]> {
  const files: string[] = [];
  let seen = 0;
  let queue: string[] = ['.'];
  for (let depth = 0; depth < MAX_DEPTH && queue.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of queue) {
      for (const e of await repo.list(dir)) {
        if (++seen > MAX_ENTRIES || files.length >= MAX_FILES) return files;
        const rel = dir === '.' ? e.name : `${dir}/${e.name}`;
        if (e.dir) {
          if (!e.name.startsWith('.') && !SKIP_DIRS.has(e.name) && rel !== output) next.push(rel);
        } else if (FRONTEND_SOURCE.test(e.name) && !isTestFile(rel)) files.push(rel);
      }
    }
    queue = next;
  }
  return files;
}

/**
 * Reads of build-time variables, group 1 the name: Vite `import.meta.env.VITE_X` (Vite docs,
 * "Env Variables and Modes": only `VITE_`-prefixed variables reach the client code) and its HTML
 * replacement `%VITE_X%`; Create React App `process.env.REACT_APP_X` and `%REACT_APP_X%` in
 * public/index.html (CRA docs, "Adding Custom Environment Variables"); `process.env.NEXT_PUBLIC_X`
 * and Vue CLI's `process.env.VUE_APP_X` (Vue CLI docs, "Modes and Environment Variables").
 */
const BUILD_ENV_READS: readonly RegExp[] = [
  /\bimport\.meta\.env(?:\.|\[\s*['"])(VITE_[A-Za-z0-9_]+)/g,
  /\bprocess\.env(?:\.|\[\s*['"])((?:REACT_APP|NEXT_PUBLIC|VUE_APP)_[A-Za-z0-9_]+)/g,
  /%((?:VITE|REACT_APP)_[A-Za-z0-9_]+)%/g,
];

/** Names whose values look secret: anything baked into a static site is readable by every visitor. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_?KEY/i;

/**
 * Committed env files whose values the bundler reads at build time for a production build, most
 * specific first (Vite docs, "Env Variables and Modes": `.env.production` over `.env`). The
 * generated .dockerignore keeps every `.env*` out of the build context, so their values are
 * carried over as the build arguments' defaults.
 */
const ENV_FILES = ['.env.production', '.env'];

/** A dotenv line: group 1 the name, the value double-quoted (2), single-quoted (3) or bare up to ` #` (4). */
const DOTENV_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|(.*?))\s*(?:\s#.*)?$/;

/** A value a Dockerfile `ARG NAME=value` takes literally: no space, quote, `$`, backslash or comma. */
const ARG_VALUE = /^[^,\s"'`$\\]*$/;

/** The `staticEnv` answer: the build-time variables the code reads, values from committed env files. */
async function detectBuildEnv(repo: Repo, out: Detection, output: string): Promise<void> {
  const found = new Map<string, Evidence>();
  for (const file of await frontendFiles(repo, output)) {
    const t = await repo.read(file);
    t?.lines.forEach((line, i) => {
      for (const re of BUILD_ENV_READS) {
        for (const m of allMatches(re, line)) if (!found.has(m[1]!)) found.set(m[1]!, { file, line: i + 1 });
      }
    });
  }
  if (found.size === 0) return;
  // they are environment reads too: a project finds the calls between its services in them
  for (const [name, evidence] of found) out.envReads.push({ name, evidence });
  const values = new Map<string, { value: string; evidence: Evidence }>();
  for (const file of ENV_FILES) {
    const t = await repo.read(file);
    t?.lines.forEach((line, i) => {
      const m = DOTENV_LINE.exec(line);
      const name = m?.[1];
      if (!name || !found.has(name) || values.has(name) || SECRET_NAME.test(name)) return;
      const value = m[2] ?? m[3] ?? m[4] ?? '';
      if (ARG_VALUE.test(value)) values.set(name, { value, evidence: { file, line: i + 1 } });
      else out.notes.push(`${name} in ${file}:${i + 1} has a value a build argument cannot hold: left empty`);
    });
  }
  const names = [...found.keys()];
  out.findings.staticEnv = {
    value: names.map((n) => `${n}=${values.get(n)?.value ?? ''}`).join(','),
    evidence: names.flatMap((n) => [found.get(n)!, ...(values.has(n) ? [values.get(n)!.evidence] : [])]),
  };
  out.notes.push(
    `build-time variables ${names.join(', ')} are baked into the files by the build: ` +
      'change them with --set staticEnv=NAME=value,… and rebuild the image',
  );
  const secret = names.filter((n) => SECRET_NAME.test(n));
  if (secret.length > 0) {
    addWarning(out, {
      code: 'static-env-secret',
      message:
        `${secret.join(', ')} ${secret.length > 1 ? 'look' : 'looks'} secret, but a static site's build-time ` +
        'variables are in the files every visitor downloads (Vite docs, "Env Variables and Modes"): ' +
        'keep secrets on a server',
      evidence: secret.map((n) => found.get(n)!),
    });
  }
}

/** The Vite config files, in Vite's lookup order (Vite docs, "Configuring Vite"). */
const VITE_CONFIGS = ['vite.config.js', 'vite.config.mjs', 'vite.config.ts', 'vite.config.cjs', 'vite.config.mts'];

/**
 * The output folder: the build script's own flag (`vite build --outDir x`, `parcel build
 * --dist-dir x`, `ng build --output-path x`, `vue-cli-service build --dest x`), Vite's
 * `build.outDir`, Angular's `outputPath` (the application builder writes the browser files to
 * `<outputPath>/browser`: Angular docs, "Migrating to the new build system"), else the tool's default.
 */
async function detectOutput(repo: Repo, site: Site, build: string): Promise<{ value: string; evidence: Evidence }> {
  const flag = /(?:^|\s)--(?:outDir|out-dir|dist-dir|output-path|dest)[=\s]+['"]?([\w./-]+)/.exec(build)?.[1];
  if (flag) return { value: clean(flag), evidence: site.lineOf(/"build"\s*:/) };
  if (site.tool.dependency === 'vite') {
    for (const file of VITE_CONFIGS) {
      const t = await repo.read(file);
      const i = t ? findLine(t.lines, /\boutDir\s*:\s*['"`][^'"`]+['"`]/) : -1;
      if (i >= 0) {
        const value = /\boutDir\s*:\s*['"`]([^'"`]+)['"`]/.exec(t!.lines[i]!)![1]!;
        return { value: clean(value), evidence: { file, line: i + 1 } };
      }
    }
  }
  if (site.tool.dependency === '@angular/cli') {
    const t = await repo.read('angular.json');
    try {
      const json = parseJsonc(t?.lines.join('\n') ?? '') as Record<string, any>;
      const build = Object.values<any>(json.projects ?? {})[0]?.architect?.build;
      const out = build?.options?.outputPath;
      const dir = typeof out === 'string' ? out : typeof out?.base === 'string' ? out.base : undefined;
      if (dir) {
        const browser = /:application$/.test(String(build.builder)) ? `${clean(dir)}/browser` : clean(dir);
        return { value: browser, evidence: { file: 'angular.json', line: findLine(t!.lines, /"outputPath"/) + 1 } };
      }
    } catch {
      // not JSON: the default
    }
  }
  return { value: site.tool.output, evidence: site.evidence };
}

/** A relative folder as written in a script or config: no `./`, no trailing `/`. */
const clean = (p: string): string => path.posix.normalize(p).replace(/^\.\//, '').replace(/\/+$/, '');

async function detectStatic(repo: Repo, out: Detection): Promise<void> {
  const site = await readSite(repo);
  if (!site) return;
  const { pkg, lineOf } = site;
  const f = out.findings;
  if (typeof pkg.name === 'string') {
    const label = toLabel(pkg.name.replace(/^@[^/]+\//, ''));
    if (label) f.name = { value: label, evidence: [lineOf(/"name"\s*:/)] };
  }
  if (typeof pkg.version === 'string' && /^\d+\.\d+\.\d+/.test(pkg.version) && f.name) {
    f.image = { value: `${f.name.value}:${pkg.version}`, evidence: [lineOf(/"version"\s*:/)] };
  }

  // Node major for the build: .nvmrc / .node-version, else engines.node (as the Node.js module reads them)
  for (const file of ['.nvmrc', '.node-version']) {
    const t = await repo.read(file);
    const major = t ? preferredNodeMajor(nodeMajorsAllowed(t.lines[0] ?? '')) : undefined;
    if (major) {
      f.staticNodeVersion = { value: major, evidence: [{ file, line: 1 }] };
      break;
    }
  }
  if (!f.staticNodeVersion && typeof pkg.engines?.node === 'string') {
    const major = preferredNodeMajor(nodeMajorsAllowed(pkg.engines.node));
    if (major) f.staticNodeVersion = { value: major, evidence: [lineOf(/"node"\s*:/)] };
  }

  // package manager: the packageManager field, else the lockfile
  const field = typeof pkg.packageManager === 'string' ? /^(npm|yarn|pnpm)@/.exec(pkg.packageManager) : null;
  let manager: PackageManager | undefined = field ? (field[1] as PackageManager) : undefined;
  if (manager) f.staticPackageManager = { value: manager, evidence: [lineOf(/"packageManager"\s*:/)] };
  let lockfile: string | undefined;
  for (const [file, pm] of LOCKFILES) {
    if ((manager === undefined || pm === manager) && !lockfile && (await repo.exists(file))) {
      lockfile = file;
      manager ??= pm;
      f.staticPackageManager ??= { value: pm, evidence: [{ file, line: 0 }] };
    }
  }
  if (lockfile) f.staticLockfile = { value: true, evidence: [{ file: lockfile, line: 0 }] };
  else {
    const c = PACKAGE_MANAGER_COMMANDS[manager ?? 'npm'];
    f.staticLockfile = { value: false, evidence: [{ file: 'package.json', line: 0 }] };
    addWarning(out, {
      code: 'no-lockfile',
      message:
        `no lockfile: installs are not reproducible (the image runs ${c.unlocked.install}); ` + `commit ${c.lockfile}`,
      evidence: [{ file: 'package.json', line: 0 }],
    });
  }

  const scripts: Record<string, unknown> = pkg.scripts;
  f.staticBuildScript = { value: 'build', evidence: [lineOf(/"build"\s*:/)] };
  const dev = ['dev', 'start', 'serve'].find((s) => typeof scripts[s] === 'string');
  if (dev) f.staticDevScript = { value: dev, evidence: [lineOf(new RegExp(`"${dev}"\\s*:`))] };
  const output = await detectOutput(repo, site, String(scripts.build));
  f.staticOutput = { value: output.value, evidence: [output.evidence] };

  // client-side routing: unknown paths get index.html, except for multi-page sites
  // (Vite `appType: 'mpa'`: Vite docs, "appType"; Astro writes a page per route and a 404.html)
  let mpa: Evidence | undefined;
  for (const file of site.tool.dependency === 'vite' ? VITE_CONFIGS : []) {
    const t = await repo.read(file);
    const i = t ? findLine(t.lines, /\bappType\s*:\s*['"`]mpa['"`]/) : -1;
    if (i >= 0) mpa = { file, line: i + 1 };
  }
  if (site.tool.dependency === 'astro') mpa = site.evidence;
  f.staticSpaFallback = mpa ? { value: false, evidence: [mpa] } : { value: true, evidence: [site.evidence] };

  // the server dockforge adds answers the health path itself
  f.healthPath = { value: '/healthz', evidence: [site.evidence] };
  out.notes.push(
    `a static site built by ${site.tool.dependency}: served from ${output.value}/ by dockforge's static server, ` +
      'which answers /healthz itself',
  );
  await detectBuildEnv(repo, out, output.value);
}

// ---------------------------------------------------------------------------------------------
// Answers and context

/**
 * The golang release the server stage compiles with: the oldest maintained one (pack data
 * `images.yaml`, as the Go module chooses), on Alpine the oldest maintained one published for
 * the Alpine release.
 * @returns undefined when no maintained golang image is published for that Alpine release.
 */
export function serverGoVersion(a: Pick<Answers, 'base' | 'alpineVersion'>): string | undefined {
  const table = golangImages();
  const maintained = [...table.maintained].sort((x, y) => Number(x.split('.')[1]) - Number(y.split('.')[1]));
  if (a.base !== 'alpine') return maintained[0];
  return maintained.find((v) => table.versions[v]?.alpine.includes(a.alpineVersion));
}

/** The `staticEnv` answer as build arguments, in order: `NAME=value` pairs, values possibly empty. */
export function buildArgs(staticEnv: string): { name: string; value: string }[] {
  return staticEnv
    .split(',')
    .filter(Boolean)
    .map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }));
}

/**
 * The dev server's command: the dev script through npm (in every Node image, whatever installed
 * the dependencies), listening on every interface and the app's port. `--host` and `--port` are
 * the options of Vite, Vue CLI, Angular CLI, Parcel, Astro and webpack-dev-server; Create React
 * App reads HOST and PORT from the environment instead (CRA docs, "Advanced Configuration").
 */
function devCommand(a: StaticAnswers): string[] {
  return ['npm', 'run', a.staticDevScript, '--', '--host', '0.0.0.0', '--port', String(a.port)];
}

function staticContext(answers: Answers): LanguageContext {
  const a = answers as StaticAnswers;
  const distroless = a.base === 'distroless';
  const c = PACKAGE_MANAGER_COMMANDS[a.staticPackageManager];
  const args = buildArgs(a.staticEnv);
  const build = `${c.run} ${a.staticBuildScript}`;
  const names = args.map((x) => x.name).join(', ');
  const baked =
    'build-time variables are baked into the files at build time (Vite docs, "Env Variables and Modes"; ' +
    'Create React App docs, "Adding Custom Environment Variables"): changing one needs a rebuild';
  const stages = [
    { name: 'deps', what: `Node ${a.staticNodeVersion} and every dependency (the build tool is one)` },
    {
      name: 'build',
      what:
        args.length > 0
          ? `the sources and \`${build}\`, with ${names} as build arguments. These ${baked} ` +
            `(\`docker build --build-arg ${args[0]!.name}=…\`, or \`dockforge generate --set staticEnv=…\`), ` +
            'not a restart'
          : `the sources and \`${build}\`. Its ${baked}: ` +
            'list them with `dockforge generate --set staticEnv=NAME=value`',
    },
    { name: 'server', what: 'the static file server (Go, standard library only) from .dockforge/static-server/' },
    { name: 'dev', what: `the dev server (\`npm run ${a.staticDevScript}\`), synced on change, for \`compose watch\`` },
    {
      name: 'runtime',
      what:
        `the image you ship: ${distroless ? 'distroless static (no shell, no package manager)' : 'Alpine'}, ` +
        `non-root, with only the server and the files of ${a.staticOutput}/`,
    },
  ];
  // the dev server reloads changed sources itself; a manifest change reinstalls (Docker docs, "Compose Watch")
  const watch: WatchRule[] = [
    { action: 'sync', path: '.', target: '/app', ignore: ['node_modules/'] },
    { action: 'rebuild', path: 'package.json' },
  ];
  return {
    bin: 'static-server',
    stages,
    // the server is its own probe: distroless has no shell, curl or wget (distroless README); with
    // no health path (`none`), the site's root answers
    healthcheck: ['CMD', STATIC_SERVER, '-check', `http://127.0.0.1:${a.port}${httpHealth(a) ? a.healthPath : '/'}`],
    httpHealth: httpHealth(a),
    // Go's runtime handles SIGTERM as PID 1 (signal.NotifyContext) and the server starts no child
    composeInit: false,
    watch,
    entrypoint: [STATIC_SERVER],
    cmd: [],
    devCmd: devCommand(a),
    buildCommand: build,
    staticArgs: args,
    serverGoVersion: serverGoVersion(a) ?? golangImages().maintained[0]!,
    staticRoot: STATIC_ROOT,
    pm: {
      manifests: a.staticLockfile ? `package.json ${c.lockfile}` : 'package.json',
      cache: c.cache,
      install: a.staticLockfile ? c.install : c.unlocked.install,
      corepack: c.corepack,
    },
    images: {
      builder: distroless ? 'node:${NODE_VERSION}-trixie-slim' : 'node:${NODE_VERSION}-alpine${ALPINE_VERSION}',
      server: distroless ? 'golang:${GO_VERSION}-trixie' : 'golang:${GO_VERSION}-alpine${ALPINE_VERSION}',
      runtime: distroless ? 'gcr.io/distroless/static-debian13:nonroot' : 'alpine:${ALPINE_VERSION}',
    },
  };
}

/** A package.json script name: letters, digits and `_:.-` (it is a word of a RUN and CMD). */
const SCRIPT = /^[A-Za-z0-9][A-Za-z0-9_:.-]*$/;

/** The static-site language module. */
export const staticSite: LanguageSupport = {
  id: 'static',
  title: 'static site',
  defaultPort: 8080,
  backingServices: false,
  // the front end's code never runs in the container: ports, health paths and folders read at
  // run time are not in it (build-time variables are read by detect itself)
  sourceExtensions: [],
  fields: [
    {
      key: 'staticNodeVersion',
      kind: 'enum',
      choices: NODE_MAJORS,
      allowed: NODE_MAJORS.join(', '),
      describe: 'Static site: Node.js major version of the build',
      fallback: NODE_LTS,
    },
    {
      key: 'staticPackageManager',
      kind: 'enum',
      choices: PACKAGE_MANAGERS,
      allowed: PACKAGE_MANAGERS.join(', '),
      describe: 'Static site: package manager',
      fallback: 'npm',
    },
    {
      key: 'staticLockfile',
      kind: 'bool',
      allowed: 'true or false',
      describe: "Static site: the package manager's lockfile is committed (false: installs resolve versions anew)",
      fallback: true,
    },
    {
      key: 'staticBuildScript',
      kind: 'string',
      pattern: SCRIPT,
      allowed: 'a package.json script name such as build',
      describe: 'Static site: the script that writes the files',
      fallback: 'build',
    },
    {
      key: 'staticDevScript',
      kind: 'string',
      pattern: SCRIPT,
      allowed: 'a package.json script name such as dev',
      describe: 'Static site: the script that runs the dev server (compose watch)',
      fallback: 'dev',
    },
    {
      key: 'staticOutput',
      kind: 'string',
      // a folder inside the repository, not the repository itself
      pattern: /^(?!\/)(?!\.\/?$)(?!.*\.\.)[A-Za-z0-9._/-]+$/,
      allowed: 'a relative folder the build writes, such as dist or build',
      describe: 'Static site: the folder the build writes',
      fallback: 'dist',
    },
    {
      key: 'staticSpaFallback',
      kind: 'bool',
      allowed: 'true or false',
      describe: 'Static site: unknown paths serve index.html (client-side routing)',
      fallback: true,
    },
    {
      key: 'staticEnv',
      kind: 'string',
      pattern: /^([A-Za-z_][A-Za-z0-9_]*=[^,\s"'`$\\]*(,[A-Za-z_][A-Za-z0-9_]*=[^,\s"'`$\\]*)*)?$/,
      allowed: 'NAME=value pairs separated by commas (values without spaces, quotes, $, \\ or commas), or empty',
      describe: 'Static site: build-time variables baked into the files (build arguments)',
      fallback: '',
    },
  ],
  portPatterns: [],
  envPatterns: [],
  routePatterns: [],
  async identify(repo) {
    return (await readSite(repo))?.evidence;
  },
  detect: detectStatic,
  check(a) {
    // no backing service (backingServices: false): the answers of every service kind
    for (const kind of ['database', 'cache']) {
      if (a[kind] !== undefined && a[kind] !== 'none') {
        return `invalid ${kind} "${a[kind]}": a static site has no backing services; expected none`;
      }
    }
    if (!serverGoVersion(a)) {
      const published = Object.entries(golangImages().versions)
        .filter(([v]) => golangImages().maintained.includes(v))
        .flatMap(([, p]) => p.alpine);
      return (
        `invalid alpineVersion "${a.alpineVersion}": no maintained golang image is published for it ` +
        `(the static server's build); expected ${[...new Set(published)].sort().join(', ')}`
      );
    }
    return undefined;
  },
  context: staticContext,
};
