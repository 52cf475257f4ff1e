/**
 * SQLite: a file database in the app's own process. The app gets a data directory on a volume
 * (compose named volume, Kubernetes PersistentVolumeClaim) where the file it opens lands: an
 * environment variable when the code reads one, else the working directory and volume placed
 * so the relative path it opens is on the volume. One writer only (SQLite's file locking), so
 * one replica and `Recreate`. Templates: `templates/services/sqlite/`.
 */
import path from 'node:path';
import type { Repo } from '../detect/repo.js';
import { isTestFile } from '../detect/repo.js';
import type { Answers, Detection, Evidence } from '../vocabulary.js';
import { addWarning } from '../vocabulary.js';
import type { ServiceSupport, Volume } from './types.js';
import { emptyServiceContext } from './types.js';

/** The database file inside the container when nothing else is known: on the `data` volume. */
export const SQLITE_PATH = '/data/app.db';

/** Variables that hold a SQLite file path (`DATABASE_PATH`, `SIMPLELISTS_DB`, `DB_FILE`, `SQLITE_PATH`). */
const PATH_ENV = /^(?:[A-Z0-9]+_)*(?:DB|DATABASE|SQLITE3?)(?:_?(?:PATH|FILE|FILENAME|NAME))?$/;
/** Names that are a server database's settings, not a file. */
const NOT_A_FILE = /(?:HOST|PORT|USER|USERNAME|PASS|PASSWORD|URL|URI|DSN|DEBUG)$/;

