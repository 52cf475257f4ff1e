/**
 * `.dockforge/answers.yaml`: the single source of the answers, committed with the project
 * (Copier's `.copier-answers.yml` plays the same role). Top-level keys are the answer names;
 * `_dockforge` records the version and pack that last rendered them. The file is the user's
 * too: rewriting it keeps their comments and key order.
 */
import path from 'node:path';
import type { Document, Pair, YAMLMap } from 'yaml';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { UsageError, clip, formatBytes, quote } from '../errors.js';
import { readCache, readRegularFile, sha256, writeCache } from '../files.js';
import type { Answers, PackPin, ProjectAnswers, ProjectService } from '../vocabulary.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import { appliesTo, fieldSpec, fieldTable, validateAnswers } from './fields.js';
import { PROJECT_SERVICE_KEYS, formatCalls, validateProject } from './project.js';

export { ANSWERS_PATH };

/**
 * Largest answers file read: 1 MiB. A generated one is under 2 KiB; the bound keeps a huge
 * file (a 50 MB value) from being parsed, held and echoed. Checked before parsing.
 */
export const ANSWERS_MAX_BYTES = 1024 * 1024;

/** The first line of a generated project answers file. */
const PROJECT_HEADER =
  '# dockforge answers (a project of several services): edit here or with ' +
  '`dockforge generate --service NAME --set key=value`, then run `dockforge generate`.\n';

/** The first line of a generated answers file. */
const HEADER =
  '# dockforge answers: edit here or with `dockforge generate --set key=value`, then run `dockforge generate`.\n';

/**
 * The `_dockforge` block: the render that wrote the answers. `packs` and `trust` are written
 * only when there is a team pack.
 */
export interface AnswersMeta {
  /** dockforge version. */
  version: string;
  /** Pack id that rendered (`name@version + …`, bottom first). */
  pack: string;
  /** The team pack and its `extends` chain as pinned (top first): later runs use exactly these. */
  packs?: PackPin[];
  /** Integrities of pinned packs whose helpers the user trusted (`--trust`). */
  trust?: string[];
}

/** Answers as read back, with the metadata of the render that wrote them. */
export interface SavedAnswers {
  answers: Answers;
  /** dockforge version that wrote the file. */
  version: string;
  /** Pack id that rendered with them. */
  pack: string;
  /** `_dockforge.packs` ([] without a team pack). */
  packs: PackPin[];
  /** `_dockforge.trust` ([] when nothing was trusted). */
  trust: string[];
  /** The file's exact text: pass it to {@link answersToYaml} to keep the user's comments. */
  text: string;
  /**
   * A project's answers (`project:` and `services:`, answers/project.ts); `answers` is then its
   * first service's.
   */
  project?: ProjectAnswers;
}

/**
 * Read and validate the answers file of `root`.
 * @returns undefined when the file does not exist.
 * @param running the version of this dockforge: a file written by a newer one is refused.
 * @param beforeValidate called with the `_dockforge` block's pins and trust before the answers are
 *   validated (it registers the pack's questions); returning true drops saved answers that no
 *   field has (the run changes the pack: its old questions' answers go).
 * @throws UsageError when it is larger than {@link ANSWERS_MAX_BYTES} (checked before reading
 *   it whole), is not valid YAML (line and column named), is empty, is not a mapping, was written
 *   by a newer dockforge, or holds an invalid answer (names the field; echoed values are cut to
 *   80 characters). Each message ends with what to do.
 * @throws EnvironmentError (exit 3) when the path is a folder, FIFO, socket or device (never
 *   opened: a FIFO would block); the errno error of `open` or `read` (EACCES, ENOTDIR, …)
 *   otherwise, which the CLI reports as exit 3 with the path.
 */
