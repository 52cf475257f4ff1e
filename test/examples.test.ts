/**
 * The examples carry the files dockforge generated for them, committed. Regenerating them
 * from the example's sources (the `init --yes` pipeline in-process, only the runtime base given,
 * everything else detected) must reproduce every committed file byte for byte.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { copyExampleSources } from './helpers/examples.js';
import { EXAMPLES, cleanup, read, tempRepo } from './helpers/cli.js';
import { runPipeline } from '../src/pipeline.js';
import { allLanguages, servicesOfKind } from '../src/registry.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

const examples = readdirSync(EXAMPLES)
  .filter((e) => existsSync(path.join(EXAMPLES, e, '.dockforge/manifest.json')))
  .sort();
/** Examples that are projects of several services (answers with `services:`), e.g. examples/shop. */
const projects = examples.filter((e) => parseYaml(read(path.join(EXAMPLES, e), '.dockforge/answers.yaml')).services);

it('every registered language × database choice has an example carrying its generated files', () => {
  const databases = [...servicesOfKind('database').map((s) => s.id), 'none'];
  // a language without backing services (a static site) has its example with none only
  const expected = allLanguages().flatMap((l) =>
    (l.backingServices === false ? ['none'] : databases).map((d) => `${l.id}-${d}`),
  );
  expect(examples.filter((e) => !projects.includes(e))).toEqual(expected.sort());
  expect(projects).toEqual(['shop']);
});

describe.each(examples)('examples/%s', (example) => {
  it('regenerates byte for byte (the init pipeline, in-process)', async () => {
    const src = path.join(EXAMPLES, example);
    const answers = parseYaml(read(src, '.dockforge/answers.yaml'));
    const dir = tempRepo();
    dirs.push(dir);
    // a clone's folder is named after the repository (a project takes its name from it)
    const root = path.join(dir, example);
    const generated = copyExampleSources(src, root);
    const r = await runPipeline({
      command: 'init',
      root,
      version: '0.1.0',
      // a project's services each have their own base: the example's were all detected
      given: answers.services ? {} : { base: answers.base },
      mode: 'yes',
      write: true,
    });
    expect(r.plan?.conflicts).toEqual([]);
    for (const f of [...generated, '.dockforge/answers.yaml', '.dockforge/manifest.json', '.gitignore']) {
      expect(read(root, f), f).toBe(read(src, f));
    }
  });
});
