/**
 * End-to-end proof that generated files build, start as the chosen UID, serve, and keep
 * their data: `npm run e2e` (= `npx tsx proof/e2e/run.ts`).
 *
 * For every distroless cell (language {go, node, c} × database {sqlite, postgres, none}):
 * copy the example app, run `dockforge init --yes --base distroless --uid UID --gid GID`
 * through the built CLI, build the runtime target with Buildah (vfs storage, chroot isolation,
 * `--pull=never` against stand-in base images from proof/bases), run it with Podman + runc
 * hardened like compose.yaml (read-only root, tmpfs /tmp, cap-drop ALL, no-new-privileges),
 * and check: the process UID (from /proc), the health endpoint, the compose healthcheck command
 * inside the container, a write then a read, and — for SQLite — that the data survives a new
 * container on the same volume; Postgres cells talk to a real PostgreSQL (Debian's) that this
 * harness starts on loopback.
 *
 * Alpine cells cannot be built here (no Alpine package source is reachable) and are reported
 * as not built. With a Docker engine that answers `docker info`, all 12 cells run with
 * `docker buildx build` and `docker run` instead (same checks).
 *
 * Options: --cells go-sqlite,node-none,…  --uid N (default 23456)  --keep (keep temp dirs)
 *   --bases-only (only build or import the stand-in bases the cells' Dockerfiles need:
 *   `npm run e2e:bases`)
 * Environment: DOCKFORGE_E2E_CACHE (stand-in cache, and the e2e's own containers-storage under it: see
 *   proof/e2e/storage.ts), DOCKFORGE_E2E_STORAGE_ROOT / _RUNROOT (override that storage),
 *   DOCKFORGE_E2E_REPORT (JSON report path),
 *   DOCKFORGE_E2E_KEEP_IMAGES=1 (keep the built cell images; by default they are removed once
 *   measured).
 * Exit code: 0 when every built cell passed every check, 1 otherwise, 2 on bad options.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { allLanguages, findLanguage, servicesOfKind } from '../../src/registry.js';
import { RUNTIME_BASES, type RuntimeBase } from '../../src/vocabulary.js';
import { copyExampleSources } from '../../test/helpers/examples.js';
import { HISTORY_MARKER } from '../bases/recipes.js';
import { buildahStorageFlags, e2eStorage, podmanStorageFlags } from './storage.js';

/** The repository root (this file is proof/e2e/run.ts). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI (`npm run build`). */
export const CLI = path.join(REPO, 'dist', 'cli', 'main.cjs');
/** The host's CA bundle, handed to builds (outbound TLS is re-signed here). */
export const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

/** One cell of the matrix, built from examples/<language>-<database>. */
export interface Cell {
  /** A registered language id. */
  language: string;
  /** A `database` choice: a registered database service id, or `none`. */
  database: string;
  /** The runtime base. */
  runtime: RuntimeBase;
}

/** Result of one cell, as printed and written to the report. */
export interface CellResult {
  cell: string;
  built: 'yes' | 'no' | 'failed';
  reason?: string;
  uidSeen?: string;
  health?: 'ok' | 'failed';
  healthcheck?: 'ok' | 'failed';
  writeRead?: 'ok' | 'failed';
  persistence?: 'ok' | 'failed' | 'n/a';
  /** Final image size in bytes (as the engine reports it). */
  imageBytes?: number;
  /** Bytes of the app payload: the binary (Go, C), /app (Node). */
  appBytes?: number;
  /** Extra facts checked (e.g. no devDependencies, library closure). */
  notes: string[];
  buildSeconds?: number;
  errors: string[];
}

