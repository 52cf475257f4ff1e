/**
 * Stack detection: reads a repository (never writes, never runs anything in it) and returns
 * findings, each with the evidence it rests on as `file:line`.
 *
 * Detection only proposes: its values prefill the prompts and are used as-is by `--yes`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Answers, AnswerKey, Database, Language, PackageManager } from '../answers/schema.js';
import { DNS1123_LABEL, NODE_MAJORS } from '../answers/schema.js';

/** Where a finding comes from: a path relative to the repository root and a 1-based line (0 = the file itself). */
export interface Evidence {
  file: string;
  line: number;
}

/** One detected value with the evidence for it. */
export interface Finding<T> {
  value: T;
  evidence: Evidence[];
}

/** Detected values by answer key, plus human-readable notes (ambiguities, assumptions). */
export interface Detection {
  findings: { [K in AnswerKey]?: Finding<Answers[K]> };
  notes: string[];
}

/** Render evidence as `file:line` (or `file` when line is 0), for summaries and prompts. */
export function formatEvidence(ev: Evidence[]): string {
  return ev.map((e) => (e.line > 0 ? `${e.file}:${e.line}` : e.file)).join(', ');
}

/** Source files scanned for ports and health paths, by extension. */
const SOURCE_EXT = new Set(['.go', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.c', '.h']);
/** Folders never scanned: VCS, dependencies, build outputs. */
const SKIP_DIRS = new Set(['.git', 'node_modules', 'vendor', 'dist', 'build', '.dockforge', 'coverage', 'out', 'target', 'testdata']);
/** Scan bounds, so detection stays fast on large repositories. */
const MAX_FILES = 2000;
const MAX_DEPTH = 6;
const MAX_FILE_BYTES = 512 * 1024;

/**
 * Node packages that compile a native addon at install time (node-gyp), so their
 * `node_modules` must be built on a builder with the runtime's libc.
 */
const NODE_NATIVE = ['better-sqlite3', 'sqlite3', 'bcrypt', 'argon2', 'canvas', 'sharp', 'libpq', 'pg-native', 'cpu-features'];

interface TextFile {
  rel: string;
  lines: string[];
}

async function readText(root: string, rel: string): Promise<TextFile | undefined> {
  try {
    const stat = await fs.stat(path.join(root, rel));
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    const text = await fs.readFile(path.join(root, rel), 'utf8');
    return { rel, lines: text.split(/\r?\n/) };
  } catch {
    return undefined;
  }
}

async function exists(root: string, rel: string): Promise<boolean> {
  try {
    await fs.access(path.join(root, rel));
    return true;
  } catch {
    return false;
  }
}

/** List source files (relative, `/`-separated, sorted) under root within the scan bounds. */
async function listSources(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
    let entries;
    try {
      entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(child, depth + 1);
      } else if (e.isFile() && SOURCE_EXT.has(path.extname(e.name))) {
        if (out.length < MAX_FILES) out.push(child);
      }
    }
  }
  await walk('', 0);
  return out;
}

/** First line index (0-based) matching re, or -1. */
function findLine(lines: string[], re: RegExp): number {
  return lines.findIndex((l) => re.test(l));
}

function toLabel(raw: string): string | undefined {
  const label = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return DNS1123_LABEL.test(label) ? label : undefined;
}

/**
 * Detect the stack of the repository at `root`.
 *
 * @param root absolute path of the repository (the build context).
 * @returns findings with evidence; absent keys were not detected.
 * @throws nothing for unreadable or odd files (they are skipped); only if `root` is unreadable.
 */
export async function detect(root: string): Promise<Detection> {
  await fs.readdir(root);
  const d: Detection = { findings: {}, notes: [] };
  const f = d.findings;
  const sources = await listSources(root);

  const goMod = await readText(root, 'go.mod');
  const pkgFile = await readText(root, 'package.json');
  const makefile = (await readText(root, 'Makefile')) ?? (await readText(root, 'makefile')) ?? (await readText(root, 'GNUmakefile'));
  const cmake = await readText(root, 'CMakeLists.txt');
  const hasC = sources.some((s) => s.endsWith('.c'));

  const langs: { lang: Language; ev: Evidence }[] = [];
  if (goMod) langs.push({ lang: 'go', ev: { file: 'go.mod', line: 1 } });
  if (pkgFile) langs.push({ lang: 'node', ev: { file: 'package.json', line: 1 } });
  if ((makefile || cmake) && hasC) langs.push({ lang: 'c', ev: { file: (cmake ?? makefile)!.rel, line: 1 } });
  if (langs[0]) {
    f.language = { value: langs[0].lang, evidence: [langs[0].ev] };
    if (langs.length > 1) {
      d.notes.push(`several stacks found (${langs.map((l) => `${l.lang} from ${l.ev.file}`).join(', ')}); chose ${langs[0].lang}`);
    }
  }

  const language = f.language?.value;
  if (language === 'go' && goMod) await detectGo(root, goMod, sources, d);
  if (language === 'node' && pkgFile) await detectNode(root, pkgFile, d);
  if (language === 'c') await detectC(root, makefile, cmake, sources, d);

  if (!f.name) {
    const label = toLabel(path.basename(root));
    if (label) f.name = { value: label, evidence: [{ file: '.', line: 0 }] };
  }
  if (language) await detectPortAndHealth(root, language, sources, d);
  return d;
}

