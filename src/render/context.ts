/**
 * The render context: the answers plus the facts the language and service modules derive
 * from them, as data. Shared templates iterate over its lists (`composeEnv`, `volumes`,
 * `stages`, `services`) instead of branching on a language or a database.
 */
import { UsageError } from '../errors.js';
import { findLanguage, findService, serviceKinds } from '../registry.js';
import type { ServiceContext } from '../services/types.js';
import type { LanguageContext, ServiceFacts } from '../stacks/types.js';
import type { Answers } from '../vocabulary.js';

/** One active backing service as templates see it. */
export interface ServiceView extends ServiceContext {
  id: string;
  title: string;
  /** The service's partials by short name (`compose` → `services/postgres/compose`). */
  partials: Record<string, string>;
}

/**
 * Everything a template can reference: the answers (also at the top level), the language's
 * context, and the active services' contributions merged into one list per kind (`PORT` first
 * in `composeEnv` and `k8sEnv`; each data volume and its `dev-` twin first in `composeVolumes`).
 */
export interface RenderContext extends LanguageContext, Omit<ServiceContext, 'packages'> {
  answers: Answers;
  /** dockforge's version, printed in file headers. */
  version: string;
  /** Resolved pack id, `name@version[ + name@version]`. */
  pack: string;
  alpine: boolean;
  distroless: boolean;
  /** The language's partials by short name (`dockerfile` → `languages/go/dockerfile`). */
  partials: Record<string, string>;
  /** Active backing services (one per kind whose answer is not `none`). */
  services: ServiceView[];
  /** Ids of the active services (for pack `when: { service: … }`). */
  service: string[];
  /** Active services that run as their own compose service (have a `compose` partial). */
  composeServices: ServiceView[];
  /** The image of each active service that has its own container, by id, registry mirrors applied. */
  serviceImages: Record<string, string>;
  /** The pack's `data`, merged over its layers (e.g. `registryMirrors`). */
  data: Record<string, unknown>;
  /** One writer only (a service says so): one replica, `Recreate`, no PodDisruptionBudget. */
  singleWriter: boolean;
  /** Why, for comments and README.Docker.md. */
  singleWriterReason: string;
  /** The working directory of the runtime stage when a service needs one ('' for the language's own). */
  runWorkdir: string;
  /** Compiled languages: folders of the repository copied to /srv, the working directory (the `runtimeDirs` answer). */
  runtimeDirList: string[];
  /** The compose healthcheck's command without `CMD`: the liveness exec probe when checks are TCP. */
  livenessCommand: string[];
  /**
   * Host port of the compose `dev` service: the app's port + 1 (- 1 at 65535), so `app` and `dev`
   * can run side by side (`docker compose --profile dev watch` starts both) without a bind error.
   */
  devPort: number;
  /**
   * The git-ignored secret files the compose file and the kustomization read (`env_file`,
   * `secretGenerator` envs), relative to the project: absent in a fresh clone until `generate`.
   */
  secretFiles: string[];
  /** Files under k8s/ that kustomization.yaml lists (filled in by the renderer). */
  k8sResources: string[];
  /**
   * pack.yaml `layout`: `single` (one service at the root), `service` (one service of a
   * multi-service project, render/project.ts), `project` (the project's own files).
   */
  layout: 'single' | 'service' | 'project';
  /** `app.kubernetes.io/part-of`: the project's name, or the service's own. */
  partOf: string;
  /** The compose build context of the service, relative to compose.yaml (`.`, `./api`). */
  buildDir: string;
  /** Host port compose publishes the service on (its port; another when two services of a project share one). */
  hostPort: number;
  /** compose `build.args`: build-time values (a static site's API URL in a project). */
  buildArgs: { name: string; value: string }[];
  /** Put before the compose names of the service's data volumes (`api-` in a project: one compose file). */
  volumePrefix: string;
  /** README.Docker.md "Before you deploy": message and `file:line` evidence (filled in by the renderer). */
  warnings: { message: string; evidence: string }[];
  [key: string]: unknown;
}

/**
 * A pack's `registryMirrors` data: source registry host (`docker.io`, `gcr.io`, `ghcr.io`, a
 * host with a port) → the registry and path prefix that mirrors it (`registry.example.com/hub`).
 * @throws UsageError when it is not such a mapping (the value ends up in FROM lines and YAML).
 */
