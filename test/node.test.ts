/**
 * Node.js on real-repository failure classes, one fixture each (test/fixtures/node-*): no
 * lockfile, the start file (scripts, TypeScript output, NestJS), Prisma, Next.js, a port only in
 * .env, a loopback bind, required configuration, an install script that needs a devDependency,
 * dependencies that fail on newer Node majors.
 * In-process: detection on the fixture, then the init pipeline's render (nothing written); each
 * test asserts the finding's or warning's evidence and the rendered files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from '../src/detect/index.js';
import { runPipeline } from '../src/pipeline.js';
import { nodeTarget } from '../src/stacks/node.js';
import type { Detection, Evidence } from '../src/vocabulary.js';
import { cleanup, EXAMPLES, FIXTURES, tempRepo } from './helpers/cli.js';
import { checkDockerfile } from './helpers/dockerfile-rules.js';

/** detect → answers (`--yes`) → render, in-process; `given` as flags and `--set`. */
async function generate(root: string, given: Record<string, unknown> = {}) {
  const r = await runPipeline({ command: 'init', root, version: '0.1.0', given, mode: 'yes', write: false });
  const files = new Map(r.rendered!.files.map((f) => [f.path, f.content]));
  return { detection: r.detection, answers: r.resolved!.answers, files, file: (p: string) => files.get(p) ?? '' };
}

const fixture = (name: string): string => path.join(FIXTURES, name);
const warning = (d: Detection, code: string) => d.warnings.filter((w) => w.code === code);
const ev = (file: string, line: number): Evidence => ({ file, line });

/** The Dockerfile rules every cell meets (test/helpers/dockerfile-rules.ts). */
function rules(dockerfile: string, answers: Record<string, unknown>): string[] {
  return checkDockerfile(dockerfile, {
    uid: Number(answers.uid),
    gid: Number(answers.gid),
    port: Number(answers.port),
    language: 'node',
    runtime: answers.base as 'alpine' | 'distroless',
    database: answers.database as 'sqlite' | 'postgres' | 'none',
  });
}

