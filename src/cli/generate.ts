/**
 * `dockforge generate` (alias `gen`): re-render from `.dockforge/answers.yaml`, changed by any
 * `--set key=value`, and three-way merge the result into the files on disk.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pc from 'picocolors';
import { ANSWERS_PATH, readAnswers } from '../answers/file.js';
import { resolveAnswers } from '../answers/resolve.js';
import { UsageError, fieldSpec } from '../answers/schema.js';
import { detect } from '../detect/index.js';
import { applyPlan, unresolvedConflicts } from '../write/apply.js';
import { readManifest } from '../write/manifest.js';
import { formatChanges, parseSets, plan, projectRoot } from './pipeline.js';

export interface GenerateArgs {
  dir?: string;
  set?: string[];
  dryRun?: boolean;
  force?: boolean;
  conflict?: string;
}

/** True when `root` is inside a git work tree with uncommitted changes; false when clean or not a git repo (or git is absent). */
async function gitDirty(root: string): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)('git', ['status', '--porcelain'], { cwd: root });
    return stdout.trim().length > 0;
  } catch {
    return false;
  }
}

/**
 * Run `generate`.
 * @returns 0, or 1 when conflicts were left (or unresolved ones block the run).
 * @throws UsageError (exit 2) when there are no saved answers or an answer is invalid.
 */
export async function runGenerate(args: GenerateArgs, version: string): Promise<number> {
  const root = await projectRoot(args.dir);
  if (args.conflict !== undefined && args.conflict !== 'inline' && args.conflict !== 'rej') {
    throw new UsageError(`invalid conflict ${JSON.stringify(args.conflict)}: expected inline, rej`);
  }
  const given = parseSets(args.set);
  const saved = await readAnswers(root);
  if (!saved) throw new UsageError(`no ${ANSWERS_PATH} in ${root}: run dockforge init first`);
  const manifest = await readManifest(root);
  const pending = await unresolvedConflicts(root, manifest);
  if (pending.length > 0 && !args.force) {
    process.stderr.write(`dockforge: resolve the conflicts first (markers or .rej files remain): ${pending.join(', ')}\n`);
    return 1;
  }
  // language-specific answers for a new language come from detection
  const detection = given.language && given.language !== saved.answers.language ? await detect(root) : { findings: {}, notes: [] };
  const savedForLanguage = given.language && given.language !== saved.answers.language ? pick(saved.answers as unknown as Record<string, unknown>) : saved.answers;
  const resolved = await resolveAnswers({ given, saved: savedForLanguage, detection, mode: 'yes' });
  if (!args.dryRun && (await gitDirty(root))) {
    process.stderr.write(`${pc.yellow('warning')}: the git work tree has uncommitted changes; commit first to review this regeneration with git diff\n`);
  }
  const p = await plan(resolved, version);
  const result = await applyPlan(root, p, { force: args.force, dryRun: args.dryRun, conflict: args.conflict as 'inline' | 'rej' | undefined });
  if (args.dryRun) process.stdout.write(result.diff);
  process.stdout.write(`${formatChanges(result, root, Boolean(args.dryRun))}\n`);
  const dropped = result.changes.filter((c) => c.action === 'forced');
  if (dropped.length > 0) process.stdout.write(`${pc.yellow('--force')} dropped edits in: ${dropped.map((c) => c.path).join(', ')}\n`);
  if (result.conflicts.length > 0) {
    process.stdout.write(`${pc.red('conflicts')} in ${result.conflicts.join(', ')}: resolve them, then run dockforge generate again\n`);
    return 1;
  }
  return 0;
}

/**
 * The answers that do not depend on the language, kept when `--set language=` changes it:
 * fields the schema does not scope to a language, less `language` itself and `port` (whose
 * default is the language's).
 */
function pick(a: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'language' && k !== 'port' && fieldSpec(k) !== undefined && !fieldSpec(k)!.language));
}
