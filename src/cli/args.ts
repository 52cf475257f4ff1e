/**
 * Command-line argument helpers shared by the commands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fieldSpec, fieldTable, unknownAnswer } from '../answers/fields.js';
import { UsageError, quote } from '../errors.js';
import type { FieldSpec } from '../vocabulary.js';

/**
 * Resolve `--dir` to an absolute, existing directory.
 * @throws UsageError when it does not exist or is not a directory.
 */
export async function projectRoot(dir: string | undefined): Promise<string> {
  const root = path.resolve(dir ?? '.');
  let stat;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new UsageError(`invalid dir ${JSON.stringify(dir)}: expected an existing directory`);
  }
  if (!stat.isDirectory()) throw new UsageError(`invalid dir ${JSON.stringify(dir)}: expected a directory`);
  return root;
}

/**
 * Parse repeated `--set key=value` into raw answer values, keyed by the field's current name
 * (an alias such as `runtime` counts as `base`). The same key given twice with the same value is
 * one answer. A key no built-in field has, spelled like a pack question's name, is kept as given:
 * the team pack's questions are known only once the pack is resolved, and the pipeline refuses
 * the keys that are still unknown then ({@link assertKnownAnswers}).
 * @throws UsageError for an item without `=`, a key that can be no answer's, or one key given two
 *   different values.
 */
export function parseSets(sets: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of sets ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --set ${quote(item)}: expected key=value`);
    const given = item.slice(0, eq).trim();
    const spec = fieldSpec(given);
    if (!spec && !QUESTION_NAME.test(given)) throw unknownAnswer(given, item);
    const key = spec?.key ?? given;
    const value = item.slice(eq + 1);
    if (out[key] !== undefined && out[key] !== value) conflict(key, [out[key]!, value]);
    out[key] = value;
  }
  return out;
}

/** How a pack question's name is spelled (pack.schema.ts). */
const QUESTION_NAME = /^[a-z][A-Za-z0-9]{0,39}$/;

/** @throws UsageError naming an answer given two different values. */
function conflict(key: string, values: unknown[]): never {
  const shown = [...new Set(values.map((v) => quote(String(v))))].join(' and ');
  throw new UsageError(`conflicting values for ${key}: ${shown} (give it once)`);
}

/**
 * The single value of an option that may only be given once (`--dir a --dir b` arrives as an
 * array): repeats of the same value are one value.
 * @throws UsageError when it was given two different values.
 */
export function single<T>(name: string, value: T | T[] | undefined): T | undefined {
  if (!Array.isArray(value)) return value;
  if (new Set(value.map(String)).size > 1) conflict(name, value);
  return value[value.length - 1];
}

/**
 * The answers given on the command line: `--set key=value` and the field table's flag fields
 * (`--language go`, `--runtime` for `--base`), keyed by the field's current name.
 * @throws UsageError for a bad `--set`, or an answer given two different values (a repeated
 *   flag, a flag and its alias, or a flag and `--set`).
 */
export function givenAnswers(args: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = parseSets(args.set as string[] | undefined);
  for (const spec of fieldTable().filter((f) => f.flag)) {
    // yargs fills a flag and its aliases with the same values: read the field's own name first
    const name = [spec.key, ...(spec.aliases ?? [])].find((n) => args[n] !== undefined);
    if (name === undefined) continue;
    const value = single(spec.key, args[name]);
    if (given[spec.key] !== undefined && String(given[spec.key]) !== String(value)) {
      conflict(spec.key, [given[spec.key], value]);
    }
    given[spec.key] = value;
  }
  return given;
}

/**
 * The answers `--set` accepts, one entry each (`key  description: allowed values`, wrapped under
 * the description at `columns`), for the commands' `--help`. From the field table, so a
 * language's or service's own fields appear (marked `[go]`, `[sqlite]`, …).
 */
export function answerKeysHelp(columns = 100): string {
  const fields = fieldTable();
  const indent = Math.max(...fields.map((f) => f.key.length)) + 4;
  const scope = (f: FieldSpec): string => (f.language ? ` [${f.language}]` : f.service ? ` [${f.service}]` : '');
  const wrap = (text: string): string[] => {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(' ')) {
      if (line && indent + line.length + 1 + word.length > columns - 1) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    return [...lines, line];
  };
  const entries = fields.map((f) =>
    wrap(`${f.describe}${scope(f)}: ${f.allowed}`)
      .map((l, i) => `${i === 0 ? `  ${f.key.padEnd(indent - 2)}` : ' '.repeat(indent)}${l}`)
      .join('\n'),
  );
  return ['Answers (--set key=value):', ...entries].join('\n');
}
