/**
 * The ground: errors every layer may throw. Imports nothing from dockforge.
 *
 * Exit codes (the CLI maps errors to them): 0 success; 1 conflicts or drift that need a
 * human; 2 bad input, nothing written; 3 the environment stopped the run (a path dockforge
 * cannot read or write: permissions, a folder where a file belongs, a full disk); 130 the user
 * cancelled (Ctrl-C or Ctrl-D at a prompt), nothing written.
 */
import path from 'node:path';

/**
 * Invalid user input (a flag, `--set`, a prompt answer, answers.yaml, the record of generated
 * files, a pack). The CLI prints `message` on one line and exits with code 2 without writing
 * anything.
 */
export class UsageError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** True for a {@link UsageError}, also across module copies (checked by name). */
export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError || (e as { name?: unknown } | null)?.name === 'UsageError';
}

/**
 * The environment, not the input, stopped the run: a path dockforge cannot read or write
 * (permissions, a folder where a file belongs or the reverse, a full or read-only disk). The
 * CLI prints `message` on one line — `cannot <verb> <path>: <reason> (<errno code>): <what to
 * do>` — and exits with code 3. Files already replaced stay replaced (each write is atomic).
 */
export class EnvironmentError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 3;
  /**
   * @param message the whole line, without the `dockforge: ` prefix.
   * @param code the errno code (`EACCES`, `EISDIR`, …) the line names.
   * @param path the path it names, as printed.
   */
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

/** True for an {@link EnvironmentError}, also across module copies (checked by name). */
export function isEnvironmentError(e: unknown): e is EnvironmentError {
  return e instanceof EnvironmentError || (e as { name?: unknown } | null)?.name === 'EnvironmentError';
}

/**
 * The user cancelled at a prompt (Ctrl-C, Ctrl-D; answering "no" to overwriting is a UsageError).
 * The CLI prints `cancelled` and exits with 130, the shell convention for an interrupt
 * (128 + SIGINT); prompts come before the first write, so nothing was written.
 */
export class CancelledError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 130;
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/**
 * The errors an @inquirer prompt rejects with when the user leaves a prompt: `ExitPromptError`
 * (Ctrl-C: "force closed the prompt with SIGINT"; Ctrl-D or a closed stdin: "with 0 null"),
 * `AbortPromptError` and `CancelPromptError` (@inquirer/core, lib/errors.js).
 */
const PROMPT_EXITS = new Set(['ExitPromptError', 'AbortPromptError', 'CancelPromptError']);

/**
 * Errno codes that are the environment's doing, with the reason printed and what to do.
 * Source: the codes Node's `fs` reports (libuv's errno names, POSIX meanings).
 */
const ENVIRONMENT_CODES: Record<string, [reason: string, advice: string]> = {
  EACCES: ['permission denied', 'check the permissions of the path and of its folder, or run as their owner'],
  EPERM: ['operation not permitted', 'check the permissions and attributes (immutable, ACLs) of the path'],
  EISDIR: ['it is a folder', 'a file belongs there: move or remove the folder'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'move or remove the file that is in the way'],
  ENOSPC: ['no space left on the device', 'free some disk space, then run dockforge again'],
  EDQUOT: ['disk quota exceeded', 'free some space within your quota, then run dockforge again'],
  EROFS: ['read-only file system', 'run dockforge on a writable checkout'],
  ENAMETOOLONG: ['the name is too long', 'use a shorter path'],
  ELOOP: ['too many levels of symbolic links', 'fix the symbolic link loop'],
  EMFILE: ['too many open files', 'raise the open-file limit (ulimit -n), then run dockforge again'],
  ENFILE: ['too many open files in the system', 'close other programs, then run dockforge again'],
  EBUSY: ['the path is busy', 'stop the program using it, then run dockforge again'],
  ETXTBSY: ['the file is busy', 'stop the program using it, then run dockforge again'],
  EEXIST: ['something already exists there', 'move or remove it, then run dockforge again'],
  ENOTEMPTY: ['the folder is not empty', 'move or remove its contents, then run dockforge again'],
  EIO: ['input/output error', 'check the disk, then run dockforge again'],
};

/** Syscalls that only read: the line says "cannot read"; writing ones say "cannot write". */
const READING = new Set(['read', 'scandir', 'opendir', 'readlink', 'stat', 'lstat', 'fstat', 'realpath', 'access']);

