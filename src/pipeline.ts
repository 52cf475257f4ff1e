/**
 * The one data flow every command runs: detect → answers → render → plan → write.
 *
 * `init` detects and asks; `generate` starts from the saved answers (detecting only when the
 * language changes); `status` uses the saved answers alone. All three render with the pack,
 * plan against the record of generated files and the disk, and — unless `write` is false
 * (`status`, `--dry-run`) — carry the plan out.
 *
 * A writing run holds the project lock (`.dockforge/lock`) from before it reads anything until
 * it has written everything, completes a run that was interrupted (its journal) first, and
 * removes the temporary files of dead runs. Read-only runs take no lock: they may see a
 * concurrent run's half-written state, which only affects what they print.
 */
import { readAnswers } from './answers/file.js';
import type { Resolved } from './answers/resolve.js';
import { assertKnownAnswers, canonicalKey, usePackFields } from './answers/fields.js';
import { languageIndependent, resolveAnswers } from './answers/resolve.js';
import { detect } from './detect/index.js';
import { EnvironmentError, UsageError, classifyError, isEnvironmentError, isUsageError } from './errors.js';
import type { DiskState } from './plan/disk.js';
import { confinedPath, readDisk, unresolvedConflicts } from './plan/disk.js';
import type { Plan } from './plan/reconcile.js';
import { absentPaths, foreignPaths, pathsToRead, reconcile } from './plan/reconcile.js';
import type { GenerationRecord } from './plan/record.js';
import { RECORD_PATH, readRecord } from './plan/record.js';
import type { Rendered } from './render/render.js';
import { render } from './render/render.js';
import { questionFields } from './templates/pack.js';
import type { PackSelection } from './templates/select.js';
import { selectPack } from './templates/select.js';
import { openRepo } from './detect/repo.js';
import { findLanguage } from './registry.js';
import type { Answers, Detection, Evidence, ProjectAnswers, ProjectService } from './vocabulary.js';
import { ANSWERS_PATH, DNS1123_LABEL, emptyDetection } from './vocabulary.js';
import path from 'node:path';
import type { SavedAnswers } from './answers/file.js';
import { PROJECT_SERVICE_KEYS, checkProject, parseCalls, parseServiceKey } from './answers/project.js';
import type { ProjectDetection } from './detect/project.js';
import { detectProject, findCalls } from './detect/project.js';
import { toLabel } from './detect/repo.js';
import { renderProject } from './render/project.js';
import { execute, pathsTouched } from './write/apply.js';
import type { Recovery } from './write/journal.js';
import { JOURNAL_PATH, cleanStaleTemps, foldersOf, recoverJournal } from './write/journal.js';
import { LOCK_PATH, acquireLock } from './write/lock.js';

/** The language's checks of the answers against the repository (e.g. the Go main package exists). */
async function verifyAnswers(root: string, answers: Answers): Promise<string | undefined> {
  const language = findLanguage(answers.language);
  if (!language?.verify) return undefined;
  return language.verify(await openRepo(root, language.sourceExtensions), answers);
}

