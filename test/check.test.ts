/**
 * The shipped checks of rendered output (src/check): the built-in pack's render of every golden
 * cell passes them, and each kind of rule catches a file broken for it (the Dockerfile rules,
 * the Compose schema, kubernetes-models, PSS restricted, YAML that does not parse). Each broken
 * file's problems are compared whole, so a removed rule fails its test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateAnswers } from '../src/answers/fields.js';
import { checkRendered, expectFromAnswers, type CheckExpect } from '../src/check/index.js';
import { render } from '../src/render/render.js';
import { resolvePack } from '../src/templates/pack.js';
import { REPO } from './helpers/cli.js';
import { registryCells } from './helpers/render.js';

type Files = { path: string; content: string }[];

/** The built-in pack's files for `raw` answers, rendered in-process. */
async function renderCell(raw: Record<string, unknown>): Promise<{ files: Files; expect: CheckExpect }> {
  const answers = validateAnswers(raw);
  const rendered = await render(answers, await resolvePack(), '0.1.0');
  return {
    files: rendered.files.map((f) => ({ path: f.path, content: f.content })),
    expect: expectFromAnswers(answers),
  };
}

describe('the built-in pack', () => {
  it.each(registryCells())('cell $id renders files that pass every check', async ({ answers }) => {
    const { files, expect: e } = await renderCell(answers);
    expect(await checkRendered(files, e)).toEqual([]);
  });
});

