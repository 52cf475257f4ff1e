/**
 * Template packs: loading, layering and the Handlebars environment.
 *
 * A pack is a folder (docs/packs.md; schema: `pack.schema.ts`):
 * - `pack.yaml`: `name`, `version` (semver), optional `extends` (the pack it layers over),
 *   `questions` (declarative answers the pack adds), the shared `files` (output path, template
 *   under `files/`, optional `when`), `secrets`, `data` (values such as `registryMirrors`) and,
 *   run only with `--trust`, `helpers`;
 * - `files/`: shared templates; `partials/`: shared named partials (`dockerfile/runtime`,
 *   `k8s/container`, …: the extension points);
 * - `languages/<id>/` and `services/<id>/`: one folder per language and per backing service.
 *   Each `*.hbs` directly inside is a partial named `languages/<id>/<name>`
 *   (`services/<id>/<name>`); an optional `files.yaml` lists the files the module adds
 *   (templates under its own `files/`), implicitly only `when` that language (or service) is in use.
 *
 * Packs are layered like the VS Code container templates' overrides: the built-in pack is the
 * bottom layer and each further layer overrides it template by template and partial by partial
 * (same path), entry by entry (same output `path`), question by question (same name) and data
 * value by data value (same key). The top layer is the repository's own `.dockforge/templates/`
 * (templates and partials only, no pack.yaml), then the team pack, then its `extends` chain.
 *
 * Templates, partials and path templates run on Handlebars' run-time library, one isolated
 * instance per resolved pack, strict (an unknown variable is an error), without HTML escaping
 * and without prototype access: the built-in pack's are precompiled by the build and found by
 * the sha256 of their text; any other text (a team pack's, an override) is compiled at run time
 * (see `compile.ts`). A pack's own helpers run only when the user trusts that exact pack.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Handlebars from 'handlebars';
import { UsageError, clip } from '../errors.js';
import type { FieldSpec, PackPin, When } from '../vocabulary.js';
import { matches } from '../vocabulary.js';
import { knownSpec, loadCompiler, parsePackYaml, runtimeEnvironment, templateSpec } from './compile.js';
import { MODULE_FILES_SCHEMA, PACK_SCHEMA } from './pack.schema.js';

/** The built-in pack's name: what `extends.name` names to layer over it. */
export const BUILTIN_PACK = 'dockforge-builtin';

/** Repository-local overrides, relative to the project root: the top layer when present. */
export const LOCAL_TEMPLATES = '.dockforge/templates';

export type { When };
export { matches };

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

/** A question a pack adds (pack.yaml `questions`): asked, validated, saved, available in templates. */
export interface PackQuestion {
  /** Answer name: `^[a-z][A-Za-z0-9]*$`, not a built-in answer. */
  name: string;
  type: 'string' | 'int' | 'bool' | 'choice';
  description: string;
  default?: string | number | boolean;
  /** `choice`: the allowed values. */
  choices?: string[];
  /** `string`: a regular expression the whole value must match (on top of the safe characters). */
  pattern?: string;
  /** `int`: bounds (default 0 and 2^31 - 1). */
  min?: number;
  max?: number;
  /** Asked and saved only when the other answers match (e.g. `{ language: go }`). */
  when?: When;
}

/** Where a layer comes from. */
export type LayerOrigin = 'builtin' | 'team' | 'local';