/** What to run. */
export interface PipelineRequest {
  command: 'init' | 'generate' | 'status';
  /** Absolute project root. */
  root: string;
  /** dockforge's version (headers, answers, record). */
  version: string;
  /** Raw answer values from flags and `--set` (keys may be aliases). */
  given: Record<string, unknown>;
  /** `init` only: how to get answers that are not given. */
  mode?: 'yes' | 'interactive' | 'non-interactive';
  /** Overwrite files dockforge did not write; the template wins over conflicting edits. */
  force?: boolean;
  conflict?: 'inline' | 'rej';
  /** Carry the plan out (false: `status`, `--dry-run`). */
  write: boolean;
  /** `--pack SOURCE`: render with this team pack (fetched now) instead of the pinned one (`builtin`: none). */
  pack?: string;
  /** `generate --update-pack`: fetch the pinned pack's source again and pin what it gives now. */
  updatePack?: boolean;
  /** `--trust`: the packs' own Handlebars helpers may run (recorded in answers for those exact packs). */
  trust?: boolean;
  /**
   * Interactive `init` without `--force`: asked, before the questions and again after them if
   * the answers add files, whether to overwrite the listed files dockforge did not write (the
   * choice `docker init` offers). `true`: they are replaced; `false`: the run stops, nothing
   * written. Without it such files are refused (exit 2) unless `force`.
   */
  confirmOverwrite?: (paths: string[]) => Promise<boolean>;
  /**
   * A project of several services: `init --service DIR` (repeatable) takes these folders as its
   * services; `generate --service NAME` applies `given` to these services only.
   */
  services?: string[];
  /** `dockforge add DIR`: folders to add to the project as services (detected, answers from `--yes`). */
  add?: string[];
  /** `dockforge remove NAME`: services to take out of the project (their unedited files are deleted). */
  remove?: string[];
  /**
   * Interactive `init` of a project: shown the detected services, returns those to keep with
   * their names (pick and rename). Without it every detected service is kept as named.
   */
  pickServices?: (found: { name: string; dir: string; language: string }[]) => Promise<{ name: string; dir: string }[]>;
  /** Interactive `init` of a project: told which service the next questions are about. */
  announceService?: (name: string, dir: string) => void;
}

/** What a run found and decided. */
export interface PipelineResult {
  /**
   * Files with conflict markers or `.rej` left by an earlier run. With any, nothing was planned
   * (unless forced, or for `status`).
   */
  pending: string[];
  detection: Detection;
  resolved?: Resolved;
  rendered?: Rendered;
  plan?: Plan;
  record?: GenerationRecord;
  /** Writing runs: what completing an interrupted run (its journal) did, when there was one. */
  recovery?: Recovery;
  /** Writing runs: temporary files of dead runs that were removed (relative paths). */
  cleaned?: string[];
  /** Pinned packs whose version or integrity this run changes (`--pack`, `--update-pack`). */
  packChanges?: PackSelection['changes'];
  /** The team pack and its chain as this run pins them (top first; [] for the built-in pack). */
  resolvedPins?: PackSelection['pins'];
  /** A project of several services: its answers, and each service's resolution (origins for the summary). */
  project?: ProjectAnswers;
  projectResolved?: Map<string, Resolved>;
}

/**
 * Run the pipeline. A writing run (`write: true`) first checks the paths of the lock, journal,
 * record and answers, takes the project lock (released in `finally` and on SIGINT/SIGTERM),
 * completes an interrupted run from its journal and removes dead runs' temporary files; it
 * checks every path it writes and that secrets are git-ignored before its first write.
 * @returns the result; `plan` is absent when unresolved conflicts block the run.
 * @throws UsageError (exit 2, nothing written) for bad input, missing answers, files that
 *   would be overwritten, unsafe paths, a secret that git would not ignore, or another run
 *   holding the lock.
 */
export async function runPipeline(req: PipelineRequest): Promise<PipelineResult> {
  if (!req.write) return planRun(req);
  let executing: Plan | undefined;
  try {
    return await writingRun(req, (plan) => {
      executing = plan;
    });
  } catch (e) {
    const c = classifyError(e);
    if (!isEnvironmentError(c)) throw e;
    // say what the run left behind: nothing, or the files written before it stopped
    const written = executing ? await writtenSoFar(req.root, executing) : [];
    const progress =
      written.length === 0
        ? 'nothing was written'
        : `written before it stopped: ${written.join(', ')} (run dockforge again once fixed: it completes the run)`;
    throw new EnvironmentError(`${c.message}; ${progress}`, c.code, c.path);
  }
}

