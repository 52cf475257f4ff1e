/**
 * C: make, CMake or no build system at all (dockforge compiles the sources with `cc`), the
 * executable, the libraries it links (mapped to distribution packages by the pack data table
 * `templates/data/c-libraries.yaml`); built on Debian 13 (its shared-library closure copied
 * onto distroless `cc`) or Alpine. Templates: `templates/languages/c/`.
 *
 * What a container cannot make work on its own is a warning with its evidence: a loopback
 * bind, required command-line arguments, a database address compiled in, a library the table
 * does not know, a CMake or GCC requirement the toolchain image cannot meet.
 */
import path from 'node:path';
import type { Repo, TextFile } from '../detect/repo.js';
import { allMatches, findLine, toLabel } from '../detect/repo.js';
import { packData } from '../templates/data.js';
import type { Answers, Dependency, Detection, Evidence } from '../vocabulary.js';
import { addWarning, RELATIVE_PATH } from '../vocabulary.js';
import { compiledRuntime, needsProbe, runtimeStage } from './common.js';
import type { LanguageContext, LanguageSupport, ServiceFacts } from './types.js';

/** C build systems; `none`: no Makefile or CMakeLists.txt, dockforge compiles the main's folder with `cc`. */
export const C_BUILDS = ['make', 'cmake', 'none'] as const;
export type CBuild = (typeof C_BUILDS)[number];

/** The C answers, as this module reads them. */
interface CAnswers extends Answers {
  cBuild: CBuild;
  cBinary: string;
  cMakeGoal: string;
  cMakeMkdir: boolean;
  cSources: string;
  cLibraries: string;
}

// ---------------------------------------------------------------------------------------------
// The library table (pack data)

/** One row of `libraries` in templates/data/c-libraries.yaml. */
export interface CLibrary {
  link?: string[];
  pkgconfig?: string[];
  cmake?: string[];
  headers?: string[];
  include?: string[];
  /** -l flags for `cBuild: none` when not just the first `link` name. */
  ccLink?: string[];
  debian?: string[];
  alpine?: string[];
  alpineRuntime?: string[];
  libc?: boolean;
}

/** templates/data/c-libraries.yaml. */
export interface CLibraryTable {
  libraries: Record<string, CLibrary>;
  tools: Record<string, { debian: string[]; alpine: string[] }>;
  systemHeaders: string[];
  /** -l names of other systems' libraries (Solaris, Windows): never a Linux package. */
  otherSystems: string[];
  toolchains: { name: string; cmake: string; gcc: number }[];
  gccFlags: { flag: string; gcc: number }[];
}

/** The C library table (pack data, with its sources). */
export function cTable(): CLibraryTable {
  return packData<CLibraryTable>('c-libraries');
}

/** `dir/*` matches any header under dir/; anything else matches exactly. */
function headerMatches(pattern: string, header: string): boolean {
  return pattern.endsWith('/*') ? header.startsWith(pattern.slice(0, -1)) : pattern === header;
}

/**
 * The table entry (library or tool key) a dependency names: `lib:<-l name>`, `pkg:<pkg-config
 * name>`, `cmake:<find_package name>` (case-insensitive), `header:<include>`.
 */
export function libraryFor(dep: string): string | undefined {
  const [kind, name] = [dep.slice(0, dep.indexOf(':')), dep.slice(dep.indexOf(':') + 1)];
  for (const [key, lib] of Object.entries(cTable().libraries)) {
    if (kind === 'lib' && lib.link?.includes(name)) return key;
    // a pkg-config name as the build writes it: the module name, or the library's -l name (`microhttpd`)
    if (kind === 'pkg' && (lib.pkgconfig?.includes(name) || lib.link?.includes(name))) return key;
    if (kind === 'cmake' && lib.cmake?.some((c) => c.toLowerCase() === name.toLowerCase())) return key;
    if (kind === 'header' && lib.headers?.some((h) => headerMatches(h, name))) return key;
  }
  return undefined;
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

/** Evidence without repeats, in order. */
function uniqueEvidence(ev: Evidence[]): Evidence[] {
  return ev.filter((e, i) => ev.findIndex((x) => x.file === e.file && x.line === e.line) === i);
}

// ---------------------------------------------------------------------------------------------
// Makefiles: variables, rules, the default goal (GNU make manual, "How Makefiles Are Parsed",
// "Setting Variables", "Special Variables" for .DEFAULT_GOAL, "Arguments to Specify the Goals")

interface MakeRule {
  targets: string[];
  prereqs: string[];
  /** Recipe lines, variables expanded (automatic variables kept as written). */
  recipe: string[];
  line: number;
}

interface Makefile {
  file: TextFile;
  vars: Map<string, string>;
  rules: MakeRule[];
  phony: Set<string>;
  defaultGoal?: { name: string; line: number };
  /** Logical lines (continuations joined) with their first physical line number. */
  logical: { text: string; line: number }[];
}

/** Variables make defines itself (GNU make manual, "Variables Used by Implicit Rules"). */
const MAKE_DEFAULTS: Record<string, string> = { CC: 'cc', CXX: 'g++', LD: 'ld', AR: 'ar', RM: 'rm -f', MAKE: 'make' };

/** Split function arguments on top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '{') depth++;
    if (ch === ')' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** `%`-pattern substitution on one word (GNU make `patsubst`). */
function patsubst(from: string, to: string, word: string): string {
  if (!from.includes('%')) return word === from ? to : word;
  const [pre, post] = [from.slice(0, from.indexOf('%')), from.slice(from.indexOf('%') + 1)];
  if (!word.startsWith(pre) || !word.endsWith(post) || word.length < pre.length + post.length) return word;
  const stem = word.slice(pre.length, word.length - post.length);
  return to.includes('%') ? to.replace('%', stem) : to;
}

/**
 * Expand make variable references: `$(VAR)`, `${VAR}`, `$X`, substitution references and the
 * text functions whose result can be known without running anything. `$(shell …)` and
 * `$(wildcard …)` expand to nothing, or, with `keepShell`, to the command text (for reading
 * the pkg-config names a build asks for). Automatic variables (`$@`, `$(@D)`) stay as written.
 */
function expand(s: string, vars: Map<string, string>, keepShell = false, depth = 0): string {
  if (depth > 16 || !s.includes('$')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '$') {
      out += ch;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(' || next === '{') {
      const close = next === '(' ? ')' : '}';
      let level = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === next) level++;
        else if (s[j] === close && --level === 0) break;
      }
      out += expandRef(s.slice(i + 2, j), vars, keepShell, depth);
      i = j;
    } else if (next !== undefined && /[@<^?*+%|]/.test(next)) {
      out += `$${next}`;
      i++;
    } else if (next !== undefined) {
      out += expand(vars.get(next) ?? MAKE_DEFAULTS[next] ?? '', vars, keepShell, depth + 1);
      i++;
    }
  }
  return out;
}

