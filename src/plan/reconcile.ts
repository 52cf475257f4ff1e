/**
 * The plan: what a run would change, decided from the new render, the record of generated
 * files (the merge base) and the disk — pure, read nothing, write nothing.
 *
 * Per file, with base = recorded text, yours = disk, template = new render (Copier's update,
 * without re-rendering the old template version):
 * - yours == template → nothing to do; yours == base → write the template; template == base → keep yours;
 * - otherwise a line-based three-way merge; conflicts get markers (or a `.rej` file).
 */
import { createTwoFilesPatch } from 'diff';
import { UsageError } from '../errors.js';
import type { Rendered } from '../render/render.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import type { DiskState } from './disk.js';
import { merge3 } from './merge.js';
import type { GenerationRecord, RecordedFile } from './record.js';
import { sha256 } from '../files.js';
import { RECORD_PATH, recordToJson } from './record.js';

/**
 * The `.gitignore` line for dockforge's temporary files (`.<name>.dockforge-<pid>-<hex>.tmp`,
 * see `write/fs.ts`), added with the secret folders: a killed run's debris is never committed.
 */
export const TEMP_FILE_GITIGNORE = '.*.dockforge-*.tmp';

/** What happened (or would happen) to one path. */
export type Action =
  | 'created' // new file
  | 'updated' // unedited file, new render written
  | 'merged' // user edits and template changes merged cleanly
  | 'kept' // user edits kept; the template did not change
  | 'unchanged' // nothing to do
  | 'conflict' // merged with conflict markers
  | 'rejected' // user's file kept; template change written to <path>.rej
  | 'forced' // template written over yours with --force (user edits dropped)
  | 'deleted' // no longer generated, unedited: removed
  | 'orphaned' // no longer generated but edited: kept, no longer managed
  | 'ejected' // managed file the user deleted: not recreated
  | 'secret' // secret file created with random values
  | 'gitignore'; // .gitignore entries added

/** One planned change. */
export interface Change {
  path: string;
  action: Action;
  /** Text to write (absent for deletions, no-ops and secrets). */
  content?: string;
  /** Text on disk before. */
  before?: string;
  /** Secret files: the keys to write, each `KEY=<random>` (the value is made when written). */
  keys?: string[];
  /** Secret files: derived lines, `${secret}` replaced by the random value when written. */
  derived?: { key: string; value: string }[];
  /** Extra detail for the summary (e.g. number of conflict hunks). */
  detail?: string;
}

/** How to plan. */
export interface PlanOptions {
  /** Overwrite files dockforge did not write, and write the template over conflicting edits. */
  force?: boolean;
  /** How conflicts are left: inline markers (default) or `<path>.rej`. */
  conflict?: 'inline' | 'rej';
  /**
   * Files dockforge did not write that the user agreed to replace (interactive `init`'s
   * "overwrite" choice): replaced like `force` does, without forcing anything else.
   */
  overwrite?: ReadonlySet<string>;
}

/** A complete plan: every change, then the record and answers to write last. */
export interface Plan {
  changes: Change[];
  /** Files left with conflicts (markers or .rej). */
  conflicts: string[];
  /** The record after this run. */
  record: GenerationRecord;
  /** Its text, and whether it or the answers text differs from the disk. */
  recordText: string;
  answersText: string;
  metaChanged: boolean;
  /** Which of the two differs from the disk (`metaChanged` is their or). */
  recordChanged: boolean;
  answersChanged: boolean;
  /** True when something on disk changes. */
  changed: boolean;
}

/** Every path {@link reconcile} needs read from disk for `rendered` and `record`. */
export function pathsToRead(rendered: Rendered, record: GenerationRecord | undefined): string[] {
  return [
    ...rendered.files.map((f) => f.path),
    ...(record?.files ?? []).map((f) => f.path),
    ...rendered.secrets.map((s) => s.path),
    '.gitignore',
    RECORD_PATH,
    ANSWERS_PATH,
  ];
}

/**
 * Which recorded paths a run may delete: the output paths the pack declares (`Rendered.outputs`,
 * every templated path expanded over its answers' choices), never under `.git/`, never a secret
 * file (this render's or the record's), the record or the answers. The record is committed and
 * so untrusted input: a pull request can add any path to it (issue "Reliability and security", 1).
 */
export function deletableTest(rendered: Rendered, record: GenerationRecord | undefined): (p: string) => boolean {
  const outputs = new Set(rendered.outputs);
  const secrets = new Set([...rendered.secrets.map((s) => s.path), ...(record?.secrets ?? [])]);
  return (p) =>
    outputs.has(p) && !/(^|\/)\.git(\/|$)/.test(p) && !secrets.has(p) && p !== RECORD_PATH && p !== ANSWERS_PATH;
}

/**
 * The managed files the user deleted: the record's ejected files and the recorded files that
 * are not on disk (ejected by this run).
 * @param disk the text of every path from {@link pathsToRead}.
 */
