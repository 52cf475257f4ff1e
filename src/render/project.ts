/**
 * Render a multi-service project: each service's own files (its Dockerfile, .dockerignore and
 * language files in its folder; its Deployment, Service and PodDisruptionBudget in
 * `k8s/<service>/`) rendered as for a single service (pack.yaml `layout: service`), then the
 * project's files once at the root (`layout: project`): one compose.yaml with every service and
 * the backing services they share, one kustomization, the NetworkPolicies of the call graph, one
 * README.Docker.md. A backing service that services share (PostgreSQL, Redis) is rendered once,
 * named after the project; one that each service has for itself (SQLite) stays in the service.
 *
 * Pure like `render`: nothing here reads the repository.
 */
import { fieldTable } from '../answers/fields.js';
import { projectToYaml } from '../answers/file.js';
import { findService, runsInBrowser, serviceKinds } from '../registry.js';
import type { PackFileEntry, PackSecretEntry, ResolvedPack } from '../templates/pack.js';
import { matches } from '../templates/pack.js';
import type { Answers, ProjectAnswers, ProjectService, Warning } from '../vocabulary.js';
import { formatEvidence } from '../vocabulary.js';
import type { RenderContext, ServiceView } from './context.js';
import { buildContext } from './context.js';
import type { Rendered, RenderedFile, RenderedSecret } from './render.js';
import { renderEntries } from './render.js';

/** One service as the project's templates see it (`apps`). */
export interface AppView {
  name: string;
  /** Its folder, relative to the root. */
  dir: string;
  /** Its own render context (as a single service's, `layout: service`). */
  ctx: RenderContext;
  /** The services it calls, with the variable and the callee's port. */
  calls: { to: string; env: string; port: number }[];
  /** The services that call it from their servers (a browser-side caller is not among them). */
  callers: string[];
  /** Reachable from outside the project: nobody calls it, or a browser does. */
  public: boolean;
  /** What its NetworkPolicy lets it reach besides DNS: the services it calls, its backing services. */
  egress: { name: string; component: string; port: number; what: string }[];
  /** Titles of the backing services it uses. */
  backing: string[];
  /** compose services it waits for (healthy). */
  dependsOn: string[];
  buildArgs: { name: string; value: string }[];
}

/** A backing service the project's services share, with the services that use it. */
export interface BackingView extends ServiceView {
  component: string;
  port: number;
  portName: string;
  users: string[];
}

/**
 * A variable a frontend framework puts into the code it sends to the browser, read at build time:
 * Vite `VITE_`, Create React App `REACT_APP_`, Next.js `NEXT_PUBLIC_`, Vue CLI `VUE_APP_` (their
 * docs on environment variables). A call through one comes from the browser.
 */
const BROWSER_VARIABLE = /^(VITE|REACT_APP|NEXT_PUBLIC|VUE_APP)_/;

/** True when the pack entry belongs to a backing service that the project's services share. */
function sharedModule(e: PackFileEntry | PackSecretEntry): boolean {
  const id = e.when?.service;
  return typeof id === 'string' && Boolean(findService(id)?.shared);
}

/** Where a service's file goes: `k8s/…` in `k8s/<name>/`, anything else in its folder. */
function placeIn(s: { name: string; dir: string }, file: string): string {
  if (file.startsWith('k8s/')) return `k8s/${s.name}/${file.slice(4)}`;
  return s.dir === '.' ? file : `${s.dir}/${file}`;
}

/**
 * The value of a caller's variable for the callee at `host:port`, by the variable's name:
 * `*_HOST` the host, `*_ADDR`/`*_ADDRESS` host:port, anything else an `http://` URL.
 */
export function callValue(env: string, host: string, port: number): string {
  if (/_HOST(NAME)?$/.test(env)) return host;
  if (/_ADDR(ESS)?$/.test(env)) return `${host}:${port}`;
  return `http://${host}:${port}`;
}

/**
 * Host ports compose publishes the services on: each its own port, or the next free one above
 * it when an earlier service has it.
 */
function hostPorts(services: readonly ProjectService[]): Map<string, number> {
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const s of services) {
    let p = s.answers.port;
    while (used.has(p) && p < 65535) p++;
    used.add(p);
    out.set(s.name, p);
  }
  return out;
}

