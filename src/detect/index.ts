/**
 * Stack detection: reads a repository (never writes, never runs anything in it) and returns
 * findings keyed by answer name, each with the evidence it rests on as `file:line`.
 *
 * The languages and services come from the registry: each language identifies itself and
 * reads its own manifests; the dependencies it reports are matched against every service's
 * drivers here, one answer per service kind. Detection only proposes: its values prefill the
 * prompts and are used as-is by `--yes`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { allLanguages, allServices, serviceKinds } from '../registry.js';
import type { LanguageSupport } from '../stacks/types.js';
import type { Detection, Evidence } from '../vocabulary.js';
import { addEnvFinding, addWarning, COMPOSE_FILES, emptyDetection } from '../vocabulary.js';
import { allMatches, isTestFile, openRepo, toLabel } from './repo.js';
import { compareNames } from '../files.js';
import type { Repo } from './repo.js';

export type { Detection };

/**
 * Health-like route names, most preferred first (Kubernetes' own /healthz, /livez, /readyz
 * convention; the common /health, /healthcheck, /ping, /status).
 */
const HEALTH_NAMES = ['healthz', 'health', 'healthcheck', 'health-check', 'livez', 'readyz', 'ready', 'ping', 'status'];
/** Test files, never a source of ports or routes. */
/** The language's own non-test source files: where run-time facts are read from. */
const runtimeSources = (repo: Repo, lang: LanguageSupport): string[] =>
  repo.sources.filter((s) => lang.sourceExtensions.includes(path.extname(s)) && !isTestFile(s));

/** A string literal holding a health-like path, with optional prefix segments and method (`"GET /v1/healthcheck"`). */
const HEALTH_LITERAL = new RegExp(`["'\`](?:GET )?((?:/[A-Za-z0-9._-]+)*/(${HEALTH_NAMES.join('|')})/?)["'\` ?]`);

/**
 * Detect the stack of the repository at `root`.
 *
 * @param root absolute path of the repository (the build context).
 * @param prefer a language id to detect with when it identifies the repository too (the saved
 *   answer), instead of the first one that does.
 * @returns findings with evidence (absent keys were not detected), dependencies and notes.
 * @throws only when `root` itself is unreadable; odd files are skipped.
 */
export async function detect(root: string, prefer?: string): Promise<Detection> {
  fs.readdirSync(root);
  const d = emptyDetection();
  const repo = await openRepo(
    root,
    allLanguages().flatMap((l) => l.sourceExtensions),
  );
  // the scan is bounded (repo.ts): say so when a bound left files unread
  if (repo.limited) d.notes.push(`scan stopped at ${repo.limited}; later files were not read`);

  const claims: { lang: LanguageSupport; ev: Evidence }[] = [];
  for (const lang of allLanguages()) {
    const ev = await lang.identify(repo);
    if (ev) claims.push({ lang, ev });
  }
  const chosen = claims.find((c) => c.lang.id === prefer) ?? claims[0];
  if (!chosen) d.candidates = await serviceFolders(root);
  if (chosen) {
    d.findings.language = { value: chosen.lang.id, evidence: [chosen.ev] };
    if (claims.length > 1) {
      const all = claims.map((c) => `${c.lang.id} from ${c.ev.file}`).join(', ');
      d.notes.push(`several stacks found (${all}); chose ${chosen.lang.id}`);
    }
    await chosen.lang.detect(repo, d);
    matchServices(chosen.lang.id, d);
  }
  for (const file of COMPOSE_FILES) {
    if (!(await repo.exists(file))) continue;
    d.findings.composeFile = { value: file, evidence: [{ file, line: 0 }] };
    if (file !== 'compose.yaml') {
      d.notes.push(
        `${file} exists: dockforge writes its services there instead of a compose.yaml that would shadow it`,
      );
    }
    break;
  }
  if (!d.findings.name) {
    const label = toLabel(path.basename(root));
    if (label) d.findings.name = { value: label, evidence: [{ file: '.', line: 0 }] };
  }
  if (chosen) {
    await detectPortAndHealth(repo, chosen.lang, d);
    detectPortEnv(d);
    await detectRuntimeDirs(repo, chosen.lang, d);
    for (const service of allServices()) await service.detect?.(repo, d);
    await requiredEnvWarning(repo, d);
  }
  return d;
}

/**
 * For each service kind, the service whose drivers match the detected dependencies; when
 * several match, the highest priority wins and a note says so.
 */
