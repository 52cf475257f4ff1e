/**
 * dockforge's entry point: argument parsing only. Each command's module is imported when the
 * command runs, so `--help` and `--version` load nothing heavy.
 *
 * Exit codes: 0 success; 1 conflicts or drift that need a human (and unexpected errors: bugs);
 * 2 bad input (nothing written); 3 the environment stopped the run (a path dockforge cannot
 * read or write: permissions, a folder where a file belongs, a full disk); 130 cancelled at a
 * prompt (Ctrl-C, Ctrl-D), nothing written.
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { fieldTable } from '../answers/fields.js';
import { answerKeysHelp } from './args.js';
import { skipHelpCache } from './startup.js';
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
    const values = f.choices
      ? f.choices.join(' | ')
      : f.kind === 'int'
        ? `integer ${f.min}-${f.max}`
        : (f.allowed.split(/ \(|: /)[0] ?? f.allowed);
    out[f.key] = {
      // no yargs type: the value stays the text as typed (parse-numbers off) for the field
      // table to validate and echo; the kind is in the description instead of "[string]"
      requiresArg: true,
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
  const known = e?.name === 'UsageError' || e?.name === 'EnvironmentError' || e?.name === 'CancelledError';
  const code = e?.name === 'UsageError' ? 2 : e?.name === 'EnvironmentError' ? 3 : (e?.exitCode ?? 1);
  const line = String(e?.message ?? classified).split('\n')[0] ?? '';
  process.stderr.write(`dockforge: ${known ? '' : 'error: '}${clip(line, 1000)}\n`);
  if (process.env.DOCKFORGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

/** Columns of the help text: the terminal's, at most 100. */
function helpWidth(): number {
  return Math.min(100, process.stdout.columns || 100);
}

/**
 * The epilogue of `init --help` and `generate --help`: the answers `--set` accepts. Made only
 * when the arguments ask for help (it wraps a table of every field); '' otherwise.
 */
function keysHelp(argv: string[]): string {
  return argv.includes('--help') || argv.includes('-h') ? answerKeysHelp(helpWidth()) : '';
}

/** The commands, for the unknown-command message. */
const COMMANDS = ['init', 'generate', 'add', 'remove', 'status', 'detect', 'templates', 'completion'];

/** `--pack` in the help. */
const PACK_HELP =
  'team template pack: a folder, an npm package or .tgz, or a git URL#ref (pinned in answers.yaml; builtin: none)';

/** `--trust` in the help. */
const TRUST_HELP = "let the pack's own Handlebars helpers run (its code; recorded in answers.yaml for that version)";

