/**
 * Unit tests of proof/bases/recipes.ts (no buildah, no network): which references have a
 * stand-in recipe, and why the others are skipped.
 */
import { describe, expect, it } from 'vitest';
import { normalizeRef } from './parse.js';
import { classify } from './recipes.js';

describe('classify', () => {
  it('maps the supported images to recipes', () => {
    expect(classify(normalizeRef('gcr.io/distroless/nodejs22-debian13:nonroot'))).toEqual({
      recipe: { kind: 'distroless', flavor: 'nodejs', nodeMajor: 22, nonroot: true },
    });
    expect(classify(normalizeRef('gcr.io/distroless/static-debian13'))).toEqual({
      recipe: { kind: 'distroless', flavor: 'static', nodeMajor: undefined, nonroot: false },
    });
    expect(classify(normalizeRef('golang:1.25-trixie'))).toEqual({ recipe: { kind: 'golang', goSpec: '1.25' } });
    expect(classify(normalizeRef('node:22-trixie-slim'))).toEqual({
      recipe: { kind: 'node', nodeSpec: '22', slim: true },
    });
    expect(classify(normalizeRef('debian:trixie-slim'))).toEqual({ recipe: { kind: 'debian', slim: true } });
  });

  it('skips Alpine with the exact reason, and explains other skips', () => {
    for (const r of ['alpine:3.20', 'golang:1.25-alpine3.21', 'node:22-alpine']) {
      expect(classify(normalizeRef(r))).toEqual({
        skip: 'not built: no Alpine package source reachable',
        alpine: true,
      });
    }
    expect('skip' in classify(normalizeRef('postgres:16'))).toBe(true);
    expect(classify(normalizeRef('node:22'))).toHaveProperty('skip', expect.stringContaining('node:22-trixie'));
  });
});