/** {@link runPipeline} for a writing run; `started` is called with the plan just before it is carried out. */
async function writingRun(req: PipelineRequest, started: (plan: Plan) => void): Promise<PipelineResult> {
  const { root } = req;
  for (const p of [LOCK_PATH, JOURNAL_PATH, RECORD_PATH, ANSWERS_PATH]) await confinedPath(root, p);
  const lock = await acquireLock(root);
  try {
    const recovery = await recoverJournal(root);
    // the record is read once (after the journal completed it) and planned from
    const record = await readRecord(root);
    const swept = foldersOf([...(record?.files ?? []).map((f) => f.path), ...(record?.secrets ?? [])]);
    const cleaned = await cleanStaleTemps(root, swept);
    const result = await planRun(req, { record });
    if (result.plan && result.rendered) {
      // the folders this run writes in that were not swept above
      const folders = foldersOf([...pathsToRead(result.rendered, record), ...pathsTouched(result.plan)]);
      cleaned.push(
        ...(await cleanStaleTemps(
          root,
          folders.filter((f) => !swept.includes(f)),
        )),
      );
      started(result.plan);
      await execute(root, result.plan);
    }
    return { ...result, recovery, cleaned };
  } finally {
    await lock.release();
  }
}

/**
 * The paths of `plan` that are on disk as the plan left them after a run that stopped part-way
 * (compared with the disk, so it holds whatever order the writer used): a written file has the
 * planned text, a deleted one is gone, a new secret exists, the record has its new text. A path
 * that cannot be read counts as not written.
 */
async function writtenSoFar(root: string, plan: Plan): Promise<string[]> {
  const now = async (p: string): Promise<string | undefined> => {
    try {
      return (await readDisk(root, [p])).files.get(p);
    } catch {
      return undefined;
    }
  };
  const out: string[] = [];
  for (const c of plan.changes) {
    if (c.action === 'deleted') {
      if ((await now(c.path)) === undefined) out.push(c.path);
    } else if (c.action === 'secret' && c.content === undefined) {
      if ((await now(c.path)) !== undefined) out.push(c.path);
    } else if (c.content !== undefined && c.content !== c.before && (await now(c.path)) === c.content) out.push(c.path);
  }
  if (plan.recordChanged && (await now(RECORD_PATH)) === plan.recordText) out.push(RECORD_PATH);
  if (plan.answersChanged && (await now(ANSWERS_PATH)) === plan.answersText) out.push(ANSWERS_PATH);
  return out;
}

/** What `dockforge detect` reports: the findings, and the answers `init --yes` would take. */
export interface DetectResult {
  detection: Detection;
  /** `init --yes`'s answers and their origin; absent when detection alone cannot answer (`problem`). */
  resolved?: Resolved;
  /** Why the answers could not be resolved (e.g. no language found), as `init --yes` would say it. */
  problem?: string;
  /** At the root of a project of several services (what `init` would take): its services and the calls between them. */
  project?: ProjectDetection;
}

/**
 * Detect only: the findings of `root` and the answers `init --yes` would resolve from them (the
 * same detection `init` uses). Reads the repository; writes nothing.
 * @param given raw answers from flags and `--set`, as for `init`.
 * @throws UsageError for an invalid given value.
 */
export async function detectRun(root: string, given: Record<string, unknown>): Promise<DetectResult> {
  const canonical = Object.fromEntries(Object.entries(given).map(([k, v]) => [canonicalKey(k), v]));
  const detection = await detect(root, String(canonical.language ?? ''));
  if (!detection.findings.language && canonical.language === undefined && (detection.candidates?.length ?? 0) >= 2) {
    return { detection, project: await detectProject(root) };
  }
  return { detection, ...(await yesAnswers(canonical, undefined, detection)) };
}

/**
 * The answers `init --yes` would take, asking nothing: resolved, or the UsageError message that
 * says why detection alone cannot answer (e.g. no language found).
 * @throws anything but a UsageError.
 */
async function yesAnswers(
  given: Record<string, unknown>,
  saved: Answers | undefined,
  detection: Detection,
): Promise<{ resolved?: Resolved; problem?: string }> {
  try {
    return { resolved: await resolveAnswers({ given, saved, detection, mode: 'yes' }) };
  } catch (e) {
    if (!isUsageError(e)) throw e;
    return { problem: e.message };
  }
}

