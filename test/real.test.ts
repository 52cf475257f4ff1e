/**
 * The failure classes found on real repositories (issue "Real repositories"), each on a
 * fixture written for the purpose: detection with its evidence, then what is rendered. In
 * process, through the same detect → answers → render steps as `init --yes`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../src/answers/resolve.js';
import { detect } from '../src/detect/index.js';
import { updateSecretFile } from '../src/plan/reconcile.js';
import { render } from '../src/render/render.js';
import { resolvePack } from '../src/templates/pack.js';
import type { Detection } from '../src/vocabulary.js';
import { FIXTURES, cleanup, listFiles, runCli, tempRepo } from './helpers/cli.js';

/** `init --yes` in process on a repository at `dir`: detection, answers, rendered files (path → text). */
async function renderRepo(dir: string, given: Record<string, unknown> = {}) {
  const detection = await detect(dir);
  const { answers } = await resolveAnswers({ given, detection, mode: 'yes' });
  const rendered = await render(answers, await resolvePack(), '0.1.0', detection.warnings);
  return { detection, answers, files: new Map(rendered.files.map((f) => [f.path, f.content])), rendered };
}
/** The same on a fixture. */
const initFixture = (fixture: string, given: Record<string, unknown> = {}) =>
  renderRepo(path.join(FIXTURES, fixture), given);

const evidence = (d: Detection, key: string): string[] =>
  (d.findings[key]?.evidence ?? []).map((e) => (e.line > 0 ? `${e.file}:${e.line}` : e.file));

describe('builder images: go.mod is a minimum, the tag is a published one', () => {
  it('go 1.16 builds with the oldest maintained Go; a /vN module suffix is not the name', async () => {
    const { detection, answers, files } = await initFixture('go-old');
    expect(answers.goVersion).toBe('1.26');
    expect(evidence(detection, 'goVersion')).toEqual(['go.mod:3']);
    expect(detection.notes).toContain(
      'go.mod asks for Go 1.16 or newer: building with Go 1.26, the oldest maintained release',
    );
    expect(answers.name).toBe('ledger');
    expect(files.get('Dockerfile')).toContain('ARG GO_VERSION=1.26\n');
    // the probe compiles with any Go: no strings.CutPrefix (1.20) or strings.Cut (1.18)
    expect(files.get('.dockforge/healthcheck/healthcheck.go')).not.toMatch(/CutPrefix|strings\.Cut\(/);
  });

  it('an unpublished golang × alpine pair is refused', async () => {
    await expect(initFixture('go-old', { base: 'alpine', goVersion: '1.27', alpineVersion: '3.22' })).rejects.toThrow(
      /golang:1\.27-alpine3\.22 is not a published image; expected 3\.23, 3\.24/,
    );
  });
});

describe('database settings the code reads', () => {
  it('DB_HOST/DB_USER/DB_PASS/DB_NAME and APP_DSN are set; the password only in secret files', async () => {
    const { detection, answers, files, rendered } = await initFixture('go-db-env');
    expect(answers.database).toBe('postgres');
    expect(answers.postgresEnv).toBe('DB_HOST=host,DB_USER=user,DB_PASS=password,DB_NAME=database,APP_DSN=url');
    expect(evidence(detection, 'postgresEnv')).toEqual([
      'main.go:12',
      'main.go:13',
      'main.go:14',
      'main.go:15',
      'main.go:16',
    ]);
    const compose = parseYaml(files.get('compose.yaml')!);
    expect(compose.services.app.environment).toMatchObject({ DB_HOST: 'db', DB_USER: 'orders', DB_NAME: 'orders' });
    expect(compose.services.app.environment.DB_PASS).toBeUndefined();
    const container = parseYaml(files.get('k8s/deployment.yaml')!).spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.key]));
    expect(env).toMatchObject({
      DB_HOST: 'orders-postgres',
      DB_PASS: 'password',
      APP_DSN: 'database-url',
      DATABASE_URL: 'database-url',
    });
    const secret = rendered.secrets.find((s) => s.path === '.dockforge/secrets/postgres.env')!;
    expect(secret.derived.map((d) => d.key)).toEqual(['DATABASE_URL', 'DB_PASS', 'APP_DSN']);
    expect(secret.derived[0]!.value).toBe('postgres://orders:${secret}@db:5432/orders?sslmode=disable');
  });

  it('a hard-coded local database address is a warning with evidence, also in README.Docker.md', async () => {
    const { detection, files } = await initFixture('go-db-env');
    const w = detection.warnings.find((x) => x.code === 'hard-coded-database-host')!;
    expect(w.evidence).toEqual([{ file: 'main.go', line: 9 }]);
    expect(files.get('README.Docker.md')).toMatch(
      /## Before you deploy[\s\S]*hard-coded local address[^\n]*\(`main\.go:9`\)/,
    );
  });

  it('secret files: derived lines follow the answers, the random value and the user lines stay', () => {
    const text = 'POSTGRES_PASSWORD=abc\nPGPASSWORD=abc\nMY_OWN=1\nDATABASE_URL=postgres://old:abc@db/old\n';
    const next = updateSecretFile(
      text,
      ['POSTGRES_PASSWORD', 'PGPASSWORD'],
      [
        { key: 'DATABASE_URL', value: 'postgres://new:${secret}@db:5432/new' },
        { key: 'DB_PASS', value: '${secret}' },
      ],
    );
    expect(next).toBe(
      'POSTGRES_PASSWORD=abc\nPGPASSWORD=abc\nMY_OWN=1\nDATABASE_URL=postgres://new:abc@db:5432/new\nDB_PASS=abc\n',
    );
    expect(updateSecretFile('SOMETHING=else\n', ['POSTGRES_PASSWORD'], [])).toBeUndefined();
  });
});

