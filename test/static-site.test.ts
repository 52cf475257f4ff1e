/**
 * Static sites (src/stacks/static.ts, templates/languages/static/): detection with its evidence on
 * fixtures (Vite + React, Create React App; a Vite app with an Express server stays Node.js), the
 * Dockerfile's stages and build arguments, a runtime with no shell on distroless, the refusal of
 * backing services, README.Docker.md on build-time variables, in process through the same
 * detect → answers → render steps as `init --yes`. The static server itself (Go, generated into
 * `.dockforge/static-server/main.go`) is built with the local toolchain and driven over HTTP.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validateAnswers } from '../src/answers/fields.js';
import { resolveAnswers } from '../src/answers/resolve.js';
import { detect } from '../src/detect/index.js';
import { UsageError } from '../src/errors.js';
import { allServices, findLanguage } from '../src/registry.js';
import { render } from '../src/render/render.js';
import { resolvePack } from '../src/templates/pack.js';
import type { Detection } from '../src/vocabulary.js';
import type { Stage } from './helpers/dockerfile-rules.js';
import { FIXTURES, cleanup, tempRepo } from './helpers/cli.js';
import { parseDockerfile } from './helpers/dockerfile-rules.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** `init --yes` in process on a repository at `dir`: detection, answers, rendered files (path → text). */
async function renderRepo(dir: string, given: Record<string, unknown> = {}) {
  const detection = await detect(dir);
  const { answers } = await resolveAnswers({ given, detection, mode: 'yes' });
  const rendered = await render(answers, await resolvePack(), '0.1.0', detection.warnings);
  return { detection, answers, files: new Map(rendered.files.map((f) => [f.path, f.content])) };
}
const initFixture = (fixture: string, given: Record<string, unknown> = {}) =>
  renderRepo(path.join(FIXTURES, fixture), given);

const evidence = (d: Detection, key: string): string[] =>
  (d.findings[key]?.evidence ?? []).map((e) => (e.line > 0 ? `${e.file}:${e.line}` : e.file));

/** The instructions of a Dockerfile stage as one line each: keyword, flags, arguments (continuations joined). */
const instructions = (stage: Stage): string[] =>
  stage.instructions.map((i) => {
    const flags = 'getFlags' in i ? (i.getFlags as () => { toString(): string }[])().map(String) : [];
    return [i.getKeyword(), ...flags, i.getRawArgumentsContent()!.replace(/\\\n\s+/g, '')].join(' ');
  });

