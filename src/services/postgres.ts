/**
 * PostgreSQL: a `db` service in compose and a StatefulSet in Kubernetes. The app reaches it
 * through the standard libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD,
 * PGSSLMODE: PostgreSQL docs, "Environment Variables"), which pgx, lib/pq, node-postgres and
 * libpq read natively, through `DATABASE_URL` (a `postgres://` URI: PostgreSQL docs,
 * "Connection URIs"), and through the names the code itself reads (`postgresEnv`). The
 * password is a random secret; variables that embed it live in the secret env files.
 * Templates: `templates/services/postgres/`.
 */
import type { Repo } from '../detect/repo.js';
import type { Answers, Detection } from '../vocabulary.js';
import { detectRoleEnv, parseRoleEnv, roleEnvPattern, warnHardCodedAddress } from './common.js';
import type { EnvVar, K8sEnvVar, ServiceSupport } from './types.js';
import { emptyServiceContext } from './types.js';

/** The compose env file holding the password (git-ignored, made once). */
export const POSTGRES_ENV_FILE = '.dockforge/secrets/postgres.env';

/**
 * The PostgreSQL server image: the Docker Official Image's current major on Alpine
 * (docker-library/postgres: `18-alpine` is published; the tag follows minor releases).
 */
export const POSTGRES_IMAGE = 'postgres:18-alpine';
/** The Kubernetes env file of the Secret (git-ignored, made once). */
export const POSTGRES_K8S_ENV_FILE = 'k8s/secrets/postgres.env';

/** What a variable the app reads stands for. */
const ROLES = ['url', 'host', 'port', 'user', 'password', 'database'] as const;
type Role = (typeof ROLES)[number];

/** Variables always provided: libpq's own and DATABASE_URL. */
const STANDARD = new Set(['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE', 'DATABASE_URL']);

const DB = '(?:DB|PG|POSTGRES(?:QL)?|DATABASE)';
/** Name → role, for the conventional spellings (`DB_HOST`, `APP_DSN`, `PG_URL`, `CONNECTION_STRING`, …). */
const NAME_ROLES: [RegExp, Role][] = [
  [new RegExp(`^(?:[A-Z0-9]+_)*${DB}_?(?:URL|URI|DSN)$|^(?:[A-Z0-9]+_)?DSN$|(?:^|_)CONNECTION_STRING$`), 'url'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${DB}_?HOST(?:NAME)?$`), 'host'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${DB}_?PORT$`), 'port'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${DB}_?USER(?:NAME)?$`), 'user'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${DB}_?PASS(?:WORD)?$`), 'password'],
  [new RegExp(`^(?:[A-Z0-9]+_)?${DB}_?(?:NAME|DATABASE|DB)$`), 'database'],
];

/** The role of an environment variable name, or undefined when it is not a database setting. */
export function postgresRole(name: string): Role | undefined {
  return NAME_ROLES.find(([re]) => re.test(name))?.[1];
}

/** `postgresEnv` as pairs: `DB_HOST=host,DB_PASS=password` → [{name, role}]. */
export function parsePostgresEnv(text: string): { name: string; role: Role }[] {
  return parseRoleEnv<Role>(text);
}

/** Hard-coded database hosts in source literals: a local address where the database runs elsewhere. */
const HARD_CODED_HOST = new RegExp(
  [
    'postgres(?:ql)?://[^\\s"\'`]*@(?:localhost|127\\.0\\.0\\.1)',
    'host\\s*=\\s*(?:localhost|127\\.0\\.0\\.1)\\b',
    '["\'`](?:localhost|127\\.0\\.0\\.1):5432',
  ].join('|'),
);

async function detectPostgres(repo: Repo, d: Detection): Promise<void> {
  detectRoleEnv(d, 'postgresEnv', STANDARD, postgresRole);
  if (d.findings.database?.value !== 'postgres') return;
  await warnHardCodedAddress(repo, d, HARD_CODED_HOST, {
    code: 'hard-coded-database-host',
    message:
      'the code connects to PostgreSQL on a hard-coded local address, which in a container is the ' +
      'container itself: read the host (or a DATABASE_URL) from the environment instead',
  });
}

/** A connection URI for `host` (password as the `${secret}` placeholder). */
function uri(a: Answers, host: string): string {
  return `postgres://${a.name}:\${secret}@${host}:5432/${a.name}?sslmode=disable`;
}

