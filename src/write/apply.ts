/**
 * Carry out a plan: every change atomically (temporary file, fsync, rename), deletions, then
 * the record of generated files and the answers last — so an interrupted run leaves the old
 * record and can simply be run again. Decides nothing: the plan did.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { confinedPath } from '../plan/disk.js';
import type { Plan } from '../plan/reconcile.js';
import { writes } from '../plan/reconcile.js';
import { RECORD_PATH } from '../plan/record.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import { atomicWrite } from './fs.js';

/** Random secret value: 24 bytes, base64url (192 bits; safe in env files and URLs). */
function secretValue(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Write every change of `plan` under `root`.
 * @throws UsageError for a path outside the project; I/O errors as they come (files already
 *   renamed stay; the record is written only after all of them).
 */
export async function execute(root: string, plan: Plan): Promise<void> {
  for (const c of plan.changes.filter(writes)) {
    const abs = await confinedPath(root, c.path);
    if (c.action === 'deleted') await fs.rm(abs, { force: true });
    else if (c.action === 'secret' && c.content === undefined) {
      const value = secretValue();
      const lines = [
        ...c.keys!.map((k) => `${k}=${value}`),
        ...(c.derived ?? []).map((d) => `${d.key}=${d.value.split('${secret}').join(value)}`),
      ];
      await atomicWrite(abs, `${lines.join('\n')}\n`, 0o600);
    } else await atomicWrite(abs, c.content!, c.action === 'secret' ? 0o600 : 0o644);
  }
  if (plan.metaChanged) {
    await atomicWrite(await confinedPath(root, RECORD_PATH), plan.recordText);
    await atomicWrite(await confinedPath(root, ANSWERS_PATH), plan.answersText);
  }
}
