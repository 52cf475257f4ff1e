/**
 * Carry out a plan. Decides nothing: the plan did. In order:
 * 1. every path the run writes is checked with {@link confinedPath}, and every secret file is
 *    checked to be git-ignored once `.gitignore` is updated ({@link assertSecretsIgnored}) —
 *    a refusal writes nothing;
 * 2. the journal (`.dockforge/journal.json`) is made durable;
 * 3. when the plan writes secrets, `.gitignore` first, alone (so a secret, even its temporary
 *    file, is never on disk unignored);
 * 4. every other file in one batch: all temporary files written and fsynced at once, then
 *    renamed in plan order, then the deletions, then the record of generated files and the
 *    answers renamed last; then each folder written in is fsynced once, and the journal removed.
 * An interrupted run leaves the journal; the next run completes it (see `journal.ts`), whatever
 * subset of the batch was renamed. One fsync wait per batch instead of one per file.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type ignoreFactory from 'ignore';
import { UsageError } from '../errors.js';
import { confinedPath, readIfExists } from '../plan/disk.js';
import type { Change, Plan } from '../plan/reconcile.js';
import { writes } from '../plan/reconcile.js';
import { RECORD_PATH } from '../plan/record.js';
import { ANSWERS_PATH } from '../vocabulary.js';
import type { FileWrite } from './fs.js';
import { commitWrites, prepareWrites, syncDir, syncDirs } from './fs.js';
import { JOURNAL_PATH, journalOf, newSecretText, removeJournal, writeJournal } from './journal.js';
import { LOCK_PATH } from './lock.js';

/** The changes of `plan` that write, `.gitignore` first, otherwise in plan order. */
function ordered(plan: Plan): Change[] {
  const w = plan.changes.filter(writes);
  return [...w.filter((c) => c.path === '.gitignore'), ...w.filter((c) => c.path !== '.gitignore')];
}

/**
 * Every project-relative path carrying out `plan` touches: its changes, the record, the
 * answers, the journal and the lock.
 */
export function pathsTouched(plan: Plan): string[] {
  return [...plan.changes.filter(writes).map((c) => c.path), RECORD_PATH, ANSWERS_PATH, JOURNAL_PATH, LOCK_PATH];
}

/**
 * Write every change of `plan` under `root` (see the module comment for the order). Call it
 * under the project lock (`lock.ts`).
 * @throws UsageError (exit 2, nothing written) for a path outside the project or a secret that
 *   would not be git-ignored; I/O errors as they come (files already renamed stay, the journal
 *   stays: the next run completes this one).
 */
export async function execute(root: string, plan: Plan): Promise<void> {
  const abs = new Map<string, string>();
  for (const p of pathsTouched(plan)) abs.set(p, await confinedPath(root, p));
  await assertSecretsIgnored(root, plan);
  if (!plan.changes.some(writes) && !plan.metaChanged) return;
  const changes = ordered(plan);
  await writeJournal(root, journalOf(plan, changes));
  const toWrite = (c: Change): FileWrite => ({
    file: abs.get(c.path)!,
    content: c.action === 'secret' && c.content === undefined ? newSecretText(c.keys!, c.derived ?? []) : c.content!,
    mode: c.action === 'secret' ? 0o600 : 0o644,
  });
  let batch = changes.filter((c) => c.action !== 'deleted');
  if (changes.some((c) => c.action === 'secret') && batch[0]?.path === '.gitignore') {
    await commitWrites(await prepareWrites([toWrite(batch[0])]));
    await syncDir(root);
    batch = batch.slice(1);
  }
  const meta: FileWrite[] = plan.metaChanged
    ? [
        { file: abs.get(RECORD_PATH)!, content: plan.recordText },
        { file: abs.get(ANSWERS_PATH)!, content: plan.answersText },
      ]
    : [];
  const prepared = await prepareWrites([...batch.map(toWrite), ...meta]);
  const deleted = changes.filter((c) => c.action === 'deleted').map((c) => abs.get(c.path)!);
  try {
    await commitWrites(prepared.slice(0, batch.length));
    for (const file of deleted) await fs.rm(file, { force: true });
  } catch (e) {
    await Promise.all(prepared.slice(batch.length).map((p) => fs.rm(p.tmp, { force: true })));
    throw e;
  }
  await commitWrites(prepared.slice(batch.length));
  await syncDirs([...prepared.map((p) => p.file), ...deleted]);
  await removeJournal(root);
}

