/**
 * Human output of the commands: the answers with their origin, and the changes of a run.
 */
import pc from 'picocolors';
import type { Resolved } from '../answers/resolve.js';
import type { Action, Plan } from '../plan/reconcile.js';
import type { PipelineResult } from '../pipeline.js';
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

/**
 * The answers with where each came from, as aligned columns: key, value, origin. Each column is
 * as wide as its longest entry (values over 40 characters push only their own origin) plus two
 * spaces, so no two columns ever touch.
 */
export function formatAnswers(resolved: Resolved, detection: Detection): string {
  const rows: [string, string, string][] = [];
  for (const [key, value] of Object.entries(resolved.answers)) {
    const origin = resolved.origin[key];
    if (!origin) continue;
    const f = detection.findings[key];
    const from = origin === 'detected' && f ? `detected (${formatEvidence(f.evidence)})` : origin;
    rows.push([key, String(value) === '' ? '""' : String(value), from]);
  }
  const keyWidth = Math.max(0, ...rows.map((r) => r[0].length)) + 2;
  const valueWidth = Math.min(40, Math.max(0, ...rows.map((r) => r[1].length))) + 2;
  return rows
    .map(([key, value, from]) => `  ${key.padEnd(keyWidth)}${value.padEnd(valueWidth - 2)}  ${pc.dim(from)}`)
    .join('\n');
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

/**
 * The `--json` object of `init` and `generate`, one line:
 *
 * ```
 * { "command": "init" | "generate", "root": "/abs", "exitCode": 0 | 1, "dryRun": bool,
 *   "answers": { "<key>": value }, "origin": { "<key>": "flag" | "saved" | "detected" | "default" | "asked" },
 *   "changes": [ { "path": "Dockerfile", "action": "created" | "updated" | "merged" | …, "detail"?: "…" } ],
 *   "conflicts": [ "<path>" ], "pending": [ "<path>" ],
 *   "warnings": [ { "code": "…", "message": "…", "evidence": [ { "file": "…", "line": 3 } ] } ],
 *   "notes": [ "…" ] }
 * ```
 */
export function runJson(r: {
  command: 'init' | 'generate';
  root: string;
  exitCode: number;
  dryRun: boolean;
  result: PipelineResult;
}): string {
  const { plan, resolved, detection, pending } = r.result;
  return `${JSON.stringify({
    command: r.command,
    root: r.root,
    exitCode: r.exitCode,
    dryRun: r.dryRun,
    answers: resolved?.answers ?? {},
    origin: resolved?.origin ?? {},
    changes: (plan?.changes ?? []).map((c) => ({
      path: c.path,
      action: c.action,
      ...(c.detail ? { detail: c.detail } : {}),
    })),
    conflicts: plan?.conflicts ?? [],
    pending,
    warnings: detection.warnings.map((w) => ({ code: w.code, message: w.message, evidence: w.evidence })),
    notes: detection.notes,
  })}\n`;
}