/** Outcome of {@link run}: exit code (1 when killed or not started) and the captured output. */
export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command; never throws for a non-zero exit (returns it). Timeout in ms. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number; input?: string } = {},
): Promise<Exec> {
  return new Promise((resolve) => {
    const execOpts = {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      timeout: opts.timeout ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    };
    const child = execFile(cmd, args, execOpts, (err, stdout, stderr) => {
      const errCode = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof errCode === 'number' ? errCode : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/**
 * Run a command, writing its output to a log file when it ends; resolves with the exit code
 * (1 when killed: SIGKILL after `timeout` ms, default 20 min).
 */
export function runLogged(
  cmd: string,
  args: string[],
  log: string,
  opts: { cwd?: string; timeout?: number } = {},
): Promise<number> {
  return new Promise((resolve) => {
    const out = [`$ ${cmd} ${args.join(' ')}\n`];
    const child = spawn(cmd, args, { cwd: opts.cwd, env: process.env });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 1_200_000);
    child.stdout.on('data', (d) => out.push(String(d)));
    child.stderr.on('data', (d) => out.push(String(d)));
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(log, out.join(''));
      resolve(code ?? 1);
    });
  });
}

/** Wait `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** HTTP request to the app on loopback; resolves with status and body, or status 0 on a connection error. */
export async function http(method: string, url: string, body?: unknown): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

/** Poll GET url until it answers 200 or `seconds` pass. */
async function waitHealthy(url: string, seconds: number): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if ((await http('GET', url)).status === 200) return true;
    await sleep(500);
  }
  return false;
}

/** The container engine: Buildah + Podman here, or a Docker engine when one answers. */
export interface Engine {
  name: string;
  /**
   * Build the `runtime` target of `context` as `tag`, output to `log`; exit code (timeout in ms,
   * default 20 min). `buildArgs`: `--build-arg NAME=value` each (compose's `build.args`).
   */
  build(
    context: string,
    tag: string,
    log: string,
    timeout?: number,
    buildArgs?: Record<string, string>,
  ): Promise<number>;
  /** `run -d` arguments before the image, shared by every start of a cell. */
  cli: string;
  cliFlags: string[];
  runFlags: string[];
}

/**
 * Buildah + Podman with the e2e's flags. `npmrc`: a host file mounted at /usr/local/etc/npmrc during builds.
 * `storage`: global containers-storage flags for buildah, and for podman unless `podmanStorage` is given;
 * default: the e2e's own store under the cache directory (proof/e2e/storage.ts), for podman with its
 * `--tmpdir` and `--volumepath` there too, so nothing lands in the machine's default storage.
 */
export function podmanEngine(npmrc: string, storage?: string[], podmanStorage?: string[]): Engine {
  const buildahFlags = storage ?? buildahStorageFlags();
  const podmanFlags = podmanStorage ?? storage ?? podmanStorageFlags();
  return {
    name: 'buildah + podman (vfs, chroot isolation, runc)',
    build: (context, tag, log, timeout, buildArgs = {}) =>
      runLogged(
        'buildah',
        [
          ...buildahFlags,
          'bud',
          '--isolation',
          'chroot',
          '--pull=never',
          '--network',
          'host',
          // harness only: the host CA bundle (outbound TLS is re-signed here) and an npmrc naming it
          '--volume',
          `${HOST_CA}:${HOST_CA}:ro`,
          '--volume',
          `${npmrc}:/usr/local/etc/npmrc:ro`,
          '--target',
          'runtime',
          ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
          '-t',
          tag,
          context,
        ],
        log,
        { timeout },
      ),
    cli: 'podman',
    cliFlags: [...podmanFlags, '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'],
    runFlags: ['--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'],
  };
}

function dockerEngine(): Engine {
  return {
    name: 'docker buildx + docker run',
    build: (context, tag, log, timeout, buildArgs = {}) =>
      runLogged(
        'docker',
        [
          'buildx',
          'build',
          '--load',
          '--target',
          'runtime',
          ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
          '-t',
          tag,
          context,
        ],
        log,
        { timeout },
      ),
    cli: 'docker',
    cliFlags: [],
    runFlags: ['--network', 'host'],
  };
}

/**
 * A throwaway PostgreSQL server on 127.0.0.1:`port` (Debian's binaries), run as the `postgres` user;
 * its server log is copied to `log` on stop.
 */
export class Postgres {
  private dir = '';
  private bin = '';
  constructor(
    private readonly log: string,
    readonly port = 55432,
  ) {}

