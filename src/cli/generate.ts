/**
 * `dockforge generate` (alias `gen`): re-render from `.dockforge/answers.yaml`, changed by any
 * `--set key=value`, and three-way merge the result into the files on disk.
 */
import { promisify } from 'node:util';
import pc from 'picocolors';
import { UsageError } from '../errors.js';
import { planDiff } from '../plan/reconcile.js';
import { runPipeline } from '../pipeline.js';
import { parseSets, projectRoot, single } from './args.js';
import { formatChanges, formatPack, formatProject, formatWarnings, pendingMessage, runJson } from './format.js';

export interface GenerateArgs {
  dir?: string;
  set?: string[];
  dryRun?: boolean;
  force?: boolean;
  conflict?: string;
  json?: boolean;
  pack?: string | string[];
  'update-pack'?: boolean;
  trust?: boolean;
  /** A project's services the `--set` answers apply to. */
  service?: string[];
  /** `dockforge add DIR…`. */
  add?: string[];
  /** `dockforge remove NAME…`. */
  remove?: string[];
}

/**
 * True when `root` is inside a git work tree with uncommitted changes; false when clean, not a
 * git repository, or git is absent.
 */
async function gitDirty(root: string): Promise<boolean> {
  try {
    const { execFile } = await import('node:child_process');
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
  const root = await projectRoot(single('dir', args.dir));
  const conflict = single('conflict', args.conflict);
  if (conflict !== undefined && conflict !== 'inline' && conflict !== 'rej') {
    throw new UsageError(`invalid conflict ${JSON.stringify(conflict)}: expected inline, rej`);
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
    conflict,
    write: !args.dryRun,
    pack: single('pack', args.pack),
    updatePack: args['update-pack'],
    trust: args.trust,
    services: args.service,
    add: args.add,
    remove: args.remove,
  });
  const plan = result.plan;
  const dryRun = Boolean(args.dryRun);
  const json = (exitCode: number): void => {
    if (args.json) process.stdout.write(runJson({ command: 'generate', root, exitCode, result, dryRun }));
  };
  if (!plan) {
    process.stderr.write(pendingMessage(result.pending));
    json(1);
    return 1;
  }
  const out = args.json ? process.stderr : process.stdout;
  out.write(formatPack(result));
  if (result.project && (args.add?.length || args.remove?.length)) out.write(formatProject(result));
  if (dryRun) out.write(planDiff(plan));
  out.write(`${formatChanges(plan, root, dryRun)}\n`);
  out.write(formatWarnings(result.detection));
  const dropped = plan.changes.filter((c) => c.action === 'forced');
  if (dropped.length > 0) {
    out.write(`${pc.yellow('--force')} dropped edits in: ${dropped.map((c) => c.path).join(', ')}\n`);
  }
  const exitCode = plan.conflicts.length > 0 ? 1 : 0;
  if (exitCode === 1) {
    out.write(
      `${pc.red('conflicts')} in ${plan.conflicts.join(', ')}: resolve them, then run dockforge generate again\n`,
    );
  }
  json(exitCode);
  return exitCode;
}
