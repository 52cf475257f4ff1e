/**
 * The project lock: one writing run (`init`, `generate`) at a time per project, so two runs
 * cannot both plan from the same disk and lose each other's changes. Read-only runs (`status`,
 * `--dry-run`) take no lock.
 *
 * The lock is `.dockforge/lock`, created with O_CREAT|O_EXCL (`open(…, 'wx')`: atomic on local
 * file systems, POSIX open(2)) and holding `{pid, host, started}`. It is removed when the run
 * ends, also on SIGINT/SIGTERM and on any process exit. A lock left by a killed run is taken over when it names this
 * host and a pid that is not alive; any other lock refuses the run.
 */
import { promises as fs, rmSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { confinedPath, readIfExists } from '../plan/disk.js';

/** The lock file, relative to the project root. */
export const LOCK_PATH = '.dockforge/lock';

/** What the lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO 8601 time the run took the lock. */
  started: string;
}

/** A lock held by this process. */
export interface Lock {
  /** Remove the lock (idempotent); also removes `.dockforge/` when the lock created it and it is empty. */
  release(): Promise<void>;
}

/**
 * True when a process with id `pid` exists on this host (signal 0: POSIX kill(2); EPERM means it
 * exists but belongs to another user).
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The lock's holder, or undefined when the file is absent, empty, not a regular file (read
 * with the shared reader: a FIFO there must not block) or not ours to read.
 */
async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse((await readIfExists(file, LOCK_PATH)) ?? '') as Partial<LockInfo>;
    if (typeof info.pid !== 'number' || typeof info.host !== 'string') return undefined;
    return { pid: info.pid, host: info.host, started: String(info.started ?? '?') };
  } catch {
    return undefined;
  }
}

/** Create `file` exclusively with `info`; false when it exists. */
async function create(file: string, info: LockInfo): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await handle.writeFile(`${JSON.stringify(info)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** The one-line refusal. */
function busy(holder: LockInfo | undefined): UsageError {
  const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.started}` : 'holder unknown';
  return new UsageError(
    `another dockforge run is in progress (${who}): wait for it, or remove ${LOCK_PATH} if it is stale`,
  );
}

/**
 * Take the project lock of `root`.
 * @returns the held lock; call `release()` in a `finally`.
 * @throws UsageError (exit 2, nothing written) when another live run holds it, when its holder
 *   cannot be told (another host, unreadable file), or when `.dockforge` resolves outside the
 *   project (through a symlink).
 */
export async function acquireLock(root: string): Promise<Lock> {
  const file = await confinedPath(root, LOCK_PATH);
  const dir = path.dirname(file);
  let createdDir = false;
  try {
    await fs.mkdir(dir);
    createdDir = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  const removeDir = async (): Promise<void> => {
    if (createdDir) await fs.rmdir(dir).catch(() => undefined);
  };
  let taken = await create(file, me);
  if (!taken) {
    let holder = await readLock(file);
    // a run that has just created the lock writes its holder line next: give it up to 100 ms
    for (let i = 0; holder === undefined && i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      holder = await readLock(file);
    }
    const stale = holder !== undefined && holder.host === me.host && holder.pid !== me.pid && !pidAlive(holder.pid);
    if (!stale) {
      await removeDir();
      throw busy(holder);
    }
    // take over through a second exclusive file, so two runs that both saw the stale lock
    // cannot both remove it (the second would remove the first one's fresh lock)
    const takeover = `${file}.takeover`;
    if (await create(takeover, me)) {
      try {
        const again = await readLock(file);
        if (again && again.pid === holder!.pid && again.started === holder!.started) await fs.rm(file, { force: true });
        taken = await create(file, me);
      } finally {
        await fs.rm(takeover, { force: true });
      }
    }
    if (!taken) {
      await removeDir();
      throw busy(await readLock(file));
    }
  }
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    rmSync(file, { force: true });
  };
  const cleanupSync = (): void => {
    releaseSync();
    if (createdDir) {
      try {
        rmdirSync(dir);
      } catch {
        /* not empty: keep */
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanupSync();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // the process can also end without unwinding to `release` (stdin closed at a prompt)
  process.once('exit', cleanupSync);
  return {
    async release(): Promise<void> {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', cleanupSync);
      if (released) return;
      released = true;
      await fs.rm(file, { force: true });
      await removeDir();
    },
  };
}