function matchServices(language: string, d: Detection): void {
  const strength = { import: 3, manifest: 2, indirect: 1 } as const;
  for (const kind of serviceKinds()) {
    const hits: { id: string; title: string; priority: number; strength: number; evidence: Evidence[] }[] = [];
    for (const service of allServices().filter((s) => s.kind === kind)) {
      const drivers = service.drivers[language] ?? [];
      const evidence: Evidence[] = [];
      let best = 0;
      for (const dep of d.dependencies) {
        if (!drivers.some((re) => re.test(dep.name))) continue;
        best = Math.max(best, strength[dep.via ?? 'manifest']);
        if (!evidence.some((e) => e.file === dep.evidence.file && e.line === dep.evidence.line))
          evidence.push(dep.evidence);
      }
      if (evidence.length > 0)
        hits.push({ id: service.id, title: service.title, priority: service.priority, strength: best, evidence });
    }
    if (hits.length === 0) continue;
    // what the code imports outranks a direct dependency, which outranks an indirect one; then priority
    hits.sort((a, b) => b.strength - a.strength || b.priority - a.priority);
    const win = hits[0]!;
    d.findings[kind] = { value: win.id, evidence: win.evidence };
    if (hits.length > 1) {
      const why =
        win.strength > hits[1]!.strength
          ? ` (${win.strength === 3 ? 'the code imports it' : 'a direct dependency'})`
          : '';
      d.notes.push(`${hits.map((h) => h.title).join(' and ')} drivers found; chose ${win.id}${why}`);
    }
  }
}

/** Folders never taken for a service: dependencies, VCS, build output, tooling. */
const NOT_SERVICES = new Set([
  'node_modules',
  'vendor',
  'dist',
  'build',
  'out',
  'target',
  'coverage',
  'docs',
  'test',
  'tests',
]);

/**
 * Sub-folders (two levels deep at most, e.g. `backend`, `services/api`) that a registered
 * language identifies: the service folders of a repository whose root is not a service.
 */
async function serviceFolders(root: string): Promise<{ dir: string; language: string; evidence: Evidence }[]> {
  const out: { dir: string; language: string; evidence: Evidence }[] = [];
  const exts = allLanguages().flatMap((l) => l.sourceExtensions);
  async function visit(rel: string, depth: number): Promise<void> {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SERVICES.has(e.name));
    for (const e of dirs.sort((a, b) => compareNames(a.name, b.name)).slice(0, 40)) {
      const sub = rel ? `${rel}/${e.name}` : e.name;
      const repo = await openRepo(path.join(root, sub), exts);
      let found = false;
      for (const lang of allLanguages()) {
        const ev = await lang.identify(repo);
        if (!ev) continue;
        out.push({ dir: sub, language: lang.id, evidence: { file: `${sub}/${ev.file}`, line: ev.line } });
        found = true;
        break;
      }
      if (!found && depth < 2) await visit(sub, depth + 1);
    }
  }
  await visit('', 1);
  return out;
}

/** Extensions of source code: a folder holding only these is built, not read at run time. */
const CODE = /\.(go|c|h|[cm]?[jt]sx?|py|rs|java|sum|mod)$/;

/**
 * Folders of the repository the code reads at run time: a string literal that is a relative
 * path (`"./config/local.yml"`, `"templates/*.html"`, `"file://migrations"`) whose first
 * segment is an existing top-level folder holding files other than source code. Embedded
 * files (`//go:embed`) are compiled in and do not count.
 */