/**
 * A closed stdout or stderr (`dockforge init --yes | head -3`) ends the process quietly with the
 * status it already has, never a stack trace (the usual behaviour of Unix tools on EPIPE).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        settled = true;
        process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      }
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
          .epilogue(keysHelp(argv))
          .option('dir', { type: 'string', describe: 'repository to write into', default: '.' })
          .option('yes', { alias: 'y', type: 'boolean', describe: 'accept detected values and defaults, ask nothing' })
          .option('service', {
            type: 'string',
            array: true,
            describe: 'a service folder of a project of several services (repeatable; default: every one found)',
          })
          .option('force', { type: 'boolean', describe: 'overwrite files dockforge did not write' })
          .option('set', { type: 'string', array: true, describe: 'any other answer, as key=value (repeatable)' })
          .option('dry-run', { type: 'boolean', describe: 'print the plan and a unified diff, write nothing' })
          .option('json', { type: 'boolean', describe: 'one JSON object on stdout (the summary goes to stderr)' })
          .option('pack', { type: 'string', describe: PACK_HELP })
          .option('trust', { type: 'boolean', describe: TRUST_HELP }),
      async (args) => {
        const { runInit } = await import('./init.js');
        process.exitCode = await runInit(args as never, VERSION);
      },
    )
    .command(
      ['generate', 'gen'],
      're-render from the saved answers, merge into your files',
      (y) =>
        y
          .epilogue(keysHelp(argv))
          .option('dir', { type: 'string', describe: 'repository', default: '.' })
          .option('set', { type: 'string', array: true, describe: 'change an answer, as key=value (repeatable)' })
          .option('service', {
            type: 'string',
            array: true,
            describe: "a project's service the --set answers apply to (repeatable; default: every service)",
          })
          .option('dry-run', { type: 'boolean', describe: 'print a unified diff of every change, write nothing' })
          .option('force', {
            type: 'boolean',
            describe: 'write the new render over your edits (lists the edits dropped)',
          })
          .option('conflict', {
            type: 'string',
            describe: 'inline (markers, default) | rej (keep yours, write <file>.rej)',
          })
          .option('json', { type: 'boolean', describe: 'one JSON object on stdout (the summary goes to stderr)' })
          .option('pack', { type: 'string', describe: PACK_HELP })
          .option('update-pack', {
            type: 'boolean',
            describe: "fetch the pinned pack's source again, pin what it gives now, merge as usual",
          })
          .option('trust', { type: 'boolean', describe: TRUST_HELP }),
      async (args) => {
        const { runGenerate } = await import('./generate.js');
        process.exitCode = await runGenerate(args as never, VERSION);
      },
    )
    .command(
      'add <dirs..>',
      'add folders to a project of several services and merge them into its files (answers as init --yes)',
      (y) =>
        y
          .positional('dirs', {
            type: 'string',
            array: true,
            describe: 'service folders, relative to the project root',
          })
          .option('dir', { type: 'string', describe: 'project root', default: '.' })
          .option('set', { type: 'string', array: true, describe: "the new services' answers, as key=value" })
          .option('force', { type: 'boolean', describe: 'overwrite files dockforge did not write' })
          .option('dry-run', { type: 'boolean', describe: 'print a unified diff of every change, write nothing' })
          .option('json', { type: 'boolean', describe: 'one JSON object on stdout (the summary goes to stderr)' }),
      async (args) => {
        const { runGenerate } = await import('./generate.js');
        process.exitCode = await runGenerate({ ...(args as object), add: args.dirs as string[] }, VERSION);
      },
    )
    .command(
      'remove <names..>',
      'take services out of a project; their files go unless you edited them',
      (y) =>
        y
          .positional('names', { type: 'string', array: true, describe: 'service names (answers.yaml services)' })
          .option('dir', { type: 'string', describe: 'project root', default: '.' })
          .option('dry-run', { type: 'boolean', describe: 'print a unified diff of every change, write nothing' })
          .option('json', { type: 'boolean', describe: 'one JSON object on stdout (the summary goes to stderr)' }),
      async (args) => {
        const { runGenerate } = await import('./generate.js');
        process.exitCode = await runGenerate({ ...(args as object), remove: args.names as string[] }, VERSION);
      },
    )
    .command(
      'status',
      'exit 0 when generate would change nothing, 1 for drift or conflicts (CI gate)',
      (y) =>
        y
          .option('dir', { type: 'string', describe: 'repository', default: '.' })
          .option('json', { type: 'boolean', describe: 'one JSON object on stdout' }),
      async (args) => {
        const { runStatus } = await import('./status.js');
        process.exitCode = await runStatus(args as never, VERSION);
      },
    )
    .command(
      'detect',
      'show what detection finds: value, evidence, confidence (writes nothing)',
      (y) =>
        y
          .options(answerFlags())
          .option('dir', { type: 'string', describe: 'repository to read', default: '.' })
          .option('set', { type: 'string', array: true, describe: 'an answer to take as given, as key=value' })
          .option('json', { type: 'boolean', describe: 'one JSON object on stdout' }),
      async (args) => {
        const { runDetect } = await import('./detect.js');
        process.exitCode = await runDetect(args);
      },
    )
    .command('templates', 'list, show, eject, scaffold and check template packs', (y) =>
      y
        .command(
          'list',
          'every template and partial, and which layer wins',
          (z) =>
            z
              .option('dir', { type: 'string', describe: 'repository', default: '.' })
              .option('pack', { type: 'string', describe: PACK_HELP })
              .option('trust', { type: 'boolean', describe: TRUST_HELP })
              .option('json', { type: 'boolean', describe: 'one JSON object on stdout' }),
          async (args) => {
            const { runTemplatesList } = await import('./templates.js');
            process.exitCode = await runTemplatesList(args);
          },
        )
        .command(
          'show <name>',
          'print the winning text of a template or partial and where it comes from',
          (z) =>
            z
              .positional('name', { type: 'string', describe: 'files/Dockerfile.hbs, k8s/labels (a partial), …' })
              .option('dir', { type: 'string', describe: 'repository', default: '.' })
              .option('pack', { type: 'string', describe: PACK_HELP })
              .option('trust', { type: 'boolean', describe: TRUST_HELP }),
          async (args) => {
            const { runTemplatesShow } = await import('./templates.js');
            process.exitCode = await runTemplatesShow(args);
          },
        )
        .command(
          'eject <name>',
          'copy a template or partial into .dockforge/templates/ to edit it there',
          (z) =>
            z
              .positional('name', { type: 'string', describe: 'files/Dockerfile.hbs, k8s/labels (a partial), …' })
              .option('dir', { type: 'string', describe: 'repository', default: '.' })
              .option('force', { type: 'boolean', describe: 'replace an override already there' }),
          async (args) => {
            const { runTemplatesEject } = await import('./templates.js');
            process.exitCode = await runTemplatesEject(args);
          },
        )
        .command(
          'new <dir>',
          'scaffold a team pack that extends the built-in one (passes templates check as created)',
          (z) => z.positional('dir', { type: 'string', describe: 'folder to create' }),
          async (args) => {
            const { runTemplatesNew } = await import('./templates.js');
            process.exitCode = await runTemplatesNew(args);
          },
        )
        .command(
          'check <dir>',
          'validate a pack: schema, templates, partials, conditions, and every cell it renders',
          (z) =>
            z
              .positional('dir', { type: 'string', describe: 'the pack folder' })
              .option('set', { type: 'string', array: true, describe: "a pack question's answer, as key=value" })
              .option('trust', { type: 'boolean', describe: TRUST_HELP }),
          async (args) => {
            const { runTemplatesCheck } = await import('./templates.js');
            process.exitCode = await runTemplatesCheck(args);
          },
        )
        .demandCommand(1, 'missing templates command: expected list, show, eject, new or check'),
    )
    .completion('completion', 'print a bash/zsh completion script (source it from your shell profile)')
    .demandCommand(1, `missing command: expected ${COMMANDS.join(', ')}`)
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    // --help and --version return instead of exiting, so the process ends as a finished command
    .exitProcess(false)
    .strict()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .showHelpOnFail(false)
    .fail((msg, err) => {
      // yargs' own validation errors (YError: a missing option value, …) are usage errors
      if (err && err.name !== 'YError') fail(err);
      fail({ name: 'UsageError', message: msg ?? err?.message });
    })
    .wrap(helpWidth());
  if (argv.length === 0) {
    // bare `dockforge`: the usage, not an error
    parser.showHelp('log');
    return;
  }
  skipHelpCache(parser);
  await parser.parseAsync();
}

/** True once the command has finished (or a closed pipe ended it on purpose). */
let settled = false;

/**
 * A process that exits with status 0 before its command finished ran out of work while waiting
 * for input: stdin was closed at a prompt (Ctrl-D). An @inquirer prompt rejects only in
 * its own exit handler, too late for a catch, so it is reported here: `cancelled`, exit 130.
 */
process.on('exit', (code) => {
  if (settled || code !== 0 || !process.stdin.isTTY) return;
  process.stderr.write('dockforge: cancelled\n');
  process.exitCode = 130;
});

main(hideBin(process.argv))
  .then(() => {
    settled = true;
  })
  .catch(fail);
