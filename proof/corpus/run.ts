/**
 * `npm run corpus` (= `npm run build && tsx proof/corpus/run.ts`): dockforge on real repositories.
 *
 * For every repository of the corpus (`../shared/corpus`, read from its corpus.json at run time;
 * `DOCKFORGE_CORPUS_DIR` overrides the folder), from a fresh copy of its service folder:
 * 1. `dockforge init --yes --base distroless --uid UID --gid UID` with the built CLI: exit code,
 *    summary, and every `warning`/`note` line it prints;
 * 2. a second copy rendered with `--base alpine`; both renderings statically checked (compose.yaml
 *    against the Compose schema, the Dockerfile with BuildKit's checks when dockerfile-lint is
 *    installed). Alpine images are never built (no Alpine package source is reachable);
 * 3. the stand-in base images its Dockerfile names (proof/bases, cached), then a Buildah build of the
 *    distroless `runtime` target, as proof/e2e/run.ts builds the examples;
 * 4. a Podman + runc run hardened like compose.yaml's `app` service, with a real PostgreSQL on
 *    loopback (the e2e's harness) when compose has a `db` service, `db` resolving to 127.0.0.1;
 * 5. measurements: still running after 20 s, the port answers, dockforge's health check (HTTP path
 *    from .dockforge/answers.yaml, else TCP), the corpus's real health path, and for SQLite apps with
 *    a volume, whether the files on it survive a new container;
 * 6. clean-up of the repository's containers, image and volumes (`--keep` keeps them).
 * Results are data: a repository that does not build or serve is reported, not a failure.
 *
 * Options: --repos a,b (snapshot folder names)  --render-only (steps 1-2)  --keep
 *   --timeout-per-repo SECONDS (stand-in bases + build, default 900)  --uid N (default 23456)
 *   --ci-subset (the deterministic subset CI runs: see CI_SUBSET)
 *   --force (pass --force to init, which then overwrites a repository's own Dockerfile or compose file;
 *   off by default: the default is what a user typing `dockforge init --yes` gets)
 *   --doc-only (rewrite docs/corpus.md from the JSON report of an earlier run; runs nothing)
 *   --update (with --repos: replace only those rows in the earlier run's report and doc; the doc then
 *   names both commits and which rows come from which run)
 * Environment: DOCKFORGE_CORPUS_DIR, DOCKFORGE_CORPUS_REPORT (JSON report, default
 *   .e2e-cache/corpus-report.json), DOCKFORGE_CORPUS_DOC (default docs/corpus.md),
 *   DOCKFORGE_CORPUS_STORAGE_ROOT / _RUNROOT (containers-storage, default /var/lib/dockforge-corpus/storage
 *   and /run/dockforge-corpus: never the machine's default), DOCKFORGE_E2E_CACHE (stand-in cache),
 *   DOCKFORGE_TOOLS_BIN (where dockerfile-lint is, besides .tools/bin and PATH).
 * Writes docs/corpus.md and the JSON report; logs in .e2e-cache/corpus/logs/. Without the corpus
 * folder: one line, exit 0, nothing written.
 * Exit code: 0 when the tool worked (whatever the repositories did), 1 when it crashed (also on one
 * repository), 2 on bad options or a missing build.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findChecker } from '../../test/helpers/checkers.js';
import { CLI, HOST_CA, Postgres, REPO, podmanEngine, removeContainer, run, type Engine } from '../e2e/run.js';
import { composeFile, dbLogin, runSpec, type RunSpec } from './compose.js';
import { checkPersistence, measureContainer, type HealthCheck, type RunOptions } from './container.js';
import { copySnapshot, corpusPort, loadCorpus, type CorpusEntry } from './corpus.js';
import { buildImage, ensureBases, storageFlags, type Storage } from './image.js';
import { healthy, markdown, reachable, summarize, type RepoResult, type RunInfo } from './report.js';
import { dockforgeInit, snapshotCli, staticChecks } from './render.js';

/** Command-line options. */
export interface Options {
  /** Snapshot folder names to run (all when undefined). */
  repos?: string[];
  renderOnly: boolean;
  keep: boolean;
  /** Seconds for the stand-in bases and the build of one repository. */
  timeoutPerRepo: number;
  uid: number;
  ciSubset: boolean;
  /** Pass --force to init (overwrite the repository's own Dockerfile, compose file, …); off by default. */
  force: boolean;
  /** Only rewrite docs/corpus.md from the JSON report of an earlier run (after a change of the report's format). */
  docOnly: boolean;
  /** Merge this run's rows (--repos) into the earlier run's report instead of replacing it. */
  update: boolean;
}

