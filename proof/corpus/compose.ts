/**
 * compose.yaml → `podman run` flags: the generated `app` service's hardening, environment,
 * env files, volumes and command, so the corpus runs each image the way compose would.
 * Pure functions (the only file reads are the env files compose names, relative to the project).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The file names Compose looks for, in its order of preference. */
const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/**
 * The compose file dockforge wrote in `dir`: the one its `.dockforge/manifest.json` lists (with `--force` it
 * may take over a repository's own `docker-compose.yml`), else the first of Compose's names that exists.
 * @returns an absolute path, or undefined when there is none.
 */
export function composeFile(dir: string): string | undefined {
  const manifest = path.join(dir, '.dockforge', 'manifest.json');
  let listed: string[] = [];
  try {
    const files = (JSON.parse(readFileSync(manifest, 'utf8')) as { files?: { path?: unknown }[] }).files ?? [];
    listed = files.map((f) => String(f.path));
  } catch {
    /* no manifest: fall back to the names */
  }
  const name =
    COMPOSE_NAMES.find((n) => listed.includes(n)) ?? COMPOSE_NAMES.find((n) => existsSync(path.join(dir, n)));
  return name && existsSync(path.join(dir, name)) ? path.join(dir, name) : undefined;
}

/** A volume of the app service: a named volume (becomes a podman volume) or a host bind mount. */
export interface VolumeSpec {
  kind: 'named' | 'bind';
  /** Volume name (named) or absolute host path (bind). */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readOnly: boolean;
}

/** What of compose.yaml's `app` service applies to one `podman run`. */
export interface RunSpec {
  /** `user:` ("UID:GID"), or undefined to keep the image's USER. */
  user?: string;
  readOnly: boolean;
  tmpfs: string[];
  capDrop: string[];
  capAdd: string[];
  /** `security_opt` entries as podman takes them (`no-new-privileges:true` → `no-new-privileges`). */
  securityOpt: string[];
  /** `environment:` then every env file's variables (environment wins, as in compose). */
  env: Record<string, string>;
  /** Env files named by `env_file:` (absolute paths), with whether compose requires them and whether they exist. */
  envFiles: { path: string; required: boolean; found: boolean }[];
  volumes: VolumeSpec[];
  /** `ports:` as written (with host networking the container port is the host port). */
  ports: string[];
  /** `entrypoint:` / `command:` in exec form, when set. */
  entrypoint?: string[];
  command?: string[];
  /** `extra_hosts:` as `name:address`. */
  extraHosts: string[];
  workingDir?: string;
  init: boolean;
  /** Keys of the app service this tool does not translate (reported, not applied). */
  ignored: string[];
}

/** Keys of a compose service that say how to build or order it, not how to run one container. */
const NOT_RUNTIME = new Set(['build', 'image', 'depends_on', 'healthcheck', 'restart', 'develop', 'profiles']);

/**
 * Parse a compose env file (`KEY=VALUE` lines; `#` comments, blank lines, `export ` prefixes and one
 * pair of matching outer quotes are handled as Compose does for the simple cases).
 * @returns the variables in file order.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    env[line.slice(0, eq).trim()] = value;
  }
  return env;
}

/** `environment:` as a map or a list of `KEY=VALUE` (a bare `KEY` takes no value and is skipped). */
function environmentOf(raw: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq > 0) env[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) if (v !== null && v !== undefined) env[k] = String(v);
  }
  return env;
}

/** `env_file:` as a string, a list of strings, or a list of `{path, required}` (required defaults to true). */
function envFilesOf(raw: unknown, projectDir: string): RunSpec['envFiles'] {
  const list = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((item) => {
    const rel = typeof item === 'string' ? item : String((item as { path?: unknown }).path ?? '');
    const required = typeof item === 'string' ? true : (item as { required?: unknown }).required !== false;
    const abs = path.resolve(projectDir, rel);
    return { path: abs, required, found: existsSync(abs) };
  });
}

/** A command in exec form: a list as is, a string split on white space (compose's shell form is rare here). */
function execForm(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) return raw.map(String);
  return String(raw).split(/\s+/).filter(Boolean);
}

/** One `volumes:` entry, short (`src:dst[:ro]`) or long (`{type, source, target, read_only}`) syntax. */
function volumeOf(raw: unknown, projectDir: string): VolumeSpec | undefined {
  let source: string;
  let target: string;
  let readOnly = false;
  if (typeof raw === 'string') {
    const parts = raw.split(':');
    if (parts.length < 2) return undefined; // an anonymous volume: nothing to keep
    [source, target] = [parts[0]!, parts[1]!];
    readOnly = (parts[2] ?? '').split(',').includes('ro');
  } else if (raw && typeof raw === 'object') {
    const v = raw as { type?: string; source?: string; target?: string; read_only?: boolean };
    if (!v.source || !v.target || (v.type && v.type !== 'volume' && v.type !== 'bind')) return undefined;
    [source, target, readOnly] = [v.source, v.target, v.read_only === true];
  } else {
    return undefined;
  }
  const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  return bind
    ? { kind: 'bind', source: path.resolve(projectDir, source), target, readOnly }
    : { kind: 'named', source, target, readOnly };
}