/** A loaded pack layer. */
export interface PackLayer {
  /** Absolute folder. */
  dir: string;
  name: string;
  /** Semver; '' for the repository-local overrides. */
  version: string;
  origin: LayerOrigin;
  files: PackFileEntry[];
  secrets: PackSecretEntry[];
  questions: PackQuestion[];
  /** pack.yaml `data`. */
  data: Record<string, unknown>;
  /** pack.yaml `extends`. */
  extends?: { name: string; version: string; source?: string };
  /** pack.yaml `helpers`: a CommonJS file of the pack, relative to `dir`. */
  helpers?: string;
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
  /** `name@version` of every pack layer (not the repository-local overrides), bottom first, joined by ` + `. */
  id: string;
  files: PackFileEntry[];
  secrets: PackSecretEntry[];
  /** Questions of every layer, the top-most definition of each name. */
  questions: PackQuestion[];
  /** `data` of every layer merged by key, top-most wins. */
  data: Record<string, unknown>;
  /** Every partial name any layer defines. */
  partialNames: string[];
  /** The team pack and its chain as pinned (top first; [] for the built-in pack): recorded in answers.yaml. */
  pins: PackPin[];
  /** Integrities of pinned packs whose helpers are trusted: recorded in answers.yaml. */
  trusted: string[];
  /**
   * Render an output path written as a Handlebars expression (`"{{composeFile}}"`): the `path`
   * of one of the pack's file entries (compiled when the pack is resolved).
   * @throws UsageError when the result is not a relative path inside the project; Error when
   *   `pathTemplate` is not an entry's path.
   */
  renderPath(pathTemplate: string, ctx: object): string;
  /**
   * Compile a template (path relative to the pack root) from the top-most layer that has it.
   * @throws Error when no layer has it; UsageError when the winning text does not compile.
   */
  template(name: string): Promise<CompiledTemplate>;
  /**
   * The top-most text of a template (`files/Dockerfile.hbs`) or partial (`partials/k8s/labels.hbs`,
   * `languages/go/runtime.hbs`) and the layer it comes from; undefined when no layer has it.
   */
  text(file: string): { text: string; layer: PackLayer } | undefined;
  /** Every template and partial file (pack-relative), with the layers that have it, top-most first. */
  listing(): { file: string; kind: 'template' | 'partial'; layers: PackLayer[] }[];
}

/** `name@version` of a layer; the repository's overrides (no version) by their folder, `.dockforge/templates`. */
export function layerLabel(layer: Pick<PackLayer, 'name' | 'version'>): string {
  return layer.version ? `${layer.name}@${layer.version}` : layer.name;
}

/** Folder of the built-in pack, shipped in the npm package next to dist/. */
export function builtinPackDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
}

function isSafeRelative(p: string): boolean {
  return p.length > 0 && !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..');
}

/**
 * Output paths no pack may write: dockforge's own state (answers, record, lock, journal) and
 * anything under `.git/` (git's own files: a hook there would run on the user's next commit).
 */
const RESERVED_OUTPUT = /^(\.git(\/|$)|\.dockforge\/(answers\.yaml|manifest\.json|lock|journal\.json|templates)(\/|$))/;

/**
 * Read a file of a pack layer: a regular file inside `layer.dir` (a symlink is refused: a pack
 * reads nothing outside itself). Undefined when absent. The built-in pack's files (shipped with
 * dockforge) are read without the check.
 * @param trusted the built-in pack: read as it is.
 * @throws UsageError naming the file when it is a symlink, a folder or another non-regular file.
 */
export function readPackFile(dir: string, rel: string, trusted = false): string | undefined {
  const file = path.join(dir, rel);
  if (trusted) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (!st.isFile()) {
    throw new UsageError(`refusing pack file ${file}: not a regular file (a pack reads only its own regular files)`);
  }
  return fs.readFileSync(file, 'utf8');
}

async function readYaml(dir: string, rel: string): Promise<Record<string, unknown> | undefined> {
  const raw = readPackFile(dir, rel);
  if (raw === undefined) return undefined;
  try {
    return (parsePackYaml(raw) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`invalid pack file ${path.join(dir, rel)}: ${(e as Error).message.split('\n')[0]}`);
  }
}

type SchemaValidator = ((doc: unknown) => boolean) & {
  errors?:
    | {
        instancePath: string;
        keyword: string;
        message?: string;
        params?: Record<string, unknown>;
        parentSchema?: { description?: string };
        data?: unknown;
      }[]
    | null;
};
const validators = new Map<object, SchemaValidator>();

/**
 * Check a team pack's pack.yaml or files.yaml against its schema (ajv, loaded on first use).
 * @throws UsageError `invalid pack <file> at <JSON pointer>: <message>` (for a value the schema
 *   rules out by pattern, the property's description and the value found).
 */
