/**
 * `dockforge generate` (alias `gen`): re-render from `.dockforge/answers.yaml`, changed by any
 * `--set key=value`, and three-way merge the result into the files on disk.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pc from 'picocolors';
import { UsageError } from '../errors.js';
import { planDiff } from '../plan/reconcile.js';
import { runPipeline } from '../pipeline.js';
import { parseSets, projectRoot } from './args.js';
import { formatChanges, formatWarnings, pendingMessage } from './format.js';

export interface GenerateArgs {
  dir?: string;
  set?: string[];
  dryRun?: boolean;
  force?: boolean;
  conflict?: string;
}

/**
 * True when `root` is inside a git work tree with uncommitted changes; false when clean, not a
 * git repository, or git is absent.
 */
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
  if (!args.dryRun && (await gitDirty(root))) {
    process.stderr.write(
      `${pc.yellow('warning')}: the git work tree has uncommitted changes; ` +
        'commit first to review this regeneration with git diff\n',
    );
  }
  const result = await runPipeline({
    command: 'generate',
    root,
    version,
    given,
    force: args.force,
    conflict: args.conflict as 'inline' | 'rej' | undefined,
    write: !args.dryRun,
  });
  const plan = result.plan;
  if (!plan) {
    process.stderr.write(pendingMessage(result.pending));
    return 1;
  }
  if (args.dryRun) process.stdout.write(planDiff(plan));
  process.stdout.write(`${formatChanges(plan, root, Boolean(args.dryRun))}\n`);
  process.stdout.write(formatWarnings(result.detection));
  const dropped = plan.changes.filter((c) => c.action === 'forced');
  if (dropped.length > 0) {
    process.stdout.write(`${pc.yellow('--force')} dropped edits in: ${dropped.map((c) => c.path).join(', ')}\n`);
  }
  if (plan.conflicts.length > 0) {
    process.stdout.write(
      `${pc.red('conflicts')} in ${plan.conflicts.join(', ')}: resolve them, then run dockforge generate again\n`,
    );
    return 1;
  }
  return 0;
}
