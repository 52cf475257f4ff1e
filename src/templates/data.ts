/**
 * Pack data: tables of facts the modules read (published image tags, library → package
 * names), kept as YAML in the built-in pack's `data/` folder, each with its source. Loaded
 * synchronously and cached: detection and rendering read them, and they are small. The bundle
 * carries each table's JSON, used while the file's text is the one it was built from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePackYaml } from './compile.js';

const cache = new Map<string, unknown>();

/** Folder of the built-in pack's data tables. */
function dataDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates', 'data');
}

/**
 * The built-in pack's data table `templates/data/<name>.yaml`, parsed.
 * @throws Error when the table is missing or not valid YAML (a packaging bug, not user input).
 */
export function packData<T>(name: string): T {
  if (!cache.has(name)) {
    const file = path.join(dataDir(), `${name}.yaml`);
    cache.set(name, parsePackYaml(readFileSync(file, 'utf8')));
  }
  return cache.get(name) as T;
}