export function absentPaths(record: GenerationRecord | undefined, disk: DiskState): Set<string> {
  const gone = (record?.files ?? []).filter((f) => disk.files.get(f.path) === undefined).map((f) => f.path);
  return new Set([...(record?.ejected ?? []), ...gone]);
}

/**
 * The rendered files that exist on disk, differ from the render and that dockforge did not write
 * (not in the record, not ejected): the files `init` refuses to overwrite without `--force`.
 * @param disk the text of every path from {@link pathsToRead}.
 * @returns their paths, in pack order.
 */
export function foreignPaths(rendered: Rendered, record: GenerationRecord | undefined, disk: DiskState): string[] {
  const recorded = new Set([...(record?.files ?? []).map((f) => f.path), ...(record?.ejected ?? [])]);
  return rendered.files
    .filter((f) => !recorded.has(f.path))
    .filter((f) => {
      const ours = disk.files.get(f.path);
      return ours !== undefined && ours !== f.content;
    })
    .map((f) => f.path);
}

/**
 * Decide every change of a run.
 * @param disk the text of every path from {@link pathsToRead}.
 * @throws UsageError (exit 2) when files that dockforge did not write would be overwritten without `force`.
 */
export function reconcile(
  rendered: Rendered,
  record: GenerationRecord | undefined,
  disk: DiskState,
  opts: PlanOptions = {},
): Plan {
  const read = (p: string): string | undefined => disk.files.get(p);
  const recorded = new Map<string, RecordedFile>((record?.files ?? []).map((f) => [f.path, f]));
  const ejected = new Set(record?.ejected ?? []);
  const changes: Change[] = [];
  const next: RecordedFile[] = [];
  // files dockforge did not write are replaced only with --force or the user's agreement
  const foreign = opts.force ? [] : foreignPaths(rendered, record, disk).filter((p) => !opts.overwrite?.has(p));
  if (foreign.length > 0) {
    throw new UsageError(
      `refusing to overwrite files dockforge did not write: ${foreign.join(', ')} (move them away or pass --force)`,
    );
  }

  for (const file of rendered.files) {
    const ours = read(file.path);
    const theirs = file.content;
    const rec = recorded.get(file.path);
    const keep = (): void => {
      next.push({ path: file.path, template: file.template, sha256: sha256(theirs), base: theirs });
    };
    if (ours === undefined) {
      if (rec || ejected.has(file.path)) {
        changes.push({ path: file.path, action: 'ejected', detail: 'deleted by you; not recreated' });
        ejected.add(file.path);
        continue;
      }
      changes.push({ path: file.path, action: 'created', content: theirs });
      keep();
      continue;
    }
    if (!rec && ejected.has(file.path)) {
      // an ejected file the user brought back is theirs; its next merge base is this render
      ejected.delete(file.path);
      changes.push({ path: file.path, action: ours === theirs ? 'unchanged' : 'kept', detail: 'managed again' });
      keep();
      continue;
    }
    if (ours === theirs) {
      changes.push({ path: file.path, action: 'unchanged' });
      keep();
      continue;
    }
    if (!rec) {
      // a file dockforge did not write, agreed to above
      changes.push({
        path: file.path,
        action: 'forced',
        content: theirs,
        before: ours,
        detail: 'existing file replaced',
      });
      keep();
      continue;
    }
    changes.push(decide(file.path, ours, rec.base, theirs, opts));
    keep();
  }

  // files generated last time but not in this render
  const planned = new Set(rendered.files.map((f) => f.path));
  const deletable = deletableTest(rendered, record);
  for (const rec of record?.files ?? []) {
    if (planned.has(rec.path)) continue;
    const ours = read(rec.path);
    if (ours === undefined) continue;
    // the record is committed, so untrusted: a path it lists is deleted only when the pack
    // declares it as an output and the file is exactly what dockforge wrote (--force included)
    if (!deletable(rec.path)) {
      changes.push({
        path: rec.path,
        action: 'orphaned',
        detail: 'listed in the record but not a file this pack generates: kept, no longer managed',
      });
    } else if (ours === rec.base) changes.push({ path: rec.path, action: 'deleted', before: ours });
    else {
      changes.push({
        path: rec.path,
        action: 'orphaned',
        detail: 'no longer generated, but edited by you: kept, no longer managed',
      });
    }
  }

  // secret files: random values, never rewritten. They are git-ignored, so a fresh clone
  // has none: a missing one is made, with a warning when it was made before (a database
  // initialised with the old password needs the old file back, not a new one).
  const secrets = new Set(record?.secrets ?? []);
  for (const s of rendered.secrets) {
    const existing = read(s.path);
    if (existing === undefined) {
      const detail = secrets.has(s.path)
        ? 'was missing: a new random value; restore the old file if a database already uses it'
        : undefined;
      changes.push({ path: s.path, action: 'secret', keys: s.keys, derived: s.derived, detail });
    } else {
      const updated = updateSecretFile(existing, s.keys, s.derived);
      if (updated !== undefined && updated !== existing) {
        const detail = 'derived lines updated; the random value kept';
        changes.push({ path: s.path, action: 'secret', content: updated, detail });
      }
    }
    secrets.add(s.path);
  }

  // .gitignore: append what is missing (the secret folders, and the temporary files of an
  // interrupted write). Whether git then really ignores the secrets (a later `!` line, a nested
  // .gitignore) is checked by the writer before anything is written.
  if (rendered.gitignore.length > 0) {
    const before = read('.gitignore') ?? '';
    const have = new Set(before.split(/\r?\n/).map((l) => l.trim()));
    const entries = [...rendered.gitignore, TEMP_FILE_GITIGNORE];
    const missing = entries.filter((l) => !have.has(l) && !have.has(l.replace(/^\//, '')));
    if (missing.length > 0) {
      const sep = before === '' || before.endsWith('\n') ? '' : '\n';
      const content = `${before}${sep}# dockforge: generated secrets, never commit\n${missing.join('\n')}\n`;
      changes.push({ path: '.gitignore', action: 'gitignore', content, before, detail: missing.join(' ') });
    }
  }

  const conflicts = changes.filter((c) => c.action === 'conflict' || c.action === 'rejected').map((c) => c.path);
  const nextRecord: GenerationRecord = {
    dockforge: rendered.version,
    pack: rendered.pack,
    files: next,
    secrets: [...secrets],
    ejected: [...ejected],
  };
  const recordText = recordToJson(nextRecord);
  const recordChanged = read(RECORD_PATH) !== recordText;
  const answersChanged = read(ANSWERS_PATH) !== rendered.answersText;
  const metaChanged = recordChanged || answersChanged;
  const changed = changes.some(writes) || metaChanged;
  return {
    changes,
    conflicts,
    record: nextRecord,
    recordText,
    answersText: rendered.answersText,
    metaChanged,
    recordChanged,
    answersChanged,
    changed,
  };
}

/**
 * The text of an existing secret file with its derived lines brought up to date: the random
 * value is read from the first of `keys` present; missing keys are added with it; every other
 * line (the user's own) is kept.
 * @returns undefined when no key holds a value (the file is the user's: left alone).
 */
export function updateSecretFile(
  text: string,
  keys: string[],
  derived: { key: string; value: string }[],
): string | undefined {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const valueOf = (k: string): string | undefined => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
  const secret = keys.map(valueOf).find((v) => v !== undefined && v !== '');
  if (secret === undefined) return undefined;
  const set = (key: string, value: string): void => {
    const i = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (i >= 0) lines[i] = `${key}=${value}`;
    else lines.push(`${key}=${value}`);
  };
  for (const k of keys) if (valueOf(k) === undefined) set(k, secret);
  for (const d of derived) set(d.key, d.value.split('${secret}').join(secret));
  return `${lines.join('\n')}\n`;
}

/** A managed file both on disk and in the record: the three-way decision. */
function decide(path: string, ours: string, base: string, theirs: string, opts: PlanOptions): Change {
  if (ours === base) return { path, action: 'updated', content: theirs, before: ours };
  if (theirs === base) return { path, action: 'kept', detail: 'your edits kept' };
  if (opts.force) return { path, action: 'forced', content: theirs, before: ours, detail: 'your edits dropped' };
  const merged = merge3(ours, base, theirs);
  if (merged.conflicts === 0) return { path, action: 'merged', content: merged.text, before: ours };
  if (opts.conflict === 'rej') {
    const rej = createTwoFilesPatch(`a/${path}`, `b/${path}`, base, theirs, 'last generated', 'template');
    return {
      path: `${path}.rej`,
      action: 'rejected',
      content: rej,
      detail: `${merged.conflicts} conflicting hunk(s); your file kept`,
    };
  }
  return {
    path,
    action: 'conflict',
    content: merged.text,
    before: ours,
    detail: `${merged.conflicts} conflicting hunk(s)`,
  };
}

/** True when carrying out `c` touches the disk. */
export function writes(c: Change): boolean {
  return c.content !== undefined || c.action === 'deleted' || c.action === 'secret';
}

/** A unified diff of every change that writes (secrets excluded: their content is never shown). */
export function planDiff(plan: Plan): string {
  return plan.changes
    .filter((c) => writes(c) && c.action !== 'secret')
    .map((c) =>
      createTwoFilesPatch(
        `a/${c.path}`,
        `b/${c.path}`,
        c.before ?? '',
        c.action === 'deleted' ? '' : c.content!,
        c.before === undefined ? '(new)' : '',
        c.action === 'deleted' ? '(deleted)' : '',
      ),
    )
    .join('');
}
