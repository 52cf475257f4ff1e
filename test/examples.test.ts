/**
 * The examples carry the files dockforge generated for them, committed. Regenerating them
 * from the example's sources (`init --yes`, only the runtime base given as a flag, everything
 * else detected) must reproduce every committed file byte for byte.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { copyExampleSources } from './helpers/examples.js';
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
    const answers = parseYaml(read(src, '.dockforge/answers.yaml'));
    const dir = tempRepo();
    dirs.push(dir);
    const generated = copyExampleSources(src, path.join(dir, 'repo'));
    const r = runCli(['init', '--yes', '--runtime', answers.runtime], path.join(dir, 'repo'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of [...generated, '.dockforge/answers.yaml', '.dockforge/manifest.json', '.gitignore']) {
      expect(read(path.join(dir, 'repo'), f), f).toBe(read(src, f));
    }
  });
});
