/**
 * `dockforge init`: detect, ask (prefilled; flags are not asked again), render, write.
 * In a repository that already has answers it asks again with them as defaults, then
 * applies like `generate` (three-way merge with your edits).
 */
import pc from 'picocolors';
import { DNS1123_LABEL } from '../vocabulary.js';
import { runPipeline } from '../pipeline.js';
import { givenAnswers, projectRoot, single } from './args.js';
import { planDiff } from '../plan/reconcile.js';
import {
  formatAnswers,
  formatChanges,
  formatPack,
  formatProject,
  formatWarnings,
  pendingMessage,
  runJson,
} from './format.js';

export interface InitArgs {
  dir?: string;
  yes?: boolean;
  force?: boolean;
  set?: string[];
  pack?: string | string[];
  trust?: boolean;
  [flag: string]: unknown;
}

/**
 * In a terminal: list the files dockforge did not write that `init` would replace and ask
 * whether to overwrite them (default no), as `docker init` does.
 * @returns true to overwrite, false to stop.
 */
async function confirmOverwrite(paths: string[]): Promise<boolean> {
  const { default: confirm } = await import('@inquirer/confirm');
  process.stdout.write(
    `${pc.yellow('warning')}: these files exist and dockforge did not write them:\n` +
      `${paths.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  return confirm({ message: 'Overwrite them?', default: false });
}

/**
 * In a terminal, at the root of a project of several services: which of the detected service
 * folders to take (all checked), then each one's name (prefilled with the folder's).
 * @returns the services kept, in the order found.
 */
async function pickServices(
  found: { name: string; dir: string; language: string }[],
): Promise<{ name: string; dir: string }[]> {
  const { default: checkbox } = await import('@inquirer/checkbox');
  const { default: input } = await import('@inquirer/input');
  const dirs = await checkbox({
    message: 'Services of this project',
    choices: found.map((s) => ({ name: `${s.dir} (${s.language})`, value: s.dir, checked: true })),
    required: true,
  });
  const out: { name: string; dir: string }[] = [];
  for (const s of found.filter((x) => dirs.includes(x.dir))) {
    const name = await input({
      message: `Name of the service in ${s.dir}`,
      default: s.name,
      validate: (v) =>
        !DNS1123_LABEL.test(v)
          ? 'a DNS-1123 label: lowercase letters, digits and -'
          : out.some((o) => o.name === v)
            ? 'another service has this name'
            : true,
    });
    out.push({ name, dir: s.dir });
  }
  return out;
}

/**
 * Run `init`.
 * @returns the exit code: 0, or 1 when conflicts were left in files (or block the run).
 * @throws UsageError (exit 2, nothing written) for bad input or files that would be overwritten.
 */
export async function runInit(args: InitArgs, version: string): Promise<number> {
  const root = await projectRoot(single('dir', args.dir));
  const given = givenAnswers(args);
  const json = Boolean(args.json);
  const dryRun = Boolean(args['dry-run'] ?? args.dryRun);
  // with --json stdout carries only the JSON object, so prompts (on stdout) are never shown
  const interactive = !args.yes && !json && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const mode = args.yes ? 'yes' : interactive ? 'interactive' : 'non-interactive';
  const result = await runPipeline({
    command: 'init',
    root,
    version,
    given,
    mode,
    force: args.force,
    write: !dryRun,
    confirmOverwrite: interactive ? confirmOverwrite : undefined,
    pack: single('pack', args.pack),
    trust: args.trust,
    services: args.service as string[] | undefined,
    pickServices: interactive ? pickServices : undefined,
    announceService: (name, dir) => process.stdout.write(`${pc.bold(`Service ${name}`)} (${dir}/):\n`),
  });
  if (!result.plan || !result.resolved) {
    process.stderr.write(pendingMessage(result.pending));
    if (json) process.stdout.write(runJson({ command: 'init', root, exitCode: 1, result, dryRun }));
    return 1;
  }
  const { plan, resolved, detection } = result;
  const secrets = (result.rendered?.secrets ?? []).map((x) => x.path);
  const out = json ? process.stderr : process.stdout;
  if (result.project) {
    out.write(formatProject(result, version));
    out.write(formatWarnings(detection));
    if (dryRun) out.write(planDiff(plan));
    out.write(`${formatChanges(plan, root, dryRun)}\n`);
    const code = plan.conflicts.length > 0 ? 1 : 0;
    if (!dryRun && code === 0) {
      out.write('Next:\n  docker compose up --build\n  kubectl apply -k k8s/\nSee README.Docker.md.\n');
    }
    if (json) process.stdout.write(runJson({ command: 'init', root, exitCode: code, result, dryRun }));
    return code;
  }
  const a = resolved.answers;
  out.write(
    `${pc.bold('dockforge')} ${version}: ${a.language} · ${a.database} · ${a.base} · ` +
      `user ${a.uid}:${a.gid} · port ${a.port}\n`,
  );
  out.write(formatPack(result));
  out.write(`${formatAnswers(resolved, detection)}\n`);
  for (const note of detection.notes) out.write(`${pc.yellow('note')}: ${note}\n`);
  if (a.healthPath === 'none') {
    out.write(`${pc.yellow('note')}: no health route found in the code: health checks and probes are TCP checks\n`);
  }
  out.write(formatWarnings(detection));
  if (dryRun) out.write(planDiff(plan));
  out.write(`${formatChanges(plan, root, dryRun)}\n`);
  const exitCode = plan.conflicts.length > 0 ? 1 : 0;
  if (exitCode === 1) {
    out.write(
      `${pc.red('conflicts')} in ${plan.conflicts.join(', ')}: resolve them, then run dockforge generate again\n`,
    );
  } else if (!dryRun) {
    out.write(
      [
        'Next:',
        `  docker build -t ${a.image} .`,
        `  docker compose up --build${a.database === 'postgres' ? '              # app + PostgreSQL' : ''}`,
        `  curl http://127.0.0.1:${a.port}${a.healthPath === 'none' ? '/' : a.healthPath}`,
        '  kubectl apply -k k8s/',
        ...(secrets.length > 0
          ? [
              `Secrets ${secrets.join(', ')} are git-ignored: in a fresh clone, npx dockforge generate makes them ` +
                '(compose and kustomize need them).',
            ]
          : []),
        'See README.Docker.md. Change the stack later with: dockforge generate --set key=value',
        '',
      ].join('\n'),
    );
  }
  if (json) process.stdout.write(runJson({ command: 'init', root, exitCode, result, dryRun }));
  return exitCode;
}
