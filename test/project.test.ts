/**
 * Projects of several services (issue 12): detection of the service folders and the calls
 * between them, the project's render (golden files, byte for byte; the field's checkers and the
 * independent witnesses on it; the NetworkPolicies of the call graph), and the commands through
 * the built CLI: `init --yes` at the root, `generate --service`, `add`, `remove`, `status`, with
 * the user's edits kept.
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { validateAnswers } from '../src/answers/fields.js';
import { resolveAnswers } from '../src/answers/resolve.js';
import { checkRendered, expectFromAnswers } from '../src/check/index.js';
import { callTarget, detectProject } from '../src/detect/project.js';
import { renderProject } from '../src/render/project.js';
import type { Rendered } from '../src/render/render.js';
import { resolvePack } from '../src/templates/pack.js';
import type { ProjectAnswers } from '../src/vocabulary.js';
import {
  composeConfig,
  hasChecker,
  kubeScore,
  kubeconform,
  kubernetesSchemaDir,
  podSecurity,
  publishedPortClashes,
  renderKustomize,
  summarize,
} from './helpers/checkers.js';
import { FIXTURES, REPO, cleanup, listFiles, read, runCli, tempRepo } from './helpers/cli.js';
import { GOLDEN_VERSION, writeTemp } from './helpers/render.js';

const SHOP = path.join(FIXTURES, 'project-shop');
const GOLDEN = path.join(REPO, 'test', 'golden', 'project-shop');
const update = process.env.UPDATE_GOLDEN === '1';

/** The answers `init --yes` takes at the fixture's root, and its render. */
async function shop(): Promise<{ project: ProjectAnswers; rendered: Rendered }> {
  const found = await detectProject(SHOP);
  const services = [];
  for (const s of found.services) {
    const { answers } = await resolveAnswers({ given: { name: s.name }, detection: s.detection, mode: 'yes' });
    const calls = found.calls.filter((c) => c.from === s.name).map((c) => ({ to: c.to, env: c.env }));
    services.push({ name: s.name, dir: s.dir, calls, answers });
  }
  const project = { project: 'shop', services };
  return { project, rendered: await renderProject(project, await resolvePack([]), GOLDEN_VERSION) };
}

describe('calls between services, from the variables the code reads', () => {
  const others = new Map([
    ['api', false],
    ['users-service', false],
    ['web', true],
  ]);
  it.each([
    ['USERS_SERVICE_URL', 'web', 'users-service'],
    ['USERS_URL', 'api', 'users-service'],
    ['API_URL', 'users-service', 'api'],
    ['VITE_API_URL', 'web', 'api'], // the service named api
    ['BACKEND_URL', 'web', undefined], // two servers: which one is not said
    ['REACT_APP_USERS_SERVICE_ADDR', 'web', 'users-service'],
    ['WEB_ORIGIN', 'api', 'web'],
    ['DATABASE_URL', 'api', undefined],
    ['PAYMENTS_URL', 'api', undefined],
    ['API_KEY', 'web', undefined],
    ['ORDERS_API_URL', 'web', 'api'], // the service named api ends the words
  ])('%s read by %s → %s', (variable, caller, target) => {
    expect(callTarget(variable, caller, others)).toBe(target);
  });

  it('API_URL, BACKEND_URL, ORDERS_API_URL point at the one server there is', () => {
    const two = new Map([
      ['api', false],
      ['web', true],
    ]);
    for (const v of ['VITE_API_URL', 'BACKEND_URL', 'ORDERS_API_URL', 'NEXT_PUBLIC_API_BASE_URL']) {
      expect(callTarget(v, 'web', two), v).toBe('api');
    }
  });
});

describe('detection of a project', () => {
  it('finds each service folder with its stack, and the calls with their evidence', async () => {
    const found = await detectProject(SHOP);
    const summary = found.services.map((s) => ({
      name: s.name,
      dir: s.dir,
      language: s.detection.findings.language?.value,
      database: s.detection.findings.database?.value,
      cache: s.detection.findings.cache?.value,
    }));
    expect(summary).toEqual([
      { name: 'api', dir: 'api', language: 'go', database: 'postgres', cache: 'redis' },
      { name: 'worker', dir: 'worker', language: 'node', database: undefined, cache: undefined },
    ]);
    expect(found.calls).toEqual([
      { from: 'worker', to: 'api', env: 'ORDERS_API_URL', evidence: [{ file: 'worker/worker.js', line: 4 }] },
    ]);
  });

  it('--service picks folders; one that is not a service folder is refused', async () => {
    const one = await detectProject(SHOP, ['./worker/']);
    expect(one.services.map((s) => s.dir)).toEqual(['worker']);
    await expect(detectProject(SHOP, ['../x'])).rejects.toThrow(/invalid --service "\.\.\/x": expected a folder/);
    await expect(detectProject(FIXTURES, ['monorepo'])).rejects.toThrow(/no language found there/);
  });
});