describe('ports and health', () => {
  it('SERVER_PORT is set to the port; a health-like route is the health path', async () => {
    const { detection, answers, files } = await initFixture('go-db-env');
    expect(answers.portEnv).toBe('SERVER_PORT');
    expect(answers.healthPath).toBe('/healthz');
    expect(evidence(detection, 'healthPath')).toEqual(['main.go:18']);
    expect(files.get('Dockerfile')).toMatch(/ENV SERVER_PORT=8080\nENV PORT=8080\n/);
  });

  it('no health route: TCP checks everywhere; an address variable gets host:port', async () => {
    const { answers, files } = await initFixture('go-no-health');
    expect(answers.healthPath).toBe('none');
    expect(answers.portEnv).toBe('HTTP_ADDR');
    const compose = parseYaml(files.get('compose.yaml')!);
    expect(compose.services.app.healthcheck.test).toEqual([
      'CMD',
      '/usr/local/bin/healthcheck',
      'tcp://127.0.0.1:8080',
    ]);
    expect(compose.services.app.environment.HTTP_ADDR).toBe('0.0.0.0:8080');
    const c = parseYaml(files.get('k8s/deployment.yaml')!).spec.template.spec.containers[0];
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 'http' });
    expect(c.livenessProbe.exec.command).toEqual(['/usr/local/bin/healthcheck', 'tcp://127.0.0.1:8080']);
    expect(files.get('README.Docker.md')).toContain('No health route was found in the code');
  });

  it('a root route is the health path when nothing health-like exists', async () => {
    const { detection, answers } = await initFixture('go-old');
    expect(answers.healthPath).toBe('/');
    expect(evidence(detection, 'healthPath')).toEqual(['cmd/api/main.go:6']);
  });

  it('a privileged default port moves to 8080 when it is configurable, and is a warning when not', async () => {
    const { detection, answers } = await initFixture('go-privileged-port');
    expect(answers.port).toBe(80);
    expect(detection.warnings.map((w) => w.code)).toContain('privileged-port');
  });

  it('a loopback listen address is a warning with evidence', async () => {
    const { detection } = await initFixture('go-loopback');
    expect(detection.warnings).toEqual([
      expect.objectContaining({ code: 'loopback-bind', evidence: [{ file: 'main.go', line: 7 }] }),
    ]);
  });
});

