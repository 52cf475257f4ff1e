/**
 * The bounded scan of the repository (src/detect/repo.ts) by relevance: the root and
 * source-like folders before assets, bounds per extension, and a note when a bound is hit.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detect } from '../src/detect/index.js';
import { openRepo } from '../src/detect/repo.js';
import { cleanup, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) cleanup(dirs.pop()!);
});

/** A temp repository with `files` (path → text) and `count` small `.js` files under `assets/js/`. */
function repoWith(files: Record<string, string>, count: number): string {
  const dir = tempRepo();
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  mkdirSync(path.join(dir, 'assets', 'js'), { recursive: true });
  for (let i = 0; i < count; i++) {
    writeFileSync(path.join(dir, 'assets', 'js', `m${String(i).padStart(4, '0')}.js`), `export const x${i} = ${i};\n`);
  }
  return dir;
}

const C_PROJECT = {
  Makefile: 'app: main.c\n\tcc -o app main.c\n',
  'main.c': '#include <stdio.h>\n\nint main(void) {\n  puts("hi");\n  return 0;\n}\n',
};

describe('scan by relevance', () => {
  it('a C project with 2 100 .js files under assets/ is detected as C, with a note on the bound', async () => {
    const dir = repoWith(C_PROJECT, 2100);
    const d = await detect(dir);
    expect(d.findings.language?.value).toBe('c');
    expect(d.notes).toContain('scan stopped at 1500 .js files (the limit per extension); later files were not read');
    // within the bounds: every file, no limit and no note
    const small = repoWith(C_PROJECT, 10);
    expect((await openRepo(small, ['.c', '.js'])).limited).toBeUndefined();
    expect((await detect(small)).notes.filter((n) => n.startsWith('scan stopped'))).toEqual([]);
  });

  it('source folders are listed before assets/, and the bound is exposed', async () => {
    const dir = repoWith(
      { ...C_PROJECT, 'src/util.c': 'int util(void) { return 1; }\n', 'src/ui.js': 'export {};\n' },
      2100,
    );
    const repo = await openRepo(dir, ['.c', '.js']);
    expect(repo.limited).toBe('1500 .js files (the limit per extension)');
    expect(repo.sources).toContain('main.c');
    expect(repo.sources).toContain('src/util.c');
    // src/ is read before assets/: its .js file is kept and one of assets/ is left out
    expect(repo.sources).toContain('src/ui.js');
    expect(repo.sources).not.toContain('assets/js/m2099.js');
    expect(repo.sources.filter((s) => s.endsWith('.js'))).toHaveLength(1500);
    // the order a sorted depth-first walk gives: assets/ before main.c before src/
    expect(repo.sources.indexOf('assets/js/m0000.js')).toBeLessThan(repo.sources.indexOf('main.c'));
    expect(repo.sources.indexOf('main.c')).toBeLessThan(repo.sources.indexOf('src/util.c'));
  });
});
