/**
 * Dockerfile rules checked on every generated Dockerfile: the shipped checks of
 * `src/check/dockerfile.ts` (each rule names its source), loaded once when a test file imports
 * this helper. Violations are strings (empty = pass), so a failing test shows every broken rule.
 */
import { loadDockerfileRules } from '../../src/check/dockerfile.js';

export type { DockerfileExpect as Expect, ParsedDockerfile, Stage } from '../../src/check/dockerfile.js';

/** Parse with dockerfile-ast and split into stages, and check every rule against the expected values. */
export const { parseDockerfile, checkDockerfile } = await loadDockerfileRules();
