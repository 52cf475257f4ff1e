/**
 * Test helpers: run the built CLI as a user would (a spawned `node dist/cli/main.cjs`) in
 * temporary directories.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli', 'main.cjs');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');
export const EXAMPLES = path.join(REPO, 'examples');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `dockforge ARGS` with cwd `cwd`, no TTY (stdin is a pipe), colour off.
 * @param env extra environment variables.
 */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temp directory, with `from` (a fixture or example folder) copied in when given. */
export function tempRepo(from?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dockforge-test-'));
  // dependencies, VCS data and (git-ignored) secret files are not part of a repository as cloned
  const skip = /[\\/](node_modules|\.git)([\\/]|$)|(\.dockforge|k8s)[\\/]secrets([\\/]|$)/;
  if (from) cpSync(from, dir, { recursive: true, filter: (src) => !skip.test(src) });
  return dir;
}

/** Remove a temp directory. */
export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every file under `dir` (relative, sorted). */
export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymbolicLink()) out.push(`${r} -> (link)`);
    else if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
    else out.push(`${r} (special)`); // FIFO, socket, device: never opened (a FIFO would block)
  }
  return out.sort();
}

/**
 * sha256 over every regular file's path, content and mtime: changes when anything is written or
 * touched. Symlinks and special files (FIFOs: opening one blocks) are listed by name only.
 */
export function treeHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of listFiles(dir).filter((x) => !x.endsWith(' -> (link)') && !x.endsWith(' (special)'))) {
    h.update(f)
      .update('\0')
      .update(readFileSync(path.join(dir, f)))
      .update('\0')
      .update(String(statSync(path.join(dir, f)).mtimeMs));
  }
  return h.digest('hex');
}

/** Read a file under `dir` as UTF-8. */
export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

/**
 * The temporary folders of one test file, removed after it: `copy(fixture)` copies a fixture
 * (an empty folder without one); `keep(dir)` adds a folder made elsewhere. Call at module level.
 */
export function tempDirs(): { copy: (fixture?: string) => string; keep: (dir: string) => string } {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(cleanup));
  const keep = (dir: string): string => {
    dirs.push(dir);
    return dir;
  };
  return { keep, copy: (fixture) => keep(tempRepo(fixture === undefined ? undefined : path.join(FIXTURES, fixture))) };
}
