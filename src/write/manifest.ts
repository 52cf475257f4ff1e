/**
 * `.dockforge/manifest.json`: what dockforge last wrote, file by file — the merge base of the
 * next regeneration. Committed with the project so a teammate's regeneration has the same
 * base. Read as untrusted input: every path is checked by {@link confinedPath} before use.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../answers/schema.js';
import { confinedPath, readIfExists } from './fs.js';

export const MANIFEST_PATH = '.dockforge/manifest.json';

/** One managed file as last generated. */
export interface ManifestFile {
  path: string;
  /** `pack@version:files/<template>`. */
  template: string;
  /** sha256 (hex) of `base`. */
  sha256: string;
  /** The exact text generated: the merge base. */
  base: string;
}

export interface Manifest {
  /** dockforge version that wrote it. */
  dockforge: string;
  pack: string;
  files: ManifestFile[];
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
 * Read and check the manifest of `root`.
 * @returns undefined when there is none.
 * @throws UsageError when it is malformed, when a base does not match its sha256, or when
 *   a path is absolute, contains `..` or resolves outside `root` (through a symlink too).
 */
export async function readManifest(root: string): Promise<Manifest | undefined> {
  const text = await readIfExists(path.join(root, MANIFEST_PATH));
  if (text === undefined) return undefined;
  let doc: Manifest;
  try {
    doc = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new UsageError(`invalid ${MANIFEST_PATH}: ${(e as Error).message}`);
  }
  if (!doc || !Array.isArray(doc.files)) throw new UsageError(`invalid ${MANIFEST_PATH}: expected an object with a "files" list`);
  doc.secrets ??= [];
  doc.ejected ??= [];
  for (const f of doc.files) {
    if (typeof f?.base !== 'string' || typeof f.path !== 'string') throw new UsageError(`invalid ${MANIFEST_PATH}: each file needs "path" and "base" strings`);
    await confinedPath(root, f.path, `manifest path`);
    if (sha256(f.base) !== f.sha256) throw new UsageError(`invalid ${MANIFEST_PATH}: base of ${f.path} does not match its sha256`);
  }
  for (const p of [...doc.secrets, ...doc.ejected]) await confinedPath(root, p, 'manifest path');
  return doc;
}

/** Serialise a manifest: stable key order, files sorted by path, 2-space JSON, final newline. */
export function manifestToJson(m: Manifest): string {
  const files = [...m.files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => ({ path: f.path, template: f.template, sha256: f.sha256, base: f.base }));
  return `${JSON.stringify({ dockforge: m.dockforge, pack: m.pack, files, secrets: [...new Set(m.secrets)].sort(), ejected: [...new Set(m.ejected)].sort() }, null, 2)}\n`;
}
