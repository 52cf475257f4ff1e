/**
 * `dockforge status`: exit 0 when the files on disk equal what the saved answers generate now;
 * exit 1 with the drifted, conflicted or missing files otherwise. For CI. Writes nothing.
 */
import { runPipeline } from '../pipeline.js';
import { projectRoot } from './args.js';

/**
 * Run `status`: the pipeline's plan, printed.
 * @returns 0 when up to date, 1 otherwise.
 * @throws UsageError (exit 2) when there are no saved answers.
 */
export async function runStatus(args: { dir?: string }, version: string): Promise<number> {
  const root = await projectRoot(args.dir);
  const { plan, pending } = await runPipeline({ command: 'status', root, version, given: {}, write: false });
  const conflicted = new Set(pending);
  const lines: string[] = [];
  for (const c of conflicted) lines.push(`  conflicted  ${c}`);
  for (const c of plan!.changes) {
    if (conflicted.has(c.path)) continue;
    if (c.action === 'ejected') lines.push(`  missing     ${c.path}  (deleted by you; not recreated)`);
    else if (c.action === 'created' || c.action === 'secret') lines.push(`  missing     ${c.path}`);
    else if (c.action === 'kept') lines.push(`  edited      ${c.path}`);
    else if (c.action !== 'unchanged' && c.action !== 'gitignore') {
      lines.push(`  drifted     ${c.path}  (generate would: ${c.action})`);
    }
  }
  if (lines.length === 0) {
    process.stdout.write('up to date: every file equals what the answers generate\n');
    return 0;
  }
  process.stdout.write(`not up to date:\n${lines.join('\n')}\n`);
  return 1;
}
