/**
 * Read-only access to the repository being detected: bounded file reads and the list of
 * source files. Language modules read through it; it never writes and never runs anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DNS1123_LABEL } from '../vocabulary.js';
import { compareNames } from '../files.js';

/** Folders never scanned: VCS, dependencies, build outputs. */
const SKIP_DIRS = new Set([
  '.git',
  'node_modules',
  'vendor',
  'dist',
  'build',
  '.dockforge',
  'coverage',
  'out',
  'target',
  'testdata',
]);
/**
 * Scan bounds, so detection stays fast on large repositories: at most as many files in all as
 * before the scan went by relevance (2000: detection reads no more files than it did), of which
 * at most 1500 of one extension (so one language's files leave room for another's: 2 100 `.js`
 * files under `assets/` cannot crowd out a C project's `.c` files), and a bound on the directory
 * entries looked at.
 */
const MAX_FILES = 2000;
const MAX_FILES_PER_EXTENSION = 1500;
/**
 * Files with a scanned extension looked at, kept or not: past it the walk stops, so a tree of
 * 20 000 `.ts` files is not walked to its end for the sake of other extensions.
 */
const MAX_SEEN = 2 * MAX_FILES;
const MAX_ENTRIES = 30_000;
const MAX_DEPTH = 6;
/**
 * Folder names that usually hold a language's own sources: scanned first after the root.
 * Compared in lower case.
 */
const SOURCE_DIRS = new Set([
  'src',
  'source',
  'sources',
  'cmd',
  'internal',
  'pkg',
  'lib',
  'libs',
  'include',
  'app',
  'apps',
  'server',
  'api',
  'core',
  'services',
]);
/**
 * Folder names that usually hold assets, front-end bundles, documentation or third-party code:
 * scanned last (with everything under them), so their files cannot use up a bound before the
 * service's own sources are seen. Compared in lower case.
 */
const LATE_DIRS = new Set([
  'assets',
  'asset',
  'static',
  'public',
  'frontend',
  'web',
  'www',
  'wwwroot',
  'client',
  'ui',
  'html',
  'docs',
  'doc',
  'site',
  'examples',
  'example',
  'samples',
  'third_party',
  'third-party',
  'thirdparty',
  'external',
  'extern',
  'deps',
  'bower_components',
  'jspm_packages',
  'godeps',
]);
/** Largest file read, in bytes; larger files are skipped. */
const MAX_FILE_BYTES = 512 * 1024;

/** A text file as lines (terminators removed). */
export interface TextFile {
  /** Path relative to the repository root, `/`-separated. */
  rel: string;
  lines: string[];
}

/** The repository as detection sees it. */
export interface Repo {
  /** Absolute path of the repository (the build context). */
  root: string;
  /**
   * Source files (relative, `/`-separated, in the order of a depth-first walk with each folder's
   * entries sorted) with one of the scanned extensions, within the scan bounds.
   */
  sources: string[];
  /**
   * Set when a scan bound cut the list short: which one, as a phrase that completes "scan stopped
   * at …" (e.g. `2000 .js files (the limit per extension)`); undefined when every file was listed.
   */
  limited?: string;
  /**
   * Read a text file (once: later calls share the result); undefined when absent, not a regular
   * file, or larger than the bound.
   */
  read(rel: string): Promise<TextFile | undefined>;
  /** True when the path exists. */
  exists(rel: string): Promise<boolean>;
  /**
   * The entries of a folder (`.` for the root), sorted by name, `dir` true for folders (a symbolic
   * link is listed as what it is, not followed); empty when the folder is absent or unreadable.
   */
  list(rel: string): Promise<{ name: string; dir: boolean }[]>;
}

/**
 * Open a repository for detection, listing source files with the given extensions (see
 * {@link listSources} for the order and the bounds).
 * @param extensions extensions with the dot (`.go`), from every registered language.
 * @returns the repository; `limited` says which bound cut the list short, if one did.
 * @throws never: unreadable folders are skipped.
 */
export async function openRepo(root: string, extensions: Iterable<string>): Promise<Repo> {
  const exts = new Set(extensions);
  const { sources, limited } = await listSources(root, exts);
  // each file is read once per detection: languages and services scan the same sources
  const reads = new Map<string, Promise<TextFile | undefined>>();
  return {
    root,
    sources,
    ...(limited === undefined ? {} : { limited }),
    read: (rel) => {
      let r = reads.get(rel);
      if (!r) reads.set(rel, (r = readText(root, rel)));
      return r;
    },
    exists: async (rel) => {
      try {
        fs.accessSync(path.join(root, rel));
        return true;
      } catch {
        return false;
      }
    },
    list: async (rel) => {
      try {
        const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
        return entries
          .map((e) => ({ name: e.name, dir: e.isDirectory() }))
          .sort((a, b) => compareNames(a.name, b.name));
      } catch {
        return [];
      }
    },
  };
}

async function readText(root: string, rel: string): Promise<TextFile | undefined> {
  try {
    const stat = fs.statSync(path.join(root, rel));
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    return { rel, lines: text.split(/\r?\n/) };
  } catch {
    return undefined;
  }
}

/** Scan order of a folder: 0 source-like (and under one), 1 other, 2 late (assets, front end, docs, third party). */
function folderRank(name: string, parent: number): number {
  const lower = name.toLowerCase();
  if (parent === 2 || LATE_DIRS.has(lower)) return 2;
  return parent === 0 || SOURCE_DIRS.has(lower) ? 0 : 1;
}

/**
 * Compare two relative paths (split at `/`) as a depth-first walk with sorted folder entries lists them
 * (segment by segment, `localeCompare`): the order `sources` always had.
 */
