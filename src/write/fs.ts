/**
 * Filesystem primitives for applying a plan: confined paths and atomic writes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../answers/schema.js';

/**
 * Join `rel` onto `root`, refusing anything that would land outside `root`: absolute paths,
 * `..` segments, and paths whose existing parent resolves (through a symlink) outside.
 * @param root absolute project root.
 * @param rel relative `/`-separated path (from a pack or an untrusted manifest).
 * @returns the absolute path.
 * @throws UsageError naming the path.
 */
export async function confinedPath(root: string, rel: string, what = 'path'): Promise<string> {
  if (typeof rel !== 'string' || rel === '' || path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.split(/[\\/]/).some((s) => s === '..')) {
    throw new UsageError(`refusing ${what} ${JSON.stringify(rel)}: expected a relative path inside the project, without ".."`);
  }
  const realRoot = await fs.realpath(root);
  const abs = path.join(root, rel);
  // walk up to the nearest existing ancestor and resolve symlinks there
  let probe = abs;
  for (;;) {
    try {
      const real = await fs.realpath(probe);
      const rest = path.relative(probe, abs);
      const resolved = path.join(real, rest);
      if (resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) {
        throw new UsageError(`refusing ${what} ${JSON.stringify(rel)}: it resolves outside the project (through a symlink)`);
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

/** Read a UTF-8 file; undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

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
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.dockforge-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
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