export async function readAnswers(
  root: string,
  running?: string,
  beforeValidate?: (meta: { packs: PackPin[]; trust: string[] }) => Promise<boolean | void>,
): Promise<SavedAnswers | undefined> {
  const text = await readRegularFile(path.join(root, ANSWERS_PATH), ANSWERS_PATH, {
    maxBytes: ANSWERS_MAX_BYTES,
    tooLarge,
  });
  if (text === undefined) return undefined;
  const value = parseAnswers(text);
  if (value === null || value === undefined || (isPlainObject(value) && Object.keys(value).length === 0)) {
    throw new UsageError(`invalid ${ANSWERS_PATH}: it is empty: ${ANSWERS_HINT}`);
  }
  if (!isPlainObject(value)) {
    const found = Array.isArray(value) ? 'a list' : `the ${typeof value} ${quote(clip(String(value), 40))}`;
    throw new UsageError(
      `invalid ${ANSWERS_PATH}: expected a mapping of answer names to values (key: value lines), ` +
        `found ${found}: ${ANSWERS_HINT}`,
    );
  }
  const meta = (isPlainObject(value._dockforge) ? value._dockforge : {}) as Record<string, unknown>;
  const { _dockforge: _, ...rest } = value;
  const version = clip(String(meta.version ?? ''));
  if (running && newerVersion(version, running)) {
    throw new UsageError(
      `${ANSWERS_PATH} was written by dockforge ${version}, newer than this one (${running}): ` +
        `run npx dockforge@${version} (or newer), or upgrade dockforge`,
    );
  }
  const packs = readPins(meta.packs);
  const trust = readStrings(meta.trust, '_dockforge.trust');
  // the pack's questions are answers too: known once the pinned pack is resolved. When the
  // run changes the pack (true), answers to the old pack's questions no field has any more go
  const packChanged = await beforeValidate?.({ packs, trust });
  const kept = packChanged ? Object.fromEntries(Object.entries(rest).filter(([k]) => fieldSpec(k))) : rest;
  if (isPlainObject(rest.services) || rest.project !== undefined) {
    try {
      const project = validateProject(rest);
      return {
        answers: project.services[0]!.answers,
        project,
        version,
        pack: clip(String(meta.pack ?? '')),
        packs,
        trust,
        text,
      };
    } catch (e) {
      throw new UsageError(`invalid ${ANSWERS_PATH}: ${(e as Error).message}`);
    }
  }
  try {
    return { answers: validateAnswers(kept), version, pack: clip(String(meta.pack ?? '')), packs, trust, text };
  } catch (e) {
    throw new UsageError(`invalid ${ANSWERS_PATH}: ${(e as Error).message}`);
  }
}

/** The kinds of pack source a pin may name. */
const PIN_KINDS = ['local', 'npm', 'git'];

/**
 * `_dockforge.packs` as written by {@link answersToYaml}: a list of pins with string fields.
 * @throws UsageError naming the first malformed entry.
 */
function readPins(raw: unknown): PackPin[] {
  if (raw === undefined || raw === null) return [];
  const bad = (why: string): never => {
    throw new UsageError(`invalid ${ANSWERS_PATH}: _dockforge.packs ${why}: ${ANSWERS_HINT}`);
  };
  if (!Array.isArray(raw) || raw.length > 5) bad('must be a list of at most 5 packs');
  return (raw as unknown[]).map((p, i) => {
    if (!isPlainObject(p)) return bad(`[${i}] must be a mapping`);
    for (const k of ['source', 'kind', 'name', 'version', 'integrity']) {
      if (typeof p[k] !== 'string' || p[k] === '' || String(p[k]).length > 400 || /[\n\r]/.test(String(p[k]))) {
        bad(`[${i}].${k} must be a one-line text`);
      }
    }
    if (!PIN_KINDS.includes(String(p.kind))) bad(`[${i}].kind must be one of ${PIN_KINDS.join(', ')}`);
    const { source, kind, name, version, integrity } = p as unknown as PackPin;
    return { source, kind, name, version, integrity };
  });
}

/** A list of one-line texts (`_dockforge.trust`); [] when absent. @throws UsageError otherwise. */
function readStrings(raw: unknown, where: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > 20 || raw.some((x) => typeof x !== 'string' || /[\n\r]/.test(x))) {
    throw new UsageError(`invalid ${ANSWERS_PATH}: ${where} must be a list of texts: ${ANSWERS_HINT}`);
  }
  return raw as string[];
}

/** The `_dockforge` block of `meta`: `packs` and `trust` only when not empty. */
export function metaBlock(meta: AnswersMeta): Record<string, unknown> {
  const out: Record<string, unknown> = { version: meta.version, pack: meta.pack };
  if (meta.packs?.length) out.packs = meta.packs.map((p) => ({ ...p }));
  if (meta.trust?.length) out.trust = [...meta.trust];
  return out;
}

/**
 * The last answers text {@link readAnswers} read, its value as JSON text, and its document when
 * it was parsed (never modified: updates clone it; undefined when the value came from the cache).
 */
let lastParsed: { text: string; doc: Document | undefined; json: string } | undefined;

/**
 * The value of answers text `text` (yaml's `toJS` of its document). A text parsed before comes
 * from dockforge's cache folder (`answers/<sha256 of the text>.json`, see `cacheFolder`):
 * parsing YAML is a few milliseconds of each run, a cache read a fraction of one. Only a text
 * that parsed without errors to a JSON value (no `.inf`, no `.nan`: JSON has neither) is
 * cached, so the value is the same either way; the checks that follow run on both.
 * @throws UsageError for a YAML error, naming the line and column.
 */
