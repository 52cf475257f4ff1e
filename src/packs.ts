/**
 * What `dockforge templates …` does: list the layers' templates and partials, show one, eject
 * one into the repository's overrides (`.dockforge/templates/`), scaffold a team pack, and check
 * a pack the way the built-in one is checked (docs/packs.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readAnswers } from './answers/file.js';
import { fieldSpec, fieldTable, usePackFields, validateAnswers } from './answers/fields.js';
import { UsageError, clip } from './errors.js';
import { allLanguages, serviceKinds, servicesOfKind } from './registry.js';
import { buildContext } from './render/context.js';
import { render } from './render/render.js';
import type { ResolvedPack } from './templates/pack.js';
import {
  BUILTIN_PACK,
  LOCAL_TEMPLATES,
  builtinPackDir,
  layerLabel,
  loadLayer,
  questionFields,
} from './templates/pack.js';
import { loadCompiler, partialsUsed } from './templates/compile.js';
import type { PackSelection } from './templates/select.js';
import { selectPack } from './templates/select.js';
import type { Answers, AnswerValue, ProjectAnswers, ProjectService } from './vocabulary.js';
import { renderProject } from './render/project.js';
import { DEFAULT_ID, RUNTIME_BASES } from './vocabulary.js';

/**
 * The packs a repository renders with: `--pack SOURCE` when given, else the pins of its
 * answers.yaml (answers that no longer validate do not matter here), else the built-in pack;
 * the repository's `.dockforge/templates/` on top.
 * @throws UsageError as {@link selectPack} does, or for an answers file that does not parse.
 */
export async function repositoryPack(root: string, opts: { pack?: string; trust?: boolean }): Promise<PackSelection> {
  let selection: PackSelection | undefined;
  const choose = async (pins: PackSelection['pins'], trusted: string[]): Promise<void> => {
    selection = await selectPack({ root, source: opts.pack, pins, trust: opts.trust, trusted });
  };
  try {
    await readAnswers(root, undefined, (meta) => choose(meta.packs, meta.trust));
  } catch (e) {
    if (!selection) throw e;
  }
  if (!selection) await choose([], []);
  return selection!;
}

/** One row of `templates list`. */
export interface TemplateRow {
  /** Pack-relative file: `files/Dockerfile.hbs`, `partials/k8s/labels.hbs`, `languages/go/runtime.hbs`. */
  file: string;
  kind: 'template' | 'partial';
  /** The partial's name (`k8s/labels`), for partials. */
  partial?: string;
  /** `name@version` of the layer whose text wins. */
  winner: string;
  /** The layers below it that have the file too, top first. */
  overrides: string[];
}

export { layerLabel };

/** A partial's name from its pack-relative file. */
function partialName(file: string): string {
  return file.startsWith('partials/') ? file.slice('partials/'.length, -'.hbs'.length) : file.slice(0, -'.hbs'.length);
}

/** Every template and partial of `pack`, and which layer wins each. */
export function templateRows(pack: ResolvedPack): TemplateRow[] {
  return pack.listing().map((e) => ({
    file: e.file,
    kind: e.kind,
    ...(e.kind === 'partial' ? { partial: partialName(e.file) } : {}),
    winner: layerLabel(e.layers[0]!),
    overrides: e.layers.slice(1).map(layerLabel),
  }));
}

/**
 * The pack-relative file `name` means: the file itself (`files/Dockerfile.hbs`), a template
 * under `files/` (`Dockerfile.hbs`), or a partial's name (`k8s/labels`, `languages/go/runtime`).
 * @throws UsageError when no layer has such a file.
 */
