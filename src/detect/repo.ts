/**
 * Read-only access to the repository being detected: bounded file reads and the list of
 * source files. Language modules read through it; it never writes and never runs anything.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DNS1123_LABEL } from '../vocabulary.js';

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
/** Scan bounds, so detection stays fast on large repositories. */
const MAX_FILES = 2000;
const MAX_DEPTH = 6;
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
  /** Source files (relative, `/`-separated, sorted) with one of the scanned extensions, within the scan bounds. */
  sources: string[];
  /**
   * Read a text file (once: later calls share the result); undefined when absent, not a regular
   * file, or larger than the bound.
   */
  read(rel: string): Promise<TextFile | undefined>;
  /** True when the path exists. */
  exists(rel: string): Promise<boolean>;
}

/**
 * Open a repository for detection, listing source files with the given extensions.
 * @param extensions extensions with the dot (`.go`), from every registered language.
 */
export async function openRepo(root: string, extensions: Iterable<string>): Promise<Repo> {
  const exts = new Set(extensions);
  const sources = await listSources(root, exts);
  // each file is read once per detection: languages and services scan the same sources
  const reads = new Map<string, Promise<TextFile | undefined>>();
  return {
    root,
    sources,
    read: (rel) => {
      let r = reads.get(rel);
      if (!r) reads.set(rel, (r = readText(root, rel)));
      return r;
    },
    exists: async (rel) => {
      try {
        await fs.access(path.join(root, rel));
        return true;
      } catch {
        return false;
      }
    },
  };
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

async function listSources(root: string, exts: Set<string>): Promise<string[]> {
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
      } else if (e.isFile() && exts.has(path.extname(e.name))) {
        if (out.length < MAX_FILES) out.push(child);
      }
    }
  }
  await walk('', 0);
  return out;
}

/**
 * Test files (`_test.go`, `*.test.js`, `*.spec.ts`, files under `test/`, `tests/`,
 * `__tests__/`, `testdata/`): never a source of run-time facts.
 */
export function isTestFile(rel: string): boolean {
  return (
    /(_test\.go|\.test\.[cm]?[jt]sx?|\.spec\.[cm]?[jt]sx?)$/.test(rel) ||
    /(^|\/)(tests?|__tests__|testdata)\//.test(rel)
  );
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
