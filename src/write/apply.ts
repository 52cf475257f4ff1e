/**
 * Apply a plan to disk: decide per file against the last generated text (the merge base),
 * merge, then write atomically. Nothing is written until every decision is made, and the
 * manifest and answers are written last, so an interrupted run can be repeated.
 *
 * Per file, with base = recorded text, ours = disk, theirs = new render (Copier's update,
 * without re-rendering the old template version):
 * - ours == theirs → nothing to do; ours == base → write theirs; theirs == base → keep ours;
 * - otherwise a line-based three-way merge; conflicts get markers (or a `.rej` file).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { UsageError } from '../answers/schema.js';
import { ANSWERS_PATH } from '../answers/file.js';
import type { Plan } from '../render/plan.js';
import { atomicWrite, confinedPath, readIfExists } from './fs.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { MANIFEST_PATH, manifestToJson, readManifest, sha256 } from './manifest.js';
import { MARKER_RE, merge3 } from './merge.js';

/** What happened (or would happen) to one path. */
export type Action =
  | 'created' // new file
  | 'updated' // unedited file, new render written
  | 'merged' // user edits and template changes merged cleanly
  | 'kept' // user edits kept; the template did not change
  | 'unchanged' // nothing to do
  | 'conflict' // merged with conflict markers
  | 'rejected' // user's file kept; template change written to <path>.rej
  | 'forced' // theirs written over ours with --force (user edits dropped)
  | 'deleted' // no longer generated, unedited: removed
  | 'orphaned' // no longer generated but edited: kept, no longer managed
  | 'ejected' // managed file the user deleted: not recreated
  | 'secret' // secret file created with random values
  | 'gitignore'; // .gitignore entries added

export interface Change {
  path: string;
  action: Action;
  /** Text written (absent for deletions and no-ops). */
  content?: string;
  /** Text on disk before. */
  before?: string;
  /** Extra detail for the summary (e.g. number of conflict hunks). */
  detail?: string;
}

export interface ApplyOptions {
  /** Overwrite files dockforge did not write, and write theirs over conflicting edits. */
  force?: boolean;
  /** Compute and return the changes with diffs, write nothing. */
  dryRun?: boolean;
  /** How conflicts are left: inline markers (default) or `<path>.rej`. */
  conflict?: 'inline' | 'rej';
  /**
   * First-time semantics (`init` without a manifest): files that exist but were not written by
   * dockforge are refused unless `force`.
   */
  adoptExisting?: boolean;
}

export interface ApplyResult {
  changes: Change[];
  /** Files left with conflicts (markers or .rej). */
  conflicts: string[];
  /** Unified diff of every change (for --dry-run). */
  diff: string;
  /** True when something on disk changed (or would change). */
  changed: boolean;
}

/**
 * Files that still hold conflict markers or have a `.rej` beside them.
 * @returns relative paths, sorted.
 */
export async function unresolvedConflicts(root: string, manifest: Manifest | undefined): Promise<string[]> {
  if (!manifest) return [];
  const out: string[] = [];
  for (const f of manifest.files) {
    const abs = await confinedPath(root, f.path, 'manifest path');
    const text = await readIfExists(abs);
    if (text !== undefined && MARKER_RE.test(text)) out.push(f.path);
    else if ((await readIfExists(`${abs}.rej`)) !== undefined) out.push(`${f.path}.rej`);
  }
  return out.sort();
}

