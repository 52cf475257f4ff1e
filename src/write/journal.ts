/**
 * The journal of a writing run (`.dockforge/journal.json`): what the run is about to write,
 * made durable before its first file is replaced and removed after the record and answers are
 * written. A run killed in between leaves it; the next writing run (under the project lock)
 * completes the interrupted one from it before planning its own (redo logging, as a database
 * does it), then removes the interrupted run's temporary files.
 *
 * Secret values are never journaled (the journal is not git-ignored): a secret entry holds the
 * path, keys and derived-line templates; completing it makes a missing secret file with a new
 * random value (what the interrupted run would have done) and brings an existing one's derived
 * lines up to date, keeping its value.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { confinedPath, readIfExists } from '../plan/disk.js';
import type { Change, Plan } from '../plan/reconcile.js';
import { updateSecretFile, writes } from '../plan/reconcile.js';
import { sha256 } from '../files.js';
import { RECORD_PATH } from '../plan/record.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import { TEMP_FILE_RE, atomicWrite, faultPoint, removeFile, syncDir } from './fs.js';
import { pidAlive } from './lock.js';

/** The journal file, relative to the project root. */
export const JOURNAL_PATH = '.dockforge/journal.json';

/** Format tag of the journal. */
const FORMAT = 'dockforge-journal/1';

/** One planned change, as journaled. */
export type JournalEntry =
  /** Replace (or create) `path` with `content`; `before` is the sha256 of the text it replaces (null: absent). */
  | { op: 'write'; path: string; content: string; sha256: string; before: string | null; mode: number }
  /** Remove `path` when it still holds the text with sha256 `before`. */
  | { op: 'delete'; path: string; before: string | null }
  /** A secret file: its keys and derived-line templates (`${secret}` for the value), never its value. */
  | { op: 'secret'; path: string; keys: string[]; derived: { key: string; value: string }[] };

/** The journal of one run. */
export interface Journal {
  format: typeof FORMAT;
  pid: number;
  /** ISO 8601. */
  started: string;
  /** In the order they are carried out. */
  changes: JournalEntry[];
  /** Written after the changes, when `metaChanged`. */
  metaChanged: boolean;
  recordText: string;
  answersText: string;
}

/**
 * The text of a new secret file: each of `keys` set to one random value (24 bytes, base64url:
 * 192 bits, safe in env files and URLs), then each derived line with `${secret}` replaced by it.
 */
