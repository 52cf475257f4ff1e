/**
 * Read-only access to the project for planning: confined paths, file reads, and the state of
 * every path a render touches. Nothing here writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readRegularFile } from '../files.js';
import { MARKER_RE } from './merge.js';

/**
 * Join `rel` onto `root`, refusing anything that would land outside `root`: absolute paths,
 * `..` segments, and paths whose existing parent resolves (through a symlink) outside.
 * @param root absolute project root.
 * @param rel relative `/`-separated path (from a pack or an untrusted manifest).
 * @returns the absolute path.
 * @throws UsageError naming the path.
 */
export async function confinedPath(root: string, rel: string, what = 'path'): Promise<string> {
  if (
    typeof rel !== 'string' ||
    rel === '' ||
    path.isAbsolute(rel) ||
    /^[A-Za-z]:/.test(rel) ||
    rel.split(/[\\/]/).some((s) => s === '..')
  ) {
    throw new UsageError(
      `refusing ${what} ${JSON.stringify(rel)}: expected a relative path inside the project, without ".."`,
    );
  }
  const realRoot = fs.realpathSync.native(root);
  const abs = path.join(root, rel);
  // walk up to the nearest existing ancestor and resolve symlinks there
  let probe = abs;
  for (;;) {
    try {
      const real = fs.realpathSync.native(probe);
      const rest = path.relative(probe, abs);
      const resolved = path.join(real, rest);
      if (resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) {
        throw new UsageError(
          `refusing ${what} ${JSON.stringify(rel)}: it resolves outside the project (through a symlink)`,
        );
      }
      return abs;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const parent = path.dirname(probe);
      if (parent === probe) return abs;
      probe = parent;
    }
  }
}

/**
 * Read a UTF-8 file; undefined when nothing is at the path. Only regular files are read: opening
 * a FIFO blocks until a writer appears, and a socket or device is no file a user edits. A
 * dangling symlink reads as `''`: an existing entry that is not dockforge's text, so it is never
 * replaced without `--force`.
 * @param shown the path as the error message names it (the project-relative one)
 * @throws EnvironmentError (exit 3) naming the path when it is a FIFO, socket, device or folder.
 */
export async function readIfExists(file: string, shown = file): Promise<string | undefined> {
  return readRegularFile(file, shown);
}

/**
 * Managed files that still hold conflict markers or have a `.rej` beside them.
 * @returns relative paths, sorted.
 */
export async function unresolvedConflicts(root: string, recorded: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rel of recorded) {
    const abs = await confinedPath(root, rel, 'manifest path');
    const text = await readIfExists(abs);
    if (text !== undefined && MARKER_RE.test(text)) out.push(rel);
    else if ((await readIfExists(`${abs}.rej`)) !== undefined) out.push(`${rel}.rej`);
  }
  return out.sort();
}

/** What the planner needs to know about the disk: the text at every path a run may touch. */
export interface DiskState {
  /**
   * Text of each path (managed files, recorded files, secrets, `.gitignore`, the record, the
   * answers); undefined when absent.
   */
  files: Map<string, string | undefined>;
}

/**
 * Read every path in `paths` (each confined to `root`), for {@link reconcile}, in order (the
 * reads are synchronous system calls: a few dozen small files, where a round trip through
 * libuv's thread pool for each cost more than the reads).
 * @throws UsageError for a path outside the project; I/O errors other than ENOENT as they come
 *   (the first in `paths` order when several fail).
 */
export async function readDisk(root: string, paths: Iterable<string>): Promise<DiskState> {
  const files = new Map<string, string | undefined>();
  for (const rel of new Set(paths)) files.set(rel, await readIfExists(await confinedPath(root, rel), rel));
  return { files };
}
