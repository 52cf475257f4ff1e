/**
 * Unit tests of proof/bases/cli.ts's argument parsing (no buildah, no network).
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from './cli.js';

describe('parseArgs', () => {
  it('requires a Dockerfile or --image and reads the cache dir from the environment', () => {
    expect(() => parseArgs([], {})).toThrow(/at least one/);
    const o = parseArgs(['--image', 'debian:trixie-slim', '--build-arg', 'A=b'], {
      DOCKFORGE_E2E_CACHE: '/tmp/c',
    });
    expect(o.cacheDir).toBe('/tmp/c');
    expect(o.buildArgs).toEqual({ A: 'b' });
  });
});
