/**
 * Go: go.mod, the main package, cgo drivers; a static binary on distroless `static` (or
 * `base` with cgo), or Alpine. Templates: `templates/languages/go/`.
 */
import path from 'node:path';
import type { Repo, TextFile } from '../detect/repo.js';
import { findLine, toLabel } from '../detect/repo.js';
import { packData } from '../templates/data.js';
import type { Answers, Detection } from '../vocabulary.js';
import { addWarning } from '../vocabulary.js';
import { compiledRuntime, needsProbe, runtimeStage } from './common.js';
import type { LanguageContext, LanguageSupport, ServiceFacts } from './types.js';

/** The Go image table (templates/data/images.yaml): published variants and the maintained releases. */
interface GolangTable {
  maintained: string[];
  versions: Record<string, { debian: string; alpine: string[] }>;
}

/** The table of published golang image versions (pack data, with its sources). */
export function golangImages(): GolangTable {
  return packData<{ golang: GolangTable }>('images').golang;
}

const minor = (v: string): number => Number(v.split('.')[1]);

/**
 * The Go release to build with for a module whose go.mod asks for at least `min` (the `go` line
 * and the `toolchain` line are minimums: newer toolchains build older modules, Go 1 compatibility
 * promise): the oldest maintained release that satisfies it.
 * @returns the release and whether the table could satisfy the minimum at all.
 */
export function chooseGo(min: string | undefined): { version: string; satisfied: boolean } {
  const table = golangImages();
  const maintained = [...table.maintained].sort((a, b) => minor(a) - minor(b));
  if (!min) return { version: maintained[0]!, satisfied: true };
  const ok = maintained.find((v) => minor(v) >= minor(min));
  return ok ? { version: ok, satisfied: true } : { version: maintained[maintained.length - 1]!, satisfied: false };
}

/** Go release used when go.mod has no `go` line: the oldest maintained one. */
export const DEFAULT_GO = '1.26';

/** Go modules that need cgo (a C toolchain at build time and a libc at run time). */
const CGO_MODULES = [/^github\.com\/mattn\/go-sqlite3\b/];

/** The Go answers, as this module reads them. */
interface GoAnswers extends Answers {
  goVersion: string;
  goMain: string;
  cgo: boolean;
}

