/**
 * The one data flow every command shares: detect → answers → plan → render → write.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import type { Resolved } from '../answers/resolve.js';
import type { AnswerKey } from '../answers/schema.js';
import { UsageError, fieldSpec } from '../answers/schema.js';
import type { Detection } from '../detect/index.js';
import { formatEvidence } from '../detect/index.js';
import type { Plan } from '../render/plan.js';
import { renderPlan } from '../render/plan.js';
import { resolvePack } from '../templates/pack.js';
import type { ApplyResult, Change } from '../write/apply.js';

/**
 * Resolve `--dir` to an absolute, existing directory.
 * @throws UsageError when it does not exist or is not a directory.
 */
export async function projectRoot(dir: string | undefined): Promise<string> {
  const root = path.resolve(dir ?? '.');
  let stat;
  try {
    stat = await fs.stat(root);
  } catch {
    throw new UsageError(`invalid dir ${JSON.stringify(dir)}: expected an existing directory`);
  }
  if (!stat.isDirectory()) throw new UsageError(`invalid dir ${JSON.stringify(dir)}: expected a directory`);
  return root;
}

/**
 * Parse repeated `--set key=value` into raw answer values.
 * @throws UsageError for an item without `=` or an unknown key (names the allowed keys).
 */
export function parseSets(sets: string[] | undefined): Partial<Record<AnswerKey, string>> {
  const out: Partial<Record<AnswerKey, string>> = {};
  for (const item of sets ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --set ${JSON.stringify(item)}: expected key=value`);
    const key = item.slice(0, eq).trim();
    if (!fieldSpec(key)) {
      // parseField raises the standard "unknown answer" message listing every key
      throw new UsageError(`invalid --set ${JSON.stringify(item)}: unknown answer "${key}"`);
    }
    out[key as AnswerKey] = item.slice(eq + 1);
  }
  return out;
}

/** Render the plan for resolved answers with the built-in pack. */
export async function plan(resolved: Resolved, version: string): Promise<Plan> {
  const pack = await resolvePack();
  return renderPlan(resolved.answers, pack, version);
}

const ACTION_COLOR: Partial<Record<Change['action'], (s: string) => string>> = {
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
    const origin = resolved.origin[key as AnswerKey];
    if (!origin) continue;
    const f = detection.findings[key as AnswerKey];
    const from = origin === 'detected' && f ? `detected (${formatEvidence(f.evidence)})` : origin;
    lines.push(`  ${key.padEnd(16)}${String(value).padEnd(18)}${pc.dim(from)}`);
  }
  return lines.join('\n');
}

/** Summary of what was written (or would be), one line per file. */
export function formatChanges(result: ApplyResult, root: string, dryRun: boolean): string {
  const shown = result.changes.filter((c) => c.action !== 'unchanged');
  const unchanged = result.changes.length - shown.length;
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
