/**
 * Human output of the commands: the answers with their origin, and the changes of a run.
 */
import pc from 'picocolors';
import type { Resolved } from '../answers/resolve.js';
import type { Action, Plan } from '../plan/reconcile.js';
import type { Detection } from '../vocabulary.js';
import { formatEvidence } from '../vocabulary.js';

const ACTION_COLOR: Partial<Record<Action, (s: string) => string>> = {
  created: pc.green,
  updated: pc.green,
  merged: pc.cyan,
  secret: pc.green,
  conflict: pc.red,
  rejected: pc.red,
  forced: pc.yellow,
  orphaned: pc.yellow,
  ejected: pc.yellow,
  deleted: pc.yellow,
};

/** The answers with where each came from, as aligned lines. */
export function formatAnswers(resolved: Resolved, detection: Detection): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(resolved.answers)) {
    const origin = resolved.origin[key];
    if (!origin) continue;
    const f = detection.findings[key];
    const from = origin === 'detected' && f ? `detected (${formatEvidence(f.evidence)})` : origin;
    lines.push(`  ${key.padEnd(16)}${String(value).padEnd(18)}  ${pc.dim(from)}`);
  }
  return lines.join('\n');
}

/** Summary of what was written (or would be), one line per file. */
export function formatChanges(plan: Plan, root: string, dryRun: boolean): string {
  const shown = plan.changes.filter((c) => c.action !== 'unchanged');
  const unchanged = plan.changes.length - shown.length;
  const head = dryRun ? 'Would change' : 'Wrote';
  const lines = [`${head} in ${root}:`];
  for (const c of shown) {
    const color = ACTION_COLOR[c.action] ?? ((s: string) => s);
    lines.push(`  ${color(c.action.padEnd(10))}${c.path}${c.detail ? pc.dim(`  (${c.detail})`) : ''}`);
  }
  if (shown.length === 0) lines.push('  nothing: every file is up to date');
  if (unchanged > 0) lines.push(pc.dim(`  ${unchanged} file(s) unchanged`));
  return lines.join('\n');
}

/** Warnings, one line each with their evidence, as printed in the summaries. */
export function formatWarnings(detection: Detection): string {
  return detection.warnings
    .map((w) => {
      const where = w.evidence.length > 0 ? pc.dim(`  (${formatEvidence(w.evidence)})`) : '';
      return `${pc.yellow('warning')}: ${w.message}${where}\n`;
    })
    .join('');
}

/** The message printed when conflicts of an earlier run block a run. */
export function pendingMessage(pending: string[]): string {
  return `dockforge: resolve the conflicts first (markers or .rej files remain): ${pending.join(', ')}\n`;
}