describe('each kind of rule catches a broken file', () => {
  // a golden cell (its UID:GID and name are not the defaults): go, sqlite, distroless
  const cell = registryCells().find((c) => c.id === 'go-sqlite-distroless')!;
  const user = `${cell.answers.uid}:${cell.answers.gid}`;
  const pod = `Deployment ${cell.answers.name} container ${cell.answers.name}`;
  let files: Files;
  let e: CheckExpect;
  beforeAll(async () => {
    ({ files, expect: e } = await renderCell(cell.answers));
  });

  /** The problems of the render with `file` edited by `edit` (which must change it), or added when new. */
  async function problemsWith(file: string, edit: (text: string) => string): Promise<unknown[]> {
    const old = files.find((f) => f.path === file)?.content ?? '';
    const text = edit(old);
    expect(text, `the edit changes ${file}`).not.toBe(old);
    const others = files.filter((f) => f.path !== file);
    return checkRendered([...others, { path: file, content: text }], e);
  }

  /** `text` with the last line equal to `line` replaced by `by` (removed when `by` is empty). */
  const replaceLast = (text: string, line: string, by: string): string => {
    const lines = text.split('\n');
    const i = lines.lastIndexOf(line);
    expect(i, line).toBeGreaterThanOrEqual(0);
    lines.splice(i, 1, ...(by ? [by] : []));
    return lines.join('\n');
  };

  it('expectFromAnswers takes uid, gid, port, language, base and database', () => {
    expect(e).toEqual({
      uid: 12345,
      gid: 23456,
      port: 8080,
      language: 'go',
      runtime: 'distroless',
      database: 'sqlite',
    });
  });

  it('a Dockerfile whose last stage runs as root (hadolint DL3002)', async () => {
    expect(await problemsWith('Dockerfile', (t) => replaceLast(t, `USER ${user}`, 'USER 0:0'))).toEqual([
      { file: 'Dockerfile', message: `runtime USER is 0:0, expected ${user}` },
      { file: 'Dockerfile', message: 'runtime USER 0:0 is not numeric non-zero' },
    ]);
  });

  it('a Dockerfile whose last stage has no USER', async () => {
    expect(await problemsWith('Dockerfile', (t) => replaceLast(t, `USER ${user}`, ''))).toEqual([
      { file: 'Dockerfile', message: `runtime USER is undefined, expected ${user}` },
      { file: 'Dockerfile', message: 'runtime USER undefined is not numeric non-zero' },
    ]);
  });

  it('a Dockerfile with ADD and a shell-form ENTRYPOINT (hadolint DL3020, DL3025)', async () => {
    const problems = await problemsWith('Dockerfile', (t) =>
      t.replace(
        /^ENTRYPOINT \[(.*)\]$/m,
        (_, args: string) => `ADD app.tar /srv\nENTRYPOINT ${JSON.parse(`[${args}]`)}`,
      ),
    );
    expect(problems).toEqual([
      { file: 'Dockerfile', message: expect.stringMatching(/^line \d+: ADD instead of COPY \(DL3020\)$/) },
      { file: 'Dockerfile', message: expect.stringMatching(/^line \d+: ENTRYPOINT not in exec form \(DL3025\)$/) },
    ]);
  });

  it('a compose file with an unknown top-level key (Compose Specification schema)', async () => {
    expect(await problemsWith('compose.yaml', (t) => `${t}bogus: true\n`)).toEqual([
      { file: 'compose.yaml', message: ' must NOT have additional properties' },
    ]);
  });

  it('every compose file name is checked, docker-compose.yml too', async () => {
    const compose = files.find((f) => f.path === 'compose.yaml')!.content;
    expect(await problemsWith('docker-compose.yml', () => `${compose}bogus: true\n`)).toEqual([
      { file: 'docker-compose.yml', message: ' must NOT have additional properties' },
    ]);
  });

  it('a Deployment without runAsNonRoot (PSS restricted)', async () => {
    expect(await problemsWith('k8s/deployment.yaml', (t) => t.replace(/^\s*runAsNonRoot: true\n/gm, ''))).toEqual([
      { file: 'k8s/deployment.yaml', message: `${pod}: runAsNonRoot is not true` },
    ]);
  });

  it('a Deployment with privileged: true (PSS restricted)', async () => {
    const privileged = (t: string): string =>
      t.replace(/^(\s*)allowPrivilegeEscalation: false$/m, '$1allowPrivilegeEscalation: false\n$1privileged: true');
    expect(await problemsWith('k8s/deployment.yaml', privileged)).toEqual([
      { file: 'k8s/deployment.yaml', message: `${pod}: privileged` },
    ]);
  });

  it('a Deployment kubernetes-models refuses, and a kind it has no model for', async () => {
    const widget = '---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n';
    const problems = await problemsWith(
      'k8s/deployment.yaml',
      (t) => `${t.replace('replicas: 1', 'replicas: one')}${widget}`,
    );
    expect(problems).toEqual([
      {
        file: 'k8s/deployment.yaml',
        message: expect.stringMatching(new RegExp(`^Deployment ${cell.answers.name}: .*replicas`)),
      },
      { file: 'k8s/deployment.yaml', message: 'no model for example.com/v1/Widget' },
    ]);
  });

  it('YAML that does not parse: a manifest, the kustomization, any other YAML file', async () => {
    const broken = 'key: [unclosed\n';
    for (const file of ['k8s/service.yaml', 'k8s/kustomization.yaml', '.github/dependabot.yml']) {
      const problems = await problemsWith(file, () => broken);
      expect(problems.length, file).toBeGreaterThan(0);
      for (const p of problems)
        expect(p).toEqual({ file, message: expect.stringMatching(/^does not parse as YAML: /) });
    }
  });

  it('files that are neither a Dockerfile nor YAML are not checked', async () => {
    expect(await problemsWith('README.Docker.md', () => 'key: [unclosed\n')).toEqual([]);
    expect(await problemsWith('.dockerignore', () => 'FROM scratch\n')).toEqual([]);
  });
});

it('src/check imports no checker module (dockerfile-ast, ajv, kubernetes-models, JSON) when it is loaded', () => {
  const dir = path.join(REPO, 'src', 'check');
  const eager: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const source = ts.createSourceFile(name, readFileSync(path.join(dir, name), 'utf8'), ts.ScriptTarget.ES2022);
    for (const s of source.statements) {
      if (!ts.isImportDeclaration(s) || s.importClause?.isTypeOnly) continue;
      const from = (s.moduleSpecifier as ts.StringLiteral).text;
      if (/^(ajv|dockerfile-ast|kubernetes-models)(\/|$)|\.json$/.test(from)) eager.push(`${name}: ${from}`);
    }
  }
  expect(eager).toEqual([]);
});
