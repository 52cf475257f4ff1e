/**
 * The examples as a fresh clone has them: shared by the golden test (test/examples.test.ts)
 * and the container e2e (proof/e2e/run.ts), which both regenerate from the sources alone.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Copy an example's sources as a fresh clone would have them, for a first `dockforge init`:
 * without the files dockforge generated (listed in its manifest), `.dockforge/`, git-ignored
 * secret folders, dependencies and build outputs.
 * @param src absolute path of examples/<name>; @param dest folder to create.
 * @returns the relative paths of the generated files that were left out.
 */
export function copyExampleSources(src: string, dest: string): Set<string> {
  const manifest = path.join(src, '.dockforge', 'manifest.json');
  const generated = new Set<string>(
    existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')) as { files: { path: string }[] }).files.map((f) => f.path)
      : [],
  );
  cpSync(src, dest, {
    recursive: true,
    filter: (p) => {
      const rel = path.relative(src, p).split(path.sep).join('/');
      return (
        !generated.has(rel) &&
        !rel.startsWith('.dockforge') &&
        !/(^|\/)(node_modules|dist|build)(\/|$)|(^|\/)k8s\/secrets(\/|$)/.test(rel)
      );
    },
  });
  return generated;
}