export function findTemplate(pack: ResolvedPack, name: string): string {
  const files = new Set(pack.listing().map((e) => e.file));
  const clean = name.replace(/^\.?\/+/, '');
  for (const c of [clean, `${clean}.hbs`, `files/${clean}`, `files/${clean}.hbs`, `partials/${clean}.hbs`]) {
    if (files.has(c)) return c;
  }
  throw new UsageError(
    `unknown template ${JSON.stringify(clip(name, 100))}: ` +
      'expected a file or partial that dockforge templates list shows ' +
      '(e.g. files/Dockerfile.hbs, k8s/labels)',
  );
}

/**
 * Copy the winning text of `name` into the repository's overrides, where `generate` then takes
 * it over every pack (the top layer).
 * @returns the written path, relative to the root.
 * @throws UsageError for an unknown name, or an override already there without `force`.
 */
export async function ejectTemplate(
  root: string,
  pack: ResolvedPack,
  name: string,
  force: boolean,
): Promise<{ path: string; from: string }> {
  const file = findTemplate(pack, name);
  const found = pack.text(file)!;
  const rel = `${LOCAL_TEMPLATES}/${file}`;
  const abs = path.join(root, rel);
  if (found.layer.origin === 'local' && !force) {
    throw new UsageError(`${rel} is already the repository's override: edit it there (or --force to copy it again)`);
  }
  if (fs.existsSync(abs) && !force) throw new UsageError(`${rel} exists: edit it, or pass --force to replace it`);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const temp = `${abs}.${process.pid}.tmp`;
  fs.writeFileSync(temp, found.text, { flag: 'wx', mode: 0o644 });
  fs.renameSync(temp, abs);
  return { path: rel, from: layerLabel(found.layer) };
}

/**
 * Scaffold a team pack in `dir` (a new or empty folder): pack.yaml extending the built-in pack,
 * one question (`team`) and one override that uses it (the Dockerfile's labels), package.json for
 * `npm pack`/`npm publish`, and a README. It passes `templates check` as created.
 * @returns the files written, relative to `dir`.
 * @throws UsageError when `dir` exists and is not empty.
 */
export async function scaffoldPack(dir: string): Promise<string[]> {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new UsageError(`refusing ${dir}: it exists and is not empty (templates new makes a new pack folder)`);
  }
  const builtin = await loadLayer(builtinPackDir());
  const base = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+/, '');
  const name = base || 'team-pack';
  const files: Record<string, string> = {
    'pack.yaml': [
      '# A dockforge template pack (docs/packs.md). It layers over the built-in pack: a file or partial',
      '# with the same path replaces the built-in one; everything else comes from below.',
      `name: ${name}`,
      'version: 0.1.0',
      `description: ${name}'s container conventions`,
      'extends:',
      `  name: ${BUILTIN_PACK}`,
      `  version: "^${builtin.version}"`,
      'questions:',
      '  - name: team',
      '    type: string',
      '    description: Team that owns the service (an image label)',
      '    default: platform',
      '    pattern: "[a-z][a-z0-9-]*"',
      '',
    ].join('\n'),
    'partials/dockerfile/labels.hbs': [
      'LABEL org.opencontainers.image.title="{{name}}" \\',
      '      org.opencontainers.image.description="{{name}} ({{language}}, {{database}}, {{base}}), ' +
        'generated by dockforge {{version}}" \\',
      '      org.opencontainers.image.vendor="{{team}}"',
      '',
    ].join('\n'),
    'package.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        description: `${name}'s dockforge template pack`,
        keywords: ['dockforge-pack'],
        files: ['pack.yaml', 'files/', 'partials/', 'languages/', 'services/', 'README.md'],
      },
      null,
      2,
    )}\n`,
    'README.md': [
      `# ${name}`,
      '',
      'A dockforge template pack. Check it, then use it in a repository:',
      '',
      '```sh',
      `npx dockforge templates check .`,
      `npx dockforge init --pack ./path/to/${name}      # or: npm pack, then --pack ./${name}-0.1.0.tgz`,
      '```',
      '',
      'Publish a new version: raise `version` in pack.yaml and package.json, `npm publish`; repositories',
      'move to it with `npx dockforge generate --update-pack` (their edits are merged as usual).',
      '',
    ].join('\n'),
  };
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text, { flag: 'wx' });
  }
  return Object.keys(files);
}

