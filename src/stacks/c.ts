/**
 * C: make or CMake, the executable, the libraries it links; built on Debian 13 (its
 * shared-library closure copied onto distroless `cc`) or Alpine. Templates: `templates/languages/c/`.
 */
import type { Repo, TextFile } from '../detect/repo.js';
import { findLine, toLabel } from '../detect/repo.js';
import type { Answers, Dependency, Detection } from '../vocabulary.js';
import { compiledHealthcheck, httpHealth, needsProbe, runtimeStage } from './common.js';
import type { LanguageContext, LanguageSupport, ServiceFacts } from './types.js';

/** C build systems. */
export const C_BUILDS = ['make', 'cmake'] as const;
export type CBuild = (typeof C_BUILDS)[number];

/** The C answers, as this module reads them. */
interface CAnswers extends Answers {
  cBuild: CBuild;
  cBinary: string;
}

/** Makefile variables that conventionally name the executable. */
const TARGET_VAR = /^\s*(TARGET|BIN|BINARY|PROG|PROGRAM|EXE|EXEC|APP|NAME)\s*[:?]?=\s*[A-Za-z0-9._-]+\s*$/;

/**
 * Dependencies named on one line of a build file: `-l<name>` (`lib:`), pkg-config and
 * pkg_check_modules names (`pkg:`), CMake find_package (`cmake:`).
 */
function buildDependencies(file: TextFile): Dependency[] {
  const out: Dependency[] = [];
  file.lines.forEach((line, i) => {
    const evidence = { file: file.rel, line: i + 1 };
    for (const m of line.matchAll(/(?:^|\s)-l([A-Za-z0-9_+.-]+)/g)) out.push({ name: `lib:${m[1]}`, evidence });
    for (const m of line.matchAll(/pkg-config\s+((?:[A-Za-z0-9_.+-]+\s*)+)/g)) {
      for (const w of m[1]!.split(/\s+/)) if (w && !w.startsWith('-')) out.push({ name: `pkg:${w}`, evidence });
    }
    const pcm = /pkg_check_modules\s*\(\s*\w+\s+([^)]*)\)/i.exec(line);
    if (pcm) {
      for (const w of pcm[1]!.split(/\s+/)) {
        if (w && !/^(REQUIRED|QUIET|IMPORTED_TARGET|GLOBAL|NO_CMAKE_PATH|NO_CMAKE_ENVIRONMENT_PATH)$/.test(w)) {
          out.push({ name: `pkg:${w.replace(/[<>=].*$/, '')}`, evidence });
        }
      }
    }
    const fp = /find_package\s*\(\s*([A-Za-z0-9_]+)/i.exec(line);
    if (fp) out.push({ name: `cmake:${fp[1]}`, evidence });
  });
  return out;
}

