/**
 * The import rules of docs/architecture.md, checked on the source: data flows one way
 * (detect → answers → render → plan → write), the ground imports nothing upward, and nothing
 * imports the CLI. Imports are read with the TypeScript compiler's own pre-processor.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';

const SRC = path.join(REPO, 'src');

/** Each source file's dockforge imports, as src-relative module paths without extension. */
function imports(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.name.endsWith('.ts')) {
        const info = ts.preProcessFile(readFileSync(abs, 'utf8'), true, true);
        const rel = path.relative(SRC, abs).replace(/\.ts$/, '');
        out.set(
          rel,
          info.importedFiles
            .map((f) => f.fileName)
            .filter((f) => f.startsWith('.'))
            .map((f) => path.relative(SRC, path.resolve(path.dirname(abs), f)).replace(/\.js$/, '')),
        );
      }
    }
  };
  walk(SRC);
  return out;
}

/** The area of a module: its top folder, or the file name for top-level files. */
const area = (mod: string): string => mod.split('/')[0]!;

/**
 * What each area may import (besides itself). The ground (errors, vocabulary, files) only each other.
 */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  vocabulary: ['errors'],
  files: ['errors'],
  registry: ['stacks', 'services'],
  stacks: ['errors', 'vocabulary', 'detect/repo', 'templates/data'],
  services: ['errors', 'vocabulary', 'detect/repo', 'templates/data'],
  detect: ['errors', 'vocabulary', 'files', 'registry', 'stacks', 'services'],
  answers: ['errors', 'vocabulary', 'files', 'registry', 'stacks', 'services'],
  templates: ['errors', 'vocabulary', 'files'],
  render: ['errors', 'vocabulary', 'registry', 'stacks', 'services', 'answers', 'templates'],
  plan: ['errors', 'vocabulary', 'files', 'render'],
  write: ['errors', 'vocabulary', 'files', 'plan'],
  pipeline: ['errors', 'vocabulary', 'answers', 'detect', 'render', 'plan', 'write', 'templates', 'registry'],
  packs: ['errors', 'vocabulary', 'files', 'answers', 'registry', 'render', 'templates', 'check'],
  cli: ['errors', 'vocabulary', 'files', 'answers', 'plan', 'pipeline', 'registry', 'packs'],
  check: ['errors', 'vocabulary', 'files', 'render'],
};

function allowed(from: string, to: string): boolean {
  if (area(from) === area(to)) return true;
  return ALLOWED[area(from)]!.some((a) => to === a || area(to) === a || to.startsWith(`${a}/`));
}

describe('import rules', () => {
  const graph = imports();

  it('every source area has a rule', () => {
    expect([...new Set([...graph.keys()].map(area))].filter((a) => !(a in ALLOWED))).toEqual([]);
  });

  it('no module imports against the data flow', () => {
    const violations: string[] = [];
    for (const [from, tos] of graph) {
      for (const to of tos) if (!allowed(from, to)) violations.push(`${from} → ${to}`);
    }
    expect(violations).toEqual([]);
  });

  it('detect does not import answers; write imports neither render, detect nor answers; nothing imports cli', () => {
    for (const [from, tos] of graph) {
      if (area(from) === 'detect')
        expect(
          tos.filter((t) => area(t) === 'answers'),
          from,
        ).toEqual([]);
      if (area(from) === 'write') {
        expect(
          tos.filter((t) => ['render', 'detect', 'answers'].includes(area(t))),
          from,
        ).toEqual([]);
      }
      if (area(from) !== 'cli')
        expect(
          tos.filter((t) => area(t) === 'cli'),
          from,
        ).toEqual([]);
    }
  });

  it('the rule checker sees a violation (a detect module importing answers is refused)', () => {
    expect(allowed('detect/index', 'answers/fields')).toBe(false);
    expect(allowed('write/apply', 'render/render')).toBe(false);
    expect(allowed('plan/reconcile', 'cli/main')).toBe(false);
    expect(allowed('stacks/go', 'detect/repo')).toBe(true);
    expect(allowed('stacks/go', 'detect/index')).toBe(false);
  });
});
