/**
 * Unit tests of proof/bases/parse.ts (no buildah, no network): Dockerfile reference
 * extraction, reference normalisation, version matching.
 */
import { describe, expect, it } from 'vitest';
import { compareVersions, expandVars, extractImageRefs, maxMatching, normalizeRef } from './parse.js';

const DOCKERFILE = `# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.25
ARG RUNTIME=gcr.io/distroless/static-debian13:nonroot
FROM --platform=$BUILDPLATFORM golang:\${GO_VERSION}-trixie AS build
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/go-build \\
    --mount=type=bind,from=golang:1.25-alpine,source=/x,target=/y \\
    go build -o /out/app .
RUN <<EOF
FROM nothing:here
EOF
FROM build AS test
FROM \${RUNTIME}
COPY --from=build /out/app /app
COPY --from=node:22-trixie-slim /usr/local/bin/node /node
COPY --from=0 /x /y
`;

describe('extractImageRefs', () => {
  it('resolves ARG defaults, skips stages, heredoc bodies and stage indexes', () => {
    const refs = extractImageRefs(DOCKERFILE, 'Dockerfile');
    expect(refs.map((r) => [r.ref, r.line, r.via])).toEqual([
      ['golang:1.25-trixie', 4, 'FROM'],
      ['golang:1.25-alpine', 6, 'RUN --mount from'],
      ['gcr.io/distroless/static-debian13:nonroot', 13, 'FROM'],
      ['node:22-trixie-slim', 15, 'COPY --from'],
    ]);
  });

  it('lets build args override ARG defaults', () => {
    const refs = extractImageRefs(DOCKERFILE, 'Dockerfile', { GO_VERSION: '1.24' });
    expect(refs[0]?.ref).toBe('golang:1.24-trixie');
  });

  it('skips scratch and is case-insensitive on stage names', () => {
    const refs = extractImageRefs('FROM debian:trixie-slim AS Base\nFROM base\nFROM scratch\n', 'D');
    expect(refs.map((r) => r.ref)).toEqual(['debian:trixie-slim']);
  });
});

describe('expandVars', () => {
  it('supports $X, ${X}, ${X:-d} and ${X:+w}', () => {
    expect(expandVars('$A-${B}-${C:-d}-${A:+w}-${Z}', { A: 'a', B: 'b' })).toBe('a-b-d-w-');
  });
});

describe('normalizeRef', () => {
  it('normalises like docker', () => {
    expect(normalizeRef('golang:1.25-trixie').full).toBe('docker.io/library/golang:1.25-trixie');
    expect(normalizeRef('user/app').full).toBe('docker.io/user/app:latest');
    expect(normalizeRef('localhost:5000/app:1').full).toBe('localhost:5000/app:1');
    expect(normalizeRef('node@sha256:abc').digest).toBe('sha256:abc');
  });
});

describe('versions', () => {
  it('picks the highest matching release', () => {
    expect(compareVersions('1.25.10', '1.25.9')).toBeGreaterThan(0);
    expect(maxMatching(['1.25.9', '1.25.10', '1.26.0', '1.25.11-rc1'], '1.25')).toBe('1.25.10');
    expect(maxMatching(['22.1.0', '22.12.0', '220.0.0'], '22')).toBe('22.12.0');
    expect(maxMatching(['1.2.3'], '2')).toBeUndefined();
  });
});
