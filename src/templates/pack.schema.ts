/**
 * JSON Schema (draft 2020-12) of a template pack's `pack.yaml` and of a module folder's
 * `files.yaml` (`languages/<id>/files.yaml`, `services/<id>/files.yaml`: only `files` and
 * `secrets`). `loadLayer` in `pack.ts` validates every team pack's files against it (with ajv)
 * before using any of it; the built-in pack is checked by the test suite. The same schema is
 * published as `schemas/pack.schema.json` (test/packs.test.ts keeps the two equal) for editors.
 *
 * Bounds keep a hostile pack from making dockforge walk or echo much: 200 entries per list,
 * names of at most 100 characters, paths of at most 400.
 */

/** A `when` condition: context key → a value or a list of values (any of). */
const WHEN = {
  description:
    'only when every key matches the render context: equal to the value, one of a list, or (for a list in ' +
    'the context, like service) containing it',
  type: 'object',
  maxProperties: 20,
  propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  additionalProperties: {
    anyOf: [
      { type: ['string', 'number', 'boolean'] },
      { type: 'array', maxItems: 50, items: { type: ['string', 'number', 'boolean'] } },
    ],
  },
} as const;

/** An output path in the target repository (a Handlebars expression over the answers allowed). */
const OUTPUT_PATH = {
  description: 'path written in the target repository, relative, "/"-separated, without ".."',
  type: 'string',
  minLength: 1,
  maxLength: 400,
  not: { pattern: '(^/|^[A-Za-z]:|(^|/)\\.\\.(/|$)|\\\\)' },
} as const;

/** A template path relative to the folder that lists it (`files/` of the pack or module). */
const TEMPLATE_PATH = {
  description: 'template under the files/ folder next to the file that lists it, ending in .hbs',
  type: 'string',
  minLength: 5,
  maxLength: 400,
  pattern: '\\.hbs$',
  not: { pattern: '(^/|^[A-Za-z]:|(^|/)\\.\\.(/|$)|\\\\)' },
} as const;

const FILES = {
  description: 'files this pack (or module) generates',
  type: 'array',
  maxItems: 200,
  items: {
    type: 'object',
    required: ['path', 'template'],
    additionalProperties: false,
    properties: { path: OUTPUT_PATH, template: TEMPLATE_PATH, when: WHEN },
  },
} as const;

const SECRETS = {
  description: 'secret files: KEY=<random> lines written once, git-ignored, never recorded',
  type: 'array',
  maxItems: 50,
  items: {
    type: 'object',
    required: ['path', 'keys'],
    additionalProperties: false,
    properties: {
      path: OUTPUT_PATH,
      keys: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100 },
      },
      when: WHEN,
    },
  },
} as const;

/** A declarative question: asked by `init`, validated, saved in answers.yaml, available in templates. */
const QUESTION = {
  type: 'object',
  required: ['name', 'type', 'description'],
  additionalProperties: false,
  properties: {
    name: {
      description: 'answer name (camelCase); must not be a built-in answer',
      type: 'string',
      pattern: '^[a-z][A-Za-z0-9]{0,39}$',
    },
    type: { enum: ['string', 'int', 'bool', 'choice'] },
    description: { type: 'string', minLength: 1, maxLength: 200 },
    default: { type: ['string', 'integer', 'boolean'] },
    choices: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[A-Za-z0-9._:/@+=,%-]{1,100}$' },
    },
    pattern: { description: 'regular expression a string answer must match (in full)', type: 'string', maxLength: 200 },
    min: { type: 'integer' },
    max: { type: 'integer' },
    when: WHEN,
  },
  // each rule applies to the valid types only, so an unknown type is reported as such
  allOf: [
    { if: { properties: { type: { const: 'choice' } } }, then: { required: ['choices'] } },
    {
      if: { properties: { type: { enum: ['string', 'int', 'bool'] } } },
      then: { description: 'no choices (they belong to type choice)', not: { required: ['choices'] } },
    },
    {
      if: { properties: { type: { enum: ['string', 'bool', 'choice'] } } },
      then: {
        allOf: [
          { description: 'no min (it belongs to type int)', not: { required: ['min'] } },
          { description: 'no max (it belongs to type int)', not: { required: ['max'] } },
        ],
      },
    },
    {
      if: { properties: { type: { enum: ['int', 'bool', 'choice'] } } },
      then: { description: 'no pattern (it belongs to type string)', not: { required: ['pattern'] } },
    },
  ],
} as const;

/** The schema of `pack.yaml`. */
export const PACK_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/dockforge/dockforge/schemas/pack.schema.json',
  title: 'dockforge template pack (pack.yaml)',
  type: 'object',
  required: ['name', 'version'],
  additionalProperties: false,
  properties: {
    name: {
      description: 'pack name (an npm package name: lowercase, digits, "-", "_", ".", optionally @scope/)',
      type: 'string',
      maxLength: 100,
      pattern: '^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$',
    },
    version: {
      description: 'semantic version of the pack (semver.org), e.g. 1.2.0',
      type: 'string',
      maxLength: 100,
      pattern:
        '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)' +
        '(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$',
    },
    description: { type: 'string', maxLength: 400 },
    extends: {
      description:
        'the pack this one layers over: the built-in pack by its name (dockforge-builtin), or another pack ' +
        'from a source (a folder relative to this pack, an npm spec or a git URL#ref)',
      type: 'object',
      required: ['name', 'version'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', maxLength: 100 },
        version: {
          description: 'semver range the parent version must satisfy, e.g. ^0.1.0',
          type: 'string',
          maxLength: 100,
        },
        source: { type: 'string', minLength: 1, maxLength: 400 },
      },
    },
    questions: { type: 'array', maxItems: 50, items: QUESTION },
    files: FILES,
    secrets: SECRETS,
    data: {
      description: 'values templates and dockforge read (e.g. registryMirrors); a layer replaces its parent\'s by key',
      type: 'object',
      maxProperties: 50,
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    },
    helpers: {
      description: 'a CommonJS file of this pack exporting Handlebars helpers: loaded only with --trust',
      type: 'string',
      pattern: '^[A-Za-z0-9._/-]+\\.c?js$',
      not: { pattern: '(^/|(^|/)\\.\\.(/|$))' },
    },
  },
} as const;

/** The schema of a module folder's `files.yaml`. */
export const MODULE_FILES_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'dockforge pack module files (languages/<id>/files.yaml, services/<id>/files.yaml)',
  type: 'object',
  additionalProperties: false,
  properties: { files: FILES, secrets: SECRETS },
} as const;
