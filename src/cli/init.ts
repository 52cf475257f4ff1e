/**
 * `dockforge init`: detect, ask (prefilled; flags are not asked again), render, write.
 * In a repository that already has answers it asks again with them as defaults, then
 * applies like `generate` (three-way merge with your edits).
 */
import pc from 'picocolors';
import { readAnswers } from '../answers/file.js';
import { resolveAnswers } from '../answers/resolve.js';
import type { AnswerKey } from '../answers/schema.js';
import { detect } from '../detect/index.js';
import { applyPlan, unresolvedConflicts } from '../write/apply.js';
import { readManifest } from '../write/manifest.js';
import { formatAnswers, formatChanges, parseSets, plan, projectRoot } from './pipeline.js';

export interface InitArgs {
  dir?: string;
  yes?: boolean;
  force?: boolean;
  set?: string[];
  language?: string;
  database?: string;
  runtime?: string;
  uid?: string;
  gid?: string;
  port?: string;
  name?: string;
}

/**
 * Run `init`.
 * @returns the exit code: 0, or 1 when conflicts were left in files.
 * @throws UsageError (exit 2, nothing written) for bad input or files that would be overwritten.
 */
export async function runInit(args: InitArgs, version: string): Promise<number> {
  const root = await projectRoot(args.dir);
  const given: Partial<Record<AnswerKey, unknown>> = { ...parseSets(args.set) };
  for (const key of ['language', 'database', 'runtime', 'uid', 'gid', 'port', 'name'] as const) {
    // a repeated flag arrives as an array: the last one wins
    const value: unknown = args[key];
    if (value !== undefined) given[key] = Array.isArray(value) ? value[value.length - 1] : value;
  }
  const saved = await readAnswers(root);
  const manifest = await readManifest(root);
  const detection = await detect(root);
  const pending = await unresolvedConflicts(root, manifest);
  if (pending.length > 0) {
    process.stderr.write(`dockforge: resolve the conflicts first (markers or .rej files remain): ${pending.join(', ')}\n`);
    return 1;
  }
  const interactive = !args.yes && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const resolved = await resolveAnswers({
    given,
    saved: saved?.answers,
    detection,
    mode: args.yes ? 'yes' : interactive ? 'interactive' : 'non-interactive',
  });
  const p = await plan(resolved, version);
  const result = await applyPlan(root, p, { force: args.force });

  const out = process.stdout;
  const a = resolved.answers;
  out.write(`${pc.bold('dockforge')} ${version}: ${a.language} · ${a.database} · ${a.runtime} · user ${a.uid}:${a.gid} · port ${a.port}\n`);
  out.write(`${formatAnswers(resolved, detection)}\n`);
  for (const note of detection.notes) out.write(`${pc.yellow('note')}: ${note}\n`);
  out.write(`${formatChanges(result, root, false)}\n`);
  if (result.conflicts.length > 0) {
    out.write(`${pc.red('conflicts')} in ${result.conflicts.join(', ')}: resolve them, then run dockforge generate again\n`);
    return 1;
  }
  out.write(
    [
      'Next:',
      `  docker build -t ${a.image} .`,
      `  docker compose up --build${a.database === 'postgres' ? '              # app + PostgreSQL' : ''}`,
      `  curl http://127.0.0.1:${a.port}${a.healthPath}`,
      '  kubectl apply -k k8s/',
      'See README.Docker.md. Change the stack later with: dockforge generate --set key=value',
      '',
    ].join('\n'),
  );
  return 0;
}
