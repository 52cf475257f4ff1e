// The corpus tool's pure parts, on made-up inputs (no corpus repository is named or needed).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningAddresses, loopbackOnly } from './container.js';
import { composeFile, dbLogin, parseEnvFile, podmanRunArgs, runSpec } from './compose.js';
import { loadCorpus, type CorpusEntry } from './corpus.js';
import { markdown, summarize, type RepoResult, type RunInfo } from './report.js';
import { warningLines } from './render.js';
import { buildSet, healthCheckOf, parseOptions, pointAtPort, selectRepos } from './run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'dockforge-corpus-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const compose = {
  services: {
    app: {
      build: { context: '.', target: 'runtime' },
      user: '23456:23456',
      read_only: true,
      tmpfs: ['/tmp'],
      security_opt: ['no-new-privileges:true'],
      cap_drop: ['ALL'],
      ports: ['127.0.0.1:8080:8080'],
      environment: { PORT: '8080', PGHOST: 'db', PGPASSWORD: 'from-environment' },
      env_file: [{ path: 'secrets/pg.env', required: true }, 'missing.env'],
      volumes: ['data:/data', './static:/srv/static:ro'],
      command: ['--listen', ':8080'],
      healthcheck: { test: ['CMD', '/probe'] },
      stop_grace_period: '3s',
    },
    db: {
      image: 'postgres:18-alpine',
      environment: { POSTGRES_USER: 'svc', POSTGRES_DB: 'svcdb' },
      env_file: [{ path: 'secrets/pg.env', required: true }],
    },
  },
};

describe('compose → podman run', () => {
  mkdirSync(path.join(tmp, 'secrets'));
  writeFileSync(path.join(tmp, 'secrets', 'pg.env'), '# made once\nPOSTGRES_PASSWORD="s3cret"\nPGPASSWORD=s3cret\n');

  it('translates the app service, environment over env files, and lists what it does not apply', () => {
    const spec = runSpec(compose, tmp);
    expect(spec.env).toEqual({
      PORT: '8080',
      PGHOST: 'db',
      PGPASSWORD: 'from-environment',
      POSTGRES_PASSWORD: 's3cret',
    });
    expect(spec.envFiles.map((f) => [path.basename(f.path), f.required, f.found])).toEqual([
      ['pg.env', true, true],
      ['missing.env', true, false],
    ]);
    expect(spec.ignored).toEqual(['stop_grace_period']);
    const { flags, command } = podmanRunArgs(spec, { volumeName: (n) => `x-${n}`, addHosts: ['db:127.0.0.1'] });
    expect(flags).toEqual([
      '--user',
      '23456:23456',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '-e',
      'POSTGRES_PASSWORD=s3cret',
      '-e',
      'PGPASSWORD=from-environment',
      '-e',
      'PORT=8080',
      '-e',
      'PGHOST=db',
      '-v',
      'x-data:/data',
      '-v',
      `${path.join(tmp, 'static')}:/srv/static:ro`,
      '--add-host',
      'db:127.0.0.1',
    ]);
    expect(command).toEqual(['--listen', ':8080']);
  });

  it("reads the db service's login, with the official image's defaults", () => {
    expect(dbLogin(compose, tmp)).toEqual({ user: 'svc', database: 'svcdb', password: 's3cret' });
    expect(dbLogin({ services: { app: {}, db: { image: 'postgres' } } }, tmp)).toEqual({
      user: 'postgres',
      database: 'postgres',
      password: undefined,
    });
    expect(dbLogin({ services: { app: {} } }, tmp)).toBeUndefined();
  });

  it('finds the compose file dockforge wrote: the manifest first, else the names Compose looks for', () => {
    const dir = path.join(tmp, 'compose-names');
    mkdirSync(path.join(dir, '.dockforge'), { recursive: true });
    expect(composeFile(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'docker-compose.yml'), 'services: {}\n');
    expect(composeFile(dir)).toBe(path.join(dir, 'docker-compose.yml'));
    writeFileSync(path.join(dir, 'compose.yaml'), 'services: {}\n');
    expect(composeFile(dir)).toBe(path.join(dir, 'compose.yaml'));
    const manifest = { files: [{ path: 'Dockerfile' }, { path: 'docker-compose.yml' }] };
    writeFileSync(path.join(dir, '.dockforge', 'manifest.json'), JSON.stringify(manifest));
    expect(composeFile(dir)).toBe(path.join(dir, 'docker-compose.yml'));
  });

  it('parses env files like compose for the simple cases', () => {
    expect(parseEnvFile("export A=1\n\n# c\nB='two words'\nC=\nbad line\n")).toEqual({ A: '1', B: 'two words', C: '' });
  });

  it('points PostgreSQL settings at another port only where they name 5432', () => {
    expect(
      pointAtPort({ PGPORT: '5432', URL: 'postgres://u:p@db:5432/x', DSN: 'postgres://u@db/x', X: 'db' }, 6000),
    ).toEqual({ PGPORT: '6000', URL: 'postgres://u:p@db:6000/x', DSN: 'postgres://u@db:6000/x', X: 'db' });
  });
});