async function detectRuntimeDirs(repo: Repo, lang: LanguageSupport, d: Detection): Promise<void> {
  const found = new Map<string, Evidence>();
  const files = runtimeSources(repo, lang);
  const candidates = new Map<string, boolean>();
  const isDataDir = async (dir: string): Promise<boolean> => {
    if (!candidates.has(dir)) {
      let ok = false;
      try {
        const list = fs.readdirSync(path.join(repo.root, dir), { recursive: true, withFileTypes: true });
        ok = list.some((e) => e.isFile() && !CODE.test(e.name));
      } catch {
        ok = false;
      }
      candidates.set(dir, ok);
    }
    return candidates.get(dir)!;
  };
  const literal = /["'`](?:file:\/\/)?(?:\.\/)?([A-Za-z0-9_-][A-Za-z0-9._-]*)\/[^"'`\s]*["'`]/g;
  for (const file of files) {
    const t = await repo.read(file);
    if (!t) continue;
    for (const [i, line] of t.lines.entries()) {
      if (/^\s*(\/\/|#|\*|\/\*)/.test(line) || /^\s*import\b|require\(|from\s+["']/.test(line)) continue;
      for (const m of allMatches(literal, line)) {
        const dir = m[1]!;
        if (found.has(dir) || ['http:', 'https:', 'node_modules'].includes(dir) || dir.includes('.')) continue;
        if (await isDataDir(dir)) found.set(dir, { file, line: i + 1 });
      }
    }
  }
  if (found.size > 0) d.findings.runtimeDirs = { value: [...found.keys()].join(','), evidence: [...found.values()] };
}

/**
 * One warning for the variables the code requires that dockforge does not set: the port's and
 * the database's are set from the answers; the others only the user knows.
 */
async function requiredEnvWarning(repo: Repo, d: Detection): Promise<void> {
  const set = new Set(['PORT', 'DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE']);
  for (const key of ['portEnv', 'postgresEnv', 'sqliteEnv']) {
    for (const part of String(d.findings[key]?.value ?? '').split(',')) set.add(part.split('=')[0]!);
  }
  let missing = (d.requiredEnv ?? []).filter((r) => !set.has(r.name));
  if (missing.length === 0) return;
  // values the repository commits for them (not secrets): set in compose and the Deployment
  const given = await committedEnv(repo, new Set(missing.map((m) => m.name)));
  if (given.size > 0) {
    for (const [name, g] of given) addEnvFinding(d, name, g.value, g.evidence);
    const files = [...new Set([...given.values()].map((g) => g.evidence.file))].join(', ');
    const loopback = [...given].filter(([, g]) => g.rewritten).map(([n, g]) => `${n}=0.0.0.0, not ${g.rewritten}`);
    d.notes.push(
      `the app requires ${[...given.keys()].join(', ')}: set from ${files} (committed; change with --set env=…)` +
        (loopback.length > 0 ? `; ${loopback.join(', ')}, which nothing outside the container reaches` : ''),
    );
    missing = missing.filter((m) => !given.has(m.name));
    if (missing.length === 0) return;
  }
  addWarning(d, {
    code: 'required-env',
    message:
      `the app refuses to start without ${[...new Set(missing.map((m) => m.name))].join(', ')}: ` +
      "add them to the compose file (the app service's environment) and the Deployment (env)",
    evidence: missing.map((m) => m.evidence),
  });
}

/** Committed files of example settings, in the order their values are trusted (dotenv convention). */
const ENV_FILES = ['.env', '.env.example', '.env.sample', '.env.template', '.env.dist', 'example.env'];
/** Names of the host or address the app listens on (not another service's host). */
const LISTEN_HOST =
  /^(?:HOST|HOSTNAME|BIND(?:_HOST|_ADDR(?:ESS)?)?|LISTEN(?:_HOST|_ADDR(?:ESS)?)?|(?:SERVER|HTTP|APP)_HOST)$/;
/** Names whose values are secrets: never copied from a committed file into the generated ones. */
const SECRET_NAME = /PASS|SECRET|TOKEN|KEY|PRIVATE|CREDENTIAL|AUTH/i;

/**
 * Values for `names` from committed env files (`NAME=value` lines, quotes removed), skipping
 * secret-looking names and values with a comma (the `env` answer's separator).
 */
async function committedEnv(
  repo: Repo,
  names: Set<string>,
): Promise<Map<string, { value: string; evidence: Evidence; rewritten?: string }>> {
  const out = new Map<string, { value: string; evidence: Evidence; rewritten?: string }>();
  for (const file of ENV_FILES) {
    const t = await repo.read(file);
    t?.lines.forEach((line, i) => {
      // dotenv: a quoted value is what the quotes hold; an unquoted one ends at ` #`
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|(.*?))\s*(?:\s#.*)?$/.exec(
        line,
      );
      if (!m || !names.has(m[1]!) || out.has(m[1]!) || SECRET_NAME.test(m[1]!)) return;
      let value = m[2] ?? m[3] ?? m[4] ?? '';
      // a loopback listen host in an example file would make the app unreachable in a container
      let rewritten: string | undefined;
      if (LISTEN_HOST.test(m[1]!) && /^(localhost|127\.0\.0\.1|::1)$/.test(value))
        [rewritten, value] = [value, '0.0.0.0'];
      if (value.includes(',') || value === '') return;
      out.set(m[1]!, { value, evidence: { file, line: i + 1 }, rewritten });
    });
  }
  return out;
}

/** Names that set the port or listen address (not a database's or another service's port). */
const PORT_ENV = /^(?:[A-Z0-9]+_)*(?:PORT(?:_NUMBER)?|(?:HTTP_|LISTEN_|SERVER_|BIND_)?ADDR(?:ESS)?)$/;
const OTHER_PORT = /^(?:DB|PG|POSTGRES(?:QL)?|DATABASE|MYSQL|REDIS|SMTP|MAIL|MONGO(?:DB)?|AMQP|RABBITMQ)_/;

/**
 * The environment variables the app reads its port from (`PORT`, `SERVER_PORT`,
 * `HTTP_ADDR`, …), and the port to use: a port below 1024 needs root or CAP_NET_BIND_SERVICE
 * (the containers run as a non-root user with every capability dropped), so when the app
 * takes its port from the environment, 8080 is used instead; otherwise a warning.
 */
