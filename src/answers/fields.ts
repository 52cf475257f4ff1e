/**
 * The field table: every answer a render depends on, typed, validated, with its allowed
 * values — dockforge's variable manifest (the idea comes from Azure draft's per-template
 * `draft.yaml` variables and Copier's answers file). The CLI flags, the prompts, the
 * `--set key=value` parser, validation of `.dockforge/answers.yaml` and the error messages
 * are all derived from it. Core fields are listed here; each service kind adds one field
 * (`database`), each language module its own fields (registry).
 */
import { UsageError, quote } from '../errors.js';
import { allLanguages, allServices, findLanguage, findService, serviceKinds, servicesOfKind } from '../registry.js';
import type { Answers, AnswerValue, FieldSpec } from '../vocabulary.js';
import { COMPOSE_FILES, DEFAULT_ID, MAX_ID, RUNTIME_BASES, matches } from '../vocabulary.js';

/** Alpine release pinned by default (alpine:3.22, the newest the templates were checked against). */
export const DEFAULT_ALPINE = '3.22';

const ID_ALLOWED = `an integer from 1 to ${MAX_ID} (0 is root)`;

/**
 * Suffixes the templates append to the service name to name other Kubernetes objects:
 * `<name>-postgres` (Service, StatefulSet and Secret, templates/services/postgres/files/k8s/postgres.yaml.hbs
 * and src/services/postgres.ts) and `<name>-data` (the SQLite PersistentVolumeClaim,
 * templates/services/sqlite/files/k8s/pvc.yaml.hbs, and the Deployment's `claimName`). Keep in step
 * with the templates: `grep -rn '{{name}}-\|{{@root.name}}-' templates/`.
 */
export const NAME_SUFFIXES = ['-postgres', '-data'] as const;

/** The longest of {@link NAME_SUFFIXES}. */
const LONGEST_SUFFIX = NAME_SUFFIXES.reduce((a, b) => (b.length > a.length ? b : a));

/**
 * Longest StatefulSet name whose pods can be created: the pod label `controller-revision-hash`
 * is `<statefulset name>-<10-character hash>` and a label value is at most 63 characters
 * (kubernetes/kubernetes#64023; Kubernetes docs, "Labels and Selectors", syntax and character set).
 */
export const STATEFULSET_NAME_MAX = 63 - 1 - 10;

/**
 * Longest service name: every derived name must fit, and `<name>-postgres` names a StatefulSet,
 * so 52 - 9 = 43 (the plain DNS-1035 bound of 63 minus the longest suffix would allow 54, whose
 * StatefulSet could not create its pod).
 */
export const NAME_MAX = STATEFULSET_NAME_MAX - LONGEST_SUFFIX.length;

/**
 * A valid service name: a DNS-1035 label (Kubernetes API conventions, "names": Service names are
 * RFC 1035 labels — lowercase alphanumerics and `-`, starting with a letter, ending with an
 * alphanumeric; kubernetes apimachinery `IsDNS1035Label`) of at most {@link NAME_MAX} characters.
 */
export const SERVICE_NAME = new RegExp(`^(?=.{1,${NAME_MAX}}$)[a-z]([-a-z0-9]*[a-z0-9])?$`);

/**
 * Turn a DNS-1123 label (a detected name: folder, module, package) into a valid service name:
 * `app-` before a leading digit, cut to {@link NAME_MAX} characters, trailing `-` removed.
 *
 * @param label any string; characters outside `[a-z0-9-]` are replaced by `-` after lowercasing.
 * @returns a string matching {@link SERVICE_NAME}; `app` when nothing usable remains.
 */
export function serviceName(label: string): string {
  let name = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (/^[0-9]/.test(name)) name = `app-${name}`;
  name = name.slice(0, NAME_MAX).replace(/-+$/, '');
  return SERVICE_NAME.test(name) ? name : 'app';
}