function expandRef(inner: string, vars: Map<string, string>, keepShell: boolean, depth: number): string {
  if (/^[@<^?*%][DF]?$/.test(inner)) return `$(${inner})`;
  const x = (t: string) => expand(t, vars, keepShell, depth + 1);
  const fn = /^([a-z-]+)\s+([\s\S]*)$/.exec(inner);
  if (fn) {
    const args = splitArgs(fn[2]!);
    const list = (k: number) => words(x(args[k] ?? ''));
    switch (fn[1]) {
      case 'shell':
        return keepShell ? x(fn[2]!) : '';
      case 'addprefix':
        return list(1)
          .map((w) => x(args[0]!).trim() + w)
          .join(' ');
      case 'addsuffix':
        return list(1)
          .map((w) => w + x(args[0]!).trim())
          .join(' ');
      case 'notdir':
        return list(0)
          .map((w) => path.posix.basename(w))
          .join(' ');
      case 'dir':
        return list(0)
          .map((w) => `${path.posix.dirname(w)}/`)
          .join(' ');
      case 'basename':
        return list(0)
          .map((w) => w.replace(/\.[^./]*$/, ''))
          .join(' ');
      case 'patsubst':
        return list(2)
          .map((w) => patsubst(x(args[0]!).trim(), x(args[1]!).trim(), w))
          .join(' ');
      case 'subst':
        return x(args[2] ?? '')
          .split(x(args[0]!))
          .join(x(args[1] ?? ''));
      case 'strip':
        return list(0).join(' ');
      case 'firstword':
        return list(0)[0] ?? '';
      case 'sort':
        return unique(list(0)).sort().join(' ');
      case 'if':
        return x(args[0]!).trim() ? x(args[1] ?? '') : x(args[2] ?? '');
      default:
        return '';
    }
  }
  const sub = /^([^:]+):([^=]*)=(.*)$/.exec(inner);
  if (sub) {
    const from = sub[2]!.includes('%') ? sub[2]! : `%${sub[2]}`;
    const to = sub[3]!.includes('%') ? sub[3]! : `%${sub[3]}`;
    return words(x(vars.get(x(sub[1]!)) ?? ''))
      .map((w) => patsubst(from, to, w))
      .join(' ');
  }
  const name = x(inner);
  return x(vars.get(name) ?? MAKE_DEFAULTS[name] ?? '');
}

/** Read a Makefile: variables in order (conditionals are read through), rules and their recipes. */
function parseMakefile(file: TextFile): Makefile {
  const logical: { text: string; line: number }[] = [];
  for (let i = 0; i < file.lines.length; i++) {
    const start = i + 1;
    let text = file.lines[i]!;
    while (text.endsWith('\\') && i + 1 < file.lines.length)
      text = `${text.slice(0, -1)} ${file.lines[++i]!.trimStart()}`;
    logical.push({ text, line: start });
  }
  const vars = new Map<string, string>();
  const rules: MakeRule[] = [];
  const phony = new Set<string>();
  let defaultGoal: Makefile['defaultGoal'];
  let current: MakeRule | undefined;
  let inDefine = false;
  for (const { text, line } of logical) {
    if (inDefine) {
      if (/^\s*endef\b/.test(text)) inDefine = false;
      continue;
    }
    if (text.startsWith('\t')) {
      if (current) current.recipe.push(expand(text.trim(), vars));
      continue;
    }
    const stmt = text.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (!stmt) continue;
    if (/^define\s/.test(stmt)) {
      inDefine = true;
      current = undefined;
      continue;
    }
    if (/^(ifn?eq|ifn?def|else|endif|-?include|sinclude|vpath|unexport)\b/.test(stmt)) continue;
    const body = stmt.replace(/^(override|export|private)\s+/, '');
    const asg = /^([A-Za-z0-9_.-]+)\s*(:::=|::=|:=|\?=|\+=|!=|=)\s*(.*)$/.exec(body);
    if (asg) {
      current = undefined;
      const [name, op, value] = [asg[1]!, asg[2]!, asg[3]!];
      if (op === '?=' && vars.has(name)) continue;
      if (op === '+=') vars.set(name, vars.has(name) ? `${vars.get(name)} ${value}` : value);
      else if (op === '!=') vars.set(name, '');
      else if (op.includes(':')) vars.set(name, expand(value, vars).replace(/\$/g, '$$$$'));
      else vars.set(name, value);
      if (name === '.DEFAULT_GOAL') {
        const goal = words(expand(vars.get(name)!, vars))[0];
        defaultGoal = goal ? { name: goal, line } : undefined;
      }
      continue;
    }
    const colon = /^([^:=]+?)\s*(::?)(?!=)\s*(.*)$/.exec(body);
    if (!colon) {
      current = undefined;
      continue;
    }
    let rest = colon[3]!;
    let inline: string | undefined;
    const semi = rest.indexOf(';');
    if (semi >= 0) [rest, inline] = [rest.slice(0, semi), rest.slice(semi + 1).trim()];
    // target-specific variable assignment (`target: VAR = value`): not a rule
    if (/^[A-Za-z0-9_.-]+\s*(:::=|::=|:=|\?=|\+=|!=|=)/.test(rest.trim())) {
      current = undefined;
      continue;
    }
    // static pattern rule `targets: target-pattern: prereq-patterns`: the prerequisites are the last part
    if (rest.includes(':')) rest = rest.slice(rest.lastIndexOf(':') + 1);
    const targets = words(expand(colon[1]!, vars));
    const prereqs = words(expand(rest, vars)).filter((p) => p !== '|');
    if (targets.includes('.PHONY')) prereqs.forEach((p) => phony.add(p));
    current = { targets, prereqs, recipe: inline ? [expand(inline, vars)] : [], line };
    rules.push(current);
  }
  return { file, vars, rules, phony, defaultGoal, logical };
}

/** Special targets (`.PHONY`, `.c.o`) and pattern rules are never the default goal (GNU make manual). */
const special = (t: string): boolean => (t.startsWith('.') && !t.includes('/')) || t.includes('%');

/** The goal `make` builds with no arguments: `.DEFAULT_GOAL`, else the first ordinary target. */
function defaultGoalOf(mk: Makefile): { name: string; line: number } | undefined {
  if (mk.defaultGoal) return mk.defaultGoal;
  for (const r of mk.rules) {
    const t = r.targets.find((x) => !special(x));
    if (t) return { name: t, line: r.line };
  }
  return undefined;
}

const ruleFor = (mk: Makefile, target: string): MakeRule | undefined =>
  mk.rules.find((r) => r.targets.includes(target) && !special(target));

