/**
 * The answer set: every value a render depends on, typed, validated, with its allowed values.
 *
 * This is dockforge's variable manifest (the idea comes from Azure draft's per-template
 * `draft.yaml` variables and Copier's answers file): one table of fields, each with its type,
 * allowed values and a one-line description, from which the CLI flags, the prompts, the
 * `--set key=value` parser, validation of `.dockforge/answers.yaml` and the error messages are
 * all derived.
 */

/** Languages with a built-in template set. */
export const LANGUAGES = ['go', 'node', 'c'] as const;
/** Databases a service can use; `none` means no volume and no db service. */
export const DATABASES = ['sqlite', 'postgres', 'none'] as const;
/** Runtime base image families for the final stage. */
export const RUNTIMES = ['alpine', 'distroless'] as const;
/** Node package managers, chosen from the lockfile. */
export const PACKAGE_MANAGERS = ['npm', 'yarn', 'pnpm'] as const;
/** C build systems. */
export const C_BUILDS = ['make', 'cmake'] as const;
/**
 * Node majors that have both an official `node:<major>-alpine` image and a
 * `gcr.io/distroless/nodejs<major>-debian13` image (distroless README, "nodejs" images).
 */
export const NODE_MAJORS = ['20', '22', '24'] as const;

export type Language = (typeof LANGUAGES)[number];
export type Database = (typeof DATABASES)[number];
export type Runtime = (typeof RUNTIMES)[number];
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];
export type CBuild = (typeof C_BUILDS)[number];

/**
 * A complete, validated answer set. Every key is written to `.dockforge/answers.yaml`
 * (top-level, in this order) and is available to templates under the same name.
 */
export interface Answers {
  /** Source language of the service. */
  language: Language;
  /** Database the service uses. */
  database: Database;
  /** Runtime base image family of the final stage. */
  runtime: Runtime;
  /** Numeric user ID the container runs as; never 0 (hadolint DL3002, PSS restricted runAsNonRoot). */
  uid: number;
  /** Numeric group ID the container runs as; never 0. */
  gid: number;
  /** TCP port the service listens on inside the container (1-65535). */
  port: number;
  /** Service name: a DNS-1123 label (Kubernetes object names, compose project/service names). */
  name: string;
  /** Image reference used by compose and the Deployment, with a pinned tag (never `latest`, kube-linter latest-tag). */
  image: string;
  /** HTTP path of the health endpoint used by probes and the compose healthcheck. */
  healthPath: string;
  /** Alpine release for `alpine:<v>`, `golang:<go>-alpine<v>` and `node:<major>-alpine<v>`. */
  alpineVersion: string;
  /** Go: toolchain `major.minor` from go.mod's `go` line; selects `golang:<v>-…` builder images. */
  goVersion: string;
  /** Go: package path of the main package, `.` or `./cmd/<name>`. */
  goMain: string;
  /** Go: true when a cgo driver (github.com/mattn/go-sqlite3) is used, so the build needs a C toolchain and libc. */
  cgo: boolean;
  /** Node: major version (`20`, `22`, `24`). */
  nodeVersion: string;
  /** Node: package manager, from the lockfile. */
  packageManager: PackageManager;
  /** Node: the file `node` runs, relative to the app root (e.g. `server.js`, `dist/server.js`). */
  nodeStart: string;
  /** Node: true when package.json has a `build` script, so a build stage runs it. */
  nodeBuild: boolean;
  /** Node: folder the build script writes (copied into the runtime stage), e.g. `dist`. */
  nodeBuildOutput: string;
  /** Node: true when a dependency compiles a native addon (better-sqlite3, sqlite3), so deps build on the runtime's libc. */
  nodeNative: boolean;
  /** C: build system. */
  cBuild: CBuild;
  /** C: name of the executable the build produces (make TARGET or CMake add_executable). */
  cBinary: string;
}

export type AnswerKey = keyof Answers;

/** How one field is parsed, validated, described and asked. */
export interface FieldSpec {
  key: AnswerKey;
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
  /** Only meaningful for this language; ignored (but kept) otherwise. */
  language?: Language;
  /** Asked interactively by `init` (in this order); other fields come from detection or `--set`. */
  ask?: boolean;
}

/** Largest UID/GID accepted: Linux IDs are 32-bit, Kubernetes `runAsUser` is int64 but runtimes use int32. */
export const MAX_ID = 2147483647;