/**
 * An image reference, after the grammar of github.com/distribution/reference (`reference.go`
 * and `regexp.go`, the reference grammar Docker, containerd and registries parse):
 *
 * ```
 * reference        := name [ ":" tag ] [ "@" digest ]
 * name             := [domain '/'] remote-name
 * domain           := host [':' port-number]
 * host             := domain-name | IPv4address        (IPv6 "[…]" hosts are not accepted: a YAML
 *                                                      plain scalar cannot start with "[")
 * domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 * port-number      := /[0-9]+/
 * path-component   := alpha-numeric [separator alpha-numeric]*
 * alpha-numeric    := /[a-z0-9]+/
 * separator        := /[_.]|__|[-]+/
 * tag              := /[\w][\w.-]{0,127}/
 * digest           := algorithm ":" hex; algorithm := /[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*\/,
 *                     hex := /[0-9a-fA-F]{32,}/ (sha256: 64 and sha512: 128 lowercase hex digits,
 *                     github.com/opencontainers/go-digest)
 * ```
 *
 * The name is at most 255 characters (`NameTotalLengthMax`). dockforge also wants the image
 * pinned: a tag other than `latest`, or a digest (which pins whatever the tag says).
 */
export const IMAGE_REFERENCE = (() => {
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
  const pathComponent = '[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*';
  const remote = `${pathComponent}(?:/${pathComponent})*`;
  // the name (all before the tag or digest) is at most 255 characters
  const name = `(?=[^@]{1,255}(?::[\\w.-]*)?(?:@|$))(?:${domain}/)?${remote}`;
  const tag = '[\\w][\\w.-]{0,127}';
  const algorithm = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*';
  const digest = `(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}|(?!sha256:|sha512:)${algorithm}:[0-9a-fA-F]{32,})`;
  // pinned: a tag that is not `latest`, or a digest (with or without a tag)
  return new RegExp(`^${name}(?::(?!latest$)${tag}$|(?::${tag})?@${digest}$)`);
})();

/** The last table {@link fieldTable} made, and the registered modules and pack fields it was made from. */
let memo:
  | { languages: readonly unknown[]; services: readonly unknown[]; pack: readonly FieldSpec[]; table: FieldSpec[] }
  | undefined;

/** The resolved pack's questions as fields ({@link usePackFields}): after every built-in field. */
let packFields: readonly FieldSpec[] = [];

/**
 * Make a team pack's questions answers like the built-in ones (flags aside: they are given with
 * `--set`): validated, asked, saved in answers.yaml, available in templates. Replaces the
 * previous pack's; `[]` for none.
 * @throws UsageError when a field's key is a built-in answer's name or alias.
 */
export function usePackFields(fields: readonly FieldSpec[]): void {
  if (fields.length === 0 && packFields.length === 0) return;
  const saved = packFields;
  packFields = [];
  const builtin = fieldTable();
  for (const f of fields) {
    if (builtin.some((b) => b.key === f.key || b.aliases?.includes(f.key))) {
      packFields = saved;
      throw new UsageError(`invalid pack ${f.pack ?? ''}: question ${f.key} is a built-in answer's name`);
    }
  }
  packFields = [...fields];
}

/** True when `a` and `b` hold the same objects in the same order. */
function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The field table, in the order answers are asked and written: computed from the registry, and
 * made again when the registered languages or services change (lookups such as
 * {@link fieldSpec} call it once per key). A new array each call; the specs are shared: read only.
 */
export function fieldTable(): FieldSpec[] {
  const [languages, services] = [allLanguages(), allServices()];
  if (
    !memo ||
    !sameItems(memo.languages, languages) ||
    !sameItems(memo.services, services) ||
    memo.pack !== packFields
  ) {
    memo = { languages: [...languages], services: [...services], pack: packFields, table: makeFieldTable() };
  }
  return [...memo.table];
}

