/**
 * Template packs: the built-in templates are a pack, and a team pack layered over it
 * replaces a partial (an extension point), a whole file, or a pack.yaml entry — nothing else.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanup, tempRepo } from './helpers/cli.js';
import { resolvePack } from '../src/templates/pack.js';
import { render as renderPlan } from '../src/render/render.js';
import { validateAnswers } from '../src/answers/fields.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

const answers = validateAnswers({
  language: 'go',
  database: 'sqlite',
  base: 'distroless',
  uid: 10001,
  gid: 10001,
  port: 8080,
  name: 'svc',
  image: 'svc:1.0.0',
  healthPath: '/health',
  alpineVersion: '3.22',
  goVersion: '1.25',
  goMain: '.',
  cgo: false,
});

function teamPack(): string {
  const dir = tempRepo();
  dirs.push(dir);
  mkdirSync(path.join(dir, 'partials', 'k8s'), { recursive: true });
  mkdirSync(path.join(dir, 'partials', 'dockerfile'), { recursive: true });
  mkdirSync(path.join(dir, 'files'), { recursive: true });
  writeFileSync(
    path.join(dir, 'pack.yaml'),
    [
      'name: acme-platform',
      'version: 2.0.0',
      'files:',
      '  - path: .dockerignore',
      '    template: acme-dockerignore.hbs',
      '  - path: CODEOWNERS.containers',
      '    template: codeowners.hbs',
      '',
    ].join('\n'),
  );
  // extension point: extra labels on every Kubernetes object
  writeFileSync(
    path.join(dir, 'partials', 'k8s', 'labels.hbs'),
    [
      'app.kubernetes.io/name: {{name}}',
      'app.kubernetes.io/instance: {{name}}',
      'app.kubernetes.io/component: {{component}}',
      'app.kubernetes.io/part-of: {{name}}',
      'app.kubernetes.io/managed-by: dockforge',
      'acme.example/team: payments',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'partials', 'dockerfile', 'labels.hbs'),
    'LABEL org.opencontainers.image.vendor="ACME"\n',
  );
  writeFileSync(path.join(dir, 'files', 'acme-dockerignore.hbs'), '# ACME standard\n.git\n');
  writeFileSync(path.join(dir, 'files', 'codeowners.hbs'), 'Dockerfile @acme/platform\n');
  return dir;
}

it('the built-in templates are a pack with an id', async () => {
  const pack = await resolvePack();
  expect(pack.id).toBe('dockforge-builtin@0.1.0');
  const plan = await renderPlan(answers, pack, '0.1.0');
  expect(plan.files.map((f) => f.path)).toContain('Dockerfile');
  expect(plan.files.find((f) => f.path === 'Dockerfile')!.template).toBe(
    'dockforge-builtin@0.1.0:files/Dockerfile.hbs',
  );
});

it('a team pack overrides partials, files and entries; everything else comes from the built-in pack', async () => {
  const base = await renderPlan(answers, await resolvePack(), '0.1.0');
  const pack = await resolvePack([teamPack()]);
  expect(pack.id).toBe('dockforge-builtin@0.1.0 + acme-platform@2.0.0');
  const plan = await renderPlan(answers, pack, '0.1.0');
  const file = (p: string): string => plan.files.find((f) => f.path === p)!.content;
  // partial overrides reach every file that uses them
  expect(file('k8s/deployment.yaml')).toContain('acme.example/team: payments');
  expect(file('k8s/service.yaml')).toContain('acme.example/team: payments');
  expect(file('Dockerfile')).toContain('LABEL org.opencontainers.image.vendor="ACME"');
  expect(file('Dockerfile')).not.toContain('org.opencontainers.image.title');
  // an entry with the same path replaces the built-in one; a new entry adds a file
  expect(file('.dockerignore')).toBe('# ACME standard\n.git\n');
  expect(plan.files.find((f) => f.path === '.dockerignore')!.template).toBe(
    'acme-platform@2.0.0:files/acme-dockerignore.hbs',
  );
  expect(file('CODEOWNERS.containers')).toBe('Dockerfile @acme/platform\n');
  // untouched files are byte-identical to the built-in render
  expect(file('compose.yaml').replace(/acme[^\n]*\n/g, '')).toBe(
    base.files.find((f) => f.path === 'compose.yaml')!.content,
  );
});

it('a pack with a path escaping the project is refused', async () => {
  const dir = teamPack();
  writeFileSync(
    path.join(dir, 'pack.yaml'),
    'name: bad\nversion: 1.0.0\nfiles:\n  - path: ../outside\n    template: codeowners.hbs\n',
  );
  await expect(resolvePack([dir])).rejects.toThrow(
    /at \/files\/0\/path: expected path written in the target repository.*\(found "\.\.\/outside"\)/,
  );
});
