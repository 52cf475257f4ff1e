/**
 * Detection of a multi-service project: a root that is not a service itself, whose services
 * live in sub-folders (`web/`, `api/`, `services/*`). Each folder is detected as a repository of
 * its own (language, port, health path, database, cache, the environment it reads); the calls
 * between them are read from the environment names each one reads to find another
 * (`API_URL`, `VITE_API_URL`, `USERS_SERVICE_ADDR`), with the read's `file:line` as evidence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { runsInBrowser } from '../registry.js';
import type { Detection, Evidence, ServiceCall } from '../vocabulary.js';
import { RELATIVE_PATH } from '../vocabulary.js';
import { detect } from './index.js';
import { toLabel } from './repo.js';

/** One detected service folder. */
export interface DetectedService {
  /** DNS-1123 label from the folder's name (`services/api` → `api`; `services-api` when two share a name). */
  name: string;
  /** The folder, relative to the root, `/`-separated. */
  dir: string;
  detection: Detection;
}

/** What {@link detectProject} returns. */
export interface ProjectDetection {
  services: DetectedService[];
  /** Calls between the services, in service order. */
  calls: ServiceCall[];
}

/**
 * Words that end a variable holding another service's address (`API_URL`, `AUTH_HOST`,
 * `USERS_SERVICE_ADDR`, `API_BASE_URL`).
 */
const ADDRESS_WORDS = new Set(['URL', 'URI', 'HOST', 'HOSTNAME', 'ADDR', 'ADDRESS', 'ENDPOINT', 'ORIGIN', 'BASE']);
/** Words a frontend framework puts before the variables it exposes to the browser (Vite, CRA, Next.js, Vue CLI). */
const FRAMEWORK_PREFIXES = new Set(['VITE', 'REACT', 'NEXT', 'PUBLIC', 'VUE', 'APP', 'NUXT', 'GATSBY']);
/** Words that name a role rather than a service (`USERS_SERVICE_URL` calls `users`; `API_URL` calls the API). */
const ROLE_WORDS = new Set(['service', 'svc', 'api', 'server', 'backend', 'srv']);

/** `users-service` → `users`; `auth-api` → `auth`; `api` stays `api`. */
function stem(name: string): string {
  const parts = name.split('-');
  while (parts.length > 1 && ROLE_WORDS.has(parts[parts.length - 1]!)) parts.pop();
  return parts.join('-');
}

/**
 * The service a variable name points at, among `others` (name → true when it runs in a browser:
 * a static site), or undefined. `USERS_SERVICE_URL` points at `users` or `users-service`,
 * `ORDERS_API_URL` at a service named `api` (its name ends the words);
 * `API_URL`, `VITE_API_URL`, `BACKEND_URL`, `ORDERS_API_URL` (a role word last) at the one
 * server-side service when there is exactly one other.
 */
export function callTarget(variable: string, caller: string, others: ReadonlyMap<string, boolean>): string | undefined {
  const words = variable.split('_').filter(Boolean);
  let start = 0;
  while (start < words.length - 1 && FRAMEWORK_PREFIXES.has(words[start]!)) start++;
  let end = words.length;
  while (end > start && ADDRESS_WORDS.has(words[end - 1]!)) end--;
  if (end === words.length || end === start) return undefined;
  const core = words.slice(start, end).join('-').toLowerCase();
  const candidates = [...others.keys()].filter((n) => n !== caller);
  const named = candidates.filter((n) => n === core || stem(n) === stem(core));
  if (named.length === 1) return named[0];
  // `ORDERS_API_URL` with a service named `api`: the name ends the variable's words
  const suffixed = candidates.filter((n) => core.endsWith(`-${n}`));
  if (suffixed.length === 1) return suffixed[0];
  // `API_URL`, `BACKEND_URL`, `ORDERS_API_URL`: the API, when the project has one server to call
  if (ROLE_WORDS.has(core.split('-').pop()!)) {
    const servers = candidates.filter((n) => !others.get(n));
    if (servers.length === 1) return servers[0];
  }
  return undefined;
}

/**
 * Detect the services of the project at `root`.
 * @param dirs the service folders to take (`--service DIR`, relative to root); default: every
 *   sub-folder (two levels deep) that a registered language identifies.
 * @returns the services (at least one) and the calls between them.
 * @throws UsageError when a given folder is not inside the root or has no detectable stack, or
 *   when no service folder is found.
 */
export async function detectProject(root: string, dirs?: readonly string[]): Promise<ProjectDetection> {
  let folders: string[];
  if (dirs && dirs.length > 0) {
    folders = [];
    for (const raw of dirs) {
      const dir = raw.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
      if (!RELATIVE_PATH.test(dir) || !fs.statSync(path.join(root, dir), { throwIfNoEntry: false })?.isDirectory()) {
        throw new UsageError(`invalid --service ${JSON.stringify(raw)}: expected a folder inside the project root`);
      }
      if (!folders.includes(dir)) folders.push(dir);
    }
  } else {
    const top = await detect(root);
    folders = (top.candidates ?? []).map((c) => c.dir);
    if (folders.length === 0) throw new UsageError(`no service folders found under ${root}`);
  }
  const services: DetectedService[] = [];
  for (const dir of folders) {
    const detection = await detect(path.join(root, dir));
    if (!detection.findings.language) {
      throw new UsageError(`invalid --service ${dir}: no language found there (expected go.mod, package.json, …)`);
    }
    let name = toLabel(path.posix.basename(dir)) ?? 'service';
    if (services.some((s) => s.name === name)) name = toLabel(dir.replaceAll('/', '-')) ?? name;
    services.push({ name, dir, detection });
  }
  return { services, calls: findCalls(services) };
}

/** A detected service runs in a browser when its language has no server process (a static site). */
function isBrowser(s: DetectedService): boolean {
  return runsInBrowser(String(s.detection.findings.language?.value ?? ''));
}

/** The calls between `services`, from the environment names each reads (one per caller and callee). */
export function findCalls(services: readonly DetectedService[]): ServiceCall[] {
  const kinds = new Map(services.map((s) => [s.name, isBrowser(s)]));
  const calls: ServiceCall[] = [];
  for (const s of services) {
    for (const read of s.detection.envReads) {
      const to = callTarget(read.name, s.name, kinds);
      if (!to) continue;
      const evidence: Evidence = { file: `${s.dir}/${read.evidence.file}`, line: read.evidence.line };
      const known = calls.find((c) => c.from === s.name && c.to === to);
      if (known) {
        if (!known.evidence.some((e) => e.file === evidence.file && e.line === evidence.line))
          known.evidence.push(evidence);
        continue;
      }
      calls.push({ from: s.name, to, env: read.name, evidence: [evidence] });
    }
  }
  return calls;
}
