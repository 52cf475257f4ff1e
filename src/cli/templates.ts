/**
 * `dockforge templates list | show | eject | new | check`: the template packs a repository
 * renders with, and the tools to make one (src/packs.ts does the work).
 */
import path from 'node:path';
import pc from 'picocolors';
import {
  checkPack,
  ejectTemplate,
  findTemplate,
  layerLabel,
  repositoryPack,
  scaffoldPack,
  templateRows,
} from '../packs.js';
import { alignColumns } from './format.js';
import { parseSets, projectRoot, single } from './args.js';

/** Options shared by the commands that read a repository's packs. */
interface RepoArgs {
  dir?: string | string[];
  pack?: string | string[];
  trust?: boolean;
  json?: boolean;
}

async function packOf(
  args: RepoArgs,
): Promise<{ root: string; selection: Awaited<ReturnType<typeof repositoryPack>> }> {
  const root = await projectRoot(single('dir', args.dir));
  return { root, selection: await repositoryPack(root, { pack: single('pack', args.pack), trust: args.trust }) };
}

/** `templates list`: every template and partial with the layer that wins. @returns 0. */
export async function runTemplatesList(args: RepoArgs): Promise<number> {
  const { selection } = await packOf(args);
  const rows = templateRows(selection.pack);
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({
        command: 'templates list',
        pack: selection.pack.id,
        layers: selection.pack.layers.map(layerLabel),
        templates: rows,
      })}\n`,
    );
    return 0;
  }
  process.stdout.write(`layers (bottom first): ${selection.pack.layers.map(layerLabel).join(' < ')}\n`);
  const table = rows.map((r) => [
    r.kind === 'partial' ? `${r.partial} (partial)` : r.file,
    r.winner,
    r.overrides.length > 0 ? `over ${r.overrides.join(', ')}` : '',
  ]);
  process.stdout.write(`${alignColumns(table, (s) => pc.dim(s), 60)}\n`);
  return 0;
}

/** `templates show NAME`: the winning text, after a comment line naming its origin. @returns 0. */
export async function runTemplatesShow(args: RepoArgs & { name?: string }): Promise<number> {
  const { selection } = await packOf(args);
  const file = findTemplate(selection.pack, String(args.name ?? ''));
  const { text, layer } = selection.pack.text(file)!;
  process.stderr.write(`${file} from ${layerLabel(layer)} (${path.join(layer.dir, file)})\n`);
  process.stdout.write(text);
  return 0;
}

/** `templates eject NAME`: copy it into `.dockforge/templates/`. @returns 0. */
export async function runTemplatesEject(args: RepoArgs & { name?: string; force?: boolean }): Promise<number> {
  const { root, selection } = await packOf(args);
  const done = await ejectTemplate(root, selection.pack, String(args.name ?? ''), Boolean(args.force));
  process.stdout.write(
    `ejected ${done.path} (from ${done.from}): edit it, then run dockforge generate (it wins over every pack)\n`,
  );
  return 0;
}

/** `templates new DIR`: scaffold a pack. @returns 0. */
export async function runTemplatesNew(args: { dir?: string }): Promise<number> {
  const dir = path.resolve(String(args.dir ?? ''));
  const written = await scaffoldPack(dir);
  const shown = path.relative(process.cwd(), dir);
  const arg = shown === '' ? '.' : shown.startsWith('..') ? dir : shown;
  process.stdout.write(`made ${dir}: ${written.join(', ')}\nNext: dockforge templates check ${arg}\n`);
  return 0;
}

/** `templates check DIR`: @returns 0 when the pack passes, 1 with problems (one line each). */
export async function runTemplatesCheck(args: { dir?: string; set?: string[]; trust?: boolean }): Promise<number> {
  const dir = String(args.dir ?? '');
  const { findings, cells, projectServices, pack } = await checkPack(dir, parseSets(args.set), Boolean(args.trust));
  for (const f of findings) process.stdout.write(`${f.where}: ${f.file}: ${f.message}\n`);
  if (findings.length === 0) {
    process.stdout.write(
      `${pc.green('ok')}: ${pack}: every template compiles, ${cells} cells and a project of ` +
        `${projectServices} services render and pass the checks\n`,
    );
    return 0;
  }
  process.stdout.write(`${pc.red('problems')}: ${findings.length} in ${pack} (${cells} cells rendered)\n`);
  return 1;
}
