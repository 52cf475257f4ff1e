/**
 * JSON Schema (draft 2020-12) of the record of generated files, `.dockforge/manifest.json`:
 * the shape {@link recordToJson} in `record.ts` writes. `readRecord` validates the parsed JSON
 * against it (with ajv) before using any of it, so a hand-edited or hostile record is refused
 * with the JSON pointer of the first problem instead of being iterated as characters. Keys a
 * newer dockforge may add are allowed (and dropped on the next write); the lengths bound what
 * a record can make dockforge echo or walk.
 */
export const RECORD_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/dockforge/dockforge/schemas/manifest.json',
  title: 'dockforge record of generated files (.dockforge/manifest.json)',
  type: 'object',
  required: ['files'],
  properties: {
    dockforge: { description: 'dockforge version that wrote it', type: 'string', maxLength: 200 },
    pack: { description: 'pack id that rendered the files', type: 'string', maxLength: 200 },
    files: {
      description: 'one entry per managed file, as last generated',
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object',
        required: ['path', 'template', 'sha256', 'base'],
        properties: {
          path: { $ref: '#/$defs/relativePath' },
          template: { description: '`pack@version:<template path>`', type: 'string', maxLength: 4096 },
          sha256: { description: 'sha256 (hex) of base', type: 'string', pattern: '^[0-9a-f]{64}$' },
          base: { description: 'the exact text generated: the merge base', type: 'string' },
        },
      },
    },
    secrets: {
      description: 'secret files made on first init (paths only)',
      type: 'array',
      maxItems: 10000,
      items: { $ref: '#/$defs/relativePath' },
    },
    ejected: {
      description: 'managed files the user deleted: never recreated',
      type: 'array',
      maxItems: 10000,
      items: { $ref: '#/$defs/relativePath' },
    },
  },
  $defs: {
    relativePath: {
      description: 'a `/`-separated path relative to the project root (confinement is checked in code)',
      type: 'string',
      minLength: 1,
      maxLength: 4096,
    },
  },
} as const;