async function checkSchema(doc: unknown, schema: object, where: string): Promise<void> {
  let validate = validators.get(schema);
  if (!validate) {
    const ajv = await import('ajv/dist/2020.js');
    const Ajv2020 = ajv.Ajv2020 ?? (ajv as { default?: { Ajv2020?: typeof ajv.Ajv2020 } }).default!.Ajv2020!;
    // strict, but `required` may name properties declared beside an if/then (the question rules)
    const options = { allErrors: false, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true };
    validate = new Ajv2020(options).compile(schema) as SchemaValidator;
    validators.set(schema, validate);
  }
  if (validate(doc)) return;
  const err = validate.errors?.[0];
  const pointer = err?.instancePath || '(top level)';
  const scalar = ['string', 'number', 'boolean'].includes(typeof err?.data);
  const found = scalar ? ` (found ${clip(JSON.stringify(err?.data), 80)})` : '';
  const described = err?.parentSchema?.description;
  let message = err?.message ?? 'does not match the schema';
  if ((err?.keyword === 'not' || err?.keyword === 'pattern') && described) message = `expected ${described}${found}`;
  else if (err?.params?.additionalProperty) message += ` (${String(err.params.additionalProperty)})`;
  else if (err?.params?.allowedValues) message += ` (${(err.params.allowedValues as unknown[]).join(', ')})${found}`;
  throw new UsageError(`invalid pack ${where} at ${pointer}: ${message}`);
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
    if (RESERVED_OUTPUT.test(e.path)) {
      throw new UsageError(
        `invalid pack ${where}: file path ${JSON.stringify(e.path)} is dockforge's own state or git's: ` +
          'a pack may not write it',
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
 * Load one pack layer from `dir`: pack.yaml, then each module folder's files.yaml. A team pack's
 * files are checked against their JSON Schema first (`pack.schema.ts`); the built-in pack's are
 * the test suite's to check.
 * @param origin `builtin`, `team`, or `local` (the repository's `.dockforge/templates/`: no
 *   pack.yaml; templates and partials only).
 * @throws UsageError when pack.yaml is missing, malformed or does not match the schema (names
 *   the file and the JSON pointer), or lists an unsafe or reserved output path.
 */
export async function loadLayer(dir: string, origin: LayerOrigin = 'builtin'): Promise<PackLayer> {
  if (origin === 'local') {
    return { dir, name: LOCAL_TEMPLATES, version: '', origin, files: [], secrets: [], questions: [], data: {} };
  }
  const doc = await readYaml(dir, 'pack.yaml');
  if (!doc) throw new UsageError(`invalid pack ${JSON.stringify(dir)}: expected a folder with pack.yaml`);
  if (origin === 'team') await checkSchema(doc, PACK_SCHEMA, `${dir}/pack.yaml`);
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
      const mod = await readYaml(dir, `${moduleDir}/files.yaml`);
      if (!mod) continue;
      if (origin === 'team') await checkSchema(mod, MODULE_FILES_SCHEMA, `${dir}/${moduleDir}/files.yaml`);
      const more = entries(mod, `${dir}/${moduleDir}/files.yaml`, `${moduleDir}/files`, { [key]: id });
      files.push(...more.files);
      secrets.push(...more.secrets);
    }
  }
  const questions = (doc.questions ?? []) as PackQuestion[];
  for (const q of questions) checkQuestion(q, `${dir}/pack.yaml`);
  return {
    dir,
    name: doc.name,
    version: doc.version,
    origin,
    files,
    secrets,
    questions,
    data: (doc.data ?? {}) as Record<string, unknown>,
    extends: doc.extends as PackLayer['extends'],
    helpers: typeof doc.helpers === 'string' ? doc.helpers : undefined,
  };
}

/**
 * What the schema cannot say about a question: its pattern compiles, min ≤ max, and its
 * default is one of its own allowed values.
 * @throws UsageError naming the pack file and the question.
 */
function checkQuestion(q: PackQuestion, where: string): void {
  const bad = (why: string): never => {
    throw new UsageError(`invalid pack ${where}: question ${q.name}: ${why}`);
  };
  if (q.pattern !== undefined) {
    try {
      new RegExp(q.pattern, 'u');
    } catch (e) {
      bad(`pattern does not compile: ${clip((e as Error).message, 120)}`);
    }
  }
  if (q.min !== undefined && q.max !== undefined && q.min > q.max) bad('min is greater than max');
  if (q.default === undefined) return;
  const ok =
    q.type === 'bool'
      ? typeof q.default === 'boolean'
      : q.type === 'int'
        ? Number.isSafeInteger(q.default) &&
          (q.default as number) >= (q.min ?? 0) &&
          (q.default as number) <= (q.max ?? QUESTION_INT_MAX)
        : q.type === 'choice'
          ? q.choices!.includes(String(q.default))
          : typeof q.default === 'string';
  if (!ok) bad(`default ${JSON.stringify(q.default)} is not a valid ${q.type}`);
}

/** Partials of one layer: name → pack-relative file (`partials/**`, and each module folder's own `*.hbs`). */
async function listPartials(layerDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { file, kind } of packFiles(layerDir, ['partials', 'languages', 'services'], 2)) {
    if (kind !== 'partial') continue;
    const name = file.startsWith('partials/') ? file.slice('partials/'.length, -4) : file.slice(0, -4);
    out.set(name, file);
  }
  return out;
}