/**
 * The answers the project's own files are rendered with: the first service's, named after the
 * project, with each kind's shared backing service (the first service's that has one) and that
 * service's answers for it (e.g. `redisPersistence`).
 */
function projectAnswers(p: ProjectAnswers): Answers {
  const out: Record<string, unknown> = { ...p.services[0]!.answers, name: p.project };
  for (const kind of serviceKinds()) {
    const user = p.services.find((s) => findService(String(s.answers[kind]))?.shared);
    out[kind] = user ? user.answers[kind] : 'none';
    if (!user) continue;
    for (const f of fieldTable().filter((x) => x.service === user.answers[kind])) out[f.key] = user.answers[f.key];
  }
  return out as Answers;
}

/**
 * Render the project.
 * @param warnings by service name: what detection found there (evidence relative to the root).
 * @param previousAnswers the answers file as it is (comments and key order kept).
 * @param absent managed files the user deleted: not listed in the kustomization.
 * @param former services taken out of the project (`dockforge remove`): their files are declared
 *   outputs, so the plan deletes the ones the user did not edit.
 * @throws Error when a template fails (a pack bug, named with the template).
 */
export async function renderProject(
  p: ProjectAnswers,
  pack: ResolvedPack,
  version: string,
  warnings: ReadonlyMap<string, readonly Warning[]> = new Map(),
  previousAnswers?: string,
  absent: ReadonlySet<string> = new Set(),
  former: readonly { name: string; dir: string }[] = [],
): Promise<Rendered> {
  const meta = { version, pack: pack.id, partialNames: pack.partialNames, data: pack.data, project: p.project };
  const ports = hostPorts(p.services);
  const byName = new Map(p.services.map((s) => [s.name, s]));
  const apps: AppView[] = [];
  const files: RenderedFile[] = [];
  const secrets: RenderedSecret[] = [];
  const outputs = new Set<string>();
  for (const s of p.services) {
    const ctx = buildContext(s.answers, meta);
    ctx.buildDir = s.dir === '.' ? '.' : `./${s.dir}`;
    ctx.hostPort = ports.get(s.name)!;
    ctx.volumePrefix = `${s.name}-`;
    const calls = s.calls.map((c) => ({ ...c, port: byName.get(c.to)!.answers.port }));
    const browser = runsInBrowser(s.answers.language);
    for (const c of calls) {
      if (!c.env) continue;
      // a browser reaches the callee where compose publishes it; a server by its service name
      if (browser || BROWSER_VARIABLE.test(c.env)) {
        ctx.buildArgs.push({ name: c.env, value: `http://localhost:${ports.get(c.to)}` });
      } else if (!ctx.composeEnv.some((e) => e.name === c.env)) {
        const value = callValue(c.env, c.to, c.port);
        ctx.composeEnv.push({ name: c.env, value });
        ctx.k8sEnv.push({ name: c.env, value });
      }
    }
    const fromBrowser = (c: { env: string }): boolean => browser || BROWSER_VARIABLE.test(c.env);
    ctx.dependsOn = [...ctx.dependsOn, ...calls.map((c) => c.to)];
    const backing = ctx.services.filter((v) => findService(v.id)?.shared);
    apps.push({
      name: s.name,
      dir: s.dir,
      ctx,
      calls,
      callers: [],
      public: true,
      egress: [
        ...calls
          .filter((c) => !fromBrowser(c))
          .map((c) => ({ name: c.to, component: 'server', port: c.port, what: `calls ${c.to}` })),
        ...backing.map((v) => {
          const e = findService(v.id)!.endpoint!;
          return { name: p.project, component: e.component, port: e.port, what: `uses ${v.title}` };
        }),
      ],
      backing: backing.map((v) => v.title),
      dependsOn: ctx.dependsOn,
      buildArgs: ctx.buildArgs,
    });
    // the service's own files: in its folder, its Kubernetes objects in k8s/<name>/
    const own = pack.files.filter((e) => matches(e.when, ctx) && !sharedModule(e));
    const place = (path: string): string => placeIn(s, path);
    ctx.warnings = (warnings.get(s.name) ?? []).map((w) => ({
      message: w.message,
      evidence: formatEvidence(w.evidence),
    }));
    for (const f of await renderEntries(pack, own, ctx)) files.push({ ...f, path: place(f.path) });
    for (const sec of pack.secrets.filter((x) => matches(x.when, ctx) && !sharedModule(x))) {
      const derived = ctx.secretEnv.filter((d) => d.file === sec.path).map((d) => ({ key: d.key, value: d.value }));
      secrets.push({ path: place(sec.path), keys: sec.keys, derived });
    }
  }
  // every path a service's entries can write, for the services now and those taken out
  const serviceEntries = pack.files.filter(
    (e) => [e.when?.layout ?? 'service'].flat().includes('service') && !sharedModule(e) && !e.path.includes('{{'),
  );
  for (const s of [...p.services, ...former]) for (const e of serviceEntries) outputs.add(placeIn(s, e.path));
  // who calls whom from a server: a service called only by servers is reached only by them
  for (const app of apps) {
    const calls = apps.flatMap((a) => a.calls.filter((c) => c.to === app.name).map((c) => ({ from: a, env: c.env })));
    const browser = (c: { from: AppView; env: string }): boolean =>
      runsInBrowser(c.from.ctx.answers.language) || BROWSER_VARIABLE.test(c.env);
    app.callers = [...new Set(calls.filter((c) => !browser(c)).map((c) => c.from.name))];
    app.public = calls.length === 0 || calls.some(browser);
  }

  // the project's files, with the shared backing services named after it
  const ctx = buildContext(projectAnswers(p), meta);
  const backing: BackingView[] = ctx.services
    .filter((v) => findService(v.id)?.shared)
    .map((v) => ({
      ...v,
      ...findService(v.id)!.endpoint!,
      users: apps.filter((a) => a.ctx.services.some((x) => x.id === v.id)).map((a) => a.name),
    }));
  Object.assign(ctx, {
    layout: 'project',
    composeFile: 'compose.yaml',
    apps,
    backing,
    hasBuildArgs: apps.some((a) => a.buildArgs.length > 0),
    composeVolumes: [
      ...apps.flatMap((a) => a.ctx.volumes.map((v) => `${a.name}-${v.name}`)),
      ...backing.flatMap((b) => b.composeVolumes),
    ],
    warnings: p.services.flatMap((s) =>
      (warnings.get(s.name) ?? []).map((w) => ({
        message: `${s.name}: ${w.message}`,
        evidence: formatEvidence(w.evidence),
      })),
    ),
  });
  const projectEntries = pack.files.filter(
    (e) => (e.when?.layout === 'project' || sharedModule(e)) && matches(e.when, ctx),
  );
  for (const e of pack.files)
    if (e.when?.layout === 'project' || sharedModule(e)) outputs.add(e.path.includes('{{') ? 'compose.yaml' : e.path);
  const kustomization = projectEntries.filter((e) => e.path === 'k8s/kustomization.yaml');
  const rest = projectEntries.filter((e) => !kustomization.includes(e));
  const shared = await renderEntries(pack, rest, ctx);
  files.push(...shared);
  ctx.k8sResources = files
    .map((f) => f.path)
    .filter((f) => f.startsWith('k8s/') && /\.ya?ml$/.test(f) && !absent.has(f) && !f.endsWith('/kustomization.yaml'))
    .map((f) => f.slice(4))
    .sort();
  files.push(...(await renderEntries(pack, kustomization, ctx)));
  for (const sec of pack.secrets.filter((x) => sharedModule(x) && matches(x.when, ctx))) {
    secrets.push({
      path: sec.path,
      keys: sec.keys,
      derived: ctx.secretEnv.filter((d) => d.file === sec.path).map((d) => ({ key: d.key, value: d.value })),
    });
  }
  const gitignore = [...new Set(secrets.map((s) => `/${s.path.replace(/[^/]+$/, '')}`))];
  const answersText = projectToYaml(
    p,
    { version, pack: pack.id, packs: pack.pins, trust: pack.trusted },
    previousAnswers !== undefined && /^\s*services\s*:/m.test(previousAnswers) ? previousAnswers : undefined,
  );
  return {
    answers: p.services[0]!.answers,
    project: p,
    pack: pack.id,
    version,
    files,
    secrets,
    gitignore,
    answersText,
    outputs: [...outputs],
  };
}
