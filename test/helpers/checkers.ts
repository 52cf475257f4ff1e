/**
 * Test-witness helpers: run the ecosystem's real checkers on what dockforge
 * generates, from vitest.
 *
 * Binaries are looked up in `<repo>/.tools/bin` (filled by
 * `proof/checkers/install.sh`), then on `PATH`. A test that needs one should
 * skip when it is absent, e.g.
 *
 * ```ts
 * import { hasChecker, lintDockerfile } from '../helpers/checkers.js';
 * it.skipIf(!hasChecker('dockerfile-lint'))('Dockerfile passes BuildKit checks', async () => {
 *   expect(await lintDockerfile(path)).toEqual([]);
 * });
 * ```
 *
 * Set `DOCKFORGE_REQUIRE_CHECKERS` (e.g. in CI after running install.sh) to
 * make {@link hasChecker} throw instead of returning false, so a missing tool
 * fails loudly instead of silently skipping: `1`/`true` for every checker, or a
 * comma list such as `dockerfile-lint,kube-score` (kube-linter cannot currently
 * be installed from the module proxy CI uses, so do not require it).
 *
 * The independent witnesses (test/witnesses.test.ts) use {@link hadolint}, {@link composeConfig}
 * (the real Compose CLI), {@link renderKustomize} + {@link kubeconform} (offline strict schemas)
 * and {@link podSecurity} (upstream Pod Security Admission, proof/psa).
 *
 * Every runner rejects with:
 * - {@link CheckerNotFoundError} when the binary cannot be found;
 * - {@link CheckerError} when the tool fails in a way that is not "findings
 *   reported" (crash, usage error, unreadable input, non-JSON output);
 * - {@link DockerfileParseError} (a CheckerError) when BuildKit cannot parse
 *   the Dockerfile.
 * Reported findings are never an error: they are the resolved value.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file lives in `<repo>/test/helpers`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `proof/checkers/install.sh` puts binaries by default. */
export const TOOLS_BIN = join(REPO_ROOT, '.tools', 'bin');

/** Names of the checkers install.sh knows about. Other names work too (e.g. `kubectl`). */
export type CheckerName =
  | 'dockerfile-lint'
  | 'kube-score'
  | 'kube-linter'
  | 'hadolint'
  | 'docker-compose'
  | 'kubectl'
  | 'kubeconform'
  | 'psa'
  | (string & {});

/** Thrown when a checker binary is neither in `.tools/bin` nor on PATH. */
export class CheckerNotFoundError extends Error {
  constructor(readonly checker: string) {
    super(`${checker} not found in ${TOOLS_BIN} or on PATH; run proof/checkers/install.sh`);
    this.name = 'CheckerNotFoundError';
  }
}

/** Thrown when a checker fails for a reason other than reporting findings. */
export class CheckerError extends Error {
  constructor(
    message: string,
    readonly checker: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CheckerError';
  }
}