function mergeByPath<T extends { path: string; when?: When }>(layers: T[][]): T[] {
  const out: T[] = [];
  // a single service's compose.yaml and a project's are two entries (pack.yaml `layout`)
  const slot = (e: T): string => `${e.path}\0${JSON.stringify(e.when?.layout ?? null)}`;
  for (const list of layers) {
    for (const entry of list) {
      const i = out.findIndex((e) => slot(e) === slot(entry));
      if (i >= 0) out[i] = entry;
      else out.push(entry);
    }
  }
  return out;
}

/** The built-in helpers' names: a pack's own helpers may not replace them (`yaml` keeps values safe). */
export const BUILTIN_HELPERS = ['eq', 'and', 'or', 'not', 'json', 'flow', 'yaml'] as const;

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
 * Register a trusted layer's own helpers (pack.yaml `helpers`: a CommonJS file of the pack whose
 * `module.exports` maps helper names to functions) on `hb`.
 * @throws UsageError when the file is not a regular file of the pack, does not load, exports
 *   something else than functions, or names a built-in helper.
 */
function registerPackHelpers(hb: typeof Handlebars, layer: PackLayer): void {
  const where = `${layerLabel(layer)} helpers ${layer.helpers}`;
  if (readPackFile(layer.dir, layer.helpers!) === undefined) {
    throw new UsageError(`invalid pack ${where}: no such file`);
  }
  let exported: unknown;
  try {
    exported = createRequire(path.join(layer.dir, 'pack.yaml'))(path.join(layer.dir, layer.helpers!));
  } catch (e) {
    throw new UsageError(`invalid pack ${where}: it does not load: ${clip((e as Error).message.split('\n')[0]!, 200)}`);
  }
  if (typeof exported !== 'object' || exported === null) {
    throw new UsageError(`invalid pack ${where}: expected module.exports = { name: function, … }`);
  }
  for (const [name, fn] of Object.entries(exported)) {
    if (typeof fn !== 'function' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
      throw new UsageError(`invalid pack ${where}: ${name} is not a helper (a function with a plain name)`);
    }
    if ((BUILTIN_HELPERS as readonly string[]).includes(name)) {
      throw new UsageError(`invalid pack ${where}: ${name} is a built-in helper and cannot be replaced`);
    }
    hb.registerHelper(name, fn as Handlebars.HelperDelegate);
  }
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

/** How {@link resolvePack} layers packs. */
export interface ResolveOptions {
  /**
   * Whether a layer's own helpers may run: the user's `--trust`, or a trust recorded in answers
   * for that exact pack. A layer with helpers and no trust is refused.
   */
  trust?: (layer: PackLayer) => boolean;
  /** No built-in pack at the bottom: the first extra layer is a pack without `extends`. */
  standalone?: boolean;
  /** The pins and trusted integrities to record (see {@link ResolvedPack.pins}). */
  pins?: PackPin[];
  trusted?: string[];
}

/** Run-time options of every template call: no access to prototype properties or methods (Handlebars ≥ 4.6). */
const RUNTIME_OPTIONS = Object.freeze({ allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });

/**
 * Resolve the built-in pack plus `extra` layers (bottom to top) into one pack.
 * @param extra folders (loaded as team packs) or loaded layers, applied in order over the
 *   built-in pack (over nothing with `standalone`).
 * @throws UsageError for a malformed pack, a layer with helpers that is not trusted, or a
 *   question that two layers define with different types.
 */
export async function resolvePack(
  extra: (string | PackLayer)[] = [],
  opts: ResolveOptions = {},
): Promise<ResolvedPack> {
  const layers = opts.standalone ? [] : [await loadLayer(builtinPackDir())];
  for (const l of extra) layers.push(typeof l === 'string' ? await loadLayer(l, 'team') : l);
  const hb = makeHandlebars();
  for (const layer of layers.filter((l) => l.helpers)) {
    if (!opts.trust?.(layer)) {
      throw new UsageError(
        `refusing pack ${layerLabel(layer)}: it registers Handlebars helpers (${layer.helpers}), code that ` +
          'would run inside dockforge: pass --trust to allow it (recorded in answers.yaml for this exact version)',
      );
    }
    registerPackHelpers(hb, layer);
  }
  // partials: top-most layer wins
  const partials = new Map<string, string>();
  for (const layer of layers) {
    const trusted = layer.origin === 'builtin';
    for (const [name, rel] of await listPartials(layer.dir)) partials.set(name, readPackFile(layer.dir, rel, trusted)!);
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
      (fn ??= hb.template(compileText(text, `partial ${name}`)))(ctx, { ...options, ...RUNTIME_OPTIONS }),
    );
  }
  const paths = new Map(pathTemplates.map((p) => [p, hb.template(compileText(p, `path ${p}`))]));
  const onlyBuiltin = layers.length === 1 && layers[0]!.origin === 'builtin';
  const partialsShipped = onlyBuiltin && [...partials.values()].every((text) => knownSpec(text) !== undefined);
  const cache = new Map<string, CompiledTemplate>();
  const questions = new Map<string, PackQuestion>();
  for (const layer of layers) {
    for (const q of layer.questions) {
      const before = questions.get(q.name);
      if (before && before.type !== q.type) {
        throw new UsageError(
          `invalid pack ${layerLabel(layer)}: question ${q.name} is a ${q.type} here ` +
            `and a ${before.type} below`,
        );
      }
      questions.set(q.name, q);
    }
  }
  const text = (file: string): { text: string; layer: PackLayer } | undefined => {
    for (const layer of [...layers].reverse()) {
      const t = readPackFile(layer.dir, file, layer.origin === 'builtin');
      if (t !== undefined) return { text: t, layer };
    }
    return undefined;
  };
  return {
    layers,
    id: layers
      .filter((l) => l.origin !== 'local')
      .map(layerLabel)
      .join(' + '),
    files,
    secrets: mergeByPath(layers.map((l) => l.secrets)),
    questions: [...questions.values()],
    data: Object.assign({}, ...layers.map((l) => l.data)) as Record<string, unknown>,
    partialNames: [...partials.keys()].sort(),
    pins: opts.pins ?? [],
    trusted: opts.trusted ?? [],
    renderPath(pathTemplate, ctx) {
      const compiled = paths.get(pathTemplate);
      if (!compiled) throw new Error(`${JSON.stringify(pathTemplate)} is not the path of a file entry of this pack`);
      const out = compiled(ctx, RUNTIME_OPTIONS);
      if (!isSafeRelative(out) || out.includes('\n') || RESERVED_OUTPUT.test(out)) {
        throw new UsageError(`invalid pack path ${JSON.stringify(pathTemplate)}: renders ${JSON.stringify(out)}`);
      }
      return out;
    },
    async template(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const found = text(name);
      if (!found) {
        throw new Error(`template ${name} not found in any pack layer (${layers.map((l) => l.dir).join(', ')})`);
      }
      const known = knownSpec(found.text);
      if (!known) await loadCompiler();
      const source = `${layerLabel(found.layer)}:${name}`;
      const compiled = hb.template(known ?? compileText(found.text, `template ${source}`));
      const entry = {
        render: (ctx: object) => compiled(ctx, RUNTIME_OPTIONS),
        source,
        shipped: partialsShipped && known !== undefined,
      };
      cache.set(name, entry);
      return entry;
    },
    text,
    listing() {
      const out = new Map<string, { file: string; kind: 'template' | 'partial'; layers: PackLayer[] }>();
      for (const layer of [...layers].reverse()) {
        for (const { file, kind } of packFiles(layer.dir)) {
          const e = out.get(file) ?? { file, kind, layers: [] };
          e.layers.push(layer);
          out.set(file, e);
        }
      }
      return [...out.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    },
  };
}

/**
 * The template specification of `text`, with a Handlebars parse error reported as a pack error.
 * @throws UsageError `invalid pack <what>: <Handlebars' first line>`.
 */
function compileText(text: string, what: string): ReturnType<typeof templateSpec> {
  if (typeof text !== 'string') throw new UsageError(`invalid pack ${what}: not text`);
  try {
    return templateSpec(text);
  } catch (e) {
    throw new UsageError(`invalid pack ${what}: ${clip((e as Error).message.split('\n')[0]!, 200)}`);
  }
}

/**
 * Every `.hbs` file of a pack folder, pack-relative: partials (`partials/**`, and the `*.hbs`
 * directly in `languages/<id>/` and `services/<id>/`) and templates (everything else).
 * @param tops only these top-level folders (all when absent).
 * @param moduleDepth folders below `languages/` and `services/` are walked this deep (2: only a
 *   module folder's own files, not its `files/`); unlimited when absent.
 */
export function packFiles(
  dir: string,
  tops?: readonly string[],
  moduleDepth = Infinity,
): { file: string; kind: 'template' | 'partial' }[] {
  const out: { file: string; kind: 'template' | 'partial' }[] = [];
  const walk = (rel: string, depth: number): void => {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      const file = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (rel === '' && tops && !tops.includes(e.name)) continue;
        const inModule = /^(languages|services)(\/|$)/.test(file);
        if (!inModule || depth + 1 <= moduleDepth) walk(file, depth + 1);
      } else if (e.isFile() && e.name.endsWith('.hbs')) {
        const partial = file.startsWith('partials/') || /^(languages|services)\/[^/]+\/[^/]+\.hbs$/.test(file);
        out.push({ file, kind: partial ? 'partial' : 'template' });
      }
    }
  };
  walk('', 0);
  return out;
}

