/**
 * Compiling templates and parsing pack YAML, each keyed by the sha256 of the source text: the
 * build's precompiled tables (`prebuilt.ts`) first, then a per-process cache, then the work
 * itself. Templates run on Handlebars' run-time library; its compiler (and the source-map
 * library it brings) is imported only when a text was not precompiled: a team pack, an edited
 * built-in template, or a run from source.
 */
import type Handlebars from 'handlebars';
import HandlebarsRuntime from 'handlebars/runtime.js';
import { parse as parseYaml } from 'yaml';
import { sha256 } from '../files.js';
import { PREBUILT } from './prebuilt.js';

/**
 * The options every template, partial and path template is compiled with: output is not
 * HTML-escaped (`noEscape`: the files are not HTML) and an unknown variable is an error (`strict`).
 * The build precompiles with the same options (scripts/build.ts), so both ways give the same code.
 */
export const COMPILE_OPTIONS = Object.freeze({ noEscape: true, strict: true });

/** A template specification: what `Handlebars.precompile` describes and `Handlebars.template` takes. */
export type TemplateSpec = object;

/** The key of a source text in the tables and caches: its sha256, hex. */
export function contentKey(text: string): string {
  return sha256(text);
}

/** Template specifications compiled at run time in this process, by {@link contentKey}. */
const compiled = new Map<string, TemplateSpec>();

let compiler: typeof Handlebars | undefined;

/** Import Handlebars' compiler once (a no-op when it is loaded). */
export async function loadCompiler(): Promise<void> {
  compiler ??= (await import('handlebars')).default;
}

/**
 * The JavaScript source of `text`'s template specification (`Handlebars.precompile` with
 * {@link COMPILE_OPTIONS}), as the build embeds it.
 * @throws Error when the compiler is not loaded ({@link loadCompiler}); Handlebars' parse error.
 */
export function precompileSource(text: string): string {
  if (!compiler) throw new Error('the Handlebars compiler is not loaded (loadCompiler)');
  return compiler.precompile(text, { ...COMPILE_OPTIONS }) as unknown as string;
}

/** The precompiled or already compiled specification of `text`; undefined when it needs the compiler. */
export function knownSpec(text: string): TemplateSpec | undefined {
  const key = contentKey(text);
  return PREBUILT.templates[key] ?? compiled.get(key);
}

/**
 * The specification of `text`: precompiled, cached, or compiled now (the same code
 * `Handlebars.compile` makes: its precompiled source, evaluated).
 * @throws Error when a compile is needed and the compiler is not loaded ({@link loadCompiler});
 *   Handlebars' parse error for a malformed template.
 */
export function templateSpec(text: string): TemplateSpec {
  const key = contentKey(text);
  const hit = PREBUILT.templates[key] ?? compiled.get(key);
  if (hit) return hit;
  // Handlebars' own compile turns its generated source into functions the same way
  const spec = new Function(`return ${precompileSource(text)};`)() as TemplateSpec;
  compiled.set(key, spec);
  return spec;
}

/** A fresh Handlebars run-time environment (helpers and partials registered on it stay its own). */
export function runtimeEnvironment(): typeof Handlebars {
  return (HandlebarsRuntime as unknown as typeof Handlebars).create();
}

/**
 * Parse a pack YAML file's text: the build's JSON of the same text when it has one (a fresh
 * object each call), else the YAML parser (YAML 1.2 core schema, as the build used).
 * @throws the YAML parser's error for malformed text.
 */
export function parsePackYaml(text: string): unknown {
  const json = PREBUILT.yaml[contentKey(text)];
  return json !== undefined ? JSON.parse(json) : parseYaml(text);
}

/** A node of Handlebars' parse tree, as far as {@link partialsUsed} walks it. */
interface AstNode {
  type: string;
  name?: { type: string; original?: unknown };
  [key: string]: unknown;
}

/**
 * The partials `text` names statically (`{{> k8s/labels}}`, `{{#> name}}…{{/name}}`); a partial
 * chosen at run time (`{{> (lookup partials "dockerfile")}}`) is not listed.
 * @throws Error when the compiler is not loaded ({@link loadCompiler}); Handlebars' parse error.
 */
export function partialsUsed(text: string): string[] {
  if (!compiler) throw new Error('the Handlebars compiler is not loaded (loadCompiler)');
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as AstNode;
    if ((n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') && n.name?.type === 'PathExpression') {
      out.add(String(n.name.original));
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'loc' && typeof value === 'object') visit(value);
  };
  visit(compiler.parse(text));
  return [...out].sort();
}