describe('options and selection', () => {
  const entry = (name: string, language: string, database: string): CorpusEntry => ({
    repo: `o/${name}`,
    snapshot_dir: `o__${name}`,
    dir: '.',
    language,
    database,
    port: { default: 8080, how_set: '' },
    health_path: null,
  });
  const corpus = [entry('a', 'go', 'none'), entry('b', 'go', 'none'), entry('c', 'c', 'sqlite')];

  it('parses options and refuses bad ones', () => {
    expect(parseOptions(['--repos', 'o__a,o__c', '--timeout-per-repo=60', '--keep'])).toMatchObject({
      repos: ['o__a', 'o__c'],
      timeoutPerRepo: 60,
      keep: true,
      renderOnly: false,
    });
    expect(() => parseOptions(['--nope'])).toThrow(/unknown option --nope/);
    expect(() => parseOptions(['--timeout-per-repo', '0'])).toThrow(/positive whole number/);
    expect(() => parseOptions(['--repos'])).toThrow(/needs a value/);
    expect(() => parseOptions(['--update'])).toThrow(/--update needs --repos/);
    expect(parseOptions(['--update', '--repos', 'o__a'])).toMatchObject({ update: true, repos: ['o__a'] });
  });

  it('selects by snapshot folder; builds what rendered, or one per language × database pair', () => {
    expect(selectRepos(corpus, parseOptions(['--repos', 'o__c,o__a'])).map((e) => e.repo)).toEqual(['o/a', 'o/c']);
    expect(() => selectRepos(corpus, parseOptions(['--repos', 'o__z']))).toThrow(/not in corpus.json: o__z/);
    const rendered = corpus.map((entry, i) => ({ entry, initExit: i === 0 ? 2 : 0 }));
    expect([...buildSet(rendered, parseOptions(['--ci-subset']))]).toEqual(['o__b', 'o__c']);
    expect(buildSet(rendered, parseOptions(['--ci-subset', '--render-only'])).size).toBe(0);
    expect([...buildSet(rendered, parseOptions([]))]).toEqual(['o__b', 'o__c']);
  });

  it('reads corpus.json and rejects entries without the fields it needs', () => {
    writeFileSync(path.join(tmp, 'corpus.json'), JSON.stringify(corpus));
    expect(loadCorpus(tmp).map((e) => e.snapshot_dir)).toEqual(['o__a', 'o__b', 'o__c']);
    writeFileSync(path.join(tmp, 'corpus.json'), JSON.stringify([{ repo: 'x' }]));
    expect(() => loadCorpus(tmp)).toThrow(/field snapshot_dir missing/);
  });

  it("takes dockforge's health check from the answers: an HTTP path, else TCP", () => {
    expect(healthCheckOf({ healthPath: '/healthz' })).toEqual({ kind: 'http', path: '/healthz' });
    expect(healthCheckOf({ healthPath: '' })).toEqual({ kind: 'tcp' });
    expect(healthCheckOf({ healthPath: '/x', healthCheck: 'tcp' })).toEqual({ kind: 'tcp' });
  });

  it('captures warning and note lines, colours removed, once each', () => {
    const out =
      'dockforge 0.1.0\n\x1b[33mwarning\x1b[39m: port is hard-coded\n  note: no lockfile\nwarnings are fine\n';
    expect(warningLines(out, 'Warning: x\nwarning: port is hard-coded')).toEqual([
      'warning: port is hard-coded',
      'note: no lockfile',
      'Warning: x',
    ]);
  });
});

