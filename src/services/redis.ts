/**
 * Redis: a `redis` service in compose and a Deployment (a cache that may lose its data) or a
 * StatefulSet with a volume (`redisPersistence`: append-only file on) in Kubernetes. The app
 * reaches it through `REDIS_URL` (a `redis://` URI: IANA "redis" URI scheme, which go-redis'
 * `ParseURL`, ioredis, node-redis' `createClient({ url })` read), `REDIS_HOST`, `REDIS_PORT` and
 * `REDIS_PASSWORD`, and through the names the code itself reads (`redisEnv`). The password is a
 * random secret (Redis docs, "Security": `requirepass`); variables that embed it live in the
 * secret env files. Templates: `templates/services/redis/`.
 */
import type { Repo } from '../detect/repo.js';
import type { Answers, Detection } from '../vocabulary.js';
import { detectRoleEnv, parseRoleEnv, roleEnvPattern, warnHardCodedAddress } from './common.js';
import type { EnvVar, K8sEnvVar, ServiceSupport } from './types.js';
import { emptyServiceContext } from './types.js';

/** The compose env file holding the password (git-ignored, made once). */
export const REDIS_ENV_FILE = '.dockforge/secrets/redis.env';
/** The Kubernetes env file of the Secret (git-ignored, made once). */
export const REDIS_K8S_ENV_FILE = 'k8s/secrets/redis.env';

/**
 * The Redis server image: the Docker Official Image's current major on Alpine
 * (docker-library/redis: `8-alpine` is published and follows 8.x releases; the image has a
 * `redis` user and `sh`, and `redis-cli` reads its password from `REDISCLI_AUTH`).
 */
export const REDIS_IMAGE = 'redis:8-alpine';

/** What a variable the app reads stands for. */
const ROLES = ['url', 'addr', 'host', 'port', 'password', 'database'] as const;
type Role = (typeof ROLES)[number];

/** Variables always provided. */
const STANDARD = new Set(['REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDISCLI_AUTH']);

const R = '(?:REDIS|VALKEY|CACHE|KV)';
/** Name → role, for the conventional spellings (`REDIS_ADDR`, `CACHE_URL`, `APP_REDIS_PASS`, `REDIS_DB`, …). */
const NAME_ROLES: [RegExp, Role][] = [
  [new RegExp(`^(?:[A-Z0-9]+_)*${R}_?(?:URL|URI|DSN)$`), 'url'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${R}_?(?:ADDR|ADDRESS|ENDPOINT)$`), 'addr'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${R}_?HOST(?:NAME)?$`), 'host'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${R}_?PORT$`), 'port'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${R}_?(?:PASS|PASSWORD|AUTH|SECRET)$`), 'password'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${R}_?(?:DB|DATABASE|INDEX)$`), 'database'],
];

/** The role of an environment variable name, or undefined when it is not a Redis setting. */
export function redisRole(name: string): Role | undefined {
  return NAME_ROLES.find(([re]) => re.test(name))?.[1];
}

/** `redisEnv` as pairs: `REDIS_ADDR=addr,CACHE_PASS=password` → [{name, role}]. */
export function parseRedisEnv(text: string): { name: string; role: Role }[] {
  return parseRoleEnv<Role>(text);
}

/** Hard-coded Redis addresses in source literals: a local address where Redis runs elsewhere. */
const HARD_CODED_HOST = new RegExp(
  [
    'rediss?://[^\\s"\'`]*(?:localhost|127\\.0\\.0\\.1)',
    '["\'`](?:localhost|127\\.0\\.0\\.1):6379',
    // hiredis: redisConnect("127.0.0.1", 6379)
    'redisConnect\\w*\\(\\s*"(?:localhost|127\\.0\\.0\\.1)"',
  ].join('|'),
);

/** An `if` testing a value for emptiness (Go, JavaScript, C, Python spellings). */
const EMPTY_TEST = new RegExp(
  String.raw`\bif\b[^\n]*(?:[!=]==?\s*(?:""|''|nil|null|undefined|NULL)|\(\s*!\s*\w+\s*\)|\bnot\s+\w+|\bis\s+None)`,
);

async function detectRedis(repo: Repo, d: Detection): Promise<void> {
  detectRoleEnv(d, 'redisEnv', STANDARD, redisRole);
  if (d.findings.cache?.value !== 'redis') return;
  // a local address that is an environment read's default is no warning: on the read's line
  // (`process.env.REDIS_URL ?? 'redis://localhost'`), or in the emptiness test right after it
  // (`if addr == "" { addr = "localhost:6379" }`): the container sets the variable
  const readAt = (file: string, from: number, to: number): boolean =>
    d.envReads.some((r) => r.evidence.file === file && r.evidence.line >= from && r.evidence.line <= to);
  const excused = (file: string, i: number, lines: readonly string[]): boolean =>
    readAt(file, i + 1, i + 1) ||
    (EMPTY_TEST.test(lines.slice(Math.max(0, i - 2), i).join('\n')) && readAt(file, i - 3, i));
  await warnHardCodedAddress(
    repo,
    d,
    HARD_CODED_HOST,
    {
      code: 'hard-coded-redis-host',
      message:
        'the code connects to Redis on a hard-coded local address, which in a container is the ' +
        'container itself: read the address (or a REDIS_URL) from the environment instead',
    },
    excused,
  );
}

