/**
 * The record of generated files (`.dockforge/manifest.json`): what dockforge last wrote, file
 * by file — the merge base of the next regeneration. Committed with the project so a
 * teammate's regeneration has the same base. Read as untrusted input: every path is checked by
 * {@link confinedPath} before use. (Named "record" in code to keep it apart from Kubernetes
 * manifests and package manifests; the file keeps its path.)
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { confinedPath, readIfExists } from './disk.js';

/** Path of the record, relative to the project root. */
export const RECORD_PATH = '.dockforge/manifest.json';

/** One managed file as last generated. */
export interface RecordedFile {
  path: string;
  /** `pack@version:<template path>`. */
  template: string;
  /** sha256 (hex) of `base`. */
  sha256: string;
  /** The exact text generated: the merge base. */
  base: string;
}

/** The record of generated files. */
export interface GenerationRecord {
  /** dockforge version that wrote it. */
  dockforge: string;
  pack: string;
  files: RecordedFile[];
  /** Secret files made on first init (paths only; never their content). */
  secrets: string[];
  /** Managed files the user deleted: never recreated. */
  ejected: string[];
}

/** sha256 hex of UTF-8 text. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Read and check the record of `root`.
 * @returns the record and its exact text; undefined when there is none.
 * @throws UsageError when it is malformed, when a base does not match its sha256, or when
 *   a path is absolute, contains `..` or resolves outside `root` (through a symlink too).
 */
export async function readRecord(root: string): Promise<GenerationRecord | undefined> {
  const text = await readIfExists(path.join(root, RECORD_PATH));
  if (text === undefined) return undefined;
  let doc: GenerationRecord;
  try {
    doc = JSON.parse(text) as GenerationRecord;
  } catch (e) {
    throw new UsageError(`invalid ${RECORD_PATH}: ${(e as Error).message}`);
  }
  if (!doc || !Array.isArray(doc.files)) {
    throw new UsageError(`invalid ${RECORD_PATH}: expected an object with a "files" list`);
  }
  doc.secrets ??= [];
  doc.ejected ??= [];
  for (const f of doc.files) {
    if (typeof f?.base !== 'string' || typeof f.path !== 'string') {
      throw new UsageError(`invalid ${RECORD_PATH}: each file needs "path" and "base" strings`);
    }
    await confinedPath(root, f.path, 'manifest path');
    if (sha256(f.base) !== f.sha256)
      throw new UsageError(`invalid ${RECORD_PATH}: base of ${f.path} does not match its sha256`);
  }
  for (const p of [...doc.secrets, ...doc.ejected]) await confinedPath(root, p, 'manifest path');
  return doc;
}

/** Serialise a record: stable key order, files sorted by path, 2-space JSON, final newline. */
export function recordToJson(m: GenerationRecord): string {
  const files = [...m.files]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((f) => ({ path: f.path, template: f.template, sha256: f.sha256, base: f.base }));
  const doc = {
    dockforge: m.dockforge,
    pack: m.pack,
    files,
    secrets: [...new Set(m.secrets)].sort(),
    ejected: [...new Set(m.ejected)].sort(),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