function parseAnswers(text: string): unknown {
  const key = sha256(text);
  const cached = readCache('answers', `${key}.json`);
  if (cached !== undefined) {
    try {
      const json = cached.toString('utf8');
      const value: unknown = JSON.parse(json);
      lastParsed = { text, doc: undefined, json };
      return value;
    } catch {
      /* a damaged cache file: parse the text */
    }
  }
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) {
    // yaml's message ends with "at line L, column C:" and a code excerpt: say where, once
    const [line, col] = [error.linePos?.[0].line, error.linePos?.[0].col];
    const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    const where = line === undefined ? '' : ` line ${line}, column ${col}`;
    throw new UsageError(`invalid ${ANSWERS_PATH}${where}: ${clip(reason, 200)}: ${ANSWERS_HINT}`);
  }
  const value: unknown = doc.toJS();
  const json = JSON.stringify(value) ?? 'null';
  lastParsed = { text, doc, json };
  if (isJsonValue(value)) writeCache('answers', `${key}.json`, json, { keep: CACHED_ANSWERS });
  return value;
}

/** How many parsed answers texts the cache keeps (the most recently written). */
const CACHED_ANSWERS = 64;

/**
 * True when `v` survives JSON unchanged: null, booleans, finite numbers, strings, and arrays and
 * plain objects of these.
 */
function isJsonValue(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJsonValue);
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v as object).every(isJsonValue);
  }
  return false;
}

/** What to do about an answers file that cannot be read, appended to its errors. */
const ANSWERS_HINT = `fix it, restore it with git checkout -- ${ANSWERS_PATH}, or delete it and run dockforge init`;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when semver `a` (major.minor.patch, a pre-release suffix ignored) is newer than `b`;
 * false when either is not a version.
 */
export function newerVersion(a: string, b: string): boolean {
  const parse = (v: string): number[] | undefined => {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
    return m ? m.slice(1).map(Number) : undefined;
  };
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) return false;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
}

function tooLarge(size: number): UsageError {
  return new UsageError(
    `refusing ${ANSWERS_PATH}: it is ${size} bytes, the limit is ${formatBytes(ANSWERS_MAX_BYTES)} ` +
      '(a generated one is under 2 KiB): remove what does not belong in it',
  );
}

/**
 * Serialise answers as YAML text: fields in schema order, only those that apply to the
 * language, then the `_dockforge` block.
 *
 * @param previous the answers file as it was (`SavedAnswers.text`). When given and it parses
 *   as a YAML mapping, it is updated in place with the `yaml` Document API: the user's comments,
 *   key order and quoting stay; changed values are replaced, fields that no longer apply are
 *   removed, new fields are inserted after the field before them in schema order, an alias key
 *   (`runtime`) is renamed to its field (`base`) where it stands. Otherwise (absent or
 *   unparsable) the text is generated afresh with the header comment. When `previous` is the
 *   text {@link readAnswers} just read and it holds exactly these answers (same keys in the
 *   same order, same values and types, the same `_dockforge` block), it is given back as it is,
 *   byte for byte, without re-serialising it.
 */
export function answersToYaml(answers: Answers, meta: AnswersMeta, previous?: string): string {
  const keys = fieldTable()
    .map((f) => f.key)
    .filter((key) => appliesTo(key, answers));
  if (previous !== undefined) {
    // the same answers, in the same order, as the text just read holds: that text, untouched
    const same: Record<string, unknown> = {};
    for (const key of keys) same[key] = answers[key];
    same._dockforge = metaBlock(meta);
    if (lastParsed?.text === previous && lastParsed.json === JSON.stringify(same)) return previous;
    const updated = updateDocument(previous, answers, keys, meta);
    if (updated !== undefined) return updated;
  }
  const doc: Record<string, unknown> = {};
  for (const key of keys) doc[key] = answers[key];
  doc._dockforge = metaBlock(meta);
  return HEADER + stringify(doc, { lineWidth: 0 });
}

/** {@link answersToYaml} over the previous text; undefined when it is not a clean YAML mapping. */
function updateDocument(previous: string, answers: Answers, keys: string[], meta: AnswersMeta): string | undefined {
  const doc = previousDocument(previous);
  if (!doc) return undefined;
  updateMap(doc, doc.contents as YAMLMap, answers, keys);
  updateMeta(doc, doc.contents as YAMLMap, meta);
  return doc.toString({ lineWidth: 0 });
}

/**
 * The document of the previous answers text, to update in place: a copy of the one
 * {@link readAnswers} just parsed (not parsed again), or the text parsed now; undefined when it
 * is not a clean YAML mapping.
 */
export function previousDocument(previous: string): Document | undefined {
  const doc: Document =
    lastParsed?.text === previous && lastParsed.doc ? lastParsed.doc.clone() : parseDocument(previous);
  return doc.errors.length > 0 || !isMap(doc.contents) ? undefined : doc;
}

