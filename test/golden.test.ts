/**
 * Golden files: every cell of the matrix (registry languages × database choices × runtime
 * bases, plus variants) rendered in-process must equal test/golden/<cell>/ byte for byte
 * (Azure draft's FileMapWriter style). After a deliberate template change, refresh them with
 * `UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts` and review the diff.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, REPO } from './helpers/cli.js';
import { registryCells, renderFiles } from './helpers/render.js';

const GOLDEN = path.join(REPO, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe.each(registryCells())('golden $id', (cell) => {
  it('renders byte for byte', async () => {
    const files = await renderFiles(cell.answers);
    const dir = path.join(GOLDEN, cell.id);
    if (update) {
      rmSync(dir, { recursive: true, force: true });
      for (const [rel, content] of files) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), content);
      }
    }
    expect(existsSync(dir), `${dir} missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect([...files.keys()].sort()).toEqual(listFiles(dir));
    for (const [rel, content] of files) expect(content, rel).toBe(readFileSync(path.join(dir, rel), 'utf8'));
  });
});
