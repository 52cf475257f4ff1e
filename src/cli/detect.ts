/**
 * `dockforge detect`: what detection finds in a repository, with evidence and confidence, and
 * the answers `init --yes` would take from it. Writes nothing. `--json` prints one object:
 *
 * ```
 * { "command": "detect", "root": "/abs/path", "language": "go" | null, "exitCode": 0 | 2,
 *   "answers": { "<key>": { "value": …, "confidence": "certain" | "likely" | "default",
 *                           "evidence": [ { "file": "go.mod", "line": 1, "text": "module x" } ] } },
 *   "problem": "could not detect language: …",            // only when answers cannot be resolved
 *   "warnings": [ { "code": "…", "message": "…", "evidence": [ … ] } ],
 *   "notes": [ "…" ],
 *   "candidates": [ { "dir": "backend", "language": "go", "evidence": { … } } ],
 *   "project": { "services": [ { "name", "dir", "language", "database", "cache", "port", "healthPath" } ],
 *                "calls": [ { "from", "to", "env", "evidence": [ … ] } ] } }   // at a project's root
 * ```
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { allLanguages } from '../registry.js';
import { detectRun } from '../pipeline.js';
import type { Evidence } from '../vocabulary.js';
import { givenAnswers, projectRoot, single } from './args.js';
import { alignColumns, formatWarnings, shownValue } from './format.js';

/** How sure a value is: read from a manifest or declaration, inferred from code, or a default. */
export type Confidence = 'certain' | 'likely' | 'default';

/** Evidence with the text of its line (trimmed, at most 200 characters; empty for a whole file). */
interface ShownEvidence extends Evidence {
  text: string;
}

/**
 * Confidence of a detected value by its evidence: a manifest or build file (`go.mod`,
 * `package.json`, a Makefile, a lockfile — any file that is not a source file of a registered
 * language) states it: certain; source code only suggests it (a port in a listen call, a route
 * that looks like a health check): likely.
 */
function confidenceOf(evidence: readonly Evidence[]): Confidence {
  const sources = new Set(allLanguages().flatMap((l) => l.sourceExtensions));
  const fromCode = evidence.length > 0 && evidence.every((e) => sources.has(path.extname(e.file)));
  return fromCode ? 'likely' : 'certain';
}

/** The evidence with each line's text read from the repository. */
async function withText(root: string, evidence: readonly Evidence[]): Promise<ShownEvidence[]> {
  const out: ShownEvidence[] = [];
  for (const e of evidence) {
    let text = '';
    if (e.line > 0) {
      try {
        const lines = (await readFile(path.join(root, e.file), 'utf8')).split(/\r?\n/);
        text = (lines[e.line - 1] ?? '').trim().slice(0, 200);
      } catch {
        text = '';
      }
    }
    out.push({ file: e.file, line: e.line, text });
  }
  return out;
}

/**
 * Run `detect`.
 * @returns 0, or 2 when the answers cannot be resolved from detection (no language found): the
 *   report still lists what was found.
 * @throws UsageError (exit 2) for a bad `--dir` or given value.
 */
export async function runDetect(args: Record<string, unknown>): Promise<number> {
  const root = await projectRoot(single('dir', args.dir as string | undefined));
  const { detection, resolved, problem, project } = await detectRun(root, givenAnswers(args));
  const services = (project?.services ?? []).map((s) => {
    const f = s.detection.findings;
    const value = (k: string): unknown => f[k]?.value ?? null;
    return {
      name: s.name,
      dir: s.dir,
      language: value('language'),
      database: value('database') ?? 'none',
      cache: value('cache') ?? 'none',
      port: value('port'),
      healthPath: value('healthPath'),
    };
  });
  const answers: Record<string, { value: unknown; confidence: Confidence; evidence: ShownEvidence[] }> = {};
  const keys = resolved ? Object.keys(resolved.answers) : Object.keys(detection.findings);
  for (const key of keys) {
    const f = detection.findings[key];
    const origin = resolved?.origin[key];
    const value = resolved ? resolved.answers[key] : f?.value;
    if (value === undefined) continue;
    const detected = f !== undefined && (origin === undefined || origin === 'detected');
    answers[key] = {
      value,
      confidence: origin === 'flag' ? 'certain' : detected ? confidenceOf(f.evidence) : 'default',
      evidence: detected ? await withText(root, f.evidence) : [],
    };
  }
  const code = problem ? 2 : 0;
  const warnings = await Promise.all(
    detection.warnings.map(async (w) => ({
      code: w.code,
      message: w.message,
      evidence: await withText(root, w.evidence),
    })),
  );
  if (args.json) {
    const report = {
      command: 'detect',
      root,
      language: resolved?.answers.language ?? detection.findings.language?.value ?? null,
      exitCode: code,
      answers,
      ...(problem ? { problem } : {}),
      warnings,
      notes: detection.notes,
      candidates: detection.candidates ?? [],
      ...(project ? { project: { services, calls: project.calls } } : {}),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return code;
  }
  const out = process.stdout;
  out.write(`${pc.bold('dockforge detect')} ${root}\n`);
  const rows = Object.entries(answers).map(([key, a]) => [
    key,
    shownValue(a.value),
    a.confidence,
    a.evidence.map((e) => (e.line > 0 ? `${e.file}:${e.line}  ${e.text}` : e.file)).join('; '),
  ]);
  if (rows.length > 0) out.write(`${alignColumns(rows, pc.dim)}\n`);
  if (project) {
    out.write(`a project of ${services.length} services (dockforge init takes them all; --service DIR picks):\n`);
    const table = services.map((s) => [
      s.name,
      `${s.dir}/`,
      String(s.language),
      [s.database, s.cache].filter((x) => x !== 'none').join('+') || '-',
      s.port === null ? '' : `port ${s.port}`,
      s.healthPath === null ? '' : String(s.healthPath),
    ]);
    out.write(`${alignColumns(table)}\n`);
    for (const c of project.calls) {
      out.write(
        `  ${c.from} → ${c.to} (${c.env})${pc.dim(`  ${c.evidence.map((e) => `${e.file}:${e.line}`).join(', ')}`)}\n`,
      );
    }
  }
  for (const note of detection.notes) out.write(`${pc.yellow('note')}: ${note}\n`);
  out.write(formatWarnings(detection));
  if (problem) process.stderr.write(`dockforge: ${problem}\n`);
  return code;
}
