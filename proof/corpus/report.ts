/**
 * The corpus run's results: one record per repository, the summary counts, and docs/corpus.md.
 * Pure functions of the records (no I/O).
 */
import type { Persistence, RunMeasure, HealthCheck } from './container.js';
import type { BasesResult, BuildResult } from './image.js';
import { formatChecks, type InitResult, type StaticChecks } from './render.js';

/** Everything measured for one repository. Times in seconds. */
export interface RepoResult {
  repo: string;
  snapshot: string;
  language: string;
  database: string;
  /** corpus.json's health path (the real one), or null. */
  truthHealthPath: string | null;
  /** `dockforge init` with the distroless base, and the static checks of what it wrote. */
  init?: InitResult;
  distrolessChecks?: StaticChecks;
  /** What dockforge answered (from .dockforge/answers.yaml). */
  answers?: { language?: string; database?: string; port?: number; healthPath?: string; check: HealthCheck };
  /** The Alpine rendering: rendered and statically checked, never built here. */
  alpine?: { init: InitResult; checks?: StaticChecks };
  /** Not built: why (render-only, init failed, no engine, no stand-in base). */
  notBuilt?: string;
  bases?: BasesResult;
  build?: BuildResult;
  run?: RunMeasure;
  persistence?: Persistence | { result: 'n/a'; detail: string };
  /** Facts about the run worth reading (PostgreSQL login used, ignored compose keys, busy ports). */
  notes: string[];
  /** The tool's own failure on this repository (a crash caught and recorded). */
  error?: string;
  seconds: { render: number; bases?: number; build?: number; run?: number; total: number };
}

/** The run's context, printed at the top of docs/corpus.md. */
export interface RunInfo {
  date: string;
  machine: { cores: number; memoryGiB: number; kernel: string; node: string; buildah: string; podman: string };
  commit: string;
  /** Uncommitted changes under src/ or templates/ when the run started (the CLI was built from them). */
  dirty: string[];
  command: string;
  /** Flags added to every init (`--force` with the option). */
  initFlags: string[];
  /** What CI runs, and why (a sentence). */
  ciNote: string;
  /** Repositories in the corpus, and the ones this run covered (a subset says why). */
  corpusSize: number;
  subset?: string;
  renderOnly: boolean;
  /** How many repositories the run tried to build and run (all, unless render-only or a subset). */
  built: number;
  uid: number;
  timeoutPerRepo: number;
  totalSeconds: number;
  dockerfileLint: boolean;
  /** Rows re-run later (`--update --repos`) and merged into this run's report: which, when, from what. */
  rerun?: { repos: string[]; date: string; commit: string; dirty: string[]; command: string; totalSeconds: number };
}

/** The summary counts (each out of the repositories run). */
export interface Summary {
  repos: number;
  initOk: number;
  built: number;
  running: number;
  port: number;
  health: number;
  truthHealth: number;
  truthHealthOf: number;
  persistence: number;
  persistenceOf: number;
  failed: number;
  explainedByWarning: number;
}

/**
 * Whether the port answered and is reachable from outside the container: a port bound to loopback only
 * answers here (host network) but not through compose's published port or a Kubernetes probe.
 */
export function reachable(r: RepoResult): boolean {
  return r.run?.portAnswers === true && r.run.loopbackOnly !== true;
}

/** Whether dockforge's health check answered (HTTP 2xx, or TCP) on a reachable port. */
export function healthy(r: RepoResult): boolean {
  return reachable(r) && r.run!.health.ok;
}

/** Whether every measured step of a repository worked (init, build, running, port, health). */
export function works(r: RepoResult): boolean {
  return r.init?.exitCode === 0 && r.build?.ok === true && !!r.run?.runningAfter20s && healthy(r);
}

