#!/usr/bin/env node
/**
 * dockforge's entry point: argument parsing only. Each command's module is imported when the
 * command runs, so `--help` and `--version` load nothing heavy.
 *
 * Exit codes: 0 success; 1 conflicts or drift that need a human; 2 bad input (nothing written).
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

/** dockforge's version, from its package.json. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/** Flags shared by `init` (answers given on the command line). Values are validated by the answer schema, not yargs. */
const ANSWER_FLAGS = {
  language: { type: 'string', describe: 'go | node | c' },
  database: { type: 'string', describe: 'sqlite | postgres | none' },
  runtime: { type: 'string', describe: 'alpine | distroless' },
  uid: { type: 'string', describe: 'user ID the container runs as (default 10001)' },
  gid: { type: 'string', describe: 'group ID (default: the user ID)' },
  port: { type: 'string', describe: 'port the service listens on' },
  name: { type: 'string', describe: 'service name (a DNS-1123 label)' },
} as const;

/** Print a one-line error and exit; 2 for usage errors, 1 otherwise. */
export function fail(err: unknown): never {
  const e = err as { exitCode?: number; message?: string; name?: string };
  const code = e?.name === 'UsageError' ? 2 : (e?.exitCode ?? 1);
  process.stderr.write(`dockforge: ${e?.name === 'UsageError' ? '' : 'error: '}${String(e?.message ?? err).split('\n')[0]}\n`);
  if (process.env.DOCKFORGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('dockforge')
    .usage('$0 <command> [options]\n\nDetects your stack and writes a multi-stage Dockerfile, .dockerignore, compose.yaml and Kubernetes manifests.')
    .command(
      'init',
      'detect the stack, ask (prefilled), write the container files',
      (y) =>
        y
          .options(ANSWER_FLAGS)
          .option('dir', { type: 'string', describe: 'repository to write into', default: '.' })
          .option('yes', { alias: 'y', type: 'boolean', describe: 'accept detected values and defaults, ask nothing' })
          .option('force', { type: 'boolean', describe: 'overwrite files dockforge did not write' })
          .option('set', { type: 'string', array: true, describe: 'any other answer, as key=value (repeatable)' }),
      async (args) => {
        const { runInit } = await import('./init.js');
        process.exitCode = await runInit(args as never, VERSION);
      },
    )
    .command(
      ['generate', 'gen'],
      're-render from .dockforge/answers.yaml and merge into your files',
      (y) =>
        y
          .option('dir', { type: 'string', describe: 'repository', default: '.' })
          .option('set', { type: 'string', array: true, describe: 'change an answer, as key=value (repeatable)' })
          .option('dry-run', { type: 'boolean', describe: 'print a unified diff of every change, write nothing' })
          .option('force', { type: 'boolean', describe: 'write the new render over your edits (lists the edits dropped)' })
          .option('conflict', { type: 'string', describe: 'inline (markers, default) | rej (keep yours, write <file>.rej)' }),
      async (args) => {
        const { runGenerate } = await import('./generate.js');
        process.exitCode = await runGenerate(args as never, VERSION);
      },
    )
    .command(
      'status',
      'exit 0 when the files equal what the answers generate now, 1 otherwise',
      (y) => y.option('dir', { type: 'string', describe: 'repository', default: '.' }),
      async (args) => {
        const { runStatus } = await import('./status.js');
        process.exitCode = await runStatus(args as never, VERSION);
      },
    )
    .demandCommand(1, 'missing command: expected init, generate or status')
    .strict()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .showHelpOnFail(false)
    .fail((msg, err) => {
      if (err) fail(err);
      fail({ name: 'UsageError', message: msg });
    })
    .wrap(Math.min(100, process.stdout.columns || 100))
    .parseAsync();
}

main(hideBin(process.argv)).catch(fail);
