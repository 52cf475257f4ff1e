/**
 * The ground: the stack vocabulary every layer speaks — evidence and findings, answer fields,
 * runtime bases, the naming rules of the field. Imports nothing from dockforge but errors.
 */

/** Where a finding comes from: a path relative to the repository root and a 1-based line (0 = the file itself). */
export interface Evidence {
  file: string;
  line: number;
}

/** One detected value with the evidence for it. */
export interface Finding<T = AnswerValue> {
  value: T;
  evidence: Evidence[];
}

/** Render evidence as `file:line` (or `file` when line is 0), for summaries and prompts. */
export function formatEvidence(ev: Evidence[]): string {
  return ev.map((e) => (e.line > 0 ? `${e.file}:${e.line}` : e.file)).join(', ');
}

/** A dependency a language's detector read from its manifests or sources, matched against service drivers. */
export interface Dependency {
  /**
   * The dependency's name in the language's own terms: a Go module path, an npm package name,
   * `prisma:<provider>` for a Prisma datasource, or for C `lib:<name>` (`-l<name>`),
   * `header:<file>` (`#include`), `cmake:<Package>` (find_package), `pkg:<name>` (pkg-config).
   */
  name: string;
  evidence: Evidence;
  /**
   * How the repository names it: `import` (the code imports it), `manifest` (a direct
   * dependency in go.mod / package.json, the default), `indirect` (go.mod `// indirect`: only
   * another dependency needs it). Detection trusts them in that order when two services compete.
   */
  via?: 'import' | 'manifest' | 'indirect';
}

/** An environment variable the code reads, with where, and the default the code falls back to when visible. */
export interface EnvRead {
  name: string;
  evidence: Evidence;
  /** A literal default next to the read (`getenv("PORT", "3000")`, `process.env.PORT || 3000`). */
  fallback?: string;
  /**
   * Declared in a struct tag (`env:"PORT"`): a configuration loader's prefix
   * (LanguageSupport.envPrefixes) for the tag's package still goes before the name.
   */
  tagged?: boolean;
}

/**
 * Something dockforge cannot make work on its own, with the evidence: printed in the summary
 * and written into README.Docker.md under "Before you deploy".
 */
export interface Warning {
  /** Stable identifier, kebab-case (e.g. `hard-coded-localhost`, `required-argv`). */
  code: string;
  /** One sentence: what is wrong and what to do. */
  message: string;
  evidence: Evidence[];
}

/** What detection returns: findings by answer key, dependencies, env reads, warnings and notes for the summary. */
export interface Detection {
  findings: Record<string, Finding | undefined>;
  dependencies: Dependency[];
  /** Environment variables the code reads (every scanned source file of the language). */
  envReads: EnvRead[];
  /**
   * Variables the code refuses to start without (`env:"X,required"`): those dockforge does not
   * set itself become one warning.
   */
  requiredEnv?: EnvRead[];
  warnings: Warning[];
  notes: string[];
  /**
   * When no language identifies the folder itself: sub-folders that one does identify
   * (`backend` go, `services/api` node), for the error's hint.
   */
  candidates?: { dir: string; language: string; evidence: Evidence }[];
}

/** An empty detection (nothing detected), for commands that resolve from saved answers only. */
export function emptyDetection(): Detection {
  return { findings: {}, dependencies: [], envReads: [], warnings: [], notes: [] };
}

/** Add a warning unless one with the same code and message is there already. */
export function addWarning(d: Detection, w: Warning): void {
  if (!d.warnings.some((x) => x.code === w.code && x.message === w.message)) d.warnings.push(w);
}

/**
 * Add `NAME=value` to the `env` finding (the app's extra environment, `NAME=value,…`), with
 * its evidence; a name already there keeps its first value.
 */
export function addEnvFinding(d: Detection, name: string, value: string, evidence: Evidence): void {
  const current = d.findings.env;
  const pairs = current ? String(current.value).split(',').filter(Boolean) : [];
  if (pairs.some((p) => p.startsWith(`${name}=`))) return;
  d.findings.env = {
    value: [...pairs, `${name}=${value}`].join(','),
    evidence: [...(current?.evidence ?? []), evidence],
  };
}

/** A typed answer value. */
export type AnswerValue = string | number | boolean;

/**
 * A `when` condition (pack.yaml entries and questions, a pack question's field): every key must
 * match the value it names — equal to it, one of a list, or (when the value is a list, like the
 * render context's `service`) contained in it.
 */
export type When = Readonly<Record<string, AnswerValue | readonly AnswerValue[]>>;

/** True when every key of `when` matches `values` (see {@link When}). No `when` always matches. */
export function matches(when: When | undefined, values: Record<string, unknown>): boolean {
  if (!when) return true;
  return Object.entries(when).every(([k, v]) => {
    const have = values[k];
    const wanted: readonly unknown[] = Array.isArray(v) ? v : [v];
    if (Array.isArray(have)) return wanted.some((w) => have.includes(w));
    return wanted.includes(have);
  });
}

/**
 * A validated answer set: the core answers (typed below) plus the fields that language and
 * service modules declare (read through each module's own typed view).
 */