/** Count the results (see {@link Summary}). */
export function summarize(rows: RepoResult[]): Summary {
  const count = (f: (r: RepoResult) => boolean): number => rows.filter(f).length;
  const failed = rows.filter((r) => !works(r));
  return {
    repos: rows.length,
    initOk: count((r) => r.init?.exitCode === 0),
    built: count((r) => r.build?.ok === true),
    running: count((r) => r.run?.runningAfter20s === true),
    port: count(reachable),
    health: count(healthy),
    truthHealth: count((r) => r.run?.truth !== undefined && r.run.truth.status >= 200 && r.run.truth.status < 300),
    truthHealthOf: count((r) => r.truthHealthPath !== null),
    persistence: count((r) => r.persistence?.result === 'ok'),
    persistenceOf: count((r) => r.persistence !== undefined && r.persistence.result !== 'n/a'),
    failed: failed.length,
    explainedByWarning: failed.filter((r) => (r.init?.warnings.length ?? 0) > 0).length,
  };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/**
 * When a build failed for a reason of this machine rather than of the generated files, that reason:
 * outbound TLS here is re-signed by a local CA that the build gets as /etc/ssl/certs and an npmrc `cafile`,
 * which Node's own fetch (corepack downloading yarn or pnpm) does not read.
 */
export function harnessCause(r: RepoResult): string | undefined {
  const tail = (r.build?.tail ?? []).join('\n');
  if (/self-signed certificate|unable to get local issuer certificate/.test(tail)) {
    return "this machine's TLS re-signing (Node's fetch does not read the CA bundle given to the build)";
  }
  return undefined;
}

/** The "built" cell: yes (seconds, size), or why not. */
export function builtCell(r: RepoResult): string {
  if (r.build?.ok) {
    const mb = r.build.imageBytes ? `, ${(r.build.imageBytes / 1e6).toFixed(0)} MB` : '';
    return `yes (${Math.round(r.build.seconds)} s${mb})`;
  }
  if (r.build?.timedOut) return `no: timed out after ${Math.round(r.build.seconds)} s`;
  const harness = harnessCause(r);
  if (r.build) return harness ? `no: build failed here: ${harness}` : 'no: build failed';
  return `no: ${r.notBuilt ?? 'not attempted'}`;
}

/** The "running after 20 s" cell. */
export function runningCell(r: RepoResult): string {
  if (!r.run) return '-';
  if (!r.run.started) return `no: did not start`;
  if (r.run.runningAfter20s) return 'yes';
  return `no: exited${r.run.exitCode === undefined ? '' : ` ${r.run.exitCode}`}`;
}

/** The "port" cell: the port and whether it answered a TCP connect. */
export function portCell(r: RepoResult): string {
  const port = r.answers?.port ?? '?';
  if (!r.run) return `${port}: -`;
  const other = r.run.otherPort?.answers ? ` (app answers on ${r.run.otherPort.port})` : '';
  const loopback = r.run.portAnswers && r.run.loopbackOnly ? ', on loopback only' : '';
  return `${port}: ${r.run.portAnswers ? 'yes' : 'no'}${loopback}${other}`;
}

/** The "health (dockforge)" cell: `GET /path → status` or `tcp → yes/no`. */
export function healthCell(r: RepoResult): string {
  const check = r.answers?.check;
  if (!check) return '-';
  const what = check.kind === 'http' ? `GET ${check.path}` : 'tcp';
  if (!r.run?.runningAfter20s) return `${what}: -`;
  const h = r.run.health;
  const loopback = r.run.loopbackOnly ? ' (loopback only)' : '';
  return (h.kind === 'http' ? `${what} → ${h.status || 'no answer'}` : `${what} → ${h.ok ? 'yes' : 'no'}`) + loopback;
}

/** The "health (corpus truth)" cell. */
export function truthCell(r: RepoResult): string {
  if (r.truthHealthPath === null) return 'none';
  const t = r.run?.truth;
  if (!t) return `GET ${r.truthHealthPath}: -`;
  const other =
    t.otherStatus === undefined ? '' : ` (${t.otherStatus || 'no answer'} on port ${r.run!.otherPort!.port})`;
  return `GET ${r.truthHealthPath} → ${t.status || 'no answer'}${other}`;
}

/** The "warnings printed" cell: how many, then the first one. */
export function warningsCell(r: RepoResult): string {
  const w = r.init?.warnings ?? [];
  if (w.length === 0) return '0';
  const first = w[0]!.length > 90 ? `${w[0]!.slice(0, 87)}…` : w[0]!;
  return `${w.length}: ${first}`;
}

function fmtSeconds(s: number | undefined): string {
  return s === undefined ? '-' : `${Math.round(s)}`;
}

/**
 * docs/corpus.md: context, summary, the results table, timings, and the details a fixer needs
 * (init errors, warnings, build log tails, container logs, static check findings).
 */
export function markdown(info: RunInfo, rows: RepoResult[]): string {
  const s = summarize(rows);
  const n = s.repos;
  const out: string[] = [];
  const folders = [...new Set(info.dirty.map((d) => d.split('/')[0]))].map((d) => `${d}/`);
  const dirty =
    info.dirty.length > 0
      ? ` plus uncommitted changes to ${info.dirty.length} files in ${folders.join(' and ')} (the CLI was built ` +
        'from the work tree)'
      : '';
  const p = (...lines: string[]): void => {
    out.push(...lines);
  };
  p(
    '# dockforge on the real-repository corpus',
    '',
    `Generated by \`npm run corpus\` (proof/corpus/run.ts); do not edit by hand. Command: \`${info.command}\`.`,
    '',
    `- Date: ${info.date}`,
    `- Machine: ${info.machine.cores} cores, ${info.machine.memoryGiB} GiB memory, Linux ${info.machine.kernel}, ` +
      `Node ${info.machine.node}, ${info.machine.buildah}, ${info.machine.podman}`,
    `- dockforge commit: \`${info.commit}\`${dirty}`,
    ...(info.rerun
      ? [
          `- Re-run later and merged (\`${info.rerun.command}\`): ${info.rerun.repos.join(', ')} on ` +
            `${info.rerun.date} at commit \`${info.rerun.commit}\`` +
            (info.rerun.dirty.length > 0 ? ` (uncommitted changes: ${info.rerun.dirty.join(', ')})` : '') +
            `, ${Math.round(info.rerun.totalSeconds)} s; every other row is from the run above.`,
        ]
      : []),
    `- Repositories: ${n} of the ${info.corpusSize} in the corpus` + (info.subset ? ` (${info.subset})` : ''),
    `- Each repository: a fresh copy of its service folder (all files, no .git), \`dockforge init --yes --base ` +
      `distroless --uid ${info.uid} --gid ${info.uid}${info.initFlags.map((f) => ` ${f}`).join('')}\` with the ` +
      'built CLI, and a second copy rendered with ' +
      '`--base alpine`.',
  );
  if (info.renderOnly) {
    p('- **Render only** (`--render-only`): nothing was built or run in this report.');
  } else {
    p(
      '- Base images: **stand-in base images built locally from Debian packages** (proof/bases; labelled ' +
        '`org.dockforge.stand-in=true`), not the official gcr.io / Docker Hub images, which no registry here serves.',
      '- Distroless `runtime` target built with Buildah (vfs storage, chroot isolation, `--pull=never` against the ' +
        `stand-in base images built locally from Debian packages), at most ${info.timeoutPerRepo} s per repository;` +
        " run with Podman + runc hardened like compose.yaml's `app` service (its user, read-only root, tmpfs, " +
        'cap_drop, no-new-privileges, environment, env files, volumes as Podman named volumes), host network; ' +
        "for a compose `db` service, a real PostgreSQL (Debian's) on loopback with the login from the generated " +
        'files, `db` resolving to 127.0.0.1.',
      '- Alpine renderings: rendered, checked (Compose schema' +
        (info.dockerfileLint ? ', BuildKit Dockerfile checks' : '; BuildKit Dockerfile checks not installed') +
        '), not built: no Alpine package source is reachable here.',
    );
  }
  p(`- Total time: ${Math.round(info.totalSeconds)} s.`, `- ${info.ciNote}`, '');
  p('## Summary', '', `| measure | repositories |`, `| --- | --- |`, `| init exit 0 | ${s.initOk}/${n} |`);
  if (!info.renderOnly) {
    if (info.built < n) p(`| built and run attempted (the others only rendered) | ${info.built}/${n} |`);
    p(
      `| built (distroless runtime target) | ${s.built}/${n} |`,
      `| still running after 20 s | ${s.running}/${n} |`,
      `| port answers a TCP connect, not on loopback only | ${s.port}/${n} |`,
      `| dockforge's health check answers (HTTP 2xx, or TCP), not on loopback only | ${s.health}/${n} |`,
      `| the corpus's real health path answers 2xx | ${s.truthHealth}/${s.truthHealthOf} (repositories with one) |`,
      `| data on the volume survives a new container (apps with a volume) | ${s.persistence}/${s.persistenceOf} |`,
      `| did not fully work (init, build, running, port or health) | ${s.failed}/${n} |`,
      `| … of which dockforge printed at least one warning | ${s.explainedByWarning}/${s.failed} |`,
    );
  }
  p(
    '',
    'Counting a failure as "explained by a warning" only means dockforge printed at least one `warning`/`note` ' +
      'line for that repository; the warnings column and the details below show whether it names the cause.',
    '',
    '## Results',
    '',
    '| repository | language | database | init exit | built | running after 20 s | port | health (dockforge) | ' +
      'health (corpus truth) | persistence | warnings printed | static checks (distroless / alpine) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of rows) {
    const persistence = r.persistence ? `${r.persistence.result}` : '-';
    const checks = `${formatChecks(r.distrolessChecks)} / ${formatChecks(r.alpine?.checks)}`;
    const cols = [
      r.repo,
      r.language,
      r.database,
      r.init ? String(r.init.exitCode) : '-',
      info.renderOnly ? 'not run' : builtCell(r),
      runningCell(r),
      portCell(r),
      healthCell(r),
      truthCell(r),
      persistence,
      warningsCell(r),
      checks,
    ];
    p(`| ${cols.map(cell).join(' | ')} |`);
  }
  p(
    '',
    '## Time per repository (seconds)',
    '',
    'render = both `init` runs and their static checks; bases = providing the stand-in base images built ' +
      'locally from Debian packages (0 when cached); build = Buildah; run = the container measurements.',
    '',
    '| repository | render | bases | build | run | total |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const r of rows) {
    const t = r.seconds;
    const cols = [r.repo, t.render.toFixed(1), fmtSeconds(t.bases), fmtSeconds(t.build), fmtSeconds(t.run)];
    p(`| ${cols.map(cell).join(' | ')} | ${fmtSeconds(t.total)} |`);
  }
  p('', '## Details', '');
  for (const r of rows) p(...details(r), '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

/** The details section of one repository. */
export function details(r: RepoResult): string[] {
  const out = [`### ${r.repo}`, ''];
  const a = r.answers;
  if (a) {
    const check = a.check.kind === 'http' ? `HTTP GET ${a.check.path}` : 'TCP';
    out.push(`- dockforge answered: ${a.language} · ${a.database} · port ${a.port} · health check ${check}`);
  }
  if (r.init && r.init.exitCode !== 0) out.push(`- init (distroless) exited ${r.init.exitCode}:`, fence(r.init.error));
  if (r.alpine && r.alpine.init.exitCode !== 0) {
    out.push(`- init (alpine) exited ${r.alpine.init.exitCode}:`, fence(r.alpine.init.error));
  }
  const warnings = r.init?.warnings ?? [];
  if (warnings.length > 0) out.push('- warnings and notes printed:', fence(warnings.join('\n')));
  for (const [label, c] of [
    ['distroless', r.distrolessChecks],
    ['alpine', r.alpine?.checks],
  ] as const) {
    const found = [...(c?.compose ?? []).map((e) => `compose: ${e}`), ...(c?.dockerfile ?? []), ...(c?.problems ?? [])];
    if (found.length > 0) out.push(`- static checks (${label}):`, fence(found.join('\n')));
  }
  if (r.notBuilt) out.push(`- not built: ${r.notBuilt}`);
  const bases = r.bases?.images.filter((i) => i.status !== 'present') ?? [];
  if (bases.length > 0) {
    const list = bases.map((i) => `${i.image} ${i.status} (${Math.round(i.seconds)} s)`);
    out.push(`- stand-in base images built locally from Debian packages: ${list.join(', ')}`);
  }
  if (r.build && !r.build.ok) out.push('- build log, last lines:', fence((r.build.tail ?? []).join('\n')));
  if (harnessCause(r)) out.push(`- the build failed because of ${harnessCause(r)}, not because of the generated files`);
  if (r.run) {
    if (r.run.startError) out.push(`- podman run failed: ${r.run.startError}`);
    if (r.run.uidSeen) out.push(`- process UID:GID ${r.run.uidSeen}`);
    if (r.run.portFirstSeconds !== undefined) out.push(`- port first answered after ${r.run.portFirstSeconds} s`);
    if (r.run.listening) out.push(`- listening on: ${r.run.listening.join(', ') || 'nothing'}`);
    if (r.run.loopbackOnly) {
      out.push(
        "- the port is bound to loopback only: it answers here (host network) but not through compose's " +
          'published port or a Kubernetes probe, so it counts as not answering',
      );
    }
    if (r.run.composeHealthcheck !== undefined) {
      out.push(`- compose healthcheck command inside the container: exit ${r.run.composeHealthcheck}`);
    }
    if (r.run.otherPort) {
      const o = r.run.otherPort;
      out.push(`- the corpus's port ${o.port} ${o.answers ? 'answers' : 'does not answer'}`);
    }
    if (!works(r) && r.run.logTail.length > 0)
      out.push('- container output, last lines:', fence(r.run.logTail.join('\n')));
  }
  if (r.persistence) out.push(`- persistence: ${r.persistence.result}: ${r.persistence.detail}`);
  for (const note of r.notes) out.push(`- ${note}`);
  if (r.error) out.push(`- the corpus tool failed here: ${r.error}`);
  return out;
}

function fence(text: string | undefined): string {
  return ['  ```', ...(text ?? '').split('\n').map((l) => `  ${l.replace(/```/g, "'''")}`), '  ```'].join('\n');
}