/** The field table from the registry as it is now (see {@link fieldTable}). */
function makeFieldTable(): FieldSpec[] {
  const languages = allLanguages().map((l) => l.id);
  const kinds: FieldSpec[] = serviceKinds().map((kind) => {
    const choices = [...servicesOfKind(kind).map((s) => s.id), 'none'];
    return {
      key: kind,
      kind: 'enum',
      choices,
      allowed: choices.join(', '),
      describe: kind[0]!.toUpperCase() + kind.slice(1),
      ask: true,
      flag: true,
      fallback: 'none',
    };
  });
  const core: FieldSpec[] = [
    {
      key: 'language',
      kind: 'enum',
      choices: languages,
      allowed: languages.join(', '),
      describe: 'Language of the service',
      ask: true,
      flag: true,
    },
    ...kinds,
    {
      key: 'base',
      kind: 'enum',
      choices: RUNTIME_BASES,
      allowed: RUNTIME_BASES.join(', '),
      describe: 'Runtime base image',
      ask: true,
      flag: true,
      aliases: ['runtime'],
      fallback: 'distroless',
    },
    {
      key: 'uid',
      kind: 'int',
      min: 1,
      max: MAX_ID,
      allowed: ID_ALLOWED,
      describe: 'User ID the container runs as',
      ask: true,
      flag: true,
      fallback: DEFAULT_ID,
    },
    {
      key: 'gid',
      kind: 'int',
      min: 1,
      max: MAX_ID,
      allowed: ID_ALLOWED,
      describe: 'Group ID the container runs as (default: the user ID)',
      flag: true,
      fallback: DEFAULT_ID,
    },
    {
      key: 'port',
      kind: 'int',
      min: 1,
      max: 65535,
      allowed: 'an integer from 1 to 65535',
      describe: 'Port the service listens on',
      ask: true,
      flag: true,
    },
    {
      key: 'portEnv',
      kind: 'string',
      pattern: /^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$/,
      allowed: 'environment variable names separated by commas, e.g. PORT or SERVER_PORT,HTTP_ADDR',
      describe: 'Environment variables the app reads its port (or listen address) from',
      fallback: 'PORT',
    },
    {
      key: 'env',
      kind: 'string',
      pattern: /^([A-Za-z_][A-Za-z0-9_]*=[^,\n]*(,[A-Za-z_][A-Za-z0-9_]*=[^,\n]*)*)?$/,
      allowed: 'NAME=value pairs separated by commas (values without commas), or empty',
      describe: "More environment for the app (compose environment and the Deployment's env; not for secrets)",
      fallback: '',
    },
    {
      key: 'name',
      kind: 'string',
      pattern: SERVICE_NAME,
      allowed:
        'a DNS-1123 label that starts with a letter (DNS-1035, required of Kubernetes Service names): ' +
        `lowercase letters, digits and "-", ending with a letter or digit, at most ${NAME_MAX} characters ` +
        `(so the derived name "<name>${LONGEST_SUFFIX}" fits a StatefulSet name, at most ${STATEFULSET_NAME_MAX})`,
      describe: 'Service name',
      ask: true,
      flag: true,
      fallback: (name) => serviceName(name),
    },
    {
      key: 'image',
      kind: 'string',
      pattern: IMAGE_REFERENCE,
      allowed:
        'an image reference pinned by a tag (not :latest) or a digest, e.g. registry.example.com:5000/app:1.0.0 ' +
        'or app@sha256:<64 hex digits>',
      describe: 'Image reference (repository:tag or repository@digest)',
      fallback: (name) => `${name}:0.1.0`,
    },
    {
      key: 'healthPath',
      kind: 'string',
      pattern: /^(none|\/[A-Za-z0-9._~/-]*)$/,
      allowed: 'an absolute URL path such as /health, or none (TCP checks on the port)',
      describe: 'Health endpoint path',
      // no detected route: TCP checks, never a path the app may not serve (restart loops)
      fallback: 'none',
    },
    {
      key: 'runtimeDirs',
      kind: 'string',
      pattern: /^$|^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*(,[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)*$/,
      allowed:
        'folders of the repository the app reads at run time, separated by commas (e.g. config,templates), or nothing',
      describe: 'Folders the app reads at run time (copied into the image, run from their parent)',
      fallback: '',
    },
    {
      key: 'composeFile',
      kind: 'enum',
      choices: COMPOSE_FILES,
      allowed: COMPOSE_FILES.join(', '),
      describe: 'Compose file to write (an existing one is adopted, never shadowed)',
      fallback: 'compose.yaml',
    },
    {
      key: 'alpineVersion',
      kind: 'string',
      pattern: /^3\.\d{1,2}$/,
      allowed: 'an Alpine release such as 3.22',
      describe: 'Alpine release',
      fallback: DEFAULT_ALPINE,
    },
  ];
  const own = allLanguages().flatMap((l) => l.fields.map((f) => ({ ...f, language: l.id })));
  const services = allServices().flatMap((s) => (s.fields ?? []).map((f) => ({ ...f, service: s.id })));
  return [...core, ...own, ...services, ...packFields];
}

/** Look up a field by key or alias (`runtime` → `base`); undefined for unknown keys. */
export function fieldSpec(key: string): FieldSpec | undefined {
  return fieldTable().find((f) => f.key === key || f.aliases?.includes(key));
}

/** The field's current name for a key or alias; the key itself when unknown. */
export function canonicalKey(key: string): string {
  return fieldSpec(key)?.key ?? key;
}

/**
 * Parse and validate one raw value (from a flag, `--set`, a prompt or answers.yaml).
 *
 * @param key field name or alias; unknown keys throw. Messages use the name as given.
 * @param raw string, number or boolean as it came in.
 * @returns the typed value.
 * @throws UsageError `invalid <key> "<raw>": expected <allowed values>` (one line).
 */
export function parseField(key: string, raw: unknown): AnswerValue {
  const spec = fieldSpec(key);
  if (!spec) {
    throw new UsageError(
      `unknown answer ${quote(key)}: expected one of ${fieldTable()
        .map((f) => f.key)
        .join(', ')}`,
    );
  }
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  const fail = (): never => {
    throw new UsageError(`invalid ${key} ${quote(text)}: expected ${spec.allowed}`);
  };
  switch (spec.kind) {
    case 'enum':
      if (!spec.choices!.includes(text)) fail();
      return text;
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
 * The refusal of a `--set` item whose key no field has.
 * @param item the item as given (`key=value`).
 */
export function unknownAnswer(key: string, item: string): UsageError {
  const keys = fieldTable()
    .map((f) => f.key)
    .join(', ');
  return new UsageError(`invalid --set ${quote(item)}: unknown answer "${key}" (expected one of ${keys})`);
}

/**
 * Refuse given answers (flags and `--set`) whose key no field has, once the pack's questions are
 * known (`--set` keeps keys spelled like a question's name until then).
 * @throws UsageError `invalid --set "key=value": unknown answer "key" (expected one of …)`.
 */
export function assertKnownAnswers(given: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(given)) {
    if (!fieldSpec(key)) throw unknownAnswer(key, `${key}=${String(value)}`);
  }
}

/**
 * True when `key` matters for these answers: not scoped to another language, and not to a
 * service that is not in use.
 * @param answers the answers so far (at least `language` and the service kinds when known).
 */
export function appliesTo(key: string, answers: Record<string, unknown>): boolean {
  const spec = fieldSpec(key);
  if (spec?.language && spec.language !== answers.language) return false;
  if (!matches(spec?.when, answers)) return false;
  if (spec?.service) {
    const kind = findService(spec.service)?.kind;
    return kind !== undefined && answers[kind] === spec.service;
  }
  return true;
}

/**
 * The value used when neither a flag, a saved answer nor detection gives one.
 * @param language the language, for its default port; @param name the service name.
 * @returns undefined for a field without a fallback (`language`: it must be detected or given).
 */
export function fallbackFor(key: string, language: string | undefined, name: string): AnswerValue | undefined {
  if (key === 'port') return findLanguage(language ?? '')?.defaultPort ?? 8080;
  const fb = fieldSpec(key)?.fallback;
  return typeof fb === 'function' ? fb(name) : fb;
}

/**
 * Validate a whole answer set (e.g. read back from `.dockforge/answers.yaml`). Absent fields
 * take their defaults: fields of other languages and unused services (a Go project's answers
 * file holds no Node keys) and fields added by a newer dockforge; aliases are accepted
 * (`runtime` for `base`). Only `language` has no default.
 *
 * @param input an object keyed by field name or alias; unknown keys are refused.
 * @returns a typed copy with fields in table order.
 * @throws UsageError naming the first unknown, missing or invalid field.
 */
export function validateAnswers(input: Record<string, unknown>): Answers {
  const byKey: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const spec = fieldSpec(key);
    if (!spec) parseField(key, value);
    else if (byKey[spec.key] === undefined) byKey[spec.key] = value;
    else if (key === spec.key) byKey[spec.key] = value; // the current name wins over an alias
  }
  const out: Record<string, unknown> = {};
  const language = parseField('language', byKey.language ?? '') as string;
  const name = byKey.name === undefined ? 'app' : (parseField('name', byKey.name) as string);
  for (const spec of fieldTable()) {
    let raw = byKey[spec.key];
    // a pack question that does not apply to these answers and has no default is not answered
    if ((raw === undefined || raw === null) && spec.pack && spec.fallback === undefined && !appliesTo(spec.key, out)) {
      continue;
    }
    // a field of another language or an unused service, or one an older dockforge did not
    // write, takes its default
    if (raw === undefined || raw === null) raw = fallbackFor(spec.key, language, name);
    if (raw === undefined || raw === null) {
      throw new UsageError(`missing answer ${spec.key}: expected ${spec.allowed}`);
    }
    out[spec.key] = parseField(spec.key, raw);
  }
  const problem = findLanguage(language)?.check?.(out as Answers);
  if (problem) throw new UsageError(problem);
  return out as Answers;
}
