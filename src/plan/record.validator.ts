/**
 * The record schema's validator as the build made it: ajv's standalone code for
 * {@link RECORD_SCHEMA} (the same options `record.ts` compiles with), so a bundled run loads no
 * schema compiler. Run from source (tests, `tsx`) this is undefined and `record.ts` compiles the
 * schema with ajv on first use; the bundle (`npm run build`, scripts/build.ts) replaces this
 * module with the generated code.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';

/** The precompiled validator of the record schema; undefined when running from source. */
export const PREBUILT_RECORD_VALIDATOR: ValidateFunction<unknown> | undefined = undefined;