describe('the render of a project', () => {
  it('is byte for byte the golden files', async () => {
    const { rendered } = await shop();
    const files = new Map(rendered.files.map((f) => [f.path, f.content]));
    files.set('.dockforge/answers.yaml', rendered.answersText);
    if (update) {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [rel, content] of files) {
        mkdirSync(path.dirname(path.join(GOLDEN, rel)), { recursive: true });
        writeFileSync(path.join(GOLDEN, rel), content);
      }
    }
    expect([...files.keys()].sort()).toEqual(listFiles(GOLDEN));
    for (const [rel, content] of files) expect(content, rel).toBe(readFileSync(path.join(GOLDEN, rel), 'utf8'));
  });

  it('each service in its folder, one compose file, a k8s folder per service, shared backing services', async () => {
    const { rendered } = await shop();
    const paths = rendered.files.map((f) => f.path);
    for (const p of ['api/Dockerfile', 'api/.dockerignore', 'worker/Dockerfile', 'k8s/api/deployment.yaml']) {
      expect(paths).toContain(p);
    }
    for (const p of ['compose.yaml', 'README.Docker.md', 'k8s/kustomization.yaml', 'k8s/networkpolicy.yaml']) {
      expect(paths.filter((x) => x === p)).toHaveLength(1);
    }
    expect(paths).toEqual(expect.arrayContaining(['k8s/postgres.yaml', 'k8s/redis.yaml']));
    expect(paths.some((p) => /^(api|worker)\/(compose\.yaml|README\.Docker\.md|k8s\/)/.test(p))).toBe(false);
    const kustomization = parseYaml(rendered.files.find((f) => f.path === 'k8s/kustomization.yaml')!.content);
    const k8s = paths.filter((p) => p.startsWith('k8s/') && p !== 'k8s/kustomization.yaml').map((p) => p.slice(4));
    expect([...kustomization.resources].sort()).toEqual(k8s.sort());
    expect(kustomization.secretGenerator.map((g: { name: string }) => g.name)).toEqual(['shop-postgres', 'shop-redis']);
  });

  it('compose: each service built from its folder, waits for what it calls, reads its address', async () => {
    const { rendered } = await shop();
    const compose = parseYaml(rendered.files.find((f) => f.path === 'compose.yaml')!.content);
    expect(Object.keys(compose.services)).toEqual(['api', 'worker', 'db', 'redis']);
    expect(compose.services.api.build.context).toBe('./api');
    expect(compose.services.worker.build.context).toBe('./worker');
    expect(compose.services.worker.environment.ORDERS_API_URL).toBe('http://api:8080');
    expect(compose.services.worker.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    expect(compose.services.api.depends_on).toEqual({
      db: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    // the shared database is the project's
    expect(compose.services.api.environment.PGDATABASE).toBe('shop');
    expect(compose.services.db.environment.POSTGRES_DB).toBe('shop');
  });

  it('NetworkPolicies allow exactly the calls: worker → api → PostgreSQL, Redis; nothing else', async () => {
    const { rendered } = await shop();
    const policies = parseAllDocuments(rendered.files.find((f) => f.path === 'k8s/networkpolicy.yaml')!.content)
      .map((d) => d.toJS())
      .filter(Boolean);
    const byName = Object.fromEntries(policies.map((p) => [p.metadata.name, p.spec]));
    expect(Object.keys(byName).sort()).toEqual(['api', 'shop-postgres', 'shop-redis', 'worker']);
    const from = (spec: any) =>
      spec.ingress.flatMap((r: any) => (r.from ?? []).map((f: any) => f.podSelector.matchLabels));
    const to = (spec: any) =>
      spec.egress.flatMap((r: any) =>
        (r.to ?? []).map((t: any) => {
          const labels = t.podSelector.matchLabels;
          const name = labels['app.kubernetes.io/name'] ?? labels['k8s-app'];
          const ports = r.ports.map((p: any) => p.port).join('+');
          return `${name}/${labels['app.kubernetes.io/component'] ?? ''}:${ports}`;
        }),
      );
    // api: only the worker reaches it; it reaches DNS, the database and the cache
    expect(from(byName.api)).toEqual([{ 'app.kubernetes.io/name': 'worker', 'app.kubernetes.io/component': 'server' }]);
    expect(to(byName.api)).toEqual(['kube-dns/:53+53', 'shop/database:5432', 'shop/cache:6379']);
    // worker: nobody calls it (reachable on its port from an Ingress); it reaches DNS and the api
    expect(byName.worker.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    expect(to(byName.worker)).toEqual(['kube-dns/:53+53', 'api/server:8080']);
    for (const backing of ['shop-postgres', 'shop-redis']) {
      expect(from(byName[backing])).toEqual([
        { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/component': 'server' },
      ]);
      expect(byName[backing].egress).toEqual([]);
    }
  });

  it("passes the field's checks: Dockerfile rules per service, Compose schema, k8s models, PSS", async () => {
    const { project, rendered } = await shop();
    for (const s of project.services) {
      const mine = rendered.files.filter((f) => f.path.startsWith(`${s.dir}/`) || !f.path.endsWith('Dockerfile'));
      const problems = await checkRendered(mine, expectFromAnswers(s.answers));
      expect(problems.map((p) => `${p.file}: ${p.message}`)).toEqual([]);
    }
  });
});

describe('a Next.js frontend in a project', () => {
  it('NEXT_PUBLIC_API_URL is a build argument (the browser calls), the API takes traffic from anywhere', async () => {
    const api = { language: 'go', name: 'api', port: 8080 };
    const web = { language: 'node', name: 'web', port: 3000, nodeFramework: 'next', nodeBuild: true };
    const project: ProjectAnswers = {
      project: 'site',
      services: [
        { name: 'api', dir: 'api', calls: [], answers: validateAnswers(api) },
        { name: 'web', dir: 'web', calls: [{ to: 'api', env: 'NEXT_PUBLIC_API_URL' }], answers: validateAnswers(web) },
      ],
    };
    const rendered = await renderProject(project, await resolvePack([]), GOLDEN_VERSION);
    const file = (p: string): string => rendered.files.find((f) => f.path === p)!.content;
    const compose = parseYaml(file('compose.yaml'));
    expect(compose.services.web.build.args).toEqual({ NEXT_PUBLIC_API_URL: 'http://localhost:8080' });
    expect(compose.services.web.environment.NEXT_PUBLIC_API_URL).toBeUndefined();
    expect(file('web/Dockerfile')).toMatch(/\nARG NEXT_PUBLIC_API_URL\nRUN npm run build\n/);
    const policies = parseAllDocuments(file('k8s/networkpolicy.yaml')).map((d) => d.toJS());
    const apiPolicy = policies.find((p) => p?.metadata.name === 'api');
    expect(apiPolicy.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
  });
});

describe('independent witnesses on the project', () => {
  let dir = '';
  beforeAll(async () => {
    const { rendered } = await shop();
    dir = writeTemp(new Map(rendered.files.map((f) => [f.path, f.content])));
    for (const s of rendered.secrets) {
      const lines = [...s.keys.map((k) => `${k}=witness`), ...s.derived.map((d) => `${d.key}=${d.value}`)];
      mkdirSync(path.dirname(path.join(dir, s.path)), { recursive: true });
      writeFileSync(path.join(dir, s.path), `${lines.join('\n')}\n`);
    }
  });
  afterAll(() => cleanup(dir));

  it.skipIf(!hasChecker('docker-compose'))('docker compose config: valid, no host port published twice', async () => {
    const config = await composeConfig(path.join(dir, 'compose.yaml'));
    expect(Object.keys(config.services).sort()).toEqual(['api', 'db', 'redis', 'worker']);
    expect(publishedPortClashes(config)).toEqual([]);
  });

  it.skipIf(!(hasChecker('kubectl') && hasChecker('kubeconform') && kubernetesSchemaDir()))(
    'kustomize build k8s | kubeconform -strict: all valid',
    async () => {
      const r = await kubeconform(await renderKustomize(path.join(dir, 'k8s')));
      expect(r.findings.map((f) => `${f.kind}/${f.name}: ${f.message}`)).toEqual([]);
      expect(r.resources).toBeGreaterThanOrEqual(12);
    },
  );

  it.skipIf(!(hasChecker('kubectl') && hasChecker('psa')))(
    'Pod Security Admission restricted: every pod allowed',
    async () => {
      const r = await podSecurity(await renderKustomize(path.join(dir, 'k8s')));
      expect(r.violations).toEqual([]);
      expect(r.evaluated).toBeGreaterThanOrEqual(4);
    },
  );

  it.skipIf(!hasChecker('kube-score'))('kube-score: no warning or critical finding', async () => {
    const files = [
      ...readdirSync(path.join(dir, 'k8s'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.yaml') && !f.endsWith('kustomization.yaml'))
        .map((f) => path.join(dir, 'k8s', f)),
    ];
    const findings = await kubeScore(files, { ignoreTests: ['container-image-pull-policy'] });
    expect(summarize(findings)).toEqual([]);
  });
});

describe('the commands on a project (built CLI)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(cleanup));
  const fresh = (): string => {
    const d = tempRepo(SHOP);
    dirs.push(d);
    return d;
  };

  it('init --yes at the root writes every service, status is clean, generate changes nothing', () => {
    const dir = fresh();
    const init = runCli(['init', '--yes'], dir);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/project dockforge-test-\w+, 2 services/);
    expect(init.stdout).toMatch(/worker +worker\/ +node .*→ api \(ORDERS_API_URL\)/);
    for (const p of [
      'api/Dockerfile',
      'worker/Dockerfile',
      'compose.yaml',
      'k8s/api/deployment.yaml',
      '.dockforge/secrets/postgres.env',
    ]) {
      expect(existsSync(path.join(dir, p)), p).toBe(true);
    }
    const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
    expect(Object.keys(answers.services)).toEqual(['api', 'worker']);
    expect(answers.services.worker.calls).toBe('api=ORDERS_API_URL');
    expect(runCli(['status'], dir).code).toBe(0);
    expect(runCli(['generate'], dir).stdout).toMatch(/nothing: every file is up to date/);
  });

  it('generate --service changes one service; edits in any file and comments in answers.yaml stay', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    appendFileSync(path.join(dir, 'api', 'Dockerfile'), '# my edit\n');
    const answersPath = path.join(dir, '.dockforge', 'answers.yaml');
    writeFileSync(
      answersPath,
      read(dir, '.dockforge/answers.yaml').replace('  worker:\n', '  # the poller\n  worker:\n'),
    );
    const gen = runCli(['generate', '--service', 'worker', '--set', 'port=3100', '--set', 'base=alpine'], dir);
    expect(gen.code).toBe(0);
    const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
    expect(answers.services.worker).toMatchObject({ port: 3100, base: 'alpine' });
    expect(answers.services.api).toMatchObject({ port: 8080, base: 'distroless' });
    expect(read(dir, '.dockforge/answers.yaml')).toContain('  # the poller\n  worker:\n');
    expect(read(dir, 'api/Dockerfile')).toMatch(/# my edit\n$/);
    expect(read(dir, 'worker/Dockerfile')).toMatch(/^FROM \S*alpine\S* AS runtime$/m);
    const compose = parseYaml(read(dir, 'compose.yaml'));
    expect(compose.services.worker.ports).toEqual(['127.0.0.1:3100:3100']);
    // the other service's files are not rendered anew: only the edit is reported kept
    expect(gen.stdout).toMatch(/kept +api\/Dockerfile +\(your edits kept\)/);
    expect(gen.stdout).not.toMatch(/k8s\/api\//);
  });

  it('remove deletes the unedited files of a service and keeps an edited one; add brings it back', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    appendFileSync(path.join(dir, 'k8s', 'worker', 'service.yaml'), '# mine\n');
    const removed = runCli(['remove', 'worker'], dir);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/deleted +worker\/Dockerfile/);
    expect(removed.stdout).toMatch(/orphaned +k8s\/worker\/service\.yaml/);
    expect(existsSync(path.join(dir, 'worker', 'Dockerfile'))).toBe(false);
    expect(existsSync(path.join(dir, 'k8s', 'worker', 'service.yaml'))).toBe(true);
    expect(Object.keys(parseYaml(read(dir, 'compose.yaml')).services)).toEqual(['api', 'db', 'redis']);
    rmSync(path.join(dir, 'k8s', 'worker', 'service.yaml'));
    const added = runCli(['add', 'worker'], dir);
    expect(added.code).toBe(0);
    expect(parseYaml(read(dir, '.dockforge/answers.yaml')).services.worker.calls).toBe('api=ORDERS_API_URL');
    expect(runCli(['status'], dir).code).toBe(0);
  });

  it('--json: the project, each service with its answers, calls and their origin', () => {
    const dir = fresh();
    const r = runCli(['init', '--yes', '--json', '--dry-run'], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.project.services.map((s: any) => [s.name, s.dir, s.answers.language])).toEqual([
      ['api', 'api', 'go'],
      ['worker', 'worker', 'node'],
    ]);
    expect(out.project.services[1].calls).toEqual([{ to: 'api', env: 'ORDERS_API_URL' }]);
    expect(out.project.services[0].origin.database).toBe('detected');
    expect(existsSync(path.join(dir, 'compose.yaml'))).toBe(false);
  });

  it('init again adds a service folder found since, keeping the answers of the others', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    expect(runCli(['generate', '--service', 'api', '--set', 'uid=4242'], dir).code).toBe(0);
    cpSync(path.join(dir, 'worker'), path.join(dir, 'billing'), { recursive: true });
    rmSync(path.join(dir, 'billing', 'Dockerfile'));
    rmSync(path.join(dir, 'billing', '.dockerignore'));
    const again = runCli(['init', '--yes'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/created +billing\/Dockerfile/);
    const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
    expect(Object.keys(answers.services)).toEqual(['api', 'worker', 'billing']);
    expect(answers.services.api.uid).toBe(4242);
    expect(answers.services.billing.calls).toBe('api=ORDERS_API_URL');
  });

  it('bad input: one line, exit 2, nothing written', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    const before = read(dir, '.dockforge/answers.yaml');
    const cases: [string[], RegExp][] = [
      [
        ['generate', '--service', 'nope', '--set', 'port=1'],
        /^dockforge: invalid --service nope: expected one of api, worker\n$/,
      ],
      [
        ['generate', '--set', 'calls=api='],
        /^dockforge: --set calls applies to one service: pass generate --service NAME\n$/,
      ],
      [
        ['generate', '--service', 'worker', '--set', 'calls=web=X'],
        /^dockforge: invalid answer services\.worker\.calls: "web" is not another service \(api\)\n$/,
      ],
      [['remove', 'nope'], /^dockforge: invalid service nope: expected one of api, worker\n$/],
      [['add', 'api'], /^dockforge: invalid add api: it is a service already\n$/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, dir);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.code).toBe(2);
    }
    expect(read(dir, '.dockforge/answers.yaml')).toBe(before);
  });
});

describe('interactive init of a project (a real pseudo-terminal)', () => {
  it('lists the services found, all checked; each can be renamed; then each is asked its questions', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers/cli.js');
    const dir = tempRepo(SHOP);
    try {
      // checkbox: accept both; names: keep api, rename worker to poller; then accept every answer
      const keys = ['\r', '\r', 'poller\r', ...Array<string>(20).fill('\r')];
      const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
        const child = spawn('script', ['-qfec', `node ${CLI} init`, '/dev/null'], {
          cwd: dir,
          env: { ...process.env, TERM: 'xterm', NO_COLOR: '1' },
        });
        let text = '';
        let sent = 0;
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          const drawn = text.split('? ').length - 1;
          const done = text.split('✔').length - 1;
          while (sent < keys.length && drawn > sent && done === sent) child.stdin.write(keys[sent++]!);
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, text });
        });
      });
      expect(out.text).toContain('Services of this project');
      expect(out.text).toContain('worker (node)');
      expect(out.text).toContain('Service poller (worker/)');
      expect(out.code).toBe(0);
      const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
      expect(Object.keys(answers.services)).toEqual(['api', 'poller']);
      expect(answers.services.poller).toMatchObject({ dir: 'worker', calls: 'api=ORDERS_API_URL' });
      expect(existsSync(path.join(dir, 'k8s', 'poller', 'deployment.yaml'))).toBe(true);
    } finally {
      cleanup(dir);
    }
  });
});
