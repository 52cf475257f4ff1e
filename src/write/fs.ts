/**
 * Filesystem primitives for carrying out a plan: atomic writes, and the test hooks that stop a
 * run at a chosen point.
 *
 * Test hooks (environment variables, read at each point):
 * - `DOCKFORGE_FAIL_AFTER_RENAMES=N`: throw (exit 1, `finally` blocks run) right after the N-th rename;
 * - `DOCKFORGE_FAIL_AT=rename:N` | `fsync:N` | `journal`: the process kills itself with SIGKILL
 *   right after the N-th rename, right after the N-th fsync of a temporary file (before its
 *   rename: the temporary file stays, as after a real crash), or right after the journal is
 *   durable. Nothing runs after it (no `finally`, no lock release): the state a power cut leaves.
 * Renames and fsyncs are counted over the whole process, the journal's own included.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, unlinkSync } from 'node:fs';
import path from 'node:path';

let renames = 0;
let fsyncs = 0;

/** Name of a temporary file: `.<name>.dockforge-<pid>-<hex>.tmp` (see {@link TEMP_FILE_RE}). */
export const TEMP_FILE_RE = /^\.(.+)\.dockforge-(\d+)-[0-9a-f]+\.tmp$/;

/** A fresh temporary name for `file` in its folder: `.<name>.dockforge-<pid>-<hex>.tmp` ({@link TEMP_FILE_RE}). */
export function tempPath(file: string): string {
  const name = `.${path.basename(file)}.dockforge-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  return path.join(path.dirname(file), name);
}

/**
 * Remove the file `file`; nothing when it is absent (`rm -f` of one file). unlink(2) itself:
 * Node 20's `rmSync` loads its recursive-removal module for every call.
 * @throws the errno error of unlink otherwise (EACCES, EISDIR, …).
 */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** The glob for temporary files, as written to `.gitignore` and `.dockerignore`. */
export const TEMP_FILE_GLOB = '.*.dockforge-*.tmp';

/**
 * Test hook: kill this process with SIGKILL when `DOCKFORGE_FAIL_AT` names `point` (`journal`)
 * or `point:count` (`rename:3`, `fsync:2`). See the module comment.
 */
export function faultPoint(point: 'rename' | 'fsync' | 'journal', count = 0): void {
  const spec = process.env.DOCKFORGE_FAIL_AT;
  if (!spec) return;
  const [kind, n] = spec.split(':');
  if (kind !== point) return;
  if (point !== 'journal' && Number(n) !== count) return;
  process.kill(process.pid, 'SIGKILL');
  // not reached: SIGKILL cannot be caught
  throw new Error(`injected kill at ${spec} (DOCKFORGE_FAIL_AT)`);
}

/**
 * Flush a folder's entry list to disk, so a rename in it survives a power cut. Best effort:
 * some platforms (Windows) cannot open a folder; the rename itself is still atomic.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    /* best effort */
  } finally {
    await handle?.close();
  }
}

/** One file to write atomically: its absolute path, its text and its mode when it is new. */
export interface FileWrite {
  file: string;
  content: string;
  /** File mode for a new file (an existing file keeps its mode); default 0o644. */
  mode?: number;
}

/** A file written and flushed under its temporary name, not renamed yet. */
export interface PreparedWrite {
  file: string;
  tmp: string;
}

/**
 * Write and fsync the temporary file of each of `writes` (`.<name>.dockforge-<pid>-<hex>.tmp`
 * in the target's folder, which is created), all at once: the waits for the disk overlap.
 * Each completed fsync is counted for `DOCKFORGE_FAIL_AT=fsync:N`.
 * @returns the prepared files, in the order of `writes`.
 * @throws the first I/O error; every temporary file made is removed first.
 */
export async function prepareWrites(writes: readonly FileWrite[]): Promise<PreparedWrite[]> {
  for (const dir of new Set(writes.map((w) => path.dirname(w.file)))) await fs.mkdir(dir, { recursive: true });
  const made: string[] = [];
  const results = await Promise.allSettled(
    writes.map(async (w) => {
      let finalMode = w.mode ?? 0o644;
      try {
        finalMode = (await fs.stat(w.file)).mode & 0o777;
      } catch {
        /* new file */
      }
      const tmp = tempPath(w.file);
      const handle = await fs.open(tmp, 'wx', finalMode);
      made.push(tmp);
      try {
        await handle.writeFile(w.content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      fsyncs += 1;
      faultPoint('fsync', fsyncs);
      return { file: w.file, tmp };
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(made.map((t) => fs.rm(t, { force: true })));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<PreparedWrite>).value);
}

/**
 * Rename each prepared file over its target, in order: readers see the old or the new file,
 * never half of one. Counts renames for the test hooks (`DOCKFORGE_FAIL_AT=rename:N`,
 * `DOCKFORGE_FAIL_AFTER_RENAMES=N`). Folders are not flushed here ({@link syncDirs}).
 * @throws the rename's I/O error, or the injected failure; the temporary files not renamed are
 *   removed first (files renamed before stay).
 */
export async function commitWrites(prepared: readonly PreparedWrite[]): Promise<void> {
  for (let i = 0; i < prepared.length; i++) {
    try {
      await fs.rename(prepared[i]!.tmp, prepared[i]!.file);
      renames += 1;
      faultPoint('rename', renames);
      const failAfter = Number(process.env.DOCKFORGE_FAIL_AFTER_RENAMES ?? 0);
      if (failAfter > 0 && renames >= failAfter) {
        throw new Error(`injected failure after ${renames} rename(s) (DOCKFORGE_FAIL_AFTER_RENAMES)`);
      }
    } catch (e) {
      await Promise.all(prepared.slice(i).map((p) => fs.rm(p.tmp, { force: true })));
      throw e;
    }
  }
}

/** Flush each folder of `files` (absolute paths) once, all at once (see {@link syncDir}). */
export async function syncDirs(files: Iterable<string>): Promise<void> {
  await Promise.all([...new Set([...files].map((f) => path.dirname(f)))].map(syncDir));
}

/**
 * Write `content` to `file` atomically: a temporary file in the same folder, flushed to disk,
 * then renamed over the target, so readers see the old or the new file, never half of one.
 * The folder is not flushed (see {@link syncDir}).
 * @param mode file mode for a new file (an existing file keeps its mode).
 * @throws the underlying I/O error; the temporary file is removed first.
 */
export async function atomicWrite(file: string, content: string, mode = 0o644): Promise<void> {
  await commitWrites(await prepareWrites([{ file, content, mode }]));
}
