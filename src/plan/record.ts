/**
 * The record of generated files (`.dockforge/manifest.json`): what dockforge last wrote, file
 * by file — the merge base of the next regeneration. Committed with the project so a
 * teammate's regeneration has the same base. Read as untrusted input: every path is checked by
 * {@link confinedPath} before use. (Named "record" in code to keep it apart from Kubernetes
 * manifests and package manifests; the file keeps its path.)
 */
import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { UsageError, clip, formatBytes, quote } from '../errors.js';
import { compareNames, readRegularFile, sha256 } from '../files.js';
import { confinedPath } from './disk.js';
import { RECORD_SCHEMA } from './record.schema.js';
import { PREBUILT_RECORD_VALIDATOR } from './record.validator.js';

/** Path of the record, relative to the project root. */
export const RECORD_PATH = '.dockforge/manifest.json';

/**
 * Largest record read: 16 MiB. It holds the text of every generated file (tens of KiB for a
 * project); the bound keeps a huge file from being parsed and held. Checked before parsing.
 */
export const RECORD_MAX_BYTES = 16 * 1024 * 1024;

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

/**
 * What to do about a corrupt record, appended to its errors: the record is the merge base of
 * every generated file, so the good copy is the one in version control.
 */
export const RECORD_HINT =
  `restore it with git checkout -- ${RECORD_PATH}; without a good copy, delete it and run dockforge init --force ` +
  '(files are rewritten from the answers: commit first, then git diff shows the edits to bring back)';

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

/**
 * Read and check the record of `root`.
 * @returns the record; undefined when there is none.
 * @throws UsageError (exit 2) when it is larger than {@link RECORD_MAX_BYTES} (checked before
 *   reading it whole), is not JSON, does not match {@link RECORD_SCHEMA} (the message names the
 *   JSON pointer of the first problem, e.g. `/files/0`), when a base does not match its sha256,
 *   or when a path is absolute, contains `..` or resolves outside `root` (through a symlink too).
 * @throws EnvironmentError (exit 3) when the path is a folder; the errno error of `open` or
 *   `read` (EACCES, ENOTDIR, …) otherwise, which the CLI reports as exit 3 with the path.
 */
export async function readRecord(root: string): Promise<GenerationRecord | undefined> {
  const text = await readBounded(path.join(root, RECORD_PATH));
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`invalid ${RECORD_PATH}: ${clip((e as Error).message, 200)}: ${RECORD_HINT}`);
  }
  const validate = (validator ??= PREBUILT_RECORD_VALIDATOR ?? (await compileRecordSchema()));
  if (!validate(raw)) {
    const err = validate.errors?.[0];
    const pointer = err?.instancePath || '(top level)';
    throw new UsageError(
      `invalid ${RECORD_PATH} at ${pointer}: ${err?.message ?? 'does not match its schema'}: ${RECORD_HINT}`,
    );
  }
  const doc = raw as GenerationRecord;
  doc.secrets ??= [];
  doc.ejected ??= [];
  for (const f of doc.files) {
    await confinedPath(root, f.path, 'manifest path');
    if (sha256(f.base) !== f.sha256)
      throw new UsageError(
        `invalid ${RECORD_PATH}: base of ${quote(f.path)} does not match its sha256: ${RECORD_HINT}`,
      );
  }
  for (const p of [...doc.secrets, ...doc.ejected]) await confinedPath(root, p, 'manifest path');
  return doc;
}

/** The validator of {@link RECORD_SCHEMA}: the build's, or compiled on first use. */
let validator: ValidateFunction<unknown> | undefined;

/**
 * The options the record schema is compiled with: here and by the build (scripts/build.ts,
 * which adds ajv's standalone-code options).
 */
export const RECORD_AJV_OPTIONS = Object.freeze({ allErrors: false, strict: true });

/** Compile {@link RECORD_SCHEMA} with ajv (imported here: a bundled run uses the build's validator). */
async function compileRecordSchema(): Promise<ValidateFunction<unknown>> {
  const ajv = await import('ajv/dist/2020.js');
  // Node names the CommonJS exports; a bundler may give module.exports as the default only
  const Ajv2020 = ajv.Ajv2020 ?? (ajv as { default?: { Ajv2020?: typeof ajv.Ajv2020 } }).default!.Ajv2020!;
  return new Ajv2020({ ...RECORD_AJV_OPTIONS }).compile(RECORD_SCHEMA);
}

/** The record's text, refusing anything but a regular file and anything over {@link RECORD_MAX_BYTES}. */
function readBounded(file: string): Promise<string | undefined> {
  const tooLarge = (size: number): UsageError =>
    new UsageError(
      `refusing ${RECORD_PATH}: it is ${size} bytes, the limit is ${formatBytes(RECORD_MAX_BYTES)}` +
        `: ${RECORD_HINT}`,
    );
  return readRegularFile(file, RECORD_PATH, { maxBytes: RECORD_MAX_BYTES, tooLarge });
}

/** Serialise a record: stable key order, files sorted by path, 2-space JSON, final newline. */
export function recordToJson(m: GenerationRecord): string {
  const files = [...m.files]
    .sort((a, b) => compareNames(a.path, b.path))
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
