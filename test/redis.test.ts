/**
 * Redis (the `cache` kind, src/services/redis.ts): its drivers per language, the environment
 * names the code reads, hard-coded local addresses, and what is rendered for it. In process,
 * through the same detect → answers → render steps as `init --yes`, on fixtures written for it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../src/answers/resolve.js';
import { detect } from '../src/detect/index.js';
import { render } from '../src/render/render.js';
import { redisRole } from '../src/services/redis.js';
import { resolvePack } from '../src/templates/pack.js';
import type { Detection } from '../src/vocabulary.js';
import { FIXTURES } from './helpers/cli.js';

async function initFixture(fixture: string, given: Record<string, unknown> = {}) {
  const detection = await detect(path.join(FIXTURES, fixture));
  const { answers } = await resolveAnswers({ given, detection, mode: 'yes' });
  const rendered = await render(answers, await resolvePack(), '0.1.0', detection.warnings);
  return { detection, answers, rendered, files: new Map(rendered.files.map((f) => [f.path, f.content])) };
}

const where = (d: Detection, code: string): string[] =>
  d.warnings.filter((w) => w.code === code).flatMap((w) => w.evidence.map((e) => `${e.file}:${e.line}`));

describe('Redis clients are detected per language, with evidence', () => {
  it('Go: go-redis next to pgx gives both services; REDIS_ADDR is set as host:port', async () => {
    const { detection, answers, files } = await initFixture('go-redis');
    expect(answers.database).toBe('postgres');
    expect(answers.cache).toBe('redis');
    expect(detection.findings.cache!.evidence.map((e) => e.file)).toContain('main.go');
    expect(answers.redisEnv).toBe('REDIS_ADDR=addr');
    // the local default of an empty REDIS_ADDR is not the address the container uses
    expect(where(detection, 'hard-coded-redis-host')).toEqual([]);
    const compose = parseYaml(files.get('compose.yaml')!);
    expect(compose.services.app.environment).toMatchObject({ REDIS_HOST: 'redis', REDIS_ADDR: 'redis:6379' });
    expect(Object.keys(compose.services.app.depends_on)).toEqual(['db', 'redis']);
    const env = parseYaml(files.get('k8s/deployment.yaml')!).spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'REDIS_ADDR').value).toBe('sessions-redis:6379');
  });

  it('Node: ioredis; CACHE_URL is a secret line; a hard-coded redis:// URL is a warning', async () => {
    const { detection, answers, rendered, files } = await initFixture('node-redis');
    expect(answers.cache).toBe('redis');
    expect(answers.database).toBe('none');
    expect(answers.redisEnv).toBe('CACHE_URL=url');
    expect(where(detection, 'hard-coded-redis-host')).toEqual(['src/server.js:6']);
    expect(files.get('README.Docker.md')).toMatch(/Redis on a hard-coded local address[^\n]*\(`src\/server\.js:6`\)/);
    const secret = rendered.secrets.find((s) => s.path === '.dockforge/secrets/redis.env')!;
    expect(secret.keys).toEqual(['REDIS_PASSWORD', 'REDISCLI_AUTH']);
    expect(secret.derived).toEqual([
      { key: 'REDIS_URL', value: 'redis://:${secret}@redis:6379/0' },
      { key: 'CACHE_URL', value: 'redis://:${secret}@redis:6379/0' },
    ]);
    const k8sSecret = rendered.secrets.find((s) => s.path === 'k8s/secrets/redis.env')!;
    expect(k8sSecret.derived).toEqual([{ key: 'redis-url', value: 'redis://:${secret}@rate-limiter-redis:6379/0' }]);
    // never a password in compose.yaml
    expect(files.get('compose.yaml')).not.toMatch(/CACHE_URL|REDIS_URL|REDIS_PASSWORD:/);
  });

  it('C: hiredis (-lhiredis, <hiredis/hiredis.h>), its packages once; redisConnect("127.0.0.1") warns', async () => {
    const { detection, answers, files } = await initFixture('c-redis', { base: 'alpine' });
    expect(answers.cache).toBe('redis');
    expect(where(detection, 'hard-coded-redis-host')).toEqual(['counter.c:8']);
    const dockerfile = files.get('Dockerfile')!;
    expect(dockerfile.match(/hiredis-dev/g)).toHaveLength(1);
    expect(dockerfile).toContain('RUN apk add --no-cache ca-certificates tzdata hiredis\n');
  });

  it('an app without a Redis client gets no cache; --set cache=redis adds one', async () => {
    const plain = await initFixture('go-db-env');
    expect(plain.answers.cache).toBe('none');
    expect(plain.files.has('k8s/redis.yaml')).toBe(false);
    const added = await initFixture('go-db-env', { cache: 'redis', redisPersistence: true });
    expect(parseYaml(added.files.get('compose.yaml')!).volumes).toHaveProperty('redis-data');
    expect(added.files.get('k8s/redis.yaml')).toContain('kind: StatefulSet');
  });
});

describe('the names of Redis settings', () => {
  it.each([
    ['REDIS_URL', 'url'],
    ['CACHE_URL', 'url'],
    ['APP_REDIS_DSN', 'url'],
    ['REDIS_ADDR', 'addr'],
    ['VALKEY_ADDRESS', 'addr'],
    ['REDISHOST', 'host'],
    ['CACHE_HOSTNAME', 'host'],
    ['REDIS_PORT', 'port'],
    ['REDIS_PASS', 'password'],
    ['APP_REDIS_AUTH', 'password'],
    ['REDIS_DB', 'database'],
    ['DB_HOST', undefined],
    ['REDIRECT_URL', undefined],
    ['CACHE_TTL', undefined],
  ])('%s → %s', (name, role) => {
    expect(redisRole(name)).toBe(role);
  });
});
