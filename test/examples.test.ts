/**
 * The examples carry the files dockforge generated for them, committed. Regenerating them
 * from the example's sources (`init --yes`, only the runtime base given as a flag, everything
 * else detected) must reproduce every committed file byte for byte.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLES, cleanup, read, runCli, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

const examples = readdirSync(EXAMPLES).filter((e) => existsSync(path.join(EXAMPLES, e, '.dockforge/manifest.json'))).sort();

it('every example carries its generated files', () => {
  expect(examples).toEqual(['c-none', 'c-postgres', 'c-sqlite', 'go-none', 'go-postgres', 'go-sqlite', 'node-none', 'node-postgres', 'node-sqlite']);
});

describe.each(examples)('examples/%s', (example) => {
  it('regenerates byte for byte', () => {
    const src = path.join(EXAMPLES, example);
    const manifest = JSON.parse(read(src, '.dockforge/manifest.json')) as { files: { path: string }[] };
    const generated = new Set(manifest.files.map((f) => f.path));
    const answers = parseYaml(read(src, '.dockforge/answers.yaml'));
    const dir = tempRepo();
    dirs.push(dir);
    cpSync(src, dir, {
      recursive: true,
      filter: (p) => {
        const rel = path.relative(src, p).split(path.sep).join('/');
        return !generated.has(rel) && !rel.startsWith('.dockforge') && !/(^|\/)(node_modules|dist|build)(\/|$)/.test(rel);
      },
    });
    const r = runCli(['init', '--yes', '--runtime', answers.runtime], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of [...generated, '.dockforge/answers.yaml', '.dockforge/manifest.json', '.gitignore']) {
      expect(read(dir, f), f).toBe(read(src, f));
    }
  });
});
