/**
 * `status` as a CI gate: what a plan means for "would `generate` change anything?". Pure.
 *
 * Up to date (exit 0) means `generate` would write nothing that matters. States that are the
 * intended result of earlier runs are information, not drift: a user's edit the merge keeps, a
 * git-ignored secret file absent in a fresh clone (the next `generate` makes it), a file the
 * user deleted on purpose (ejected: never recreated). Drift is anything `generate` would change:
 * a file's content, a missing managed file it would recreate, `.gitignore` lines, the answers
 * file, or the record beyond noting an ejection — and unresolved conflicts.
 */
import type { Change, Plan } from './reconcile.js';
import type { GenerationRecord } from './record.js';

/** One file's state; `drift: true` makes `status` exit 1. */
export interface FileStatus {
  /** Relative, `/`-separated path. */
  path: string;
  /**
   * `conflicted` (markers or `.rej` left), `drifted` (generate would change it), `missing`
   * (generate would recreate it); information: `edited` (your edit, kept by generate),
   * `ejected` (deleted by you, not recreated), `secret-absent` (git-ignored, made by generate).
   */
  state: 'conflicted' | 'drifted' | 'missing' | 'edited' | 'ejected' | 'secret-absent';
  /** True for the states that mean generate would change something. */
  drift: boolean;
  /** What generate would do, or why it is only information. */
  detail: string;
}

/** The whole answer of `status`. */
export interface ProjectStatus {
  /** True when `generate` would change nothing (the exit status is 0). */
  upToDate: boolean;
  /** Every file that is not simply unchanged, in plan order (conflicts first). */
  files: FileStatus[];
  /** The answers file or the record of generated files would be rewritten. */
  metadata: { answers: boolean; record: boolean };
}

/** The record with the files it lists as ejected taken out of `files`, as a comparable string. */
function normalRecord(r: GenerationRecord, ejected: ReadonlySet<string>): string {
  return JSON.stringify({
    dockforge: r.dockforge,
    pack: r.pack,
    files: r.files.filter((f) => !ejected.has(f.path)),
    secrets: [...new Set(r.secrets)].sort(),
    ejected: [
      ...new Set([...(r.ejected ?? []), ...r.files.filter((f) => ejected.has(f.path)).map((f) => f.path)]),
    ].sort(),
  });
}

/** One change's status, or undefined for a change that is no news (unchanged). */
function fileStatus(c: Change): FileStatus | undefined {
  switch (c.action) {
    case 'unchanged':
      return undefined;
    case 'kept':
      return { path: c.path, state: 'edited', drift: false, detail: 'your edits; generate keeps them' };
    case 'ejected':
      return { path: c.path, state: 'ejected', drift: false, detail: 'deleted by you; generate does not recreate it' };
    case 'created':
      return { path: c.path, state: 'missing', drift: true, detail: 'generate would recreate it' };
    case 'secret':
      return c.content === undefined
        ? { path: c.path, state: 'secret-absent', drift: false, detail: 'git-ignored secret; generate makes it' }
        : { path: c.path, state: 'drifted', drift: true, detail: 'generate would update its derived lines' };
    default:
      return { path: c.path, state: 'drifted', drift: true, detail: `generate would: ${c.action}` };
  }
}

/**
 * The status of a project from a read-only plan.
 * @param plan the plan `generate` would carry out (with the saved answers, no `--set`).
 * @param pending files with conflict markers or `.rej` files left by an earlier run.
 * @param before the record of generated files as read from disk (undefined: none).
 */
export function projectStatus(
  plan: Plan,
  pending: readonly string[],
  before: GenerationRecord | undefined,
): ProjectStatus {
  const files: FileStatus[] = pending.map((p) => ({
    path: p,
    state: 'conflicted' as const,
    drift: true,
    detail: 'conflict markers or a .rej file: resolve them, then run generate',
  }));
  const seen = new Set(pending);
  for (const c of plan.changes) {
    if (seen.has(c.path)) continue;
    const s = fileStatus(c);
    if (s) files.push(s);
  }
  const ejected = new Set(plan.record.ejected ?? []);
  const record =
    plan.recordChanged && (!before || normalRecord(before, ejected) !== normalRecord(plan.record, ejected));
  const metadata = { answers: plan.answersChanged, record };
  return { upToDate: !files.some((f) => f.drift) && !metadata.answers && !metadata.record, files, metadata };
}
