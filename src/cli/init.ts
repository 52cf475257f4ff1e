/**
 * `dockforge init`: detect, ask (prefilled; flags are not asked again), render, write.
 * In a repository that already has answers it asks again with them as defaults, then
 * applies like `generate` (three-way merge with your edits).
 */
import pc from 'picocolors';
import { runPipeline } from '../pipeline.js';
import { flagAnswers, parseSets, projectRoot } from './args.js';
import { formatAnswers, formatChanges, formatWarnings, pendingMessage } from './format.js';

export interface InitArgs {
  dir?: string;
  yes?: boolean;
  force?: boolean;
  set?: string[];
  [flag: string]: unknown;
}

/**
 * Run `init`.
 * @returns the exit code: 0, or 1 when conflicts were left in files (or block the run).
 * @throws UsageError (exit 2, nothing written) for bad input or files that would be overwritten.
 */
export async function runInit(args: InitArgs, version: string): Promise<number> {
  const root = await projectRoot(args.dir);
  const given = { ...parseSets(args.set), ...flagAnswers(args) };
  const interactive = !args.yes && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const mode = args.yes ? 'yes' : interactive ? 'interactive' : 'non-interactive';
  const result = await runPipeline({ command: 'init', root, version, given, mode, force: args.force, write: true });
  if (!result.plan || !result.resolved) {
    process.stderr.write(pendingMessage(result.pending));
    return 1;
  }
  const { plan, resolved, detection } = result;
  const out = process.stdout;
  const a = resolved.answers;
  out.write(
    `${pc.bold('dockforge')} ${version}: ${a.language} · ${a.database} · ${a.base} · ` +
      `user ${a.uid}:${a.gid} · port ${a.port}\n`,
  );
  out.write(`${formatAnswers(resolved, detection)}\n`);
  for (const note of detection.notes) out.write(`${pc.yellow('note')}: ${note}\n`);
  if (a.healthPath === 'none') {
    out.write(`${pc.yellow('note')}: no health route found in the code: health checks and probes are TCP checks\n`);
  }
  out.write(formatWarnings(detection));
  out.write(`${formatChanges(plan, root, false)}\n`);
  if (plan.conflicts.length > 0) {
    out.write(
      `${pc.red('conflicts')} in ${plan.conflicts.join(', ')}: resolve them, then run dockforge generate again\n`,
    );
    return 1;
  }
  out.write(
    [
      'Next:',
      `  docker build -t ${a.image} .`,
      `  docker compose up --build${a.database === 'postgres' ? '              # app + PostgreSQL' : ''}`,
      `  curl http://127.0.0.1:${a.port}${a.healthPath === 'none' ? '/' : a.healthPath}`,
      '  kubectl apply -k k8s/',
      'See README.Docker.md. Change the stack later with: dockforge generate --set key=value',
      '',
    ].join('\n'),
  );
  return 0;
}