/** Pick the database from dependency hits; postgres wins a tie (a service with both usually migrated to it). */
function chooseDatabase(hits: { db: Database; ev: Evidence }[], d: Detection): void {
  if (hits.length === 0) return;
  const pg = hits.filter((h) => h.db === 'postgres');
  const chosen = pg.length > 0 ? pg : hits;
  d.findings.database = { value: chosen[0]!.db, evidence: chosen.map((h) => h.ev) };
  const kinds = new Set(hits.map((h) => h.db));
  if (kinds.size > 1) d.notes.push(`both SQLite and PostgreSQL drivers found; chose postgres`);
}

/** Go module drivers and what they mean (go.mod `require` lines, `// indirect` ones included). */
const GO_DRIVERS: { module: RegExp; db: Database; cgo?: boolean }[] = [
  { module: /^modernc\.org\/sqlite\b/, db: 'sqlite' },
  { module: /^github\.com\/glebarez\/(go-)?sqlite\b/, db: 'sqlite' },
  { module: /^github\.com\/ncruces\/go-sqlite3\b/, db: 'sqlite' },
  { module: /^github\.com\/mattn\/go-sqlite3\b/, db: 'sqlite', cgo: true },
  { module: /^github\.com\/jackc\/pgx(\/v\d+)?\b/, db: 'postgres' },
  { module: /^github\.com\/lib\/pq\b/, db: 'postgres' },
];

