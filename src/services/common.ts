/**
 * What the backing-service modules share: the `NAME=role` answers that map the variables the
 * code reads to what each holds (`postgresEnv`, `redisEnv`), and the scan for a hard-coded local
 * address of the service in the sources.
 */
import type { Repo } from '../detect/repo.js';
import { isTestFile } from '../detect/repo.js';
import type { Detection, Evidence, Warning } from '../vocabulary.js';
import { addWarning } from '../vocabulary.js';

/** A `NAME=role` answer's text as pairs: `DB_HOST=host,DB_PASS=password` → [{name, role}]. */
export function parseRoleEnv<R extends string>(text: string): { name: string; role: R }[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [name, role] = p.split('=') as [string, R];
      return { name, role };
    });
}

/**
 * The pattern of a `NAME=role` answer: empty, or `NAME=role` pairs separated by commas, each
 * role one of `roles`.
 */
export function roleEnvPattern(roles: readonly string[]): RegExp {
  const pair = `[A-Za-z_][A-Za-z0-9_]*=(${roles.join('|')})`;
  return new RegExp(`^$|^${pair}(,${pair})*$`);
}

/**
 * Set finding `key` to the `NAME=role` pairs of the variables the code reads that `roleOf`
 * names (the first read of each; `standard` ones, which are always set, left out), with the
 * reads as evidence. Nothing when there is none.
 */
export function detectRoleEnv(
  d: Detection,
  key: string,
  standard: ReadonlySet<string>,
  roleOf: (name: string) => string | undefined,
): void {
  const pairs = new Map<string, string>();
  const evidence: Evidence[] = [];
  for (const read of d.envReads) {
    if (standard.has(read.name) || pairs.has(read.name)) continue;
    const role = roleOf(read.name);
    if (!role) continue;
    pairs.set(read.name, role);
    evidence.push(read.evidence);
  }
  if (pairs.size > 0) d.findings[key] = { value: [...pairs].map(([n, r]) => `${n}=${r}`).join(','), evidence };
}

/**
 * Warn once per source line (tests and comment lines left out) that matches `address`, a
 * hard-coded local address of the service, unless `excused(file, lineIndex, lines)` says the
 * line is fine.
 */
export async function warnHardCodedAddress(
  repo: Repo,
  d: Detection,
  address: RegExp,
  warning: Omit<Warning, 'evidence'>,
  excused: (file: string, index: number, lines: readonly string[]) => boolean = () => false,
): Promise<void> {
  for (const file of repo.sources.filter((s) => !isTestFile(s))) {
    const t = await repo.read(file);
    t?.lines.forEach((line, i) => {
      if (!address.test(line) || /^\s*(\/\/|#|\*|\/\*)/.test(line) || excused(file, i, t.lines)) return;
      addWarning(d, { ...warning, evidence: [{ file, line: i + 1 }] });
    });
  }
}
