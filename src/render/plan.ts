/**
 * Render: answers + template pack → a plan of files. Pure with respect to the target
 * repository: nothing here reads or writes it.
 */
import { parseAllDocuments } from 'yaml';
import type { Answers } from '../answers/schema.js';
import { ANSWERS_PATH, answersToYaml } from '../answers/file.js';
import type { ResolvedPack } from '../templates/pack.js';
import { matches } from '../templates/pack.js';
import { buildContext } from './context.js';

/** One generated file. */
export interface PlannedFile {
  /** Relative, `/`-separated path in the target repository. */
  path: string;
  /** Exact text to write (the future merge base). */
  content: string;
  /** `pack@version:files/<template>` it was rendered from. */
  template: string;
}

/** A secret file to create when missing: `KEY=<random>` lines, never overwritten. */
export interface PlannedSecret {
  path: string;
  keys: string[];
}

/** Everything one render produces. */
export interface Plan {
  answers: Answers;
  /** Resolved pack id. */
  pack: string;
  version: string;
  /** Managed files, in pack order. */
  files: PlannedFile[];
  secrets: PlannedSecret[];
  /** Lines `.gitignore` must contain (secret files). */
  gitignore: string[];
  /** Text of `.dockforge/answers.yaml`. */
  answersText: string;
}

/**
 * Render every file of `pack` that applies to `answers`.
 * @param version dockforge's version, printed in headers and recorded in the answers file.
 * @throws Error when a template fails (strict mode: an unknown variable) or renders a YAML
 *   file that does not parse — a bug in the pack, reported with the template's name.
 */
export async function renderPlan(answers: Answers, pack: ResolvedPack, version: string): Promise<Plan> {
  const ctx = buildContext(answers, { version, pack: pack.id });
  const entries = pack.files.filter((e) => matches(e.when, answers as unknown as Record<string, unknown>));
  ctx.k8sResources = entries
    .map((e) => e.path)
    .filter((p) => p.startsWith('k8s/') && p !== 'k8s/kustomization.yaml' && /\.ya?ml$/.test(p))
    .map((p) => p.slice('k8s/'.length));
  const files: PlannedFile[] = [];
  for (const entry of entries) {
    const tpl = await pack.template(entry.template);
    let content: string;
    try {
      content = tpl.render(ctx);
    } catch (e) {
      throw new Error(`template ${tpl.source} failed: ${(e as Error).message}`);
    }
    if (/\.ya?ml$/.test(entry.path)) {
      for (const doc of parseAllDocuments(content)) {
        if (doc.errors.length > 0) throw new Error(`template ${tpl.source} rendered invalid YAML for ${entry.path}: ${doc.errors[0]!.message}`);
      }
    }
    files.push({ path: entry.path, content, template: tpl.source });
  }
  const secrets = pack.secrets.filter((s) => matches(s.when, answers as unknown as Record<string, unknown>)).map((s) => ({ path: s.path, keys: s.keys }));
  const gitignore = [...new Set(secrets.map((s) => `/${s.path.replace(/[^/]+$/, '')}`))];
  return { answers, pack: pack.id, version, files, secrets, gitignore, answersText: answersToYaml(answers, { version, pack: pack.id }) };
}

export { ANSWERS_PATH };
