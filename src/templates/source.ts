/**
 * Team template packs from a SOURCE string (`dockforge init --pack SOURCE`): fetch the pack,
 * pin exactly what was fetched ({@link PackPin}, recorded in answers.yaml), and later get
 * exactly the pinned pack again ({@link pinnedPack}).
 *
 * Classifying SOURCE (deterministic: the first rule that matches wins):
 * 1. empty, or starting with `-` → refused (it would read as an option of npm or git);
 * 2. an existing folder, absolute or relative to the project root → `local`;
 * 3. ending in `.tgz` or `.tar.gz` → `npm`, a tarball: a path relative to the project root, or an
 *    `http(s)://` URL;
 * 4. starting with `git+` or `git://`, or a `scheme://` URL whose part before `#` ends in `.git`
 *    → `git`: `git+` is dropped, the scheme must be https, http, ssh, git or file, and the part
 *    after `#` is the ref (branch or tag; 40 or 64 hex digits: a commit; none: the default branch);
 * 5. anything else → `npm`, a registry spec: a package name by npm's rules for new packages
 *    (validate-npm-package-name: at most 214 characters, lower case, URL-safe, not starting with
 *    `.` or `_`, optionally `@scope/`; not `node_modules` or `favicon.ico`), optionally followed by
 *    `@` and a version, range or dist-tag (npm-package-arg's `name@spec`). Nothing else is accepted.
 *
 * Fetching: npm with `npm pack <spec> --pack-destination <temp> --json --ignore-scripts` (and
 * `npm_config_ignore_scripts=true`: no package script ever runs), its tarball unpacked with the
 * `tar` package (`package/` stripped); git with the system git, shallow and without submodules
 * (`git clone --depth 1 --branch <ref>`, or `git init` + `git fetch --depth 1 <url> <sha>` for a
 * commit), `.git` removed; a local folder read file by file.
 *
 * A local folder's top-level `.git` folder is not part of the pack (as a git pack's is removed).
 *
 * Bounds, checked before any of a pack is used (a tarball's entries while they are read, aborting
 * at the first offence; a git checkout and a local folder by walking them): at most
 * {@link MAX_FILES} files (and as many folders) and {@link MAX_BYTES} bytes of file content;
 * regular files and folders only (no symbolic or hard link, device or FIFO: a pack cannot read
 * outside itself); no absolute or `..` path. Offences throw `UsageError` `refusing pack <source>: …`.
 *
 * The cache: every fetched pack is stored in `cacheFolder('packs')` (src/files.ts), in a folder
 * named after its integrity (`sha512-<base64url>`, `sha256-<base64url>`, `git-<hex>`), made in a
 * temporary folder beside it and renamed into place (a reader never sees half a pack), mode 0700.
 * Without a usable cache folder (no home folder, or it belongs to someone else) packs go to a
 * private temporary folder for this process.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReadEntry } from 'tar';
import { parse as parseYaml } from 'yaml';
import { EnvironmentError, UsageError, clip, quote } from '../errors.js';
import { cacheFolder, ownedByUs } from '../files.js';
import type { PackPin, PackSourceKind } from '../vocabulary.js';

/**
 * The pin answers.yaml records (`source`, `kind`, `name`, `version`, `integrity`): defined in
 * src/vocabulary.ts, the answers' vocabulary, and exported here as this module's API. `integrity`
 * is, for npm, the tarball's sha512 SRI (`sha512-<base64>`, as `npm pack --json` reports it); for
 * git, `git:<commit>` (40 hex digits; 64 in a SHA-256 repository); for a local folder,
 * `sha256-<base64>` of its content (see {@link folderIntegrity}).
 */
export type { PackPin, PackSourceKind };

/** A fetched pack: its pin and a folder holding its pack.yaml (in the cache: read it, never write it). */
export interface FetchedPack {
  pin: PackPin;
  dir: string;
}