export interface Answers {
  /** Source language of the service: a registered language id. */
  language: string;
  /** Database the service uses: a registered database service id, or `none`. */
  database: string;
  /** Runtime base image family of the last stage (`alpine` or `distroless`). */
  base: RuntimeBase;
  /** Numeric user ID the container runs as; never 0 (hadolint DL3002, PSS restricted runAsNonRoot). */
  uid: number;
  /** Numeric group ID the container runs as; never 0. */
  gid: number;
  /** TCP port the service listens on inside the container (1-65535). */
  port: number;
  /** Service name: a DNS-1123 label (Kubernetes object names, compose service names). */
  name: string;
  /** Image reference used by compose and the Deployment, with a pinned tag (never `latest`, kube-linter latest-tag). */
  image: string;
  /** HTTP path of the health endpoint used by probes and the compose healthcheck. */
  healthPath: string;
  /** Alpine release for `alpine:<v>` and the `-alpine<v>` builder tags. */
  alpineVersion: string;
  [key: string]: AnswerValue;
}

/** Runtime base image families for the last stage (distroless README; Alpine). */
export const RUNTIME_BASES = ['alpine', 'distroless'] as const;
export type RuntimeBase = (typeof RUNTIME_BASES)[number];

/** How one answer field is parsed, validated, described and asked: one row of the field table. */
export interface FieldSpec {
  key: string;
  /** `enum`: one of `choices`; `int`: integer in [min, max]; `string`: matches `pattern`; `bool`. */
  kind: 'enum' | 'int' | 'string' | 'bool';
  /** Allowed values for `enum`. */
  choices?: readonly string[];
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Human text for the allowed values, used in error messages. */
  allowed: string;
  /** One-line description, used in prompts and `--help`. */
  describe: string;
  /** Only meaningful for this language (a language module's own field); ignored otherwise. */
  language?: string;
  /** Only meaningful when this backing service is in use (a service module's own field). */
  service?: string;
  /** Asked interactively by `init` (in table order); other fields come from detection or `--set`. */
  ask?: boolean;
  /** Also a command-line flag `--<key>` on `init` (the others go through `--set`). */
  flag?: boolean;
  /** Older names accepted for this field in answers files, flags and `--set` (e.g. `runtime` for `base`). */
  aliases?: readonly string[];
  /**
   * The value used when no flag, saved answer or detection gives one: a constant, or computed
   * from the service name (e.g. the C executable defaults to it). Absent: the field must be
   * given or detected.
   */
  fallback?: AnswerValue | ((name: string) => AnswerValue);
  /** A team pack's question: the `name@version` of the pack that asks it. */
  pack?: string;
  /**
   * Only meaningful when the other answers match (a pack question's `when`): every key equal to
   * the value or one of the listed values.
   */
  when?: When;
}

/** How a team pack was fetched: `local` folder, `npm` package or tarball, `git` URL#ref. */
export type PackSourceKind = 'local' | 'npm' | 'git';

/**
 * What answers.yaml records about a team pack (`_dockforge.packs`), so later runs use exactly
 * this pack until `generate --update-pack`.
 */
export interface PackPin {
  /** As the user gave it (relative paths stay relative to the project root). */
  source: string;
  kind: PackSourceKind;
  /** pack.yaml `name` (npm: the package name). */
  name: string;
  /** pack.yaml `version` (npm: the package version). */
  version: string;
  /** npm: the sha512 SRI npm reports; git: `git:<40-hex commit>`; local: `sha256-<base64>` of the folder. */
  integrity: string;
}

/** Largest UID/GID accepted: Linux IDs are 32-bit, Kubernetes `runAsUser` is int64 but runtimes use int32. */
export const MAX_ID = 2147483647;

/** Default UID and GID: 10001, above the ranges distributions allocate to system and login users. */
export const DEFAULT_ID = 10001;

/**
 * DNS-1123 label (Kubernetes "names", RFC 1123): lowercase alphanumerics and `-`,
 * starting and ending with an alphanumeric, at most 63 characters.
 */
export const DNS1123_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A relative path inside the project: no leading `/`, no `..` segment (used by path-valued fields). */
export const RELATIVE_PATH = /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+$/;

/** A Dockerfile stage, listed in README.Docker.md. */
export interface StageInfo {
  name: string;
  what: string;
}

/**
 * The names Compose finds by itself, in its order of preference (Compose docs, "Compose file":
 * `compose.yaml` preferred, `compose.yml`, and `docker-compose.yaml`/`.yml` for backwards
 * compatibility). Writing `compose.yaml` beside an existing `docker-compose.yml` would shadow it.
 */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** Path of the answers file, relative to the project root. */
export const ANSWERS_PATH = '.dockforge/answers.yaml';

/**
 * A call from one service of a project to another, found in the code: the caller reads `env`
 * (e.g. `API_URL`, `VITE_API_URL`) to find the callee. compose and Kubernetes set it to the
 * callee's address; the NetworkPolicies allow exactly these calls.
 */
export interface ServiceCall {
  /** The calling service's name. */
  from: string;
  /** The called service's name. */
  to: string;
  /** The variable the caller reads the callee's address from ('' when none was found). */
  env: string;
  evidence: Evidence[];
}

/** One service of a multi-service project: its name, its folder and the answers of that folder. */
export interface ProjectService {
  /** DNS-1123 label: compose service, Kubernetes object names, `k8s/<name>/`. */
  name: string;
  /** Folder of the service relative to the project root, `/`-separated (the build context). */
  dir: string;
  /** The services it calls, each with the variable that holds the address (`api=API_URL`). */
  calls: { to: string; env: string }[];
  /** The service's own answers (as for a single-service repository; `name` equals the service name). */
  answers: Answers;
}

/**
 * The answers of a multi-service project (`.dockforge/answers.yaml` with `project:` and
 * `services:`): one compose.yaml and one kustomize tree for all of them.
 */
export interface ProjectAnswers {
  /** DNS-1123 label: names the shared backing services (`<project>-postgres`) and `app.kubernetes.io/part-of`. */
  project: string;
  services: ProjectService[];
}