async function detectGo(root: string, goMod: TextFile, sources: string[], d: Detection): Promise<void> {
  const f = d.findings;
  const hits: { db: Database; ev: Evidence }[] = [];
  let inRequire = false;
  goMod.lines.forEach((raw, i) => {
    const line = raw.trim();
    const ev = { file: 'go.mod', line: i + 1 };
    const mod = /^module\s+(\S+)/.exec(line);
    if (mod) {
      const label = toLabel(mod[1]!.split('/').pop()!);
      if (label) f.name = { value: label, evidence: [ev] };
    }
    const ver = /^go\s+(1\.\d+)(\.\d+)?\s*$/.exec(line);
    if (ver) f.goVersion = { value: ver[1]!, evidence: [ev] };
    if (/^require\s*\($/.test(line)) inRequire = true;
    else if (inRequire && line === ')') inRequire = false;
    const req = inRequire ? /^(\S+)\s+v\S+/.exec(line) : /^require\s+(\S+)\s+v\S+/.exec(line);
    if (req) {
      for (const drv of GO_DRIVERS) {
        if (drv.module.test(req[1]!)) {
          hits.push({ db: drv.db, ev });
          if (drv.cgo) {
            f.cgo = { value: true, evidence: [ev] };
            d.notes.push(`${req[1]} is a cgo driver: the build uses cgo and the runtime needs a libc`);
          }
        }
      }
    }
  });
  chooseDatabase(hits, d);
  if (!f.cgo) f.cgo = { value: false, evidence: [{ file: 'go.mod', line: 0 }] };

  // main package: the root, else cmd/<name>
  const mains: string[] = [];
  const dirs = [...new Set(sources.filter((s) => s.endsWith('.go') && !s.endsWith('_test.go')).map((s) => path.posix.dirname(s)))];
  for (const dir of dirs) {
    if (dir !== '.' && !/^cmd\/[^/]+$/.test(dir)) continue;
    for (const file of sources.filter((s) => path.posix.dirname(s) === dir && s.endsWith('.go') && !s.endsWith('_test.go'))) {
      const text = await readText(root, file);
      const idx = text ? findLine(text.lines, /^package\s+main\b/) : -1;
      if (idx >= 0) {
        mains.push(dir);
        if (mains.length === 1 || dir === '.') {
          f.goMain = { value: dir === '.' ? '.' : `./${dir}`, evidence: [{ file, line: idx + 1 }] };
        }
        break;
      }
    }
  }
  if (mains.length > 1) d.notes.push(`several main packages (${mains.join(', ')}); chose ${f.goMain!.value}`);
}

/** The Node major dockforge prefers when a range allows it: the Active LTS line (Node release schedule). */
export const NODE_LTS = '24';

/**
 * Parse an `engines.node` range or `.nvmrc` text into a supported major.
 * Open ranges (`>=22`) get the Active LTS when it satisfies them, else the newest supported major.
 * @returns one of NODE_MAJORS, or undefined when none satisfies the spec.
 */
function nodeMajorFrom(spec: string): string | undefined {
  const s = spec.trim().replace(/^v/, '');
  if (/^lts(\/|$)/i.test(s) || s === 'node' || s === '*') return NODE_LTS;
  const m = /^(>=?|\^|~)?\s*v?(\d+)/.exec(s);
  if (!m) return undefined;
  const major = Number(m[2]);
  const supported = NODE_MAJORS.map(Number);
  if (m[1] === '>=' || m[1] === '>') {
    const ok = supported.filter((v) => (m[1] === '>' ? v > major : v >= major));
    if (ok.includes(Number(NODE_LTS))) return NODE_LTS;
    return ok.length > 0 ? String(Math.max(...ok)) : undefined;
  }
  return supported.includes(major) ? String(major) : undefined;
}

async function detectNode(root: string, pkgFile: TextFile, d: Detection): Promise<void> {
  const f = d.findings;
  const text = pkgFile.lines.join('\n');
  let pkg: Record<string, any>;
  try {
    pkg = JSON.parse(text);
  } catch {
    d.notes.push('package.json is not valid JSON; Node details not detected');
    return;
  }
  const lineOf = (re: RegExp): Evidence => ({ file: 'package.json', line: findLine(pkgFile.lines, re) + 1 });
  if (typeof pkg.name === 'string') {
    const label = toLabel(pkg.name.replace(/^@[^/]+\//, ''));
    if (label) f.name = { value: label, evidence: [lineOf(/"name"\s*:/)] };
  }
  if (typeof pkg.version === 'string' && /^\d+\.\d+\.\d+/.test(pkg.version) && f.name) {
    f.image = { value: `${f.name.value}:${pkg.version}`, evidence: [lineOf(/"version"\s*:/)] };
  }

  // Node major: .nvmrc / .node-version pin it exactly; engines.node gives a range.
  for (const file of ['.nvmrc', '.node-version']) {
    const t = await readText(root, file);
    const major = t && nodeMajorFrom(t.lines[0] ?? '');
    if (major) {
      f.nodeVersion = { value: major, evidence: [{ file, line: 1 }] };
      break;
    }
  }
  if (!f.nodeVersion && typeof pkg.engines?.node === 'string') {
    const major = nodeMajorFrom(pkg.engines.node);
    if (major) f.nodeVersion = { value: major, evidence: [lineOf(/"node"\s*:/)] };
    else d.notes.push(`engines.node "${pkg.engines.node}" has no supported major (${NODE_MAJORS.join(', ')})`);
  }

  // package manager: the packageManager field, else the lockfile
  let pm: { value: PackageManager; ev: Evidence } | undefined;
  const field = typeof pkg.packageManager === 'string' ? /^(npm|yarn|pnpm)@/.exec(pkg.packageManager) : null;
  if (field) pm = { value: field[1] as PackageManager, ev: lineOf(/"packageManager"\s*:/) };
  else {
    for (const [file, value] of [['package-lock.json', 'npm'], ['npm-shrinkwrap.json', 'npm'], ['pnpm-lock.yaml', 'pnpm'], ['yarn.lock', 'yarn']] as const) {
      if (await exists(root, file)) {
        pm = { value, ev: { file, line: 0 } };
        break;
      }
    }
  }
  if (pm) f.packageManager = { value: pm.value, evidence: [pm.ev] };
  else d.notes.push('no lockfile: dependency installs are not reproducible until one is committed (npm install writes package-lock.json)');

  const scripts: Record<string, string> = pkg.scripts ?? {};
  const hasBuild = typeof scripts.build === 'string';
  f.nodeBuild = { value: hasBuild, evidence: [hasBuild ? lineOf(/"build"\s*:/) : { file: 'package.json', line: 0 }] };
  if (hasBuild) {
    const tsconfig = await readText(root, 'tsconfig.json');
    const outIdx = tsconfig ? findLine(tsconfig.lines, /"outDir"\s*:/) : -1;
    const out = outIdx >= 0 ? /"outDir"\s*:\s*"\.?\/?([^"]+?)\/?"/.exec(tsconfig!.lines[outIdx]!) : null;
    if (out) f.nodeBuildOutput = { value: out[1]!, evidence: [{ file: 'tsconfig.json', line: outIdx + 1 }] };
  }

  // start file: `node <file>` in scripts.start, else "main", else a conventional file
  const start = typeof scripts.start === 'string' ? /\bnode\s+(?:--\S+\s+)*(\S+\.[cm]?js)\b/.exec(scripts.start) : null;
  if (start) f.nodeStart = { value: start[1]!.replace(/^\.\//, ''), evidence: [lineOf(/"start"\s*:/)] };
  else if (typeof pkg.main === 'string') f.nodeStart = { value: pkg.main.replace(/^\.\//, ''), evidence: [lineOf(/"main"\s*:/)] };
  else {
    for (const file of ['server.js', 'index.js', 'app.js', 'main.js', 'src/index.js', 'src/server.js']) {
      if (await exists(root, file)) {
        f.nodeStart = { value: file, evidence: [{ file, line: 0 }] };
        break;
      }
    }
  }
  if (hasBuild && f.nodeStart && !f.nodeBuildOutput) {
    const top = f.nodeStart.value.split('/')[0]!;
    if (top !== f.nodeStart.value) f.nodeBuildOutput = { value: top, evidence: f.nodeStart.evidence };
  }

  const deps: Record<string, string> = { ...(pkg.dependencies ?? {}), ...(pkg.optionalDependencies ?? {}) };
  const hits: { db: Database; ev: Evidence }[] = [];
  const native: string[] = [];
  for (const name of Object.keys(deps)) {
    const ev = lineOf(new RegExp(`"${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\s*:`));
    if (['better-sqlite3', 'sqlite3', 'sqlite', '@libsql/client'].includes(name)) hits.push({ db: 'sqlite', ev });
    if (['pg', 'postgres', 'pg-promise', '@neondatabase/serverless'].includes(name)) hits.push({ db: 'postgres', ev });
    if (NODE_NATIVE.includes(name)) native.push(name);
  }
  if (deps['@prisma/client'] || deps.prisma) {
    const schema = (await readText(root, 'prisma/schema.prisma')) ?? (await readText(root, 'schema.prisma'));
    const idx = schema ? findLine(schema.lines, /provider\s*=\s*"(postgresql|postgres|sqlite)"/) : -1;
    if (idx >= 0) {
      const prov = /"(postgresql|postgres|sqlite)"/.exec(schema!.lines[idx]!)![1]!;
      hits.push({ db: prov === 'sqlite' ? 'sqlite' : 'postgres', ev: { file: schema!.rel, line: idx + 1 } });
    }
  }
  chooseDatabase(hits, d);
  f.nodeNative = {
    value: native.length > 0,
    evidence: native.length > 0 ? native.map((n) => lineOf(new RegExp(`"${n}"\\s*:`))) : [{ file: 'package.json', line: 0 }],
  };
  if (native.length > 0) d.notes.push(`native addons (${native.join(', ')}): dependencies are compiled on a builder with the runtime's libc`);
}

async function detectC(root: string, makefile: TextFile | undefined, cmake: TextFile | undefined, sources: string[], d: Detection): Promise<void> {
  const f = d.findings;
  const hits: { db: Database; ev: Evidence }[] = [];
  const scan = (file: TextFile, rules: { re: RegExp; db: Database }[]): void => {
    file.lines.forEach((l, i) => {
      for (const r of rules) if (r.re.test(l)) hits.push({ db: r.db, ev: { file: file.rel, line: i + 1 } });
    });
  };
  const buildRules = [
    { re: /-lsqlite3\b|\bsqlite3\b.*pkg-config|pkg-config.*\bsqlite3\b|find_package\s*\(\s*SQLite3|pkg_check_modules\s*\([^)]*sqlite3/i, db: 'sqlite' as Database },
    { re: /-lpq\b|pkg-config.*\blibpq\b|find_package\s*\(\s*PostgreSQL|pkg_check_modules\s*\([^)]*libpq/i, db: 'postgres' as Database },
  ];
  if (cmake) {
    f.cBuild = { value: 'cmake', evidence: [{ file: cmake.rel, line: 1 }] };
    const idx = findLine(cmake.lines, /add_executable\s*\(\s*[A-Za-z0-9_.-]+/);
    if (idx >= 0) f.cBinary = { value: /add_executable\s*\(\s*([A-Za-z0-9_.-]+)/.exec(cmake.lines[idx]!)![1]!, evidence: [{ file: cmake.rel, line: idx + 1 }] };
    const proj = findLine(cmake.lines, /project\s*\(\s*[A-Za-z0-9_.-]+/);
    const label = proj >= 0 ? toLabel(/project\s*\(\s*([A-Za-z0-9_.-]+)/.exec(cmake.lines[proj]!)![1]!) : undefined;
    if (label) f.name = { value: label, evidence: [{ file: cmake.rel, line: proj + 1 }] };
    scan(cmake, buildRules);
  } else if (makefile) {
    f.cBuild = { value: 'make', evidence: [{ file: makefile.rel, line: 1 }] };
    let idx = findLine(makefile.lines, /^\s*(TARGET|BIN|BINARY|PROG|PROGRAM|EXE|EXEC|APP|NAME)\s*[:?]?=\s*[A-Za-z0-9._-]+\s*$/);
    if (idx >= 0) {
      f.cBinary = { value: /=\s*([A-Za-z0-9._-]+)/.exec(makefile.lines[idx]!)![1]!, evidence: [{ file: makefile.rel, line: idx + 1 }] };
    } else {
      idx = findLine(makefile.lines, /^all\s*:\s*[A-Za-z0-9._-]+/);
      const m = idx >= 0 ? /^all\s*:\s*([A-Za-z0-9._-]+)/.exec(makefile.lines[idx]!) : null;
      if (m && !m[1]!.includes('$')) f.cBinary = { value: m[1]!, evidence: [{ file: makefile.rel, line: idx + 1 }] };
    }
    scan(makefile, buildRules);
    // a Makefile has no project name: the executable's name is the next best
    const label = f.cBinary && toLabel(f.cBinary.value);
    if (label) f.name = { value: label, evidence: f.cBinary!.evidence };
  }
  for (const file of sources.filter((s) => s.endsWith('.c') || s.endsWith('.h'))) {
    const t = await readText(root, file);
    if (t) scan(t, [{ re: /#\s*include\s*[<"]sqlite3\.h[>"]/, db: 'sqlite' }, { re: /#\s*include\s*[<"](postgresql\/)?libpq-fe\.h[>"]/, db: 'postgres' }]);
  }
  chooseDatabase(hits, d);
}

/** Health paths probed for in source string literals, most specific first. */
const HEALTH_PATHS = ['/healthz', '/health', '/livez', '/readyz', '/ping'];

async function detectPortAndHealth(root: string, language: Language, sources: string[], d: Detection): Promise<void> {
  const f = d.findings;
  const exts = language === 'go' ? ['.go'] : language === 'node' ? ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] : ['.c', '.h'];
  const portRes: RegExp[] =
    language === 'go'
      ? [/ListenAndServe(?:TLS)?\(\s*"[^"]*:(\d{2,5})"/, /Addr:\s*"[^"]*:(\d{2,5})"/, /"PORT"[^\n]*"(\d{2,5})"/, /\bport\s*(?::=|=)\s*"(\d{2,5})"/i, /":(\d{2,5})"/]
      : language === 'node'
        ? [/\.listen\(\s*(\d{2,5})\b/, /PORT\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})/, /\bport\s*[:=]\s*(\d{2,5})\b/i, /env\.PORT\b[^\n]*?\b(\d{2,5})\b/]
        : [/#\s*define\s+\w*PORT\w*\s+"?(\d{2,5})"?/, /htons\(\s*(\d{2,5})\s*\)/, /"PORT"[^\n]*"(\d{2,5})"/, /\bport\s*=\s*(\d{2,5})\b/i];
  let best: { rank: number; port: number; ev: Evidence } | undefined;
  let health: { rank: number; value: string; ev: Evidence } | undefined;
  for (const file of sources.filter((s) => exts.includes(path.extname(s)) && !/(_test\.go|\.test\.[cm]?[jt]s|\.spec\.[cm]?[jt]s)$/.test(s))) {
    const t = await readText(root, file);
    if (!t) continue;
    t.lines.forEach((line, i) => {
      portRes.forEach((re, rank) => {
        const m = re.exec(line);
        const port = m ? Number(m[1]) : 0;
        if (port >= 1 && port <= 65535 && (!best || rank < best.rank)) best = { rank, port, ev: { file, line: i + 1 } };
      });
      HEALTH_PATHS.forEach((p, rank) => {
        // a string literal holding the path, optionally as a route pattern ("GET /health")
        if (new RegExp(`["'\`](?:GET )?${p}["'\` ?]`).test(line) && (!health || rank < health.rank)) {
          health = { rank, value: p, ev: { file, line: i + 1 } };
        }
      });
    });
  }
  if (best) f.port = { value: best.port, evidence: [best.ev] };
  if (health) f.healthPath = { value: health.value, evidence: [health.ev] };
}