  async start(): Promise<void> {
    const versions = existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
      : [];
    if (versions.length === 0) {
      throw new Error(
        'PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): run proof/scripts/install-tools.sh',
      );
    }
    this.bin = `/usr/lib/postgresql/${versions[0]}/bin`;
    this.dir = mkdtempSync(path.join(tmpdir(), 'dockforge-e2e-pg-'));
    await run('chown', ['postgres:postgres', this.dir]);
    const as = (args: string[]): Promise<Exec> => run('runuser', ['-u', 'postgres', '--', ...args]);
    // the superuser logs in over the private socket only; app roles use passwords over TCP
    const init = await as([
      `${this.bin}/initdb`,
      '-D',
      `${this.dir}/data`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-U',
      'postgres',
    ]);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const start = await as([
      `${this.bin}/pg_ctl`,
      '-D',
      `${this.dir}/data`,
      '-l',
      `${this.dir}/server.log`,
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
    if (start.code !== 0) {
      throw new Error(`pg_ctl start failed: ${start.stderr}${readFileSync(`${this.dir}/server.log`, 'utf8')}`);
    }
  }

  /**
   * Create (drop first) a login role and a database it owns; returns the password.
   * Role and password default to the database name and a random hex string.
   * @throws when psql fails.
   */
  async createDatabase(name: string, password = randomBytes(12).toString('hex'), role = name): Promise<string> {
    // two -c: CREATE DATABASE cannot run inside the transaction one -c with two statements makes
    const r = await run('runuser', [
      '-u',
      'postgres',
      '--',
      `${this.bin}/psql`,
      '-h',
      this.dir,
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `DROP DATABASE IF EXISTS "${name}"`,
      '-c',
      `DROP ROLE IF EXISTS "${role}"`,
      '-c',
      `CREATE ROLE "${role}" LOGIN PASSWORD '${password.replace(/'/g, "''")}'`,
      '-c',
      `CREATE DATABASE "${name}" OWNER "${role}"`,
    ]);
    if (r.code !== 0) throw new Error(`creating database ${name}: ${r.stderr}`);
    return password;
  }

  async stop(): Promise<void> {
    if (!this.dir) return;
    await run('runuser', [
      '-u',
      'postgres',
      '--',
      `${this.bin}/pg_ctl`,
      '-D',
      `${this.dir}/data`,
      '-m',
      'fast',
      'stop',
    ]);
    writeFileSync(this.log, existsSync(`${this.dir}/server.log`) ? readFileSync(`${this.dir}/server.log`) : '');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function cellName(c: Cell): string {
  return `${c.language}-${c.database}-${c.runtime}`;
}

/** Copy examples/<language>-<database> without its generated files, then `dockforge init`. */
async function prepare(c: Cell, uid: number, work: string): Promise<string> {
  const src = path.join(REPO, 'examples', `${c.language}-${c.database}`);
  const dir = path.join(work, cellName(c));
  copyExampleSources(src, dir);
  const init = [CLI, 'init', '--yes', '--base', c.runtime, '--uid', String(uid), '--gid', String(uid)];
  const r = await run(process.execPath, init, { cwd: dir });
  if (r.code !== 0) throw new Error(`dockforge init failed: ${r.stderr}`);
  return dir;
}

/**
 * Start the cell's container (detached) with compose.yaml's hardening and environment.
 * @returns the container name.
 */
async function start(
  engine: Engine,
  c: Cell,
  tag: string,
  env: Record<string, string>,
  volume: string | undefined,
  name: string,
): Promise<Exec> {
  const args = [
    ...engine.cliFlags,
    'run',
    '-d',
    '--name',
    name,
    ...engine.runFlags,
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
  ];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  if (volume) args.push('-v', `${volume}:/data`);
  args.push(tag);
  return run(engine.cli, args);
}

/** Remove a container (stopping it first, 5 s grace); never throws. */
export async function removeContainer(engine: Engine, name: string): Promise<void> {
  await run(engine.cli, [...engine.cliFlags, 'rm', '-f', '-t', '5', name]);
}

/** Real UID and GID of the container's main process, from /proc/<pid>/status on the host. */
export async function processIds(engine: Engine, name: string): Promise<string | undefined> {
  const r = await run(engine.cli, [...engine.cliFlags, 'inspect', '--format', '{{.State.Pid}}', name]);
  const pid = r.stdout.trim();
  if (r.code !== 0 || !/^\d+$/.test(pid) || pid === '0') return undefined;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
  return `${uid}:${gid}`;
}

/** Copy a path out of an image (via a created, never started container); returns the host path. */
async function copyOut(engine: Engine, tag: string, inner: string, dest: string): Promise<boolean> {
  const name = `dockforge-e2e-copy-${randomBytes(3).toString('hex')}`;
  const created = await run(engine.cli, [...engine.cliFlags, 'create', '--name', name, tag]);
  if (created.code !== 0) return false;
  const cp = await run(engine.cli, [...engine.cliFlags, 'cp', `${name}:${inner}`, dest]);
  await run(engine.cli, [...engine.cliFlags, 'rm', '-f', name]);
  return cp.code === 0;
}

function duBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + duBytes(path.join(p, e)), 0);
}

/** Build, run and check one cell. */
async function runCell(
  engine: Engine,
  c: Cell,
  uid: number,
  dir: string,
  work: string,
  pg: Postgres | undefined,
  logs: string,
): Promise<CellResult> {
  const res: CellResult = { cell: cellName(c), built: 'no', notes: [], errors: [] };
  const fail = (msg: string): CellResult => {
    res.errors.push(msg);
    return res;
  };
  const answers = parseYaml(readFileSync(path.join(dir, '.dockforge/answers.yaml'), 'utf8')) as Record<string, any>;
  const compose = parseYaml(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as Record<string, any>;
  const tag = `localhost/dockforge-e2e/${res.cell}:test`;
  const t0 = Date.now();
  const code = await engine.build(dir, tag, path.join(logs, `${res.cell}.build.log`));
  res.buildSeconds = Math.round((Date.now() - t0) / 100) / 10;
  if (code !== 0) {
    res.built = 'failed';
    return fail(`build failed (exit ${code}); see ${path.join(logs, `${res.cell}.build.log`)}`);
  }
  res.built = 'yes';
  const size = await run(engine.cli, [...engine.cliFlags, 'image', 'inspect', '--format', '{{.Size}}', tag]);
  res.imageBytes = Number(size.stdout.trim()) || undefined;

  // what the runtime stage added on top of its base image: one line per non-empty layer
  const history = await run(engine.cli, [...engine.cliFlags, 'history', '--format', '{{.Size}}|{{.CreatedBy}}', tag]);
  const added = history.stdout
    .split('\n')
    .filter((l) => l.includes('|') && !l.startsWith('0B') && !/^0 ?B\|/.test(l) && !l.includes(HISTORY_MARKER))
    .map((l) => l.split('|')[0]!.trim());
  // without --layers Buildah commits the runtime stage as one layer: its size is all the stage added
  if (added.length > 0) res.notes.push(`added over the base image: ${added.join(' + ')}`);

  // app payload and image contents
  const out = path.join(work, `${res.cell}-payload`);
  mkdirSync(out, { recursive: true });
  if (c.language === 'node') {
    if (await copyOut(engine, tag, '/app', path.join(out, 'app'))) {
      res.appBytes = duBytes(path.join(out, 'app'));
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const dev = Object.keys(pkg.devDependencies ?? {});
      const present = dev.filter((d) => existsSync(path.join(out, 'app', 'node_modules', d)));
      if (present.length > 0) res.errors.push(`devDependencies in the image: ${present.join(', ')}`);
      else {
        res.notes.push(
          dev.length > 0 ? `no devDependencies (${dev.join(', ')}) in /app` : 'no devDependencies declared',
        );
      }
      const modules = path.join(out, 'app', 'node_modules');
      if (existsSync(path.join(modules, '.bin', 'npm')) || existsSync(path.join(modules, 'npm'))) {
        res.errors.push('npm in the image');
      }
    }
  } else {
    // the executable: C's cBinary, a static site's server, else the service name (Go)
    const entry = /^ENTRYPOINT \["([^"]+)"/m.exec(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'))?.[1] ?? '';
    const bin = c.language === 'c' ? answers.cBinary : path.basename(entry) || answers.name;
    if (await copyOut(engine, tag, `/usr/local/bin/${bin}`, path.join(out, bin))) {
      res.appBytes = statSync(path.join(out, bin)).size;
    }
  }

  // run it: hardened like compose.yaml's app service, env from compose, DB from the harness
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services.app.environment ?? {})) env[k] = String(v);
  if (c.database === 'postgres' && pg) {
    const password = await pg.createDatabase(answers.name);
    Object.assign(env, {
      PGHOST: '127.0.0.1',
      PGPORT: String(pg.port),
      PGUSER: answers.name,
      PGDATABASE: answers.name,
      PGPASSWORD: password,
      PGSSLMODE: 'disable',
    });
  }
  const volume = c.database === 'sqlite' ? `dockforge-e2e-${res.cell}-data` : undefined;
  if (volume) {
    await run(engine.cli, [...engine.cliFlags, 'volume', 'rm', '-f', volume]);
    await run(engine.cli, [...engine.cliFlags, 'volume', 'create', volume]);
  }
  const base = `http://127.0.0.1:${answers.port}`;
  const name = `dockforge-e2e-${res.cell}`;
  await removeContainer(engine, name);
  try {
    const started = await start(engine, c, tag, env, volume, name);
    if (started.code !== 0) return fail(`run failed: ${started.stderr.trim()}`);
    const healthy = await waitHealthy(`${base}${answers.healthPath}`, 60);
    res.health = healthy ? 'ok' : 'failed';
    res.uidSeen = await processIds(engine, name);
    if (res.uidSeen !== `${uid}:${uid}`) res.errors.push(`process runs as ${res.uidSeen}, expected ${uid}:${uid}`);
    if (!healthy) {
      const logs2 = await run(engine.cli, [...engine.cliFlags, 'logs', name]);
      const tail = (logs2.stdout + logs2.stderr).slice(-800);
      return fail(`health endpoint did not answer 200 within 60 s; container log: ${tail}`);
    }
    // the compose healthcheck command itself, inside the container (no shell on distroless)
    const hc = compose.services.app.healthcheck.test as string[];
    const exec = await run(engine.cli, [...engine.cliFlags, 'exec', name, ...hc.slice(1)]);
    res.healthcheck = exec.code === 0 ? 'ok' : 'failed';
    if (exec.code !== 0) {
      res.errors.push(`compose healthcheck ${JSON.stringify(hc)} exited ${exec.code}: ${exec.stderr.trim()}`);
    }

    if (findLanguage(c.language)?.backingServices === false) {
      // a static site: its page, and an unknown path answered by the single-page app's index.html
      const page = await http('GET', `${base}/`);
      const deep = await http('GET', `${base}/some/route`);
      res.writeRead = page.status === 200 && /<html/i.test(page.text) && deep.text === page.text ? 'ok' : 'failed';
      if (res.writeRead !== 'ok') res.errors.push(`page: GET / ${page.status}, GET /some/route ${deep.status}`);
      else res.notes.push('serves its page; an unknown path gets index.html (single-page app)');
      res.persistence = 'n/a';
      return res;
    }
    const message = `e2e ${res.cell} ${Date.now()}`;
    const post = await http('POST', `${base}/logs`, { message });
    const list = await http('GET', `${base}/logs`);
    res.writeRead = post.status === 201 && list.status === 200 && list.text.includes(message) ? 'ok' : 'failed';
    if (res.writeRead !== 'ok') {
      res.errors.push(`write/read failed: POST ${post.status} ${post.text.slice(0, 200)}; GET ${list.status}`);
    }

    if (c.database === 'none') {
      res.persistence = 'n/a';
    } else {
      // a new container on the same volume (SQLite) or the same database (Postgres)
      await removeContainer(engine, name);
      const again = await start(engine, c, tag, env, volume, name);
      const back = again.code === 0 && (await waitHealthy(`${base}${answers.healthPath}`, 60));
      const after = back ? await http('GET', `${base}/logs`) : { status: 0, text: '' };
      res.persistence = after.text.includes(message) ? 'ok' : 'failed';
      if (res.persistence !== 'ok') res.errors.push('data did not survive a container restart');
    }
  } finally {
    await removeContainer(engine, name);
    if (volume) await run(engine.cli, [...engine.cliFlags, 'volume', 'rm', '-f', volume]);
    // vfs stores every image as full copies: drop the cell's image once measured
    if (!process.env.DOCKFORGE_E2E_KEEP_IMAGES) await run(engine.cli, [...engine.cliFlags, 'rmi', '-f', tag]);
  }
  return res;
}

