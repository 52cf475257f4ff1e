/**
 * SQLite: a file database in the app's own process. The app gets a data directory on a volume
 * and `DATABASE_PATH`; one writer only (SQLite's file locking), so one replica and `Recreate`.
 * Templates: `templates/services/sqlite/`.
 */
import type { ServiceSupport } from './types.js';
import { emptyServiceContext } from './types.js';

/** The database file inside the container: on the `data` volume. */
export const SQLITE_PATH = '/data/app.db';

/** The SQLite service module. */
export const sqlite: ServiceSupport = {
  id: 'sqlite',
  kind: 'database',
  title: 'SQLite',
  priority: 1,
  singleWriter: { reason: 'SQLite has one writer' },
  drivers: {
    go: [
      /^modernc\.org\/sqlite\b/,
      /^github\.com\/glebarez\/(go-)?sqlite\b/,
      /^github\.com\/ncruces\/go-sqlite3\b/,
      /^github\.com\/mattn\/go-sqlite3\b/,
    ],
    node: [/^better-sqlite3$/, /^sqlite3$/, /^sqlite$/, /^@libsql\/client$/, /^prisma:sqlite$/],
    c: [/^lib:sqlite3$/, /^pkg:sqlite3$/, /^cmake:SQLite3$/i, /^header:sqlite3\.h$/],
  },
  context() {
    const env = [{ name: 'DATABASE_PATH', value: SQLITE_PATH }];
    return {
      ...emptyServiceContext(),
      imageEnv: env,
      composeEnv: env,
      k8sEnv: env,
      volumes: [{ name: 'data', path: '/data', what: 'the SQLite directory' }],
      // Debian libsqlite3-dev / Alpine sqlite-dev (headers), Alpine sqlite-libs (the shared library)
      packages: { c: { debianBuild: ['libsqlite3-dev'], alpineBuild: ['sqlite-dev'], alpineRuntime: ['sqlite-libs'] } },
    };
  },
};
