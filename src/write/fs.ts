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
import { promises as fs } from 'node:fs';
import path from 'node:path';

let renames = 0;
let fsyncs = 0;

/** Name of a temporary file: `.<name>.dockforge-<pid>-<hex>.tmp` (see {@link TEMP_FILE_RE}). */
export const TEMP_FILE_RE = /^\.(.+)\.dockforge-(\d+)-[0-9a-f]+\.tmp$/;

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

/**
 * Write `content` to `file` atomically: a temporary file in the same folder, flushed to disk,
 * then renamed over the target, so readers see the old or the new file, never half of one.
 * @param mode file mode for a new file (an existing file keeps its mode).
 * @throws the underlying I/O error; the temporary file is removed first.
 */
export async function atomicWrite(file: string, content: string, mode = 0o644): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  let finalMode = mode;
  try {
    finalMode = (await fs.stat(file)).mode & 0o777;
  } catch {
    /* new file */
  }
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.dockforge-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await fs.open(tmp, 'wx', finalMode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  fsyncs += 1;
  faultPoint('fsync', fsyncs);
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  renames += 1;
  faultPoint('rename', renames);
  const failAfter = Number(process.env.DOCKFORGE_FAIL_AFTER_RENAMES ?? 0);
  if (failAfter > 0 && renames >= failAfter) {
    throw new Error(`injected failure after ${renames} rename(s) (DOCKFORGE_FAIL_AFTER_RENAMES)`);
  }
}
