/**
 * `dockforge status`: the CI gate. Exit 0 when `generate` would change nothing; exit 1 for real
 * drift (answers or templates would change a file, a managed file is missing), conflicts left
 * unresolved, or answers/record that would be rewritten. Edits the merge keeps, ejected files and
 * absent git-ignored secrets are listed as information. Writes nothing.
 */
import { projectStatus } from '../plan/status.js';
import type { ProjectStatus } from '../plan/status.js';
import { RECORD_PATH } from '../plan/record.js';
import { runPipeline } from '../pipeline.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import { projectRoot, single } from './args.js';

/** The human text of a status: drift first, then information. */
function formatStatus(s: ProjectStatus): string {
  const line = (f: { state: string; path: string; detail: string }): string =>
    `  ${f.state.padEnd(14)} ${f.path}  (${f.detail})`;
  const rewritten = [s.metadata.answers && ANSWERS_PATH, s.metadata.record && RECORD_PATH].filter((p): p is string =>
    Boolean(p),
  );
  const drift = [
    ...s.files.filter((f) => f.drift),
    ...rewritten.map((path) => ({ state: 'drifted', path, detail: 'generate would rewrite it' })),
  ].map(line);
  const info = s.files.filter((f) => !f.drift).map(line);
  const head = s.upToDate
    ? 'up to date: generate would change nothing\n'
    : `not up to date: generate would change these files:\n${drift.join('\n')}\n`;
  return head + (info.length > 0 ? `information (not drift):\n${info.join('\n')}\n` : '');
}

/**
 * Run `status`.
 * @param args `json`: print {@link ProjectStatus} plus `exitCode` as one JSON object on stdout.
 * @returns 0 when up to date, 1 otherwise.
 * @throws UsageError (exit 2) when there are no saved answers.
 */
export async function runStatus(args: { dir?: string; json?: boolean }, version: string): Promise<number> {
  const root = await projectRoot(single('dir', args.dir));
  const { plan, pending, record } = await runPipeline({ command: 'status', root, version, given: {}, write: false });
  const status = projectStatus(plan!, pending, record);
  const code = status.upToDate ? 0 : 1;
  if (args.json) process.stdout.write(`${JSON.stringify({ command: 'status', root, exitCode: code, ...status })}\n`);
  else process.stdout.write(formatStatus(status));
  return code;
}
