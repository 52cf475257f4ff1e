/**
 * Command-line argument helpers shared by the commands.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fieldSpec, fieldTable } from '../answers/fields.js';
import { UsageError } from '../errors.js';

/**
 * Resolve `--dir` to an absolute, existing directory.
 * @throws UsageError when it does not exist or is not a directory.
 */
export async function projectRoot(dir: string | undefined): Promise<string> {
  const root = path.resolve(dir ?? '.');
  let stat;
  try {
    stat = await fs.stat(root);
  } catch {
    throw new UsageError(`invalid dir ${JSON.stringify(dir)}: expected an existing directory`);
  }
  if (!stat.isDirectory()) throw new UsageError(`invalid dir ${JSON.stringify(dir)}: expected a directory`);
  return root;
}

/**
 * Parse repeated `--set key=value` into raw answer values (keys as given; aliases allowed).
 * @throws UsageError for an item without `=` or an unknown key.
 */
export function parseSets(sets: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of sets ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --set ${JSON.stringify(item)}: expected key=value`);
    const key = item.slice(0, eq).trim();
    if (!fieldSpec(key)) {
      const keys = fieldTable()
        .map((f) => f.key)
        .join(', ');
      throw new UsageError(`invalid --set ${JSON.stringify(item)}: unknown answer "${key}" (expected one of ${keys})`);
    }
    out[key] = item.slice(eq + 1);
  }
  return out;
}

/**
 * The answers given as flags (`--language go`, `--runtime` for `--base`), from the field
 * table's flag fields. A repeated flag arrives as an array: the last one wins.
 */
export function flagAnswers(args: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const spec of fieldTable().filter((f) => f.flag)) {
    // yargs fills a flag and its aliases alike: read the field's own name first
    const name = [spec.key, ...(spec.aliases ?? [])].find((n) => args[n] !== undefined);
    if (name === undefined) continue;
    const value = args[name];
    given[spec.key] = Array.isArray(value) ? value[value.length - 1] : value;
  }
  return given;
}
