/**
 * Compose file validation: the Compose Specification JSON schema (draft-07, vendored in
 * `schemas/compose-spec.json` at the package root: see `schemas/README.md` for its source,
 * commit and licence), checked with ajv. ajv and the schema are loaded by
 * {@link loadComposeRules} when a check runs, never when this module is imported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentError } from '../errors.js';

/**
 * The vendored Compose Specification schema. This module is two folders below the package root
 * both in the sources (`src/check/`) and in the bundle (`dist/cli/`), as `src/templates/pack.ts`
 * finds `templates/`.
 */
export function composeSchemaPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', 'compose-spec.json');
}

/** The Compose check, with ajv and the schema loaded. */
export interface ComposeRules {
  /**
   * Validate one compose document (the parsed YAML: an object with `services`, …) against the
   * Compose Specification schema, every error at once (ajv `allErrors`).
   * @returns ajv errors as `<instancePath> <message>` (empty = valid); never throws.
   */
  composeErrors(doc: unknown): string[];
}

type Validator = ((doc: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let validateCompose: Promise<Validator> | undefined;

/** Read the schema and compile it with ajv (draft-07: `ajv`'s default class). */
async function compileComposeSchema(): Promise<Validator> {
  const file = composeSchemaPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? environmentError(code, 'read', file) : e;
  }
  const { Ajv } = await import('ajv');
  // strict off: the schema uses keywords ajv's strict mode refuses; validateSchema off: its $schema is not preloaded
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
  return ajv.compile(JSON.parse(text) as object) as Validator;
}

/**
 * Load ajv and compile the Compose Specification schema (once per process), and return the check.
 * @throws EnvironmentError when `schemas/compose-spec.json` cannot be read (naming its path);
 *   Error when ajv cannot be loaded or the schema is not JSON (an incomplete installation).
 */
export async function loadComposeRules(): Promise<ComposeRules> {
  validateCompose ??= compileComposeSchema();
  let validate: Validator;
  try {
    validate = await validateCompose;
  } catch (e) {
    validateCompose = undefined;
    throw e;
  }
  return {
    composeErrors(doc) {
      if (validate(doc)) return [];
      return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    },
  };
}