describe('report', () => {
  const ok: RepoResult = {
    repo: 'o/ok',
    snapshot: 'o__ok',
    language: 'go',
    database: 'sqlite',
    truthHealthPath: '/',
    init: { args: [], exitCode: 0, seconds: 1, summary: '', warnings: [] },
    answers: { port: 8080, check: { kind: 'http', path: '/health' } },
    build: { ok: true, seconds: 60, timedOut: false, imageBytes: 9e6 },
    run: {
      started: true,
      runningAfter20s: true,
      portAnswers: true,
      health: { kind: 'http', path: '/health', status: 200, ok: true },
      truth: { path: '/', status: 200 },
      logTail: [],
    },
    persistence: { result: 'ok', detail: 'app.db (8192 B) survived; the app serves again' },
    notes: [],
    seconds: { render: 1, build: 60, run: 30, total: 91 },
  };
  const failed: RepoResult = {
    ...ok,
    repo: 'o/bad',
    init: { args: [], exitCode: 0, seconds: 1, summary: '', warnings: ['warning: listens on localhost only'] },
    build: { ok: false, seconds: 10, timedOut: false, tail: ['error: exit status 1'] },
    run: undefined,
    persistence: undefined,
  };
  const info: RunInfo = {
    date: '2030-01-01T00:00:00.000Z',
    machine: { cores: 2, memoryGiB: 24, kernel: '6.1', node: 'v20', buildah: 'Buildah 1', podman: 'Podman 4' },
    commit: 'abc',
    dirty: [],
    command: 'npm run corpus',
    initFlags: [],
    ciNote: 'CI runs a subset.',
    corpusSize: 2,
    renderOnly: false,
    built: 2,
    uid: 23456,
    timeoutPerRepo: 900,
    totalSeconds: 100,
    dockerfileLint: true,
  };

  it('counts what worked and the failures a warning came with', () => {
    expect(summarize([ok, failed])).toMatchObject({
      built: 1,
      running: 1,
      health: 1,
      failed: 1,
      explainedByWarning: 1,
    });
  });

  it('writes the table row, the stand-in wording and the build log tail', () => {
    const md = markdown(info, [ok, failed]);
    expect(md).toContain('stand-in base images built locally from Debian packages');
    expect(md).toContain(
      '| o/ok | go | sqlite | 0 | yes (60 s, 9 MB) | yes | 8080: yes | GET /health → 200 | GET / → 200 | ok | 0 |',
    );
    expect(md).toContain('| o/bad | go | sqlite | 0 | no: build failed |');
    expect(md).toContain('  error: exit status 1');
  });
});

describe('listening sockets', () => {
  const listen = (host: string): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer().once('error', reject);
      srv.listen(0, host, () => resolve(srv));
    });

  it.skipIf(process.platform !== 'linux')('reads what a process listens on from /proc', async () => {
    const servers = [await listen('127.0.0.1'), await listen('0.0.0.0'), await listen('::')];
    try {
      const [p1, p2, p3] = servers.map((s) => (s.address() as net.AddressInfo).port);
      const seen = listeningAddresses(process.pid);
      expect(seen).toEqual(expect.arrayContaining([`127.0.0.1:${p1}`, `0.0.0.0:${p2}`, `[::]:${p3}`]));
      expect(loopbackOnly(seen, p1!)).toBe(true);
      expect(loopbackOnly(seen, p2!)).toBe(false);
      expect(loopbackOnly(seen, p3!)).toBe(false);
    } finally {
      for (const s of servers) s.close();
    }
  });

  it('treats IPv6 loopback as loopback and the wildcard as reachable', () => {
    expect(loopbackOnly(['[::1]:80', '127.0.0.1:80'], 80)).toBe(true);
    expect(loopbackOnly(['[::]:80', '127.0.0.1:80'], 80)).toBe(false);
    expect(loopbackOnly(['0.0.0.0:81'], 80)).toBe(false);
  });
});