export function newSecretText(keys: readonly string[], derived: readonly { key: string; value: string }[]): string {
  const value = randomBytes(24).toString('base64url');
  const lines = [
    ...keys.map((k) => `${k}=${value}`),
    ...derived.map((d) => `${d.key}=${d.value.split('${secret}').join(value)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The journal entry of one change that writes (see {@link writes}). */
function entryOf(c: Change): JournalEntry {
  if (c.action === 'secret') return { op: 'secret', path: c.path, keys: c.keys ?? [], derived: c.derived ?? [] };
  const before = c.before === undefined ? null : sha256(c.before);
  if (c.action === 'deleted') return { op: 'delete', path: c.path, before };
  return { op: 'write', path: c.path, content: c.content!, sha256: sha256(c.content!), before, mode: 0o644 };
}

/**
 * The journal of carrying out `changes` (already ordered, see `execute`) and then `plan`'s record and answers.
 */
export function journalOf(plan: Plan, changes: readonly Change[]): Journal {
  return {
    format: FORMAT,
    pid: process.pid,
    started: new Date().toISOString(),
    changes: changes.filter(writes).map(entryOf),
    metaChanged: plan.metaChanged,
    recordText: plan.recordText,
    answersText: plan.answersText,
  };
}

/**
 * Write the journal atomically and durably (file and folder fsynced); then the test hook
 * `DOCKFORGE_FAIL_AT=journal` may kill the process.
 * @throws UsageError when the journal path resolves outside the project; I/O errors as they come.
 */
export async function writeJournal(root: string, journal: Journal): Promise<void> {
  const file = await confinedPath(root, JOURNAL_PATH);
  await atomicWrite(file, `${JSON.stringify(journal)}\n`);
  await syncDir(path.dirname(file));
  faultPoint('journal');
}

/** Remove the journal (the run it describes is complete). */
export async function removeJournal(root: string): Promise<void> {
  const file = await confinedPath(root, JOURNAL_PATH);
  await fs.rm(file, { force: true });
  await syncDir(path.dirname(file));
}

/** Parse and check a journal's text. */
function parseJournal(text: string): Journal {
  const bad = (why: string): UsageError =>
    new UsageError(`${JOURNAL_PATH} is not a dockforge journal (${why}): remove it, then run dockforge again`);
  let j: Journal;
  try {
    j = JSON.parse(text) as Journal;
  } catch {
    throw bad('not JSON');
  }
  if (j?.format !== FORMAT || !Array.isArray(j.changes)) throw bad('unknown format');
  if (typeof j.recordText !== 'string' || typeof j.answersText !== 'string') throw bad('no record or answers');
  for (const e of j.changes) {
    if (typeof e?.path !== 'string') throw bad('an entry without a path');
    if (e.op === 'write' && (typeof e.content !== 'string' || typeof e.sha256 !== 'string')) throw bad('bad entry');
    const op = (e as { op?: unknown }).op;
    if (op !== 'write' && op !== 'delete' && op !== 'secret') throw bad(`unknown operation ${String(op)}`);
  }
  return j;
}

/** What {@link recoverJournal} did. */
export interface Recovery {
  /** Paths the interrupted run had not written yet, written now (record and answers included). */
  completed: string[];
  /** Paths changed by someone since the interrupted run planned them: left as they are. */
  skipped: string[];
}

/**
 * Complete a run that was interrupted: re-apply every journaled change that is not on disk yet
 * (a file still holding the text it replaced, or absent when it was new), then the record and
 * answers, then remove the journal. A file that holds neither the old nor the planned text was
 * edited since: it is left alone (the record then treats the edit as the user's).
 * Call it under the project lock, before reading the record.
 * @returns undefined when there is no journal.
 * @throws UsageError for a malformed journal or a journaled path outside the project (nothing
 *   written: every path is checked first); I/O errors as they come (the journal stays).
 */
export async function recoverJournal(root: string): Promise<Recovery | undefined> {
  const text = await readIfExists(await confinedPath(root, JOURNAL_PATH));
  if (text === undefined) return undefined;
  const j = parseJournal(text);
  const abs = new Map<string, string>();
  for (const p of [...j.changes.map((e) => e.path), RECORD_PATH, ANSWERS_PATH]) {
    abs.set(p, await confinedPath(root, p, 'journal path'));
  }
  const out: Recovery = { completed: [], skipped: [] };
  for (const e of j.changes) {
    const file = abs.get(e.path)!;
    const disk = await readIfExists(file);
    if (e.op === 'secret') {
      if (!Array.isArray(e.keys) || !Array.isArray(e.derived)) continue;
      const text = disk === undefined ? newSecretText(e.keys, e.derived) : updateSecretFile(disk, e.keys, e.derived);
      if (text !== undefined && text !== disk) {
        await atomicWrite(file, text, 0o600);
        out.completed.push(e.path);
      }
      continue;
    }
    // a path that was absent was planned as '' (e.g. a new .gitignore)
    const diskSha = disk === undefined ? (e.before === sha256('') ? e.before : null) : sha256(disk);
    if (e.op === 'delete') {
      if (disk === undefined) continue;
      if (diskSha === e.before) {
        await fs.rm(file, { force: true });
        out.completed.push(e.path);
      } else out.skipped.push(e.path);
      continue;
    }
    if (diskSha === e.sha256) continue;
    if (diskSha === e.before) {
      await atomicWrite(file, e.content, e.mode);
      out.completed.push(e.path);
    } else out.skipped.push(e.path);
  }
  if (j.metaChanged) {
    for (const [p, t] of [
      [RECORD_PATH, j.recordText],
      [ANSWERS_PATH, j.answersText],
    ] as const) {
      if ((await readIfExists(abs.get(p)!)) === t) continue;
      await atomicWrite(abs.get(p)!, t);
      out.completed.push(p);
    }
  }
  await removeJournal(root);
  return out;
}

/** The folders (relative, `''` for the root) of every path in `paths`. */
export function foldersOf(paths: Iterable<string>): string[] {
  const out = new Set<string>(['', '.dockforge']);
  for (const p of paths) out.add(path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p));
  return [...out];
}

/**
 * Remove the temporary files of dockforge runs that are gone: `.<name>.dockforge-<pid>-<hex>.tmp`
 * in the folders `dirs` (relative to `root`) whose pid is not a live process on this host.
 * Folders outside the project or absent are skipped. Synchronous calls: a listing per folder
 * at the start of every writing run, most of them with nothing to remove.
 * @returns the removed files, relative to `root`.
 */
export async function cleanStaleTemps(root: string, dirs: Iterable<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const rel of new Set(dirs)) {
    let dir: string;
    let names: string[];
    try {
      dir = rel === '' ? root : await confinedPath(root, rel);
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = TEMP_FILE_RE.exec(name);
      if (!m) continue;
      const pid = Number(m[2]);
      if (pid === process.pid || pidAlive(pid)) continue;
      removeFile(path.join(dir, name));
      removed.push(rel === '' ? name : `${rel}/${name}`);
    }
  }
  return removed.sort();
}