/**
 * What --ci-subset builds and runs (every repository is still rendered and checked): of the repositories
 * whose init worked, the first of each language × database pair in corpus.json order, so every pair dockforge
 * can render is covered within CI's time budget.
 */
export const CI_SUBSET =
  'every repository rendered and checked; built and run: of those whose init worked, the first of each ' +
  'language × database pair in corpus.json order (CI time budget)';

const USAGE =
  'usage: npm run corpus -- [--repos a,b] [--render-only] [--keep] [--timeout-per-repo SECONDS] [--uid N] ' +
  '[--ci-subset] [--force] [--doc-only]';

/**
 * Parse argv (without node and the script).
 * @throws Error with a message for the user on an unknown option or a bad value.
 */
export function parseOptions(argv: string[]): Options {
  const o: Options = {
    renderOnly: false,
    keep: false,
    timeoutPerRepo: 900,
    uid: 23456,
    ciSubset: false,
    force: false,
    docOnly: false,
    update: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.split('=')[1]] : [a];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive whole number, got "${v}"`);
      return n;
    };
    if (flag === '--repos') o.repos = value().split(',').filter(Boolean);
    else if (flag === '--render-only') o.renderOnly = true;
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--timeout-per-repo') o.timeoutPerRepo = positive(value());
    else if (flag === '--uid') o.uid = positive(value());
    else if (flag === '--ci-subset') o.ciSubset = true;
    else if (flag === '--force') o.force = true;
    else if (flag === '--doc-only') o.docOnly = true;
    else if (flag === '--update') o.update = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.update && !o.repos) throw new Error('--update needs --repos (the rows to re-run)');
  return o;
}

/**
 * The repositories to run: all, or those named by --repos (in corpus order).
 * @throws Error naming the --repos entries that are not snapshot folders of the corpus.
 */
export function selectRepos(corpus: CorpusEntry[], o: Options): CorpusEntry[] {
  if (!o.repos) return corpus;
  const unknown = o.repos.filter((r) => !corpus.some((e) => e.snapshot_dir === r));
  if (unknown.length > 0) throw new Error(`--repos: not in corpus.json: ${unknown.join(', ')}`);
  return corpus.filter((e) => o.repos!.includes(e.snapshot_dir));
}

/**
 * The repositories to build and run, from those whose distroless `init` worked: none with
 * --render-only; with --ci-subset the first of each language × database pair (see CI_SUBSET); else all.
 * @param rendered the selected repositories in corpus order, each with its init exit code.
 * @returns their snapshot folder names.
 */
export function buildSet(rendered: { entry: CorpusEntry; initExit?: number }[], o: Options): Set<string> {
  const ok = rendered.filter((r) => r.initExit === 0).map((r) => r.entry);
  if (o.renderOnly) return new Set();
  if (!o.ciSubset) return new Set(ok.map((e) => e.snapshot_dir));
  const seen = new Set<string>();
  const out = new Set<string>();
  for (const e of ok) {
    const pair = `${e.language}-${e.database}`;
    if (!seen.has(pair)) out.add(e.snapshot_dir);
    seen.add(pair);
  }
  return out;
}

/** dockforge's health check from .dockforge/answers.yaml: TCP when it says so or names no HTTP path. */
export function healthCheckOf(answers: Record<string, unknown>): HealthCheck {
  const kind = [answers.healthCheck, answers.healthKind, answers.probe].find((v) => typeof v === 'string');
  const p = answers.healthPath;
  if (typeof kind === 'string' && /tcp/i.test(kind)) return { kind: 'tcp' };
  return typeof p === 'string' && p.startsWith('/') ? { kind: 'http', path: p } : { kind: 'tcp' };
}

/** Whether 127.0.0.1:`port` can be listened on (nothing else is there). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Point the app's PostgreSQL settings at `port` instead of the compose default 5432 (used only when
 * 5432 is taken on the host): PGPORT, and `db:5432` / `@db/` inside URLs or DSNs.
 */
export function pointAtPort(env: Record<string, string>, port: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k === 'PGPORT' || k === 'DB_PORT' || k === 'DATABASE_PORT') out[k] = v === '5432' ? String(port) : v;
    else out[k] = v.replace(/\bdb:5432\b/g, `db:${port}`).replace(/@db\//g, `@db:${port}/`);
  }
  return out;
}

/** State shared by the repositories of one run. */
interface Context {
  opts: Options;
  /** The run's copy of the built CLI (see snapshotCli). */
  cli: string;
  corpusDir: string;
  work: string;
  logs: string;
  storage: Storage;
  engine: Engine;
  /** Why nothing can be built (no root, no buildah/podman), if so. */
  noEngine?: string;
  pg?: Postgres;
  pgError?: string;
}

/** The init binary `podman run --init` needs (Debian's catatonit package). */
const PODMAN_INIT = '/usr/libexec/podman/catatonit';

const slugOf = (e: CorpusEntry): string => e.snapshot_dir.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');

/** Steps 1–2: both renderings and their checks. */
async function render(ctx: Context, e: CorpusEntry, res: RepoResult): Promise<string | undefined> {
  const base = path.join(ctx.work, slugOf(e));
  const dDir = path.join(base, 'distroless');
  copySnapshot(ctx.corpusDir, e, dDir);
  const extra = ctx.opts.force ? ['--force'] : [];
  res.init = await dockforgeInit(dDir, 'distroless', ctx.opts.uid, extra, ctx.cli);
  if (res.init.exitCode === 0) {
    const answers = parseYaml(readFileSync(path.join(dDir, '.dockforge', 'answers.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    res.answers = {
      language: String(answers.language),
      database: String(answers.database),
      port: Number(answers.port),
      healthPath: typeof answers.healthPath === 'string' ? answers.healthPath : undefined,
      check: healthCheckOf(answers),
    };
    res.distrolessChecks = await staticChecks(dDir);
  }
  const aDir = path.join(base, 'alpine');
  copySnapshot(ctx.corpusDir, e, aDir);
  const alpine = await dockforgeInit(aDir, 'alpine', ctx.opts.uid, extra, ctx.cli);
  res.alpine = { init: alpine, checks: alpine.exitCode === 0 ? await staticChecks(aDir) : undefined };
  if (!ctx.opts.keep) rmSync(aDir, { recursive: true, force: true });
  return res.init.exitCode === 0 ? dDir : undefined;
}

/** The harness's PostgreSQL (started on first use, on 5432 when free) with the login of compose's db service. */
async function prepareDatabase(
  ctx: Context,
  res: RepoResult,
  compose: Record<string, any>,
  dir: string,
  spec: RunSpec,
): Promise<Record<string, string>> {
  const login = dbLogin(compose, dir);
  if (!login) return {};
  if (!ctx.pg && !ctx.pgError) {
    const port = (await portFree(5432)) ? 5432 : await anyFreePort();
    const pg = new Postgres(path.join(ctx.logs, 'postgres.log'), port);
    try {
      await pg.start();
      ctx.pg = pg;
    } catch (err) {
      ctx.pgError = (err as Error).message.split('\n')[0];
    }
  }
  if (!ctx.pg) {
    res.notes.push(`no PostgreSQL: ${ctx.pgError}`);
    return {};
  }
  let password = login.password;
  if (!password) {
    password = randomBytes(12).toString('hex');
    res.notes.push('POSTGRES_PASSWORD not found in the db service or its env files: the role got a random password');
  }
  try {
    await ctx.pg.createDatabase(login.database, password, login.user);
  } catch (err) {
    res.notes.push(`PostgreSQL login ${login.user}/${login.database} not created: ${(err as Error).message.trim()}`);
    return {};
  }
  res.notes.push(
    `PostgreSQL ${login.user}@127.0.0.1:${ctx.pg.port}/${login.database} (the harness's server; "db" → 127.0.0.1)`,
  );
  if (ctx.pg.port === 5432) return {};
  res.notes.push(`port 5432 was taken on the host: PostgreSQL settings pointed at ${ctx.pg.port}`);
  return pointAtPort(spec.env, ctx.pg.port);
}