const keyOf = (p: Pair): string | undefined => (isScalar(p.key) ? String(p.key.value) : undefined);

/**
 * Update the answer keys of `map` (a mapping of `doc`) in place to `values`: aliases renamed to
 * their field, keys not in `keys` removed (except `_dockforge`), values replaced where they stand,
 * new keys inserted after the key before them in `keys` order.
 */
export function updateMap(
  doc: Document,
  map: YAMLMap,
  values: Record<string, unknown>,
  keys: string[],
  opts: { aliases: boolean } = { aliases: true },
): void {
  // aliases become their field's name, in place (a second spelling of a field present is dropped)
  for (const pair of opts.aliases ? [...map.items] : []) {
    const key = keyOf(pair);
    if (key === undefined || key === '_dockforge') continue;
    const canonical = fieldSpec(key)?.key;
    if (canonical === undefined || canonical === key) continue;
    if (map.items.some((p) => keyOf(p) === canonical)) map.items.splice(map.items.indexOf(pair), 1);
    else if (isScalar(pair.key)) pair.key.value = canonical;
  }
  // fields that no longer apply (another language's, an unused service's) go
  for (const pair of [...map.items]) {
    const key = keyOf(pair);
    if (key !== undefined && key !== '_dockforge' && !keys.includes(key)) map.items.splice(map.items.indexOf(pair), 1);
  }
  // values: replaced in place; new fields after the field before them in schema order
  keys.forEach((key, i) => {
    if (map.has(key)) {
      // a mapping that stays a mapping (a project's services) is updated by the caller, not replaced
      if (isMap(map.get(key, true)) && isPlainObject(values[key])) return;
      map.set(key, values[key]);
      return;
    }
    const pair = doc.createPair(key, values[key]);
    let at = -1;
    for (let j = i - 1; j >= 0 && at < 0; j--) at = map.items.findIndex((p) => keyOf(p) === keys[j]);
    if (at < 0) {
      const metaAt = map.items.findIndex((p) => keyOf(p) === '_dockforge');
      map.items.splice(metaAt < 0 ? map.items.length : metaAt, 0, pair);
    } else map.items.splice(at + 1, 0, pair);
  });
}

/** Set the `_dockforge` block of `map` to `meta`, in place. */
export function updateMeta(doc: Document, map: YAMLMap, meta: AnswersMeta): void {
  const block = map.get('_dockforge', true);
  if (isMap(block)) {
    const want = metaBlock(meta);
    for (const key of ['version', 'pack', 'packs', 'trust']) {
      if (want[key] === undefined) block.delete(key);
      else block.set(key, want[key]);
    }
  } else map.set('_dockforge', doc.createNode(metaBlock(meta)));
}

/** A service's section as written: `dir`, `calls`, then its answers in field order (`name` is the key). */
function sectionOf(s: ProjectService): { keys: string[]; values: Record<string, unknown> } {
  const keys = [
    ...PROJECT_SERVICE_KEYS,
    ...fieldTable()
      .map((f) => f.key)
      .filter((k) => k !== 'name' && appliesTo(k, s.answers)),
  ];
  const values: Record<string, unknown> = { dir: s.dir, calls: formatCalls(s.calls) };
  for (const k of keys.slice(PROJECT_SERVICE_KEYS.length)) values[k] = s.answers[k];
  return { keys, values };
}

/**
 * The project answers as YAML text. With `previous` (the file as it was, a project's), it is
 * updated in place (the user's comments and key order stay; services removed go, new ones are
 * added at the end); otherwise generated with a header comment.
 */
export function projectToYaml(p: ProjectAnswers, meta: AnswersMeta, previous?: string): string {
  const doc = previous === undefined ? undefined : previousDocument(previous);
  const sections = p.services.map((s) => ({ name: s.name, ...sectionOf(s) }));
  if (doc && isMap(doc.contents) && isMap(doc.contents.get('services', true))) {
    const map = doc.contents;
    map.set('project', p.project);
    const services = map.get('services', true) as unknown as YAMLMap;
    updateMap(
      doc,
      services,
      Object.fromEntries(sections.map((s) => [s.name, s.values])),
      sections.map((s) => s.name),
      { aliases: false },
    );
    for (const s of sections) {
      const section = services.get(s.name, true);
      if (isMap(section)) updateMap(doc, section, s.values, s.keys);
    }
    updateMeta(doc, map, meta);
    return doc.toString({ lineWidth: 0 });
  }
  const out = {
    project: p.project,
    services: Object.fromEntries(
      sections.map((s) => [s.name, Object.fromEntries(s.keys.map((k) => [k, s.values[k]]))]),
    ),
    _dockforge: metaBlock(meta),
  };
  return PROJECT_HEADER + stringify(out, { lineWidth: 0 });
}
