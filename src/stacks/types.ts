/**
 * The interface every language module implements (`src/stacks/<id>.ts`), with its template
 * folder `templates/languages/<id>/`. The registry (`src/registry.ts`) is the only list of them.
 */
import type { Repo } from '../detect/repo.js';
import type { Answers, Detection, Evidence, FieldSpec, StageInfo } from '../vocabulary.js';

/** A Compose Watch rule of the `dev` service (Compose docs, "Use Compose Watch"). */
export interface WatchRule {
  action: 'sync' | 'rebuild' | 'sync+restart';
  path: string;
  target?: string;
  ignore?: string[];
}

/** What the backing services contribute that a language's context depends on. */
export interface ServiceFacts {
  /** Data directories the app writes (e.g. SQLite's `/data`), owned by the runtime user. */
  volumes: { name: string; path: string }[];
  /** Distribution packages the active services need, by package set (see {@link ServicePackages}). */
  packages: { debianBuild: string[]; alpineBuild: string[]; alpineRuntime: string[] };
}

/**
 * The facts templates need from a language, as data. Every key is merged into the render
 * context; the ones below are read by the shared templates, any others only by the
 * language's own partials.
 */
export interface LanguageContext {
  /**
   * What the runtime stage copies from the build context when not everything (`all`): files
   * (one `COPY … ./`) and folders (`COPY <dir>/ ./<dir>/` each), top-level names. The renderer
   * drops what a service keeps out of the build context (`dockerignoreExclude`).
   */
  runtimeCopy?: { all: boolean; files: string[]; dirs: string[] };
  /**
   * File name of the executable in the image (`/usr/local/bin/<bin>`); the service name for
   * interpreted languages.
   */
  bin: string;
  /** Dockerfile stages in order, for README.Docker.md. */
  stages: StageInfo[];
  /** The compose healthcheck in exec form; must work without a shell on distroless. */
  healthcheck: string[];
  /** True when checks call an HTTP health path; false for TCP checks on the port (`healthPath: none`). */
  httpHealth: boolean;
  /** compose `init: true` (an init process as PID 1; Docker docs `--init`). */
  composeInit: boolean;
  /** Compose Watch rules for the `dev` service. */
  watch: WatchRule[];
  /** The runtime stage's exec-form ENTRYPOINT (hadolint DL3025). */
  entrypoint: string[];
  /** The runtime stage's exec-form CMD; empty for none. */
  cmd: string[];
  /**
   * Base images of the Dockerfile's stages by role (`builder`, `runtime`, …), as FROM names them
   * (build arguments allowed: `golang:${GO_VERSION}-trixie`). A pack's `registryMirrors` data
   * rewrites their registry (render/context.ts).
   */
  images?: Record<string, string>;
  [key: string]: unknown;
}

/** One language: its answers, its detection and the data its templates need. */
export interface LanguageSupport {
  /** Answer value and template folder name (`templates/languages/<id>/`): lowercase letters. */
  id: string;
  /** Human name, e.g. `Node.js`. */
  title: string;
  /** The language's own answer fields (each gets `language: id`); listed after the core fields. */
  fields: FieldSpec[];
  /** Port used when none is detected or given. */
  defaultPort: number;
  /**
   * `false` for a language whose app can use no backing service (a static site: files served
   * by a file server, nothing that could open a database connection). Its `check` refuses every
   * service-kind answer (`database`, `cache`) but `none`; the test matrix (test/helpers/cells.ts),
   * the examples and `dockforge templates check` (packs.ts `matrixCells`) leave those cells out.
   * Absent: every service may be combined with the language.
   */
  backingServices?: false;
  /**
   * Interpreted languages: the folder holding the code in the image (`/app`), also the
   * working directory. Relative paths in `cmd` are resolved against it when the app must run
   * in another working directory; relative data folders are mounted under it.
   */
  appDir?: string;
  /** Source file extensions, with the dot: scanned for ports, health paths and dependencies. */
  sourceExtensions: string[];
  /** Port literals in the code, most specific first; group 1 is the port. */
  portPatterns: RegExp[];
  /**
   * Environment reads in the code: group 1 is the variable's name, optional group 2 a literal
   * default next to it. Every match on every line of the language's sources counts.
   */
  envPatterns: RegExp[];
  /**
   * Environment names declared in struct tags or schemas (`env:"PORT"`) that a loader reads
   * with a prefix (envPrefixes) when its package declares one; groups as in envPatterns.
   */
  envTagPatterns?: RegExp[];
  /**
   * How a configuration loader declares the prefix it puts before every tag name: group 1 of
   * `pattern`, turned into the prefix by `transform` (default: as written). Applies to the
   * tags of the same package (folder).
   */
  envPrefixes?: { pattern: RegExp; transform?: (raw: string) => string }[];
  /**
   * Route registrations: group 1 is the path of a GET (or any-method) route, e.g. `r.GET("/ping"`.
   * Used to find a health-like route and a root route that exists.
   */
  routePatterns: RegExp[];
  /**
   * Does the repository at hand use this language? Evidence (its manifest, e.g. `go.mod`)
   * when it does, undefined otherwise. Never throws for odd files.
   */
  identify(repo: Repo): Promise<Evidence | undefined>;
  /**
   * Fill `out` with the language's findings (its fields, `name`, `image`), the dependencies it
   * read (matched against the services' drivers by the caller) and notes. Never throws for
   * odd files.
   */
  detect(repo: Repo, out: Detection): Promise<void>;
  /**
   * Cross-field check of validated answers (e.g. a builder image that is not published for
   * that combination of versions).
   * @returns one line naming the fields and the allowed values, or undefined when fine.
   */
  check?(answers: Answers): string | undefined;
  /**
   * Checks of validated answers against the repository (e.g. the main package exists).
   * @returns one line naming the field and what is wrong, or undefined when fine.
   */
  verify?(repo: Repo, answers: Answers): Promise<string | undefined>;
  /**
   * The language's render facts for validated answers.
   * @param facts what the active backing services need (volumes, packages).
   */
  context(answers: Answers, facts: ServiceFacts): LanguageContext;
}