/**
 * An {@link EnvironmentError} for `code` at `file` (e.g. a folder found where answers.yaml
 * belongs). Unknown codes get a generic reason.
 * @param verb `read` or `write`.
 * @param file absolute or relative path; shown relative to the working directory when inside it.
 */
export function environmentError(
  code: string,
  verb: 'read' | 'write' | 'open' | 'write in',
  file: string,
): EnvironmentError {
  const [reason, advice] = ENVIRONMENT_CODES[code] ?? ['the system refused', 'check the path, then run again'];
  const shown = verb === 'write in' ? displayPath(file).replace(/\/?$/, '/') : displayPath(file);
  const advise = (verb === 'write in' && FOLDER_ADVICE[code]) || advice;
  return new EnvironmentError(`cannot ${verb} ${shown}: ${reason} (${code}): ${advise}`, code, shown);
}

/**
 * Advice for a folder that refuses new entries, by the errno codes that are the folder's doing
 * when an entry is created or renamed (its permissions, its file system).
 */
const FOLDER_ADVICE: Record<string, string> = {
  EACCES: 'make the folder writable (chmod u+w) or run as its owner',
  EPERM: "check the folder's permissions and attributes (immutable, ACLs)",
  EROFS: 'run dockforge on a writable checkout',
};

/**
 * The folder to blame when making an entry failed: `mkdir`, a new (temporary) file's `open` and
 * `rename` create entries in the parent folder, so EACCES/EPERM/EROFS there is the folder's, not the
 * file's (POSIX: creating, renaming or removing a directory entry needs write permission on it).
 */
function folderOf(err: NodeJS.ErrnoException & { dest?: string }, file: string): string | undefined {
  if (!((err.code ?? '') in FOLDER_ADVICE)) return undefined;
  const creates =
    err.syscall === 'mkdir' ||
    err.syscall === 'rename' ||
    err.syscall === 'unlink' ||
    (err.syscall === 'open' && TEMP_NAME.test(path.basename(file)));
  return creates ? path.dirname(file) : undefined;
}

/** A temporary file of an atomic write: `.<name>.dockforge-<pid>-<hex>.tmp` (write/fs.ts). */
const TEMP_NAME = /^\.([^\\/]+)\.dockforge-\d+-[0-9a-f]+\.tmp$/;

/**
 * Classify a thrown value: a Node errno error (it has `code`, `syscall` and `path`) whose code
 * is the environment's doing becomes an {@link EnvironmentError} naming the path (a temporary
 * file of an atomic write is named as its target); a prompt the user left (Ctrl-C, Ctrl-D)
 * becomes a {@link CancelledError}; anything else is returned unchanged.
 */
export function classifyError(e: unknown): unknown {
  if (PROMPT_EXITS.has((e as { name?: string } | null)?.name ?? '')) return new CancelledError();
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || !(err.code in ENVIRONMENT_CODES)) return e;
  if (isEnvironmentError(e) || isUsageError(e)) return e;
  const file = err.syscall === 'rename' && err.dest ? err.dest : err.path;
  if (typeof file !== 'string') return e;
  const folder = folderOf(err, file);
  if (folder !== undefined) return environmentError(err.code, 'write in', folder);
  const verb = READING.has(err.syscall ?? '') ? 'read' : err.syscall === 'open' ? 'open' : 'write';
  return environmentError(err.code, verb, path.join(path.dirname(file), path.basename(file).replace(TEMP_NAME, '$1')));
}

/** `file` relative to the working directory when inside it, else as given. */
function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(process.cwd(), file);
  if (rel === '') return '.';
  return !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Characters of an input value echoed in an error message (see {@link clip}). */
export const ECHO_LIMIT = 80;

/**
 * Cut text echoed from input (a value, a key, a parser's message) to `max` characters, ending
 * with `…` when cut, so a huge value cannot make a huge error line.
 */
export function clip(text: string, max = ECHO_LIMIT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `JSON.stringify` of an input value for an error message, cut by {@link clip} first. */
export function quote(value: string): string {
  return JSON.stringify(clip(value));
}

/**
 * Bytes as the limits are stated: `1 MiB`, `16 MiB`, else bytes.
 */
export function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
