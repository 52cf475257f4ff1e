/**
 * Write safety, through the built CLI: secrets are refused unless git would ignore them (with
 * and without git), every path is checked before the first write (a `.dockforge` symlinked out
 * of the project writes nothing), and temporary files of dead runs are removed and ignored.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, cleanup, listFiles, read, runCli, tempRepo, treeHash } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

const hasGit = spawnSync('git', ['--version']).status === 0;

/** A go-cmd copy, optionally a git work tree. */
function repo(git: boolean): string {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  if (git) expect(spawnSync('git', ['init', '-q'], { cwd: dir }).status).toBe(0);
  return dir;
}

/** A pid that is not alive: a finished child's. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

/** Files of `dir` without git's own. */
function files(dir: string): string[] {
  return listFiles(dir).filter((f) => !f.startsWith('.git/'));
}

/** treeHash without `.git/` (git init's own files are not dockforge's). */
function hashOf(dir: string): string {
  return `${treeHash(dir)}:${files(dir).join(',')}`;
}

describe('secrets must be git-ignored before anything is written (item 2)', () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    [
      'a later !k8s/secrets/ line in .gitignore',
      (dir) => writeFileSync(path.join(dir, '.gitignore'), '/k8s/secrets/\n!k8s/secrets/\n'),
      new RegExp(
        'refusing to write secret k8s/secrets/postgres\\.env: git would not ignore it ' +
          '\\(\\.gitignore:2: "!k8s/secrets/"',
      ),
    ],
    [
      'k8s/.gitignore with !secrets/',
      (dir) => {
        mkdirSync(path.join(dir, 'k8s'));
        writeFileSync(path.join(dir, 'k8s/.gitignore'), '!secrets/\n');
      },
      new RegExp(
        'refusing to write secret k8s/secrets/postgres\\.env: git would not ignore it ' +
          '\\(k8s/\\.gitignore:1: "!secrets/"',
      ),
    ],
  ];
  for (const git of [false, true]) {
    for (const [name, setup, message] of cases) {
      it.skipIf(git && !hasGit)(`${name} (${git ? 'git work tree' : 'no git'}) → exit 2, nothing written`, () => {
        const dir = repo(git);
        setup(dir);
        const before = hashOf(dir);
        const r = runCli(['init', '--yes', '--database', 'postgres'], dir);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(hashOf(dir)).toBe(before);
        expect(existsSync(path.join(dir, '.dockforge'))).toBe(false);
      });
    }
    it.skipIf(git && !hasGit)(
      `a plain project gets .gitignore first and its secrets ignored (${git ? 'git' : 'no git'})`,
      () => {
        const dir = repo(git);
        const r = runCli(['init', '--yes', '--database', 'postgres'], dir);
        expect(r.code, r.stderr).toBe(0);
        expect(read(dir, '.gitignore')).toContain('/k8s/secrets/\n');
        expect(read(dir, '.gitignore')).toContain('.*.dockforge-*.tmp\n');
        const order = r.stdout.split('\n').filter((l) => /^\s+(gitignore|secret)\s/.test(l));
        expect(order.length).toBe(3);
        if (git) {
          for (const s of ['k8s/secrets/postgres.env', '.dockforge/secrets/postgres.env']) {
            expect(spawnSync('git', ['check-ignore', '-q', s], { cwd: dir }).status, s).toBe(0);
          }
          spawnSync('git', ['add', '-A'], { cwd: dir });
          const staged = spawnSync('git', ['diff', '--cached', '--name-only'], { cwd: dir, encoding: 'utf8' }).stdout;
          expect(staged).not.toMatch(/secrets\//);
          expect(staged).not.toMatch(/dockforge-.*\.tmp/);
        }
      },
    );
  }
});

describe('every path is checked before the first write (item 6)', () => {
  it('generate with .dockforge symlinked outside the project → exit 2, both trees byte-identical', () => {
    const dir = repo(false);
    expect(runCli(['init', '--yes', '--database', 'sqlite', '--runtime', 'alpine'], dir).code).toBe(0);
    const outside = tempRepo();
    dirs.push(outside);
    renameSync(path.join(dir, '.dockforge'), path.join(outside, 'df'));
    symlinkSync(path.join(outside, 'df'), path.join(dir, '.dockforge'));
    const before = [treeHash(dir), treeHash(outside)];
    const r = runCli(['generate', '--set', 'database=postgres'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing path "\.dockforge\/lock": it resolves outside the project/);
    expect([treeHash(dir), treeHash(outside)]).toEqual(before);
  });

  it('init with .dockforge symlinked to an empty folder outside → exit 2, nothing written anywhere', () => {
    const dir = repo(false);
    const outside = tempRepo();
    dirs.push(outside);
    symlinkSync(outside, path.join(dir, '.dockforge'));
    const before = treeHash(dir);
    const r = runCli(['init', '--yes', '--database', 'postgres'], dir);
    expect(r.code).toBe(2);
    expect(treeHash(dir)).toBe(before);
    expect(listFiles(outside)).toEqual([]);
  });
});

describe('temporary files of dead runs (item 5)', () => {
  it('are removed by the next run (a live run’s are kept), and are docker-ignored', () => {
    const dir = repo(false);
    expect(runCli(['init', '--yes', '--database', 'sqlite', '--runtime', 'alpine'], dir).code).toBe(0);
    expect(read(dir, '.dockerignore')).toContain('**/.*.dockforge-*.tmp\n');
    const dead = deadPid();
    const debris = [
      `.Dockerfile.dockforge-${dead}-0a1b2c3d.tmp`,
      `k8s/.deployment.yaml.dockforge-${dead}-00ff00ff.tmp`,
      `.dockforge/.manifest.json.dockforge-${dead}-12345678.tmp`,
    ];
    const live = `.compose.yaml.dockforge-${process.pid}-deadbeef.tmp`;
    for (const f of [...debris, live]) writeFileSync(path.join(dir, f), 'half');
    const r = runCli(['generate'], dir);
    expect(r.code, r.stderr).toBe(0);
    for (const f of debris) expect(existsSync(path.join(dir, f)), f).toBe(false);
    expect(existsSync(path.join(dir, live))).toBe(true);
    expect(existsSync(path.join(dir, '.dockforge/lock'))).toBe(false);
    expect(existsSync(path.join(dir, '.dockforge/journal.json'))).toBe(false);
  });
});
