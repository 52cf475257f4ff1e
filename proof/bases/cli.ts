#!/usr/bin/env -S npx tsx
/**
 * proof/bases/cli.ts — stand-in base images for dockforge's container end-to-end tests.
 *
 * The e2e machines reach Debian's package mirror, the Go module proxy and the npm
 * registry, but no container registry. This tool reads the FROM lines (and
 * `COPY --from=<image>` / `RUN --mount=...,from=<image>`) of the given Dockerfiles
 * and, for every image reference dockforge's templates use, builds a local
 * stand-in from Debian 13 (trixie) packages and official toolchain binaries,
 * tagged with the exact official name so `buildah bud --pull=never` finds it.
 *
 * The tool is four modules: parse.ts (Dockerfile and image-reference parsing), recipes.ts
 * (what each stand-in is made of, and its cache key), builder.ts (buildah, debootstrap,
 * downloads, the cache; what present/imported/built/skipped mean and the cache layout are
 * described there) and this command line.
 *
 * Usage:
 *   npx tsx proof/bases/cli.ts [options] [Dockerfile ...]
 *     --image REF          also provide REF (repeatable)
 *     --build-arg K=V      override an ARG default used in FROM (repeatable)
 *     --cache-dir DIR      cache (default $DOCKFORGE_E2E_CACHE or <repo>/.e2e-cache/bases)
 *     --root DIR           containers-storage root (default $DOCKFORGE_E2E_STORAGE_ROOT, else
 *                          <cache>/containers/storage: the e2e's own, never the machine's default)
 *     --runroot DIR        containers-storage runroot (default $DOCKFORGE_E2E_STORAGE_RUNROOT, else
 *                          <cache>/containers/run); see proof/e2e/storage.ts
 *     --refresh            re-resolve versions (Go, Node, npm, Debian packages) and rebuild
 *                          everything, including the debootstrap rootfs tarballs
 *     --offline            never use the network: resolved.json + cached files only
 *     --no-save            do not write OCI archives (build into storage only)
 *     --list               only print what each reference maps to; build nothing
 *     --json               print the JSON report on stdout instead of the table
 *     --strict             exit 1 when a (non-Alpine) reference has no recipe
 *
 * Exit status: 0 when every reference is present/imported/built or skipped,
 * 1 when a build failed (or --strict and a reference had no recipe), 2 on usage errors.
 */
import { appendFileSync, existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Builder,
  Resolved,
  T_START,
  discoverEndpoints,
  say,
  secondsSince,
  setLogSink,
  type ImagePlan,
  type Options,
  type ReportRow,
} from './builder.js';
import { e2eStorage } from '../e2e/storage.js';
import { extractImageRefs, normalizeRef } from './parse.js';
import { ALPINE_REASON, SCRIPT_VERSION, classify, type Classified } from './recipes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');