/** A repository written for one test: path → content. */
const temps: string[] = [];
afterAll(() => temps.forEach(cleanup));
function repo(files: Record<string, string>): string {
  const dir = tempRepo();
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
const pkg = (o: Record<string, unknown>): string =>
  `${JSON.stringify({ name: 'app', version: '1.0.0', ...o }, null, 2)}\n`;
const NODE_WARNINGS = [
  'no-lockfile',
  'start-file-missing',
  'no-start-file',
  'loopback-bind',
  'required-env',
  'install-script-dev-dependency',
  'node-major-unsupported',
  'node-env-config',
  'package-too-old-for-base',
];
const LOCK = '{ "lockfileVersion": 3, "packages": {} }\n';

describe('no lockfile (node-no-lockfile)', () => {
  it('installs with npm install from package.json alone and warns, with the evidence', async () => {
    const { detection, answers, file } = await generate(fixture('node-no-lockfile'));
    expect(detection.findings.nodeLockfile).toEqual({ value: false, evidence: [ev('package.json', 0)] });
    expect(warning(detection, 'no-lockfile')).toEqual([
      {
        code: 'no-lockfile',
        message: 'no lockfile: installs are not reproducible (the image runs npm install); commit package-lock.json',
        evidence: [ev('package.json', 0)],
      },
    ]);
    const df = file('Dockerfile');
    expect(df.replace(/^#.*\n/gm, '')).not.toMatch(/package-lock\.json|npm ci/);
    expect(df).toContain(
      'COPY package.json ./\nRUN --mount=type=cache,target=/root/.npm \\\n    npm install --omit=dev \\\n',
    );
    expect(df).toContain(
      'COPY package.json ./\nRUN --mount=type=cache,target=/root/.npm \\\n    npm install\n# Compose Watch syncs',
    );
    expect(rules(df, answers)).toEqual([]);
    expect(file('README.Docker.md')).toContain(
      '- no lockfile: installs are not reproducible (the image runs npm install); ' +
        'commit package-lock.json (`package.json`)',
    );
  });

  it('does the same for pnpm and yarn (their frozen-lockfile installs fail without one)', async () => {
    const pnpm = (await generate(fixture('node-no-lockfile'), { packageManager: 'pnpm' })).file('Dockerfile');
    expect(pnpm).toContain('COPY package.json ./');
    expect(pnpm).toContain('    pnpm install --prod \\\n');
    expect(pnpm).not.toMatch(/pnpm-lock\.yaml|--frozen-lockfile/);
    const yarn = (await generate(fixture('node-no-lockfile'), { packageManager: 'yarn' })).file('Dockerfile');
    expect(yarn).toContain('    yarn install --production \\\n');
    expect(yarn).not.toMatch(/yarn\.lock|--frozen-lockfile/);
  });

  it('a committed lockfile keeps the locked install', async () => {
    const { detection, file } = await generate(fixture('node-build'));
    expect(detection.findings.nodeLockfile).toEqual({ value: true, evidence: [ev('pnpm-lock.yaml', 0)] });
    expect(warning(detection, 'no-lockfile')).toEqual([]);
    expect(file('Dockerfile')).toContain('COPY package.json pnpm-lock.yaml ./');
    expect(file('Dockerfile')).toContain('pnpm install --frozen-lockfile --prod');
  });
});

describe('start file', () => {
  it('maps a TS source to its build output; a start script whose file cannot exist warns (node-ts-start)', async () => {
    const { detection, file } = await generate(fixture('node-ts-start'));
    expect(detection.findings.nodeStart).toEqual({
      value: 'dist/server.js',
      evidence: [ev('src/server.ts', 0), ev('tsconfig.json', 5)],
    });
    expect(warning(detection, 'start-file-missing')).toEqual([
      {
        code: 'start-file-missing',
        message:
          'the start script runs node ./dist, but dist/index.js is neither in the repository nor written by the ' +
          'build, so the image runs dist/server.js instead: fix the script or set nodeStart ' +
          '(dockforge generate --set nodeStart=<file>)',
        evidence: [ev('package.json', 6)],
      },
    ]);
    expect(file('Dockerfile')).toMatch(/COPY --from=build \/app\/dist \.\/dist\n[\s\S]*CMD \["dist\/server\.js"\]\n$/);
    expect(file('README.Docker.md')).toContain('dist/index.js is neither in the repository');
  });

  it('NestJS: start:prod `node dist/main` is dist/main.js (node-nest)', async () => {
    const { detection, file } = await generate(fixture('node-nest'));
    expect(detection.findings.nodeStart).toEqual({ value: 'dist/main.js', evidence: [ev('package.json', 9)] });
    expect(detection.findings.nodeBuildOutput).toEqual({ value: 'dist', evidence: [ev('tsconfig.json', 8)] });
    expect(detection.warnings).toEqual([]);
    expect(file('Dockerfile')).toContain('RUN npm run build\n');
    expect(file('Dockerfile')).toMatch(/CMD \["dist\/main\.js"\]\n$/);
  });

  it('NestJS without a start:prod script: dist/main.js from @nestjs/core', async () => {
    const dir = repo({
      'package.json': pkg({
        scripts: { build: 'nest build', start: 'nest start' },
        dependencies: { '@nestjs/core': '^11.1.6' },
      }),
      'package-lock.json': LOCK,
      'src/main.ts': 'bootstrap();\n',
    });
    const d = await detect(dir);
    expect(d.findings.nodeStart).toEqual({ value: 'dist/main.js', evidence: [ev('package.json', 9)] });
  });

  // each row: the repository's files → the start file and the evidence's file:line
  const cases: { name: string; files: Record<string, string>; start: string; evidence: Evidence[] }[] = [
    {
      name: 'node <file without extension>',
      files: { 'package.json': pkg({ scripts: { start: 'node app' } }), 'app.js': '' },
      start: 'app.js',
      evidence: [ev('package.json', 5)],
    },
    {
      name: 'node <extensionless executable>',
      files: { 'package.json': pkg({ scripts: { start: 'node ./bin/www' } }), 'bin/www': '' },
      start: 'bin/www',
      evidence: [ev('package.json', 5)],
    },
    {
      name: 'node <folder> → its index.js',
      files: {
        'package.json': pkg({ scripts: { start: 'cross-env NODE_ENV=production node src' } }),
        'src/index.js': '',
      },
      start: 'src/index.js',
      evidence: [ev('package.json', 5)],
    },
    {
      name: 'node options before the file',
      files: {
        'package.json': pkg({ scripts: { start: 'node -r dotenv/config --enable-source-maps lib/main.js' } }),
        'lib/main.js': '',
      },
      start: 'lib/main.js',
      evidence: [ev('package.json', 5)],
    },
    {
      name: 'start:prod with a bundler build: under its output folder',
      files: {
        'package.json': pkg({ scripts: { build: 'tsup src/index.ts', 'start:prod': 'node dist/index.js' } }),
        'src/index.ts': '',
      },
      start: 'dist/index.js',
      evidence: [ev('package.json', 6)],
    },
    {
      name: '"main" when no script runs node',
      files: { 'package.json': pkg({ main: 'lib/server.js', scripts: { start: 'nodemon' } }), 'lib/server.js': '' },
      start: 'lib/server.js',
      evidence: [ev('package.json', 4)],
    },
    {
      name: 'a development runner’s TypeScript entry, mapped through tsconfig (outDir build, rootDir inferred)',
      files: {
        'package.json': pkg({ scripts: { build: 'tsc', dev: 'tsx watch src/main.ts' } }),
        'tsconfig.json': '{ "compilerOptions": { "outDir": "build" }, "include": ["src"] }\n',
        'src/main.ts': '',
        'src/lib/util.ts': '',
      },
      start: 'build/main.js',
      evidence: [ev('package.json', 6)],
    },
    {
      name: 'a conventional file, as tsc writes it (no include: the tests under test/ widen the root)',
      files: {
        'package.json': pkg({ scripts: { build: 'tsc' } }),
        'tsconfig.json': '{ "compilerOptions": { "outDir": "./out" } }\n',
        'src/index.ts': '',
        'test/index.test.ts': '',
      },
      start: 'out/src/index.js',
      evidence: [ev('src/index.ts', 0), ev('tsconfig.json', 1)],
    },
  ];
  it.each(cases)('$name', async ({ files, start, evidence }) => {
    const d = await detect(repo(files));
    expect(d.findings.nodeStart).toEqual({ value: start, evidence });
    expect(warning(d, 'start-file-missing')).toEqual([]);
  });

  it('a start script whose file cannot exist and nothing else: kept, with a warning', async () => {
    const d = await detect(repo({ 'package.json': pkg({ scripts: { start: 'node server.js' } }) }));
    expect(d.findings.nodeStart).toEqual({ value: 'server.js', evidence: [ev('package.json', 5)] });
    expect(warning(d, 'start-file-missing')[0]!.message).toMatch(
      /^the start script runs node server\.js, but server\.js is neither .* so the container exits at start:/,
    );
  });

  it('no start file at all: a warning', async () => {
    const d = await detect(repo({ 'package.json': pkg({}) }));
    expect(d.findings.nodeStart).toBeUndefined();
    expect(warning(d, 'no-start-file')).toHaveLength(1);
  });

  it('reads node invocations out of scripts', () => {
    expect(nodeTarget('npm run migrate && node --env-file=.env dist/server.js')).toBe('dist/server.js');
    expect(nodeTarget('NODE_OPTIONS=--max-old-space-size=512 node ./dist')).toBe('./dist');
    expect(nodeTarget('nodemon server.js')).toBeUndefined();
    expect(nodeTarget('ts-node src/index.ts')).toBeUndefined();
    expect(nodeTarget('node -e "console.log(1)"')).toBeUndefined();
  });
});

describe('Prisma (node-prisma)', () => {
  it('generates the client where all dependencies are installed, ships it; env() reads name the schema', async () => {
    const { detection, answers, file } = await generate(fixture('node-prisma'));
    expect(detection.findings.nodePrisma).toEqual({
      value: 'node_modules/.prisma/client',
      evidence: [ev('prisma/schema.prisma', 1), ev('package.json', 10)],
    });
    expect(detection.findings.database).toEqual({ value: 'postgres', evidence: [ev('prisma/schema.prisma', 6)] });
    expect(detection.envReads.filter((r) => r.evidence.file === 'prisma/schema.prisma')).toEqual([
      { name: 'DATABASE_URL', evidence: ev('prisma/schema.prisma', 7) },
      { name: 'DIRECT_DATABASE_URL', evidence: ev('prisma/schema.prisma', 8) },
    ]);
    const df = file('Dockerfile');
    // the CLI is a devDependency: generate in the build stage, after the full install, before the build
    expect(df).toMatch(
      /FROM base AS build\n[\s\S]* {4}npm ci\nCOPY \. \.\n(#.*\n)+RUN npx prisma generate\nRUN npm run build\n/,
    );
    expect(df).toContain('FROM node:${NODE_VERSION}-trixie AS base');
    expect(df).toContain(
      'COPY --from=deps /app/node_modules ./node_modules\n' +
        '# Prisma Client, generated in the build stage (Prisma docs, "Generating Prisma Client").\n' +
        '# Its query engine loads OpenSSL',
    );
    expect(df).toContain(
      'COPY --from=build /app/node_modules/.prisma ./node_modules/.prisma\n' +
        'COPY --from=build /app/node_modules/@prisma/client ./node_modules/@prisma/client\n' +
        'COPY --from=build /app/dist ./dist\n',
    );
    expect(rules(df, answers)).toEqual([]);
    expect(file('README.Docker.md')).toContain('| `build` | all dependencies, `prisma generate` and `npm run build` |');
  });

  it('Alpine: OpenSSL in the builder and the runtime', async () => {
    const { answers, file } = await generate(fixture('node-prisma'), { base: 'alpine' });
    const df = file('Dockerfile');
    expect(df).toContain('    apk add --update-cache openssl\n');
    expect(df).toContain('RUN apk add --no-cache tini openssl \\\n');
    expect(rules(df, answers)).toEqual([]);
  });

  it('pnpm: a hoisted node_modules, so the client is at node_modules/.prisma', async () => {
    const df = (await generate(fixture('node-prisma'), { packageManager: 'pnpm' })).file('Dockerfile');
    expect(df).toContain('pnpm install --frozen-lockfile --prod --config.node-linker=hoisted \\\n');
    expect(df).toContain('    pnpm install --frozen-lockfile --config.node-linker=hoisted\n');
    expect(df).toContain('RUN pnpm exec prisma generate\n');
  });

  it("a generator's own output folder reaches the runtime; plain JavaScript gets a build stage for it", async () => {
    const dir = repo({
      'package.json': pkg({
        scripts: { start: 'node index.js' },
        dependencies: { '@prisma/client': '^6.19.0' },
        prisma: { schema: 'db/schema.prisma' },
      }),
      'package-lock.json': LOCK,
      'index.js': '',
      'db/schema.prisma': 'generator client {\n  provider = "prisma-client-js"\n  output   = "../generated/db"\n}\n',
    });
    const { detection, file } = await generate(dir);
    expect(detection.findings.nodePrisma).toEqual({
      value: 'generated/db',
      evidence: [ev('db/schema.prisma', 3), ev('package.json', 8)],
    });
    const df = file('Dockerfile');
    expect(df).toContain('# ---- build: all dependencies and `prisma generate`; only the generated client reaches');
    expect(df).toContain('COPY --from=build /app/generated/db ./generated/db\n# what the start file loads');
    expect(df).toContain('COPY package.json index.js ./\n');
    expect(df).toContain('FROM build AS dev\n');
  });

  it('Prisma packages without a schema generate nothing (a note)', async () => {
    const d = await detect(
      repo({
        'package.json': pkg({
          scripts: { start: 'node index.js' },
          dependencies: { '@prisma/client': '^2.24.1', prisma: '^2.24.1' },
        }),
        'index.js': '',
      }),
    );
    expect(d.findings.nodePrisma).toBeUndefined();
    expect(d.notes).toContain('Prisma packages but no schema.prisma: no Prisma Client is generated');
  });
});

describe('Next.js', () => {
  it('next start: .next next to the sources, the next CLI run by node (node-next)', async () => {
    const { detection, answers, file } = await generate(fixture('node-next'));
    expect(detection.findings.nodeFramework).toEqual({ value: 'next', evidence: [ev('package.json', 7)] });
    expect(detection.findings.nodeBuildOutput).toEqual({ value: '.next', evidence: [ev('package.json', 7)] });
    expect(detection.findings.nodeStart).toEqual({
      value: 'node_modules/next/dist/bin/next',
      evidence: [ev('package.json', 11)],
    });
    const df = file('Dockerfile');
    const runtime = df.slice(df.indexOf('AS runtime'));
    expect(runtime.replace(/^#.*\n/gm, '')).toContain(
      'COPY --from=deps /app/node_modules ./node_modules\nCOPY . .\nCOPY --from=build /app/.next ./.next\n',
    );
    expect(df).toMatch(/CMD \["node_modules\/next\/dist\/bin\/next", "start"\]\n$/);
    expect(df).toContain('CMD ["node", "node_modules/next/dist/bin/next", "dev"]');
    expect(file('.dockerignore')).toContain('\n/.next\n');
    expect(rules(df, answers)).toEqual([]);
  });

  it("output: 'standalone': server.js with .next/static and public (node-next-standalone)", async () => {
    const { detection, answers, file } = await generate(fixture('node-next-standalone'), { base: 'alpine' });
    expect(detection.findings.nodeFramework).toEqual({
      value: 'next-standalone',
      evidence: [ev('next.config.js', 5)],
    });
    expect(detection.findings.nodeStart).toEqual({ value: 'server.js', evidence: [ev('next.config.js', 5)] });
    const df = file('Dockerfile');
    expect(df).toContain('RUN yarn build\n# The runtime copies public/');
    expect(df).toContain(
      'ENV HOSTNAME=0.0.0.0\n' +
        'COPY --from=build /app/.next/standalone ./\n' +
        'COPY --from=build /app/.next/static ./.next/static\n' +
        'COPY --from=build /app/public ./public\n',
    );
    expect(df).not.toContain('COPY --from=deps');
    expect(df).toMatch(/ENTRYPOINT \["\/sbin\/tini", "--", "node"\]\nCMD \["server\.js"\]\n$/);
    expect(rules(df, answers)).toEqual([]);
  });
});

describe('port from a committed .env (node-dotenv-port)', () => {
  it('is a port finding with its line; the generated files set PORT (.env is not in the context)', async () => {
    const { detection, file } = await generate(fixture('node-dotenv-port'));
    expect(detection.findings.port).toEqual({ value: 4321, evidence: [ev('.env', 2)] });
    expect(file('Dockerfile')).toContain('ENV NODE_ENV=production PORT=4321\n');
    expect(file('.dockerignore')).toMatch(/^\.env$/m);
    expect(file('compose.yaml')).toMatch(/PORT: "4321"/);
  });

  it('a port literal in the code wins over .env', async () => {
    const d = await detect(
      repo({
        'package.json': pkg({ scripts: { start: 'node index.js' } }),
        '.env': 'PORT=4000\n',
        'index.js': 'require("http").createServer().listen(process.env.PORT || 8000);\n',
      }),
    );
    expect(d.findings.port).toEqual({ value: 8000, evidence: [ev('index.js', 1)] });
  });
});

describe('bind address (node-loopback)', () => {
  it("a localhost host variable passed to listen: a warning with both lines; a database's host is not", async () => {
    const { detection, file } = await generate(fixture('node-loopback'));
    expect(warning(detection, 'loopback-bind')).toEqual([
      {
        code: 'loopback-bind',
        message:
          'the server listens on localhost only, which nothing outside the container can reach: listen on ' +
          '0.0.0.0, or read the host from an environment variable and set it to 0.0.0.0',
        evidence: [ev('index.js', 5), ev('index.js', 12)],
      },
    ]);
    expect(file('README.Docker.md')).toContain('(`index.js:5, index.js:12`)');
  });

  it.each([
    ["server.listen(8080, '127.0.0.1', () => {});", true],
    ['app.listen({\n  port: 3000,\n  host: "localhost",\n});', true],
    ["app.listen(port, '0.0.0.0');", false],
    ["app.listen(port, () => console.log('http://localhost:' + port));", false],
    ["app.listen(port); // not 'localhost'", false],
  ])('%s → %s', async (code, bound) => {
    const d = await detect(repo({ 'package.json': pkg({ scripts: { start: 'node index.js' } }), 'index.js': code }));
    expect(warning(d, 'loopback-bind').map((w) => w.evidence)).toEqual(bound ? [[ev('index.js', 1)]] : []);
  });

  it('a host that opens up when an environment variable is set: the app gets it, no warning', async () => {
    const g = await generate(
      repo({
        'package.json': pkg({ main: 'index.js' }),
        'package-lock.json': LOCK,
        'index.js':
          "const host = ('PLATFORM' in process.env) ? '0.0.0.0' : 'localhost';\n" +
          'server.listen({ host: host, port: process.env.PORT || 3000 });\n',
      }),
    );
    expect(warning(g.detection, 'loopback-bind')).toEqual([]);
    expect(g.answers.env).toBe('PLATFORM=true');
    expect(g.detection.findings.env!.evidence).toEqual([ev('index.js', 1)]);
    expect(g.file('compose.yaml')).toContain('      PLATFORM: "true"\n');
  });

  it('required names from a committed example file: dotenv quoting, comments; a loopback HOST opened', async () => {
    const g = await generate(
      repo({
        'package.json': pkg({ main: 'index.js' }),
        'package-lock.json': LOCK,
        '.env.template': 'HOST="localhost"       # where to listen\nWINDOW_MS=1000 # ms\nAPI_SECRET="s3cret"\n',
        'env.js':
          "const { cleanEnv, str, num } = require('envalid');\n" +
          'module.exports = cleanEnv(process.env, { HOST: str(), WINDOW_MS: num(), API_SECRET: str() });\n',
        'index.js':
          "const env = require('./env');\nrequire('http').createServer().listen(process.env.PORT || 3000, env.HOST);\n",
      }),
    );
    expect(g.answers.env).toBe('HOST=0.0.0.0,WINDOW_MS=1000');
    expect(g.detection.notes).toContain(
      'the app requires HOST, WINDOW_MS: set from .env.template (committed; change with --set env=…); ' +
        'HOST=0.0.0.0, not localhost, which nothing outside the container reaches',
    );
    expect(warning(g.detection, 'required-env').map((w) => w.message.split(':')[0])).toEqual([
      'the app refuses to start without API_SECRET',
    ]);
  });
});

describe('required configuration (node-required-env)', () => {
  it('names without a default in envalid and zod schemas, a check that exits: one warning, every line', async () => {
    const { detection, file } = await generate(fixture('node-required-env'));
    const [w, ...more] = warning(detection, 'required-env');
    expect(more).toEqual([]);
    // DATABASE_URL, PORT (set by dockforge) and NODE_ENV (set by the image) are not asked for
    expect(w!.message).toBe(
      'the app refuses to start without QUEUE_URL, SESSION_SECRET, SMTP_HOST, API_TOKEN: add them to the compose ' +
        "file (the app service's environment) and the Deployment (env)",
    );
    expect(w!.evidence).toEqual([
      ev('src/config/queue.js', 4),
      ev('src/env.js', 7),
      ev('src/env.js', 12),
      ev('src/index.js', 5),
    ]);
    expect(detection.requiredEnv).toContainEqual({ name: 'DATABASE_URL', evidence: ev('src/env.js', 6) });
    expect(file('README.Docker.md')).toContain('the app refuses to start without QUEUE_URL');
  });

  it('a read with a fallback, or a check that only logs, is not required', async () => {
    const d = await detect(
      repo({
        'package.json': pkg({ scripts: { start: 'node index.js' } }),
        'index.js':
          'const url = process.env.API_URL || "http://api";\n' +
          'if (!process.env.DEBUG) {\n  console.log("quiet");\n}\n' +
          'if (!process.env.TOKEN) throw new Error("TOKEN");\n',
      }),
    );
    expect(warning(d, 'required-env').map((w) => [w.message.split(':')[0], w.evidence])).toEqual([
      ['the app refuses to start without TOKEN', [ev('index.js', 5)]],
    ]);
  });
});

describe('install scripts (node-install-script)', () => {
  it('a lifecycle script that runs a devDependency fails the production install: a warning', async () => {
    const d = await detect(fixture('node-install-script'));
    expect(warning(d, 'install-script-dev-dependency')).toEqual([
      {
        code: 'install-script-dev-dependency',
        message:
          'the prepare script runs husky, a devDependency that the production install leaves out, so the deps ' +
          'stage fails: move husky to dependencies or let the script succeed without it',
        evidence: [ev('package.json', 5)],
      },
    ]);
  });
});

describe('Node major for dependencies that fail on newer majors (templates/data/node-addons.yaml)', () => {
  const server = "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT || 3000);\n";
  const lock3 = (name: string, version: string) =>
    `${JSON.stringify({ lockfileVersion: 3, packages: { '': {}, [`node_modules/${name}`]: { version } } }, null, 2)}\n`;

  it('an addon locked too old for the LTS: the newest major it builds on; setuptools in the builder', async () => {
    const dir = repo({
      'package.json': pkg({ main: 'server.js', dependencies: { 'better-sqlite3': '^11.1.2' } }),
      'package-lock.json': lock3('better-sqlite3', '11.1.2'),
      'server.js': server,
    });
    const g = await generate(dir);
    expect(g.answers.nodeVersion).toBe('22');
    expect(g.detection.findings.nodeVersion!.evidence).toEqual([ev('package.json', 6)]);
    expect(g.detection.notes).toContain(
      'better-sqlite3 11.1.2 does not work on Node 24 (the first release that does is 12.2.0): building with Node 22',
    );
    expect(g.file('Dockerfile')).toContain('ARG NODE_VERSION=22\n');
    expect(g.file('Dockerfile')).toContain('apt-get install -y --no-install-recommends python3-setuptools\n');
    expect(rules(g.file('Dockerfile'), g.answers)).toEqual([]);
    const alpine = await generate(dir, { base: 'alpine' });
    expect(alpine.file('Dockerfile')).toContain('apk add --update-cache python3 make g++ py3-setuptools\n');
    expect(alpine.file('Dockerfile')).not.toContain('apt-get');
  });

  it('a release that works on the LTS keeps it; without a lockfile the range decides', async () => {
    const locked = await generate(
      repo({
        'package.json': pkg({ main: 'server.js', dependencies: { 'better-sqlite3': '^12.4.1' } }),
        'package-lock.json': lock3('better-sqlite3', '12.4.1'),
        'server.js': server,
      }),
    );
    expect(locked.answers.nodeVersion).toBe('24');
    const ranged = await generate(
      repo({
        'package.json': pkg({ main: 'server.js', dependencies: { 'better-sqlite3': '^12.0.0' } }),
        'server.js': server,
      }),
    );
    expect(ranged.answers.nodeVersion).toBe('24');
    const old = await generate(
      repo({
        'package.json': pkg({ main: 'server.js', dependencies: { 'better-sqlite3': '~11.5.0' } }),
        'server.js': server,
      }),
    );
    expect(old.answers.nodeVersion).toBe('22');
  });

  it('yarn.lock and pnpm-lock.yaml pins are read', async () => {
    const yarn = await generate(
      repo({
        'package.json': pkg({ main: 'server.js', dependencies: { 'better-sqlite3': '^11.0.0' } }),
        'yarn.lock': '# yarn lockfile v1\n\n\n"better-sqlite3@^11.0.0":\n  version "11.3.0"\n  resolved "x"\n',
        'server.js': server,
      }),
    );
    expect(yarn.answers.nodeVersion).toBe('22');
    const pnpm = await generate(
      repo({
        'package.json': pkg({ main: 'server.js', dependencies: { 'better-sqlite3': '^11.0.0' } }),
        'pnpm-lock.yaml':
          "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      better-sqlite3:\n" +
          '        specifier: ^11.0.0\n        version: 12.4.1\n',
        'server.js': server,
      }),
    );
    expect(pnpm.answers.nodeVersion).toBe('24');
  });

  it('engines.node that allows no major the package works on: a warning naming both lines', async () => {
    const d = await detect(
      repo({
        'package.json': pkg({
          main: 'server.js',
          engines: { node: '>=24' },
          dependencies: { 'better-sqlite3': '11.1.2' },
        }),
        'server.js': server,
      }),
    );
    expect(warning(d, 'node-major-unsupported')).toEqual([
      {
        code: 'node-major-unsupported',
        message:
          'better-sqlite3 11.1.2 does not work on Node 24 (the first release that does is 12.2.0), and ' +
          'engines.node ">=24" does not allow Node 22, which it works on: upgrade it, or set nodeVersion=22',
        evidence: [ev('package.json', 9)],
      },
    ]);
  });

  it('a pure JavaScript package that hangs on every supported major (pg < 8.0.3): a warning, lockfile v1', async () => {
    const dir = repo({
      'package.json': pkg({ main: 'server.js', dependencies: { pg: '^7.4.3' } }),
      'package-lock.json': `${JSON.stringify({ lockfileVersion: 1, dependencies: { pg: { version: '7.4.3' } } })}\n`,
      'server.js': server,
    });
    const g = await generate(dir);
    expect(warning(g.detection, 'node-major-unsupported')).toEqual([
      {
        code: 'node-major-unsupported',
        message:
          'pg 7.4.3 does not work on Node 24 (the first release that does is 8.0.3), nor on any Node major ' +
          'dockforge supports (20, 22, 24): upgrade it',
        evidence: [ev('package.json', 6)],
      },
    ]);
    expect(g.answers.nodeVersion).toBe('24');
    expect(g.file('README.Docker.md')).toContain('pg 7.4.3 does not work on Node 24');
  });
  it('a release older than the base image allows (Prisma before OpenSSL 3 engines): one warning', async () => {
    const d = await detect(
      repo({
        'package.json': pkg({
          main: 'server.js',
          dependencies: { '@prisma/client': '3.9.2' },
          devDependencies: { prisma: '^3.9.0' },
        }),
        'package-lock.json': `${JSON.stringify({
          lockfileVersion: 3,
          packages: {
            'node_modules/prisma': { version: '3.9.2' },
            'node_modules/@prisma/client': { version: '3.9.2' },
          },
        })}\n`,
        'server.js': "require('http').createServer().listen(3000);\n",
      }),
    );
    expect(warning(d, 'package-too-old-for-base')).toEqual([
      {
        code: 'package-too-old-for-base',
        message:
          'prisma and @prisma/client 3.9.2: no query engine for OpenSSL 3, which every base image has ' +
          '(the first release that works is 3.13.0): upgrade them',
        evidence: [ev('package.json', 9), ev('package.json', 6)],
      },
    ]);
  });
});

describe('configuration picked by NODE_ENV (knexfile, sequelize config)', () => {
  const server = "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT || 3000);\n";
  it('a knexfile with only a development entry: NODE_ENV=development in the image, and a warning', async () => {
    const dir = repo({
      'package.json': pkg({ main: 'server.js', dependencies: { knex: '^3.1.0' } }),
      'package-lock.json': LOCK,
      'knexfile.js':
        "module.exports = {\n  development: {\n    client: 'pg',\n    connection: { host: 'db' },\n  },\n" +
        "  test: {\n    client: 'pg',\n  },\n};\n",
      'db.js':
        "const env = process.env.NODE_ENV || 'development';\n" +
        "module.exports = require('knex')(require('./knexfile')[env]);\n",
      'server.js': server,
    });
    const g = await generate(dir);
    expect(g.answers.nodeEnv).toBe('development');
    expect(warning(g.detection, 'node-env-config')).toEqual([
      {
        code: 'node-env-config',
        message:
          'knexfile.js has no production entry (only development, test) and the app picks its entry by NODE_ENV: ' +
          'the image runs with NODE_ENV=development; add a production entry, then set nodeEnv=production',
        evidence: [ev('knexfile.js', 2), ev('db.js', 1)],
      },
    ]);
    expect(g.file('Dockerfile')).toMatch(
      /FROM gcr\.io\/distroless\/nodejs[^\n]*\n(?:[^\n]*\n)*ENV NODE_ENV=development PORT=3000\n/,
    );
  });

  it('a production entry, or no NODE_ENV read: production', async () => {
    const withProd = await generate(
      repo({
        'package.json': pkg({ main: 'server.js' }),
        'package-lock.json': LOCK,
        'config/config.json':
          '{\n  "development": { "dialect": "sqlite" },\n  "production": { "use_env_variable": "DATABASE_URL" }\n}\n',
        'server.js': `const env = process.env.NODE_ENV;\n${server}`,
      }),
    );
    expect(withProd.answers.nodeEnv).toBe('production');
    const noRead = await generate(
      repo({
        'package.json': pkg({ main: 'server.js' }),
        'package-lock.json': LOCK,
        'knexfile.js': "module.exports = {\n  development: { client: 'pg' },\n};\n",
        'server.js': server,
      }),
    );
    expect(noRead.answers.nodeEnv).toBe('production');
    expect(noRead.file('Dockerfile')).toContain('ENV NODE_ENV=production PORT=3000\n');
  });
});

describe('the examples', () => {
  it.each(['node-none', 'node-postgres', 'node-sqlite'])('%s: no Node warning', async (example) => {
    const d = await detect(path.join(EXAMPLES, example));
    expect(d.warnings.map((w) => w.code).filter((c) => NODE_WARNINGS.includes(c))).toEqual([]);
  });
});

describe('the runtime stage of plain JavaScript copies what runs (nodeCopy)', () => {
  it('follows the start file: relative requires, folders named in paths, conventional folders; not tests', async () => {
    const { answers, file, detection } = await generate(fixture('node-runtime-copy'));
    expect(answers.nodeCopy).toBe('package.json,assets/,lib/,plugins/,settings/,src/,views/');
    expect(detection.findings.nodeCopy?.evidence).toEqual([ev('package.json', expect.any(Number))]);
    const runtime = file('Dockerfile').slice(file('Dockerfile').indexOf(' AS runtime'));
    expect(runtime).toContain('COPY package.json ./\n');
    for (const dir of ['assets', 'lib', 'plugins', 'settings', 'src', 'views']) {
      expect(runtime).toContain(`COPY ${dir}/ ./${dir}/\n`);
    }
    expect(runtime).not.toMatch(/^COPY \. \.$/m);
    const copies = runtime.split('\n').filter((l) => l.startsWith('COPY'));
    expect(copies.join('\n')).not.toMatch(/\b(test|docs|scripts|NOTES\.md)\b/);
    expect(rules(file('Dockerfile'), answers)).toEqual([]);
  });

  it('nodeCopy=. copies everything; a build or Next.js keeps its own copy', async () => {
    const all = await generate(fixture('node-runtime-copy'), { nodeCopy: '.' });
    expect(all.file('Dockerfile').slice(all.file('Dockerfile').indexOf(' AS runtime'))).toMatch(/^COPY \. \.$/m);
    const built = await generate(
      repo({ 'package.json': pkg({ scripts: { build: 'tsc', start: 'node dist/index.js' } }), 'src/index.ts': '' }),
    );
    expect(built.answers.nodeCopy).toBe('.');
  });

  it('a folder a service keeps out of the build context is not copied (the SQLite data folder)', async () => {
    const dir = repo({
      'package.json': pkg({ scripts: { start: 'node index.js' }, dependencies: { 'better-sqlite3': '^12.2.0' } }),
      'index.js':
        "const Database = require('better-sqlite3');\n" +
        "const db = new Database('./db/app.db');\nrequire('http').createServer().listen(3000);\n",
      'db/.gitkeep': '',
    });
    const { answers, file } = await generate(dir);
    expect(answers.nodeCopy).toBe('package.json,db/,index.js');
    expect(file('.dockerignore')).toMatch(/^db\/$/m);
    expect(file('Dockerfile')).not.toContain('COPY db/ ./db/');
  });
});
