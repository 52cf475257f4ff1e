/**
 * The test corpus: real public repositories at pinned commits, kept outside the project in
 * `../shared/corpus` (one folder per repository and `corpus.json`, described by its README).
 * It is test data: nothing here names a repository; the list is read from corpus.json at run time.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The fields of one corpus.json entry this tool reads (the file has more; see the corpus README). */
export interface CorpusEntry {
  /** `owner/name` on GitHub. */
  repo: string;
  /** Folder of the snapshot inside the corpus directory. */
  snapshot_dir: string;
  /** Sub-folder of the snapshot holding the service, usually ".". */
  dir: string;
  /** go | node | c. */
  language: string;
  /** sqlite | postgres | none. */
  database: string;
  /** The port the service listens on by default (a number, a sentence or null) and how it is set. */
  port: { default: number | string | null; how_set: string };
  /** A GET path answering 200 without authentication, or null when the service has none. */
  health_path: string | null;
  /** Pinned commit of the snapshot. */
  commit?: string;
}

/**
 * Read and check `<corpusDir>/corpus.json`.
 * @returns the entries in file order.
 * @throws Error when the file is not an array of objects with the fields of {@link CorpusEntry}.
 */
export function loadCorpus(corpusDir: string): CorpusEntry[] {
  const file = path.join(corpusDir, 'corpus.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(data)) throw new Error(`${file}: expected an array`);
  return data.map((e: Record<string, unknown>, i) => {
    for (const k of ['repo', 'snapshot_dir', 'dir', 'language', 'database']) {
      if (typeof e[k] !== 'string' || e[k] === '') throw new Error(`${file}[${i}]: field ${k} missing`);
    }
    const port = (e.port ?? { default: null, how_set: '' }) as CorpusEntry['port'];
    const health = typeof e.health_path === 'string' ? e.health_path : null;
    return { ...(e as object), port, health_path: health } as CorpusEntry;
  });
}

/** The corpus port as a number, when corpus.json gives one (else undefined). */
export function corpusPort(e: CorpusEntry): number | undefined {
  return typeof e.port.default === 'number' ? e.port.default : undefined;
}

/**
 * Copy `<corpusDir>/<snapshot_dir>/<dir>` to `dest` as a clone has it: every file, no `.git`.
 * @throws Error when the source folder does not exist.
 */
export function copySnapshot(corpusDir: string, e: CorpusEntry, dest: string): void {
  const src = path.join(corpusDir, e.snapshot_dir, e.dir);
  if (!existsSync(src)) throw new Error(`snapshot folder missing: ${src}`);
  cpSync(src, dest, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (p) => !path.relative(src, p).split(path.sep).includes('.git'),
  });
}
