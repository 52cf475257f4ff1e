/**
 * Untrusted paths (issue "Reliability and security", items 1, 4, 10), through the built CLI:
 * a record of generated files edited to list the user's files, `.git/` and secrets never makes
 * dockforge delete them; a FIFO at a managed path is refused (no hang); a dangling symlink at a
 * managed path is the user's entry, not replaced without --force.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deletableTest } from '../src/plan/reconcile.js';
import type { Rendered } from '../src/render/render.js';
import { runCli, treeHash, tempDirs } from './helpers/cli.js';

const temps = tempDirs();
const fresh = (): string => temps.copy('go-cmd');
const RECORD = '.dockforge/manifest.json';

/** Add `paths` to the record, each with its current text as the base (what a tamperer would do). */
function tamper(dir: string, paths: string[], secrets: string[] = []): void {
  const rec = JSON.parse(readFileSync(path.join(dir, RECORD), 'utf8'));
  for (const p of paths) {
    const base = readFileSync(path.join(dir, p), 'utf8');
    rec.files.push({
      path: p,
      template: 'dockforge-builtin@0.0.1:files/x.hbs',
      sha256: createHash('sha256').update(base, 'utf8').digest('hex'),
      base,
    });
  }
  rec.secrets.push(...secrets);
  writeFileSync(path.join(dir, RECORD), `${JSON.stringify(rec, null, 2)}\n`);
}

describe('a tampered record of generated files', () => {
  it("never deletes the user's code, .git/ or a secret file, with or without --force", () => {
    const dir = fresh();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    expect(runCli(['init', '--yes', '--database', 'postgres'], dir).code).toBe(0);
    const secret = 'k8s/secrets/postgres.env';
    expect(existsSync(path.join(dir, secret))).toBe(true);
    const victims = ['go.mod', '.git/HEAD', secret];
    const before = victims.map((p) => readFileSync(path.join(dir, p), 'utf8'));
    tamper(dir, victims);
    for (const args of [['generate', '--force'], ['generate']]) {
      const res = runCli(args, dir);
      expect(res.code).toBe(0);
      expect(victims.map((p) => readFileSync(path.join(dir, p), 'utf8'))).toEqual(before);
      expect(res.stdout).not.toMatch(/deleted/);
    }
  });

  it('only declared outputs are deletable, never .git/, secrets or the record', () => {
    const rendered = {
      outputs: ['Dockerfile', 'compose.yaml', 'docker-compose.yml', 'k8s/pvc.yaml'],
      secrets: [{ path: 'k8s/secrets/postgres.env', keys: [], derived: [] }],
    } as unknown as Rendered;
    const ok = deletableTest(rendered, undefined);
    expect(['Dockerfile', 'compose.yaml', 'docker-compose.yml', 'k8s/pvc.yaml'].map(ok)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      ['main.go', '.git/HEAD', 'k8s/secrets/postgres.env', 'k8s/x/pvc.yaml', '.dockforge/manifest.json'].map(ok),
    ).toEqual([false, false, false, false, false]);
  });

  it('--force keeps an edited file the pack no longer renders (content is always compared)', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes', '--database', 'sqlite'], dir).code).toBe(0);
    writeFileSync(path.join(dir, 'k8s/pvc.yaml'), `${readFileSync(path.join(dir, 'k8s/pvc.yaml'), 'utf8')}# mine\n`);
    const res = runCli(['generate', '--force', '--set', 'database=none'], dir);
    expect(res.code).toBe(0);
    expect(readFileSync(path.join(dir, 'k8s/pvc.yaml'), 'utf8')).toMatch(/# mine\n$/);
  });
});

describe('entries that are not regular files', () => {
  it('a FIFO at a managed path → exit 3 (environment) naming it, no hang, nothing written', () => {
    const dir = fresh();
    execFileSync('mkfifo', [path.join(dir, 'Dockerfile')]);
    const before = treeHash(dir);
    const res = runCli(['init', '--yes', '--database', 'none'], dir);
    expect(res.code).toBe(3);
    expect(res.stderr).toBe(
      'dockforge: Dockerfile is a FIFO, not a regular file: dockforge reads and writes only regular files; ' +
        'move it away; nothing was written\n',
    );
    expect(treeHash(dir)).toBe(before);
  });

  it.each(['.dockforge/answers.yaml', '.dockforge/manifest.json'])('a FIFO at %s → exit 3, no hang', (at) => {
    const dir = fresh();
    expect(runCli(['init', '--yes', '--database', 'none'], dir).code).toBe(0);
    rmSync(path.join(dir, at));
    execFileSync('mkfifo', [path.join(dir, at)]);
    const res = runCli(['generate'], dir);
    expect(res.code).toBe(3);
    expect(res.stderr).toBe(
      `dockforge: ${at} is a FIFO, not a regular file: dockforge reads and writes only regular files; move it away; ` +
        'nothing was written\n',
    );
  });

  it("a dangling Dockerfile symlink is the user's: refused without --force, replaced with it", () => {
    const dir = fresh();
    mkdirSync(path.join(dir, 'elsewhere'));
    symlinkSync('elsewhere/missing', path.join(dir, 'Dockerfile'));
    const before = treeHash(dir);
    const res = runCli(['init', '--yes'], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/refusing to overwrite files dockforge did not write: Dockerfile/);
    expect(treeHash(dir)).toBe(before);
    expect(runCli(['init', '--yes', '--force'], dir).code).toBe(0);
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toMatch(/^# syntax=docker\/dockerfile:1/);
  });
});

describe('the answers file is the user’s too', () => {
  it('a comment next to an answer survives generate --set (yaml Document API)', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes', '--database', 'none'], dir).code).toBe(0);
    const file = path.join(dir, '.dockforge/answers.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/^port: /m, '# the load balancer expects this port\nport: '),
    );
    expect(runCli(['generate', '--set', 'port=9191'], dir).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/# the load balancer expects this port\nport: 9191\n/);
  });
});
