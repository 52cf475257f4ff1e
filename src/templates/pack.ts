/**
 * Template packs: loading, layering and the Handlebars environment.
 *
 * A pack is a folder:
 * - `pack.yaml`: `name`, `version`, the shared `files` (output path, template under `files/`,
 *   optional `when`) and `secrets`;
 * - `files/`: shared templates; `partials/`: shared named partials (`dockerfile/runtime`,
 *   `k8s/container`, …: the extension points);
 * - `languages/<id>/` and `services/<id>/`: one folder per language and per backing service.
 *   Each `*.hbs` directly inside is a partial named `languages/<id>/<name>`
 *   (`services/<id>/<name>`); an optional `files.yaml` lists the files the module adds
 *   (templates under its own `files/`), implicitly only `when` that language (or service) is in use.
 *
 * Packs are layered like the VS Code container templates' overrides: the built-in pack is the
 * bottom layer and each further pack overrides it template by template and partial by partial
 * (same path), and entry by entry (same output `path`).
 *
 * Templates, partials and path templates run on Handlebars' run-time library: the built-in
 * pack's are precompiled by the build and found by the sha256 of their text; any other text
 * (a team pack's, an edited one) is compiled at run time (see `compile.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Handlebars from 'handlebars';
import { UsageError } from '../errors.js';
import { knownSpec, loadCompiler, parsePackYaml, runtimeEnvironment, templateSpec } from './compile.js';

/**
 * A `when` condition: every key must match the render context's value — equal to it, one of
 * a list, or (when the context's value is a list, like `service`) contained in it.
 */
export type When = Record<string, string | number | boolean | (string | number | boolean)[]>;

/** One file a pack generates. */
export interface PackFileEntry {
  /** Path written in the target repository, `/`-separated, relative. */
  path: string;
  /** Template, relative to the pack root (e.g. `files/Dockerfile.hbs`, `languages/go/files/x.hbs`). */
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

/** A compiled template and where it came from. */
export interface CompiledTemplate {
  render: (ctx: object) => string;
  /** `name@version:<template path>` of the layer that supplied it. */
  source: string;
  /**
   * True when this template and every partial of the pack are the built-in pack's texts exactly as
   * the build precompiled them: the output the test suite checks on every cell (golden files and
   * the field's parsers), so a render need not parse its YAML again.
   */
  shipped: boolean;
}

/** Packs resolved into one view, top layer winning. */
export interface ResolvedPack {
  /** Layers, bottom (built-in) first. */
  layers: PackLayer[];
  /** `name@version` of every layer, bottom first, joined by ` + `. */
  id: string;
  files: PackFileEntry[];
  secrets: PackSecretEntry[];
  /** Every partial name any layer defines. */
  partialNames: string[];
  /**
   * Render an output path written as a Handlebars expression (`"{{composeFile}}"`): the `path`
   * of one of the pack's file entries (compiled when the pack is resolved).
   * @throws UsageError when the result is not a relative path inside the project; Error when
   *   `pathTemplate` is not an entry's path.
   */
  renderPath(pathTemplate: string, ctx: object): string;
  /**
   * Compile a template (path relative to the pack root) from the top-most layer that has it.
   * @throws Error when no layer has it.
   */
  template(name: string): Promise<CompiledTemplate>;
}

/** Folder of the built-in pack, shipped in the npm package next to dist/. */
export function builtinPackDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
}

function isSafeRelative(p: string): boolean {
  return p.length > 0 && !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..');
}