function detectPortEnv(d: Detection): void {
  const reads = d.envReads.filter((r) => PORT_ENV.test(r.name) && !OTHER_PORT.test(r.name));
  const names = [...new Set(reads.map((r) => r.name))];
  if (names.length > 0) {
    const evidence = names.map((n) => reads.find((r) => r.name === n)!.evidence);
    d.findings.portEnv = { value: names.join(','), evidence };
    if (!d.findings.port) {
      const fallback = reads.map((r) => Number(r.fallback)).find((p) => Number.isInteger(p) && p > 0 && p < 65536);
      if (fallback)
        d.findings.port = { value: fallback, evidence: [reads.find((r) => Number(r.fallback) === fallback)!.evidence] };
    }
  }
  const port = d.findings.port;
  if (port && Number(port.value) < 1024) {
    if (names.length > 0) {
      d.notes.push(
        `the code defaults to port ${port.value}, which a non-root user cannot bind: ` +
          `using 8080 through ${names.join(', ')}`,
      );
      d.findings.port = { value: 8080, evidence: port.evidence };
    } else {
      addWarning(d, {
        code: 'privileged-port',
        message:
          `the app listens on port ${port.value}, which a non-root container with no capabilities cannot bind: ` +
          'make the port configurable (e.g. read PORT) or listen on 1024 or above',
        evidence: port.evidence,
      });
    }
  }
}

/** Rank of a health-like path (lower is better), or -1 when the path is not health-like. */
function healthRank(p: string): number {
  const last = p.replace(/\/$/, '').split('/').pop() ?? '';
  return HEALTH_NAMES.indexOf(last.toLowerCase());
}

/**
 * Port, health path and environment reads from the language's sources. The health path is a
 * health-like route (or literal) when there is one, else the root `/` when a route serves it;
 * with neither, no finding: the answer falls back to TCP checks.
 */
async function detectPortAndHealth(repo: Repo, lang: LanguageSupport, d: Detection): Promise<void> {
  const f = d.findings;
  let best: { rank: number; port: number; ev: Evidence } | undefined;
  let health: { rank: number; value: string; ev: Evidence } | undefined;
  let root: Evidence | undefined;
  const files = runtimeSources(repo, lang);
  // a loader's prefix applies to the struct tags of its package (its folder)
  const prefixes = new Map<string, string>();
  for (const file of files) {
    const t = await repo.read(file);
    for (const line of t?.lines ?? []) {
      for (const p of lang.envPrefixes ?? []) {
        const m = p.pattern.exec(line);
        if (m) prefixes.set(path.posix.dirname(file), p.transform ? p.transform(m[1]!) : m[1]!);
      }
    }
  }
  for (const file of files) {
    const t = await repo.read(file);
    if (!t) continue;
    t.lines.forEach((line, i) => {
      const ev = { file, line: i + 1 };
      lang.portPatterns.forEach((re, rank) => {
        const m = re.exec(line);
        const port = m ? Number(m[1]) : 0;
        if (port >= 1 && port <= 65535 && (!best || rank < best.rank)) best = { rank, port, ev };
      });
      for (const re of lang.envPatterns) {
        for (const m of allMatches(re, line)) d.envReads.push({ name: m[1]!, evidence: ev, fallback: m[2] });
      }
      for (const re of lang.envTagPatterns ?? []) {
        for (const m of allMatches(re, line)) {
          const prefix = prefixes.get(path.posix.dirname(file)) ?? '';
          d.envReads.push({ name: prefix + m[1]!, evidence: ev, fallback: m[2] });
        }
      }
      const candidates: string[] = [];
      for (const re of lang.routePatterns) for (const m of allMatches(re, line)) candidates.push(m[1]!);
      const lit = HEALTH_LITERAL.exec(line);
      if (lit) candidates.push(lit[1]!);
      for (const p of candidates) {
        if (p === '/' && !root) root = ev;
        const rank = healthRank(p);
        if (rank >= 0 && (!health || rank < health.rank)) health = { rank, value: p, ev };
      }
    });
  }
  for (const r of d.requiredEnv ?? []) {
    const prefix = r.tagged ? prefixes.get(path.posix.dirname(r.evidence.file)) : undefined;
    if (prefix && !r.name.startsWith(prefix)) r.name = prefix + r.name;
  }
  if (best) f.port = { value: best.port, evidence: [best.ev] };
  if (health) f.healthPath = { value: health.value, evidence: [health.ev] };
  else if (root) f.healthPath = { value: '/', evidence: [root] };
}