/** One problem `templates check` found. */
export interface CheckFinding {
  /** The cell (`go-postgres-distroless-uid10001`), or `pack` for problems of the pack itself. */
  where: string;
  /** The pack or output file concerned. */
  file: string;
  message: string;
}

/**
 * Check the pack in `dir` as the built-in pack is checked: pack.yaml against its schema (and
 * every layer of its chain), every template and partial compiles, every partial a template names
 * exists, every `when` names a known answer or context value, and every cell of the matrix
 * (language × database × runtime base × two user IDs) renders files that pass `src/check`
 * (Dockerfile rules, the Compose schema, kubernetes-models and Pod Security Standards restricted).
 * @param set answers for the pack's questions (others take their defaults).
 * @returns the problems found ([] = the pack passes) and the number of cells rendered.
 * @throws UsageError when the pack cannot be loaded at all (no pack.yaml, schema, fetch, trust).
 */
export async function checkPack(
  dir: string,
  set: Record<string, string>,
  trust: boolean,
): Promise<{ findings: CheckFinding[]; cells: number; projectServices: number; pack: string }> {
  const abs = path.resolve(dir);
  const { pack } = await selectPack({ root: abs, source: abs, pins: [], trust, trusted: [] });
  const findings: CheckFinding[] = [];
  const add = (where: string, file: string, message: string): void => {
    findings.push({ where, file, message: clip(message, 300) });
  };
  // every template and partial compiles; every partial named exists
  await loadCompiler();
  const partials = new Set(pack.partialNames);
  for (const row of pack.listing()) {
    const { text, layer } = pack.text(row.file)!;
    let used: string[] = [];
    try {
      used = partialsUsed(text);
    } catch (e) {
      add('pack', `${layerLabel(layer)}:${row.file}`, `does not compile: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const p of used) {
      if (!partials.has(p))
        add('pack', `${layerLabel(layer)}:${row.file}`, `names the partial ${p}, which no layer has`);
    }
  }
  for (const e of pack.files) {
    if (!pack.text(e.template)) add('pack', e.template, `the template of ${e.path} is in no layer`);
  }
  // questions are answers; the cells' answers
  usePackFields(questionFields(pack));
  try {
    const questions: Record<string, AnswerValue> = {};
    for (const q of pack.questions) {
      const given = set[q.name];
      if (given !== undefined) questions[q.name] = given;
      else if (q.default !== undefined) questions[q.name] = q.default;
      else if (q.type === 'choice') questions[q.name] = q.choices![0]!;
      else if (q.type === 'bool') questions[q.name] = false;
      else if (q.type === 'int') questions[q.name] = q.min ?? 0;
      else {
        throw new UsageError(`question ${q.name} has no default: give it a value with --set ${q.name}=…`);
      }
    }
    for (const key of Object.keys(set)) {
      if (!fieldSpec(key)) throw new UsageError(`unknown answer ${JSON.stringify(key)} in --set`);
    }
    const cells = matrixCells(questions);
    // `when` keys: an answer, or a value of the render context
    const contextKeys = new Set([...fieldTable().map((f) => f.key), ...contextKeysOf(pack, cells[0]!)]);
    const whens = [
      ...pack.files.map((e) => ({ file: e.template, when: e.when })),
      ...pack.secrets.map((e) => ({ file: e.path, when: e.when })),
      ...pack.questions.map((q) => ({ file: `question ${q.name}`, when: q.when })),
    ];
    for (const { file, when } of whens) {
      for (const key of Object.keys(when ?? {})) {
        if (!contextKeys.has(key)) add('pack', file, `when names ${key}, which is no answer or context value`);
      }
    }
    const { checkRendered, expectFromAnswers } = await import('./check/index.js');
    for (const answers of cells) {
      const extra = serviceKinds()
        .filter((k) => k !== 'database' && answers[k] !== 'none')
        .map((k) => `-${String(answers[k])}`)
        .join('');
      const cell = `${answers.language}-${answers.database}${extra}-${answers.base}-uid${answers.uid}`;
      let files: { path: string; content: string }[];
      try {
        files = (await render(answers, pack, '0.0.0-check')).files;
      } catch (e) {
        add(cell, '(render)', (e as Error).message.split('\n')[0]!);
        continue;
      }
      for (const p of await checkRendered(files, expectFromAnswers(answers))) add(cell, p.file, p.message);
    }
    // the project layout: one service per language (the first with every shared backing service,
    // the others calling it), rendered as a project and checked file by file
    const project = checkProjectAnswers(cells);
    try {
      const rendered = await renderProject(project, pack, '0.0.0-check');
      for (const s of project.services) {
        const mine = rendered.files.filter((f) => f.path.startsWith(`${s.dir}/`) || !/(^|\/)Dockerfile$/.test(f.path));
        for (const p of await checkRendered(mine, expectFromAnswers(s.answers))) add('project', p.file, p.message);
      }
    } catch (e) {
      add('project', '(render)', (e as Error).message.split('\n')[0]!);
    }
    return { findings, cells: cells.length, projectServices: project.services.length, pack: pack.id };
  } finally {
    usePackFields([]);
  }
}

/**
 * The answers of every cell: each language × database × runtime base, with the default and another
 * user ID; the cells with the other ID also use the first service of every other kind (a cache),
 * so each service's templates are rendered with every language, database and base. A language
 * without backing services (`backingServices: false`, which refuses them) only with none.
 */
function matrixCells(questions: Record<string, AnswerValue>): Answers[] {
  const out: Answers[] = [];
  const databases = fieldSpec('database')?.choices ?? ['none'];
  const others = Object.fromEntries(
    serviceKinds()
      .filter((k) => k !== 'database')
      .map((k) => [k, servicesOfKind(k)[0]!.id]),
  );
  for (const lang of allLanguages()) {
    const bare = lang.backingServices === false;
    for (const database of bare ? ['none'] : databases) {
      for (const base of RUNTIME_BASES) {
        for (const uid of [DEFAULT_ID, 2000]) {
          out.push(
            validateAnswers({
              language: lang.id,
              database,
              base,
              uid,
              gid: uid,
              name: 'pack-check',
              healthPath: '/health',
              ...(uid === DEFAULT_ID || bare ? {} : others),
              ...questions,
            }),
          );
        }
      }
    }
  }
  return out;
}

/**
 * The project `templates check` renders: a service per language (its first cell's answers, the
 * first one with PostgreSQL and every other kind's first service, each later one calling it).
 */
function checkProjectAnswers(cells: readonly Answers[]): ProjectAnswers {
  const services: ProjectService[] = [];
  for (const language of allLanguages().map((l) => l.id)) {
    const cell = cells.find((c) => c.language === language && c.uid !== DEFAULT_ID);
    if (!cell) continue;
    const name = `svc-${language}`;
    const first = services.length === 0;
    const shared = first
      ? cells.find((c) => c.language === language && c.database === 'postgres' && c.uid !== DEFAULT_ID)
      : undefined;
    const answers = validateAnswers({
      ...(shared ?? cell),
      name,
      image: `${name}:0.0.0`,
      port: 8080 + services.length,
    });
    services.push({ name, dir: name, calls: first ? [] : [{ to: services[0]!.name, env: 'API_URL' }], answers });
  }
  return { project: 'pack-check', services };
}

/** The keys of the render context of `answers` with `pack`. */
function contextKeysOf(pack: ResolvedPack, answers: Answers): string[] {
  const ctx = buildContext(answers, { version: '0', pack: pack.id, partialNames: pack.partialNames, data: pack.data });
  return Object.keys(ctx);
}