/** Thrown by {@link lintDockerfile} when BuildKit cannot parse/convert the Dockerfile (exit 2). */
export class DockerfileParseError extends CheckerError {
  constructor(
    /** BuildKit's error text, e.g. "dockerfile parse error on line 3: unknown instruction: FROMX". */
    readonly detail: string,
    /** 1-based line of the error, 0 when BuildKit gave none. */
    readonly line: number,
    /** Warnings BuildKit reported before it hit the error. */
    readonly findings: DockerfileFinding[],
    args: readonly string[],
    stdout: string,
    stderr: string,
  ) {
    super(`Dockerfile error at line ${line}: ${detail}`, 'dockerfile-lint', args, 2, stdout, stderr);
    this.name = 'DockerfileParseError';
  }
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of checker `name`: `<repo>/.tools/bin/<name>` if it is an
 * executable file, else the first executable `<dir>/<name>` on PATH, else
 * `undefined`. Never throws.
 */
export function findChecker(name: CheckerName): string | undefined {
  const local = join(TOOLS_BIN, name);
  if (isExecutableFile(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Whether checker `name` is available (for `it.skipIf(!hasChecker(...))`).
 * Throws {@link CheckerNotFoundError} instead of returning false when the
 * environment variable `DOCKFORGE_REQUIRE_CHECKERS` is `1`/`true`, or is a
 * comma-separated list that contains `name`.
 */
export function hasChecker(name: CheckerName): boolean {
  if (findChecker(name)) return true;
  if (isCheckerRequired(name)) throw new CheckerNotFoundError(name);
  return false;
}

/**
 * Whether `DOCKFORGE_REQUIRE_CHECKERS` makes checker `name` mandatory: `1`/`true` (every
 * checker), or a comma-separated list that contains `name`.
 */
export function isCheckerRequired(name: CheckerName): boolean {
  const required = (process.env.DOCKFORGE_REQUIRE_CHECKERS ?? '').trim();
  return (
    /^(1|true)$/i.test(required) ||
    required
      .split(',')
      .map((s) => s.trim())
      .includes(name)
  );
}

/** Path of checker `name`, or throws {@link CheckerNotFoundError}. */
export function requireChecker(name: CheckerName): string {
  const p = findChecker(name);
  if (!p) throw new CheckerNotFoundError(name);
  return p;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin args` and resolves with its exit code and output whatever the
 * exit code; rejects only if it could not be started, was killed, or timed out.
 */
function run(
  checker: string,
  bin: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      bin,
      args as string[],
      {
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      },
      (err: ExecFileException | null, stdout: string, stderr: string) => {
        if (err && (typeof err.code !== 'number' || err.killed || err.signal)) {
          reject(
            new CheckerError(
              `${checker} failed to run: ${err.message}`,
              checker,
              args,
              typeof err.code === 'number' ? err.code : null,
              stdout,
              stderr,
            ),
          );
          return;
        }
        resolvePromise({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => {
        /* reported through the exit callback */
      });
      child.stdin?.end(opts.input);
    }
  });
}

function parseJson(checker: string, args: readonly string[], r: RunResult): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new CheckerError(
      `${checker} exited ${r.code} without JSON output: ${r.stderr.trim() || r.stdout.trim().slice(0, 500)}`,
      checker,
      args,
      r.code,
      r.stdout,
      r.stderr,
    );
  }
}

// ---------------------------------------------------------------------------
// Dockerfile: BuildKit's checks (proof/dockerfile-lint)
// ---------------------------------------------------------------------------

/** One BuildKit check warning, as `docker build --check` would report it. */
export interface DockerfileFinding {
  /** BuildKit rule name, e.g. `JSONArgsRecommended`, `UndefinedVar`, `SecretsUsedInArgOrEnv`. */
  rule: string;
  /** 1-based line of the offending instruction (0 if BuildKit gave no location). */
  line: number;
  /** BuildKit's message, e.g. "Usage of undefined variable '$APP_HOME'". */
  message: string;
  /** Documentation URL of the rule, when BuildKit has one. */
  url?: string;
}

export interface LintDockerfileOptions {
  /** Lint only stages needed for this target (default: all stages, like `docker build --check`). */
  target?: string;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /**
   * Env vars to assume the base images define (base images are not pulled;
   * without this, `$JAVA_HOME`-style references to base-image ENV are reported
   * as UndefinedVar). PATH is always assumed.
   */
  baseEnv?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs BuildKit's Dockerfile checks on the Dockerfile at `path`.
 *
 * Resolves with the warnings sorted by line then rule (`[]` when clean).
 * `# check=skip=...` / `# check=experimental=...` directives in the file are honoured.
 * Not covered: CopyIgnoredFile (needs a BuildKit build context) and
 * InvalidBaseImagePlatform (needs the real base image).
 *
 * @throws {CheckerNotFoundError} dockerfile-lint is not installed.
 * @throws {DockerfileParseError} BuildKit could not parse the file (carries `detail`, `line`, `findings`).
 * @throws {CheckerError} unreadable file, usage error, crash or timeout.
 */
export async function lintDockerfile(path: string, opts: LintDockerfileOptions = {}): Promise<DockerfileFinding[]> {
  const bin = requireChecker('dockerfile-lint');
  const args = ['--json'];
  if (opts.target) args.push('--target', opts.target);
  for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.baseEnv ?? {})) args.push('--base-env', `${k}=${v}`);
  args.push(resolve(path));
  const r = await run('dockerfile-lint', bin, args, { timeoutMs: opts.timeoutMs });

  const findings: DockerfileFinding[] = [];
  let error: { error: string; line: number } | undefined;
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new CheckerError(
        `dockerfile-lint printed non-JSON line: ${line}`,
        'dockerfile-lint',
        args,
        r.code,
        r.stdout,
        r.stderr,
      );
    }
    if (typeof obj.error === 'string') {
      error = { error: obj.error, line: typeof obj.line === 'number' ? obj.line : 0 };
    } else {
      const f: DockerfileFinding = {
        rule: String(obj.rule),
        line: typeof obj.line === 'number' ? obj.line : 0,
        message: String(obj.message ?? ''),
      };
      if (typeof obj.url === 'string') f.url = obj.url;
      findings.push(f);
    }
  }
  if (r.code === 0 || r.code === 1) return findings;
  if (r.code === 2 && error) {
    throw new DockerfileParseError(error.error, error.line, findings, args, r.stdout, r.stderr);
  }
  throw new CheckerError(
    `dockerfile-lint exited ${r.code}: ${r.stderr.trim()}`,
    'dockerfile-lint',
    args,
    r.code,
    r.stdout,
    r.stderr,
  );
}

// ---------------------------------------------------------------------------
// Kubernetes: kustomize rendering
// ---------------------------------------------------------------------------

/**
 * Renders a kustomize directory to multi-document YAML with `kubectl kustomize`
 * (or a standalone `kustomize build` when kubectl is absent).
 *
 * @throws {CheckerNotFoundError} neither kubectl nor kustomize is available.
 * @throws {CheckerError} kustomize failed (invalid kustomization, missing resource, ...).
 */
export async function renderKustomize(dir: string, timeoutMs?: number): Promise<string> {
  const kubectl = findChecker('kubectl');
  const kustomize = kubectl ? undefined : findChecker('kustomize');
  if (!kubectl && !kustomize) throw new CheckerNotFoundError('kubectl');
  const [bin, args, name] = kubectl
    ? [kubectl, ['kustomize', resolve(dir)], 'kubectl']
    : [kustomize as string, ['build', resolve(dir)], 'kustomize'];
  const r = await run(name, bin, args, { timeoutMs });
  if (r.code !== 0) {
    throw new CheckerError(`${name} kustomize failed: ${r.stderr.trim()}`, name, args, r.code, r.stdout, r.stderr);
  }
  return r.stdout;
}

function isKustomizeDir(dir: string): boolean {
  return ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => {
    try {
      return statSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
}

/** Writes `yaml` to a fresh temp dir; returns the file path and a cleanup function. */
function tempYaml(yaml: string): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dockforge-checkers-'));
  const file = join(dir, 'rendered.yaml');
  writeFileSync(file, yaml);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------
// kube-linter
// ---------------------------------------------------------------------------

/** One kube-linter report (an entry of `Reports` in `kube-linter lint --format json`). */
export interface KubeLinterFinding {
  /** Check name, e.g. `no-anti-affinity`, `unset-cpu-requirements`, `pdb-unhealthy-pod-eviction-policy`. */
  check: string;
  /** Diagnostic message, e.g. `object has 2 replicas but does not specify inter pod anti-affinity`. */
  message: string;
  /** The check's remediation text. */
  remediation: string;
  /** Kind of the offending object (e.g. `Deployment`), '' if unknown. */
  kind: string;
  /** Name of the offending object. */
  name: string;
  /** Namespace of the offending object ('' when unset). */
  namespace: string;
  /** File the object came from. */
  file: string;
}

export interface KubeLinterOptions {
  /** `--config` file (e.g. to add checks or `doNotAutoAddDefaults`). */
  config?: string;
  /** `--include` check names (enables non-default checks). */
  include?: string[];
  /** `--exclude` check names. */
  exclude?: string[];
  /**
   * Render a kustomize dir with `kubectl kustomize` before linting (kube-linter
   * itself does not apply kustomizations). Default: true when `target` is a
   * directory containing a kustomization file.
   */
  kustomize?: boolean;
  timeoutMs?: number;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function rec(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/**
 * Runs `kube-linter lint --format json` on `target` (a manifest file, or a
 * directory scanned recursively; a kustomize dir is rendered first, see
 * {@link KubeLinterOptions.kustomize}) with its default checks.
 *
 * Resolves with one entry per report (`[]` when clean): kube-linter exits 1
 * both for "lint errors found" and for real failures, so output that parses as
 * `{ "Reports": [...] }` counts as success.
 *
 * @throws {CheckerNotFoundError} kube-linter (or kubectl, for kustomize) is not installed.
 * @throws {CheckerError} kube-linter failed without JSON output (bad config, unreadable path, ...),
 *   or kustomize rendering failed.
 */
export async function kubeLinter(target: string, opts: KubeLinterOptions = {}): Promise<KubeLinterFinding[]> {
  const bin = requireChecker('kube-linter');
  let path = resolve(target);
  let cleanup = (): void => {};
  const kustomize = opts.kustomize ?? (statSync(path).isDirectory() && isKustomizeDir(path));
  if (kustomize) {
    const t = tempYaml(await renderKustomize(path, opts.timeoutMs));
    path = t.file;
    cleanup = t.cleanup;
  }
  try {
    const args = ['lint', '--format', 'json'];
    if (opts.config) args.push('--config', resolve(opts.config));
    for (const c of opts.include ?? []) args.push('--include', c);
    for (const c of opts.exclude ?? []) args.push('--exclude', c);
    args.push(path);
    const r = await run('kube-linter', bin, args, { timeoutMs: opts.timeoutMs });
    if (r.code === 0 && r.stdout.trim() === '') return []; // "no valid objects found" / "no checks enabled"
    const out = rec(parseJson('kube-linter', args, r));
    if (!Array.isArray(out.Reports) && out.Reports !== null) {
      throw new CheckerError(
        `kube-linter exited ${r.code}: ${r.stderr.trim()}`,
        'kube-linter',
        args,
        r.code,
        r.stdout,
        r.stderr,
      );
    }
    return ((out.Reports as unknown[] | null) ?? []).map((raw) => {
      const rep = rec(raw);
      const obj = rec(rep.Object);
      const k8s = rec(obj.K8sObject);
      const meta = rec(k8s.metadata);
      const gvk = rec(k8s.GroupVersionKind);
      return {
        check: str(rep.Check),
        message: str(rec(rep.Diagnostic).Message),
        remediation: str(rep.Remediation),
        kind: str(gvk.Kind) || str(k8s.kind),
        name: str(k8s.Name) || str(meta.name),
        namespace: str(k8s.Namespace) || str(meta.namespace),
        file: kustomize ? resolve(target) : str(rec(obj.Metadata).FilePath),
      };
    });
  } finally {
    cleanup();
  }
}

// ---------------------------------------------------------------------------
// kube-score
// ---------------------------------------------------------------------------

/** kube-score grade names: 1 CRITICAL, 5 WARNING, 7 ALMOST_OK, 10 OK. */
export type KubeScoreSeverity = 'CRITICAL' | 'WARNING' | 'ALMOST_OK' | 'OK';

/** One failed kube-score check on one object. */
export interface KubeScoreFinding {
  /** Check id, e.g. `pod-networkpolicy`, `container-image-pull-policy`, `pod-probes-identical`. */
  check: string;
  /** Human check name, e.g. `Pod NetworkPolicy`. */
  checkName: string;
  grade: number;
  severity: KubeScoreSeverity;
  /** Object kind / apiVersion / name / namespace ('' when unset). */
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  /**
   * Source file (the kustomize dir when one was rendered) and 1-based row of the object's
   * document (in the rendered YAML for a kustomize dir).
   */
  file: string;
  line: number;
  /** Per-container (or pod-level, path '') explanations. */
  comments: { path: string; summary: string; description: string; documentationUrl: string }[];
}

export interface KubeScoreOptions {
  /** `--ignore-test` ids, e.g. `['pod-networkpolicy', 'container-image-pull-policy']`. */
  ignoreTests?: string[];
  /** `--enable-optional-test` ids, e.g. `['container-seccomp-profile']`. */
  enableOptionalTests?: string[];
  /** `--ignore-container-cpu-limit`. */
  ignoreContainerCpuLimit?: boolean;
  /** `--ignore-container-memory-limit`. */
  ignoreContainerMemoryLimit?: boolean;
  /** `--kubernetes-version`, e.g. `v1.30` (kube-score defaults to v1.18). */
  kubernetesVersion?: string;
  /** Also return passing (grade 10) checks. Default false. Skipped checks are never returned. */
  includePassed?: boolean;
  /** Extra raw arguments placed before the files. */
  extraArgs?: string[];
  timeoutMs?: number;
}

const GRADE_NAMES: Record<number, KubeScoreSeverity> = { 1: 'CRITICAL', 5: 'WARNING', 7: 'ALMOST_OK', 10: 'OK' };

/**
 * Runs `kube-score score --output-format json` on manifest `files` (pass every
 * file of the app together: checks such as pod-probes, service-targets-pod and
 * *-has-poddisruptionbudget look across objects). A kustomize directory may be
 * given instead of files: it is rendered with `kubectl kustomize` and piped on
 * stdin. Kinds kube-score does not know (PVC, ConfigMap, Kustomization...) are
 * ignored by it.
 *
 * Resolves with the non-skipped checks whose grade is below 10 (plus passing
 * ones with `includePassed`), in kube-score's object order.
 *
 * @throws {CheckerNotFoundError} kube-score (or kubectl, for a kustomize dir) is not installed.
 * @throws {CheckerError} kube-score failed without JSON output (YAML parse error, missing file, bad flag),
 *   or kustomize rendering failed.
 */
export async function kubeScore(files: string | string[], opts: KubeScoreOptions = {}): Promise<KubeScoreFinding[]> {
  const bin = requireChecker('kube-score');
  const list = Array.isArray(files) ? files : [files];
  let input: string | undefined;
  let paths = list.map((f) => resolve(f));
  const renderedDir = list.length === 1 && statSync(paths[0] as string).isDirectory() ? paths[0] : undefined;
  if (renderedDir) {
    input = await renderKustomize(renderedDir, opts.timeoutMs);
    paths = ['-'];
  }
  const args = ['score', '--output-format', 'json', '--color', 'never'];
  for (const t of opts.ignoreTests ?? []) args.push('--ignore-test', t);
  for (const t of opts.enableOptionalTests ?? []) args.push('--enable-optional-test', t);
  if (opts.ignoreContainerCpuLimit) args.push('--ignore-container-cpu-limit');
  if (opts.ignoreContainerMemoryLimit) args.push('--ignore-container-memory-limit');
  if (opts.kubernetesVersion) args.push('--kubernetes-version', opts.kubernetesVersion);
  args.push(...(opts.extraArgs ?? []), ...paths);

  // kube-score exits 1 when a CRITICAL check fails *and* on errors; JSON on stdout tells them apart.
  const r = await run('kube-score', bin, args, { input, timeoutMs: opts.timeoutMs });
  const out = parseJson('kube-score', args, r);
  if (out !== null && !Array.isArray(out)) {
    throw new CheckerError(`kube-score printed unexpected JSON`, 'kube-score', args, r.code, r.stdout, r.stderr);
  }
  const findings: KubeScoreFinding[] = [];
  for (const rawObj of (out as unknown[] | null) ?? []) {
    const o = rec(rawObj);
    const tm = rec(o.type_meta);
    const om = rec(o.object_meta);
    for (const rawCheck of (o.checks as unknown[] | null) ?? []) {
      const c = rec(rawCheck);
      const grade = typeof c.grade === 'number' ? c.grade : 0;
      if (c.skipped === true) continue;
      if (grade >= 10 && !opts.includePassed) continue;
      const meta = rec(c.check);
      findings.push({
        check: str(meta.id),
        checkName: str(meta.name),
        grade,
        severity: GRADE_NAMES[grade] ?? (grade < 5 ? 'CRITICAL' : grade < 10 ? 'WARNING' : 'OK'),
        kind: str(tm.kind),
        apiVersion: str(tm.apiVersion),
        name: str(om.name),
        namespace: str(om.namespace),
        file: renderedDir ?? str(o.file_name),
        line: typeof o.file_row === 'number' ? o.file_row : 0,
        comments: ((c.comments as unknown[] | null) ?? []).map((raw) => {
          const cm = rec(raw);
          return {
            path: str(cm.path),
            summary: str(cm.summary),
            description: str(cm.description),
            documentationUrl: str(cm.documentation_url),
          };
        }),
      });
    }
  }
  return findings;
}

/** Convenience for assertions: `"<Kind>/<name>: <check>"` strings, sorted and de-duplicated. */
export function summarize(findings: readonly (KubeScoreFinding | KubeLinterFinding)[]): string[] {
  return [...new Set(findings.map((f) => `${f.kind}/${f.name}: ${f.check}`))].sort();
}

// ---------------------------------------------------------------------------
// hadolint
// ---------------------------------------------------------------------------

/** One hadolint finding (its `-f json` output). */
export interface HadolintFinding {
  /** Rule code, e.g. `DL3018` (hadolint's own) or `SC2086` (ShellCheck, on RUN lines). */
  code: string;
  level: 'error' | 'warning' | 'info' | 'style';
  /** 1-based line of the instruction. */
  line: number;
  message: string;
}

/**
 * Runs `hadolint -f json --no-fail` on the Dockerfile at `path`, with an empty configuration
 * (a `.hadolint.yaml` in the working directory or the user's config is never read), so every
 * rule runs at its default severity.
 *
 * Resolves with the findings sorted by line then code (`[]` when clean).
 *
 * @throws {CheckerNotFoundError} hadolint is not installed.
 * @throws {CheckerError} hadolint failed without JSON output (unreadable file, crash, timeout).
 */
export async function hadolint(path: string, timeoutMs?: number): Promise<HadolintFinding[]> {
  const bin = requireChecker('hadolint');
  const dir = mkdtempSync(join(tmpdir(), 'dockforge-hadolint-'));
  try {
    const config = join(dir, 'hadolint.yaml');
    writeFileSync(config, 'ignored: []\n');
    const args = ['--config', config, '--no-fail', '--no-color', '-f', 'json', resolve(path)];
    const r = await run('hadolint', bin, args, { timeoutMs, cwd: dir });
    const out = parseJson('hadolint', args, r);
    if (!Array.isArray(out)) {
      throw new CheckerError('hadolint printed unexpected JSON', 'hadolint', args, r.code, r.stdout, r.stderr);
    }
    return out
      .map((raw) => {
        const f = rec(raw);
        return {
          code: str(f.code),
          level: str(f.level) as HadolintFinding['level'],
          line: typeof f.line === 'number' ? f.line : 0,
          message: str(f.message),
        };
      })
      .sort((a, b) => a.line - b.line || a.code.localeCompare(b.code));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Compose: the real Compose CLI (`docker-compose`, the v2 Go binary)
// ---------------------------------------------------------------------------

/** One published port of a service, as `docker compose config --format json` normalizes it. */
export interface ComposePort {
  target: number;
  /** The host port or range, e.g. `8080` or `8080-8081`; '' when Compose picks one. */
  published: string;
  /** '' when unset (all interfaces). */
  host_ip: string;
  protocol: string;
}

/** The part of the resolved Compose model the witnesses read. */
export interface ComposeConfig {
  name?: string;
  services: Record<string, { profiles?: string[]; ports?: ComposePort[]; [key: string]: unknown }>;
  [key: string]: unknown;
}

/**
 * Runs the Compose CLI's `config --format json` on `file` (in its own directory, as
 * `docker compose -f FILE [--profile P ...] config` would), with the given profiles enabled.
 * Compose validates the file against the Compose Specification, interpolates, resolves env
 * files (a `required: true` env file that is missing is an error), and leaves out the services
 * of profiles not enabled: the result's services are exactly those that `up` would run together.
 *
 * The `docker-compose` binary (Compose v2, the same code as the `docker compose` plugin) is
 * used; no Docker engine is needed.
 *
 * @throws {CheckerNotFoundError} docker-compose is not installed.
 * @throws {CheckerError} Compose rejected the file (its message is in `message` and `stderr`).
 */
export async function composeConfig(
  file: string,
  opts: { profiles?: string[]; timeoutMs?: number } = {},
): Promise<ComposeConfig> {
  const bin = requireChecker('docker-compose');
  const args = ['-f', resolve(file)];
  for (const p of opts.profiles ?? []) args.push('--profile', p);
  args.push('config', '--format', 'json');
  const r = await run('docker-compose', bin, args, { timeoutMs: opts.timeoutMs, cwd: dirname(resolve(file)) });
  if (r.code !== 0) {
    throw new CheckerError(
      `docker compose config failed (exit ${r.code}): ${r.stderr.trim()}`,
      'docker-compose',
      args,
      r.code,
      r.stdout,
      r.stderr,
    );
  }
  const out = rec(parseJson('docker-compose', args, r));
  return { ...out, services: rec(out.services) } as ComposeConfig;
}

function portRange(published: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(published.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

/** Whether two host addresses can collide: equal, or either one is all interfaces. */
function sameInterface(a: string, b: string): boolean {
  const any = (ip: string) => ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
  return a === b || any(a) || any(b);
}

/**
 * Host ports that two services of `config` publish at once, which `up` cannot start together
 * ("port is already allocated" / "address already in use"). Every service in a resolved config
 * runs together (see {@link composeConfig}). Two bindings clash when their protocols match,
 * their host port ranges overlap and their host addresses can collide (equal, or either binds
 * all interfaces). Ports Compose assigns (no published port) never clash.
 *
 * Returns one line per clash, `"<a> and <b> both publish <ip>:<port>/<protocol>"`, sorted.
 */
export function publishedPortClashes(config: ComposeConfig): string[] {
  const bindings = Object.entries(config.services).flatMap(([service, s]) =>
    (s.ports ?? []).flatMap((p) => {
      const range = portRange(String(p.published ?? ''));
      return range ? [{ service, ip: p.host_ip ?? '', range, protocol: p.protocol || 'tcp' }] : [];
    }),
  );
  const clashes = new Set<string>();
  for (const [i, a] of bindings.entries()) {
    for (const b of bindings.slice(i + 1)) {
      if (a.service === b.service || a.protocol !== b.protocol || !sameInterface(a.ip, b.ip)) continue;
      const low = Math.max(a.range[0], b.range[0]);
      if (low > Math.min(a.range[1], b.range[1])) continue;
      const [x, y] = [a.service, b.service].sort();
      clashes.add(`${x} and ${y} both publish ${a.ip || b.ip || '0.0.0.0'}:${low}/${a.protocol}`);
    }
  }
  return [...clashes].sort();
}

// ---------------------------------------------------------------------------
// Kubernetes: kubeconform against offline schemas, upstream Pod Security Admission
// ---------------------------------------------------------------------------

/** The Kubernetes version of the offline schemas install.sh extracts from PyPI kubernetes-validate. */
export const K8S_SCHEMA_VERSION = '1.37.0';

/**
 * Folder of the offline strict JSON schemas for kubeconform
 * (`<BIN_DIR>/kubernetes-json-schema/v<K8S_SCHEMA_VERSION>-strict`, written by install.sh next to
 * kubeconform), or `undefined`. `DOCKFORGE_K8S_SCHEMA_DIR` overrides; otherwise the folder
 * beside the kubeconform binary, then beside `$DOCKFORGE_TOOLS_BIN` and `<repo>/.tools/bin`.
 */
export function kubernetesSchemaDir(): string | undefined {
  const sub = join('kubernetes-json-schema', `v${K8S_SCHEMA_VERSION}-strict`);
  const candidates = [
    process.env.DOCKFORGE_K8S_SCHEMA_DIR,
    ...[findChecker('kubeconform'), process.env.DOCKFORGE_TOOLS_BIN && join(process.env.DOCKFORGE_TOOLS_BIN, 'x')]
      .filter((p): p is string => Boolean(p))
      .map((p) => join(dirname(p), sub)),
    join(TOOLS_BIN, sub),
  ];
  return candidates.find((d) => {
    try {
      return !!d && statSync(join(d, 'deployment-apps-v1.json')).isFile();
    } catch {
      return false;
    }
  });
}

/** One object kubeconform did not accept (invalid, or an error such as a missing schema). */
export interface KubeconformFinding {
  kind: string;
  name: string;
  /** `statusInvalid` or `statusError`. */
  status: string;
  /**
   * kubeconform's message with every failed path, e.g. "could not find schema for Foo", or
   * "problem validating schema. … - at '/spec': additional properties 'replicaz' not allowed".
   */
  message: string;
}

/**
 * Runs `kubeconform -strict -summary -output json` on multi-document YAML `manifests` against
 * the offline schemas of {@link kubernetesSchemaDir} (no network: a kind without a schema, such
 * as a CRD, is an error, not skipped). `-strict` rejects properties the schema does not define.
 *
 * Resolves with the objects that are not valid (`[]` when all are) and the number of objects
 * kubeconform read (from its summary), so a caller can tell "all valid" from "nothing read".
 *
 * @throws {CheckerNotFoundError} kubeconform, or its offline schemas (`kubernetes-json-schema`), are missing.
 * @throws {CheckerError} kubeconform failed without JSON output.
 */
export async function kubeconform(
  manifests: string,
  timeoutMs?: number,
): Promise<{ resources: number; findings: KubeconformFinding[] }> {
  const bin = requireChecker('kubeconform');
  const schemas = kubernetesSchemaDir();
  if (!schemas) throw new CheckerNotFoundError('kubernetes-json-schema');
  const args = [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-schema-location',
    join(schemas, '{{.ResourceKind}}{{.KindSuffix}}.json'),
    '-',
  ];
  const r = await run('kubeconform', bin, args, { input: manifests, timeoutMs });
  const out = rec(parseJson('kubeconform', args, r));
  const summary = rec(out.summary);
  const findings = ((out.resources as unknown[] | null) ?? [])
    .map(rec)
    .filter((o) => o.status !== 'statusValid' && o.status !== 'statusSkipped')
    .map((o) => ({
      kind: str(o.kind),
      name: str(o.name),
      status: str(o.status),
      message: str(o.msg),
    }));
  const count = (k: string) => (typeof summary[k] === 'number' ? (summary[k] as number) : 0);
  return { resources: count('valid') + count('invalid') + count('errors') + count('skipped'), findings };
}

/**
 * Evaluates every pod-bearing object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
 * ReplicationController, Job, CronJob, PodTemplate) of multi-document YAML `manifests` with the
 * upstream Pod Security Admission library (proof/psa, k8s.io/pod-security-admission) at
 * `level:version` (default `restricted:latest`).
 *
 * Resolves with one line per forbidden check, `"<Kind>/<name>: <reason>: <detail>"` (`[]` when
 * every pod is allowed), and the number of pod-bearing objects evaluated.
 *
 * @throws {CheckerNotFoundError} psa is not installed.
 * @throws {CheckerError} psa could not read or decode the manifests (exit 2).
 */
export async function podSecurity(
  manifests: string,
  opts: { level?: 'baseline' | 'restricted'; version?: string; timeoutMs?: number } = {},
): Promise<{ evaluated: number; violations: string[] }> {
  const bin = requireChecker('psa');
  const args = ['--level', opts.level ?? 'restricted', '--version', opts.version ?? 'latest'];
  const r = await run('psa', bin, args, { input: manifests, timeoutMs: opts.timeoutMs });
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  const summary = lines.pop() ?? '';
  const m = /^psa: (\d+) objects evaluated/.exec(summary);
  if (r.code > 1 || !m) {
    throw new CheckerError(`psa failed (exit ${r.code}): ${r.stderr.trim()}`, 'psa', args, r.code, r.stdout, r.stderr);
  }
  return { evaluated: Number(m[1]), violations: lines };
}
