/**
 * Validation gaps of the answer fields (goMain, image, name), in process through the same
 * answers → render steps as `init --yes`: a bad value is a UsageError with one line naming the
 * field and the allowed values; a good one renders files Kubernetes accepts.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveAnswers } from '../src/answers/resolve.js';
import { NAME_MAX, serviceName } from '../src/answers/fields.js';
import { quote } from '../src/errors.js';
import { render } from '../src/render/render.js';
import { goMainProblem } from '../src/stacks/go.js';
import { resolvePack } from '../src/templates/pack.js';
import { emptyDetection } from '../src/vocabulary.js';
import { k8sErrors } from './helpers/manifests.js';

/** `init --yes` answers for a Go service with these given values (no detection). */
const answersFor = (given: Record<string, unknown>) =>
  resolveAnswers({ given: { language: 'go', ...given }, detection: emptyDetection(), mode: 'yes' });

/** The UsageError message `answersFor(given)` throws. */
async function refusal(given: Record<string, unknown>): Promise<string> {
  const e = (await answersFor(given).then(
    () => undefined,
    (err: unknown) => err,
  )) as Error | undefined;
  expect(e?.name).toBe('UsageError');
  return e!.message;
}

const GO_MAIN_ALLOWED = 'a package path inside the repository such as . or ./cmd/server (no . or .. segments)';
const HEX = '0123456789abcdef'.repeat(4);
const IMAGE_ALLOWED =
  'an image reference pinned by a tag (not :latest) or a digest, e.g. registry.example.com:5000/app:1.0.0 ' +
  'or app@sha256:<64 hex digits>';
const NAME_ALLOWED =
  'a DNS-1123 label that starts with a letter (DNS-1035, required of Kubernetes Service names): ' +
  'lowercase letters, digits and "-", ending with a letter or digit, at most 43 characters ' +
  '(so the derived name "<name>-postgres" fits a StatefulSet name, at most 52)';

describe('goMain stays inside the repository', () => {
  it.each(['./cmd/../../etc', './..', './cmd/./server', './...', './cmd/...'])('%s is refused', async (goMain) => {
    expect(await refusal({ goMain })).toBe(`invalid goMain ${quote(goMain)}: expected ${GO_MAIN_ALLOWED}`);
  });

  it('the last check before go build refuses what normalizes outside the repository', () => {
    expect(goMainProblem('./cmd/../../etc')).toBe(`invalid goMain "./cmd/../../etc": expected ${GO_MAIN_ALLOWED}`);
    expect(goMainProblem('../x')).toBe(`invalid goMain "../x": expected ${GO_MAIN_ALLOWED}`);
    expect(goMainProblem('./cmd/server')).toBeUndefined();
    expect(goMainProblem('.')).toBeUndefined();
  });
});

describe('image: the distribution reference grammar, pinned', () => {
  it.each([
    'registry.example.com:5000/app:1.0.0',
    'localhost:5000/team/app:v1',
    `app@sha256:${HEX}`,
    `registry.example.com/app:1.0.0@sha256:${HEX}`,
    'my__org/my.app-x:1.0_rc',
  ])('%s is accepted and rendered', async (image) => {
    const { answers } = await answersFor({ image });
    expect(answers.image).toBe(image);
    const rendered = await render(answers, await resolvePack(), '0.1.0', []);
    const deployment = rendered.files.find((f) => f.path === 'k8s/deployment.yaml')!.content;
    const doc = parseAllDocuments(deployment)[0]!.toJS() as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(doc.spec.template.spec.containers[0]!.image).toBe(image);
  });

  it.each([
    'app',
    'app:latest',
    'App:1.0',
    'a___b:1',
    'host:port/app:1',
    `app@sha256:${HEX.slice(1)}`,
    `app:${'x'.repeat(129)}`,
    `${'a'.repeat(256)}:1`,
  ])('%s is refused', async (image) => {
    expect(await refusal({ image })).toBe(`invalid image ${quote(image)}: expected ${IMAGE_ALLOWED}`);
  });
});

describe('name: every derived Kubernetes name is valid', () => {
  it.each(['2048', 'a'.repeat(44), 'a'.repeat(63)])('%s is refused with the reason', async (name) => {
    expect(await refusal({ name })).toBe(`invalid name ${quote(name)}: expected ${NAME_ALLOWED}`);
  });

  it('the longest name renders a PostgreSQL StatefulSet whose pods can be created', async () => {
    expect(NAME_MAX).toBe(43);
    const name = `a${'-b'.repeat(21)}`;
    expect(name).toHaveLength(43);
    const { answers } = await answersFor({ name, database: 'postgres' });
    const rendered = await render(answers, await resolvePack(), '0.1.0', []);
    const objects = rendered.files
      .filter((f) => f.path.startsWith('k8s/') && f.path.endsWith('.yaml'))
      .flatMap((f) =>
        parseAllDocuments(f.content).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } }),
      )
      .filter((o) => o?.metadata?.name);
    const dns1035 = /^(?=.{1,63}$)[a-z]([-a-z0-9]*[a-z0-9])?$/;
    const services = objects.filter((o) => o.kind === 'Service').map((o) => o.metadata!.name!);
    expect(services).toEqual([name, `${name}-postgres`]);
    for (const s of services) expect(s).toMatch(dns1035);
    const sets = objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata!.name!);
    expect(sets).toEqual([`${name}-postgres`]);
    // controller-revision-hash = "<statefulset>-<10 characters>" is a label value: at most 63
    for (const s of sets) expect(`${s}-0123456789`.length).toBeLessThanOrEqual(63);
  });

  it('a detected label becomes a valid name (a folder named 2048 → app-2048)', () => {
    expect(serviceName('2048')).toBe('app-2048');
    expect(serviceName('a'.repeat(63))).toBe('a'.repeat(43));
    expect(serviceName(`${'x'.repeat(42)}-y`)).toBe('x'.repeat(42));
    expect(serviceName('---')).toBe('app');
  });
});

describe('answer strings are YAML strings in every YAML file', () => {
  // names YAML 1.1 (go-yaml v2, used by kubectl and kustomize) or 1.2 reads as booleans or null
  it.each(['true', 'yes', 'on', 'off', 'no', 'null', 'y', 'n'])(
    'name %s: every label value and name reads back as a string; kubernetes-models accepts the objects',
    async (name) => {
      for (const database of ['none', 'postgres', 'sqlite']) {
        const { answers } = await answersFor({ name, database, env: 'ON=yes,NULL=1e3' });
        const rendered = await render(answers, await resolvePack(), '0.1.0', []);
        for (const file of rendered.files.filter((f) => /\.ya?ml$/.test(f.path))) {
          for (const version of ['1.1', '1.2'] as const) {
            for (const doc of parseAllDocuments(file.content, { version })) {
              const obj = doc.toJS() as Record<string, any>;
              if (file.path.startsWith('k8s/') && obj?.kind !== 'Kustomization') {
                expect(obj.metadata.name, `${file.path} (${version})`).toMatch(new RegExp(`^${name}(-|$)`));
                for (const v of Object.values(obj.metadata.labels ?? {})) expect(typeof v).toBe('string');
                if (version === '1.2') expect(k8sErrors(obj), file.path).toEqual([]);
              }
              if (file.path === 'compose.yaml') {
                const env = obj.services.app.environment as Record<string, unknown>;
                expect(env.ON).toBe('yes');
                expect(env.NULL).toBe('1e3');
                if (database === 'postgres') expect(obj.services.db.environment.POSTGRES_USER).toBe(name);
              }
            }
          }
        }
      }
    },
  );
});