/**
 * The characters a pack question's text answer may hold: letters, digits, space and `._:/@+=,%-`
 * — no newline, quote, `$`, backquote or other shell and YAML syntax, so an answer cannot start
 * a Dockerfile instruction, a YAML key or a command substitution wherever a template puts it.
 */
export const SAFE_TEXT = "[A-Za-z0-9 ._:/@+=,%-]";

/** Largest pack question integer when the question gives no `max` (and the smallest without `min`: 0). */
const QUESTION_INT_MAX = 2147483647;

/**
 * A resolved pack's questions as answer fields (see `usePackFields` in answers/fields.ts): asked
 * by `init` (prefilled with their defaults), set with `--set name=value`, validated like the
 * built-in ones. A `string` answer matches the question's pattern and holds only {@link SAFE_TEXT}
 * characters (at most 200).
 */
export function questionFields(pack: ResolvedPack): FieldSpec[] {
  const owner = (q: PackQuestion): string => {
    const layer = [...pack.layers].reverse().find((l) => l.questions.includes(q));
    return layer ? layerLabel(layer) : pack.id;
  };
  return pack.questions.map((q): FieldSpec => {
    const base = { key: q.name, describe: q.description, ask: true, pack: owner(q), when: q.when, fallback: q.default };
    switch (q.type) {
      case 'choice':
        return { ...base, kind: 'enum', choices: q.choices!, allowed: q.choices!.join(', ') };
      case 'int': {
        const [min, max] = [q.min ?? 0, q.max ?? QUESTION_INT_MAX];
        return { ...base, kind: 'int', min, max, allowed: `an integer from ${min} to ${max}` };
      }
      case 'bool':
        return { ...base, kind: 'bool', allowed: 'true or false' };
      default: {
        const user = q.pattern ?? `${SAFE_TEXT}*`;
        return {
          ...base,
          kind: 'string',
          pattern: new RegExp(`^(?=${SAFE_TEXT}{0,200}$)(?:${user})$`, 'u'),
          allowed:
            `${q.pattern ? `text matching ${q.pattern}, ` : ''}at most 200 characters: letters, digits, spaces and ` +
            '._:/@+=,%- (no quotes, $, ` or newlines)',
        };
      }
    }
  });
}
