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
import { assertKnownAnswers, canonicalKey, usePackFields } from './answers/fields.js';
import { languageIndependent, resolveAnswers } from './answers/resolve.js';
import { detect } from './detect/index.js';
import { EnvironmentError, UsageError, classifyError, isEnvironmentError, isUsageError } from './errors.js';
import type { DiskState } from './plan/disk.js';
import { confinedPath, readDisk, unresolvedConflicts } from './plan/disk.js';
import type { Plan } from './plan/reconcile.js';
import { absentPaths, foreignPaths, pathsToRead, reconcile } from './plan/reconcile.js';
import type { GenerationRecord } from './plan/record.js';
import { RECORD_PATH, readRecord } from './plan/record.js';
import type { Rendered } from './render/render.js';
import { render } from './render/render.js';
import { questionFields } from './templates/pack.js';
import type { PackSelection } from './templates/select.js';
import { selectPack } from './templates/select.js';
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
  /** `--pack SOURCE`: render with this team pack (fetched now) instead of the pinned one (`builtin`: none). */
  pack?: string;
  /** `generate --update-pack`: fetch the pinned pack's source again and pin what it gives now. */
  updatePack?: boolean;
  /** `--trust`: the packs' own Handlebars helpers may run (recorded in answers for those exact packs). */
  trust?: boolean;
  /**
   * Interactive `init` without `--force`: asked, before the questions and again after them if
   * the answers add files, whether to overwrite the listed files dockforge did not write (the
   * choice `docker init` offers). `true`: they are replaced; `false`: the run stops, nothing
   * written. Without it such files are refused (exit 2) unless `force`.
   */
  confirmOverwrite?: (paths: string[]) => Promise<boolean>;
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
  /** Pinned packs whose version or integrity this run changes (`--pack`, `--update-pack`). */
  packChanges?: PackSelection['changes'];
  /** The team pack and its chain as this run pins them (top first; [] for the built-in pack). */
  resolvedPins?: PackSelection['pins'];
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
  let executing: Plan | undefined;
  try {
    return await writingRun(req, (plan) => {
      executing = plan;
    });
  } catch (e) {
    const c = classifyError(e);
    if (!isEnvironmentError(c)) throw e;
    // say what the run left behind: nothing, or the files written before it stopped
    const written = executing ? await writtenSoFar(req.root, executing) : [];
    const progress =
      written.length === 0
        ? 'nothing was written'
        : `written before it stopped: ${written.join(', ')} (run dockforge again once fixed: it completes the run)`;
    throw new EnvironmentError(`${c.message}; ${progress}`, c.code, c.path);
  }
}

/** {@link runPipeline} for a writing run; `started` is called with the plan just before it is carried out. */
async function writingRun(req: PipelineRequest, started: (plan: Plan) => void): Promise<PipelineResult> {
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
      started(result.plan);
      await execute(root, result.plan);
    }
    return { ...result, recovery, cleaned };
  } finally {
    await lock.release();
  }
}

/**
 * The paths of `plan` that are on disk as the plan left them after a run that stopped part-way
 * (compared with the disk, so it holds whatever order the writer used): a written file has the
 * planned text, a deleted one is gone, a new secret exists, the record has its new text. A path
 * that cannot be read counts as not written.
 */
async function writtenSoFar(root: string, plan: Plan): Promise<string[]> {
  const now = async (p: string): Promise<string | undefined> => {
    try {
      return (await readDisk(root, [p])).files.get(p);
    } catch {
      return undefined;
    }
  };
  const out: string[] = [];
  for (const c of plan.changes) {
    if (c.action === 'deleted') {
      if ((await now(c.path)) === undefined) out.push(c.path);
    } else if (c.action === 'secret' && c.content === undefined) {
      if ((await now(c.path)) !== undefined) out.push(c.path);
    } else if (c.content !== undefined && c.content !== c.before && (await now(c.path)) === c.content) out.push(c.path);
  }
  if (plan.recordChanged && (await now(RECORD_PATH)) === plan.recordText) out.push(RECORD_PATH);
  if (plan.answersChanged && (await now(ANSWERS_PATH)) === plan.answersText) out.push(ANSWERS_PATH);
  return out;
}

/** What `dockforge detect` reports: the findings, and the answers `init --yes` would take. */
export interface DetectResult {
  detection: Detection;
  /** `init --yes`'s answers and their origin; absent when detection alone cannot answer (`problem`). */
  resolved?: Resolved;
  /** Why the answers could not be resolved (e.g. no language found), as `init --yes` would say it. */
  problem?: string;
}