/** Steps 4–5 for a built image: run, measure, persistence; the caller cleans up. */
async function runImage(ctx: Context, e: CorpusEntry, res: RepoResult, dir: string, tag: string): Promise<void> {
  const file = composeFile(dir);
  if (!file) {
    res.notes.push('no compose file was written: not run');
    return;
  }
  const compose = parseYaml(readFileSync(file, 'utf8')) as Record<string, any>;
  const spec = runSpec(compose, dir);
  for (const f of spec.envFiles) if (!f.found) res.notes.push(`env file ${path.relative(dir, f.path)} missing`);
  if (spec.ignored.length > 0) res.notes.push(`compose keys not applied: ${spec.ignored.join(', ')}`);
  if (spec.init && !existsSync(PODMAN_INIT)) {
    spec.init = false;
    res.notes.push(`compose \`init: true\` not applied: ${PODMAN_INIT} missing (apt-get install catatonit)`);
  }
  const env = await prepareDatabase(ctx, res, compose, dir, spec);
  const port = res.answers!.port!;
  if (!Number.isInteger(port) || port < 1) {
    res.notes.push(`answers.yaml has no usable port (${String(port)}): not run`);
    return;
  }
  if (!(await portFree(port))) res.notes.push(`port ${port} was already taken on the host before the app started`);
  const slug = slugOf(e);
  const volumeName = (name: string): string => `dockforge-corpus-${slug}-${name}`;
  for (const v of spec.volumes.filter((x) => x.kind === 'named')) {
    await run(ctx.engine.cli, [...ctx.engine.cliFlags, 'volume', 'rm', '-f', volumeName(v.source)]);
    await run(ctx.engine.cli, [...ctx.engine.cliFlags, 'volume', 'create', volumeName(v.source)]);
  }
  const test = compose.services.app.healthcheck?.test;
  const o: RunOptions = {
    engine: ctx.engine,
    tag,
    name: `dockforge-corpus-${slug}`,
    spec,
    port,
    check: res.answers!.check,
    truthPath: e.health_path,
    corpusPort: corpusPort(e),
    healthcheckTest: Array.isArray(test) ? test.map(String) : undefined,
    volumeName,
    env,
    addHosts: compose.services.db ? ['db:127.0.0.1'] : [],
  };
  res.run = await measureContainer(o);
  const sqlite = e.database === 'sqlite' || res.answers!.database === 'sqlite';
  if (!sqlite) {
    res.persistence = { result: 'n/a', detail: 'no SQLite database' };
    return;
  }
  // the named volume the app's settings point into (else the first one)
  const named = spec.volumes.filter((v) => v.kind === 'named');
  const values = Object.values(spec.env);
  const vol = named.find((v) => values.some((x) => x.startsWith(v.target))) ?? named[0];
  if (!vol) {
    res.persistence = {
      result: 'failed',
      detail: 'compose.yaml gives the app no volume: its data lives in the container',
    };
  } else if (!res.run.runningAfter20s) {
    res.persistence = { result: 'failed', detail: 'not checked: the app did not stay up' };
  } else {
    res.persistence = await checkPersistence(o, volumeName(vol.source));
  }
}

