/**
 * The one data flow every command runs: detect → answers → render → plan → write.
 *
 * `init` detects and asks; `generate` starts from the saved answers (detecting only when the
 * language changes); `status` uses the saved answers alone. All three render with the pack,
 * plan against the record of generated files and the disk, and — unless `write` is false
 * (`status`, `--dry-run`) — carry the plan out.
 */
import { readAnswers } from './answers/file.js';
import type { Resolved } from './answers/resolve.js';
import { canonicalKey } from './answers/fields.js';
import { languageIndependent, resolveAnswers } from './answers/resolve.js';
import { detect } from './detect/index.js';
import { UsageError } from './errors.js';
import { readDisk, unresolvedConflicts } from './plan/disk.js';
import type { Plan } from './plan/reconcile.js';
import { pathsToRead, reconcile } from './plan/reconcile.js';
import type { GenerationRecord } from './plan/record.js';
import { readRecord } from './plan/record.js';
import type { Rendered } from './render/render.js';
import { render } from './render/render.js';
import { resolvePack } from './templates/pack.js';
import { openRepo } from './detect/repo.js';
import { findLanguage } from './registry.js';
import type { Answers, Detection } from './vocabulary.js';
import { ANSWERS_PATH, emptyDetection } from './vocabulary.js';
import { execute } from './write/apply.js';

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
}

/**
 * Run the pipeline.
 * @returns the result; `plan` is absent when unresolved conflicts block the run.
 * @throws UsageError (exit 2, nothing written) for bad input, missing answers, files that
 *   would be overwritten, or unsafe paths.
 */
export async function runPipeline(req: PipelineRequest): Promise<PipelineResult> {
  const { root } = req;
  const saved = await readAnswers(root);
  if (!saved && req.command !== 'init') throw new UsageError(`no ${ANSWERS_PATH} in ${root}: run dockforge init first`);
  const record = await readRecord(root);
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
  const rendered = await render(resolved.answers, pack, req.version, detection.warnings);
  const disk = await readDisk(root, pathsToRead(rendered, record));
  const plan = reconcile(rendered, record, disk, { force: req.force, conflict: req.conflict });
  if (req.write) await execute(root, plan);
  return { pending, detection, resolved, rendered, plan, record };
}
