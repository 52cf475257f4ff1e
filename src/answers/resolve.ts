/**
 * Turning flags, saved answers and detection into one validated answer set, asking the user
 * only for what is not already given (the VS Code scaffolding's "steps that skip when prefilled").
 *
 * Precedence per field: command-line flag or `--set` > saved answer (.dockforge/answers.yaml)
 * > detected value > fallback.
 */
import { UsageError } from '../errors.js';
import type { Answers, Detection, FieldSpec } from '../vocabulary.js';
import { formatEvidence } from '../vocabulary.js';
import {
  appliesTo,
  canonicalKey,
  fallbackFor,
  fieldTable,
  parseField,
  serviceName,
  validateAnswers,
} from './fields.js';

type AnswerKey = string;
type Language = string;

/** Where a resolved value came from, for the summary. */
export type Origin = 'flag' | 'saved' | 'detected' | 'default' | 'asked';

/** How to resolve: `yes` accepts defaults; `interactive` asks; otherwise missing answers are an error. */
export interface ResolveOptions {
  /** Raw values given on the command line (flags and `--set`), validated here. */
  given: Partial<Record<AnswerKey, unknown>>;
  /** Previously saved answers, if any (already validated). */
  saved?: Partial<Answers>;
  detection: Detection;
  mode: 'yes' | 'interactive' | 'non-interactive';
}

export interface Resolved {
  answers: Answers;
  origin: Record<AnswerKey, Origin>;
}

/** A proposed value for one field and where it came from. */
interface Proposal {
  value: unknown;
  origin: Origin;
  evidence?: string;
}

/**
 * Resolve the answer set.
 * @throws UsageError (exit 2) for an invalid given value, a missing language, or — without a
 *   TTY and without `--yes` — any asked field that no flag or saved answer provides.
 */
export async function resolveAnswers(opts: ResolveOptions): Promise<Resolved> {
  const values: Partial<Record<AnswerKey, unknown>> = {};
  const origin = {} as Record<AnswerKey, Origin>;
  for (const [given, raw] of Object.entries(opts.given)) {
    if (raw !== undefined) {
      const key = canonicalKey(given);
      values[key] = parseField(given, raw);
      origin[key] = 'flag';
    }
  }

  const propose = (key: AnswerKey): Proposal | undefined => {
    // a saved group equal to the saved user follows a newly given user ID
    const follows = key === 'gid' && values.uid !== undefined && opts.saved?.gid === opts.saved?.uid;
    if (opts.saved && opts.saved[key] !== undefined && !follows) return { value: opts.saved[key], origin: 'saved' };
    const f = opts.detection.findings[key];
    // a detected image is named after the detected name; a name given by flag overrides both
    const stale = key === 'image' && values.name !== undefined && values.name !== opts.detection.findings.name?.value;
    if (f && !stale) {
      // a detected name is a DNS-1123 label (toLabel); the service name is stricter (a folder
      // `2048` becomes `app-2048`, a long package name is cut): serviceName, fields.ts
      const value = key === 'name' ? serviceName(String(f.value)) : f.value;
      return { value, origin: 'detected', evidence: formatEvidence(f.evidence) };
    }
    const language = values.language as Language | undefined;
    const detectedName = opts.detection.findings.name?.value as string | undefined;
    const name =
      (values.name as string | undefined) ?? (detectedName === undefined ? 'app' : serviceName(detectedName));
    let value = fallbackFor(key, language, name);
    if (key === 'gid' && values.uid !== undefined) value = values.uid as number; // group follows a given user ID
    if (key === 'image' && values.name !== undefined) value = `${values.name}:0.1.0`;
    return value === undefined ? undefined : { value, origin: 'default' };
  };

  const FIELDS = fieldTable();
  const asked = FIELDS.filter((f) => f.ask);
  if (opts.mode === 'non-interactive') {
    // a language's or a service's own question only when the answers given so far use it
    const known = { ...opts.saved, ...values };
    const missing = asked.filter(
      (f) =>
        values[f.key] === undefined &&
        opts.saved?.[f.key] === undefined &&
        (!(f.language || f.service) || appliesTo(f.key, known)),
    );
    if (missing.length > 0) {
      throw new UsageError(
        `missing answers for ${missing.map((f) => f.key).join(', ')} and no terminal to ask: pass ${missing
          .map((f) => howToGive(f, f.choices ? f.choices.join('|') : f.kind === 'bool' ? 'true|false' : 'N'))
          .join(' ')}, or --yes to accept detected values`,
      );
    }
  }

  let prompts: Prompts | undefined;
  for (const spec of FIELDS) {
    const key = spec.key;
    if (values[key] !== undefined) continue;
    const language = values.language as Language | undefined;
    if (language && !appliesTo(key, values)) continue;
    const proposal = propose(key);
    if (opts.mode === 'interactive' && spec.ask) {
      prompts ??= await loadPrompts();
      values[key] = await ask(prompts, spec, proposal);
      origin[key] = proposal && values[key] === proposal.value ? proposal.origin : 'asked';
      continue;
    }
    if (!proposal) {
      const found = key === 'language' ? (opts.detection.candidates ?? []) : [];
      const hint = found.length
        ? `; services found in sub-folders: ${found.map((c) => `--dir ${c.dir} (${c.language})`).join(', ')}`
        : '';
      throw new UsageError(
        `could not detect ${key}: pass ${howToGive(spec, spec.choices ? spec.choices.join('|') : '<value>')}${hint}`,
      );
    }
    values[key] = parseField(key, proposal.value);
    origin[key] = proposal.origin;
  }
  return { answers: validateAnswers(values as Record<string, unknown>), origin };
}