/** How one path stands against one set of rules. */
type Verdict = { state: 'ignored' | 'unignored'; where: string } | undefined;

/** `path`'s ancestors with a trailing slash, top down, then `path`: `a/`, `a/b/`, `a/b/f`. */
function candidates(rel: string): string[] {
  const parts = rel.split('/');
  return [...parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('/')}/`), rel];
}

/**
 * The verdict of the rules of one `.gitignore` (text `text`, in folder `dir`, shown as `shown`)
 * on `candidate` itself: a match through an ignored parent folder is not the candidate's own
 * (git's layering decides parents separately).
 */
function ownVerdict(
  ignore: typeof ignoreFactory,
  text: string,
  dir: string,
  candidate: string,
  shown: string,
): Verdict {
  if (dir !== '' && (!candidate.startsWith(`${dir}/`) || candidate === `${dir}/`)) return undefined;
  const rel = dir === '' ? candidate : candidate.slice(dir.length + 1);
  const ig = ignore().add(text);
  const r = ig.test(rel);
  const lines = text.split(/\r?\n/);
  const lineOf = (negative: boolean): string => {
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i]!.trim();
      if (l === '' || l.startsWith('#') || l.startsWith('!') !== negative) continue;
      if (
        ignore()
          .add(negative ? l.slice(1) : l)
          .test(rel).ignored
      )
        return `${shown}:${i + 1}: ${JSON.stringify(l)}`;
    }
    return shown;
  };
  if (r.unignored) return { state: 'unignored', where: lineOf(true) };
  if (!r.ignored) return undefined;
  const parents = candidates(rel.replace(/\/$/, '')).slice(0, -1);
  if (parents.some((p) => ig.test(p).ignored)) return undefined;
  return { state: 'ignored', where: lineOf(false) };
}

/**
 * Run git in `root`; undefined when git is absent or fails. (child_process is loaded here, when
 * a run has secrets to check: most runs never start a process.)
 */
async function git(root: string, args: string[], input?: string): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = execFile('git', args, { cwd: root, encoding: 'utf8' }, (err, stdout) => {
      // check-ignore exits 1 when nothing is ignored: its output still counts
      if (err && (typeof err.code !== 'number' || err.code > 1)) resolve(undefined);
      else resolve(stdout);
    });
    child.stdin?.on('error', () => undefined); // git may exit before reading its input
    child.stdin?.end(input ?? '');
  });
}

/**
 * Git's own verdict (`git check-ignore --no-index -v -n -z`) on each candidate, in a scratch
 * repository that mirrors the rules as they will be: the root `.gitignore` as planned, every
 * nested `.gitignore` on the path copied, the folders made (git matches a folder-only pattern
 * such as `secrets/` only against a folder that exists). The project is not touched.
 */
async function gitVerdicts(
  layers: readonly { dir: string; text: string }[],
  list: readonly string[],
): Promise<Map<string, Verdict>> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dockforge-ignore-'));
  try {
    if ((await git(scratch, ['init', '-q'])) === undefined) throw new Error('git init failed in a scratch folder');
    for (const l of layers) {
      await fs.mkdir(path.join(scratch, l.dir), { recursive: true });
      await fs.writeFile(path.join(scratch, l.dir, '.gitignore'), l.text);
    }
    const file = list[list.length - 1]!;
    await fs.mkdir(path.join(scratch, path.dirname(file)), { recursive: true });
    const asked = list.map((c) => c.replace(/\/$/, ''));
    const stdout = await git(
      scratch,
      ['check-ignore', '--no-index', '-v', '-n', '-z', '--stdin'],
      asked.join('\0') + '\0',
    );
    if (stdout === undefined) throw new Error('git check-ignore failed');
    const out = new Map<string, Verdict>();
    const f = stdout.split('\0');
    for (let i = 0; i + 3 < f.length; i += 4) {
      const [source, line, pattern, p] = [f[i]!, f[i + 1]!, f[i + 2]!, f[i + 3]!];
      const c = list[asked.indexOf(p)];
      if (pattern === '' || c === undefined || path.isAbsolute(source) || source.startsWith('..')) continue;
      const where = `${source}:${line}: ${JSON.stringify(pattern)}`;
      out.set(c, { state: pattern.startsWith('!') ? 'unignored' : 'ignored', where });
    }
    return out;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** True when `root` is inside a git work tree and git runs. */
async function inGitWorkTree(root: string): Promise<boolean> {
  return (await git(root, ['rev-parse', '--is-inside-work-tree']))?.trim() === 'true';
}

/**
 * Refuse to write a secret file that git would not ignore once the plan's `.gitignore` change
 * is made: a later `!k8s/secrets/` line, or a nested `k8s/.gitignore` with `!secrets/`, would let
 * `git add -A` stage the password.
 *
 * Rules are gitignore(5)'s: the deepest `.gitignore` on the path decides, the last matching line
 * of a file wins, and nothing inside an ignored folder can be re-included. The rules are the
 * root `.gitignore` as planned (with the lines the plan appends) and every nested `.gitignore`
 * on the secret's path (rules above the project root, `.git/info/exclude` and the global
 * excludes file rank below the root `.gitignore`, which names the secret folders). In a git
 * work tree the verdict is git's own (`git check-ignore --no-index -v` in a scratch repository
 * holding those files: the planned text is not on disk before the first write); otherwise
 * the `ignore` package evaluates them.
 * @throws UsageError (exit 2, before anything is written) naming the secret and the rule or file
 *   that un-ignores it.
 */
export async function assertSecretsIgnored(root: string, plan: Plan): Promise<void> {
  const secrets = plan.changes.filter((c) => c.action === 'secret').map((c) => c.path);
  if (secrets.length === 0) return;
  const gi = plan.changes.find((c) => c.action === 'gitignore' && c.path === '.gitignore');
  const diskRoot = (await readIfExists(await confinedPath(root, '.gitignore'))) ?? '';
  const plannedRoot = gi?.content ?? diskRoot;
  const useGit = await inGitWorkTree(root);
  for (const secret of secrets) {
    const list = candidates(secret);
    // the .gitignore files on the path as they will be, deepest first
    const layers: { dir: string; text: string; shown: string }[] = [];
    for (const dir of ['', ...list.slice(0, -1).map((d) => d.slice(0, -1))]) {
      const rel = dir === '' ? '.gitignore' : `${dir}/.gitignore`;
      const text = dir === '' ? plannedRoot : await readIfExists(await confinedPath(root, rel));
      if (text !== undefined) layers.unshift({ dir, text, shown: rel });
    }
    let verdicts = new Map<string, Verdict>();
    if (useGit) verdicts = await gitVerdicts(layers, list);
    else {
      // the gitignore-semantics library is loaded only here, outside a git work tree
      const { default: ignore } = await import('ignore');
      for (const c of list) {
        let v: Verdict;
        for (const l of layers) if ((v = ownVerdict(ignore, l.text, l.dir, c, l.shown))) break;
        verdicts.set(c, v);
      }
    }
    if (list.some((c) => verdicts.get(c)?.state === 'ignored')) {
      // ignored when a folder on the path or the file is; but a re-included folder below an ignored one cannot
      // happen in git (it does not descend), so the first ignored candidate decides
      continue;
    }
    const culprit = [...list].reverse().find((c) => verdicts.get(c)?.state === 'unignored');
    const why = culprit ? `${verdicts.get(culprit)!.where} un-ignores ${culprit}` : 'no .gitignore rule ignores it';
    throw new UsageError(
      `refusing to write secret ${secret}: git would not ignore it (${why}); ` +
        'fix the .gitignore rule, then run dockforge again (nothing written)',
    );
  }
}