/**
 * The run specification of a compose service (default `app`).
 * @param compose the parsed compose.yaml; @param projectDir the folder compose.yaml is in
 *   (relative env files and bind mounts resolve against it).
 * @throws Error when the service is missing.
 */
export function runSpec(compose: Record<string, any>, projectDir: string, service = 'app'): RunSpec {
  const s = compose?.services?.[service] as Record<string, any> | undefined;
  if (!s) throw new Error(`compose.yaml has no service ${service}`);
  const envFiles = envFilesOf(s.env_file, projectDir);
  const env: Record<string, string> = {};
  for (const f of envFiles) if (f.found) Object.assign(env, parseEnvFile(readFileSync(f.path, 'utf8')));
  Object.assign(env, environmentOf(s.environment));
  const handled = new Set([
    ...NOT_RUNTIME,
    'user',
    'read_only',
    'tmpfs',
    'cap_drop',
    'cap_add',
    'security_opt',
    'environment',
    'env_file',
    'volumes',
    'ports',
    'entrypoint',
    'command',
    'extra_hosts',
    'working_dir',
    'init',
    'expose',
  ]);
  const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]).map(String);
  const extraHosts = Array.isArray(s.extra_hosts)
    ? list(s.extra_hosts).map((h) => h.replace('=', ':'))
    : Object.entries((s.extra_hosts ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}:${String(v)}`);
  return {
    user: s.user === undefined ? undefined : String(s.user),
    readOnly: s.read_only === true,
    tmpfs: list(s.tmpfs),
    capDrop: list(s.cap_drop),
    capAdd: list(s.cap_add),
    securityOpt: list(s.security_opt).map((o) => o.replace(/^no-new-privileges(:true)?$/, 'no-new-privileges')),
    env,
    envFiles,
    volumes: (Array.isArray(s.volumes) ? s.volumes : [])
      .map((v: unknown) => volumeOf(v, projectDir))
      .filter((v: VolumeSpec | undefined): v is VolumeSpec => v !== undefined),
    ports: list(s.ports),
    entrypoint: execForm(s.entrypoint),
    command: execForm(s.command),
    extraHosts,
    workingDir: s.working_dir === undefined ? undefined : String(s.working_dir),
    init: s.init === true,
    ignored: Object.keys(s).filter((k) => !handled.has(k)),
  };
}

/**
 * The `podman run` flags (between `run` and the image) for a spec. Named volumes are renamed with
 * `volumeName` (e.g. to make them unique per run); `env` overrides or adds variables.
 * @returns flags, then the command arguments to put after the image.
 */
export function podmanRunArgs(
  spec: RunSpec,
  opts: { volumeName: (name: string) => string; env?: Record<string, string>; addHosts?: string[] },
): { flags: string[]; command: string[] } {
  const flags: string[] = [];
  if (spec.user) flags.push('--user', spec.user);
  if (spec.readOnly) flags.push('--read-only');
  for (const t of spec.tmpfs) flags.push('--tmpfs', t);
  for (const c of spec.capDrop) flags.push('--cap-drop', c);
  for (const c of spec.capAdd) flags.push('--cap-add', c);
  for (const o of spec.securityOpt) flags.push('--security-opt', o);
  for (const [k, v] of Object.entries({ ...spec.env, ...opts.env })) flags.push('-e', `${k}=${v}`);
  for (const v of spec.volumes) {
    const src = v.kind === 'named' ? opts.volumeName(v.source) : v.source;
    flags.push('-v', `${src}:${v.target}${v.readOnly ? ':ro' : ''}`);
  }
  for (const h of [...spec.extraHosts, ...(opts.addHosts ?? [])]) flags.push('--add-host', h);
  if (spec.workingDir) flags.push('--workdir', spec.workingDir);
  if (spec.init) flags.push('--init');
  if (spec.entrypoint) flags.push('--entrypoint', JSON.stringify(spec.entrypoint));
  return { flags, command: spec.command ?? [] };
}

/** The PostgreSQL login the generated `db` service creates (the official image's variables and defaults). */
export interface DbLogin {
  user: string;
  database: string;
  password: string | undefined;
}

/**
 * The login of compose's `db` service, or undefined when there is none: POSTGRES_USER (default
 * `postgres`), POSTGRES_DB (default the user), POSTGRES_PASSWORD, from its environment and env files.
 */
export function dbLogin(compose: Record<string, any>, projectDir: string): DbLogin | undefined {
  if (!compose?.services?.db) return undefined;
  const env = runSpec(compose, projectDir, 'db').env;
  const user = env.POSTGRES_USER || 'postgres';
  return { user, database: env.POSTGRES_DB || user, password: env.POSTGRES_PASSWORD };
}