/** A connection URI for `host` (password as the `${secret}` placeholder; database 0). */
function uri(host: string): string {
  return `redis://:\${secret}@${host}:6379/0`;
}

/** The compose service name and Kubernetes Service suffix of Redis. */
const SERVICE = 'redis';

/** The Redis service module. */
export const redis: ServiceSupport = {
  id: 'redis',
  kind: 'cache',
  title: 'Redis',
  priority: 1,
  singleWriter: false,
  shared: true,
  endpoint: { component: 'cache', port: 6379, portName: 'redis' },
  drivers: {
    go: [
      /^github\.com\/redis\/go-redis(\/v\d+)?\b/,
      /^github\.com\/go-redis\/redis(\/v\d+)?\b/,
      /^github\.com\/gomodule\/redigo\b/,
      /^github\.com\/redis\/rueidis\b/,
      /^github\.com\/valkey-io\/valkey-go\b/,
    ],
    node: [/^ioredis$/, /^redis$/, /^@redis\/client$/, /^iovalkey$/],
    c: [/^lib:hiredis$/, /^pkg:hiredis$/, /^cmake:hiredis$/i, /^header:hiredis\/hiredis\.h$/, /^header:hiredis\.h$/],
  },
  fields: [
    {
      key: 'redisPersistence',
      kind: 'bool',
      allowed: 'true or false',
      describe: 'Redis: keep its data across restarts (append-only file on a volume; a StatefulSet in Kubernetes)',
      ask: true,
      fallback: false,
    },
    {
      key: 'redisEnv',
      kind: 'string',
      pattern: roleEnvPattern(ROLES),
      allowed: `NAME=role pairs separated by commas (roles: ${ROLES.join(', ')}), or nothing`,
      describe: 'Redis: further environment variables the app reads for its cache',
      fallback: '',
    },
  ],
  detect: detectRedis,
  context(a: Answers) {
    const secret = `${a.name}-redis`;
    const own = parseRedisEnv(String(a.redisEnv ?? ''));
    const plain = (host: string): EnvVar[] => {
      const v: Record<Exclude<Role, 'url' | 'password'>, string> = {
        host,
        port: '6379',
        addr: `${host}:6379`,
        database: '0',
      };
      const extra = own.filter((e) => e.role !== 'url' && e.role !== 'password');
      return [
        { name: 'REDIS_HOST', value: host },
        { name: 'REDIS_PORT', value: '6379' },
        ...extra.map((e) => ({ name: e.name, value: v[e.role as keyof typeof v] })),
      ];
    };
    const k8sSecret = (name: string, key: string): K8sEnvVar => ({ name, secretRef: { name: secret, key } });
    const k8sHost = secret;
    return {
      ...emptyServiceContext(),
      image: REDIS_IMAGE,
      composeEnv: plain(SERVICE),
      k8sEnv: [
        ...plain(k8sHost),
        k8sSecret('REDIS_PASSWORD', 'password'),
        k8sSecret('REDIS_URL', 'redis-url'),
        ...own.filter((e) => e.role === 'password').map((e) => k8sSecret(e.name, 'password')),
        ...own.filter((e) => e.role === 'url').map((e) => k8sSecret(e.name, 'redis-url')),
      ],
      composeVolumes: a.redisPersistence ? ['redis-data'] : [],
      envFiles: [REDIS_ENV_FILE],
      dependsOn: [SERVICE],
      secretGenerators: [
        {
          name: secret,
          env: 'secrets/redis.env',
          comment: 'k8s/secrets/redis.env is git-ignored and holds a random password made on first init.',
        },
      ],
      // variables that embed the password live in the secret env file, never in compose.yaml
      secretEnv: [
        { file: REDIS_ENV_FILE, key: 'REDIS_URL', value: uri(SERVICE) },
        ...own
          .filter((e) => e.role === 'url' || e.role === 'password')
          .map((e) => ({ file: REDIS_ENV_FILE, key: e.name, value: e.role === 'url' ? uri(SERVICE) : '${secret}' })),
        { file: REDIS_K8S_ENV_FILE, key: 'redis-url', value: uri(k8sHost) },
      ],
      composeNotes: [`The Redis password is in ${REDIS_ENV_FILE} (git-ignored, made on first init).`],
      policyNote: '; Redis only\n# from the app, and it reaches nothing',
      // hiredis: Debian libhiredis-dev, Alpine hiredis-dev (headers) and hiredis (shared library)
      packages: { c: { debianBuild: ['libhiredis-dev'], alpineBuild: ['hiredis-dev'], alpineRuntime: ['hiredis'] } },
    };
  },
};
