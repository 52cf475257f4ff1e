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

/** An answer value as printed in a column: the empty string as `""`, so the column never looks skipped. */
export function shownValue(value: unknown): string {
  return String(value) === '' ? '""' : String(value);
}

/**
 * Rows as aligned, indented lines: every column but the last is as wide as its longest entry (at
 * most `cap` characters: a longer one pushes only its own row) plus two spaces, so no two columns
 * ever touch; `last` styles the last column (e.g. dimmed evidence).
 */
export function alignColumns(rows: string[][], last: (s: string) => string = (s) => s, cap = 40): string {
  const widths = Array.from({ length: Math.max(0, ...rows.map((r) => r.length - 1)) }, (_, i) =>
    Math.min(cap, Math.max(0, ...rows.map((r) => (i < r.length - 1 ? r[i]!.length : 0)))),
  );
  return rows
    .map(
      (r) =>
        `  ${r
          .slice(0, -1)
          .map((c, i) => `${c.padEnd(widths[i]!)}  `)
          .join('')}${last(r[r.length - 1] ?? '')}`,
    )
    .join('\n');
}

/** The answers with where each came from, as aligned columns (see {@link alignColumns}): key, value, origin. */
export function formatAnswers(resolved: Resolved, detection: Detection): string {
  const rows: string[][] = [];
  for (const [key, value] of Object.entries(resolved.answers)) {
    const origin = resolved.origin[key];
    if (!origin) continue;
    const f = detection.findings[key];
    rows.push([
      key,
      shownValue(value),
      origin === 'detected' && f ? `detected (${formatEvidence(f.evidence)})` : origin,
    ]);
  }
  return alignColumns(rows, pc.dim);
}

/**
 * A project's summary: one line per service (folder, language, database, cache, base, user,
 * port) and the calls between them.
 */
export function formatProject(result: PipelineResult, version?: string): string {
  const p = result.project!;
  const lines: string[] = [];
  if (version) lines.push(`${pc.bold('dockforge')} ${version}: project ${p.project}, ${p.services.length} services`);
  const rows = p.services.map((s) => {
    const a = s.answers;
    const backing = [a.database, a.cache].filter((x) => x !== undefined && x !== 'none').join('+') || '-';
    const calls = s.calls.map((c) => `→ ${c.to}${c.env ? ` (${c.env})` : ''}`).join(', ');
    return [
      s.name,
      `${s.dir}/`,
      String(a.language),
      backing,
      `${a.base}`,
      `user ${a.uid}:${a.gid}`,
      `port ${a.port}`,
      calls,
    ];
  });
  lines.push(alignColumns(rows, pc.dim));
  return `${lines.join('\n')}\n`;
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

/**
 * The pack line of a run's summary: the pack id, the pinned source, and each pinned pack whose
 * version changed (`--pack`, `--update-pack`: `acme-platform 1.0.0 → 1.1.0`); '' for the
 * built-in pack alone and no change.
 */
export function formatPack(result: PipelineResult): string {
  const pack = result.rendered?.pack ?? '';
  const pins = result.rendered ? (result.resolvedPins ?? []) : [];
  const lines: string[] = [];
  if (pins.length > 0) lines.push(`pack: ${pack} (from ${pins[0]!.source}, ${pins[0]!.integrity.slice(0, 20)}…)`);
  for (const c of result.packChanges ?? []) {
    lines.push(`${pc.yellow('pack')}: ${c.from ?? 'none'} → ${c.to ?? 'none'}`);
  }
  return lines.map((l) => `${l}\n`).join('');
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
 *   "notes": [ "…" ],
 *   "pack": "<id>", "packs": [ { "source", "kind", "name", "version", "integrity" } ],
 *   "packChanges": [ { "from": "name@version", "to": "name@version" } ],
 *   "project": { "name", "services": [ { "name", "dir", "calls": [ { "to", "env" } ], "answers", "origin" } ] } }
 *   // a project of several services: "answers"/"origin" above are then its first service's
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
    pack: r.result.rendered?.pack,
    packs: r.result.resolvedPins ?? [],
    packChanges: r.result.packChanges ?? [],
    ...(r.result.project
      ? {
          project: {
            name: r.result.project.project,
            services: r.result.project.services.map((s) => ({
              name: s.name,
              dir: s.dir,
              calls: s.calls,
              answers: s.answers,
              origin: r.result.projectResolved?.get(s.name)?.origin ?? {},
            })),
          },
        }
      : {}),
  })}\n`;
}
