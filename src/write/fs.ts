/**
 * Filesystem primitives for carrying out a plan: atomic writes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Test hook: `DOCKFORGE_FAIL_AFTER_RENAMES=N` makes the process fail right after the N-th rename. */
let renames = 0;

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
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  renames += 1;
  const failAfter = Number(process.env.DOCKFORGE_FAIL_AFTER_RENAMES ?? 0);
  if (failAfter > 0 && renames >= failAfter) {
    throw new Error(`injected failure after ${renames} rename(s) (DOCKFORGE_FAIL_AFTER_RENAMES)`);
  }
}
