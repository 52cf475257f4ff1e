/**
 * The project lock: one writing run (`init`, `generate`) at a time per project, so two runs
 * cannot both plan from the same disk and lose each other's changes. Read-only runs (`status`,
 * `--dry-run`) take no lock.
 *
 * The lock is `.dockforge/lock`, holding `{pid, host, started}`. It is written and flushed under
 * a temporary name, then hard-linked to its name: link(2) fails with EEXIST when the lock
 * exists, as an O_CREAT|O_EXCL open does (POSIX), and another run never reads a lock whose holder
 * line is not written yet. Where the file system has no hard links (EPERM, ENOTSUP: FAT), it is
 * created with O_CREAT|O_EXCL and written in place. A run that finds the lock taken and then
 * gone (its holder finished in between) tries again, up to three times, instead of refusing
 * with no holder to name. The lock is removed when the run ends, also on SIGINT/SIGTERM and on
 * any process exit. A lock left by a killed run is taken over when it names this host and a pid
 * that is not alive; any other lock refuses the run.
 *
 * The file calls are synchronous: they are a handful of small ones at the start of a run, and each
 * asynchronous call is a round trip through libuv's thread pool.
 */
import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, rmdirSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { confinedPath, readIfExists } from '../plan/disk.js';
import { removeFile, tempPath } from './fs.js';

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

/** True when something is at `file`. */
function exists(file: string): boolean {
  return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}

/** Write `text` to the new file `file` (exclusive create, 0644) and flush it. */
function writeNew(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Create `file` exclusively, already holding `info` (see the module comment); false when it exists. */
function create(file: string, info: LockInfo): boolean {
  const text = `${JSON.stringify(info)}\n`;
  const tmp = tempPath(file);
  try {
    writeNew(tmp, text);
    linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
  } finally {
    removeFile(tmp);
  }
  // no hard links here: exclusive create, then the holder line
  try {
    writeNew(file, text);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
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
    mkdirSync(dir);
    createdDir = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  const removeDir = (): void => {
    if (!createdDir) return;
    try {
      rmdirSync(dir);
    } catch {
      /* not empty: keep */
    }
  };
  let taken = create(file, me);
  let holder = taken ? undefined : await readLock(file);
  // a holder that released the lock between the two calls leaves nothing to refuse on: again
  for (let i = 0; i < 3 && !taken && holder === undefined && !exists(file); i++) {
    taken = create(file, me);
    holder = taken ? undefined : await readLock(file);
  }
  if (!taken) {
    const stale = holder !== undefined && holder.host === me.host && holder.pid !== me.pid && !pidAlive(holder.pid);
    if (!stale) {
      removeDir();
      throw busy(holder);
    }
    // take over through a second exclusive file, so two runs that both saw the stale lock
    // cannot both remove it (the second would remove the first one's fresh lock)
    const takeover = `${file}.takeover`;
    if (create(takeover, me)) {
      try {
        const again = await readLock(file);
        if (again && again.pid === holder!.pid && again.started === holder!.started) removeFile(file);
        taken = create(file, me);
      } finally {
        removeFile(takeover);
      }
    }
    if (!taken) {
      removeDir();
      throw busy(await readLock(file));
    }
  }
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    removeFile(file);
  };
  const cleanupSync = (): void => {
    releaseSync();
    removeDir();
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
      cleanupSync();
    },
  };
}
