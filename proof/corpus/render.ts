/**
 * Steps 1 and 2 of the corpus run: `dockforge init` on a fresh copy of a repository (exit code,
 * summary, warnings), and the static checks of what it wrote (compose.yaml against the Compose
 * schema, the Dockerfile with BuildKit's checks when dockerfile-lint is installed).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { composeErrors } from '../../test/helpers/manifests.js';
import { CheckerError, findChecker, lintDockerfile } from '../../test/helpers/checkers.js';
import { CLI, REPO, run } from '../e2e/run.js';
import { composeFile } from './compose.js';

/** Outcome of one `dockforge init`. */
export interface InitResult {
  /** The exact arguments after `dockforge`. */
  args: string[];
  exitCode: number;
  seconds: number;
  /** stdout up to the list of written files (the answers and their evidence). */
  summary: string;
  /** Lines of stdout or stderr that start with `warning` or `note` (trimmed), in order, without repeats. */
  warnings: string[];
  /** When init failed: stderr (or stdout) trimmed to its first 5 lines. */
  error?: string;
}

/** Lines matching /^\s*(warning|note)\b/i (ANSI colours removed), trimmed, first occurrence only. */
export function warningLines(...texts: string[]): string[] {
  // eslint-disable-next-line no-control-regex
  const lines = texts.flatMap((t) => t.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/));
  return [...new Set(lines.filter((l) => /^\s*(warning|note)\b/i.test(l)).map((l) => l.trim()))];
}

/**
 * Copy the built CLI (dist/, templates/, package.json; node_modules linked) to `dest`, so a rebuild of
 * dist/ during the run cannot change or break the CLI halfway through.
 * @returns the path of the copy's `dist/cli/main.cjs`.
 * @throws Error when dist/ is missing (run `npm run build`).
 */
export function snapshotCli(dest: string): string {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.cjs missing: run npm run build first');
  mkdirSync(dest, { recursive: true });
  for (const p of ['dist', 'templates', 'package.json'])
    cpSync(path.join(REPO, p), path.join(dest, p), { recursive: true });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dest, 'node_modules'));
  return path.join(dest, 'dist', 'cli', 'main.cjs');
}

/**
 * Run the built CLI `cli` (default dist/cli/main.cjs): `init --yes --base BASE --uid UID --gid UID [...extra]`
 * in `dir`. Never throws for a failing init (its exit code and reason are in the result).
 */
export async function dockforgeInit(
  dir: string,
  base: string,
  uid: number,
  extra: string[] = [],
  cli = CLI,
): Promise<InitResult> {
  const args = ['init', '--yes', '--base', base, '--uid', String(uid), '--gid', String(uid), ...extra];
  const t0 = Date.now();
  const r = await run(process.execPath, [cli, ...args], { cwd: dir, timeout: 120_000, env: noColour() });
  const seconds = (Date.now() - t0) / 1000;
  const cut = r.stdout.search(/^Wrote in /m);
  const res: InitResult = {
    args,
    exitCode: r.code,
    seconds,
    summary: (cut >= 0 ? r.stdout.slice(0, cut) : r.stdout).trimEnd(),
    warnings: warningLines(r.stdout, r.stderr),
  };
  if (r.code !== 0) {
    res.error = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 5).join('\n') || `exit ${r.code}`;
  }
  return res;
}

/** The environment without colour (so captured lines start with their words). */
export function noColour(): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

/** Static checks of one rendering. */
export interface StaticChecks {
  /** Compose schema errors (`<path> <message>`), or undefined when compose.yaml is missing. */
  compose?: string[];
  /** BuildKit check findings (`line N RULE: message`); undefined when the linter is not installed. */
  dockerfile?: string[];
  /** Why a check could not run (missing file, linter crash, parse error). */
  problems: string[];
}

/**
 * Check what `dockforge init` wrote in `dir`: its compose file (see composeFile) against the vendored Compose schema,
 * the Dockerfile with BuildKit's checks (dockerfile-lint from .tools/bin or PATH; skipped when absent).
 * Never throws: a check that could not run is listed in `problems`.
 */
export async function staticChecks(dir: string): Promise<StaticChecks> {
  const out: StaticChecks = { problems: [] };
  const compose = composeFile(dir);
  if (compose) {
    try {
      out.compose = composeErrors(parseYaml(readFileSync(compose, 'utf8')));
    } catch (e) {
      out.problems.push(`${path.basename(compose)}: ${(e as Error).message.split('\n')[0]}`);
    }
  } else {
    out.problems.push('no compose file written');
  }
  const dockerfile = path.join(dir, 'Dockerfile');
  if (!existsSync(dockerfile)) out.problems.push('Dockerfile not written');
  else if (findChecker('dockerfile-lint')) {
    try {
      out.dockerfile = (await lintDockerfile(dockerfile, { timeoutMs: 60_000 })).map(
        (f) => `line ${f.line} ${f.rule}: ${f.message}`,
      );
    } catch (e) {
      out.problems.push(`Dockerfile: ${e instanceof CheckerError ? e.message : String(e)}`);
    }
  }
  return out;
}

/** One line for a table cell: `ok`, or what failed. */
export function formatChecks(c: StaticChecks | undefined): string {
  if (!c) return '-';
  const parts: string[] = [];
  if (c.compose && c.compose.length > 0) parts.push(`compose schema: ${c.compose.length} errors`);
  if (c.dockerfile && c.dockerfile.length > 0) parts.push(`BuildKit checks: ${c.dockerfile.length} findings`);
  parts.push(...c.problems);
  if (c.dockerfile === undefined && !c.problems.some((p) => p.startsWith('Dockerfile'))) {
    parts.push('Dockerfile not linted (dockerfile-lint not installed)');
  }
  return parts.length === 0 ? 'ok' : parts.join('; ');
}
