/**
 * The one data flow every command runs: detect → answers → render → plan → write.
 *
 * `init` detects and asks; `generate` starts from the saved answers (detecting only when the
 * language changes); `status` uses the saved answers alone. All three render with the pack,
 * plan against the record of generated files and the disk, and — unless `write` is false
 * (`status`, `--dry-run`) — carry the plan out.
 *
 * A writing run holds the project lock (`.dockforge/lock`) from before it reads anything until
 * it has written everything, completes a run that was interrupted (its journal) first, and
 * removes the temporary files of dead runs. Read-only runs take no lock: they may see a
 * concurrent run's half-written state, which only affects what they print.
 */
import { readAnswers } from './answers/file.js';
import type { Resolved } from './answers/resolve.js';
import { canonicalKey } from './answers/fields.js';
import { languageIndependent, resolveAnswers } from './answers/resolve.js';
import { detect } from './detect/index.js';
import { UsageError } from './errors.js';
import { confinedPath, readDisk, unresolvedConflicts } from './plan/disk.js';
import type { Plan } from './plan/reconcile.js';
import { pathsToRead, reconcile } from './plan/reconcile.js';
import type { GenerationRecord } from './plan/record.js';
import { RECORD_PATH, readRecord } from './plan/record.js';
import type { Rendered } from './render/render.js';
import { render } from './render/render.js';
import { resolvePack } from './templates/pack.js';
import { openRepo } from './detect/repo.js';
import { findLanguage } from './registry.js';
import type { Answers, Detection } from './vocabulary.js';
import { ANSWERS_PATH, emptyDetection } from './vocabulary.js';
import { execute, pathsTouched } from './write/apply.js';
import type { Recovery } from './write/journal.js';
import { JOURNAL_PATH, cleanStaleTemps, foldersOf, recoverJournal } from './write/journal.js';
import { LOCK_PATH, acquireLock } from './write/lock.js';

/** The language's checks of the answers against the repository (e.g. the Go main package exists). */
async function verifyAnswers(root: string, answers: Answers): Promise<string | undefined> {
  const language = findLanguage(answers.language);
  if (!language?.verify) return undefined;
  return language.verify(await openRepo(root, language.sourceExtensions), answers);
}

/** What to run. */
export interface PipelineRequest {
  command: 'init' | 'generate' | 'status';
  /** Absolute project root. */
  root: string;
  /** dockforge's version (headers, answers, record). */
  version: string;
  /** Raw answer values from flags and `--set` (keys may be aliases). */
  given: Record<string, unknown>;
  /** `init` only: how to get answers that are not given. */
  mode?: 'yes' | 'interactive' | 'non-interactive';
  /** Overwrite files dockforge did not write; the template wins over conflicting edits. */
  force?: boolean;
  conflict?: 'inline' | 'rej';
  /** Carry the plan out (false: `status`, `--dry-run`). */
  write: boolean;
}

/** What a run found and decided. */
export interface PipelineResult {
  /**
   * Files with conflict markers or `.rej` left by an earlier run. With any, nothing was planned
   * (unless forced, or for `status`).
   */
  pending: string[];
  detection: Detection;
  resolved?: Resolved;
  rendered?: Rendered;
  plan?: Plan;
  record?: GenerationRecord;
  /** Writing runs: what completing an interrupted run (its journal) did, when there was one. */
  recovery?: Recovery;
  /** Writing runs: temporary files of dead runs that were removed (relative paths). */
  cleaned?: string[];
}

/**
 * Run the pipeline. A writing run (`write: true`) first checks the paths of the lock, journal,
 * record and answers, takes the project lock (released in `finally` and on SIGINT/SIGTERM),
 * completes an interrupted run from its journal and removes dead runs' temporary files; it
 * checks every path it writes and that secrets are git-ignored before its first write.
 * @returns the result; `plan` is absent when unresolved conflicts block the run.
 * @throws UsageError (exit 2, nothing written) for bad input, missing answers, files that
 *   would be overwritten, unsafe paths, a secret that git would not ignore, or another run
 *   holding the lock.
 */
export async function runPipeline(req: PipelineRequest): Promise<PipelineResult> {
  if (!req.write) return planRun(req);
  const { root } = req;
  for (const p of [LOCK_PATH, JOURNAL_PATH, RECORD_PATH, ANSWERS_PATH]) await confinedPath(root, p);
  const lock = await acquireLock(root);
  try {
    const recovery = await recoverJournal(root);
    // the record is read once (after the journal completed it) and planned from
    const record = await readRecord(root);
    const swept = foldersOf([...(record?.files ?? []).map((f) => f.path), ...(record?.secrets ?? [])]);
    const cleaned = await cleanStaleTemps(root, swept);
    const result = await planRun(req, { record });
    if (result.plan && result.rendered) {
      // the folders this run writes in that were not swept above
      const folders = foldersOf([...pathsToRead(result.rendered, record), ...pathsTouched(result.plan)]);
      cleaned.push(
        ...(await cleanStaleTemps(
          root,
          folders.filter((f) => !swept.includes(f)),
        )),
      );
      await execute(root, result.plan);
    }
    return { ...result, recovery, cleaned };
  } finally {
    await lock.release();
  }
}

/**
 * Detect, resolve, render and plan (no write).
 * @param loaded the record when the caller has read it already (a writing run, under the lock).
 */
async function planRun(
  req: PipelineRequest,
  loaded?: { record: GenerationRecord | undefined },
): Promise<PipelineResult> {
  const { root } = req;
  const saved = await readAnswers(root);
  if (!saved && req.command !== 'init') throw new UsageError(`no ${ANSWERS_PATH} in ${root}: run dockforge init first`);
  const record = loaded ? loaded.record : await readRecord(root);
  const pending = await unresolvedConflicts(
    root,
    (record?.files ?? []).map((f) => f.path),
  );
  const given = Object.fromEntries(Object.entries(req.given).map(([k, v]) => [canonicalKey(k), v]));

  // detection always runs: its warnings belong in README.Docker.md whatever the command; its
  // values are used for answers by init, and by generate when the language changes
  const detection = await detect(root, String(given.language ?? saved?.answers.language ?? ''));
  let resolved: Resolved;
  if (req.command === 'init') {
    if (pending.length > 0) return { pending, detection, record };
    resolved = await resolveAnswers({ given, saved: saved?.answers, detection, mode: req.mode ?? 'yes' });
  } else {
    if (pending.length > 0 && req.command === 'generate' && !req.force) return { pending, detection, record };
    const answers = saved!.answers;
    // a new language's own answers come from detection
    const switching = given.language !== undefined && given.language !== answers.language;
    const base = switching ? languageIndependent(answers) : answers;
    resolved = await resolveAnswers({
      given,
      saved: base,
      detection: switching ? detection : emptyDetection(),
      mode: 'yes',
    });
  }

  const problem = await verifyAnswers(root, resolved.answers);
  if (problem) throw new UsageError(problem);
  const pack = await resolvePack();
  const rendered = await render(resolved.answers, pack, req.version, detection.warnings, saved?.text);
  const disk = await readDisk(root, pathsToRead(rendered, record));
  const plan = reconcile(rendered, record, disk, { force: req.force, conflict: req.conflict });
  return { pending, detection, resolved, rendered, plan, record };
}