/**
 * Detect, resolve, render and plan (no write).
 * @param loaded the record when the caller has read it already (a writing run, under the lock).
 */
async function planRun(
  req: PipelineRequest,
  loaded?: { record: GenerationRecord | undefined },
): Promise<PipelineResult> {
  const { root } = req;
  // the pack first: its questions are answers, so the saved ones are validated after it
  let selection: PackSelection | undefined;
  const choose = async (pins: PackSelection['pins'], trusted: string[]): Promise<void> => {
    selection = await selectPack({ root, source: req.pack, update: req.updatePack, pins, trust: req.trust, trusted });
    usePackFields(questionFields(selection.pack));
  };
  const saved = await readAnswers(root, req.version, async (meta) => {
    await choose(meta.packs, meta.trust);
    return req.pack !== undefined || Boolean(req.updatePack);
  });
  if (!saved && req.command !== 'init') throw new UsageError(`no ${ANSWERS_PATH} in ${root}: run dockforge init first`);
  if (!selection) await choose([], []);
  if (req.updatePack && selection!.pins.length === 0 && !req.pack) {
    throw new UsageError('nothing to update: these answers use no team pack (add one with --pack SOURCE)');
  }
  const record = loaded ? loaded.record : await readRecord(root);
  if (isProject(req, saved)) {
    return planProject(req, { saved, record, pack: selection!.pack, packChanges: selection!.changes });
  }
  const given = Object.fromEntries(Object.entries(req.given).map(([k, v]) => [canonicalKey(k), v]));
  // detection always runs: its warnings belong in README.Docker.md whatever the command; its
  // values are used for answers by init, and by generate when the language changes
  const detection = await detect(root, String(given.language ?? saved?.answers.language ?? ''));
  // `init` at a root that is no service itself and has two or more service folders: a project
  if (req.command === 'init' && !saved && given.language === undefined && !detection.findings.language) {
    if ((detection.candidates?.length ?? 0) >= 2) {
      const found = detection.candidates!.map((c) => c.dir);
      return planProject(req, { saved, record, pack: selection!.pack, packChanges: selection!.changes, found });
    }
  }
  if (req.services?.length || req.add?.length || req.remove?.length) {
    throw new UsageError(
      `${req.add?.length ? 'add' : req.remove?.length ? 'remove' : '--service'} needs a project of several ` +
        `services: ${ANSWERS_PATH} holds one service (run dockforge init --service DIR … at the root)`,
    );
  }
  assertKnownAnswers(req.given);
  const pending = await unresolvedConflicts(
    root,
    (record?.files ?? []).map((f) => f.path),
  );
  let resolved: Resolved;
  const { pack, changes: packChanges } = selection!;
  const { overwrite, confirmForeign, ask } = foreignFiles(req, record);
  if (req.command === 'init') {
    if (pending.length > 0) return { pending, detection, record, packChanges };
    if (ask) {
      // before asking anything: the files the detected answers would replace (when detection
      // alone cannot answer, e.g. no language found, the check waits for the answers)
      const guess = (await yesAnswers(given, saved?.answers, detection)).resolved;
      if (guess) {
        const first = await render(guess.answers, pack, req.version, detection.warnings, saved?.text);
        await confirmForeign(first, await readDisk(root, pathsToRead(first, record)));
      }
    }
    resolved = await resolveAnswers({ given, saved: saved?.answers, detection, mode: req.mode ?? 'yes' });
  } else {
    if (pending.length > 0 && req.command === 'generate' && !req.force)
      return { pending, detection, record, packChanges };
    const answers = saved!.answers;
    // a new language's own answers come from detection
    const switching = given.language !== undefined && given.language !== answers.language;
    const base = switching ? languageIndependent(answers) : answers;
    resolved = await resolveAnswers({
      given,
      saved: base,
      detection: switching ? detection : emptyDetection(),
      mode: 'yes',
    });
  }

  const problem = await verifyAnswers(root, resolved.answers);
  if (problem) throw new UsageError(problem);
  const { rendered, plan } = await renderAndPlan(
    req,
    record,
    (absent) => render(resolved.answers, pack, req.version, detection.warnings, saved?.text, absent),
    confirmForeign,
    overwrite,
  );
  return { pending, detection, resolved, rendered, plan, record, packChanges, resolvedPins: pack.pins };
}