/** Most files a pack may hold (and, separately, most folders). */
const MAX_FILES = 1000;
/** Most bytes of file content a pack may hold, unpacked: 5 MB (MiB). */
const MAX_BYTES = 5 * 1024 * 1024;
/** How long one npm or git command may run. */
const TIMEOUT_MS = 120_000;
/** Most bytes of a command's stdout kept (npm's --json report of a 1000-file pack is ~100 kB). */
const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Fetch SOURCE now (for an npm spec: the newest version it allows; for git: the ref's current
 * commit; a local folder: re-read) and pin what was fetched. The pack is stored in the cache.
 * @param root the project root: relative paths in SOURCE are relative to it.
 * @throws UsageError (exit 2) for a SOURCE that is refused or malformed, a pack over the bounds
 *   or without a valid pack.yaml (string `name` and `version`), a failing or timed-out npm/git
 *   (the first useful line of its error output).
 * @throws EnvironmentError (exit 3) when npm or git is not installed.
 */
export async function fetchPack(source: string, root: string): Promise<FetchedPack> {
  const where = classify(source, root);
  if (where.kind === 'local') return storeLocal(source, readLocal(source, where.dir));
  if (where.kind === 'npm') {
    const packed = await npmPack(where.spec, source, root);
    try {
      const pin: PackPin = { source, kind: 'npm', ...packed.meta };
      return { pin, dir: await storeTarball(packed.tarball, pin) };
    } finally {
      packed.remove();
    }
  }
  return fetchGit(source, where, undefined);
}

/**
 * Exactly the pinned pack. From the cache when its folder is there (and belongs to this user);
 * else fetched again and verified: npm → `npm pack <name>@<version>` (a registry spec) or the
 * original tarball or URL, its sha512 compared with the pin; git → the ref cloned again and its
 * commit compared, else `git fetch --depth 1 <url> <commit>` (servers speaking git protocol v2,
 * as git ≥ 2.26 does by default, serve a commit by its id); local → the folder's integrity computed
 * again. The result is stored in the cache.
 * @throws UsageError naming the source, the pinned and the found integrity and version when the
 *   source no longer has the pinned pack (`run dockforge generate --update-pack`), for a malformed
 *   pin, and as {@link fetchPack} does.
 * @throws EnvironmentError when npm or git is needed and not installed.
 */
