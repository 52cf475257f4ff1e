/**
 * Start-up through the built executable: `dist/cli/main.cjs` runs the CLI bundle with V8's code
 * cache on Node versions without a module compile cache (src/cli/entry.ts). A cache file is
 * written after a run, reused by the next, replaced when it is unusable, removed when it belongs
 * to another build, never taken from a folder another user owns, and the output is the same
 * with or without it. The modules the bundle imports on demand (child_process for git, Handlebars'
 * compiler from node_modules) load through it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES, REPO, cleanup, listFiles, read, runCli, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** Node ≥ 22.1 uses its own compile cache instead: nothing is written in the folder then. */
const nodeCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** A fresh cache home (XDG_CACHE_HOME) and the folder dockforge keeps its V8 data in. */
function cacheHome(): { env: Record<string, string>; dir: string } {
  const home = tempRepo();
  dirs.push(home);
  return { env: { XDG_CACHE_HOME: home }, dir: path.join(home, 'dockforge', 'v8') };
}

/** `init --yes --force` on a copy of examples/go-sqlite; every file's path and text after it. */
function init(env: Record<string, string>): string {
  const work = tempRepo(path.join(EXAMPLES, 'go-sqlite'));
  dirs.push(work);
  const r = runCli(['init', '--yes', '--force'], work, env);
  expect(r.code, r.stderr).toBe(0);
  return listFiles(work)
    .map((f) => `${f}\n${read(work, f)}`)
    .join('\0');
}

describe.skipIf(nodeCache)('V8 code cache (Node without module.enableCompileCache)', () => {
  it('writes one private file per command after a run and gives the same output with it', () => {
    const { env, dir } = cacheHome();
    const first = init(env);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^dockforge-[A-Za-z0-9]+-[\d.]+-node\.\d+-[a-z0-9]+-init\.bin$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    const data = readFileSync(path.join(dir, files[0]!));
    expect(data.length).toBeGreaterThan(10_000);
    // the second run reads it and (accepted) leaves it as it is
    expect(init(env)).toBe(first);
    expect(readFileSync(path.join(dir, files[0]!)).equals(data)).toBe(true);
    // a failed run writes nothing; another command gets its own file
    const empty = tempRepo();
    dirs.push(empty);
    expect(runCli(['status'], empty, env).code).not.toBe(0);
    expect(readdirSync(dir)).toEqual(files);
    expect(runCli(['detect'], path.join(EXAMPLES, 'go-sqlite'), env).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([files[0], files[0]!.replace(/-init\.bin$/, '-detect.bin')].sort());
  });

  it('replaces data V8 rejects, and removes the files of other builds', () => {
    const { env, dir } = cacheHome();
    const reference = init({ NODE_DISABLE_COMPILE_CACHE: '1', ...cacheHome().env });
    init(env);
    const [name] = readdirSync(dir);
    const garbage = Buffer.alloc(statSync(path.join(dir, name!)).size, 7);
    writeFileSync(path.join(dir, name!), garbage);
    writeFileSync(path.join(dir, 'dockforge-OLDBUILD-11.3.244.8-node.38-x64-init.bin'), 'old');
    expect(init(env)).toBe(reference);
    expect(readdirSync(dir)).toEqual([name]);
    expect(readFileSync(path.join(dir, name!)).equals(garbage)).toBe(false);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 writes nothing', () => {
    const { env, dir } = cacheHome();
    init({ ...env, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });

  it.skipIf(process.getuid?.() !== 0)('does not use a folder another user owns (run as root here)', () => {
    const { env, dir } = cacheHome();
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    chownSync(dir, 65534, 65534);
    init(env);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('modules the bundle loads on demand', () => {
  it('git (child_process) for the secrets check in a git work tree', () => {
    const work = tempRepo(path.join(EXAMPLES, 'go-postgres'));
    dirs.push(work);
    execFileSync('git', ['init', '-q'], { cwd: work });
    const r = runCli(['init', '--yes', '--force'], work);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(listFiles(work).some((f) => f.startsWith('k8s/secrets/'))).toBe(true);
  });

  it("Handlebars' compiler for a shipped template that was edited (not precompiled)", () => {
    // the package as installed: dist/, templates/, package.json, its dependencies
    const pkg = tempRepo();
    dirs.push(pkg);
    for (const part of ['dist', 'templates', 'package.json']) {
      cpSync(path.join(REPO, part), path.join(pkg, part), { recursive: true });
    }
    symlinkSync(path.join(REPO, 'node_modules'), path.join(pkg, 'node_modules'));
    const readme = path.join(pkg, 'templates', 'files', 'README.Docker.md.hbs');
    writeFileSync(readme, `${readFileSync(readme, 'utf8')}\nEdited for {{name}}.\n`);
    const work = tempRepo(path.join(EXAMPLES, 'go-sqlite'));
    dirs.push(work);
    const r = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli', 'main.cjs'), 'init', '--yes', '--force'], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(read(work, 'README.Docker.md')).toMatch(/\nEdited for [a-z0-9-]+\.\n$/);
  });
});