/**
 * The files dockforge did not write that a run would replace: interactive `init` without
 * `--force` asks about them (`req.confirmOverwrite`) once each; `overwrite` holds those agreed to.
 */
function foreignFiles(
  req: PipelineRequest,
  record: GenerationRecord | undefined,
): {
  overwrite: Set<string>;
  ask: PipelineRequest['confirmOverwrite'];
  confirmForeign: (rendered: Rendered, disk: DiskState) => Promise<void>;
} {
  const overwrite = new Set<string>();
  const ask = !req.force && req.mode === 'interactive' ? req.confirmOverwrite : undefined;
  const confirmForeign = async (rendered: Rendered, disk: DiskState): Promise<void> => {
    if (!ask) return;
    const foreign = foreignPaths(rendered, record, disk).filter((p) => !overwrite.has(p));
    if (foreign.length === 0) return;
    if (!(await ask(foreign))) {
      throw new UsageError(`stopped: nothing written (files dockforge did not write: ${foreign.join(', ')})`);
    }
    for (const p of foreign) overwrite.add(p);
  };
  return { overwrite, ask, confirmForeign };
}

/**
 * Render (again without the files the user deleted, so the kustomization does not list them),
 * read the disk, confirm overwrites and reconcile.
 */
async function renderAndPlan(
  req: PipelineRequest,
  record: GenerationRecord | undefined,
  renderWith: (absent?: ReadonlySet<string>) => Promise<Rendered>,
  confirmForeign: (rendered: Rendered, disk: DiskState) => Promise<void>,
  overwrite: Set<string>,
): Promise<{ rendered: Rendered; plan: Plan }> {
  let rendered = await renderWith();
  const disk = await readDisk(req.root, pathsToRead(rendered, record));
  // files the user deleted are not listed by the files that name others (the kustomization)
  const absent = absentPaths(record, disk);
  if (rendered.files.some((f) => absent.has(f.path))) rendered = await renderWith(absent);
  await confirmForeign(rendered, disk);
  const plan = reconcile(rendered, record, disk, { force: req.force, conflict: req.conflict, overwrite });
  return { rendered, plan };
}

/**
 * True when the run is about a project of several services by its saved answers (a project's)
 * or by `init --service DIR` (no saved single-service answers, no language given). `init` at a
 * root with service folders and no stack of its own is one too (planRun, after detection).
 */
function isProject(req: PipelineRequest, saved: SavedAnswers | undefined): boolean {
  if (saved?.project) return true;
  return req.command === 'init' && !saved && req.given.language === undefined && Boolean(req.services?.length);
}

/** Evidence of a service's detection made relative to the project root. */
function underDir(d: Detection, dir: string): Detection {
  if (dir === '.') return d;
  const move = (e: Evidence): Evidence => ({ ...e, file: `${dir}/${e.file}` });
  return {
    ...d,
    warnings: d.warnings.map((w) => ({ ...w, evidence: w.evidence.map(move) })),
    notes: d.notes.map((n) => `${dir}: ${n}`),
  };
}

/**
 * {@link planRun} for a project of several services: detect the service folders (init, add) or
 * read the saved project; resolve each service's answers as for a single service; render the
 * project (render/project.ts) and plan it like any render.
 */