describe('SQLite where the app looks', () => {
  it('a path variable with a default file name: the variable points into the volume', async () => {
    const { answers, files } = await initFixture('go-sqlite-env');
    expect(answers).toMatchObject({
      sqliteEnv: 'LISTS_DB',
      sqlitePath: '/data/lists.sqlite',
      port: 8090,
      healthPath: '/ping',
    });
    expect(files.get('Dockerfile')).toContain('ENV LISTS_DB=/data/lists.sqlite\n');
    expect(parseYaml(files.get('compose.yaml')!).services.app.volumes).toEqual(['data:/data']);
  });

  it('a committed database opened by a relative path ships in the image, on the volume it is opened from', async () => {
    const { answers, files, detection } = await initFixture('node-sqlite-committed');
    expect(answers).toMatchObject({ sqlitePath: 'data/shop.db', sqliteEnv: 'none', sqliteSeed: true });
    expect(evidence(detection, 'sqlitePath')).toEqual(['server.js:4']);
    expect(files.get('Dockerfile')).toContain('COPY --chown=10001:10001 data/shop.db /app/data/shop.db\n');
    expect(files.get('.dockerignore')).toContain('\n!data/shop.db\n');
    expect(parseYaml(files.get('compose.yaml')!).services.app.volumes).toEqual(['data:/app/data']);
    expect(detection.warnings.map((w) => w.code)).toContain('sqlite-seed-kubernetes');
  });

  it('better-sqlite3 called without new, on a committed file of any extension: the file seeds the volume', async () => {
    const dir = tempRepo();
    const files: Record<string, string> = {
      'package.json': JSON.stringify({
        name: 'school',
        version: '1.0.0',
        dependencies: { 'better-sqlite3': '12.2.0' },
      }),
      'package-lock.json': '{ "lockfileVersion": 3, "packages": {} }\n',
      'helpers/db.js': 'const Database = require("better-sqlite3");\nmodule.exports = Database("database.school");\n',
      'server.js': "const db = require('./helpers/db');\nrequire('http').createServer().listen(3000);\n",
      'database.school': 'SQLite format 3\u0000',
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
    const { answers, files: out } = await renderRepo(dir);
    expect(answers).toMatchObject({ sqlitePath: 'database.school', sqliteSeed: true });
    expect(out.get('Dockerfile')).toContain('COPY --chown=10001:10001 database.school /data/database.school\n');
    cleanup(dir);
  });

  it("the database's folder leaves the build context unless code the app loads lives there", async () => {
    const write = (dir: string, files: Record<string, string>) => {
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      }
    };
    const base = {
      'package.json':
        '{ "name": "notes", "version": "1.0.0", "main": "index.js", "dependencies": { "sqlite3": "5.1.7" } }\n',
      'package-lock.json': '{ "lockfileVersion": 3, "packages": {} }\n',
      'store/setup.js': "// run once: npm run setup\nrequire('../index');\n",
    };
    const plain = tempRepo();
    write(plain, {
      ...base,
      'index.js': "const sqlite3 = require('sqlite3');\nconst db = new sqlite3.Database('store/notes.sqlite');\n",
    });
    const a = await renderRepo(plain);
    expect(a.answers.sqliteDirCode).toBe(false);
    expect(a.files.get('.dockerignore')).toContain('\n*.sqlite3\nstore/\n');
    const loaded = tempRepo();
    write(loaded, {
      ...base,
      'store/db.js':
        "const sqlite3 = require('sqlite3');\nmodule.exports = new sqlite3.Database('store/notes.sqlite');\n",
      'index.js': "const db = require('./store/db');\n",
    });
    const b = await renderRepo(loaded);
    expect(b.answers.sqliteDirCode).toBe(true);
    expect(b.files.get('.dockerignore')).not.toContain('\nstore/\n');
    expect(b.detection.warnings.find((w) => w.code === 'sqlite-dir-code')?.evidence).toEqual([
      { file: 'index.js', line: 1 },
      { file: 'store/db.js', line: 2 },
    ]);
    [plain, loaded].forEach(cleanup);
  });

  it('drivers ranked by what the code imports; a path above the working directory lands on the volume', async () => {
    // go.mod lists both drivers as indirect (an ORM needs them); main.go imports the SQLite dialect
    const { answers, files, detection } = await initFixture('go-sqlite-above');
    expect(answers).toMatchObject({ database: 'sqlite', sqlitePath: '../notes.db', sqliteEnv: 'none', cgo: true });
    expect(evidence(detection, 'database')).toEqual(['go.mod:8', 'main.go:8']);
    expect(detection.notes).toContain('SQLite and PostgreSQL drivers found; chose sqlite (the code imports it)');
    expect(detection.notes).toContain(
      'the app opens its SQLite database at ../notes.db, above its working directory: the runtime works in ' +
        '/data/app so that /data/notes.db is on the volume',
    );
    expect(files.get('Dockerfile')).toContain('\nWORKDIR /data/app\n');
    expect(parseYaml(files.get('compose.yaml')!).services.app.volumes).toEqual(['data:/data']);
  });
});

