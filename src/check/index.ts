/**
 * The checks of rendered output, shipped: the same validation the test suite runs on the
 * built-in pack's output, for the files any pack renders (`dockforge templates check`).
 *
 * - `Dockerfile`: the Dockerfile rules (`dockerfile.ts`: Dockerfile reference, BuildKit checks,
 *   hadolint rule ids, PSS restricted, Buildah compatibility, Docker docs).
 * - the compose file (a name of {@link COMPOSE_FILES}): YAML, then the Compose Specification
 *   schema (`compose.ts`).
 * - `k8s/**` YAML but `kustomization.yaml`: YAML, then every object through kubernetes-models and
 *   the Pod Security Standards restricted profile (`kubernetes.ts`).
 * - any other `*.yaml` / `*.yml`: must parse as YAML.
 *
 * The heavy modules (dockerfile-ast, ajv and the schema, kubernetes-models) are loaded when
 * {@link checkRendered} runs, and only those its files need: importing this module loads none.
 */
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type Answers, COMPOSE_FILES } from '../vocabulary.js';
import { type ComposeRules, loadComposeRules } from './compose.js';
import { type DockerfileExpect, type DockerfileRules, loadDockerfileRules } from './dockerfile.js';
import { type KubernetesRules, loadKubernetesRules, pssRestrictedErrors } from './kubernetes.js';

/** One broken rule: the file's path as given (relative, `/`-separated) and one line saying what is wrong. */
export interface CheckProblem {
  file: string;
  message: string;
}

/** What the rules need from the answers (see {@link expectFromAnswers}); today only the Dockerfile rules use it. */
export type CheckExpect = DockerfileExpect;

/** The {@link CheckExpect} of validated answers: their uid, gid, port, language, base (as `runtime`) and database. */
export function expectFromAnswers(answers: Answers): CheckExpect {
  return {
    uid: answers.uid,
    gid: answers.gid,
    port: answers.port,
    language: answers.language,
    runtime: answers.base,
    database: answers.database,
  };
}

/** How a file is checked, by its path. */
type Kind = 'dockerfile' | 'compose' | 'kubernetes' | 'yaml' | 'none';

function kindOf(file: string): Kind {
  const name = path.posix.basename(file);
  if (name === 'Dockerfile') return 'dockerfile';
  if (!/\.ya?ml$/.test(name)) return 'none';
  if ((COMPOSE_FILES as readonly string[]).includes(name)) return 'compose';
  if (file.startsWith('k8s/') && name !== 'kustomization.yaml' && name !== 'kustomization.yml') return 'kubernetes';
  return 'yaml';
}

/** The checkers a set of files needs, loaded. */
interface Rules {
  dockerfile?: DockerfileRules;
  compose?: ComposeRules;
  kubernetes?: KubernetesRules;
}

/** The problems of one file of kind `kind` (its checker loaded in `rules`). */
function fileProblems(kind: Kind, text: string, rules: Rules, expect: CheckExpect): string[] {
  if (kind === 'none') return [];
  if (kind === 'dockerfile') return rules.dockerfile!.checkDockerfile(text, expect);
  const docs = parseAllDocuments(text);
  const errors = docs.flatMap((d) => d.errors.map((e) => `does not parse as YAML: ${e.message}`));
  if (errors.length > 0) return errors;
  const values: unknown[] = docs.map((d) => d.toJSON());
  if (kind === 'compose') {
    if (values.length > 1) return [`${values.length} YAML documents, expected one`];
    return rules.compose!.composeErrors(values[0] ?? null);
  }
  if (kind === 'yaml') return [];
  // an empty document (a trailing `---`) is no object: kubectl skips it
  const objects = (values as (Record<string, any> | null)[]).filter((o) => o !== null);
  return objects.flatMap((o) => [...rules.kubernetes!.k8sErrors(o), ...pssRestrictedErrors(o)]);
}

/**
 * Check rendered files: each file by its path (see the module's comment); other files (README,
 * .dockerignore, sources, secrets) are not checked.
 * @param files the rendered files, paths relative to the project root with `/` (a `Rendered`'s `files` fit).
 * @param expect what the Dockerfile rules need from the answers ({@link expectFromAnswers}).
 * @returns every problem found, in the order of `files` and, within a file, of the rules (empty = all pass).
 * @throws EnvironmentError when the Compose schema (`schemas/compose-spec.json`) cannot be read;
 *   Error when a checker module cannot be loaded (an incomplete installation). A broken file never throws.
 */
export async function checkRendered(
  files: { path: string; content: string }[],
  expect: CheckExpect,
): Promise<CheckProblem[]> {
  const kinds = files.map((f) => kindOf(f.path));
  const [dockerfile, compose, kubernetes] = await Promise.all([
    kinds.includes('dockerfile') ? loadDockerfileRules() : undefined,
    kinds.includes('compose') ? loadComposeRules() : undefined,
    kinds.includes('kubernetes') ? loadKubernetesRules() : undefined,
  ]);
  const rules: Rules = { dockerfile, compose, kubernetes };
  return files.flatMap((f, i) =>
    fileProblems(kinds[i]!, f.content, rules, expect).map((message) => ({ file: f.path, message })),
  );
}