/** The two inquirer prompts the questions use. */
interface Prompts {
  select: typeof import('@inquirer/select').default;
  input: typeof import('@inquirer/input').default;
}

/** Load the prompts (only when a question is asked: inquirer is not needed otherwise). */
async function loadPrompts(): Promise<Prompts> {
  const [select, input] = await Promise.all([import('@inquirer/select'), import('@inquirer/input')]);
  return { select: select.default, input: input.default };
}

/** How a field is given on the command line: `--key value` for a flag field, else `--set key=value`. */
function howToGive(spec: FieldSpec, value: string): string {
  return spec.flag ? `--${spec.key} ${value}` : `--set ${spec.key}=${value}`;
}

/** Ask one field with inquirer, prefilled with the proposal, marked "(detected)" when it was detected. */
async function ask(prompts: Prompts, spec: FieldSpec, proposal: Proposal | undefined): Promise<unknown> {
  const mark = proposal?.origin === 'detected' ? ' (detected)' : proposal?.origin === 'saved' ? ' (saved)' : '';
  if (spec.kind === 'enum') {
    return prompts.select({
      message: spec.describe,
      default: proposal?.value as string | undefined,
      choices: spec.choices!.map((c) => ({
        value: c,
        name: c === proposal?.value ? `${c}${mark}` : c,
        description: c === proposal?.value && proposal.evidence ? `from ${proposal.evidence}` : undefined,
      })),
    });
  }
  const answer = await prompts.input({
    message: `${spec.describe}${mark}`,
    default: proposal === undefined ? undefined : String(proposal.value),
    validate: (text: string) => {
      try {
        parseField(spec.key, text);
        return true;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return parseField(spec.key, answer);
}

/**
 * The saved answers that do not depend on the language, kept when `--set language=` changes
 * it: fields the table does not scope to a language, less `language` itself and `port`
 * (whose default is the language's).
 */
export function languageIndependent(saved: Answers): Partial<Answers> {
  return Object.fromEntries(
    Object.entries(saved).filter(([k]) => {
      const spec = fieldTable().find((f) => f.key === k);
      return k !== 'language' && k !== 'port' && spec !== undefined && !spec.language;
    }),
  ) as Partial<Answers>;
}