/** A repository in a temp folder with these files. */
function repoWith(files: Record<string, string>): string {
  const dir = tempRepo();
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('detection', () => {
  it('Vite + React: the tool, Node from .nvmrc, npm, dist, the VITE_ variables with evidence', async () => {
    const { detection: d, answers } = await initFixture('static-vite');
    expect(d.findings.language).toEqual({ value: 'static', evidence: [{ file: 'package.json', line: 17 }] });
    expect(answers).toMatchObject({
      language: 'static',
      database: 'none',
      cache: 'none',
      name: 'storefront',
      image: 'storefront:1.4.0',
      port: 8080,
      healthPath: '/healthz',
      staticNodeVersion: '22',
      staticPackageManager: 'npm',
      staticLockfile: true,
      staticBuildScript: 'build',
      staticDevScript: 'dev',
      staticOutput: 'dist',
      staticSpaFallback: true,
      staticEnv: 'VITE_APP_TITLE=,VITE_API_URL=',
    });
    expect(evidence(d, 'staticEnv')).toEqual(['index.html:5', 'src/App.jsx:3']);
    expect(evidence(d, 'staticNodeVersion')).toEqual(['.nvmrc:1']);
    expect(evidence(d, 'staticOutput')).toEqual(['package.json:17']);
    // the front end's code is not the server's: no port, health route or run-time folder from it
    expect(d.findings.port).toBeUndefined();
    expect(d.findings.runtimeDirs).toBeUndefined();
    expect(d.notes).toContain('several stacks found (static from package.json, node from package.json); chose static');
  });

  it('Create React App: yarn, build/, the start script as dev server, REACT_APP_ variables', async () => {
    const { detection: d, answers } = await initFixture('static-cra');
    expect(answers).toMatchObject({
      language: 'static',
      staticPackageManager: 'yarn',
      staticOutput: 'build',
      staticDevScript: 'start',
      staticEnv: 'REACT_APP_API_URL=',
    });
    expect(evidence(d, 'language')).toEqual(['package.json:8']);
    expect(evidence(d, 'staticEnv')).toEqual(['src/App.js:6']);
    expect(evidence(d, 'staticPackageManager')).toEqual(['yarn.lock']);
  });

  it('a Vite app with an Express server, and a Next.js app, stay Node.js', async () => {
    const express = await initFixture('static-vite-express');
    expect(express.answers.language).toBe('node');
    expect(express.answers.nodeStart).toBe('server.js');
    const next = await initFixture('node-next');
    expect(next.answers.language).toBe('node');
  });

  it("vite.config's build.outDir, appType mpa, and values committed in .env.production", async () => {
    const dir = repoWith({
      'package.json': JSON.stringify({
        name: 'docs',
        scripts: { build: 'vite build' },
        devDependencies: { vite: '7' },
      }),
      'vite.config.ts': "export default {\n  appType: 'mpa',\n  build: { outDir: 'public_html' },\n};\n",
      '.env.production': 'VITE_API_URL=https://api.example.com\nVITE_SECRET_TOKEN=abc\n',
      'src/main.ts': 'fetch(import.meta.env.VITE_API_URL + import.meta.env.VITE_SECRET_TOKEN);\n',
    });
    const { detection: d, answers, files } = await renderRepo(dir);
    expect(answers.staticOutput).toBe('public_html');
    expect(evidence(d, 'staticOutput')).toEqual(['vite.config.ts:3']);
    expect(answers.staticSpaFallback).toBe(false);
    expect(evidence(d, 'staticSpaFallback')).toEqual(['vite.config.ts:2']);
    // a secret-looking value is never copied; the name is a warning (every visitor can read it)
    expect(answers.staticEnv).toBe('VITE_API_URL=https://api.example.com,VITE_SECRET_TOKEN=');
    expect(evidence(d, 'staticEnv')).toEqual(['src/main.ts:1', '.env.production:1', 'src/main.ts:1']);
    expect(d.warnings.map((w) => w.code)).toEqual(['no-lockfile', 'static-env-secret']);
    const dockerfile = files.get('Dockerfile')!;
    expect(dockerfile).toContain('ARG VITE_API_URL=https://api.example.com\nARG VITE_SECRET_TOKEN\n');
    expect(dockerfile).toContain('COPY --from=build /app/public_html/ /srv/www/\n');
    expect(dockerfile).toContain('SPA_FALLBACK=false');
    expect(dockerfile).toContain('RUN --mount=type=cache,target=/root/.npm \\\n    npm install \\\n');
    expect(files.get('.dockerignore')).toMatch(/\n\/public_html\n/);
  });
});

describe('rendered files', () => {
  it('Dockerfile: deps (manifests first, cache mount), build (ARGs, then the script), server, dev', async () => {
    const { files } = await initFixture('static-vite');
    const text = files.get('Dockerfile')!;
    const df = parseDockerfile(text);
    expect(df.stages.map((s) => [s.name, s.image])).toEqual([
      ['deps', 'node:22-trixie-slim'],
      ['build', 'deps'],
      ['server', 'golang:1.26-trixie'],
      ['dev', 'deps'],
      ['runtime', 'gcr.io/distroless/static-debian13:nonroot'],
    ]);
    const lines = (stage: string) => instructions(df.stages.find((s) => s.name === stage)!);
    expect(lines('deps')).toEqual([
      'WORKDIR /app',
      'COPY package.json package-lock.json ./',
      'RUN --mount=type=cache,target=/root/.npm npm ci && mkdir -p node_modules',
    ]);
    expect(lines('build')).toEqual(['COPY . .', 'ARG VITE_APP_TITLE', 'ARG VITE_API_URL', 'RUN npm run build']);
    expect(lines('server')).toContain('COPY .dockforge/static-server/main.go ./');
    expect(lines('dev').at(-1)).toBe('CMD ["npm", "run", "dev", "--", "--host", "0.0.0.0", "--port", "8080"]');
    expect(files.get('.dockforge/static-server/main.go')).toMatch(/^\/\/ Generated by dockforge 0\.1\.0/);
    expect(files.get('.dockerignore')).toMatch(/\n!\.dockforge\/static-server\/\n$/);
  });

  it('the distroless runtime: no shell, no RUN, only the server and the built files, numeric USER', async () => {
    const { files } = await initFixture('static-vite', { uid: 12345, gid: 23456 });
    const runtime = parseDockerfile(files.get('Dockerfile')!).stages.at(-1)!;
    const lines = instructions(runtime);
    expect(lines.filter((l) => /^(RUN|COPY)/.test(l))).toEqual([
      'COPY --from=server /out/static-server /usr/local/bin/static-server',
      'COPY --from=build /app/dist/ /srv/www/',
    ]);
    expect(lines.slice(-4)).toEqual([
      'ENV PORT=8080 HEALTH_PATH=/healthz SPA_FALLBACK=true',
      'USER 12345:23456',
      'EXPOSE 8080',
      'ENTRYPOINT ["/usr/local/bin/static-server"]',
    ]);
    const app = parseYaml(files.get('compose.yaml')!).services.app;
    expect(app.healthcheck.test).toEqual([
      'CMD',
      '/usr/local/bin/static-server',
      '-check',
      'http://127.0.0.1:8080/healthz',
    ]);
    expect(app.init).toBeUndefined();
    expect(files.has('k8s/postgres.yaml') || files.has('k8s/pvc.yaml')).toBe(false);
  });

  it('Alpine: the same stages on Alpine images, golang published for the Alpine release', async () => {
    const { files } = await initFixture('static-cra', { base: 'alpine', alpineVersion: '3.23' });
    const df = parseDockerfile(files.get('Dockerfile')!);
    expect(df.stages.map((s) => s.image)).toEqual([
      'node:24-alpine3.23',
      'deps',
      'golang:1.26-alpine3.23',
      'deps',
      'alpine:3.23',
    ]);
    expect(files.get('Dockerfile')).toContain('RUN corepack enable\n');
    expect(files.get('Dockerfile')).toContain('    yarn install --frozen-lockfile \\\n');
    await expect(initFixture('static-cra', { base: 'alpine', alpineVersion: '3.21' })).rejects.toThrow(
      'invalid alpineVersion "3.21": no maintained golang image is published for it ' +
        "(the static server's build); expected 3.22, 3.23, 3.24",
    );
  });

  it('README.Docker.md says the build-time variables are baked in and need a rebuild', async () => {
    const { files } = await initFixture('static-cra');
    const readme = files.get('README.Docker.md')!;
    expect(readme).toContain(
      '| `build` | the sources and `yarn build`, with REACT_APP_API_URL as build arguments. These build-time ' +
        'variables are baked into the files at build time (Vite docs, "Env Variables and Modes"; Create React App ' +
        'docs, "Adding Custom Environment Variables"): changing one needs a rebuild ' +
        '(`docker build --build-arg REACT_APP_API_URL=…`, or `dockforge generate --set staticEnv=…`), not a restart |',
    );
  });
});

describe('no backing services', () => {
  const base = {
    language: 'static',
    base: 'distroless',
    uid: 10001,
    gid: 10001,
    port: 8080,
    name: 'site',
    image: 'site:1.0.0',
    healthPath: '/healthz',
  };

  it('the module says so', () => {
    expect(findLanguage('static')!.backingServices).toBe(false);
  });

  // every service of every kind the registry has: a new kind must be refused too
  it.each(allServices().map((s) => [s.kind, s.id]))('%s %s is refused with one line (exit 2)', (kind, id) => {
    let error: unknown;
    try {
      validateAnswers({ ...base, [kind]: id });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toBe(
      `invalid ${kind} "${id}": a static site has no backing services; expected none`,
    );
  });

  it('a given --database postgres on a static site is refused', async () => {
    await expect(initFixture('static-vite', { database: 'postgres' })).rejects.toThrow(
      'invalid database "postgres": a static site has no backing services; expected none',
    );
  });
});

/** Whether the Go toolchain is here (the server test builds with it). */
const go = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!go)('the static server (.dockforge/static-server/main.go)', () => {
  const work = tempRepo();
  dirs.push(work);
  const bin = path.join(work, 'static-server');
  const www = path.join(work, 'www');

  /** Start the server on a free port with `env`; resolves with its base URL and the process. */
  async function start(env: Record<string, string>) {
    const child = spawn(bin, ['-root', www], { env: { ...process.env, PORT: '0', ...env } });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /serving .* on \[::\]:(\d+)|serving .* on [\d.]+:(\d+)/.exec(out);
        if (m) resolve(`http://127.0.0.1:${m[1] ?? m[2]}`);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    return { child, url };
  }

  const checkExit = (url: string): number | null => spawnSync(bin, ['-check', url], { timeout: 10_000 }).status;

  it('compiles and vets with the local toolchain', async () => {
    const { files } = await initFixture('static-vite');
    writeFileSync(path.join(work, 'main.go'), files.get('.dockforge/static-server/main.go')!);
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '' };
    const vet = spawnSync('go', ['vet', 'main.go'], { cwd: work, env, encoding: 'utf8' });
    expect(vet.status, vet.stderr).toBe(0);
    const build = spawnSync('go', ['build', '-o', bin, 'main.go'], { cwd: work, env, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    mkdirSync(path.join(www, 'assets'), { recursive: true });
    mkdirSync(path.join(www, 'empty'), { recursive: true });
    writeFileSync(path.join(www, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(path.join(www, 'assets', 'x.js'), 'console.log(1);');
    writeFileSync(path.join(www, '404.html'), 'not here');
  }, 120_000);

  it('health, SPA fallback, no listing, cache headers, -check, SIGTERM', async () => {
    const { child, url } = await start({ HEALTH_PATH: '/healthz' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');

      const route = await fetch(`${url}/orders/42`);
      expect(route.status).toBe(200);
      expect(await route.text()).toBe('<!doctype html><title>app</title>');
      expect(route.headers.get('cache-control')).toBe('no-cache');
      expect(route.headers.get('x-content-type-options')).toBe('nosniff');

      const asset = await fetch(`${url}/assets/x.js`);
      expect(await asset.text()).toBe('console.log(1);');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
      // a missing hashed file is a 404, not index.html
      expect((await fetch(`${url}/assets/gone.js`)).status).toBe(404);

      // a folder is never listed: without an index.html it is the fallback page
      const folder = await fetch(`${url}/assets/`);
      expect(await folder.text()).toBe('<!doctype html><title>app</title>');
      expect((await fetch(`${url}/index.html`)).headers.get('cache-control')).toBe('no-cache');
      expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);

      expect(checkExit(`${url}/healthz`)).toBe(0);
      expect(checkExit(`${url}/assets/gone.js`)).toBe(1);
      expect(checkExit('http://127.0.0.1:1/healthz')).toBe(1);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('without the fallback: 404.html with status 404, and an empty folder is not listed', async () => {
    const { child, url } = await start({ SPA_FALLBACK: 'false', HEALTH_PATH: 'none' });
    try {
      const missing = await fetch(`${url}/orders/42`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe('not here');
      const folder = await fetch(`${url}/empty/`);
      expect(folder.status).toBe(404);
      expect(await folder.text()).toBe('not here');
      // HEALTH_PATH none: no health route, the site's root answers the check
      expect((await fetch(`${url}/healthz`)).status).toBe(404);
      expect(checkExit(`${url}/`)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