async function planProject(
  req: PipelineRequest,
  loaded: {
    saved: SavedAnswers | undefined;
    record: GenerationRecord | undefined;
    pack: PackSelection['pack'];
    packChanges: PackSelection['changes'];
    /** The service folders the root's detection found (not detected again). */
    found?: string[];
  },
): Promise<PipelineResult> {
  const { root } = req;
  const { saved, record, pack, packChanges } = loaded;
  const pending = await unresolvedConflicts(
    root,
    (record?.files ?? []).map((f) => f.path),
  );
  const blocked = pending.length > 0 && !(req.command === 'generate' && req.force);
  const empty: PipelineResult = { pending, detection: emptyDetection(), record, packChanges };
  if (blocked && req.command !== 'status') return empty;
  // the project's own keys of a service (dir, calls) are given apart from its answers
  const given = Object.fromEntries(Object.entries(req.given).map(([k, v]) => [canonicalKey(k), v]));
  const own: Record<string, unknown> = {};
  for (const k of PROJECT_SERVICE_KEYS) {
    if (given[k] !== undefined) own[k] = given[k];
    delete given[k];
  }
  const projectName = given.project;
  delete given.project;
  assertKnownAnswers(given);
  if (Object.keys(own).length > 0 && (req.command === 'init' || req.services?.length !== 1)) {
    throw new UsageError(`--set ${Object.keys(own).join(', ')} applies to one service: pass generate --service NAME`);
  }

  const resolvedBy = new Map<string, Resolved>();
  let services: ProjectService[];
  let name: string;
  const detections = new Map<string, Detection>();
  if (!saved?.project) {
    const found = await detectProject(root, req.services?.length ? req.services : loaded.found);
    let picked = found.services.map((s) => ({ name: s.name, dir: s.dir }));
    if (req.mode === 'interactive' && req.pickServices) {
      picked = await req.pickServices(
        found.services.map((s) => ({ ...s, language: String(s.detection.findings.language?.value ?? '') })),
      );
    }
    services = [];
    for (const p of picked) {
      const s = found.services.find((x) => x.dir === p.dir)!;
      if (req.mode === 'interactive') req.announceService?.(p.name, p.dir);
      const resolved = await resolveAnswers({
        given: { ...given, name: p.name },
        detection: s.detection,
        mode: req.mode ?? 'yes',
      });
      resolvedBy.set(p.name, resolved);
      detections.set(p.name, underDir(s.detection, s.dir));
      services.push({ name: p.name, dir: p.dir, calls: [], answers: resolved.answers });
    }
    const renamed = new Map(picked.map((p) => [found.services.find((x) => x.dir === p.dir)!.name, p.name]));
    for (const c of found.calls) {
      const from = services.find((s) => s.name === renamed.get(c.from));
      const to = renamed.get(c.to);
      if (from && to && !from.calls.some((x) => x.to === to)) from.calls.push({ to, env: c.env });
    }
    name = String(projectName ?? toLabel(path.basename(root)) ?? 'project');
  } else {
    const p = saved.project;
    name = projectName === undefined ? p.project : String(projectName);
    const targets = new Set(req.services?.length ? req.services : p.services.map((s) => s.name));
    for (const t of req.services ?? []) {
      if (!p.services.some((s) => s.name === t)) {
        throw new UsageError(`invalid --service ${t}: expected one of ${p.services.map((s) => s.name).join(', ')}`);
      }
    }
    for (const r of req.remove ?? []) {
      if (!p.services.some((s) => s.name === r)) {
        throw new UsageError(`invalid service ${r}: expected one of ${p.services.map((s) => s.name).join(', ')}`);
      }
    }
    const removed = new Set(req.remove ?? []);
    services = [];
    for (const s of p.services.filter((x) => !removed.has(x.name))) {
      const mine = targets.has(s.name);
      const resolved = await resolveAnswers({
        given: mine ? { ...given, name: s.name } : { name: s.name },
        saved: s.answers,
        detection: emptyDetection(),
        mode: 'yes',
      });
      resolvedBy.set(s.name, resolved);
      const dir = mine && own.dir !== undefined ? parseServiceKey(s.name, 'dir', own.dir) : s.dir;
      const calls = mine && own.calls !== undefined ? parseCalls(parseServiceKey(s.name, 'calls', own.calls)) : s.calls;
      services.push({ name: s.name, dir, calls: calls.filter((c) => !removed.has(c.to)), answers: resolved.answers });
    }
    // `init` again at the root: service folders found since are added, as `add` would
    let adding = req.add ?? [];
    if (req.command === 'init' && adding.length === 0 && !req.services?.length) {
      const top = await detect(root);
      const known = new Set(p.services.map((s) => s.dir));
      adding = (top.candidates ?? []).map((c) => c.dir).filter((d) => !known.has(d));
    }
    if (adding.length) {
      const found = await detectProject(root, adding);
      // the services there are, detected once: for the calls here, for their warnings below
      const existing = [];
      for (const s of services) {
        const detection = await detect(path.join(root, s.dir), s.answers.language);
        detections.set(s.name, underDir(detection, s.dir));
        existing.push({ name: s.name, dir: s.dir, detection });
      }
      for (const n of found.services) {
        if (services.some((s) => s.dir === n.dir))
          throw new UsageError(`invalid add ${n.dir}: it is a service already`);
        let nm = n.name;
        if (services.some((s) => s.name === nm)) nm = toLabel(n.dir.replaceAll('/', '-')) ?? nm;
        const resolved = await resolveAnswers({ given: { ...given, name: nm }, detection: n.detection, mode: 'yes' });
        resolvedBy.set(nm, resolved);
        detections.set(nm, underDir(n.detection, n.dir));
        services.push({ name: nm, dir: n.dir, calls: [], answers: resolved.answers });
        existing.push({ name: nm, dir: n.dir, detection: n.detection });
      }
      // the calls to and from the new services, found as at init
      const fresh = new Set(found.services.map((n) => n.dir));
      for (const c of findCalls(existing)) {
        const from = services.find((s) => s.name === c.from)!;
        const involved = fresh.has(from.dir) || fresh.has(services.find((s) => s.name === c.to)!.dir);
        if (involved && !from.calls.some((x) => x.to === c.to)) from.calls.push({ to: c.to, env: c.env });
      }
    }
  }
  const project: ProjectAnswers = { project: name, services };
  const former = (saved?.project?.services ?? []).filter((s) => !services.some((x) => x.name === s.name));
  if (!DNS1123_LABEL.test(project.project)) {
    throw new UsageError(`invalid answer project ${JSON.stringify(project.project)}: expected a DNS-1123 label`);
  }
  checkProject(project);
  // every service's folder is detected: its warnings belong in README.Docker.md
  for (const s of services) {
    if (!detections.has(s.name))
      detections.set(s.name, underDir(await detect(path.join(root, s.dir), s.answers.language), s.dir));
    const problem = await verifyAnswers(path.join(root, s.dir), s.answers);
    if (problem) throw new UsageError(`${s.name}: ${problem}`);
  }
  const warnings = new Map([...detections].map(([n, d]) => [n, d.warnings]));
  const detection: Detection = {
    ...emptyDetection(),
    warnings: [...detections].flatMap(([n, d]) => d.warnings.map((w) => ({ ...w, message: `${n}: ${w.message}` }))),
    notes: [...detections.values()].flatMap((d) => d.notes),
  };
  if (blocked) return { ...empty, detection, project, projectResolved: resolvedBy };
  const { overwrite, confirmForeign } = foreignFiles(req, record);
  const { rendered, plan } = await renderAndPlan(
    req,
    record,
    (absent) => renderProject(project, pack, req.version, warnings, saved?.text, absent, former),
    confirmForeign,
    overwrite,
  );
  return {
    pending,
    detection,
    resolved: resolvedBy.get(services[0]!.name),
    rendered,
    plan,
    record,
    packChanges,
    resolvedPins: pack.pins,
    project,
    projectResolved: resolvedBy,
  };
}