/** Remove what a repository left: containers, volumes, image (all but the work folder with --keep). */
async function cleanUp(ctx: Context, e: CorpusEntry, tag: string): Promise<void> {
  const { engine } = ctx;
  const name = `dockforge-corpus-${slugOf(e)}`;
  if (ctx.opts.keep) {
    await run(engine.cli, [...engine.cliFlags, 'stop', '-t', '5', name]);
    return;
  }
  await removeContainer(engine, name);
  const vols = await run(engine.cli, [...engine.cliFlags, 'volume', 'ls', '--format', '{{.Name}}']);
  for (const v of vols.stdout.split('\n').filter((x) => x.startsWith(`${name}-`))) {
    await run(engine.cli, [...engine.cliFlags, 'volume', 'rm', '-f', v]);
  }
  await run(engine.cli, [...engine.cliFlags, 'rmi', '-f', tag]);
  // build containers a killed build may leave (private storage: only this tool's)
  await run('buildah', [...storageFlags(ctx.storage), 'rm', '--all']);
}

/** Where the JSON report and docs/corpus.md go. */
const reportPath = (): string =>
  process.env.DOCKFORGE_CORPUS_REPORT ?? path.join(REPO, '.e2e-cache', 'corpus-report.json');
const docPath = (): string => process.env.DOCKFORGE_CORPUS_DOC ?? path.join(REPO, 'docs', 'corpus.md');