/** Commands that only print: a recipe made of them is a help or usage target. */
const PRINTERS = /^(echo|printf|grep|egrep|awk|sed|cat|column|sort|head|tail|true|:|less|more)$/;

function printsOnly(recipe: string[]): boolean {
  if (recipe.length === 0) return false;
  return recipe.every((line) =>
    line
      .split(/&&|\|\|?|;/)
      .map((c) => c.trim().replace(/^[@+-]+/, ''))
      .filter(Boolean)
      .every((c) => PRINTERS.test(c.split(/\s+/)[0]!) || /^\$\((info|warning)\b/.test(c)),
  );
}

const HELP_GOAL = /^(help|usage|info|list|targets|menu)$/i;
const RUN_GOAL = new RegExp(
  '^(run|start|serve|tests?|check|clean|distclean|mrproper|install|uninstall|fmt|format|lint|docs?|debug|dev|watch|' +
    'bench|docker[-\\w]*)$',
  'i',
);

/** A target that is no build: prints help, or runs, tests, cleans or installs. */
function notABuild(mk: Makefile, target: string): boolean {
  if (HELP_GOAL.test(target) || RUN_GOAL.test(target)) return true;
  const r = ruleFor(mk, target);
  return Boolean(r && r.prereqs.length === 0 && printsOnly(r.recipe));
}

/** A compiler or linker call that writes an executable (`-o`, no `-c`, not a shared library). */
function linksExecutable(cmd: string): boolean {
  const c = ` ${cmd.replace(/^[@+-]+/, '')} `;
  return (
    /[\s;&|(](?:\S*\/)?(?:cc|gcc|clang|tcc|c\+\+|g\+\+|clang\+\+|ld|\S+-gcc)(?:-\d+)?\s/.test(c) &&
    /\s-o\s*\S/.test(c) &&
    !/\s-c\s/.test(c) &&
    !/\s-shared\s/.test(c)
  );
}

/** File extensions that are never the executable. */
const NOT_EXE = /\.(o|a|so|d|c|h|obj|lo|la|dylib)$/;

/**
 * The executable a goal produces: the first target reached from it (itself, then its
 * prerequisites, depth first) whose recipe links one, or that make's built-in `%: %.c` rule
 * builds from a source file of the repository.
 */
function binaryOf(mk: Makefile, goal: string, sources: Set<string>): { name: string; line: number } | undefined {
  const seen = new Set<string>();
  const visit = (t: string, via: number): { name: string; line: number } | undefined => {
    if (seen.has(t) || seen.size > 200) return undefined;
    seen.add(t);
    const rule = ruleFor(mk, t);
    const file = !mk.phony.has(t) && !NOT_EXE.test(t) && !t.includes('$');
    if (rule && file && rule.recipe.some(linksExecutable)) return { name: t, line: rule.line };
    if (!rule && file && sources.has(`${t}.c`)) return { name: t, line: via };
    if (rule && file && rule.recipe.length === 0 && rule.prereqs.some((p) => p === `${t}.o` || p === `${t}.c`))
      return { name: t, line: rule.line };
    for (const p of rule?.prereqs ?? []) {
      const hit = visit(p, rule!.line);
      if (hit) return hit;
    }
    return undefined;
  };
  return visit(goal, defaultGoalOf(mk)?.line ?? 1);
}

/** Targets that conventionally build everything, in the order they are tried. */
const BUILD_GOALS = ['all', 'build', 'release', 'compile', 'default', 'bin', 'binary', 'app', 'server', 'main'];

/** Makefile variables that conventionally name the executable (a last resort). */
const TARGET_VAR = /^\s*(TARGET|BIN|BINARY|PROG|PROGRAM|EXE|EXEC|APP|NAME)\s*[:?]?=\s*\S+\s*$/;

/** Normalise a binary path read from a build file: relative, no `..`, no leading `./`. */
function binaryPath(raw: string): string | undefined {
  const p = path.posix.normalize(raw.replace(/^\.\//, ''));
  return RELATIVE_PATH.test(p) && p !== '.' && !p.endsWith('/') ? p : undefined;
}

/** Does the Makefile create the executable's folder itself (a mkdir in a recipe, or a rule for it)? */
function makefileCreates(mk: Makefile, dir: string): boolean {
  if (mk.rules.some((r) => r.targets.some((t) => t.replace(/\/$/, '') === dir))) return true;
  return mk.rules.some((r) =>
    r.recipe.some((c) => /\bmkdir\b/.test(c) && (c.includes(dir) || /\$\(@D\)|\$\(dir \$@\)|dirname/.test(c))),
  );
}

async function detectMake(repo: Repo, file: TextFile, out: Detection): Promise<void> {
  const f = out.findings;
  const mk = parseMakefile(file);
  const sources = new Set(repo.sources);
  const ev = (line: number): Evidence[] => [{ file: file.rel, line }];
  const def = defaultGoalOf(mk);
  let bin: { name: string; line: number } | undefined;
  if (def && !notABuild(mk, def.name)) bin = binaryOf(mk, def.name, sources);
  if (def && notABuild(mk, def.name)) {
    // the default goal only prints help (or runs, tests, …): build a target that makes the executable
    const ordered = [
      ...BUILD_GOALS.filter((g) => ruleFor(mk, g)),
      ...mk.rules.flatMap((r) => r.targets).filter((t) => !special(t) && !BUILD_GOALS.includes(t)),
    ];
    for (const goal of unique(ordered)) {
      if (notABuild(mk, goal)) continue;
      bin = binaryOf(mk, goal, sources);
      if (bin) {
        f.cMakeGoal = { value: goal, evidence: ev(ruleFor(mk, goal)!.line) };
        out.notes.push(
          `the Makefile's default goal "${def.name}" does not build the executable: the build runs \`make ${goal}\``,
        );
        break;
      }
    }
    if (!bin) {
      addWarning(out, {
        code: 'c-make-goal',
        message:
          `The Makefile's default goal "${def.name}" does not build an executable and no other target was found ` +
          'to: set the make target with `dockforge generate --set cMakeGoal=<target>` and the executable with ' +
          '`--set cBinary=<path>`.',
        evidence: ev(def.line),
      });
    }
  }
  if (!bin) {
    const idx = findLine(file.lines, TARGET_VAR);
    if (idx >= 0) {
      const name = /^\s*([A-Z]+)/.exec(file.lines[idx]!)![1]!;
      const value = words(expand(mk.vars.get(name) ?? '', mk.vars))[0];
      if (value) bin = { name: value, line: idx + 1 };
    }
  }
  const binary = bin && binaryPath(bin.name);
  if (bin && binary) {
    f.cBinary = { value: binary, evidence: ev(bin.line) };
    const dir = path.posix.dirname(binary);
    if (dir !== '.' && !makefileCreates(mk, dir) && !(await repo.exists(dir))) {
      f.cMakeMkdir = { value: true, evidence: ev(bin.line) };
      out.notes.push(
        `the Makefile writes ${binary} but never creates ${dir}/: the build runs \`mkdir -p ${dir}\` first`,
      );
    }
  } else if (bin) {
    out.notes.push(
      `the Makefile's executable ${bin.name} is not a path inside the project: set it with --set cBinary=<path>`,
    );
  }
  // dependencies: each line as written, plus the pkg-config names a `$(shell pkg-config … $(PKGS))` expands to
  mk.logical.forEach(({ text, line }) => {
    out.dependencies.push(...lineDependencies(text, { file: file.rel, line }));
    if (/pkg-config/.test(text) && text.includes('$')) {
      const expanded = expand(text, mk.vars, true);
      for (const d of lineDependencies(expanded, { file: file.rel, line })) {
        if (d.name.startsWith('pkg:')) out.dependencies.push(d);
      }
    }
    if (/(^|[\s(;&|@])pkg-config\s/.test(text))
      out.dependencies.push({ name: 'tool:pkg-config', evidence: { file: file.rel, line } });
  });
  // libraries the build makes itself (lib<name>.a / lib<name>.so targets) are no package
  for (const r of mk.rules) {
    for (const t of r.targets) {
      const own = /(?:^|\/)lib([A-Za-z0-9_+-]+)\.(?:a|so)$/.exec(t);
      if (own) out.dependencies.push({ name: `own:${own[1]}`, evidence: { file: file.rel, line: r.line } });
    }
  }
  // a Makefile has no project name: the executable's name is the next best
  const label = f.cBinary && toLabel(path.posix.basename(String(f.cBinary.value)));
  if (label) f.name = { value: label, evidence: f.cBinary!.evidence };
}

// ---------------------------------------------------------------------------------------------
// Dependencies named by build files

/**
 * Dependencies named on one line of a build file: `-l<name>` (`lib:`), pkg-config and
 * pkg_check_modules names (`pkg:`), CMake find_package (`cmake:`).
 */
function lineDependencies(line: string, evidence: Evidence): Dependency[] {
  const out: Dependency[] = [];
  // -l flags, but not inside backquotes: a shell test decides them at build time (`uname` = SunOS …)
  for (const m of allMatches(/(?:^|[\s"'=(])-l([A-Za-z0-9_+.-]+)/g, line.replace(/`[^`]*`/g, ' '))) {
    out.push({ name: `lib:${m[1]}`, evidence });
  }
  // pkg-config names follow its options (`pkg-config --cflags --libs foo bar`), not prose
  for (const m of allMatches(/pkg-config\s+((?:--?[\w-]+(?:=\S+)?\s+)+)((?:[A-Za-z][A-Za-z0-9_.+-]*\s*)+)/g, line)) {
    for (const w of m[2]!.split(/\s+/)) if (w) out.push({ name: `pkg:${w}`, evidence });
  }
  const pcm = /pkg_(?:check|search)_modules\s*\(\s*\w+\s+([^)]*)\)/i.exec(line);
  if (pcm) {
    for (const w of pcm[1]!.split(/\s+/)) {
      if (w && !/^(REQUIRED|QUIET|IMPORTED_TARGET|GLOBAL|NO_CMAKE_PATH|NO_CMAKE_ENVIRONMENT_PATH)$/.test(w)) {
        out.push({ name: `pkg:${w.replace(/[<>=].*$/, '')}`, evidence });
      }
    }
  }
  const fp = /find_package\s*\(\s*([A-Za-z0-9_]+)/i.exec(line);
  if (fp) out.push({ name: `cmake:${fp[1]}`, evidence });
  return out;
}

/** CMake's own find modules and tools that are no library to install. */
const CMAKE_NOT_LIBRARIES = /^(PkgConfig|Threads|Git|Doxygen|Python3?|Perl|GTest|Check|CMocka|Catch2)$/i;

async function detectCMake(cmake: TextFile, out: Detection): Promise<void> {
  const f = out.findings;
  const idx = findLine(cmake.lines, /add_executable\s*\(\s*[A-Za-z0-9_.-]+/);
  if (idx >= 0) {
    const bin = /add_executable\s*\(\s*([A-Za-z0-9_.-]+)/.exec(cmake.lines[idx]!)![1]!;
    f.cBinary = { value: bin, evidence: [{ file: cmake.rel, line: idx + 1 }] };
  }
  const proj = findLine(cmake.lines, /project\s*\(\s*[A-Za-z0-9_.-]+/);
  const label = proj >= 0 ? toLabel(/project\s*\(\s*([A-Za-z0-9_.-]+)/.exec(cmake.lines[proj]!)![1]!) : undefined;
  if (label) f.name = { value: label, evidence: [{ file: cmake.rel, line: proj + 1 }] };
  cmake.lines.forEach((line, i) => {
    const evidence = { file: cmake.rel, line: i + 1 };
    out.dependencies.push(...lineDependencies(line, evidence));
    const own = /add_library\s*\(\s*([A-Za-z0-9_+.-]+)/i.exec(line);
    if (own) out.dependencies.push({ name: `own:${own[1]}`, evidence });
    // target_link_libraries(app PRIVATE sqlite3 m): bare names are -l names
    const tll = /target_link_libraries\s*\(\s*\S+\s+([^)]*)\)?/i.exec(line);
    if (tll) {
      for (const w of words(tll[1]!)) {
        if (/^[a-z][a-z0-9_+.-]*$/i.test(w) && !/^(PRIVATE|PUBLIC|INTERFACE|debug|optimized|general)$/.test(w)) {
          out.dependencies.push({ name: `lib:${w}`, evidence });
        }
      }
    }
  });
  checkCMakeVersion(cmake, out);
}

// ---------------------------------------------------------------------------------------------
// Toolchain requirements: a minimum CMake, compiler flags that need a newer GCC

const versionParts = (v: string): number[] => v.split('.').map((n) => Number(n) || 0);
function versionLess(a: string, b: string): boolean {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  }
  return false;
}

function checkCMakeVersion(cmake: TextFile, out: Detection): void {
  const idx = findLine(cmake.lines, /cmake_minimum_required\s*\(\s*VERSION\s+\d/i);
  if (idx < 0) return;
  const min = /VERSION\s+(\d+(?:\.\d+){0,3})/i.exec(cmake.lines[idx]!)![1]!;
  const short = cTable().toolchains.filter((t) => versionLess(t.cmake, min));
  if (short.length === 0) return;
  addWarning(out, {
    code: 'c-cmake-too-old',
    message:
      `${cmake.rel} requires CMake ${min}, newer than the toolchain image has ` +
      `(${short.map((t) => `${t.name}: ${t.cmake}`).join('; ')}): lower cmake_minimum_required if the project ` +
      `allows it, or install a newer CMake in the Dockerfile's toolchain stage.`,
    evidence: [{ file: cmake.rel, line: idx + 1 }],
  });
}

/** Compiler flags in a build file that need a GCC newer than a toolchain image's. */
function checkGccFlags(file: TextFile, out: Detection): void {
  const { toolchains, gccFlags } = cTable();
  file.lines.forEach((line, i) => {
    for (const token of line.split(/[\s"'()]+/)) {
      const flag = gccFlags.find((g) => token === g.flag || token.startsWith(`${g.flag}=`));
      if (!flag) continue;
      const short = toolchains.filter((t) => t.gcc < flag.gcc);
      if (short.length === 0) continue;
      addWarning(out, {
        code: 'c-gcc-too-old',
        message:
          `${file.rel} compiles with ${flag.flag}, which needs GCC ${flag.gcc} or newer ` +
          `(${short.map((t) => `${t.name}: GCC ${t.gcc}`).join('; ')}): drop the flag for the container build, ` +
          `or install a newer compiler in the Dockerfile's toolchain stage.`,
        evidence: [{ file: file.rel, line: i + 1 }],
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Sources: includes, main(), what the program needs at run time

/** Folders of tests, examples and vendored code: never where the program's own behaviour is read. */
const NOT_PROGRAM =
  /(^|\/)(tests?|examples?|samples?|bench(marks?)?|third_party|thirdparty|vendor|deps|external|contrib)\//i;

const MAIN = /^\s*(?:int|void)?\s*main\s*\(/;

interface SourceFile extends TextFile {
  hasMain: boolean;
}

async function readSources(repo: Repo): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const rel of repo.sources.filter((s) => s.endsWith('.c') || s.endsWith('.h'))) {
    const t = await repo.read(rel);
    if (t) out.push({ ...t, hasMain: rel.endsWith('.c') && t.lines.some((l) => MAIN.test(l)) });
  }
  return out;
}

/** The file with the program's main(): outside tests and examples, the shallowest first. */
function mainFile(sources: SourceFile[]): SourceFile | undefined {
  const mains = sources.filter((s) => s.hasMain && !NOT_PROGRAM.test(s.rel));
  return mains.sort((a, b) => a.rel.split('/').length - b.rel.split('/').length)[0];
}

/**
 * Every `#include` as a `header:` dependency (the services' drivers match them, `"sqlite3.h"`
 * included). Only `<header>` includes of headers the repository does not carry name a package:
 * the others are returned, for {@link resolveLibraries} to leave out (vendored code needs none).
 */
function includeDependencies(sources: SourceFile[], out: Detection, only?: (rel: string) => boolean): Set<Dependency> {
  const local = new Set<Dependency>();
  for (const s of sources) {
    if (only && !only(s.rel)) continue;
    s.lines.forEach((line, i) => {
      const m = /^\s*#\s*include\s*([<"])([^>"]+)[>"]/.exec(line);
      if (!m) return;
      const header = m[2]!;
      const dep = { name: `header:${header}`, evidence: { file: s.rel, line: i + 1 } };
      out.dependencies.push(dep);
      if (m[1] === '"' || sources.some((x) => x.rel === header || x.rel.endsWith(`/${header}`))) local.add(dep);
    });
  }
  return local;
}

/** Loopback literals passed where a server chooses its address. */
const LOOPBACK = [
  /\binet_(?:addr|aton|pton)\s*\([^)]*"(?:127\.\d+\.\d+\.\d+|::1)"/,
  /\b(?:INADDR_LOOPBACK|in6addr_loopback|IN6ADDR_LOOPBACK_INIT)\b/,
  /\b(?:getaddrinfo|\w*bind\w*|\w*listen\w*)\s*\([^;]*?"(?:localhost|127\.0\.0\.1|::1)"/,
];
/** A file that accepts connections (a server), where a loopback address is the one it listens on. */
const SERVES = /\b(?:bind|listen|MHD_start_daemon|ulfius_init_instance\w*|evhttp_bind_socket\w*|uv_tcp_bind)\s*\(/;

function checkLoopback(sources: SourceFile[], out: Detection): void {
  const evidence: Evidence[] = [];
  for (const s of sources.filter((x) => x.rel.endsWith('.c') && !NOT_PROGRAM.test(x.rel))) {
    if (!s.lines.some((l) => SERVES.test(l))) continue;
    s.lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
      if (LOOPBACK.some((re) => re.test(line))) evidence.push({ file: s.rel, line: i + 1 });
    });
  }
  if (evidence.length === 0) return;
  addWarning(out, {
    code: 'loopback-bind',
    message:
      'The server listens on the loopback address, which nothing outside its container can reach: ' +
      'bind to all interfaces (INADDR_ANY / 0.0.0.0, or NULL for getaddrinfo with AI_PASSIVE) ' +
      'or make the address configurable.',
    evidence,
  });
}

/**
 * Database settings compiled in: a connection macro (`#define DB_HOST "localhost"`,
 * `#define CONNINFO "…"`), and conninfo strings assembled from macros (`"user=" DB_USER`).
 * (A plain `"host=localhost …"` literal is the database service's check: its address, not
 * the rebuild, is what breaks there.)
 */
const COMPILED_DB_MACRO = new RegExp(
  '^\\s*#\\s*define\\s+(?:\\w*(?:DB|DATABASE|PG|POSTGRES|SQL|MYSQL|REDIS|MONGO)\\w*' +
    '(?:HOST|ADDR|SERVER|URL|URI|DSN|CONNINFO)\\w*|\\w*(?:CONNINFO|CONN_STR\\w*|CONNECTION_STRING|DSN))\\s+"[^"]*"',
  'i',
);
const COMPILED_DB_USE = /"[^"]*\b(?:host|hostaddr|user|dbname|password|port)\s*=\s*"\s+[A-Z][A-Z0-9_]*/;

function checkCompiledConfig(sources: SourceFile[], out: Detection): void {
  const evidence: Evidence[] = [];
  let sample = '';
  for (const s of sources.filter((x) => !NOT_PROGRAM.test(x.rel))) {
    s.lines.forEach((line, i) => {
      if (/getenv\s*\(/.test(line) || /^\s*(\/\/|\*|\/\*)/.test(line)) return;
      const macro = COMPILED_DB_MACRO.exec(line);
      if (!macro && !COMPILED_DB_USE.test(line)) return;
      evidence.push({ file: s.rel, line: i + 1 });
      if (macro && !sample) sample = macro[0].trim().replace(/\s+/g, ' ');
    });
  }
  if (!sample) return;
  const local = /localhost|127\.0\.0\.1/.test(sample) ? ', and localhost is the container itself' : '';
  addWarning(out, {
    code: 'c-compiled-db-config',
    message:
      `The database connection settings are compiled into the program (\`${sample}\`): the image must be rebuilt ` +
      `to change them${local}; read them from the environment at run time instead ` +
      "(compose and Kubernetes set the database's variables).",
    evidence,
  });
}

/**
 * Command-line arguments the program needs: `if (argc < N) { usage…; exit… }`, `argv[N]` read
 * with no argc check at all, or an option reported missing after getopt.
 */
function checkArgv(sources: SourceFile[], out: Detection, port: number): void {
  const evidence: Evidence[] = [];
  const needs: string[] = [];
  let usage: string | undefined;
  let portFlag: string | undefined;
  const files = sources.filter((s) => s.rel.endsWith('.c') && !NOT_PROGRAM.test(s.rel));
  for (const s of files) {
    // argc looked at anywhere but the signature of main(): argv is read with care
    const readsArgc = s.lines.some((l) => /\bargc\b/.test(l) && !/\bint\s+argc\b/.test(l));
    const readsArgs = s.lines.some((l) => /\b(?:argv|getopt\w*|optarg)\b/.test(l));
    s.lines.forEach((line, i) => {
      const ev = { file: s.rel, line: i + 1 };
      const check = /\bif\s*\(\s*!?\(?\s*argc\s*(<|<=|!=|==)\s*(\d+)/.exec(line);
      if (check) {
        const after = s.lines.slice(i, i + 5).join('\n');
        if (/\b(?:exit|_exit|abort)\s*\(|\breturn\b|\w*usage\w*\s*\(|\bhelp\s*\(/i.test(after)) {
          const n = Number(check[2]);
          const args = check[1] === '<' || check[1] === '!=' ? n - 1 : n;
          if (args >= 1) {
            evidence.push(ev);
            needs.push(`${args} positional argument${args > 1 ? 's' : ''}`);
          }
        }
      }
      // after getopt: `if (optind >= argc)` / `if (argc - optind < N)` with an exit is a required operand
      const operands = /\bif\s*\(\s*(?:optind\s*>=?\s*argc|argc\s*<=?\s*optind|argc\s*-\s*optind\s*<\s*(\d+))/.exec(
        line,
      );
      if (
        operands &&
        /\b(?:exit|_exit|abort)\s*\(|\breturn\b|\w*usage\w*\s*\(/i.test(s.lines.slice(i, i + 5).join('\n'))
      ) {
        const n = operands[1] ? Number(operands[1]) : 1;
        evidence.push(ev);
        needs.push(`${n} operand${n > 1 ? 's' : ''} after the options`);
      }
      const argv = /\bargv\s*\[\s*([1-9])\s*\]/.exec(line);
      if (argv && !readsArgc && !line.includes('?')) {
        evidence.push(ev);
        needs.push(`argv[${argv[1]}]`);
      }
      const lit = /"([^"]*)"/.exec(line);
      if (!usage && lit && /\busage\s*:\s*\S/i.test(lit[1]!)) {
        usage = lit[1]!
          .replace(/\\[nt]/g, ' ')
          .replace(/%s/g, '<program>')
          .replace(/^.*?\busage\s*:\s*/i, '')
          .trim();
      }
      // an option reported missing: `if (!config) { fprintf(stderr, "--config is required"); … }`
      if (
        readsArgs &&
        lit &&
        /\b(?:f?printf|f?puts|perror|errx?|warnx?)\s*\(/.test(line) &&
        /\b(required|not specified|must (?:be )?(?:specified|given|provided|set)|missing)\b/i.test(lit[1]!)
      ) {
        const guard = s.lines.slice(Math.max(0, i - 3), i + 1).join('\n');
        const fails =
          /\b(?:exit|_exit)\s*\(\s*(?:[1-9]|EXIT_FAILURE)|\breturn\s+(?:-?[1-9]|EXIT_FAILURE)|\w*usage\w*\s*\(/;
        if (
          /\bif\s*\(\s*(?:!\s*\w|\w+(?:->\w+|\.\w+)*\s*==\s*(?:NULL|0|-1)\b)/.test(guard) &&
          fails.test(s.lines.slice(i, i + 4).join('\n'))
        ) {
          evidence.push(ev);
          const opts = lit[1]!.match(/--?[A-Za-z][\w-]*/g);
          needs.push(opts ? `option ${opts.join(', ')}` : `a required option ("${lit[1]!.trim()}")`);
        }
      }
      if (!portFlag) {
        const long = /\{\s*"(port)"\s*,/.exec(line) ?? /"(--port)\b/.exec(line);
        if (long) portFlag = '--port';
        else if (/case\s+'p'\s*:/.test(line) && /\bport\b/i.test(s.lines.slice(i, i + 4).join('\n'))) portFlag = '-p';
      }
    });
  }
  if (evidence.length === 0) return;
  const what = usage ? `usage: \`${usage}\`` : unique(needs).join(', ');
  const hint = portFlag ? `, with \`${portFlag} ${port}\` so the port matches the one the checks probe` : '';
  addWarning(out, {
    code: 'required-argv',
    message:
      `The program needs command-line arguments dockforge cannot know (${what}): add them to compose \`command:\` ` +
      `and the Deployment's \`args:\`, which the image's ENTRYPOINT (the executable) receives${hint}.`,
    evidence,
  });
}

/** The port the program's sources name first by rank (the same patterns port detection uses). */
function sourcePort(sources: SourceFile[]): number | undefined {
  let best: { rank: number; port: number } | undefined;
  for (const s of sources.filter((x) => !NOT_PROGRAM.test(x.rel))) {
    for (const line of s.lines) {
      C_PORT_PATTERNS.forEach((re, rank) => {
        const m = re.exec(line);
        const port = m ? Number(m[1]) : 0;
        if (port >= 1 && port <= 65535 && (!best || rank < best.rank)) best = { rank, port };
      });
    }
  }
  return best?.port;
}

// ---------------------------------------------------------------------------------------------
// Libraries: from dependencies to table keys, with warnings for what the table cannot cover

function resolveLibraries(out: Detection, build: CBuild, local: Set<Dependency>): void {
  const table = cTable();
  const own = new Set(out.dependencies.filter((d) => d.name.startsWith('own:')).map((d) => d.name.slice(4)));
  const keys: string[] = [];
  const unknown = new Map<string, Evidence[]>();
  const evidenceOf = new Map<string, Evidence[]>();
  for (const d of out.dependencies) {
    if (local.has(d)) continue;
    if (d.name === 'tool:pkg-config') {
      if (build === 'make') keys.push('pkg-config');
      continue;
    }
    const kind = d.name.slice(0, d.name.indexOf(':'));
    const name = d.name.slice(kind.length + 1);
    if (!['lib', 'pkg', 'cmake', 'header'].includes(kind)) continue;
    const key = libraryFor(d.name);
    if (key) {
      keys.push(key);
      evidenceOf.set(key, [...(evidenceOf.get(key) ?? []), d.evidence]);
      continue;
    }
    if (kind === 'header') {
      const system = table.systemHeaders.some((h) => headerMatches(h, name));
      // a build without a build system compiles with what dockforge installs: an unknown header fails it
      if (!system && build === 'none') unknown.set(`<${name}>`, [...(unknown.get(`<${name}>`) ?? []), d.evidence]);
      continue;
    }
    if (own.has(name) || (kind === 'cmake' && CMAKE_NOT_LIBRARIES.test(name))) continue;
    if (kind === 'lib' && table.otherSystems.includes(name)) continue;
    const label = kind === 'lib' ? `-l${name}` : kind === 'pkg' ? `pkg-config ${name}` : `find_package(${name})`;
    unknown.set(label, [...(unknown.get(label) ?? []), d.evidence]);
  }
  const libs = unique(keys).filter((k) => build === 'none' || k === 'pkg-config' || !table.libraries[k]?.libc);
  if (libs.length > 0) {
    out.findings.cLibraries = {
      value: libs.join(' '),
      evidence: uniqueEvidence(libs.flatMap((k) => evidenceOf.get(k) ?? [])),
    };
  }
  for (const [label, evidence] of unknown) {
    addWarning(out, {
      code: 'c-unknown-library',
      message:
        `The build uses ${label}, which dockforge's C library table does not know: add its -dev package to the ` +
        `Dockerfile's toolchain stage (and its runtime package to the Alpine runtime stage).`,
      evidence,
    });
  }
  const noAlpine = libs.filter((k) => table.libraries[k] && !table.libraries[k]!.libc && !table.libraries[k]!.alpine);
  if (noAlpine.length > 0) {
    const evidence = uniqueEvidence(noAlpine.flatMap((k) => evidenceOf.get(k) ?? [])).slice(0, 6);
    out.findings.base = { value: 'distroless', evidence };
    addWarning(out, {
      code: 'c-no-alpine-package',
      message:
        `${noAlpine.join(', ')} ${noAlpine.length > 1 ? 'have' : 'has'} no Alpine package (pkgs.alpinelinux.org): ` +
        `keep the distroless base (built on Debian 13, which packages ${noAlpine.length > 1 ? 'them' : 'it'}), ` +
        `or build ${noAlpine.length > 1 ? 'them' : 'it'} from source in the toolchain stage for --base alpine.`,
      evidence,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Detection

const readMakefile = async (repo: Repo) =>
  (await repo.read('Makefile')) ?? (await repo.read('makefile')) ?? (await repo.read('GNUmakefile'));

async function detectC(repo: Repo, out: Detection): Promise<void> {
  const f = out.findings;
  const cmake = await repo.read('CMakeLists.txt');
  const makefile = await readMakefile(repo);
  const sources = await readSources(repo);
  let build: CBuild;
  let local: Set<Dependency>;
  if (cmake) {
    build = 'cmake';
    f.cBuild = { value: 'cmake', evidence: [{ file: cmake.rel, line: 1 }] };
    await detectCMake(cmake, out);
    checkGccFlags(cmake, out);
    local = includeDependencies(sources, out);
  } else if (makefile) {
    build = 'make';
    f.cBuild = { value: 'make', evidence: [{ file: makefile.rel, line: 1 }] };
    await detectMake(repo, makefile, out);
    checkGccFlags(makefile, out);
    local = includeDependencies(sources, out);
  } else {
    const main = mainFile(sources);
    if (!main) return;
    build = 'none';
    const line = main.lines.findIndex((l) => MAIN.test(l)) + 1;
    const dir = path.posix.dirname(main.rel);
    f.cBuild = { value: 'none', evidence: [{ file: main.rel, line }] };
    f.cSources = { value: dir, evidence: [{ file: main.rel, line }] };
    // the folder's .c files and the headers they can reach (its own and its sub-folders')
    const inFolder = (rel: string) => dir === '.' || rel.startsWith(`${dir}/`);
    local = includeDependencies(sources, out, (rel) => inFolder(rel) && !NOT_PROGRAM.test(rel));
    const others = sources.filter((s) => s.hasMain && s !== main && path.posix.dirname(s.rel) === dir);
    addWarning(out, {
      code: 'c-build-inferred',
      message:
        `There is no Makefile or CMakeLists.txt: dockforge compiles ${dir === '.' ? '' : `${dir}/`}*.c with cc, ` +
        "with the libraries and include folders its #includes name (see the Dockerfile's build stage): " +
        'check the command, or add a build file.' +
        (others.length > 0
          ? ` ${others.map((o) => o.rel).join(', ')} also define main(): move them out of that folder.`
          : ''),
      evidence: [
        { file: main.rel, line },
        ...others.map((o) => ({ file: o.rel, line: o.lines.findIndex((l) => MAIN.test(l)) + 1 })),
      ],
    });
  }
  resolveLibraries(out, build, local);
  checkLoopback(sources, out);
  checkCompiledConfig(sources, out);
  checkArgv(sources, out, sourcePort(sources) ?? c.defaultPort);
}

// ---------------------------------------------------------------------------------------------
// Rendering facts

function cContext(answers: Answers, facts: ServiceFacts): LanguageContext {
  const a = answers as CAnswers;
  const table = cTable();
  const distroless = a.base === 'distroless';
  const alpine = !distroless;
  const keys = words(a.cLibraries);
  const libs = keys.map((k) => table.libraries[k]).filter((l): l is CLibrary => Boolean(l));
  // Alpine `build-base` / Debian `build-essential`, CMake and pkg-config when needed, then the
  // -dev packages of the services' client libraries and of the libraries the build names
  const build = alpine ? ['build-base'] : ['build-essential'];
  if (a.cBuild === 'cmake') build.push('cmake', alpine ? 'pkgconf' : 'pkg-config');
  build.push(...(alpine ? facts.packages.alpineBuild : facts.packages.debianBuild));
  for (const k of keys) {
    const tool = table.tools[k];
    if (tool) build.push(...(alpine ? tool.alpine : tool.debian));
  }
  build.push(...libs.flatMap((l) => (alpine ? (l.alpine ?? []) : (l.debian ?? []))));
  const runtime = [
    'ca-certificates',
    'tzdata',
    ...facts.packages.alpineRuntime,
    ...libs.flatMap((l) => l.alpineRuntime ?? []),
  ];
  const notForAlpine = keys.filter(
    (k) => table.libraries[k] && !table.libraries[k]!.libc && !table.libraries[k]!.alpine,
  );
  const bin = path.posix.basename(a.cBinary);
  // the build's commands before the executable is installed (make and cc; CMake has its own block)
  const steps: string[] = [];
  const includeDirs = unique(libs.flatMap((l) => l.include ?? []));
  if (a.cBuild === 'make') {
    if (a.cMakeMkdir && path.posix.dirname(a.cBinary) !== '.') steps.push(`mkdir -p ${path.posix.dirname(a.cBinary)}`);
    steps.push(`make -j"$(nproc)"${a.cMakeGoal ? ` ${a.cMakeGoal}` : ''}`);
  } else if (a.cBuild === 'none') {
    const includes = includeDirs.map((d) => `-I${d}`);
    const links = unique(libs.flatMap((l) => l.ccLink ?? l.link?.slice(0, 1) ?? [])).map((n) => `-l${n}`);
    const src = a.cSources === '.' ? '*.c' : `${a.cSources}/*.c`;
    steps.push(['cc -O2', ...includes, '-o', a.cBinary, src, ...links].join(' '));
  }
  const stages = [
    { name: 'toolchain', what: 'compiler and library headers (cached until the package list changes)' },
    {
      name: 'build',
      what:
        `\`${a.cBuild === 'none' ? 'cc' : a.cBuild}\` build, stripped binary` +
        (distroless ? ' and its shared-library closure' : ''),
    },
    ...(needsProbe(a) ? [{ name: 'healthcheck', what: 'tiny static probe for the compose healthcheck' }] : []),
    { name: 'dev', what: 'the build stage as the runtime user' },
    runtimeStage(a),
  ];
  return {
    ...compiledRuntime(a, bin),
    stages,
    images: {
      builder: distroless ? 'debian:${DEBIAN_RELEASE}-slim' : 'alpine:${ALPINE_VERSION}',
      // distroless README: `cc` adds libgcc and libstdc++ to `base`'s glibc
      runtime: distroless ? 'gcr.io/distroless/cc-debian13:nonroot' : 'alpine:${ALPINE_VERSION}',
    },
    cPackages: { build: unique(build).join(' ') },
    cSteps: steps,
    /**
     * make: the libraries' header folders that their packages put in a sub-folder (libpq-fe.h in
     * /usr/include/postgresql), for GCC's C_INCLUDE_PATH (GCC manual, "Environment Variables"):
     * a Makefile that relies on a developer machine's CFLAGS finds them too.
     */
    cIncludePath: a.cBuild === 'make' ? includeDirs.join(':') : '',
    /** Libraries of the table that Alpine does not package (a comment in the Alpine toolchain stage). */
    cNotForAlpine: notForAlpine.join(', '),
    /** Alpine runtime packages: CA bundle, zoneinfo and the shared libraries the program links. */
    runtimePackages: unique(runtime).join(' '),
  };
}

// ---------------------------------------------------------------------------------------------
// The module

/**
 * Port literals in C, most specific first: a PORT macro (not a database's), htons(N), a PORT
 * environment default, a port string (`char *port = "8080"`), a `--port`/`-p` option's
 * documented default, then a port-named variable (not inside a conninfo string).
 */
const C_PORT_PATTERNS = [
  /#\s*define\s+(?!\w*(?:DB|DATABASE|PG|POSTGRES|SQL|MYSQL|REDIS|MONGO|SMTP|MAIL)_?\w*PORT)\w*PORT\w*\s+"?(\d{2,5})"?/,
  /htons\(\s*(\d{2,5})\s*\)/,
  /"PORT"[^\n]*"(\d{2,5})"/,
  /\b(?:const\s+)?char\s*\*\s*\w*port\w*\s*=\s*"(\d{2,5})"/i,
  /(?:--port|-p)\b[^"\n]*?default[:=\s]*(\d{2,5})\b/i,
  new RegExp(
    '^(?!.*\\b(?:host|dbname|user|password)\\s*=)(?:.*[^\\w])?(?:[a-z]+_)*(?:bind|listen|server|http|tcp|default)?' +
      '_?port(?:_?(?:num|number|no))?\\s*=\\s*(\\d{2,5})\\b',
    'i',
  ),
];

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
      describe: 'C build system (none: no build file, dockforge compiles cSources/*.c with cc)',
      fallback: 'make',
    },
    {
      key: 'cBinary',
      kind: 'string',
      pattern: RELATIVE_PATH,
      allowed: 'a relative path such as server or bin/server (no ..)',
      describe: 'C executable the build writes (relative to the project)',
      fallback: (name) => name,
    },
    {
      key: 'cMakeGoal',
      kind: 'string',
      pattern: /^([A-Za-z0-9_][A-Za-z0-9._/-]*)?$/,
      allowed: 'a make target such as build, or empty for the default goal',
      describe: 'make target that builds the executable (empty: the default goal)',
      fallback: '',
    },
    {
      key: 'cMakeMkdir',
      kind: 'bool',
      allowed: 'true or false',
      describe: "create the executable's folder before make (the Makefile does not)",
      fallback: false,
    },
    {
      key: 'cSources',
      kind: 'string',
      pattern: RELATIVE_PATH,
      allowed: 'a relative folder such as . or src',
      describe: 'folder whose .c files are compiled when cBuild is none',
      fallback: '.',
    },
    {
      key: 'cLibraries',
      kind: 'string',
      pattern: new RegExp(
        `^(?:(?:${[...Object.keys(cTable().libraries), ...Object.keys(cTable().tools)]
          .map((k) => k.replace(/[.+-]/g, '\\$&'))
          .join('|')})(?: |$))*$`,
      ),
      allowed:
        "space-separated names from dockforge's C library table " +
        `(${Object.keys(cTable().libraries).join(', ')}, pkg-config), or empty`,
      describe: 'libraries (and build tools) the build needs, from templates/data/c-libraries.yaml',
      fallback: '',
    },
  ],
  portPatterns: C_PORT_PATTERNS,
  envPatterns: [/\bgetenv\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g],
  routePatterns: [
    /\b(?:strcmp|strcasecmp|strncmp)\s*\(\s*[\w>.-]+\s*,\s*"(\/[^"\s]*)"/g,
    /"(?:GET|ANY)"\s*,\s*[^,]*,\s*"(\/[^"\s]*)"/g,
  ],
  async identify(repo) {
    if (!repo.sources.some((s) => s.endsWith('.c'))) return undefined;
    // CMake is named first when both exist: it is the build the project's name comes from
    const chosen = (await repo.read('CMakeLists.txt')) ?? (await readMakefile(repo));
    if (chosen) return { file: chosen.rel, line: 1 };
    // no build file: a C program all the same when one of its .c files defines main()
    const main = mainFile(await readSources(repo));
    return main ? { file: main.rel, line: main.lines.findIndex((l) => MAIN.test(l)) + 1 } : undefined;
  },
  detect: detectC,
  context: cContext,
};
