/**
 * Go: go.mod, the main package, cgo drivers; a static binary on distroless `static` (or
 * `base` with cgo), or Alpine. Templates: `templates/languages/go/`.
 */
import path from 'node:path';
import type { Repo, TextFile } from '../detect/repo.js';
import { findLine, toLabel } from '../detect/repo.js';
import type { Answers, Detection } from '../vocabulary.js';
import { compiledHealthcheck, httpHealth, needsProbe, runtimeStage } from './common.js';
import type { LanguageContext, LanguageSupport, ServiceFacts } from './types.js';

/** Go release used when go.mod has no `go` line. */
export const DEFAULT_GO = '1.25';

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
      out.dependencies.push({ name: req[1]!, evidence: ev });
      if (CGO_MODULES.some((re) => re.test(req[1]!))) {
        f.cgo = { value: true, evidence: [ev] };
        out.notes.push(`${req[1]} is a cgo driver: the build uses cgo and the runtime needs a libc`);
      }
    }
  });
  if (!f.cgo) f.cgo = { value: false, evidence: [{ file: 'go.mod', line: 0 }] };
  await detectMain(repo, out);
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
    bin: a.name,
    stages,
    healthcheck: compiledHealthcheck(a),
    probe: needsProbe(a),
    httpHealth: httpHealth(a),
    composeInit: false,
    watch: [{ action: 'rebuild', path: '.' }],
    entrypoint: [`/usr/local/bin/${a.name}`],
    cmd: [],
    images: {
      builder: distroless ? 'golang:${GO_VERSION}-trixie' : 'golang:${GO_VERSION}-alpine${ALPINE_VERSION}',
      runtime: runtimeImage,
    },
    /** Alpine runtime packages: the CA bundle and zoneinfo (Go reads both at run time). */
    runtimePackages: ['ca-certificates', 'tzdata', ...facts.packages.alpineRuntime].join(' '),
  };
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
      kind: 'string',
      pattern: /^1\.\d{1,2}$/,
      allowed: 'a Go release as major.minor, e.g. 1.25',
      describe: 'Go version',
      fallback: DEFAULT_GO,
    },
    {
      key: 'goMain',
      kind: 'string',
      pattern: /^\.(\/[A-Za-z0-9._-]+)*$/,
      allowed: 'a package path such as . or ./cmd/server',
      describe: 'Go main package',
      fallback: '.',
    },
    { key: 'cgo', kind: 'bool', allowed: 'true or false', describe: 'Go: build with cgo', fallback: false },
  ],
  portPatterns: [
    /ListenAndServe(?:TLS)?\(\s*"[^"]*:(\d{2,5})"/,
    /Addr:\s*"[^"]*:(\d{2,5})"/,
    /"PORT"[^\n]*"(\d{2,5})"/,
    /\bport\s*(?::=|=)\s*"(\d{2,5})"/i,
    /":(\d{2,5})"/,
  ],
  envPatterns: [
    /os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g,
    /\b[gG]et[eE]nv\w*\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,\s*"([^"]*)"/g,
    /\b(?:env|envconfig)\s*:\s*"([A-Za-z_][A-Za-z0-9_]*)[",]/g,
  ],
  routePatterns: [
    /\.(?:GET|Get|HandleFunc|Handle|HEAD|Any)\(\s*"(?:GET\s+)?(\/[^"\s{]*)"/g,
    /\bhttp\.(?:HandleFunc|Handle)\(\s*"(?:GET\s+)?(\/[^"\s{]*)"/g,
  ],
  async identify(repo) {
    return (await repo.exists('go.mod')) ? { file: 'go.mod', line: 1 } : undefined;
  },
  detect: detectGo,
  context: goContext,
};
