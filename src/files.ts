/**
 * The ground: reading a file dockforge does not trust, and the order of file names. Imports only errors.
 */
import fs from 'node:fs';
import { EnvironmentError } from './errors.js';

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