function walkOrder(x: string[], y: string[]): number {
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = x[i] === y[i] ? 0 : compareNames(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/**
 * List the source files under `root` by relevance: the root (where the manifests are) first,
 * then folders breadth-first, source-like folders (`src/`, `cmd/`, `internal/`, `lib/`, …) and
 * everything under them before other folders, and asset-like, front-end, documentation and
 * third-party folders (`assets/`, `static/`, `public/`, `frontend/`, `docs/`, `third_party/`, …)
 * last. Hidden folders and SKIP_DIRS are never entered; nothing is stat'ed (the directory
 * entries' types suffice) and symbolic links are not followed.
 *
 * Bounds: {@link MAX_FILES_PER_EXTENSION} files per extension, {@link MAX_FILES} in all,
 * {@link MAX_ENTRIES} directory entries looked at, {@link MAX_DEPTH} folder levels (deeper
 * folders are skipped silently, as before).
 *
 * @returns the files in walk order ({@link walkOrder}) and, when a bound other than the depth
 *   cut the list short, the phrase naming it (the first one reached).
 */
async function listSources(root: string, exts: Set<string>): Promise<{ sources: string[]; limited?: string }> {
  const out: string[] = [];
  const perExt = new Map<string, number>();
  let entries = 0;
  let seen = 0;
  let limited: string | undefined;
  const hit = (why: string): void => {
    limited ??= why;
  };
  // one FIFO queue per rank: a folder of a lower rank is always read first
  const queues: { rel: string; depth: number; rank: number }[][] = [[], [{ rel: '', depth: 0, rank: 1 }], []];
  const heads = [0, 0, 0];
  const full = (): boolean =>
    out.length >= MAX_FILES || [...exts].every((e) => (perExt.get(e) ?? 0) >= MAX_FILES_PER_EXTENSION);
  for (;;) {
    const rank = queues.findIndex((q, i) => heads[i]! < q.length);
    if (rank < 0) break;
    const { rel, depth } = queues[rank]![heads[rank]!++]!;
    if (full()) {
      hit(
        out.length >= MAX_FILES
          ? `${MAX_FILES} source files (the limit in all)`
          : `${MAX_FILES_PER_EXTENSION} files of each extension`,
      );
      break;
    }
    if (seen >= MAX_SEEN) {
      hit(`${MAX_SEEN} source files looked at (the limit of files looked at)`);
      break;
    }
    if (entries >= MAX_ENTRIES) {
      hit(`${MAX_ENTRIES} directory entries (the limit of entries looked at)`);
      break;
    }
    let dirents;
    try {
      dirents = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    entries += dirents.length;
    // sorted, so which files a bound keeps does not depend on the file system's order
    dirents.sort((a, b) => compareNames(a.name, b.name));
    for (const e of dirents) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith('.') || depth + 1 > MAX_DEPTH) continue;
        const r = folderRank(e.name, rank);
        queues[r]!.push({ rel: child, depth: depth + 1, rank: r });
      } else if (e.isFile()) {
        const ext = path.extname(e.name);
        if (!exts.has(ext)) continue;
        seen++;
        const n = perExt.get(ext) ?? 0;
        if (n >= MAX_FILES_PER_EXTENSION) hit(`${MAX_FILES_PER_EXTENSION} ${ext} files (the limit per extension)`);
        else if (out.length >= MAX_FILES) hit(`${MAX_FILES} source files (the limit in all)`);
        else {
          perExt.set(ext, n + 1);
          out.push(child);
        }
      }
    }
  }
  const keyed = out.map((rel) => ({ rel, key: rel.split('/') }));
  keyed.sort((a, b) => walkOrder(a.key, b.key));
  const sources = keyed.map((k) => k.rel);
  return limited === undefined ? { sources } : { sources, limited };
}

/**
 * Test files (`_test.go`, `*.test.js`, `*.spec.ts`, files under `test/`, `tests/`,
 * `__tests__/`, `__mocks__/` (Jest's manual mocks), `testdata/`): never a source of run-time facts.
 */
export function isTestFile(rel: string): boolean {
  return (
    /(_test\.go|\.test\.[cm]?[jt]sx?|\.spec\.[cm]?[jt]sx?)$/.test(rel) ||
    /(^|\/)(tests?|__tests__|__mocks__|testdata)\//.test(rel)
  );
}

/**
 * Every match of the global regular expression `re` in `text`, as `String.prototype.matchAll`
 * gives them, without its cost: `matchAll` builds a new RegExp per call (the species constructor,
 * ECMA-262 §22.1.3.13), which over a repository's lines made detection's scans about 4× slower
 * (measured on a 700-line Go service). `re.lastIndex` is used and left at 0; an empty match
 * advances by one code point (by one UTF-16 unit without the `u`/`v` flag), as `matchAll` does.
 * @throws TypeError when `re` has no `g` flag (as `matchAll` does).
 */
export function allMatches(re: RegExp, text: string): RegExpExecArray[] {
  if (!re.global) throw new TypeError(`allMatches: ${re} needs the g flag`);
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m);
    if (m[0] === '') {
      const wide = /[uv]/.test(re.flags) && (text.codePointAt(re.lastIndex) ?? 0) > 0xffff;
      re.lastIndex += wide ? 2 : 1;
    }
  }
  re.lastIndex = 0;
  return out;
}

/** First line index (0-based) matching `re`, or -1. */
export function findLine(lines: string[], re: RegExp): number {
  return lines.findIndex((l) => re.test(l));
}

/**
 * Turn any name (a module path's last part, a package name, a folder) into a DNS-1123 label.
 * @returns undefined when nothing usable remains.
 */
export function toLabel(raw: string): string | undefined {
  const label = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return DNS1123_LABEL.test(label) ? label : undefined;
}