/**
 * DNS-1123 label (Kubernetes "names", RFC 1123): lowercase alphanumerics and `-`,
 * starting and ending with an alphanumeric, at most 63 characters.
 */
export const DNS1123_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The field table, in the order answers are asked and written. */
export const FIELDS: readonly FieldSpec[] = [
  { key: 'language', kind: 'enum', choices: LANGUAGES, allowed: LANGUAGES.join(', '), describe: 'Language of the service', ask: true },
  { key: 'database', kind: 'enum', choices: DATABASES, allowed: DATABASES.join(', '), describe: 'Database', ask: true },
  { key: 'runtime', kind: 'enum', choices: RUNTIMES, allowed: RUNTIMES.join(', '), describe: 'Runtime base image', ask: true },
  { key: 'uid', kind: 'int', min: 1, max: MAX_ID, allowed: `an integer from 1 to ${MAX_ID} (0 is root)`, describe: 'User ID the container runs as', ask: true },
  { key: 'gid', kind: 'int', min: 1, max: MAX_ID, allowed: `an integer from 1 to ${MAX_ID} (0 is root)`, describe: 'Group ID the container runs as' },
  { key: 'port', kind: 'int', min: 1, max: 65535, allowed: 'an integer from 1 to 65535', describe: 'Port the service listens on', ask: true },
  { key: 'name', kind: 'string', pattern: DNS1123_LABEL, allowed: 'a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters', describe: 'Service name', ask: true },
  { key: 'image', kind: 'string', pattern: /^(?!.*:latest$)[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/, allowed: 'an image reference with a pinned tag, e.g. registry.example.com/app:1.0.0 (not :latest)', describe: 'Image reference (repository:tag)' },
  { key: 'healthPath', kind: 'string', pattern: /^\/[A-Za-z0-9._~\/-]*$/, allowed: 'an absolute URL path such as /health', describe: 'Health endpoint path' },
  { key: 'alpineVersion', kind: 'string', pattern: /^3\.\d{1,2}$/, allowed: 'an Alpine release such as 3.22', describe: 'Alpine release' },
  { key: 'goVersion', kind: 'string', pattern: /^1\.\d{1,2}$/, allowed: 'a Go release as major.minor, e.g. 1.25', describe: 'Go version', language: 'go' },
  { key: 'goMain', kind: 'string', pattern: /^\.(\/[A-Za-z0-9._-]+)*$/, allowed: 'a package path such as . or ./cmd/server', describe: 'Go main package', language: 'go' },
  { key: 'cgo', kind: 'bool', allowed: 'true or false', describe: 'Go: build with cgo', language: 'go' },
  { key: 'nodeVersion', kind: 'enum', choices: NODE_MAJORS, allowed: NODE_MAJORS.join(', '), describe: 'Node.js major version', language: 'node' },
  { key: 'packageManager', kind: 'enum', choices: PACKAGE_MANAGERS, allowed: PACKAGE_MANAGERS.join(', '), describe: 'Node package manager', language: 'node' },
  { key: 'nodeStart', kind: 'string', pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\/-]+$/, allowed: 'a relative file path such as server.js', describe: 'Node start file', language: 'node' },
  { key: 'nodeBuild', kind: 'bool', allowed: 'true or false', describe: 'Node: run the build script', language: 'node' },
  { key: 'nodeBuildOutput', kind: 'string', pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\/-]+$/, allowed: 'a relative folder such as dist', describe: 'Node build output folder', language: 'node' },
  { key: 'nodeNative', kind: 'bool', allowed: 'true or false', describe: 'Node: dependencies build native addons', language: 'node' },
  { key: 'cBuild', kind: 'enum', choices: C_BUILDS, allowed: C_BUILDS.join(', '), describe: 'C build system', language: 'c' },
  { key: 'cBinary', kind: 'string', pattern: /^[A-Za-z0-9._-]+$/, allowed: 'a file name such as server', describe: 'C executable name', language: 'c' },
];

/** Look up a field by key; undefined for unknown keys. */
export function fieldSpec(key: string): FieldSpec | undefined {
  return FIELDS.find((f) => f.key === key);
}

/**
 * Error for invalid user input: the CLI prints `message` on one line and exits with code 2
 * without writing anything.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parse and validate one raw value (from a flag, `--set`, a prompt or answers.yaml).
 *
 * @param key field name; unknown keys throw.
 * @param raw string, number or boolean as it came in.
 * @returns the typed value.
 * @throws UsageError `invalid <key> "<raw>": expected <allowed values>` (one line).
 */
