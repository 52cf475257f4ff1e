#!/usr/bin/env node
/**
 * dockforge's entry point: argument parsing only. Each command's module is imported when the
 * command runs, so `--help` and `--version` load nothing heavy.
 *
 * Exit codes: 0 success; 1 conflicts or drift that need a human (and unexpected errors: bugs);
 * 2 bad input (nothing written); 3 the environment stopped the run (a path dockforge cannot
 * read or write: permissions, a folder where a file belongs, a full disk).
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { fieldTable } from '../answers/fields.js';
import { classifyError, clip } from '../errors.js';

/** dockforge's version, from its package.json. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/**
 * The answer flags of `init`, from the field table's `flag` fields (with their aliases, e.g.
 * `--runtime` for `--base`). Values are validated by the field table, not yargs.
 */
function answerFlags(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const f of fieldTable().filter((x) => x.flag)) {
    const values = f.choices ? f.choices.join(' | ') : f.kind === 'int' ? `${f.min}-${f.max}` : f.allowed.split(':')[0];
    out[f.key] = {
      type: 'string',
      describe: `${f.describe} (${values})`,
      alias: f.aliases ? [...f.aliases] : undefined,
    };
  }
  return out;
}

/**
 * Print a one-line error and exit: 2 for usage errors; 3 for environment errors, Node errno
 * errors included (EACCES, EISDIR, ENOTDIR, ENOSPC, … become `cannot write <path>: <reason>
 * (<code>): <what to do>` by `classifyError`); the error's own `exitCode`, else 1, otherwise.
 * The line is cut to 1000 characters whatever the error holds.
 */
export function fail(err: unknown): never {
  const classified = classifyError(err);
  const e = classified as { exitCode?: number; message?: string; name?: string };
  const known = e?.name === 'UsageError' || e?.name === 'EnvironmentError';
  const code = e?.name === 'UsageError' ? 2 : e?.name === 'EnvironmentError' ? 3 : (e?.exitCode ?? 1);
  const line = String(e?.message ?? classified).split('\n')[0] ?? '';
  process.stderr.write(`dockforge: ${known ? '' : 'error: '}${clip(line, 1000)}\n`);
  if (process.env.DOCKFORGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

/** The commands, for the unknown-command message. */
const COMMANDS = ['init', 'generate', 'status'];

/**
 * A closed stdout or stderr (`dockforge init --yes | head -3`) ends the process quietly with the
 * status it already has, never a stack trace (the usual behaviour of Unix tools on EPIPE).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw e;
    });
  }
}

async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  const first = argv[0];
  if (first !== undefined && !first.startsWith('-') && !COMMANDS.includes(first) && first !== 'gen') {
    fail({ name: 'UsageError', message: `unknown command "${first}": expected ${COMMANDS.join(', ')}` });
  }
  const parser = yargs(argv)
    .scriptName('dockforge')
    .usage(
      '$0 <command> [options]\n\nDetects your stack and writes a multi-stage Dockerfile, .dockerignore, ' +
        'compose.yaml and Kubernetes manifests.',
    )
    .command(
      'init',
      'detect the stack, ask (prefilled), write the container files',
      (y) =>
        y
          .options(answerFlags())
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
          .option('force', {
            type: 'boolean',
            describe: 'write the new render over your edits (lists the edits dropped)',
          })
          .option('conflict', {
            type: 'string',
            describe: 'inline (markers, default) | rej (keep yours, write <file>.rej)',
          }),
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
    .wrap(Math.min(100, process.stdout.columns || 100));
  if (argv.length === 0) {
    // bare `dockforge`: the usage, not an error
    parser.showHelp('log');
    return;
  }
  await parser.parseAsync();
}

main(hideBin(process.argv)).catch(fail);