export async function pinnedPack(pin: PackPin, root: string): Promise<FetchedPack> {
  checkPin(pin);
  const cached = cachedPack(pin.integrity);
  if (cached) return { pin, dir: cached };
  if (pin.kind === 'local') {
    const dir = path.resolve(root, pin.source);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw notAsPinned(pin, 'no folder there');
    const snapshot = readLocal(pin.source, dir);
    if (snapshot.integrity !== pin.integrity) {
      throw notAsPinned(pin, `${snapshot.name}@${snapshot.version} (${snapshot.integrity})`);
    }
    return storeLocal(pin.source, snapshot);
  }
  const where = classify(pin.source, root);
  if (where.kind === 'git' && pin.kind === 'git') return fetchGit(pin.source, where, pin);
  if (where.kind !== 'npm' || pin.kind !== 'npm') {
    const what = `the source is ${where.kind}, the pin says ${pin.kind}`;
    throw new UsageError(`invalid pack pin ${quote(pin.source)}: ${what}`);
  }
  const spec = where.registry ? `${pin.name}@${pin.version}` : where.spec;
  let packed;
  try {
    packed = await npmPack(spec, pin.source, root);
  } catch (e) {
    if (e instanceof ToolFailed) throw notAsPinned(pin, `nothing (${e.line})`);
    throw e;
  }
  try {
    if (packed.meta.integrity !== pin.integrity) {
      throw notAsPinned(pin, `${packed.meta.name}@${packed.meta.version} (${packed.meta.integrity})`);
    }
    return { pin, dir: await storeTarball(packed.tarball, pin) };
  } finally {
    packed.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Classification

type Where =
  | { kind: 'local'; dir: string }
  /** spec: a registry spec, an absolute tarball path or an http(s) URL. */
  | { kind: 'npm'; spec: string; registry: boolean }
  | { kind: 'git'; url: string; ref: string | undefined };

/** npm package names (validate-npm-package-name, new packages; the same as package-name-regex). */
const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
/** A version, range (`^1.2.0`, `>=1 <2`, `1.x || 2.x`) or dist-tag: npm-package-arg's spec characters. */
const NPM_RANGE = /^[0-9A-Za-z.+\-^~<>=|* ]+$/;
/** A branch or tag name we pass to git (a subset of git-check-ref-format). */
const GIT_REF = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/+-]+(?<![./])$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const GIT_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:', 'file:']);

/** Which kind SOURCE is, by the rules in this module's comment. */
function classify(source: string, root: string): Where {
  if (source === '' || source.startsWith('-')) {
    throw new UsageError(`refusing pack ${quote(source)}: a pack source cannot be empty or start with "-"`);
  }
  const dir = path.resolve(root, source);
  if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return { kind: 'local', dir };
  if (/\.(tgz|tar\.gz)$/i.test(source)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
      if (!/^https?:\/\//i.test(source)) {
        throw new UsageError(`refusing pack ${quote(source)}: a tarball URL must be https:// or http://`);
      }
      return { kind: 'npm', spec: source, registry: false };
    }
    return { kind: 'npm', spec: dir, registry: false };
  }
  const [address = '', ref] = splitOnce(source, '#');
  if (/^git(\+|:\/\/)/.test(source) || (/^[a-z][a-z0-9+.-]*:\/\//i.test(address) && address.endsWith('.git'))) {
    return { kind: 'git', url: gitUrl(source, address), ref: gitRef(source, ref) };
  }
  const at = source.indexOf('@', 1);
  const name = at < 0 ? source : source.slice(0, at);
  const range = at < 0 ? undefined : source.slice(at + 1);
  const validName = NPM_NAME.test(name) && name.length <= 214 && !['node_modules', 'favicon.ico'].includes(name);
  if (validName && (range === undefined || (NPM_RANGE.test(range) && !range.startsWith('-')))) {
    return { kind: 'npm', spec: source, registry: true };
  }
  throw new UsageError(
    `invalid pack source ${quote(source)}: expected a folder, a .tgz tarball, a git URL ` +
      '(git+https://…#ref, …/repo.git#ref) or an npm package name[@version]',
  );
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

function gitUrl(source: string, address: string): string {
  const url = address.replace(/^git\+/, '');
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new UsageError(`invalid pack source ${quote(source)}: not a URL`);
  }
  if (!GIT_SCHEMES.has(scheme)) {
    throw new UsageError(`refusing pack ${quote(source)}: git URLs must be https, http, ssh, git or file URLs`);
  }
  return url;
}

function gitRef(source: string, ref: string | undefined): string | undefined {
  if (ref === undefined || ref === '') return undefined;
  if (!GIT_REF.test(ref)) throw new UsageError(`invalid pack source ${quote(source)}: ${quote(ref)} is no git ref`);
  return ref;
}

function checkPin(pin: PackPin): void {
  const integrity =
    pin.kind === 'git'
      ? /^git:(?:[0-9a-f]{40}|[0-9a-f]{64})$/
      : pin.kind === 'npm'
        ? /^sha512-[A-Za-z0-9+/]+={0,2}$/
        : /^sha256-[A-Za-z0-9+/]+={0,2}$/;
  const strings = [pin.source, pin.name, pin.version, pin.integrity].every((f) => typeof f === 'string');
  if (!['local', 'npm', 'git'].includes(pin.kind) || !strings || !integrity.test(pin.integrity)) {
    const expected = 'expected strings source, kind, name, version and an integrity of its kind';
    throw new UsageError(`invalid pack pin ${quote(String(pin.source))}: ${expected}`);
  }
}

/** The error for a source that no longer gives the pinned pack. */
function notAsPinned(pin: PackPin, found: string): UsageError {
  return new UsageError(
    `the pinned pack ${quote(pin.source)} is no longer available as pinned: pinned ${pin.name}@${pin.version} ` +
      `(${pin.integrity}), found ${found}; run \`dockforge generate --update-pack\` to take the current one`,
  );
}

// ---------------------------------------------------------------------------------------------
// Bounds

function refuse(source: string, why: string): UsageError {
  return new UsageError(`refusing pack ${quote(source)}: ${why}`);
}

/** Counts files, folders and bytes against the bounds; throws (or returns) the refusal. */
class Budget {
  private files = 0;
  private folders = 0;
  private bytes = 0;
  constructor(private readonly source: string) {}
  file(size: number): UsageError | undefined {
    this.bytes += size;
    if (++this.files > MAX_FILES) {
      return refuse(this.source, `at least ${this.files} files (the limit is ${MAX_FILES})`);
    }
    if (this.bytes > MAX_BYTES) return refuse(this.source, `at least ${this.bytes} bytes unpacked (the limit is 5 MB)`);
    return undefined;
  }
  folder(): UsageError | undefined {
    if (++this.folders > MAX_FILES) {
      return refuse(this.source, `at least ${this.folders} folders (the limit is ${MAX_FILES})`);
    }
    return undefined;
  }
}

/** `a symbolic link`, `a FIFO`, … for an entry that is neither a regular file nor a folder. */
function describeStats(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'a device';
}

const TAR_KINDS: Partial<Record<ReadEntry['type'], string>> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a device',
  BlockDevice: 'a device',
  FIFO: 'a FIFO',
};

