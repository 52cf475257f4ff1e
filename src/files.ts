/**
 * The ground: reading a file dockforge does not trust, the order of file names, content hashes,
 * and the user's cache folder. Imports only errors.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError } from './errors.js';

/** sha256 (hex, 64 characters) of `text` encoded as UTF-8. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * dockforge's cache folder for `kind` (`v8`, `answers`, …): `$XDG_CACHE_HOME/dockforge/<kind>`
 * (XDG Base Directory Specification; a relative `XDG_CACHE_HOME` is ignored, as the
 * specification says), else `~/.cache/dockforge/<kind>`; undefined when there is no usable
 * home folder. Nothing is created here.
 */
export function cacheFolder(kind: string): string | undefined {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.isAbsolute(base) ? path.join(base, 'dockforge', kind) : undefined;
}

/** True when `file` exists and belongs to the user running dockforge (always true without uids). */
export function ownedByUs(file: string): boolean {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st !== undefined && (process.getuid === undefined || st.uid === process.getuid());
}

/**
 * The content of cache file `name` in {@link cacheFolder}(`kind`), or undefined when it is
 * absent, unreadable, or it or its folder belongs to another user (a cache another account can
 * write is not trusted). Never throws: a cache only saves time.
 */
export function readCache(kind: string, name: string): Buffer | undefined {
  const dir = cacheFolder(kind);
  if (!dir) return undefined;
  const file = path.join(dir, name);
  try {
    return ownedByUs(dir) && ownedByUs(file) ? fs.readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Write cache file `name` in {@link cacheFolder}(`kind`) (folders 0700, the file 0600, through
 * a temporary file and a rename, so a reader sees the old or the new content), then prune the
 * folder: its other files for which `prune.stale(name)` is true go, and beyond `prune.keep`
 * files the oldest (by modification time) go. Never throws: a cache only saves time.
 */
export function writeCache(
  kind: string,
  name: string,
  data: string | Buffer,
  prune: { stale?: (other: string) => boolean; keep?: number } = {},
): void {
  const dir = cacheFolder(kind);
  if (!dir) return;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ownedByUs(dir)) return;
    const file = path.join(dir, name);
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, data, { mode: 0o600 });
    fs.renameSync(temp, file);
    if (!prune.stale && prune.keep === undefined) return;
    const others = fs.readdirSync(dir).filter((other) => other !== name);
    const kept = others.filter((other) => {
      if (!prune.stale?.(other)) return true;
      fs.unlinkSync(path.join(dir, other));
      return false;
    });
    if (prune.keep === undefined || kept.length < prune.keep) return;
    const byAge = kept.map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { n } of byAge.slice(prune.keep - 1)) fs.unlinkSync(path.join(dir, n));
  } catch {
    /* no cache: only slower */
  }
}

/**
 * Read a regular file as UTF-8, bounded: undefined when nothing is at the path. The entry is
 * checked with lstat/stat before it is opened, because opening a FIFO blocks until a writer
 * appears; a socket, device or folder is no file a user edits. A dangling symlink reads as
 * `''` (an existing entry that is not dockforge's text, so it is never replaced silently).
 * @param shown the path as messages name it (project-relative)
 * @param maxBytes the size limit; `tooLarge(size)` makes the error thrown above it (checked on
 *   the open file before reading, and again on what was read, in case it grew)
 * @throws EnvironmentError (exit 3) naming the path when it is a FIFO, socket, device or folder;
 *   the error `tooLarge` returns; other errno errors as they come (the CLI classifies them).
 */
export async function readRegularFile(
  file: string,
  shown: string,
  limit?: { maxBytes: number; tooLarge: (size: number) => Error },
): Promise<string | undefined> {
  let st;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (st.isSymbolicLink()) {
    try {
      st = fs.statSync(file);
    } catch {
      return ''; // dangling: the user's entry
    }
  }
  if (!st.isFile()) {
    const kind = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'a device';
    throw new EnvironmentError(
      `${shown} is ${kind}, not a regular file: dockforge reads and writes only regular files; move it away`,
      st.isDirectory() ? 'EISDIR' : 'ENOTREG',
      shown,
    );
  }
  if (limit && st.size > limit.maxBytes) throw limit.tooLarge(st.size);
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = fs.readFileSync(fd);
    if (limit && buffer.length > limit.maxBytes) throw limit.tooLarge(buffer.length); // grew while read
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The order of file names and paths (folder listings, the record): case-insensitive, then lower
 * case first (`readme` before `README`). The same on every machine: a locale's collation would
 * depend on the user's locale and costs ~10 ms of ICU data at each start. For ASCII names it is
 * the order of ICU's root collation (`localeCompare` without a locale), which detection used
 * before, except that `{|}~` sort after letters instead of before them.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a > b ? -1 : 1;
}