export function parseField(key: string, raw: unknown): Answers[AnswerKey] {
  const spec = fieldSpec(key);
  if (!spec) {
    throw new UsageError(`unknown answer "${key}": expected one of ${FIELDS.map((f) => f.key).join(', ')}`);
  }
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  const fail = (): never => {
    throw new UsageError(`invalid ${key} ${JSON.stringify(text)}: expected ${spec.allowed}`);
  };
  switch (spec.kind) {
    case 'enum':
      if (!spec.choices!.includes(text)) fail();
      return text as Answers[AnswerKey];
    case 'int': {
      if (!/^-?\d+$/.test(text)) fail();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < spec.min! || n > spec.max!) fail();
      return n;
    }
    case 'bool':
      if (text === 'true') return true;
      if (text === 'false') return false;
      return fail();
    case 'string':
      if (!spec.pattern!.test(text)) fail();
      return text;
  }
}

/**
 * Validate a whole answer set (e.g. read back from `.dockforge/answers.yaml`).
 * Fields that belong to another language (e.g. `nodeVersion` for Go) may be absent: they are
 * filled from {@link fallbackFor}, so a Go project's answers file holds no Node keys.
 *
 * @param input an object with the keys of {@link Answers}; unknown keys are refused.
 * @returns a typed copy with fields in {@link FIELDS} order.
 * @throws UsageError naming the first unknown, missing or invalid field.
 */
export function validateAnswers(input: Record<string, unknown>): Answers {
  for (const key of Object.keys(input)) {
    if (!fieldSpec(key)) parseField(key, input[key]);
  }
  const out: Record<string, unknown> = {};
  const language = parseField('language', input.language ?? '') as Language;
  const name = input.name === undefined ? undefined : (parseField('name', input.name) as string);
  for (const spec of FIELDS) {
    let raw = input[spec.key];
    if ((raw === undefined || raw === null) && spec.language && spec.language !== language) {
      raw = fallbackFor(spec.key, language, name ?? 'app');
    }
    if (raw === undefined || raw === null) {
      throw new UsageError(`missing answer ${spec.key}: expected ${spec.allowed}`);
    }
    out[spec.key] = parseField(spec.key, raw);
  }
  return out as unknown as Answers;
}

/** True when `key` matters for `language` (not scoped to another language). */
export function appliesTo(key: AnswerKey, language: Language): boolean {
  const spec = fieldSpec(key);
  return !spec?.language || spec.language === language;
}

/**
 * The value used when neither a flag, a saved answer nor detection gives one.
 * @returns undefined for `language` (it has no sensible default: it must be detected or given).
 */
export function fallbackFor(key: AnswerKey, language: Language | undefined, name: string): Answers[AnswerKey] | undefined {
  switch (key) {
    case 'language':
      return undefined;
    case 'database':
      return 'none';
    case 'runtime':
      return 'distroless';
    case 'uid':
    case 'gid':
      return DEFAULT_ID;
    case 'port':
      return defaultPort(language ?? 'go');
    case 'name':
      return name;
    case 'image':
      return `${name}:0.1.0`;
    case 'healthPath':
      return '/health';
    case 'alpineVersion':
      return DEFAULT_ALPINE;
    case 'goVersion':
      return DEFAULT_GO;
    case 'goMain':
      return '.';
    case 'cgo':
    case 'nodeBuild':
    case 'nodeNative':
      return false;
    case 'nodeVersion':
      return '24';
    case 'packageManager':
      return 'npm';
    case 'nodeStart':
      return 'index.js';
    case 'nodeBuildOutput':
      return 'dist';
    case 'cBuild':
      return 'make';
    case 'cBinary':
      return name;
  }
}

/** Alpine release pinned by default (alpine:3.22, the newest the templates were checked against). */
export const DEFAULT_ALPINE = '3.22';
/** Go release used when go.mod has no `go` line. */
export const DEFAULT_GO = '1.25';

/** Default port by language: Go and C services conventionally 8080, Node 3000. */
export function defaultPort(language: Language): number {
  return language === 'node' ? 3000 : 8080;
}

/** Default UID and GID: 10001, above the ranges distributions allocate to system and login users. */
export const DEFAULT_ID = 10001;
