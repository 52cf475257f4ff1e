/**
 * In-process rendering for tests: answers → files, through the same render function the CLI
 * uses (no process spawned, no repository read).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateAnswers } from '../../src/answers/fields.js';
import { allLanguages, allServices, serviceKinds, servicesOfKind } from '../../src/registry.js';
import { render } from '../../src/render/render.js';
import { resolvePack } from '../../src/templates/pack.js';
import { RUNTIME_BASES } from '../../src/vocabulary.js';
import { goldenCells, type GoldenCell } from './cells.js';

/** The version the golden files are rendered with. */
export const GOLDEN_VERSION = '0.1.0';

/**
 * Every golden cell, from the registry's languages, the `database` choices, the runtime bases and
 * the services of other kinds (a cache); a language without backing services (`backingServices:
 * false`) only with none.
 */
export function registryCells(): GoldenCell[] {
  const databases = [...servicesOfKind('database').map((s) => s.id), 'none'];
  const own = Object.fromEntries(
    allLanguages().map((l) => [
      l.id,
      Object.fromEntries(
        l.fields.map((f) => [f.key, typeof f.fallback === 'function' ? f.fallback('app') : f.fallback]),
      ),
    ]),
  );
  const others = allServices()
    .filter((s) => s.kind !== 'database')
    .map((s) => ({ kind: s.kind, id: s.id }));
  const noServices = allLanguages()
    .filter((l) => l.backingServices === false)
    .map((l) => l.id);
  return goldenCells(own, databases, RUNTIME_BASES, others, noServices);
}

const packs = new Map<string, ReturnType<typeof resolvePack>>();
const renders = new Map<string, Promise<Map<string, string>>>();

/**
 * Rendered files of one answer set: path → content, in pack order. The pack and each render
 * are cached per test file (the same answers render the same files).
 */
export function renderFiles(answers: Record<string, unknown>, extra: string[] = []): Promise<Map<string, string>> {
  const key = JSON.stringify([answers, extra]);
  let hit = renders.get(key);
  if (!hit) {
    const packKey = JSON.stringify(extra);
    if (!packs.has(packKey)) packs.set(packKey, resolvePack(extra));
    hit = packs
      .get(packKey)!
      .then((pack) => render(validateAnswers(answers), pack, GOLDEN_VERSION))
      .then((r) => new Map(r.files.map((f) => [f.path, f.content])));
    renders.set(key, hit);
  }
  return hit;
}

/** Write rendered files into a fresh temp directory (for checkers that read files). */
export function writeTemp(files: Map<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dockforge-render-'));
  for (const [rel, content] of files) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

export { allServices, serviceKinds };
