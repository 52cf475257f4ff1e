/**
 * The field's own checkers as witnesses, on every cell: BuildKit's Dockerfile checks (the
 * rules `docker build --check` runs, via proof/dockerfile-lint) and kube-score on the
 * Kubernetes manifests. Installed by `npm run checkers:install`; a test is skipped when its
 * checker is absent, unless DOCKFORGE_REQUIRE_CHECKERS names it (CI sets it).
 * kube-linter cannot be installed here (its module host is refused by the Go module proxy).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/cli.js';
import { hasChecker, kubeScore, lintDockerfile, summarize } from './helpers/checkers.js';
import { registryCells, renderFiles, writeTemp } from './helpers/render.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** The cells' rendered files on disk, written on first use. */
async function cellDir(answers: Record<string, unknown>): Promise<string> {
  const dir = writeTemp(await renderFiles(answers));
  dirs.push(dir);
  return dir;
}

describe.each(registryCells())('$id', ({ answers }) => {
  it.skipIf(!hasChecker('dockerfile-lint'))('BuildKit Dockerfile checks: no warning', async () => {
    const dir = await cellDir(answers);
    for (const target of ['runtime', 'dev']) {
      expect(await lintDockerfile(path.join(dir, 'Dockerfile'), { target })).toEqual([]);
    }
  });

  it.skipIf(!hasChecker('kube-score'))('kube-score: no warning or critical finding', async () => {
    const dir = await cellDir(answers);
    const files = readdirSync(path.join(dir, 'k8s'))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => path.join(dir, 'k8s', f));
    // container-image-pull-policy wants Always; with pinned tags IfNotPresent is the right choice
    const findings = await kubeScore(files, { ignoreTests: ['container-image-pull-policy'] });
    expect(summarize(findings)).toEqual([]);
  });
});