// ---------------------------------------------------------------------------------------------
// Local folders

interface TreeFile {
  /** `/`-separated path relative to the pack's folder. */
  rel: string;
  data: Buffer;
}

interface Snapshot {
  files: TreeFile[];
  integrity: string;
  name: string;
  version: string;
}

/**
 * Every regular file below `dir` with its content, sorted by {@link folderIntegrity}'s order,
 * within the bounds. A top-level `.git` folder is skipped when `skipGit`.
 * @throws UsageError for a symbolic link, FIFO, socket or device, or a pack over the bounds.
 */
function readTree(dir: string, source: string, skipGit: boolean): TreeFile[] {
  const budget = new Budget(source);
  const out: TreeFile[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const name of fs.readdirSync(abs)) {
      if (skipGit && rel === '' && name === '.git') continue;
      const file = path.join(abs, name);
      const relFile = rel + name;
      const st = fs.lstatSync(file);
      if (st.isDirectory()) {
        const over = budget.folder();
        if (over) throw over;
        walk(file, `${relFile}/`);
      } else if (st.isFile()) {
        const over = budget.file(st.size);
        if (over) throw over;
        out.push({ rel: relFile, data: readFileNoFollow(file, source, relFile) });
      } else {
        throw refuse(source, `${quote(relFile)} is ${describeStats(st)} (a pack cannot read outside itself)`);
      }
    }
  };
  walk(dir, '');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.rel), Buffer.from(b.rel)));
}