export function registryMirrors(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === undefined || raw === null) return out;
  const bad = (why: string): never => {
    throw new UsageError(`invalid pack data registryMirrors: ${why}`);
  };
  if (typeof raw !== 'object' || Array.isArray(raw)) bad('expected a mapping of registry host to mirror prefix');
  for (const [host, prefix] of Object.entries(raw as Record<string, unknown>)) {
    if (!REGISTRY_HOST.test(host)) bad(`${JSON.stringify(host)} is not a registry host (e.g. docker.io, gcr.io)`);
    if (typeof prefix !== 'string' || !MIRROR_PREFIX.test(prefix)) {
      bad(
        `${JSON.stringify(prefix)} for ${host} is not a registry host with an optional path (registry.example.com/hub)`,
      );
    }
    out.set(host, prefix as string);
  }
  return out;
}

/**
 * A registry host, as the first component of an image name (distribution/reference: it has a `.`
 * or a `:`, or is localhost).
 */
const REGISTRY_HOST = /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(:[0-9]{1,5})?$/;

/** A mirror: a registry host, then optional lowercase path components. */
const MIRROR_PREFIX = new RegExp(`${REGISTRY_HOST.source.slice(0, -1)}(\\/[a-z0-9]+([._-][a-z0-9]+)*)*$`);

/**
 * `ref` with its registry replaced by the mirror `mirrors` names for it; `ref` itself when none
 * does. Names are normalised as distribution/reference does (`normalize.go`): a name whose first
 * component is not a host (no `.` or `:`, not `localhost`) is on `docker.io`, and a one-component
 * Docker Hub name is under `library/` — so `golang:1.26-trixie` with `docker.io` mirrored at
 * `registry.example.com/hub` becomes `registry.example.com/hub/library/golang:1.26-trixie`.
 */
export function mirrorImage(ref: string, mirrors: ReadonlyMap<string, string>): string {
  if (mirrors.size === 0) return ref;
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hosted = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hosted ? first : 'docker.io';
  let rest = hosted ? ref.slice(slash + 1) : ref;
  if (host === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  const mirror = mirrors.get(host);
  return mirror ? `${mirror}/${rest}` : ref;
}

/**
 * An environment entry whose value compose takes literally: `$` doubled (Compose Specification,
 * "Interpolation": `$$` is a literal `$`; a single one would read the host's environment, and
 * `$(` is an invalid interpolation).
 */
function composeLiteral<T extends { value?: string }>(e: T): T {
  return e.value?.includes('$') ? { ...e, value: e.value.replaceAll('$', '$$$$') } : e;
}

/**
 * An environment entry whose value Kubernetes takes literally: `$(` written `$$(` (Kubernetes
 * API, EnvVar.value: `$(VAR_NAME)` references are expanded, `$$(VAR_NAME)` is the escape).
 */
function k8sLiteral<T extends { value?: string }>(e: T): T {
  return e.value?.includes('$(') ? { ...e, value: e.value.replaceAll('$(', '$$$$(') } : e;
}

/** Partials of one module folder (`languages/go`), by the name after the folder. */
function modulePartials(partialNames: readonly string[], folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of partialNames) {
    if (name.startsWith(`${folder}/`)) out[name.slice(folder.length + 1)] = name;
  }
  return out;
}

/**
 * Derive the render context from validated answers.
 * @param meta dockforge version, the resolved pack id and its partial names.
 * @throws Error when the language or a service of the answers is not registered (validated
 *   answers always name registered ones).
 */