async function detectGo(repo: Repo, out: Detection): Promise<void> {
  const goMod = await repo.read('go.mod');
  if (!goMod) return;
  const f = out.findings;
  let inRequire = false;
  let wanted: { min: string; line: { file: string; line: number } } | undefined;
  goMod.lines.forEach((raw, i) => {
    const line = raw.trim();
    const ev = { file: 'go.mod', line: i + 1 };
    const mod = /^module\s+(\S+)/.exec(line);
    if (mod) {
      // a major-version suffix (`example.com/x/v2`) is not the name (Go modules reference, "Major version suffixes")
      const parts = mod[1]!.split('/');
      const last =
        parts.length > 1 && /^v\d+$/.test(parts[parts.length - 1]!) ? parts[parts.length - 2]! : parts.pop()!;
      const label = toLabel(last);
      if (label) f.name = { value: label, evidence: [ev] };
    }
    const ver = /^(go|toolchain)\s+(?:go)?(1\.\d+)(\.\d+)?\S*\s*$/.exec(line);
    if (ver && (!wanted || minor(ver[2]!) > minor(wanted.min))) wanted = { min: ver[2]!, line: ev };
    if (/^require\s*\($/.test(line)) inRequire = true;
    else if (inRequire && line === ')') inRequire = false;
    const req = inRequire ? /^(\S+)\s+v\S+/.exec(line) : /^require\s+(\S+)\s+v\S+/.exec(line);
    if (req) {
      out.dependencies.push({
        name: req[1]!,
        evidence: ev,
        via: /\/\/\s*indirect\b/.test(line) ? 'indirect' : 'manifest',
      });
      if (CGO_MODULES.some((re) => re.test(req[1]!))) {
        f.cgo = { value: true, evidence: [ev] };
        out.notes.push(`${req[1]} is a cgo driver: the build uses cgo and the runtime needs a libc`);
      }
    }
  });
  if (!f.cgo) f.cgo = { value: false, evidence: [{ file: 'go.mod', line: 0 }] };
  if (wanted) {
    const go = chooseGo(wanted.min);
    f.goVersion = { value: go.version, evidence: [wanted.line] };
    if (!go.satisfied) {
      addWarning(out, {
        code: 'go-too-new',
        message:
          `go.mod needs Go ${wanted.min}, newer than every golang image dockforge knows ` +
          `(${golangImages().maintained.join(', ')}); the build uses ${go.version} ` +
          'and will fail until a newer image exists',
        evidence: [wanted.line],
      });
    } else if (go.version !== wanted.min) {
      out.notes.push(
        `go.mod asks for Go ${wanted.min} or newer: building with Go ${go.version}, the oldest maintained release`,
      );
    }
  }
  await detectMain(repo, out);
  await detectLoopback(repo, out);
  await detectSourceFacts(repo, out);
}

/**
 * Facts read from the Go sources: imported packages (dependencies `via: 'import'`, which outrank
 * go.mod's list when drivers compete), required configuration (`env:"X,required"` of
 * caarlos0/env, `envconfig:"X" required:"true"` of kelseyhightower/envconfig), and
 * experiments the code needs (`encoding/json/v2` needs GOEXPERIMENT=jsonv2: Go 1.25 release notes).
 */
async function detectSourceFacts(repo: Repo, out: Detection): Promise<void> {
  out.requiredEnv ??= [];
  for (const file of repo.sources.filter((s) => s.endsWith('.go') && !s.endsWith('_test.go'))) {
    const t = await repo.read(file);
    let inImport = false;
    t?.lines.forEach((line, i) => {
      const ev = { file, line: i + 1 };
      // imports of non-standard packages (a dot in the first path element: Go spec, "Import declarations")
      if (/^import\s*\($/.test(line.trim())) inImport = true;
      else if (inImport && line.trim() === ')') inImport = false;
      const imp = inImport ? /^\s*(?:[\w.]+\s+)?"([^"]+)"/.exec(line) : /^import\s+(?:[\w.]+\s+)?"([^"]+)"/.exec(line);
      if (imp && /^[^/]*\./.test(imp[1]!)) out.dependencies.push({ name: imp[1]!, evidence: ev, via: 'import' });
      const req =
        /\benv\s*:\s*"([A-Za-z_][A-Za-z0-9_]*),[^"]*\brequired\b/.exec(line) ??
        /\benvconfig\s*:\s*"([A-Za-z_][A-Za-z0-9_]*)".*\brequired\s*:\s*"true"/.exec(line);
      if (req) out.requiredEnv!.push({ name: req[1]!, evidence: ev, tagged: true });
      if (/"encoding\/json\/(v2|jsontext)"/.test(line) && !out.findings.goExperiment) {
        out.findings.goExperiment = { value: 'jsonv2', evidence: [ev] };
      }
    });
  }
}

/** A listen address on the loopback interface, unreachable from outside the container. */
const LOOPBACK = new RegExp(
  [
    '(?:ListenAndServe(?:TLS)?|\\.Listen|\\.Run|\\.Start)\\(\\s*"(?:localhost|127\\.0\\.0\\.1):',
    'Addr:\\s*"(?:localhost|127\\.0\\.0\\.1):',
  ].join('|'),
);

async function detectLoopback(repo: Repo, out: Detection): Promise<void> {
  for (const file of repo.sources.filter((s) => s.endsWith('.go') && !s.endsWith('_test.go'))) {
    const t = await repo.read(file);
    const i = t ? findLine(t.lines, LOOPBACK) : -1;
    if (i < 0) continue;
    addWarning(out, {
      code: 'loopback-bind',
      message:
        'the server listens on the loopback address, which nothing outside the container can reach: ' +
        'listen on ":PORT" (every interface) instead',
      evidence: [{ file, line: i + 1 }],
    });
  }
}

/** The main package: the root, else `cmd/<name>`. */
async function detectMain(repo: Repo, out: Detection): Promise<void> {
  const f = out.findings;
  const goFiles = repo.sources.filter((s) => s.endsWith('.go') && !s.endsWith('_test.go'));
  const mains: string[] = [];
  const dirs = [...new Set(goFiles.map((s) => path.posix.dirname(s)))];
  for (const dir of dirs) {
    if (dir !== '.' && !/^cmd\/[^/]+$/.test(dir)) continue;
    for (const file of goFiles.filter((s) => path.posix.dirname(s) === dir)) {
      const text: TextFile | undefined = await repo.read(file);
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
  if (mains.length > 1) out.notes.push(`several main packages (${mains.join(', ')}); chose ${f.goMain!.value}`);
}

function goContext(answers: Answers, facts: ServiceFacts): LanguageContext {
  const a = answers as GoAnswers;
  const distroless = a.base === 'distroless';
  const stages = [
    { name: 'base', what: 'Go toolchain and `go mod download` (cached until go.mod/go.sum change)' },
    { name: 'build', what: 'static, stripped binary (`-trimpath -ldflags="-s -w"`)' },
    ...(needsProbe(a) ? [{ name: 'healthcheck', what: 'tiny static probe for the compose healthcheck' }] : []),
    { name: 'dev', what: 'toolchain, sources and an unstripped build, for `compose watch`' },
    runtimeStage(a),
  ];
  // distroless README: `static` for pure Go, `base` (glibc) when cgo links against libc
  const runtimeImage = distroless
    ? `gcr.io/distroless/${a.cgo ? 'base' : 'static'}-debian13:nonroot`
    : 'alpine:${ALPINE_VERSION}';
  return {
    ...compiledRuntime(a, a.name),
    stages,
    images: {
      builder: distroless ? 'golang:${GO_VERSION}-trixie' : 'golang:${GO_VERSION}-alpine${ALPINE_VERSION}',
      runtime: runtimeImage,
    },
    /** Alpine runtime packages: the CA bundle and zoneinfo (Go reads both at run time). */
    runtimePackages: ['ca-certificates', 'tzdata', ...facts.packages.alpineRuntime].join(' '),
  };
}

/**
 * The `goMain` answer: `.` or `./<folder>/…`, each segment of `[A-Za-z0-9._-]` and not made of
 * dots only — no `.` or `..` segment (the package must stay inside the build context: `go build`
 * resolves `./cmd/../../etc` outside it) and no `...` (a `go build` package pattern, "go help
 * packages", which matches several packages).
 */
export const GO_MAIN = /^\.(\/(?!\.+(?:\/|$))[A-Za-z0-9._-]+)*$/;

/** The allowed text of `goMain`, for its one-line error. */
export const GO_MAIN_ALLOWED = 'a package path inside the repository such as . or ./cmd/server (no . or .. segments)';

/**
 * Why a `goMain` value may not be built, checked again on the normalized path (answers files are
 * validated by {@link GO_MAIN} too; this is the last check before `go build`).
 *
 * @param goMain the answer as given.
 * @returns `invalid goMain "<value>": expected <GO_MAIN_ALLOWED>` when it is not a `./` path, when
 *   any segment is `..`, or when `path.posix.normalize` of it leaves the repository; else undefined.
 */
export function goMainProblem(goMain: string): string | undefined {
  const normal = path.posix.normalize(goMain);
  const segments = goMain.split('/');
  if (
    !GO_MAIN.test(goMain) ||
    segments.includes('..') ||
    normal === '..' ||
    normal.startsWith('../') ||
    path.posix.isAbsolute(normal)
  ) {
    return `invalid goMain ${JSON.stringify(goMain)}: expected ${GO_MAIN_ALLOWED}`;
  }
  return undefined;
}

/** The Go language module. */
export const go: LanguageSupport = {
  id: 'go',
  title: 'Go',
  defaultPort: 8080,
  sourceExtensions: ['.go'],
  fields: [
    {
      key: 'goVersion',
      kind: 'enum',
      choices: Object.keys(golangImages().versions),
      allowed: Object.keys(golangImages().versions).join(', '),
      describe: 'Go version (a published golang image)',
      fallback: DEFAULT_GO,
    },
    {
      key: 'goMain',
      kind: 'string',
      // GO_MAIN: inside the build context, no `.`/`..` segment, no `...` wildcard
      pattern: GO_MAIN,
      allowed: GO_MAIN_ALLOWED,
      describe: 'Go main package',
      fallback: '.',
    },
    { key: 'cgo', kind: 'bool', allowed: 'true or false', describe: 'Go: build with cgo', fallback: false },
    {
      key: 'goExperiment',
      kind: 'string',
      pattern: /^(none|[a-z0-9]+(,[a-z0-9]+)*)$/,
      allowed: 'GOEXPERIMENT values separated by commas (e.g. jsonv2), or none',
      describe: 'Go: experiments the code needs at build time',
      fallback: 'none',
    },
  ],
  portPatterns: [
    /ListenAndServe(?:TLS)?\(\s*"[^"]*:(\d{2,5})"/,
    // a -port / -addr command-line flag's default (package flag)
    /\bflag\.\w+\(\s*(?:&[\w.]+,\s*)?"(?:port|http-port|addr|listen)"\s*,\s*"?:?(\d{2,5})"?/,
    /Addr:\s*"[^"]*:(\d{2,5})"/,
    /"PORT"[^\n]*"(\d{2,5})"/,
    /\bport\s*(?::=|=)\s*"(\d{2,5})"/i,
    /":(\d{2,5})"/,
  ],
  envPatterns: [
    /os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g,
    /\b[gG]et[eE]nv\w*\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,\s*"([^"]*)"/g,
  ],
  envTagPatterns: [/\b(?:env|envconfig)\s*:\s*"([A-Za-z_][A-Za-z0-9_]*)[",]/g],
  envPrefixes: [
    // qiangxue/go-env: env.New("APP_", logf).Load(&cfg)
    { pattern: /\benv\.New\(\s*"([A-Za-z0-9_]+)"/ },
    // caarlos0/env: env.ParseWithOptions(&cfg, env.Options{Prefix: "APP_"})
    { pattern: /\bPrefix:\s*"([A-Za-z0-9_]+)"/ },
    // kelseyhightower/envconfig: Process("myapp", &s) reads MYAPP_<tag> (its README, "Usage")
    { pattern: /\benvconfig\.(?:Process|MustProcess)\(\s*"([A-Za-z0-9_]+)"/, transform: (p) => `${p.toUpperCase()}_` },
  ],
  routePatterns: [
    /\.(?:GET|Get|HandleFunc|Handle|HEAD|Any)\(\s*"(?:GET\s+)?(\/[^"\s{]*)"/g,
    /\bhttp\.(?:HandleFunc|Handle)\(\s*"(?:GET\s+)?(\/[^"\s{]*)"/g,
  ],
  async identify(repo) {
    return (await repo.exists('go.mod')) ? { file: 'go.mod', line: 1 } : undefined;
  },
  detect: detectGo,
  async verify(repo, a) {
    const escape = goMainProblem(String(a.goMain));
    if (escape) return escape;
    const dir = String(a.goMain).replace(/^\.\/?/, '');
    const files = repo.sources.filter((s) => path.posix.dirname(s) === (dir || '.') && s.endsWith('.go'));
    for (const file of files) {
      const t = await repo.read(file);
      if (t && findLine(t.lines, /^package\s+main\b/) >= 0) return undefined;
    }
    return (
      `invalid goMain "${a.goMain}": no package main there ` +
      '(expected a folder with a main package, such as . or ./cmd/server)'
    );
  },
  check(a) {
    const published = golangImages().versions[String(a.goVersion)];
    if (a.base === 'alpine' && published && !published.alpine.includes(a.alpineVersion)) {
      return (
        `invalid alpineVersion "${a.alpineVersion}": golang:${a.goVersion}-alpine${a.alpineVersion} is not a ` +
        `published image; expected ${published.alpine.join(', ')} (or another goVersion)`
      );
    }
    return undefined;
  },
  context: goContext,
};