/**
 * Parse argv (without node/script).
 * @throws Error with a usage message on unknown options or missing values.
 */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const o: Options = {
    dockerfiles: [],
    images: [],
    buildArgs: {},
    cacheDir: env.DOCKFORGE_E2E_CACHE || path.join(REPO_ROOT, '.e2e-cache', 'bases'),
    storageRoot: env.DOCKFORGE_E2E_STORAGE_ROOT || undefined,
    storageRunRoot: env.DOCKFORGE_E2E_STORAGE_RUNROOT || undefined,
    refresh: false,
    offline: false,
    save: true,
    listOnly: false,
    json: false,
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const val = (): string => {
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const flag = a.split('=')[0];
    switch (flag) {
      case '--image':
        o.images.push(val());
        break;
      case '--build-arg': {
        const kv = val();
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--build-arg needs NAME=VALUE, got "${kv}"`);
        o.buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '--cache-dir':
        o.cacheDir = path.resolve(val());
        break;
      case '--root':
        o.storageRoot = path.resolve(val());
        break;
      case '--runroot':
        o.storageRunRoot = path.resolve(val());
        break;
      case '--refresh':
        o.refresh = true;
        break;
      case '--offline':
        o.offline = true;
        break;
      case '--no-save':
        o.save = false;
        break;
      case '--list':
        o.listOnly = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--strict':
        o.strict = true;
        break;
      case '-h':
      case '--help':
        throw new Error('help');
      default:
        if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
        o.dockerfiles.push(path.resolve(a));
    }
  }
  if (o.dockerfiles.length === 0 && o.images.length === 0) {
    throw new Error('give at least one Dockerfile or --image REF');
  }
  // the e2e's own store, under the cache directory (which --cache-dir may have moved)
  const store = e2eStorage({ ...env, DOCKFORGE_E2E_CACHE: o.cacheDir });
  o.storageRoot ??= store.root;
  o.storageRunRoot ??= store.runroot;
  return o;
}

/** Format the report as an aligned text table. */
export function formatTable(rows: ReportRow[]): string {
  const head = ['image', 'status', 'time', 'detail'];
  const body = rows.map((r) => [
    r.image,
    r.status,
    `${r.seconds.toFixed(1)}s`,
    r.reason ?? (r.archive ? path.basename(r.archive) : ''),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const fmt = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(w[i] as number))).join('  ');
  return [fmt(head), fmt(w.map((n) => '-'.repeat(n))), ...body.map(fmt)].join('\n');
}

/**
 * Run the tool: collect references, plan, ensure each image, write the report.
 * Returns the process exit code.
 */
export async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    const usage =
      'usage: npx tsx proof/bases/cli.ts [--image REF] [--build-arg K=V] [--cache-dir DIR] [--root DIR] ' +
      '[--runroot DIR] [--refresh] [--offline] [--no-save] [--list] [--json] [--strict] [Dockerfile ...]';
    process.stderr.write(((e as Error).message === 'help' ? '' : `bases: ${(e as Error).message}\n`) + usage + '\n');
    return (e as Error).message === 'help' ? 0 : 2;
  }
  await fsp.mkdir(opts.cacheDir, { recursive: true });
  const runLog = path.join(opts.cacheDir, 'last-run.log');
  await fsp.writeFile(runLog, '');
  setLogSink((line) => appendFileSync(runLog, line + '\n'));

  // 1. collect references
  const sources = new Map<string, { ref: string; where: string[] }>();
  const addRef = (ref: string, where: string) => {
    let full = ref;
    try {
      const n = normalizeRef(ref);
      full = n.full + (n.digest ? `@${n.digest}` : '');
    } catch {
      /* reported as skipped when classified */
    }
    const s = sources.get(full) ?? { ref, where: [] };
    s.where.push(where);
    sources.set(full, s);
  };
  for (const f of opts.dockerfiles) {
    const text = await fsp.readFile(f, 'utf8');
    for (const r of extractImageRefs(text, f, opts.buildArgs)) {
      addRef(r.ref, `${path.relative(process.cwd(), f)}:${r.line} ${r.via}`);
    }
  }
  for (const i of opts.images) addRef(i, '--image');
  if (opts.storageRoot || opts.storageRunRoot) {
    say(`storage: vfs, root=${opts.storageRoot ?? '(default)'} runroot=${opts.storageRunRoot ?? '(default)'}`);
  } else {
    say('storage: vfs, default root /var/lib/containers/storage');
  }

  const ep = await discoverEndpoints();
  const ttlH = Number(process.env.DOCKFORGE_E2E_RESOLVE_TTL_HOURS ?? 168);
  const resolvedFile = path.join(opts.cacheDir, 'resolved.json');
  const resolved = new Resolved(resolvedFile, ttlH * 3600_000, opts.refresh, opts.offline);
  await resolved.load();
  const builder = new Builder(opts, ep, resolved);
  await builder.init();

  // 2. classify and plan
  const rows: ReportRow[] = [];
  const plans: { row: ReportRow; plan: ImagePlan }[] = [];
  const planned = new Map<string, ImagePlan>();
  for (const [full, s] of sources) {
    const t0 = performance.now();
    const row: ReportRow = { ref: s.ref, image: full, status: 'skipped', seconds: 0, sources: s.where };
    rows.push(row);
    let c: Classified;
    try {
      c = classify(normalizeRef(s.ref));
    } catch (e) {
      row.reason = `not built: ${(e as Error).message}`;
      continue;
    }
    if ('skip' in c) {
      row.reason = c.skip;
      continue;
    }
    try {
      const plan = planned.get(full) ?? (await builder.plan(c.recipe, full));
      planned.set(full, plan);
      row.key = plan.key;
      row.recipe = plan.recipeText;
      row.archive = builder.archivePath(plan);
      plans.push({ row, plan });
      if (opts.listOnly) row.status = 'listed';
    } catch (e) {
      row.status = 'failed';
      row.reason = (e as Error).message.split('\n')[0];
      say(`failed to plan ${full}: ${(e as Error).message}`);
    }
    row.seconds = secondsSince(t0);
  }
  await resolved.save();

  if (!opts.listOnly) {
    // 3. prefetch inputs of what will have to be built (downloads run beside debootstrap)
    const needBuild: ImagePlan[] = [];
    for (const { plan } of plans) {
      const cur = await builder.buildah.inspectImage(plan.names[0] as string);
      const present = cur?.labels['org.dockforge.stand-in.key'] === plan.key && !opts.refresh;
      if (!present && (opts.refresh || !existsSync(builder.archivePath(plan)))) needBuild.push(plan);
    }
    for (const p of needBuild) p.prefetch().catch(() => undefined);
    // 4. ensure, in an order that builds the shared rootfs first
    // (distroless needs no debootstrap: build it while the shared rootfs is being made)
    const order = (p: ImagePlan) =>
      ({ distroless: 0, debian: 1, node: (p.recipe as { slim?: boolean }).slim ? 2 : 3, golang: 3 })[p.recipe.kind] +
      (needBuild.includes(p) ? 10 : 0);
    plans.sort((a, b) => order(a.plan) - order(b.plan));
    for (const { row, plan } of plans) {
      if (row.status === 'failed') continue;
      const t0 = performance.now();
      say(`${plan.names[0]}: ...`);
      try {
        const r = await builder.ensure(plan);
        Object.assign(row, r);
      } catch (e) {
        row.status = 'failed';
        row.reason = (e as Error).message.split('\n').slice(0, 8).join(' | ');
        say(`FAILED ${plan.names[0]}: ${(e as Error).message}`);
      }
      row.seconds = secondsSince(t0);
      say(`${plan.names[0]}: ${row.status} [${row.seconds}s]`);
    }
  }
  await resolved.save();
  await builder.cleanup();

  // 5. report
  const report = {
    script: SCRIPT_VERSION,
    finishedAt: new Date().toISOString(),
    totalSeconds: secondsSince(T_START),
    storage: {
      driver: 'vfs',
      root: opts.storageRoot ?? null,
      runroot: opts.storageRunRoot ?? null,
      buildahGlobalFlags: builder.buildah.globalArgs,
    },
    cacheDir: opts.cacheDir,
    images: rows,
  };
  const reportFile = path.join(opts.cacheDir, 'report.json');
  await fsp.writeFile(reportFile, JSON.stringify(report, null, 2) + '\n');
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatTable(rows) + `\n(total ${report.totalSeconds}s; report: ${reportFile})\n`);
  const failed = rows.some((r) => r.status === 'failed');
  const unknown = rows.some((r) => r.status === 'skipped' && !r.reason?.startsWith(ALPINE_REASON));
  return failed || (opts.strict && unknown) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (os.platform() !== 'linux') {
    process.stderr.write('bases: Linux only\n');
    process.exit(2);
  }
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bases: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
