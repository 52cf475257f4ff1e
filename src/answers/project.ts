/**
 * The answers of a multi-service project, in the same `.dockforge/answers.yaml`:
 *
 * ```yaml
 * project: shop
 * services:
 *   api:                 # the service's name: compose service, k8s/api/, object names
 *     dir: api           # its folder (the build context)
 *     calls: ''          # the services it calls, NAME=VARIABLE pairs (web: `api=VITE_API_URL`)
 *     language: go       # then every answer of a single service, `name` excepted
 *     ...
 * ```
 *
 * Each service's answers are validated by the same field table as a single service's.
 */
import { UsageError, clip, quote } from '../errors.js';
import type { Answers, ProjectAnswers, ProjectService } from '../vocabulary.js';
import { DNS1123_LABEL, RELATIVE_PATH } from '../vocabulary.js';
import { validateAnswers } from './fields.js';

/** The keys of a service's section that are the project's, not the service's own answers. */
export const PROJECT_SERVICE_KEYS = ['dir', 'calls'] as const;

/** `api=API_URL,auth=` (the variable may be empty: a call whose address the code does not read). */
const CALLS = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?=([A-Za-z_]\w*)?(,[a-z0-9]([-a-z0-9]*[a-z0-9])?=([A-Za-z_]\w*)?)*$/;

/** `calls` text → list. */
export function parseCalls(text: string): { to: string; env: string }[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [to, env] = pair.split('=') as [string, string];
      return { to, env: env ?? '' };
    });
}

/** `calls` list → text (`api=API_URL,auth=`). */
export function formatCalls(calls: readonly { to: string; env: string }[]): string {
  return calls.map((c) => `${c.to}=${c.env}`).join(',');
}

/**
 * Validate one service's `dir` and `calls` values.
 * @throws UsageError naming the service and field, with the allowed values.
 */
export function parseServiceKey(service: string, key: string, value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  if (key === 'dir') {
    const dir = text.replace(/\/+$/, '');
    if (dir !== '.' && !RELATIVE_PATH.test(dir)) {
      throw new UsageError(
        `invalid answer services.${service}.dir ${quote(clip(text))}: expected a folder relative to the project root`,
      );
    }
    return dir;
  }
  if (!CALLS.test(text)) {
    throw new UsageError(
      `invalid answer services.${service}.calls ${quote(clip(text))}: expected SERVICE=VARIABLE pairs ` +
        'separated by commas (the variable may be empty), or nothing',
    );
  }
  return text;
}

/**
 * Validate a project answers value (`project`, `services`), as parsed from YAML or assembled by
 * `init`.
 * @throws UsageError naming the first invalid field (`services.api.port`), a call to a service
 *   that is not in the project, two services in one folder, or a service named like another.
 */
export function validateProject(raw: Record<string, unknown>): ProjectAnswers {
  const project = String(raw.project ?? '');
  if (!DNS1123_LABEL.test(project)) {
    throw new UsageError(
      `invalid answer project ${quote(clip(project))}: expected a DNS-1123 label (lowercase letters, digits, -)`,
    );
  }
  const sections = raw.services;
  if (typeof sections !== 'object' || sections === null || Array.isArray(sections) || !Object.keys(sections).length) {
    throw new UsageError('invalid answer services: expected a mapping of service names to their answers');
  }
  const services: ProjectService[] = [];
  for (const [name, section] of Object.entries(sections as Record<string, unknown>)) {
    if (!DNS1123_LABEL.test(name)) {
      throw new UsageError(
        `invalid service name ${quote(clip(name))}: expected a DNS-1123 label (lowercase, digits, -)`,
      );
    }
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      throw new UsageError(`invalid answer services.${name}: expected a mapping of answers`);
    }
    const { dir, calls, name: _, ...own } = section as Record<string, unknown>;
    let answers: Answers;
    try {
      answers = validateAnswers({ ...own, name });
    } catch (e) {
      throw new UsageError(`services.${name}: ${(e as Error).message}`);
    }
    services.push({
      name,
      dir: parseServiceKey(name, 'dir', dir ?? name),
      calls: parseCalls(parseServiceKey(name, 'calls', calls)),
      answers,
    });
  }
  checkProject({ project, services });
  return { project, services };
}

/**
 * Cross-service checks: calls name other services of the project, no two services share a
 * folder.
 * @throws UsageError naming the service.
 */
export function checkProject(p: ProjectAnswers): void {
  const names = new Set(p.services.map((s) => s.name));
  const dirs = new Map<string, string>();
  for (const s of p.services) {
    const other = dirs.get(s.dir);
    if (other) throw new UsageError(`services ${other} and ${s.name} are both in ${s.dir}: one service per folder`);
    dirs.set(s.dir, s.name);
    for (const c of s.calls) {
      if (c.to === s.name || !names.has(c.to)) {
        const allowed = [...names].filter((n) => n !== s.name).join(', ') || 'none';
        throw new UsageError(
          `invalid answer services.${s.name}.calls: ${quote(c.to)} is not another service (${allowed})`,
        );
      }
    }
  }
}