/** A file's content, opened without following a link or blocking on a FIFO swapped in after lstat. */
function readFileNoFollow(file: string, source: string, rel: string): Buffer {
  const flags = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);
  const fd = fs.openSync(file, flags);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw refuse(source, `${quote(rel)} is ${describeStats(st)}`);
    if (st.size > MAX_BYTES) throw refuse(source, `at least ${st.size} bytes unpacked (the limit is 5 MB)`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A local folder's integrity: `sha256-` and the base64 (RFC 4648, padded) SHA-256 of, for each
 * regular file in ascending byte order of its UTF-8 relative path (`/`-separated, no leading
 * `./`), the bytes `<path as UTF-8> 0x00 <content length as ASCII decimal> 0x00 <content>`,
 * concatenated. Folders themselves and file modes do not count (an empty folder changes nothing).
 */
function folderIntegrity(files: TreeFile[]): string {
  const hash = createHash('sha256');
  const nul = Buffer.from([0]);
  for (const f of files) {
    hash.update(Buffer.from(f.rel, 'utf8'));
    hash.update(nul);
    hash.update(String(f.data.length), 'ascii');
    hash.update(nul);
    hash.update(f.data);
  }
  return `sha256-${hash.digest('base64')}`;
}

/** Read a local pack folder (its top-level `.git` skipped) into memory and pin it. */
function readLocal(source: string, dir: string): Snapshot {
  const files = readTree(dir, source, true);
  const packYaml = files.find((f) => f.rel === 'pack.yaml');
  const { name, version } = packMeta(packYaml?.data, source);
  return { files, integrity: folderIntegrity(files), name, version };
}

/** Store a local snapshot (exactly the bytes that were hashed) in the cache. */
function storeLocal(source: string, snap: Snapshot): FetchedPack {
  const pin: PackPin = { source, kind: 'local', name: snap.name, version: snap.version, integrity: snap.integrity };
  const cached = cachedPack(snap.integrity);
  if (cached) return { pin, dir: cached };
  const staging = newStaging();
  try {
    for (const f of snap.files) {
      const file = path.join(staging, ...f.rel.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, f.data, { mode: 0o600, flag: 'wx' });
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { pin, dir: commit(staging, snap.integrity) };
}

/**
 * `name` and `version` of pack.yaml's text (YAML, parsed with the `yaml` package).
 * @throws UsageError when it is missing, is no YAML mapping, or lacks string `name` and `version`.
 */
function packMeta(text: Buffer | undefined, source: string): { name: string; version: string } {
  if (text === undefined) throw new UsageError(`invalid pack ${quote(source)}: expected a pack.yaml at its top`);
  let doc: unknown;
  try {
    doc = parseYaml(text.toString('utf8'));
  } catch (e) {
    throw new UsageError(`invalid pack ${quote(source)}: pack.yaml: ${clip(firstLine(String((e as Error).message)))}`);
  }
  const { name, version } = (doc ?? {}) as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || typeof version !== 'string') {
    throw new UsageError(`invalid pack ${quote(source)}: pack.yaml: expected string fields name and version`);
  }
  return { name, version };
}

/** pack.yaml of an unpacked pack folder, read as {@link packMeta} does (a regular file only). */
function packMetaIn(dir: string, source: string): { name: string; version: string } {
  const file = path.join(dir, 'pack.yaml');
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  return packMeta(st?.isFile() ? fs.readFileSync(file) : undefined, source);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

// ---------------------------------------------------------------------------------------------
// The cache

let privateFolder: string | undefined;

/** The folder packs are stored in: `cacheFolder('packs')` (0700, ours), else a private temporary folder. */
function packsFolder(): string {
  const dir = cacheFolder('packs');
  if (dir) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (ownedByUs(dir)) {
        fs.chmodSync(dir, 0o700);
        return dir;
      }
    } catch {
      /* no cache: a private folder for this run */
    }
  }
  return (privateFolder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'dockforge-packs-')));
}

/** The cache folder's name for an integrity: `:` → `-`, base64 → base64url without padding. */
function cacheName(integrity: string): string {
  return integrity.replace(':', '-').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The cached pack with this integrity: a folder of ours (no link) holding pack.yaml, else undefined. */
function cachedPack(integrity: string): string | undefined {
  const dir = path.join(packsFolder(), cacheName(integrity));
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory() || !ownedByUs(dir)) return undefined;
  return fs.lstatSync(path.join(dir, 'pack.yaml'), { throwIfNoEntry: false })?.isFile() ? dir : undefined;
}

/** How old a staging folder must be before it counts as a crashed run's leftover. */
const STALE_MS = 24 * 60 * 60 * 1000;

/**
 * A new empty temporary folder (0700) beside the cached packs; renamed into place by {@link commit}.
 * Staging folders older than a day (left by a run that was killed) are removed first.
 */
function newStaging(): string {
  const dir = packsFolder();
  for (const name of fs.readdirSync(dir)) {
    const old = path.join(dir, name);
    const st = name.startsWith('.staging-') ? fs.lstatSync(old, { throwIfNoEntry: false }) : undefined;
    if (st && Date.now() - st.mtimeMs > STALE_MS) fs.rmSync(old, { recursive: true, force: true });
  }
  return fs.mkdtempSync(path.join(dir, '.staging-'));
}