/**
 * Detect only: the findings of `root` and the answers `init --yes` would resolve from them (the
 * same detection `init` uses). Reads the repository; writes nothing.
 * @param given raw answers from flags and `--set`, as for `init`.
 * @throws UsageError for an invalid given value.
 */
export async function detectRun(root: string, given: Record<string, unknown>): Promise<DetectResult> {
  const canonical = Object.fromEntries(Object.entries(given).map(([k, v]) => [canonicalKey(k), v]));
  const detection = await detect(root, String(canonical.language ?? ''));
  return { detection, ...(await yesAnswers(canonical, undefined, detection)) };
}

/**
 * The answers `init --yes` would take, asking nothing: resolved, or the UsageError message that
 * says why detection alone cannot answer (e.g. no language found).
 * @throws anything but a UsageError.
 */
async function yesAnswers(
  given: Record<string, unknown>,
  saved: Answers | undefined,
  detection: Detection,
): Promise<{ resolved?: Resolved; problem?: string }> {
  try {
    return { resolved: await resolveAnswers({ given, saved, detection, mode: 'yes' }) };
  } catch (e) {
    if (!isUsageError(e)) throw e;
    return { problem: e.message };
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
  // the pack first: its questions are answers, so the saved ones are validated after it
  let selection: PackSelection | undefined;
  const choose = async (pins: PackSelection['pins'], trusted: string[]): Promise<void> => {
    selection = await selectPack({ root, source: req.pack, update: req.updatePack, pins, trust: req.trust, trusted });
    usePackFields(questionFields(selection.pack));
  };
  const saved = await readAnswers(root, req.version, async (meta) => {
    await choose(meta.packs, meta.trust);
    return req.pack !== undefined || Boolean(req.updatePack);
  });
  if (!saved && req.command !== 'init') throw new UsageError(`no ${ANSWERS_PATH} in ${root}: run dockforge init first`);
  if (!selection) await choose([], []);
  if (req.updatePack && selection!.pins.length === 0 && !req.pack) {
    throw new UsageError('nothing to update: these answers use no team pack (add one with --pack SOURCE)');
  }
  assertKnownAnswers(req.given);
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
  const { pack, changes: packChanges } = selection!;
  const overwrite = new Set<string>();
  const ask = !req.force && req.mode === 'interactive' ? req.confirmOverwrite : undefined;
  /** Ask about the files of `rendered` that dockforge did not write and were not agreed to yet. */
  const confirmForeign = async (rendered: Rendered, disk: DiskState): Promise<void> => {
    if (!ask) return;
    const foreign = foreignPaths(rendered, record, disk).filter((p) => !overwrite.has(p));
    if (foreign.length === 0) return;
    if (!(await ask(foreign))) {
      throw new UsageError(`stopped: nothing written (files dockforge did not write: ${foreign.join(', ')})`);
    }
    for (const p of foreign) overwrite.add(p);
  };
  if (req.command === 'init') {
    if (pending.length > 0) return { pending, detection, record, packChanges };
    if (ask) {
      // before asking anything: the files the detected answers would replace (when detection
      // alone cannot answer, e.g. no language found, the check waits for the answers)
      const guess = (await yesAnswers(given, saved?.answers, detection)).resolved;
      if (guess) {
        const first = await render(guess.answers, pack, req.version, detection.warnings, saved?.text);
        await confirmForeign(first, await readDisk(root, pathsToRead(first, record)));
      }
    }
    resolved = await resolveAnswers({ given, saved: saved?.answers, detection, mode: req.mode ?? 'yes' });
  } else {
    if (pending.length > 0 && req.command === 'generate' && !req.force)
      return { pending, detection, record, packChanges };
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
  let rendered = await render(resolved.answers, pack, req.version, detection.warnings, saved?.text);
  const disk = await readDisk(root, pathsToRead(rendered, record));
  // files the user deleted are not listed by the files that name others (the kustomization)
  const absent = absentPaths(record, disk);
  if (rendered.files.some((f) => absent.has(f.path))) {
    rendered = await render(resolved.answers, pack, req.version, detection.warnings, saved?.text, absent);
  }
  await confirmForeign(rendered, disk);
  const plan = reconcile(rendered, record, disk, { force: req.force, conflict: req.conflict, overwrite });
  return { pending, detection, resolved, rendered, plan, record, packChanges, resolvedPins: pack.pins };
}
