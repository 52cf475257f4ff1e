/**
 * The answer sets the in-process golden tests render: every cell of the matrix (language ×
 * database × runtime base) with the language's common answers, plus variants that exercise the
 * other paths of each language (Go: cgo driver and cmd/<name>; Node: pnpm with a build step,
 * yarn with native addons; C: CMake). A cell's id names its golden folder, test/golden/<id>/.
 */
export interface GoldenCell {
  id: string;
  answers: Record<string, unknown>;
}

const VARIANTS: { id: string; language: string; database: string; answers: Record<string, unknown> }[] = [
  { id: 'go-cgo', language: 'go', database: 'sqlite', answers: { cgo: true, goMain: './cmd/api', goVersion: '1.24' } },
  {
    id: 'node-pnpm-build',
    language: 'node',
    database: 'postgres',
    answers: { packageManager: 'pnpm', nodeBuild: true, nodeStart: 'dist/server.js', nodeVersion: '22' },
  },
  {
    id: 'node-yarn-native',
    language: 'node',
    database: 'sqlite',
    answers: { packageManager: 'yarn', nodeNative: true, nodeStart: 'server.js', nodeVersion: '20' },
  },
  { id: 'c-cmake', language: 'c', database: 'postgres', answers: { cBuild: 'cmake', cBinary: 'api' } },
  // no health route: TCP checks (the probe in TCP mode, tcpSocket and exec probes)
  { id: 'go-tcp', language: 'go', database: 'sqlite', answers: { healthPath: 'none' } },
  { id: 'node-tcp', language: 'node', database: 'none', answers: { healthPath: 'none' } },
  { id: 'c-tcp', language: 'c', database: 'postgres', answers: { healthPath: 'none' } },
  // Redis keeping its data: a StatefulSet with a volume claim, the append-only file on a compose volume
  {
    id: 'node-redis-persist',
    language: 'node',
    database: 'sqlite',
    answers: { cache: 'redis', redisPersistence: true },
  },
];

/**
 * Every golden cell. The languages with their own answers (each field's fallback), the
 * database choices and the bases come from the registry (so a new module adds cells); the
 * variants are fixed here and skipped for languages that are not registered.
 * @param languageAnswers language id → its own answers; @param databases database choices
 *   (with `none`); @param bases runtime bases; @param others the services of the other kinds
 *   (e.g. `{ kind: 'cache', id: 'redis' }`): each gets a cell per language and base, with PostgreSQL.
 * @param noServices languages without backing services (LanguageSupport `backingServices: false`,
 *   e.g. `static`): only their `database: none` cells, none with a service of another kind.
 */
export function goldenCells(
  languageAnswers: Record<string, Record<string, unknown>>,
  databases: readonly string[],
  bases: readonly string[],
  others: readonly { kind: string; id: string }[] = [],
  noServices: readonly string[] = [],
): GoldenCell[] {
  const languages = Object.keys(languageAnswers);
  const common = (language: string, database: string, base: string, name: string) => ({
    language,
    database,
    base,
    uid: 12345,
    gid: 23456,
    port: language === 'node' ? 3000 : 8080,
    name,
    image: `registry.example.com/team/${name}:1.2.3`,
    healthPath: '/healthz',
    alpineVersion: '3.22',
  });
  const cells: GoldenCell[] = [];
  for (const language of languages) {
    for (const database of noServices.includes(language) ? ['none'] : databases) {
      for (const base of bases) {
        const id = `${language}-${database}-${base}`;
        cells.push({
          id,
          answers: { ...common(language, database, base, `${language}-${database}`), ...languageAnswers[language] },
        });
      }
    }
  }
  // each service of another kind (a cache) once per language, next to PostgreSQL
  for (const language of languages.filter((l) => !noServices.includes(l))) {
    for (const other of others) {
      for (const base of bases) {
        const name = `${language}-${other.id}`;
        const answers = {
          ...common(language, 'postgres', base, name),
          ...languageAnswers[language],
          [other.kind]: other.id,
        };
        cells.push({ id: `${name}-${base}`, answers });
      }
    }
  }
  for (const v of VARIANTS) {
    if (!languages.includes(v.language) || (v.answers.cache !== undefined && !others.some((o) => o.kind === 'cache'))) {
      continue;
    }
    for (const base of bases) {
      const answers = { ...common(v.language, v.database, base, v.id), ...languageAnswers[v.language], ...v.answers };
      cells.push({ id: `${v.id}-${base}`, answers });
    }
  }
  return cells;
}