/**
 * Move a filled staging folder to its cache place. When another run stored the same pack first,
 * theirs is kept and ours removed; a broken leftover (no pack.yaml) is replaced.
 */
function commit(staging: string, integrity: string): string {
  const target = path.join(packsFolder(), cacheName(integrity));
  try {
    fs.renameSync(staging, target);
    return target;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
      fs.rmSync(staging, { recursive: true, force: true });
      throw e;
    }
  }
  if (cachedPack(integrity)) {
    fs.rmSync(staging, { recursive: true, force: true });
    return target;
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  return target;
}

// ---------------------------------------------------------------------------------------------
// npm

interface Packed {
  tarball: string;
  meta: { name: string; version: string; integrity: string };
  remove: () => void;
}

/**
 * `npm pack <spec>` into a temporary folder (removed by `remove()`), with what `--json` reports.
 * The tarball's sha512 is computed again and must be the integrity npm reports.
 */
async function npmPack(spec: string, source: string, root: string): Promise<Packed> {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'dockforge-npm-'));
  const remove = (): void => fs.rmSync(dest, { recursive: true, force: true });
  try {
    const args = ['pack', '--pack-destination', dest, '--json', '--ignore-scripts', '--', spec];
    const env = { ...process.env, npm_config_ignore_scripts: 'true', npm_config_update_notifier: 'false' };
    const { stdout } = await run('npm', args, { cwd: root, env, source });
    let report: unknown;
    try {
      report = JSON.parse(stdout);
    } catch {
      throw new UsageError(`cannot fetch pack ${quote(source)}: npm pack printed no JSON report`);
    }
    const first = (Array.isArray(report) ? report[0] : undefined) as Record<string, unknown> | undefined;
    const { name, version, integrity, filename } = first ?? {};
    if (typeof name !== 'string' || typeof version !== 'string' || typeof integrity !== 'string') {
      throw new UsageError(`cannot fetch pack ${quote(source)}: npm pack reported no name, version and integrity`);
    }
    if (typeof filename !== 'string') throw new UsageError(`cannot fetch pack ${quote(source)}: no tarball reported`);
    const tarball = path.join(dest, path.basename(filename));
    const actual = `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) {
      throw new UsageError(`cannot fetch pack ${quote(source)}: npm reported ${integrity}, the tarball is ${actual}`);
    }
    return { tarball, meta: { name, version, integrity }, remove };
  } catch (e) {
    remove();
    throw e;
  }
}

/** Unpack an npm tarball into the cache (or take the cached copy) after checking every entry. */
async function storeTarball(tarball: string, pin: PackPin): Promise<string> {
  const cached = cachedPack(pin.integrity);
  if (cached) return cached;
  const staging = newStaging();
  try {
    await unpack(tarball, staging, pin.source);
    packMetaIn(staging, pin.source);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return commit(staging, pin.integrity);
}

/**
 * Extract `tarball` into `dest` with the first path part (`package/`) stripped. Every entry is
 * checked in tar's `filter` before its content is read; the first offence aborts the parse.
 * @throws UsageError for an offence, or for something that is not a (gzipped) tarball.
 */
async function unpack(tarball: string, dest: string, source: string): Promise<void> {
  const tar = await import('tar');
  const budget = new Budget(source);
  let refusal: UsageError | undefined;
  const input = fs.createReadStream(tarball);
  const parser = new tar.Unpack({
    cwd: dest,
    strip: 1,
    strict: true,
    preserveOwner: false,
    filter: (entryPath, entry) => {
      if (refusal) return false;
      refusal = checkEntry(entryPath, entry as ReadEntry, budget, source);
      if (!refusal) return true;
      input.unpipe(parser);
      input.destroy();
      parser.abort(new Error(refusal.message));
      return false;
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('error', reject);
      parser.on('close', () => resolve());
      input.on('error', reject);
      input.pipe(parser);
    });
  } catch (e) {
    if (refusal) throw refusal;
    if ((e as { tarCode?: unknown }).tarCode === undefined && (e as { code?: unknown }).code !== undefined) throw e;
    throw refuse(source, `not a valid npm tarball (${clip(firstLine(String((e as Error).message)))})`);
  }
  if (refusal) throw refusal;
}

/** The refusal for one tarball entry, or undefined when it may be extracted. */
function checkEntry(entryPath: string, entry: ReadEntry, budget: Budget, source: string): UsageError | undefined {
  const parts = entryPath.split(/[\\/]/);
  if (/^([\\/]|[A-Za-z]:)/.test(entryPath)) return refuse(source, `entry ${quote(entryPath)} has an absolute path`);
  if (parts.includes('..')) return refuse(source, `entry ${quote(entryPath)} leaves the pack (..)`);
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return budget.file(entry.size);
    case 'Directory':
      return budget.folder();
    default:
      return refuse(
        source,
        `entry ${quote(entryPath)} is ${TAR_KINDS[entry.type] ?? `a ${entry.type} entry`}, ` +
          'not a regular file or folder (a pack cannot read outside itself)',
      );
  }
}

// ---------------------------------------------------------------------------------------------
// git

/**
 * Check out the pack at `where` (or, with `pin`, exactly its commit) into a staging folder, drop
 * `.git`, check the tree and store it. With a pin: the ref is cloned again; when it no longer
 * points at the pinned commit (or is gone), the commit is fetched by its id.
 */
async function fetchGit(
  source: string,
  where: { url: string; ref: string | undefined },
  pin: PackPin | undefined,
): Promise<FetchedPack> {
  const wanted = pin?.integrity.slice('git:'.length);
  let staging = newStaging();
  try {
    let commitId: string | undefined;
    let moved: string | undefined;
    if (!(where.ref && COMMIT.test(where.ref))) {
      try {
        commitId = await gitClone(where.url, where.ref, staging, source);
      } catch (e) {
        if (!(wanted && e instanceof ToolFailed)) throw e;
        moved = `nothing at ${where.ref ?? 'the default branch'} (${e.line})`;
      }
    }
    const id = wanted ?? (where.ref && COMMIT.test(where.ref) ? where.ref : undefined);
    if (id !== undefined && commitId !== id) {
      if (commitId) moved = `${where.ref ?? 'the default branch'} at git:${commitId}`;
      fs.rmSync(staging, { recursive: true, force: true });
      staging = newStaging();
      try {
        commitId = await gitFetchCommit(where.url, id, staging, source);
      } catch (e) {
        if (pin && e instanceof ToolFailed) throw notAsPinned(pin, `${moved ?? 'nothing'}; by its id: ${e.line}`);
        throw e;
      }
      if (commitId !== id) {
        const got = `git checked out ${commitId}, not ${id}`;
        throw pin ? notAsPinned(pin, `git:${commitId}`) : new UsageError(`cannot fetch pack ${quote(source)}: ${got}`);
      }
    }
    if (!commitId) throw new Error('unreachable: no commit');
    fs.rmSync(path.join(staging, '.git'), { recursive: true, force: true });
    readTree(staging, source, false);
    const meta = packMetaIn(staging, source);
    const integrity = `git:${commitId}`;
    const fetched: PackPin = pin ?? { source, kind: 'git', ...meta, integrity };
    const cached = cachedPack(integrity);
    if (cached) {
      fs.rmSync(staging, { recursive: true, force: true });
      return { pin: fetched, dir: cached };
    }
    return { pin: fetched, dir: commit(staging, integrity) };
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/** The environment git runs with: no terminal prompt, only these transports (no `ext::`), C messages. */
function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh', LC_ALL: 'C' };
}

/** Options before every git command: no submodules, no detached-HEAD advice. */
const GIT_OPTIONS = ['-c', 'submodule.recurse=false', '-c', 'advice.detachedHead=false'];

/** `git clone --depth 1 [--branch ref]` into `dest` (empty); the commit checked out. */
async function gitClone(url: string, ref: string | undefined, dest: string, source: string): Promise<string> {
  const branch = ref ? ['--branch', ref] : [];
  const args = [...GIT_OPTIONS, 'clone', '--quiet', '--depth', '1', '--no-tags', ...branch, '--', url, dest];
  await run('git', args, { cwd: dest, env: gitEnv(), source });
  return headOf(dest, source);
}

/** `git init` + `git fetch --depth 1 <url> <commit>` + checkout into `dest` (empty); the commit checked out. */
async function gitFetchCommit(url: string, id: string, dest: string, source: string): Promise<string> {
  const opts = { cwd: dest, env: gitEnv(), source };
  await run('git', [...GIT_OPTIONS, 'init', '--quiet', dest], opts);
  await run('git', [...GIT_OPTIONS, '-C', dest, 'fetch', '--quiet', '--depth', '1', '--no-tags', '--', url, id], opts);
  await run('git', [...GIT_OPTIONS, '-C', dest, 'checkout', '--quiet', '--detach', 'FETCH_HEAD'], opts);
  return headOf(dest, source);
}

async function headOf(dir: string, source: string): Promise<string> {
  const { stdout } = await run('git', ['-C', dir, 'rev-parse', 'HEAD'], { cwd: dir, env: gitEnv(), source });
  const id = stdout.trim();
  if (!COMMIT.test(id)) throw new UsageError(`cannot fetch pack ${quote(source)}: git rev-parse gave ${quote(id)}`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** npm or git exited with an error: `line` is the first useful line of what it said. */
class ToolFailed extends UsageError {
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(message);
  }
}

/**
 * Run `program` without a shell, stdin closed, in its own process group (no controlling
 * terminal: ssh cannot prompt either), killed with its group after {@link TIMEOUT_MS}.
 * @throws EnvironmentError when the program is not installed; UsageError when it times out;
 *   ToolFailed (a UsageError) when it exits with an error.
 */
function run(
  program: 'npm' | 'git',
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; source: string },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let stopped: UsageError | undefined;
    const kill = (why: UsageError): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(
      () => kill(new UsageError(`cannot fetch pack ${quote(opts.source)}: ${program} timed out after 120 s`)),
      TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= MAX_OUTPUT) out.push(chunk);
      else kill(new UsageError(`cannot fetch pack ${quote(opts.source)}: ${program} printed too much`));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if ((errBytes += chunk.length) <= 65536) err.push(chunk);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(
          new EnvironmentError(
            `cannot run ${program}: it is not installed or not on PATH (ENOENT): ` +
              `install ${program} to fetch pack ${clip(opts.source)}`,
            'ENOENT',
            program,
          ),
        );
      } else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (stopped) reject(stopped);
      else if (code === 0) resolve({ stdout, stderr });
      else {
        const line = usefulLine(stdout, stderr) ?? `exit code ${code ?? 'signal'}`;
        const what = `${program} ${args.find((a) => /^[a-z]+$/.test(a)) ?? ''}`.trim();
        reject(new ToolFailed(`cannot fetch pack ${quote(opts.source)}: ${what} failed: ${line}`, line));
      }
    });
  });
}

/**
 * The first useful line of a failed command: npm's `--json` error summary when it printed one,
 * else git's first `fatal:`/`error:` line, else the first stderr line that is not noise (npm's
 * warnings, `code`/`errno`/`path` lines and log hint; git's progress).
 */
function usefulLine(stdout: string, stderr: string): string | undefined {
  try {
    const summary = (JSON.parse(stdout) as { error?: { summary?: unknown } }).error?.summary;
    if (typeof summary === 'string' && summary.trim()) return clip(firstLine(summary.trim()), 200);
  } catch {
    /* not JSON */
  }
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^npm (ERR!|error) ?/, '').trim())
    .filter((l) => l && !/^npm warn/i.test(l) && !/^(code|errno|syscall|path) /.test(l))
    .filter((l) => !/^(A complete log|Cloning into|hint:|warning:)/.test(l));
  const line = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0];
  return line === undefined ? undefined : clip(line, 200);
}