/** Where code opens a SQLite file, most specific first; group 1 is the path. */
const OPENS: RegExp[] = [
  /sql\.Open\(\s*"sqlite3?"\s*,\s*"([^"]+)"/,
  /gorm\.Open\(\s*"sqlite3?"\s*,\s*"([^"]+)"/,
  /sqlite\.Open\(\s*"([^"]+)"/,
  /sqlite3_open(?:_v2)?\(\s*"([^"]+)"/,
  // better-sqlite3 (`new Database(f)` or `Database(f)`: its constructor works without `new`,
  // better-sqlite3 docs, "new Database()"), node-sqlite3 (`new sqlite3.Database(f)`)
  /(?:\bnew\s+(?:\w+\.)*|(?<![\w.])|\.)Database\(\s*["'`]([^"'`]+)["'`]/,
  /\b(?:filename|storage)\s*:\s*["'`]([^"'`]+)["'`]/,
  /["'`]((?:\.{1,2}\/|\/)?[\w./-]*\.(?:db|db3|sqlite3?))["'`]/,
];

async function detectSqlite(repo: Repo, d: Detection): Promise<void> {
  const reads = d.envReads.filter((r) => PATH_ENV.test(r.name) && !NOT_A_FILE.test(r.name));
  const env = reads[0];
  let opened: { path: string; evidence: Evidence } | undefined;
  for (const file of repo.sources.filter((s) => !isTestFile(s))) {
    const t = await repo.read(file);
    t?.lines.forEach((line, i) => {
      if (/^\s*(\/\/|#|\*|\/\*)/.test(line)) return;
      for (let rank = 0; rank < OPENS.length; rank++) {
        const m = OPENS[rank]!.exec(line);
        if (!m) continue;
        if (!opened || rank < (opened as { rank?: number } & typeof opened).rank!) {
          opened = Object.assign({ path: m[1]!, evidence: { file, line: i + 1 } }, { rank });
        }
        break;
      }
    });
  }
  const sqliteUsed = d.findings.database?.value === 'sqlite';
  if (opened?.path === ':memory:') {
    if (sqliteUsed) {
      addWarning(d, {
        code: 'sqlite-in-memory',
        message:
          'the app keeps its SQLite database in memory: its data is lost on every restart, ' +
          'and the volume is unused',
        evidence: [opened.evidence],
      });
    }
    opened = undefined;
  }
  if (env) {
    const name = path.posix.basename(env.fallback ?? opened?.path ?? 'app.db') || 'app.db';
    d.findings.sqliteEnv = { value: env.name, evidence: [env.evidence] };
    d.findings.sqlitePath = { value: `/data/${name}`, evidence: [env.evidence] };
    return;
  }
  if (!opened) return;
  const rel = path.posix.normalize(opened.path.replace(/^file:/, ''));
  d.findings.sqlitePath = { value: rel, evidence: [opened.evidence] };
  d.findings.sqliteEnv = { value: 'none', evidence: [opened.evidence] };
  if (!sqliteUsed) return;
  if (!path.posix.isAbsolute(rel) && rel.startsWith('..')) {
    const wd = aboveWorkdir(rel);
    d.notes.push(
      `the app opens its SQLite database at ${rel}, above its working directory: the runtime works in ` +
        `${wd} so that ${path.posix.join(wd, rel)} is on the volume`,
    );
  }
  const dir = path.posix.dirname(rel);
  if (!path.posix.isAbsolute(rel) && dir !== '.' && !rel.startsWith('..') && (await repo.exists(dir))) {
    const load = await loadsFrom(repo, dir);
    d.findings.sqliteDirCode = { value: Boolean(load), evidence: [load ?? { file: dir, line: 0 }] };
    if (load) {
      addWarning(d, {
        code: 'sqlite-dir-code',
        message:
          `the SQLite folder ${dir}/ also holds code the app loads, and the volume is mounted over it: ` +
          'compose fills a new volume from the image, but a new Kubernetes PersistentVolumeClaim starts ' +
          'empty and hides that code: keep the database in a folder of its own',
        evidence: [load, opened.evidence],
      });
    }
  }
  if (!path.posix.isAbsolute(rel) && (await repo.exists(rel))) {
    d.findings.sqliteSeed = { value: true, evidence: [{ file: rel, line: 0 }] };
    addWarning(d, {
      code: 'sqlite-seed-kubernetes',
      message:
        `${rel} is committed and ships in the image, where it seeds an empty compose volume; a new ` +
        'Kubernetes PersistentVolumeClaim starts empty: copy the file into it once (kubectl cp)',
      evidence: [{ file: rel, line: 0 }],
    });
  }
}

/**
 * The first `require`/`import` of a module under `dir` (relative to the repository root) in the
 * sources outside it: a volume mounted on `dir` hides that code.
 */
async function loadsFrom(repo: Repo, dir: string): Promise<Evidence | undefined> {
  for (const file of repo.sources.filter((s) => !isTestFile(s) && !s.startsWith(`${dir}/`))) {
    const t = await repo.read(file);
    const i = t
      ? t.lines.findIndex((line) => {
          const m = /(?:require\(|import\(|from\s+)\s*['"](\.{1,2}\/[^'"]+)['"]/.exec(line);
          const target = m && path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
          return Boolean(target && (target === dir || target.startsWith(`${dir}/`)));
        })
      : -1;
    if (i >= 0) return { file, line: i + 1 };
  }
  return undefined;
}

/**
 * The working directory inside the `/data` volume from which `rel` (a path that climbs out with
 * `..`) still resolves inside the volume: `../gorm.db` → `/data/app`, `../../x.db` → `/data/app/app`.
 */
function aboveWorkdir(rel: string): string {
  const ups = path.posix
    .normalize(rel)
    .split('/')
    .filter((p) => p === '..').length;
  return path.posix.join('/data', ...Array<string>(ups).fill('app'));
}

/**
 * Where the database lands: the volume's path, the working directory the app must run in (for
 * a path relative to it), and the committed file that seeds the volume.
 * @param appDir the language's application folder for interpreted languages (`/app`), where a
 *   relative sub-folder of the code is mounted.
 */
export function sqlitePlacement(
  a: Answers,
  appDir: string | undefined,
): {
  volume: string;
  workdir?: string;
  env?: string;
  seed?: { src: string; dst: string };
  /** The database's folder in the build context, when the volume is mounted on it (under appDir). */
  contextDir?: string;
} {
  const p = String(a.sqlitePath ?? SQLITE_PATH);
  const env = String(a.sqliteEnv ?? 'DATABASE_PATH');
  if (path.posix.isAbsolute(p)) {
    const dir = path.posix.dirname(p);
    return { volume: dir === '/' ? '/data' : dir, env: env === 'none' ? undefined : p };
  }
  const rel = path.posix.normalize(p);
  const dir = path.posix.dirname(rel);
  const seed = a.sqliteSeed === true ? rel : undefined;
  let volume: string;
  let workdir: string | undefined;
  let contextDir: string | undefined;
  if (dir === '.') {
    // a file in the working directory: run in the volume itself
    volume = '/data';
    workdir = '/data';
  } else if (rel.startsWith('..')) {
    // a file above the working directory: run deep enough inside the volume that it lands on it
    volume = '/data';
    workdir = aboveWorkdir(rel);
  } else if (appDir) {
    volume = path.posix.join(appDir, dir);
    contextDir = dir;
  } else {
    workdir = '/srv';
    volume = path.posix.join('/srv', dir);
  }
  const env2 = env === 'none' ? undefined : path.posix.join(workdir ?? appDir ?? '/srv', rel);
  return {
    volume,
    workdir,
    contextDir,
    env: env2,
    seed: seed ? { src: seed, dst: path.posix.join(volume, path.posix.basename(rel)) } : undefined,
  };
}

/** The SQLite service module. */
export const sqlite: ServiceSupport = {
  id: 'sqlite',
  kind: 'database',
  title: 'SQLite',
  priority: 1,
  singleWriter: { reason: 'SQLite has one writer' },
  shared: false,
  drivers: {
    go: [
      /^modernc\.org\/sqlite\b/,
      /^github\.com\/glebarez\/(go-)?sqlite\b/,
      /^github\.com\/ncruces\/go-sqlite3\b/,
      /^github\.com\/mattn\/go-sqlite3\b/,
      /^gorm\.io\/driver\/sqlite\b/,
      /^github\.com\/jinzhu\/gorm\/dialects\/sqlite\b/,
    ],
    node: [/^better-sqlite3$/, /^sqlite3$/, /^sqlite$/, /^@libsql\/client$/, /^prisma:sqlite$/],
    c: [/^lib:sqlite3$/, /^pkg:sqlite3$/, /^cmake:SQLite3$/i, /^header:sqlite3\.h$/],
  },
  fields: [
    {
      key: 'sqlitePath',
      kind: 'string',
      pattern: /^(?!.*\/\.\.\/)[A-Za-z0-9._/-]+$/,
      allowed: 'the database file as the app opens it: an absolute path, or relative to its working directory',
      describe: 'SQLite: the database file the app opens',
      fallback: SQLITE_PATH,
    },
    {
      key: 'sqliteSeed',
      kind: 'bool',
      allowed: 'true or false',
      describe: 'SQLite: the database file is committed and ships in the image to seed the volume',
      fallback: false,
    },
    {
      key: 'sqliteDirCode',
      kind: 'bool',
      allowed: 'true or false',
      describe: "SQLite: the database's folder also holds code the app loads (kept in the build context)",
      fallback: false,
    },
    {
      key: 'sqliteEnv',
      kind: 'string',
      pattern: /^(none|[A-Za-z_][A-Za-z0-9_]*)$/,
      allowed: 'the environment variable the app reads the database path from, or none',
      describe: 'SQLite: the variable holding the database path',
      fallback: 'DATABASE_PATH',
    },
  ],
  detect: detectSqlite,
  context(a, facts) {
    const place = sqlitePlacement(a, facts.appDir);
    const env = place.env ? [{ name: String(a.sqliteEnv), value: place.env }] : [];
    return {
      ...emptyServiceContext(),
      imageEnv: env,
      composeEnv: env,
      k8sEnv: env,
      volumes: [{ name: 'data', path: place.volume, what: 'the SQLite directory' } satisfies Volume],
      workdir: place.workdir,
      seedFiles: place.seed ? [place.seed] : [],
      // the database folder is state, mounted over at run time: out of the build context (so the
      // runtime user owns the folder the image creates), unless code the app loads lives there
      dockerignoreExclude: place.contextDir && a.sqliteDirCode !== true ? [`${place.contextDir}/`] : [],
      // the committed database ships in the image: never excluded from the build context
      dockerignoreKeep: place.seed ? [place.seed.src] : [],
      // Debian libsqlite3-dev / Alpine sqlite-dev (headers), Alpine sqlite-libs (the shared library)
      packages: { c: { debianBuild: ['libsqlite3-dev'], alpineBuild: ['sqlite-dev'], alpineRuntime: ['sqlite-libs'] } },
    };
  },
};