/** Random secret value: 24 bytes, base64url (192 bits; safe in env files and URLs). */
function secretValue(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Decide, then (unless dry-run) write every change of `plan` under `root`.
 * @throws UsageError (exit 2, nothing written) when files that dockforge did not write would
 *   be overwritten without `force`; UsageError for unsafe manifest paths; I/O errors as they come.
 */
export async function applyPlan(root: string, plan: Plan, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const manifest = await readManifest(root);
  const recorded = new Map<string, ManifestFile>((manifest?.files ?? []).map((f) => [f.path, f]));
  const ejected = new Set(manifest?.ejected ?? []);
  const changes: Change[] = [];
  const next: ManifestFile[] = [];
  const foreign: string[] = [];

  for (const file of plan.files) {
    const abs = await confinedPath(root, file.path);
    const ours = await readIfExists(abs);
    const theirs = file.content;
    const rec = recorded.get(file.path);
    const record = (): void => {
      next.push({ path: file.path, template: file.template, sha256: sha256(theirs), base: theirs });
    };
    if (ours === undefined) {
      if (rec || ejected.has(file.path)) {
        changes.push({ path: file.path, action: 'ejected', detail: 'deleted by you; not recreated' });
        ejected.add(file.path);
        continue;
      }
      changes.push({ path: file.path, action: 'created', content: theirs });
      record();
      continue;
    }
    if (!rec && ejected.has(file.path)) {
      // an ejected file the user brought back is theirs; its next merge base is this render
      ejected.delete(file.path);
      changes.push({ path: file.path, action: ours === theirs ? 'unchanged' : 'kept', detail: 'managed again' });
      record();
      continue;
    }
    if (ours === theirs) {
      changes.push({ path: file.path, action: 'unchanged' });
      record();
      continue;
    }
    if (!rec) {
      if (opts.force) changes.push({ path: file.path, action: 'forced', content: theirs, before: ours, detail: 'existing file replaced' });
      else foreign.push(file.path);
      record();
      continue;
    }
    if (ours === rec.base) {
      changes.push({ path: file.path, action: 'updated', content: theirs, before: ours });
    } else if (theirs === rec.base) {
      changes.push({ path: file.path, action: 'kept', detail: 'your edits kept' });
    } else if (opts.force) {
      changes.push({ path: file.path, action: 'forced', content: theirs, before: ours, detail: 'your edits dropped' });
    } else {
      const merged = merge3(ours, rec.base, theirs);
      if (merged.conflicts === 0) {
        changes.push({ path: file.path, action: 'merged', content: merged.text, before: ours });
      } else if (opts.conflict === 'rej') {
        const rej = createTwoFilesPatch(`a/${file.path}`, `b/${file.path}`, rec.base, theirs, 'last generated', 'template');
        changes.push({ path: `${file.path}.rej`, action: 'rejected', content: rej, detail: `${merged.conflicts} conflicting hunk(s); your file kept` });
      } else {
        changes.push({ path: file.path, action: 'conflict', content: merged.text, before: ours, detail: `${merged.conflicts} conflicting hunk(s)` });
      }
    }
    record();
  }

  if (foreign.length > 0 && !opts.force) {
    throw new UsageError(`refusing to overwrite files dockforge did not write: ${foreign.join(', ')} (move them away or pass --force)`);
  }

  // files generated last time but not in this plan
  const planned = new Set(plan.files.map((f) => f.path));
  for (const rec of manifest?.files ?? []) {
    if (planned.has(rec.path)) continue;
    const abs = await confinedPath(root, rec.path, 'manifest path');
    const ours = await readIfExists(abs);
    if (ours === undefined) continue;
    if (ours === rec.base || opts.force) changes.push({ path: rec.path, action: 'deleted', before: ours });
    else changes.push({ path: rec.path, action: 'orphaned', detail: 'no longer generated, but edited by you: kept, no longer managed' });
  }

  // secret files: random values, never rewritten. They are git-ignored, so a fresh clone
  // has none: a missing one is made, with a warning when it was made before (a database
  // initialised with the old password needs the old file back, not a new one).
  const secrets = new Set(manifest?.secrets ?? []);
  for (const s of plan.secrets) {
    const abs = await confinedPath(root, s.path);
    if ((await readIfExists(abs)) === undefined) {
      const value = secretValue();
      const detail = secrets.has(s.path) ? 'was missing: a new random value; restore the old file if a database already uses it' : undefined;
      changes.push({ path: s.path, action: 'secret', content: s.keys.map((k) => `${k}=${value}\n`).join(''), detail });
    }
    secrets.add(s.path);
  }

  // .gitignore: append what is missing
  if (plan.gitignore.length > 0) {
    const abs = await confinedPath(root, '.gitignore');
    const before = (await readIfExists(abs)) ?? '';
    const have = new Set(before.split(/\r?\n/).map((l) => l.trim()));
    const missing = plan.gitignore.filter((l) => !have.has(l) && !have.has(l.replace(/^\//, '')));
    if (missing.length > 0) {
      const sep = before === '' || before.endsWith('\n') ? '' : '\n';
      const content = `${before}${sep}# dockforge: generated secrets, never commit\n${missing.join('\n')}\n`;
      changes.push({ path: '.gitignore', action: 'gitignore', content, before, detail: missing.join(' ') });
    }
  }

  const conflicts = changes.filter((c) => c.action === 'conflict' || c.action === 'rejected').map((c) => c.path);
  const newManifest: Manifest = { dockforge: plan.version, pack: plan.pack, files: next, secrets: [...secrets], ejected: [...ejected] };
  const manifestText = manifestToJson(newManifest);
  const writes = changes.filter((c) => c.content !== undefined || c.action === 'deleted');
  const oldManifestText = await readIfExists(path.join(root, MANIFEST_PATH));
  const oldAnswersText = await readIfExists(path.join(root, ANSWERS_PATH));
  const metaChanged = oldManifestText !== manifestText || oldAnswersText !== plan.answersText;

  const diff = writes
    .filter((c) => c.action !== 'secret')
    .map((c) => createTwoFilesPatch(`a/${c.path}`, `b/${c.path}`, c.before ?? '', c.action === 'deleted' ? '' : c.content!, c.before === undefined ? '(new)' : '', c.action === 'deleted' ? '(deleted)' : ''))
    .join('');

  if (!opts.dryRun) {
    for (const c of writes) {
      const abs = await confinedPath(root, c.path);
      if (c.action === 'deleted') await fs.rm(abs, { force: true });
      else await atomicWrite(abs, c.content!, c.action === 'secret' ? 0o600 : 0o644);
    }
    // the record of what was generated goes last: an interrupted run is repeated from the old one
    if (metaChanged) {
      await atomicWrite(await confinedPath(root, MANIFEST_PATH), manifestText);
      await atomicWrite(await confinedPath(root, ANSWERS_PATH), plan.answersText);
    }
  }
  return { changes, conflicts, diff, changed: writes.length > 0 || metaChanged };
}