async function readYaml(file: string): Promise<Record<string, unknown> | undefined> {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return (parsePackYaml(raw) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`invalid pack file ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Check entries of a pack.yaml or files.yaml and give templates their pack-root-relative path. */
function entries(
  doc: Record<string, unknown>,
  where: string,
  templateDir: string,
  implied: When | undefined,
): { files: PackFileEntry[]; secrets: PackSecretEntry[] } {
  const files = (doc.files ?? []) as PackFileEntry[];
  const secrets = (doc.secrets ?? []) as PackSecretEntry[];
  if (!Array.isArray(files) || !Array.isArray(secrets)) {
    throw new UsageError(`invalid pack ${where}: files and secrets must be lists`);
  }
  for (const e of [...files, ...secrets]) {
    if (typeof e?.path !== 'string' || !isSafeRelative(e.path)) {
      throw new UsageError(
        `invalid pack ${where}: file path ${JSON.stringify(e?.path)} must be relative, without ".."`,
      );
    }
  }
  for (const e of files) {
    if (typeof e.template !== 'string' || !isSafeRelative(e.template)) {
      throw new UsageError(
        `invalid pack ${where}: template of ${e.path} must be a relative path under ${templateDir}/`,
      );
    }
  }
  const when = (w: When | undefined): When | undefined => (implied ? { ...implied, ...(w ?? {}) } : w);
  return {
    files: files.map((e) => ({ path: e.path, template: `${templateDir}/${e.template}`, when: when(e.when) })),
    secrets: secrets.map((e) => ({ path: e.path, keys: e.keys, when: when(e.when) })),
  };
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Load one pack layer from `dir`: pack.yaml, then each module folder's files.yaml.
 * @throws UsageError when pack.yaml is missing or malformed (names the file and field).
 */
export async function loadLayer(dir: string): Promise<PackLayer> {
  const doc = await readYaml(path.join(dir, 'pack.yaml'));
  if (!doc) throw new UsageError(`invalid pack ${JSON.stringify(dir)}: expected a folder with pack.yaml`);
  if (typeof doc.name !== 'string' || typeof doc.version !== 'string') {
    throw new UsageError(`invalid pack ${dir}/pack.yaml: expected string fields name and version`);
  }
  const own = entries(doc, `${dir}/pack.yaml`, 'files', undefined);
  const files = [...own.files];
  const secrets = [...own.secrets];
  for (const [group, key] of [
    ['languages', 'language'],
    ['services', 'service'],
  ] as const) {
    for (const id of await subdirs(path.join(dir, group))) {
      const moduleDir = `${group}/${id}`;
      const mod = await readYaml(path.join(dir, moduleDir, 'files.yaml'));
      if (!mod) continue;
      const more = entries(mod, `${dir}/${moduleDir}/files.yaml`, `${moduleDir}/files`, { [key]: id });
      files.push(...more.files);
      secrets.push(...more.secrets);
    }
  }
  return { dir, name: doc.name, version: doc.version, files, secrets };
}

/** Partials of one layer: name → file. */
async function listPartials(layerDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string, prefix: string, recurse: boolean): Promise<void> {
    let list;
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      if (e.isDirectory() && recurse) await walk(path.join(dir, e.name), `${prefix}${e.name}/`, true);
      else if (e.isFile() && e.name.endsWith('.hbs')) out.set(prefix + e.name.slice(0, -4), path.join(dir, e.name));
    }
  }
  await walk(path.join(layerDir, 'partials'), '', true);
  for (const group of ['languages', 'services']) {
    for (const id of await subdirs(path.join(layerDir, group))) {
      await walk(path.join(layerDir, group, id), `${group}/${id}/`, false);
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
 * The helpers every template may use, on an isolated Handlebars instance:
 * `eq a b`, `and a b …`, `or a b …`, `not a`, `json v` (JSON text), `flow list`
 * (a YAML/JSON flow sequence with ", " separators, e.g. `["CMD", "pg_isready"]`),
 * `yaml v` (a YAML scalar that reads back as the same string: plain when safe, else
 * double-quoted — `"5432"`, `"true"`; YAML 1.2 core schema).
 */
function makeHandlebars(): typeof Handlebars {
  const hb = runtimeEnvironment();
  const args = (a: unknown[]): unknown[] => a.slice(0, -1);
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('and', (...a: unknown[]) => args(a).every(Boolean));
  hb.registerHelper('or', (...a: unknown[]) => args(a).some(Boolean));
  hb.registerHelper('not', (a: unknown) => !a);
  hb.registerHelper('json', (v: unknown) => JSON.stringify(v));
  hb.registerHelper('flow', (v: unknown[]) => `[${v.map((x) => JSON.stringify(x)).join(', ')}]`);
  hb.registerHelper('yaml', (v: unknown) => yamlString(String(v)));
  return hb;
}

/**
 * A YAML scalar for `text` that every YAML 1.1 and 1.2 reader reads back as that string:
 * plain when it cannot be mistaken for a number, boolean, null or syntax; JSON-quoted otherwise.
 */
export function yamlString(text: string): string {
  const risky =
    text === '' ||
    /^[\s\-?:,[\]{}#&*!|>'"%@`~]/.test(text) ||
    /[\s]$/.test(text) ||
    /: |\s#/.test(text) ||
    /^(true|false|yes|no|on|off|y|n|null|~)$/i.test(text) ||
    /^[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text) ||
    /^0[xob][0-9a-f_]+$/i.test(text) ||
    /^[-+]?\.(inf|nan)$/i.test(text) ||
    /^\d+(:\d+)+/.test(text) ||
    /[\n\r\t]/.test(text);
  return risky ? JSON.stringify(text) : text;
}

