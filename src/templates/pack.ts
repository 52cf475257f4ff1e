/**
 * Template packs: resolution, layering and the Handlebars environment.
 *
 * A pack is a folder with `pack.yaml`, `files/` (one Handlebars template per generated file)
 * and `partials/` (named partials, the extension points: `dockerfile/runtime`,
 * `dockerfile/labels`, `k8s/container`, `k8s/labels`, `compose/app-service`, …).
 * Packs are layered like the VS Code container templates' overrides: the built-in pack is the
 * bottom layer, each further pack overrides it file by file (same template name under files/),
 * partial by partial (same name under partials/) and entry by entry (same `path` in pack.yaml).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../answers/schema.js';

/** A `when` condition: every key must equal the answer (or be one of a list). */
export type When = Record<string, string | number | boolean | (string | number | boolean)[]>;

/** One file a pack generates. */
export interface PackFileEntry {
  /** Path written in the target repository, `/`-separated, relative. */
  path: string;
  /** Template under the pack's `files/` folder. */
  template: string;
  when?: When;
}

/** One secret file: random values, written once, never recorded with its content. */
export interface PackSecretEntry {
  path: string;
  when?: When;
  /** Keys written as `KEY=value` lines, all with the same random value. */
  keys: string[];
}

/** A loaded pack layer. */
export interface PackLayer {
  dir: string;
  name: string;
  version: string;
  files: PackFileEntry[];
  secrets: PackSecretEntry[];
}

/** Packs resolved into one view, top layer winning. */
export interface ResolvedPack {
  /** Layers, bottom (built-in) first. */
  layers: PackLayer[];
  /** `name@version` of every layer, bottom first, joined by ` + `. */
  id: string;
  files: PackFileEntry[];
  secrets: PackSecretEntry[];
  /** Compile a template from the top-most layer that has it; returns the render function and `name@version:files/<template>`. */
  template(name: string): Promise<{ render: (ctx: object) => string; source: string }>;
}

/** Folder of the built-in pack, shipped in the npm package next to dist/. */
export function builtinPackDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
}

function isSafeRelative(p: string): boolean {
  return p.length > 0 && !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..');
}

/**
 * Load one pack layer from `dir`.
 * @throws UsageError when pack.yaml is missing or malformed (names the field).
 */
export async function loadLayer(dir: string): Promise<PackLayer> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(dir, 'pack.yaml'), 'utf8');
  } catch {
    throw new UsageError(`invalid pack ${JSON.stringify(dir)}: expected a folder with pack.yaml, files/ and partials/`);
  }
  const doc = (parseYaml(raw) ?? {}) as Record<string, unknown>;
  if (typeof doc.name !== 'string' || typeof doc.version !== 'string') {
    throw new UsageError(`invalid pack ${dir}/pack.yaml: expected string fields name and version`);
  }
  const files = (doc.files ?? []) as PackFileEntry[];
  const secrets = (doc.secrets ?? []) as PackSecretEntry[];
  for (const e of [...files, ...secrets]) {
    if (typeof e?.path !== 'string' || !isSafeRelative(e.path)) {
      throw new UsageError(`invalid pack ${dir}/pack.yaml: file path ${JSON.stringify(e?.path)} must be relative, without ".."`);
    }
  }
  for (const e of files) {
    if (typeof e.template !== 'string' || !isSafeRelative(e.template)) {
      throw new UsageError(`invalid pack ${dir}/pack.yaml: template of ${e.path} must be a relative path under files/`);
    }
  }
  return { dir, name: doc.name, version: doc.version, files, secrets };
}

async function listPartials(dir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      for (const [k, v] of await listPartials(path.join(dir, e.name), `${prefix}${e.name}/`)) out.set(k, v);
    } else if (e.name.endsWith('.hbs')) {
      out.set(prefix + e.name.slice(0, -4), path.join(dir, e.name));
    }
  }
  return out;
}

function mergeByPath<T extends { path: string }>(layers: T[][]): T[] {
  const out: T[] = [];
  for (const list of layers) {
    for (const entry of list) {
      const i = out.findIndex((e) => e.path === entry.path);
      if (i >= 0) out[i] = entry;
      else out.push(entry);
    }
  }
  return out;
}

/**
 * Register the helpers every template may use, on an isolated Handlebars instance.
 * `eq a b`, `and a b …`, `or a b …`, `not a`, `json v` (JSON text), `flow list`
 * (a YAML/JSON flow sequence with ", " separators, e.g. `["CMD", "pg_isready"]`).
 */
function makeHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  const args = (a: unknown[]): unknown[] => a.slice(0, -1);
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('and', (...a: unknown[]) => args(a).every(Boolean));
  hb.registerHelper('or', (...a: unknown[]) => args(a).some(Boolean));
  hb.registerHelper('not', (a: unknown) => !a);
  hb.registerHelper('json', (v: unknown) => JSON.stringify(v));
  hb.registerHelper('flow', (v: unknown[]) => `[${v.map((x) => JSON.stringify(x)).join(', ')}]`);
  return hb;
}

/**
 * Resolve the built-in pack plus `extra` pack folders (bottom to top) into one pack.
 * @param extra absolute folders of team packs, applied in order over the built-in pack.
 * @throws UsageError for a malformed pack; Error when a template named in pack.yaml is missing.
 */
export async function resolvePack(extra: string[] = []): Promise<ResolvedPack> {
  const layers = [await loadLayer(builtinPackDir())];
  for (const dir of extra) layers.push(await loadLayer(dir));
  const hb = makeHandlebars();
  // partials: top-most layer wins
  for (const layer of layers) {
    for (const [name, file] of await listPartials(path.join(layer.dir, 'partials'))) {
      hb.registerPartial(name, await fs.readFile(file, 'utf8'));
    }
  }
  const cache = new Map<string, { render: (ctx: object) => string; source: string }>();
  return {
    layers,
    id: layers.map((l) => `${l.name}@${l.version}`).join(' + '),
    files: mergeByPath(layers.map((l) => l.files)),
    secrets: mergeByPath(layers.map((l) => l.secrets)),
    async template(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      for (const layer of [...layers].reverse()) {
        const file = path.join(layer.dir, 'files', name);
        let text: string;
        try {
          text = await fs.readFile(file, 'utf8');
        } catch {
          continue;
        }
        const compiled = hb.compile(text, { noEscape: true, strict: true });
        const entry = { render: (ctx: object) => compiled(ctx), source: `${layer.name}@${layer.version}:files/${name}` };
        cache.set(name, entry);
        return entry;
      }
      throw new Error(`template files/${name} not found in any pack layer (${layers.map((l) => l.dir).join(', ')})`);
    },
  };
}

/** True when every key of `when` matches `values` (a list means any of). No `when` always matches. */
export function matches(when: When | undefined, values: Record<string, unknown>): boolean {
  if (!when) return true;
  return Object.entries(when).every(([k, v]) => (Array.isArray(v) ? v.includes(values[k] as never) : values[k] === v));
}
