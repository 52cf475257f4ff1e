/**
 * The registry is the only list of languages: a throwaway language (a module and a template
 * folder in test/fixtures/throwaway-language, nothing else) is registered, detected, answered,
 * validated and rendered — with no edit to any file of dockforge.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { fieldSpec, fieldTable, parseField, validateAnswers } from '../src/answers/fields.js';
import { detect } from '../src/detect/index.js';
import { registerLanguage, unregisterLanguage } from '../src/registry.js';
import { render } from '../src/render/render.js';
import { resolvePack } from '../src/templates/pack.js';
import { python } from './fixtures/throwaway-language/stack.js';
import { FIXTURES } from './helpers/cli.js';
import { composeErrors, k8sErrors, loadManifests, pssRestrictedErrors } from './helpers/manifests.js';

const HERE = path.join(FIXTURES, 'throwaway-language');

beforeAll(() => registerLanguage(python));
afterAll(() => unregisterLanguage('python'));

describe('a language registered from outside the source tree', () => {
  it('joins the field table: the language choices, its own fields scoped to it', () => {
    expect(fieldSpec('language')!.choices).toContain('python');
    expect(fieldSpec('language')!.allowed).toBe('go, static, node, c, python');
    const own = fieldTable()
      .filter((f) => f.language === 'python')
      .map((f) => f.key);
    expect(own).toEqual(['pythonVersion', 'pythonModule']);
    expect(() => parseField('pythonVersion', '2.7')).toThrow(/invalid pythonVersion "2\.7": expected 3\.12, 3\.13/);
  });

  it('is detected with evidence: language, module, port and health path from the code', async () => {
    const d = await detect(path.join(HERE, 'repo'));
    expect(d.findings.language).toEqual({ value: 'python', evidence: [{ file: 'requirements.txt', line: 1 }] });
    expect(d.findings.pythonModule?.value).toBe('app');
    expect(d.findings.port).toEqual({ value: 5050, evidence: [{ file: 'app/__main__.py', line: 8 }] });
    expect(d.findings.healthPath?.value).toBe('/healthz');
  });

  it.each(['none', 'sqlite', 'postgres'])('renders with database %s through the shared templates', async (database) => {
    const answers = validateAnswers({
      language: 'python',
      database,
      base: 'distroless',
      uid: 12345,
      gid: 12345,
      port: 5050,
      name: 'pyapp',
      image: 'pyapp:1.0.0',
      healthPath: '/healthz',
      alpineVersion: '3.22',
      pythonVersion: '3.13',
      pythonModule: 'app',
    });
    const pack = await resolvePack([path.join(HERE, 'pack')]);
    const rendered = await render(answers, pack, '0.1.0');
    const files = new Map(rendered.files.map((f) => [f.path, f]));
    const dockerfile = files.get('Dockerfile')!;
    expect(dockerfile.content).toContain('FROM python:${PYTHON_VERSION}-slim AS deps');
    expect(dockerfile.content).toMatch(/ENTRYPOINT \["python", "-m"\]\nCMD \["app"\]\n$/);
    expect(files.get('.dockerignore')!.content).toContain('__pycache__/');
    // the shared templates and the services did the rest
    const compose = parseYaml(files.get('compose.yaml')!.content);
    expect(composeErrors(compose)).toEqual([]);
    expect(compose.services.app.init).toBe(true);
    expect(compose.services.db === undefined).toBe(database !== 'postgres');
    expect(files.has('k8s/pvc.yaml')).toBe(database === 'sqlite');
    if (database === 'sqlite') expect(dockerfile.content).toContain('ENV DATABASE_PATH=/data/app.db');
    for (const [p, f] of files) {
      if (!p.startsWith('k8s/') || p.endsWith('kustomization.yaml')) continue;
      for (const o of loadManifests(f.content)) {
        expect(k8sErrors(o)).toEqual([]);
        expect(pssRestrictedErrors(o)).toEqual([]);
      }
    }
    // no Go or C probe: those files belong to the Go and C modules
    expect([...files.keys()].some((p) => p.startsWith('.dockforge/healthcheck/'))).toBe(false);
    expect(dockerfile.template).toBe('dockforge-builtin@0.1.0:files/Dockerfile.hbs');
  });
});