async function detectC(repo: Repo, out: Detection): Promise<void> {
  const f = out.findings;
  const cmake = await repo.read('CMakeLists.txt');
  const makefile = (await repo.read('Makefile')) ?? (await repo.read('makefile')) ?? (await repo.read('GNUmakefile'));
  if (cmake) {
    f.cBuild = { value: 'cmake', evidence: [{ file: cmake.rel, line: 1 }] };
    const idx = findLine(cmake.lines, /add_executable\s*\(\s*[A-Za-z0-9_.-]+/);
    if (idx >= 0) {
      const bin = /add_executable\s*\(\s*([A-Za-z0-9_.-]+)/.exec(cmake.lines[idx]!)![1]!;
      f.cBinary = { value: bin, evidence: [{ file: cmake.rel, line: idx + 1 }] };
    }
    const proj = findLine(cmake.lines, /project\s*\(\s*[A-Za-z0-9_.-]+/);
    const label = proj >= 0 ? toLabel(/project\s*\(\s*([A-Za-z0-9_.-]+)/.exec(cmake.lines[proj]!)![1]!) : undefined;
    if (label) f.name = { value: label, evidence: [{ file: cmake.rel, line: proj + 1 }] };
    out.dependencies.push(...buildDependencies(cmake));
  } else if (makefile) {
    f.cBuild = { value: 'make', evidence: [{ file: makefile.rel, line: 1 }] };
    let idx = findLine(makefile.lines, TARGET_VAR);
    if (idx >= 0) {
      const bin = /=\s*([A-Za-z0-9._-]+)/.exec(makefile.lines[idx]!)![1]!;
      f.cBinary = { value: bin, evidence: [{ file: makefile.rel, line: idx + 1 }] };
    } else {
      idx = findLine(makefile.lines, /^all\s*:\s*[A-Za-z0-9._-]+/);
      const m = idx >= 0 ? /^all\s*:\s*([A-Za-z0-9._-]+)/.exec(makefile.lines[idx]!) : null;
      if (m && !m[1]!.includes('$')) f.cBinary = { value: m[1]!, evidence: [{ file: makefile.rel, line: idx + 1 }] };
    }
    out.dependencies.push(...buildDependencies(makefile));
    // a Makefile has no project name: the executable's name is the next best
    const label = f.cBinary && toLabel(String(f.cBinary.value));
    if (label) f.name = { value: label, evidence: f.cBinary!.evidence };
  }
  for (const file of repo.sources.filter((s) => s.endsWith('.c') || s.endsWith('.h'))) {
    const t = await repo.read(file);
    t?.lines.forEach((line, i) => {
      const m = /^\s*#\s*include\s*[<"]([^>"]+)[>"]/.exec(line);
      if (m) out.dependencies.push({ name: `header:${m[1]}`, evidence: { file, line: i + 1 } });
    });
  }
}

function cContext(answers: Answers, facts: ServiceFacts): LanguageContext {
  const a = answers as CAnswers;
  const distroless = a.base === 'distroless';
  const alpine = !distroless;
  // Alpine `build-base` / Debian `build-essential`, CMake and pkg-config when needed, then the
  // -dev packages of the services' client libraries.
  const build = alpine ? ['build-base'] : ['build-essential'];
  if (a.cBuild === 'cmake') build.push('cmake', alpine ? 'pkgconf' : 'pkg-config');
  build.push(...(alpine ? facts.packages.alpineBuild : facts.packages.debianBuild));
  const stages = [
    { name: 'toolchain', what: 'compiler and library headers (cached until the package list changes)' },
    {
      name: 'build',
      what: `\`${a.cBuild}\` build, stripped binary${distroless ? ' and its shared-library closure' : ''}`,
    },
    ...(needsProbe(a) ? [{ name: 'healthcheck', what: 'tiny static probe for the compose healthcheck' }] : []),
    { name: 'dev', what: 'the build stage as the runtime user' },
    runtimeStage(a),
  ];
  return {
    bin: a.cBinary,
    stages,
    healthcheck: compiledHealthcheck(a),
    probe: needsProbe(a),
    httpHealth: httpHealth(a),
    composeInit: false,
    watch: [{ action: 'rebuild', path: '.' }],
    entrypoint: [`/usr/local/bin/${a.cBinary}`],
    cmd: [],
    images: {
      builder: distroless ? 'debian:${DEBIAN_RELEASE}-slim' : 'alpine:${ALPINE_VERSION}',
      // distroless README: `cc` adds libgcc and libstdc++ to `base`'s glibc
      runtime: distroless ? 'gcr.io/distroless/cc-debian13:nonroot' : 'alpine:${ALPINE_VERSION}',
    },
    cPackages: { build: build.join(' ') },
    /** Alpine runtime packages: CA bundle, zoneinfo and the services' shared client libraries. */
    runtimePackages: ['ca-certificates', 'tzdata', ...facts.packages.alpineRuntime].join(' '),
  };
}

/** The C language module. */
export const c: LanguageSupport = {
  id: 'c',
  title: 'C',
  defaultPort: 8080,
  sourceExtensions: ['.c', '.h'],
  fields: [
    {
      key: 'cBuild',
      kind: 'enum',
      choices: C_BUILDS,
      allowed: C_BUILDS.join(', '),
      describe: 'C build system',
      fallback: 'make',
    },
    {
      key: 'cBinary',
      kind: 'string',
      pattern: /^[A-Za-z0-9._-]+$/,
      allowed: 'a file name such as server',
      describe: 'C executable name',
      fallback: (name) => name,
    },
  ],
  portPatterns: [
    /#\s*define\s+\w*PORT\w*\s+"?(\d{2,5})"?/,
    /htons\(\s*(\d{2,5})\s*\)/,
    /"PORT"[^\n]*"(\d{2,5})"/,
    /\bport\s*=\s*(\d{2,5})\b/i,
  ],
  envPatterns: [/\bgetenv\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g],
  routePatterns: [
    /\b(?:strcmp|strcasecmp|strncmp)\s*\(\s*[\w>.-]+\s*,\s*"(\/[^"\s]*)"/g,
    /"(?:GET|ANY)"\s*,\s*[^,]*,\s*"(\/[^"\s]*)"/g,
  ],
  async identify(repo) {
    if (!repo.sources.some((s) => s.endsWith('.c'))) return undefined;
    // CMake is named first when both exist: it is the build the project's name comes from
    const cmake = await repo.read('CMakeLists.txt');
    const makefile = (await repo.read('Makefile')) ?? (await repo.read('makefile')) ?? (await repo.read('GNUmakefile'));
    const chosen = cmake ?? makefile;
    return chosen ? { file: chosen.rel, line: 1 } : undefined;
  },
  detect: detectC,
  context: cContext,
};