/**
 * Resolve the built-in pack plus `extra` pack folders (bottom to top) into one pack.
 * @param extra absolute folders of team packs, applied in order over the built-in pack.
 * @throws UsageError for a malformed pack.
 */
export async function resolvePack(extra: string[] = []): Promise<ResolvedPack> {
  const layers = [await loadLayer(builtinPackDir())];
  for (const dir of extra) layers.push(await loadLayer(dir));
  const hb = makeHandlebars();
  // partials: top-most layer wins
  const partials = new Map<string, string>();
  for (const layer of layers) {
    for (const [name, file] of await listPartials(layer.dir)) partials.set(name, fs.readFileSync(file, 'utf8'));
  }
  const files = mergeByPath(layers.map((l) => l.files));
  const pathTemplates = [...new Set(files.map((e) => e.path).filter((p) => p.includes('{{')))];
  if ([...partials.values(), ...pathTemplates].some((text) => !knownSpec(text))) await loadCompiler();
  for (const [name, text] of partials) {
    // a partial compiled at run time is compiled when first used, as Handlebars does with text
    let fn: Handlebars.TemplateDelegate | undefined;
    const spec = knownSpec(text);
    if (spec) fn = hb.template(spec);
    hb.registerPartial(name, (ctx: unknown, options?: Handlebars.RuntimeOptions) =>
      (fn ??= hb.template(templateSpec(text)))(ctx, options),
    );
  }
  const paths = new Map(pathTemplates.map((p) => [p, hb.template(templateSpec(p))]));
  const partialsShipped = layers.length === 1 && [...partials.values()].every((text) => knownSpec(text) !== undefined);
  const cache = new Map<string, CompiledTemplate>();
  return {
    layers,
    id: layers.map((l) => `${l.name}@${l.version}`).join(' + '),
    files,
    secrets: mergeByPath(layers.map((l) => l.secrets)),
    partialNames: [...partials.keys()].sort(),
    renderPath(pathTemplate, ctx) {
      const compiled = paths.get(pathTemplate);
      if (!compiled) throw new Error(`${JSON.stringify(pathTemplate)} is not the path of a file entry of this pack`);
      const out = compiled(ctx);
      if (!isSafeRelative(out) || out.includes('\n')) {
        throw new UsageError(`invalid pack path ${JSON.stringify(pathTemplate)}: renders ${JSON.stringify(out)}`);
      }
      return out;
    },
    async template(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      for (const layer of [...layers].reverse()) {
        let text: string;
        try {
          text = fs.readFileSync(path.join(layer.dir, name), 'utf8');
        } catch {
          continue;
        }
        const known = knownSpec(text);
        if (!known) await loadCompiler();
        const compiled = hb.template(known ?? templateSpec(text));
        const entry = {
          render: (ctx: object) => compiled(ctx),
          source: `${layer.name}@${layer.version}:${name}`,
          shipped: partialsShipped && known !== undefined,
        };
        cache.set(name, entry);
        return entry;
      }
      throw new Error(`template ${name} not found in any pack layer (${layers.map((l) => l.dir).join(', ')})`);
    },
  };
}

/** True when every key of `when` matches `values` (see {@link When}). No `when` always matches. */
export function matches(when: When | undefined, values: Record<string, unknown>): boolean {
  if (!when) return true;
  return Object.entries(when).every(([k, v]) => {
    const have = values[k];
    const wanted = Array.isArray(v) ? v : [v];
    if (Array.isArray(have)) return wanted.some((w) => have.includes(w));
    return wanted.includes(have as never);
  });
}
