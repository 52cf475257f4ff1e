/**
 * Packaging: `npm pack`, then `npx ./dockforge-<version>.tgz init --yes` in another directory,
 * as a user installs it. Needs the npm registry (for the dependencies), as `npm ci` does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FIXTURES, REPO, cleanup, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

it('npm pack → npx ./dockforge-<version>.tgz init --yes works in another directory', () => {
  const out = tempRepo();
  dirs.push(out);
  execFileSync('npm', ['pack', '--pack-destination', out, '--silent'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const tgz = readdirSync(out).find((f) => /^dockforge-\d+\.\d+\.\d+\.tgz$/.test(f));
  expect(tgz).toBeDefined();
  const listing = execFileSync('tar', ['-tzf', path.join(out, tgz!)], { encoding: 'utf8' });
  expect(listing).toContain('package/dist/cli/main.cjs');
  expect(listing).toContain('package/templates/pack.yaml');
  expect(listing).toContain('package/schemas/compose-spec.json');
  expect(listing).toContain('package/schemas/pack.schema.json');
  expect(listing).not.toContain('package/test/');
  expect(listing).not.toContain('package/src/');
  const work = tempRepo(path.join(FIXTURES, 'c-make'));
  dirs.push(work);
  copyFileSync(path.join(out, tgz!), path.join(work, tgz!));
  const r = spawnSync('npx', ['--yes', `./${tgz}`, 'init', '--yes'], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 180_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/created\s+Dockerfile/);
  for (const f of ['Dockerfile', 'compose.yaml', 'k8s/kustomization.yaml', '.dockforge/answers.yaml'])
    expect(existsSync(path.join(work, f)), f).toBe(true);
  // the installed CLI checks a team pack (its checkers and the Compose schema ship with it)
  const check = spawnSync('npx', ['--yes', `./${tgz}`, 'templates', 'check', path.join(REPO, 'examples/packs/acme')], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 180_000,
  });
  expect(check.status, check.stderr + check.stdout).toBe(0);
  expect(check.stdout).toMatch(/^ok: .*acme-platform@1\.0\.0/m);
}, 360_000);