export function buildContext(
  answers: Answers,
  meta: {
    version: string;
    pack: string;
    partialNames: readonly string[];
    data?: Record<string, unknown>;
    /**
     * In a project (render/project.ts): the project's name, which names the backing services the
     * services share (`<project>-postgres`, its database and user) and is their `part-of`.
     */
    project?: string;
  },
): RenderContext {
  const mirrors = registryMirrors(meta.data?.registryMirrors);
  const language = findLanguage(answers.language);
  if (!language) throw new Error(`language ${answers.language} is not registered`);
  const services: ServiceView[] = [];
  for (const kind of serviceKinds()) {
    const id = String(answers[kind] ?? 'none');
    if (id === 'none') continue;
    const service = findService(id);
    if (!service) throw new Error(`service ${id} is not registered`);
    services.push({
      id,
      title: service.title,
      ...service.context(meta.project ? { ...answers, name: meta.project } : answers, { appDir: language.appDir }),
      partials: modulePartials(meta.partialNames, `services/${id}`),
    });
  }
  const all = <T>(pick: (s: ServiceView) => T[]): T[] => services.flatMap(pick);
  const volumes = all((s) => s.volumes);
  const pkgs = all((s) => (s.packages[language.id] ? [s.packages[language.id]!] : []));
  const facts: ServiceFacts = {
    volumes,
    packages: {
      debianBuild: pkgs.flatMap((p) => p.debianBuild),
      alpineBuild: pkgs.flatMap((p) => p.alpineBuild),
      alpineRuntime: pkgs.flatMap((p) => p.alpineRuntime),
    },
  };
  const writer = services.map((id) => findService(id.id)!.singleWriter).find((w) => w !== false);
  const port = { name: 'PORT', value: String(answers.port) };
  // the names the app reads its port from; PORT is always set too. An address-style name
  // (`HTTP_ADDR`, `LISTEN_ADDRESS`) gets host:port on every interface.
  const portVars = String(answers.portEnv ?? 'PORT')
    .split(',')
    .filter((n) => n && n !== 'PORT')
    .map((n) => ({ name: n, value: /ADDR(ESS)?$/i.test(n) ? `0.0.0.0:${answers.port}` : String(answers.port) }));
  // more environment from the answers (`env`: NAME=value,…), after dockforge's own
  const extraEnv = String(answers.env ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }));
  const languageContext = language.context(answers, facts);
  if (languageContext.images) {
    const images = Object.entries(languageContext.images).map(([k, v]) => [k, mirrorImage(v, mirrors)]);
    languageContext.images = Object.fromEntries(images) as Record<string, string>;
  }
  // a folder a service keeps out of the build context cannot be copied (the data folder)
  const excluded = new Set(all((s) => s.dockerignoreExclude).map((e) => e.replace(/^\/|\/$/g, '')));
  if (languageContext.runtimeCopy) {
    const { all: everything, files, dirs } = languageContext.runtimeCopy;
    languageContext.runtimeCopy = { all: everything, files, dirs: dirs.filter((d) => !excluded.has(d)) };
  }
  // a service that needs another working directory (a relative SQLite path): run there, with
  // the interpreted language's relative start file resolved against its code folder
  // compiled languages run from /srv when the code reads folders of the repository at run time
  const runtimeDirs = language.appDir
    ? []
    : String(answers.runtimeDirs ?? '')
        .split(',')
        .filter(Boolean);
  const runWorkdir = services.map((s) => s.workdir).find(Boolean) ?? (runtimeDirs.length > 0 ? '/srv' : undefined);
  if (runWorkdir && language.appDir) {
    languageContext.cmd = languageContext.cmd.map((c) => (c.startsWith('/') ? c : `${language.appDir}/${c}`));
  }
  return {
    ...answers,
    ...languageContext,
    answers,
    version: meta.version,
    pack: meta.pack,
    alpine: answers.base === 'alpine',
    distroless: answers.base === 'distroless',
    partials: modulePartials(meta.partialNames, `languages/${language.id}`),
    services,
    service: services.map((s) => s.id),
    composeServices: services.filter((s) => s.partials.compose),
    serviceImages: Object.fromEntries(
      services.filter((s) => s.image).map((s) => [s.id, mirrorImage(s.image!, mirrors)]),
    ),
    data: meta.data ?? {},
    imageEnv: [...portVars, ...all((s) => s.imageEnv)],
    composeEnv: [port, ...portVars, ...all((s) => s.composeEnv), ...extraEnv].map(composeLiteral),
    k8sEnv: [port, ...portVars, ...all((s) => s.k8sEnv), ...extraEnv].map(k8sLiteral),
    volumes,
    composeVolumes: [...volumes.flatMap((v) => [v.name, `dev-${v.name}`]), ...all((s) => s.composeVolumes)],
    envFiles: all((s) => s.envFiles),
    dependsOn: all((s) => s.dependsOn),
    secretGenerators: all((s) => s.secretGenerators),
    secretEnv: all((s) => s.secretEnv),
    composeNotes: all((s) => s.composeNotes),
    policyNote: services.map((s) => s.policyNote).join(''),
    livenessCommand: languageContext.healthcheck.slice(1),
    runWorkdir: runWorkdir ?? '',
    runtimeDirList: runtimeDirs,
    seedFiles: all((s) => s.seedFiles),
    dockerignoreExclude: all((s) => s.dockerignoreExclude),
    dockerignoreKeep: all((s) => s.dockerignoreKeep),
    singleWriter: Boolean(writer),
    singleWriterReason: writer ? writer.reason : '',
    devPort: answers.port === 65535 ? 65534 : answers.port + 1,
    secretFiles: [
      ...new Set([...all((s) => s.envFiles), ...all((s) => s.secretGenerators).map((g) => `k8s/${g.env}`)]),
    ],
    k8sResources: [],
    warnings: [],
    layout: meta.project === undefined ? 'single' : 'service',
    partOf: meta.project ?? answers.name,
    buildDir: '.',
    hostPort: answers.port,
    buildArgs: [],
    volumePrefix: '',
  };
}