function values(a: Answers, host: string): Record<Exclude<Role, 'url' | 'password'>, string> {
  return { host, port: '5432', user: a.name, database: a.name };
}

/** The PostgreSQL service module. */
export const postgres: ServiceSupport = {
  id: 'postgres',
  kind: 'database',
  title: 'PostgreSQL',
  // an app that has both drivers has usually migrated to PostgreSQL
  priority: 2,
  singleWriter: false,
  shared: true,
  endpoint: { component: 'database', port: 5432, portName: 'postgres' },
  drivers: {
    go: [
      /^github\.com\/jackc\/pgx(\/v\d+)?\b/,
      /^github\.com\/lib\/pq\b/,
      /^gorm\.io\/driver\/postgres\b/,
      /^github\.com\/jinzhu\/gorm\/dialects\/postgres\b/,
      /^github\.com\/go-pg\/pg\b/,
    ],
    node: [/^pg$/, /^postgres$/, /^pg-promise$/, /^@neondatabase\/serverless$/, /^prisma:postgres(ql)?$/],
    c: [/^lib:pq$/, /^pkg:libpq$/, /^cmake:PostgreSQL$/i, /^header:(postgresql\/)?libpq-fe\.h$/],
  },
  fields: [
    {
      key: 'postgresEnv',
      kind: 'string',
      pattern: roleEnvPattern(ROLES),
      allowed: `NAME=role pairs separated by commas (roles: ${ROLES.join(', ')}), or nothing`,
      describe: 'PostgreSQL: further environment variables the app reads for its database',
      fallback: '',
    },
  ],
  detect: detectPostgres,
  context(a) {
    const secret = `${a.name}-postgres`;
    const own = parsePostgresEnv(String(a.postgresEnv ?? ''));
    const plain = (host: string): EnvVar[] => {
      const v = values(a, host);
      const std = [
        { name: 'PGHOST', value: host },
        { name: 'PGPORT', value: v.port },
        { name: 'PGUSER', value: v.user },
        { name: 'PGDATABASE', value: v.database },
        { name: 'PGSSLMODE', value: 'disable' },
      ];
      const extra = own.filter((e) => e.role !== 'url' && e.role !== 'password');
      return [...std, ...extra.map((e) => ({ name: e.name, value: v[e.role as keyof typeof v] }))];
    };
    const k8sSecret = (name: string, key: string): K8sEnvVar => ({ name, secretRef: { name: secret, key } });
    // variables that embed the password live in the secret env file, never in compose.yaml
    const composeSecrets = [
      { file: POSTGRES_ENV_FILE, key: 'DATABASE_URL', value: uri(a, 'db') },
      ...own
        .filter((e) => e.role === 'url' || e.role === 'password')
        .map((e) => ({ file: POSTGRES_ENV_FILE, key: e.name, value: e.role === 'url' ? uri(a, 'db') : '${secret}' })),
    ];
    return {
      ...emptyServiceContext(),
      // the official image's Alpine variant: the server's own user, no shell needed by the probes
      image: POSTGRES_IMAGE,
      composeEnv: plain('db'),
      k8sEnv: [
        ...plain(secret),
        k8sSecret('PGPASSWORD', 'password'),
        k8sSecret('DATABASE_URL', 'database-url'),
        ...own.filter((e) => e.role === 'password').map((e) => k8sSecret(e.name, 'password')),
        ...own.filter((e) => e.role === 'url').map((e) => k8sSecret(e.name, 'database-url')),
      ],
      composeVolumes: ['db-data'],
      envFiles: [POSTGRES_ENV_FILE],
      dependsOn: ['db'],
      secretGenerators: [
        {
          name: secret,
          env: 'secrets/postgres.env',
          comment: 'k8s/secrets/postgres.env is git-ignored and holds a random password made on first init.',
        },
      ],
      secretEnv: [...composeSecrets, { file: POSTGRES_K8S_ENV_FILE, key: 'database-url', value: uri(a, secret) }],
      composeNotes: [`The database password is in ${POSTGRES_ENV_FILE} (git-ignored, made on first init).`],
      policyNote: '; the database\n# only from the app, and it reaches nothing',
      // libpq: Debian and Alpine both name the headers libpq-dev; Alpine's shared library is libpq
      packages: { c: { debianBuild: ['libpq-dev'], alpineBuild: ['libpq-dev'], alpineRuntime: ['libpq'] } },
    };
  },
};