describe('Go: files read at run time, the main package', () => {
  it('a folder the code reads (config/) is copied and the app runs from its parent', async () => {
    const { answers, files, detection } = await initFixture('go-runtime-files');
    expect(answers.runtimeDirs).toBe('config');
    expect(evidence(detection, 'runtimeDirs')).toEqual(['cmd/server/main.go:8']);
    expect(files.get('Dockerfile')).toMatch(/COPY config \/srv\/config\nWORKDIR \/srv\nUSER /);
  });

  it('a goMain that does not exist, or leaves the build context, is refused (exit 2, nothing written)', () => {
    const dir = tempRepo(path.join(FIXTURES, 'go-runtime-files'));
    try {
      const missing = runCli(['init', '--yes', '--set', 'goMain=./cmd/worker'], dir);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(
        'dockforge: invalid goMain "./cmd/worker": no package main there ' +
          '(expected a folder with a main package, such as . or ./cmd/server)\n',
      );
      const escape = runCli(['init', '--yes', '--set', 'goMain=./cmd/../..'], dir);
      expect(escape.code).toBe(2);
      expect(listFiles(dir)).toEqual(['cmd/server/main.go', 'config/app.yml', 'go.mod']);
    } finally {
      cleanup(dir);
    }
  });
});

describe('existing files and folders', () => {
  it('an existing docker-compose.yml is adopted (never shadowed) and not overwritten without --force', async () => {
    const { answers, files } = await initFixture('compose-existing');
    expect(answers.composeFile).toBe('docker-compose.yml');
    expect(files.has('docker-compose.yml')).toBe(true);
    expect(files.has('compose.yaml')).toBe(false);
    const dir = tempRepo(path.join(FIXTURES, 'compose-existing'));
    try {
      const r = runCli(['init', '--yes'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refusing to overwrite files dockforge did not write: docker-compose\.yml/);
    } finally {
      cleanup(dir);
    }
  });

  it('a root with no stack names the service folders it contains', async () => {
    await expect(initFixture('monorepo')).rejects.toThrow(
      'could not detect language: pass --language go|static|node|c; services found in sub-folders: ' +
        '--dir backend (go), --dir web (node)',
    );
  });
});

describe('environment a configuration loader reads', () => {
  it("a loader's prefix goes before its struct tags; required names take committed values, secrets never", async () => {
    const { answers, detection, files } = await initFixture('go-env-prefix');
    expect(answers).toMatchObject({
      portEnv: 'APP_SERVER_PORT',
      postgresEnv: 'APP_DSN=url',
      env: 'APP_TIMEOUT=5s',
    });
    expect(evidence(detection, 'portEnv')).toEqual(['internal/config/config.go:7']);
    expect(evidence(detection, 'env')).toEqual(['.env.example:3']);
    expect(detection.notes).toContain(
      'the app requires APP_TIMEOUT: set from .env.example (committed; change with --set env=…)',
    );
    expect(detection.warnings.filter((w) => w.code === 'required-env')).toEqual([
      {
        code: 'required-env',
        message:
          "the app refuses to start without APP_API_TOKEN: add them to the compose file (the app service's " +
          'environment) and the Deployment (env)',
        evidence: [{ file: 'internal/config/config.go', line: 10 }],
      },
    ]);
    const app = parseYaml(files.get('compose.yaml')!).services.app;
    expect(app.environment).toMatchObject({ APP_SERVER_PORT: '8080', APP_TIMEOUT: '5s' });
    expect(JSON.stringify(app.environment)).not.toContain('change-me');
    const deployment = parseYaml(files.get('k8s/deployment.yaml')!);
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'APP_TIMEOUT', value: '5s' });
  });

  it('the env answer is validated: NAME=value pairs', async () => {
    await expect(initFixture('go-env-prefix', { env: 'lower case=1' })).rejects.toThrow(
      /invalid env "lower case=1": expected NAME=value pairs/,
    );
  });
});
