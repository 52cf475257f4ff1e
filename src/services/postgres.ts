/**
 * PostgreSQL: a `db` service in compose and a StatefulSet in Kubernetes. The app reaches it
 * through the standard libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD,
 * PGSSLMODE: PostgreSQL docs, "Environment Variables"), which pgx, lib/pq, node-postgres and
 * libpq read natively; the password is a random secret file. Templates: `templates/services/postgres/`.
 */
import type { ServiceSupport } from './types.js';
import { emptyServiceContext } from './types.js';

/** The compose env file holding the password (git-ignored, made once). */
export const POSTGRES_ENV_FILE = '.dockforge/secrets/postgres.env';

/** The PostgreSQL service module. */
export const postgres: ServiceSupport = {
  id: 'postgres',
  kind: 'database',
  title: 'PostgreSQL',
  // an app that has both drivers has usually migrated to PostgreSQL
  priority: 2,
  singleWriter: false,
  drivers: {
    go: [/^github\.com\/jackc\/pgx(\/v\d+)?\b/, /^github\.com\/lib\/pq\b/],
    node: [/^pg$/, /^postgres$/, /^pg-promise$/, /^@neondatabase\/serverless$/, /^prisma:postgres(ql)?$/],
    c: [/^lib:pq$/, /^pkg:libpq$/, /^cmake:PostgreSQL$/i, /^header:(postgresql\/)?libpq-fe\.h$/],
  },
  context(a) {
    const common = (host: string) => [
      { name: 'PGHOST', value: host },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGUSER', value: a.name },
      { name: 'PGDATABASE', value: a.name },
      { name: 'PGSSLMODE', value: 'disable' },
    ];
    const secret = `${a.name}-postgres`;
    return {
      ...emptyServiceContext(),
      composeEnv: common('db'),
      k8sEnv: [...common(secret), { name: 'PGPASSWORD', secretRef: { name: secret, key: 'password' } }],
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
      composeNotes: [`The database password is in ${POSTGRES_ENV_FILE} (git-ignored, made on first init).`],
      policyNote: '; the database\n# only from the app, and it reaches nothing',
      // libpq: Debian and Alpine both name the headers libpq-dev; Alpine's shared library is libpq
      packages: { c: { debianBuild: ['libpq-dev'], alpineBuild: ['libpq-dev'], alpineRuntime: ['libpq'] } },
    };
  },
};
