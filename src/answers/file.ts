/**
 * `.dockforge/answers.yaml`: the single source of the answers, committed with the project
 * (Copier's `.copier-answers.yml` plays the same role). Top-level keys are the answer names;
 * `_dockforge` records the version and pack that last rendered them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { UsageError } from '../errors.js';
import type { Answers } from '../vocabulary.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import { appliesTo, fieldTable, validateAnswers } from './fields.js';

export { ANSWERS_PATH };

/** Answers as read back, with the metadata of the render that wrote them. */
export interface SavedAnswers {
  answers: Answers;
  /** dockforge version that wrote the file. */
  version: string;
  /** Pack id that rendered with them. */
  pack: string;
}

/**
 * Read and validate the answers file of `root`.
 * @returns undefined when the file does not exist.
 * @throws UsageError when it exists but is not valid YAML or holds an invalid answer (names the field).
 */
export async function readAnswers(root: string): Promise<SavedAnswers | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(root, ANSWERS_PATH), 'utf8');
  } catch {
    return undefined;
  }
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`invalid ${ANSWERS_PATH}: ${(e as Error).message.split('\n')[0]}`);
  }
  const meta = (doc._dockforge ?? {}) as Record<string, unknown>;
  const { _dockforge: _, ...rest } = doc;
  try {
    return { answers: validateAnswers(rest), version: String(meta.version ?? ''), pack: String(meta.pack ?? '') };
  } catch (e) {
    throw new UsageError(`invalid ${ANSWERS_PATH}: ${(e as Error).message}`);
  }
}

/**
 * Serialise answers as YAML text: fields in schema order, only those that apply to the
 * language, then the `_dockforge` block.
 */
export function answersToYaml(answers: Answers, meta: { version: string; pack: string }): string {
  const doc: Record<string, unknown> = {};
  for (const f of fieldTable()) {
    if (appliesTo(f.key, answers)) doc[f.key] = answers[f.key];
  }
  doc._dockforge = { version: meta.version, pack: meta.pack };
  return (
    '# dockforge answers: edit here or with `dockforge generate --set key=value`, then run `dockforge generate`.\n' +
    stringify(doc, { lineWidth: 0 })
  );
}
