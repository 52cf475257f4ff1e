/**
 * `dockforge status`: exit 0 when the files on disk equal what the saved answers generate now;
 * exit 1 with the drifted, conflicted or missing files otherwise. For CI.
 */
import { ANSWERS_PATH, readAnswers } from '../answers/file.js';
import { resolveAnswers } from '../answers/resolve.js';
import { UsageError } from '../answers/schema.js';
import { applyPlan, unresolvedConflicts } from '../write/apply.js';
import { readManifest } from '../write/manifest.js';
import { plan, projectRoot } from './pipeline.js';

/**
 * Run `status`. Writes nothing.
 * @returns 0 when up to date, 1 otherwise.
 * @throws UsageError (exit 2) when there are no saved answers.
 */
export async function runStatus(args: { dir?: string }, version: string): Promise<number> {
  const root = await projectRoot(args.dir);
  const saved = await readAnswers(root);
  if (!saved) throw new UsageError(`no ${ANSWERS_PATH} in ${root}: run dockforge init first`);
  const manifest = await readManifest(root);
  const conflicted = new Set(await unresolvedConflicts(root, manifest));
  const resolved = await resolveAnswers({ given: {}, saved: saved.answers, detection: { findings: {}, notes: [] }, mode: 'yes' });
  const p = await plan(resolved, version);
  const result = await applyPlan(root, p, { dryRun: true });
  const lines: string[] = [];
  for (const c of conflicted) lines.push(`  conflicted  ${c}`);
  for (const c of result.changes) {
    if (conflicted.has(c.path)) continue;
    if (c.action === 'ejected') lines.push(`  missing     ${c.path}  (deleted by you; not recreated)`);
    else if (c.action === 'created' || c.action === 'secret') lines.push(`  missing     ${c.path}`);
    else if (c.action === 'kept') lines.push(`  edited      ${c.path}`);
    else if (c.action !== 'unchanged' && c.action !== 'gitignore') lines.push(`  drifted     ${c.path}  (generate would: ${c.action})`);
  }
  if (lines.length === 0) {
    process.stdout.write('up to date: every file equals what the answers generate\n');
    return 0;
  }
  process.stdout.write(`not up to date:\n${lines.join('\n')}\n`);
  return 1;
}