function mb(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(0)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The summary table (one row per cell). */
export function formatResults(rows: CellResult[]): string {
  const head = [
    'cell',
    'built',
    'UID seen',
    'health',
    'healthcheck',
    'write/read',
    'persistence',
    'image',
    'app',
    'build',
  ];
  const body = rows.map((r) => [
    r.cell,
    r.built === 'no' ? `no: ${r.reason}` : r.built,
    r.uidSeen ?? '-',
    r.health ?? '-',
    r.healthcheck ?? '-',
    r.writeRead ?? '-',
    r.persistence ?? '-',
    mb(r.imageBytes),
    mb(r.appBytes),
    r.buildSeconds === undefined ? '-' : `${r.buildSeconds}s`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [fmt(head), fmt(w.map((n) => '-'.repeat(n))), ...body.map(fmt)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let uid = 23456;
  let only: string[] | undefined;
  let keep = false;
  let basesOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--uid') uid = Number(argv[++i]);
    else if (a === '--cells') only = argv[++i]!.split(',');
    else if (a === '--keep') keep = true;
    else if (a === '--bases-only') basesOnly = true;
    else {
      process.stderr.write(
        `e2e: unknown option ${a}\nusage: npm run e2e -- [--cells go-sqlite,...] [--uid N] [--keep] [--bases-only]\n`,
      );
      return 2;
    }
  }
  if (!Number.isInteger(uid) || uid < 1) {
    process.stderr.write('e2e: --uid must be a positive integer\n');
    return 2;
  }
  if (!existsSync(CLI)) {
    process.stderr.write('e2e: dist/cli/main.cjs missing: run npm run build first\n');
    return 2;
  }
  const dockerOk = (await run('docker', ['info'], { timeout: 20_000 })).code === 0;
  // every cell the registry defines: languages × database choices × runtime bases (distroless first)
  const databases = [...servicesOfKind('database').map((s) => s.id), 'none'];
  const bases = [...RUNTIME_BASES].sort((a, b) => (a === 'distroless' ? -1 : b === 'distroless' ? 1 : 0));
  // a language without backing services (a static site) has its `none` cells only
  const all: Cell[] = allLanguages().flatMap((l) =>
    (l.backingServices === false ? ['none'] : databases).flatMap((database) =>
      bases.map((runtime) => ({ language: l.id, database, runtime })),
    ),
  );
  const selected = all.filter(
    (c) => !only || only.includes(`${c.language}-${c.database}`) || only.includes(cellName(c)),
  );
  const work = mkdtempSync(path.join(tmpdir(), 'dockforge-e2e-'));
  const logs = path.join(REPO, '.e2e-cache', 'logs');
  mkdirSync(logs, { recursive: true });
  const npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, `cafile=${HOST_CA}\n`);
  const engine = dockerOk ? dockerEngine() : podmanEngine(npmrc);
  process.stdout.write(`e2e: engine ${engine.name}; UID:GID ${uid}:${uid}; work ${work}\n`);
  if (!dockerOk) {
    const store = e2eStorage();
    process.stdout.write(`e2e: containers-storage ${store.driver} root ${store.root} runroot ${store.runroot}\n`);
  }

  const results: CellResult[] = [];
  const buildable = selected.filter((c) => dockerOk || c.runtime === 'distroless');
  for (const c of selected.filter((x) => !buildable.includes(x))) {
    results.push({
      cell: cellName(c),
      built: 'no',
      reason: 'no Alpine package source reachable',
      notes: [],
      errors: [],
    });
  }

  // every buildable cell rendered once; its Dockerfile also names the stand-in bases it needs
  const dirs = new Map<Cell, string>();
  for (const c of buildable) dirs.set(c, await prepare(c, uid, path.join(work, 'cells')));

  // stand-in base images for every FROM of the buildable cells (skipped with a Docker engine)
  if (!dockerOk) {
    const dockerfiles = [...dirs.values()].map((dir) => path.join(dir, 'Dockerfile'));
    process.stdout.write(`e2e: stand-in base images (proof/bases) for ${dockerfiles.length} Dockerfiles…\n`);
    const tsx = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const basesCli = path.join(REPO, 'proof', 'bases', 'cli.ts');
    // the same store as the builds below: a fresh one gets the stand-ins imported from the cache's archives
    const store = e2eStorage();
    const bases = await runLogged(
      process.execPath,
      [tsx, basesCli, '--root', store.root, '--runroot', store.runroot, ...dockerfiles],
      path.join(logs, 'bases.log'),
    );
    const summary = readFileSync(path.join(logs, 'bases.log'), 'utf8')
      .split('\n')
      .filter((l) => /^\S+\s+(present|imported|built|skipped|failed)\s/.test(l) || l.startsWith('(total'));
    process.stdout.write(summary.join('\n') + '\n');
    if (bases !== 0) {
      process.stderr.write(`e2e: building stand-in bases failed; see ${path.join(logs, 'bases.log')}\n`);
      return 1;
    }
  }
  if (basesOnly) {
    if (!keep) rmSync(work, { recursive: true, force: true });
    return 0;
  }

  let pg: Postgres | undefined;
  if (buildable.some((c) => c.database === 'postgres')) {
    pg = new Postgres(path.join(logs, 'postgres.log'));
    await pg.start();
  }
  try {
    for (const c of buildable) {
      process.stdout.write(`e2e: ${cellName(c)} …\n`);
      let r: CellResult;
      try {
        r = await runCell(engine, c, uid, dirs.get(c)!, path.join(work, 'cells'), pg, logs);
      } catch (e) {
        r = { cell: cellName(c), built: 'failed', notes: [], errors: [(e as Error).message] };
      }
      results.push(r);
      process.stdout.write(`e2e: ${r.cell}: ${r.errors.length === 0 ? 'pass' : `FAIL: ${r.errors.join('; ')}`}\n`);
    }
  } finally {
    await pg?.stop();
  }

  results.sort((a, b) => a.cell.localeCompare(b.cell));
  const table = formatResults(results);
  process.stdout.write(`\n${table}\n`);
  for (const r of results) for (const n of r.notes) process.stdout.write(`  ${r.cell}: ${n}\n`);
  const standIn = dockerOk
    ? 'official images pulled by the Docker engine'
    : 'stand-in base images built locally from Debian 13 packages by proof/bases (labelled ' +
      'org.dockforge.stand-in=true), not the official gcr.io/Docker Hub images';
  const report = { date: new Date().toISOString(), engine: engine.name, uid, bases: standIn, results };
  const reportPath = process.env.DOCKFORGE_E2E_REPORT ?? path.join(REPO, '.e2e-cache', 'e2e-report.json');
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`base images: ${standIn}\nreport: ${reportPath}\n`);
  const built = results.filter((r) => r.built !== 'no');
  const failed = built.filter((r) => r.errors.length > 0);
  const skipped = results.length - built.length;
  process.stdout.write(`e2e: ${built.length - failed.length} passed, ${failed.length} failed, ${skipped} skipped\n`);
  if (!keep) rmSync(work, { recursive: true, force: true });
  return failed.length > 0 || built.length === 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`e2e: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
