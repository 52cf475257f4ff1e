/**
 * Render: answers + template pack → the files they generate. Pure with respect to the
 * target repository: nothing here reads or writes it.
 */
import { parseAllDocuments } from 'yaml';
import { fieldTable } from '../answers/fields.js';
import { answersToYaml } from '../answers/file.js';
import type { ResolvedPack } from '../templates/pack.js';
import { matches } from '../templates/pack.js';
import type { Answers, ProjectAnswers, Warning } from '../vocabulary.js';
import type { PackFileEntry } from '../templates/pack.js';
import type { RenderContext } from './context.js';
import { formatEvidence } from '../vocabulary.js';
import { buildContext } from './context.js';

/** One generated file. */
export interface RenderedFile {
  /** Relative, `/`-separated path in the target repository. */
  path: string;
  /** Exact text to write (the future merge base). */
  content: string;
  /** `pack@version:<template path>` it was rendered from. */
  template: string;
}

/**
 * A secret file: `KEY=<random>` lines made once (the random value is never changed), plus
 * derived lines whose value embeds it (`${secret}` marks where), kept up to date with the answers.
 */
export interface RenderedSecret {
  path: string;
  keys: string[];
  derived: { key: string; value: string }[];
}

/** Everything one render produces. */
export interface Rendered {
  answers: Answers;
  /** Resolved pack id. */
  pack: string;
  /** dockforge's version. */
  version: string;
  /** Managed files, in pack order. */
  files: RenderedFile[];
  secrets: RenderedSecret[];
  /** Lines `.gitignore` must contain (the secret files' folders). */
  gitignore: string[];
  /**
   * Every output path the pack declares, for any answers: its file entries' paths as written
   * (`k8s/pvc.yaml`, `{{composeFile}}`). Only files matching one may ever be deleted.
   */
  outputs: string[];
  /** Text of `.dockforge/answers.yaml`. */
  answersText: string;
  /** A multi-service project's answers (render/project.ts); `answers` is then its first service's. */
  project?: ProjectAnswers;
}

/**
 * Every path the pack's file entries can write, for any answers: a literal path as is; a
 * templated one (`{{composeFile}}`) rendered with each choice of the enum answers it names (an
 * answer with no choices keeps this render's value). Matching exact paths, not patterns, keeps
 * a `{{…}}` entry from covering every file of the root.
 */
function declaredOutputs(pack: ResolvedPack, ctx: Record<string, unknown>): string[] {
  const choices = new Map(fieldTable().map((f) => [f.key, f.choices]));
  const out = new Set<string>();
  for (const e of pack.files) {
    if (!e.path.includes('{{')) {
      out.add(e.path);
      continue;
    }
    let combos: Record<string, unknown>[] = [{}];
    for (const [, name] of e.path.matchAll(/\{\{\s*([\w]+)\s*\}\}/g)) {
      const values: readonly unknown[] = choices.get(name!) ?? [ctx[name!]];
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name!]: v })));
    }
    for (const c of combos) out.add(pack.renderPath(e.path, { ...ctx, ...c }));
  }
  return [...out];
}

/**
 * Render `entries` of `pack` with `ctx` (output paths written as Handlebars expressions are
 * rendered too).
 * @throws Error when a template fails (strict mode: an unknown variable) or renders a YAML file
 *   that does not parse — a bug in the pack, reported with the template's name.
 */
export async function renderEntries(
  pack: ResolvedPack,
  entries: readonly PackFileEntry[],
  ctx: RenderContext,
): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  for (const e of entries) {
    const entry = { ...e, path: e.path.includes('{{') ? pack.renderPath(e.path, ctx) : e.path };
    const tpl = await pack.template(entry.template);
    let content: string;
    try {
      content = tpl.render(ctx);
    } catch (err) {
      throw new Error(`template ${tpl.source} failed: ${(err as Error).message}`);
    }
    // YAML from a pack the test suite has not seen is parsed here (a pack bug is reported with the
    // template's name); the shipped pack's output is parsed by the tests on every cell
    if (/\.ya?ml$/.test(entry.path) && !tpl.shipped) {
      for (const doc of parseAllDocuments(content)) {
        if (doc.errors.length > 0) {
          throw new Error(`template ${tpl.source} rendered invalid YAML for ${entry.path}: ${doc.errors[0]!.message}`);
        }
      }
    }
    files.push({ path: entry.path, content, template: tpl.source });
  }
  return files;
}

/**
 * Render every file of `pack` that applies to `answers`.
 * @param version dockforge's version, printed in headers and recorded in the answers file.
 * @param warnings what detection found that dockforge cannot make work: README.Docker.md lists
 *   them under "Before you deploy" (none: no section).
 * @param previousAnswers the answers file as it is (its comments and key order are kept).
 * @param absent managed files the user deleted (ejected): not listed in `k8s/kustomization.yaml`'s
 *   resources, so `kubectl kustomize k8s/` keeps working without them.
 * @throws Error when a template fails (strict mode: an unknown variable) or renders a YAML
 *   file that does not parse — a bug in the pack, reported with the template's name.
 */
export async function render(
  answers: Answers,
  pack: ResolvedPack,
  version: string,
  warnings: readonly Warning[] = [],
  previousAnswers?: string,
  absent: ReadonlySet<string> = new Set(),
): Promise<Rendered> {
  const ctx = buildContext(answers, { version, pack: pack.id, partialNames: pack.partialNames, data: pack.data });
  ctx.warnings = warnings.map((w) => ({ message: w.message, evidence: formatEvidence(w.evidence) }));
  const entries = pack.files
    .filter((e) => matches(e.when, ctx))
    .map((e) => ({ ...e, path: e.path.includes('{{') ? pack.renderPath(e.path, ctx) : e.path }));
  ctx.k8sResources = entries
    .map((e) => e.path)
    .filter((p) => p.startsWith('k8s/') && p !== 'k8s/kustomization.yaml' && /\.ya?ml$/.test(p) && !absent.has(p))
    .map((p) => p.slice('k8s/'.length));
  const files = await renderEntries(pack, entries, ctx);
  const secrets = pack.secrets
    .filter((s) => matches(s.when, ctx))
    .map((s) => ({
      path: s.path,
      keys: s.keys,
      derived: ctx.secretEnv.filter((d) => d.file === s.path).map((d) => ({ key: d.key, value: d.value })),
    }));
  const gitignore = [...new Set(secrets.map((s) => `/${s.path.replace(/[^/]+$/, '')}`))];
  // an existing answers file is updated in place: the user's comments and key order stay
  const answersText = answersToYaml(
    answers,
    { version, pack: pack.id, packs: pack.pins, trust: pack.trusted },
    previousAnswers,
  );
  const outputs = declaredOutputs(pack, ctx);
  return { answers, pack: pack.id, version, files, secrets, gitignore, answersText, outputs };
}