/** The sentence on what CI runs, and why. */
const CI_NOTE =
  'CI (.ci/run) runs `npm run corpus -- --render-only --force`: every repository rendered and statically ' +
  'checked; building and running all of them takes 20 to 45 minutes on 2 cores (see the times below), more ' +
  `than CI's budget leaves. \`--ci-subset\` (${CI_SUBSET}) took about 10 minutes here with the stand-in ` +
  'base images cached.';

/**
 * --doc-only: docs/corpus.md from the JSON report (fields the report's format added since are filled in).
 * @throws Error when the report is missing or unreadable.
 */
function docFromReport(): void {
  const report = JSON.parse(readFileSync(reportPath(), 'utf8')) as RunInfo & { results: RepoResult[] };
  const { results, ...info } = report;
  const filled: RunInfo = { ...info, ciNote: CI_NOTE, initFlags: info.initFlags ?? [] };
  writeFileSync(docPath(), markdown(filled, results));
  process.stdout.write(`corpus: ${docPath()} rewritten from ${reportPath()}\n`);
}

const since = (t: number): number => (Date.now() - t) / 1000;

/** Steps 1–2 for one repository. Never throws: a crash of the tool is recorded in `error`. */
async function renderRepo(ctx: Context, e: CorpusEntry): Promise<{ res: RepoResult; dir?: string }> {
  const t0 = Date.now();
  const res: RepoResult = {
    repo: e.repo,
    snapshot: e.snapshot_dir,
    language: e.language,
    database: e.database,
    truthHealthPath: e.health_path,
    notes: [],
    seconds: { render: 0, total: 0 },
  };
  let dir: string | undefined;
  try {
    dir = await render(ctx, e, res);
  } catch (err) {
    res.error = (err as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(err);
  }
  res.seconds.render = res.seconds.total = since(t0);
  return { res, dir };
}

/** Steps 3–6 for one rendered repository. Never throws: a crash of the tool is recorded in `error`. */
async function buildRepo(ctx: Context, e: CorpusEntry, res: RepoResult, dir: string): Promise<void> {
  const t0 = Date.now();
  const tag = `localhost/dockforge-corpus/${slugOf(e)}:test`;
  try {
    const budget = ctx.opts.timeoutPerRepo * 1000;
    const logBase = path.join(ctx.logs, slugOf(e));
    res.bases = await ensureBases(path.join(dir, 'Dockerfile'), ctx.storage, `${logBase}.bases.log`, budget);
    res.seconds.bases = since(t0);
    if (!res.bases.ok) res.notBuilt = res.bases.reason;
    else {
      const left = Math.max(60_000, budget - (Date.now() - t0));
      res.build = await buildImage(ctx.engine, dir, tag, `${logBase}.build.log`, left);
      res.seconds.build = res.build.seconds;
      if (res.build.ok) {
        const tr = Date.now();
        await runImage(ctx, e, res, dir, tag);
        res.seconds.run = since(tr);
      }
    }
  } catch (err) {
    res.error = (err as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(err);
  } finally {
    await cleanUp(ctx, e, tag).catch(() => undefined);
  }
  res.seconds.total += since(t0);
}

/** One progress line for a repository. */
function progress(i: number, n: number, r: RepoResult): string {
  const parts = [`init ${r.init?.exitCode ?? '-'}`];
  if (r.build) parts.push(`built ${r.build.ok ? 'yes' : 'no'} (${Math.round(r.build.seconds)} s)`);
  else if (r.notBuilt) parts.push(`not built: ${r.notBuilt.slice(0, 100)}`);
  if (r.run) {
    const loopback = r.run.portAnswers && r.run.loopbackOnly ? ' (loopback only)' : '';
    parts.push(`running ${r.run.runningAfter20s ? 'yes' : 'no'}`, `port ${reachable(r) ? 'yes' : 'no'}${loopback}`);
    parts.push(`health ${healthy(r) ? 'yes' : 'no'}`);
  }
  if (r.persistence && r.persistence.result !== 'n/a') parts.push(`persistence ${r.persistence.result}`);
  if (r.init?.warnings.length) parts.push(`${r.init.warnings.length} warnings`);
  if (r.error) parts.push(`TOOL ERROR: ${r.error}`);
  return `corpus: [${i}/${n}] ${r.repo}: ${parts.join(', ')} (${Math.round(r.seconds.total)} s)\n`;
}

/** Machine facts for the report. */
async function machine(): Promise<RunInfo['machine']> {
  const version = async (tool: string): Promise<string> => {
    const r = await run(tool, ['--version'], { timeout: 20_000 });
    const v = /version\s+(\S+)/.exec(r.stdout)?.[1];
    return v ? `${tool[0]!.toUpperCase()}${tool.slice(1)} ${v}` : `${tool} not installed`;
  };
  return {
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    buildah: await version('buildah'),
    podman: await version('podman'),
  };
}

async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`corpus: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.docOnly) {
    docFromReport();
    return 0;
  }
  // --update: the earlier full run this one amends
  let earlier: { info: RunInfo; results: RepoResult[] } | undefined;
  if (opts.update) {
    if (!existsSync(reportPath())) {
      process.stderr.write(`corpus: --update: no earlier report at ${reportPath()}\n`);
      return 2;
    }
    const prev = JSON.parse(readFileSync(reportPath(), 'utf8')) as RunInfo & { results: RepoResult[] };
    const { results: prevResults, ...prevInfo } = prev;
    delete (prevInfo as { summary?: unknown }).summary;
    earlier = { info: prevInfo as RunInfo, results: prevResults };
  }
  const t0 = Date.now();
  const corpusDir = path.resolve(process.env.DOCKFORGE_CORPUS_DIR ?? path.join(REPO, '..', 'shared', 'corpus'));
  if (!existsSync(path.join(corpusDir, 'corpus.json'))) {
    process.stdout.write(`corpus: no corpus at ${corpusDir} (no corpus.json): nothing to run, nothing written\n`);
    return 0;
  }
  if (!existsSync(CLI)) {
    process.stderr.write('corpus: dist/cli/main.cjs missing: run npm run build first\n');
    return 2;
  }
  const corpus = loadCorpus(corpusDir);
  let selected: CorpusEntry[];
  try {
    selected = selectRepos(corpus, opts);
  } catch (err) {
    process.stderr.write(`corpus: ${(err as Error).message}\n`);
    return 2;
  }
  const toolsBin = process.env.DOCKFORGE_TOOLS_BIN;
  if (toolsBin) process.env.PATH = `${toolsBin}${path.delimiter}${process.env.PATH ?? ''}`;

  const work = mkdtempSync(path.join(os.tmpdir(), 'dockforge-corpus-'));
  const logs = path.join(REPO, '.e2e-cache', 'corpus', 'logs');
  mkdirSync(logs, { recursive: true });
  const storage: Storage = {
    root: process.env.DOCKFORGE_CORPUS_STORAGE_ROOT ?? '/var/lib/dockforge-corpus/storage',
    runroot: process.env.DOCKFORGE_CORPUS_STORAGE_RUNROOT ?? '/run/dockforge-corpus',
  };
  const npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, `cafile=${HOST_CA}\n`);
  const engine = podmanEngine(npmrc, storageFlags(storage));
  const cli = snapshotCli(path.join(work, 'cli'));
  const ctx: Context = { opts, cli, corpusDir, work, logs, storage, engine };
  const info: RunInfo = {
    date: new Date().toISOString(),
    machine: await machine(),
    commit: (await run('git', ['-C', REPO, 'rev-parse', 'HEAD'])).stdout.trim() || 'unknown',
    dirty: (await run('git', ['-C', REPO, 'status', '--porcelain', '--', 'src', 'templates'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3)),
    command: `npm run corpus${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    initFlags: opts.force ? ['--force'] : [],
    ciNote: CI_NOTE,
    corpusSize: corpus.length,
    subset: opts.ciSubset ? `--ci-subset: ${CI_SUBSET}` : opts.repos ? 'named with --repos' : undefined,
    renderOnly: opts.renderOnly,
    built: 0,
    uid: opts.uid,
    timeoutPerRepo: opts.timeoutPerRepo,
    totalSeconds: 0,
    dockerfileLint: findChecker('dockerfile-lint') !== undefined,
  };
  if (!opts.renderOnly) {
    if (process.getuid?.() !== 0) ctx.noEngine = 'not root (Buildah and Podman run as root here)';
    else if (/not installed/.test(info.machine.buildah + info.machine.podman)) {
      ctx.noEngine = 'buildah/podman not installed (npm run e2e:tools)';
    }
  }
  process.stdout.write(
    `corpus: ${selected.length} of ${corpus.length} repositories from ${corpusDir}` +
      `${opts.renderOnly ? ' (render only)' : `; storage ${storage.root}`}; work ${work}\n`,
  );
  mkdirSync(path.dirname(reportPath()), { recursive: true });
  const results: RepoResult[] = [];
  let merged = false;
  const write = (): void => {
    if (!merged) info.totalSeconds = (Date.now() - t0) / 1000;
    const report = { ...info, summary: summarize(results), results };
    writeFileSync(reportPath(), `${JSON.stringify(report, null, 2)}\n`);
  };
  try {
    // render everything first (seconds each), then build and run the chosen ones (minutes each)
    const rendered: { entry: CorpusEntry; res: RepoResult; dir?: string }[] = [];
    for (const [i, entry] of selected.entries()) {
      const { res, dir } = await renderRepo(ctx, entry);
      rendered.push({ entry, res, dir });
      results.push(res);
      process.stdout.write(progress(i + 1, selected.length, res));
      write();
    }
    const chosen = buildSet(
      rendered.map((r) => ({ entry: r.entry, initExit: r.res.init?.exitCode })),
      opts,
    );
    info.built = ctx.noEngine ? 0 : chosen.size;
    for (const r of rendered) {
      if (opts.renderOnly) r.res.notBuilt = 'render only (--render-only)';
      else if (!r.dir) r.res.notBuilt = r.res.error ? 'the tool failed' : `init exited ${r.res.init?.exitCode}`;
      else if (!chosen.has(r.entry.snapshot_dir)) r.res.notBuilt = 'not in the CI subset (--ci-subset)';
      else if (ctx.noEngine) r.res.notBuilt = ctx.noEngine;
    }
    let i = 0;
    for (const r of rendered.filter((x) => x.dir && !x.res.notBuilt)) {
      process.stdout.write(`corpus: building ${r.entry.repo} …\n`);
      await buildRepo(ctx, r.entry, r.res, r.dir!);
      process.stdout.write(progress(++i, info.built, r.res));
      write();
    }
  } finally {
    await ctx.pg?.stop().catch(() => undefined);
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
  write();
  if (opts.update && earlier) {
    // the earlier run's rows, with the re-run ones replaced (corpus order kept)
    const mergedRows = earlier.results.map((r) => results.find((x) => x.repo === r.repo) ?? r);
    const rerun = results.map((r) => r.repo);
    const mergedInfo: RunInfo = {
      ...earlier.info,
      rerun: {
        repos: rerun,
        date: info.date,
        commit: info.commit,
        dirty: info.dirty,
        command: info.command,
        totalSeconds: info.totalSeconds,
      },
    };
    results.splice(0, results.length, ...mergedRows);
    for (const key of Object.keys(info)) delete (info as unknown as Record<string, unknown>)[key];
    Object.assign(info, mergedInfo);
    merged = true;
    write();
  }
  writeFileSync(docPath(), markdown(info, results));
  const s = summarize(results);
  process.stdout.write(
    `corpus: init ${s.initOk}/${s.repos}, built ${s.built}/${s.repos}, running ${s.running}/${s.repos}, ` +
      `port ${s.port}/${s.repos}, health ${s.health}/${s.repos} (${Math.round(info.totalSeconds)} s)\n` +
      `report: ${reportPath()}\ndoc: ${docPath()}\n`,
  );
  return results.some((r) => r.error) ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`corpus: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
