/**
 * Step 3 of the corpus run: the stand-in base images a generated Dockerfile names (proof/bases,
 * cached), then a Buildah build of its `runtime` target with the e2e's engine (proof/e2e/run.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO, run, type Engine } from '../e2e/run.js';

/** containers-storage of the corpus run: vfs under a private root and runroot. */
export interface Storage {
  root: string;
  runroot: string;
}

/** Global flags that point Buildah and Podman at `s` (vfs driver, as the e2e). */
export function storageFlags(s: Storage): string[] {
  return ['--storage-driver', 'vfs', '--root', s.root, '--runroot', s.runroot];
}

/** One image reference of a Dockerfile, as proof/bases reported it. */
export interface BaseRow {
  image: string;
  /** present | imported | built | skipped | failed. */
  status: string;
  seconds: number;
  reason?: string;
}

/** Outcome of providing the stand-in bases of one Dockerfile. */
export interface BasesResult {
  ok: boolean;
  seconds: number;
  images: BaseRow[];
  /** Why the build cannot go on (a failed or unknown base), when !ok. */
  reason?: string;
}

/**
 * Run `proof/bases/cli.ts --json` on `dockerfile` against storage `s` (its cache: DOCKFORGE_E2E_CACHE,
 * else <repo>/.e2e-cache/bases), writing its output to `log`. `timeoutMs` bounds the whole call.
 * Never throws: a crash, a timeout or a failed image is `ok: false` with a reason.
 */
export async function ensureBases(
  dockerfile: string,
  s: Storage,
  log: string,
  timeoutMs: number,
): Promise<BasesResult> {
  const tsx = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const cli = path.join(REPO, 'proof', 'bases', 'cli.ts');
  const args = [tsx, cli, '--json', '--root', s.root, '--runroot', s.runroot, dockerfile];
  const t0 = Date.now();
  const r = await run(process.execPath, args, { timeout: timeoutMs });
  const seconds = (Date.now() - t0) / 1000;
  writeFileSync(log, `$ ${args.join(' ')}\n${r.stderr}\n${r.stdout}`);
  let images: BaseRow[] = [];
  try {
    const report = JSON.parse(r.stdout) as { images: BaseRow[] };
    images = report.images.map(({ image, status, seconds: sec, reason }) => ({ image, status, seconds: sec, reason }));
  } catch {
    const why = seconds * 1000 >= timeoutMs - 1000 ? `timed out after ${Math.round(seconds)} s` : `exit ${r.code}`;
    return { ok: false, seconds, images, reason: `stand-in bases: ${why}: ${lastLines(r.stderr, 3).join(' | ')}` };
  }
  const bad = images.filter(
    (i) => i.status === 'failed' || (i.status === 'skipped' && !/alpine/i.test(i.reason ?? '')),
  );
  if (r.code === 0 && bad.length === 0) return { ok: true, seconds, images };
  const reason = bad.map((i) => `${i.image}: ${i.status}: ${i.reason ?? ''}`).join('; ') || `exit ${r.code}`;
  return { ok: false, seconds, images, reason: `no stand-in base: ${reason}` };
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(-n);
}

/** Outcome of one image build. */
export interface BuildResult {
  ok: boolean;
  seconds: number;
  timedOut: boolean;
  /** Last lines of the build log, when the build failed. */
  tail?: string[];
  /** Image size in bytes, as the engine reports it. */
  imageBytes?: number;
}

/**
 * Build the `runtime` target of `dir` as `tag` with `engine` (output in `log`), at most `timeoutMs`.
 * Never throws.
 */
export async function buildImage(
  engine: Engine,
  dir: string,
  tag: string,
  log: string,
  timeoutMs: number,
): Promise<BuildResult> {
  const t0 = Date.now();
  const code = await engine.build(dir, tag, log, timeoutMs);
  const seconds = (Date.now() - t0) / 1000;
  if (code !== 0) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    return { ok: false, seconds, timedOut: seconds * 1000 >= timeoutMs - 1000, tail: lastLines(text, 25) };
  }
  const size = await run(engine.cli, [...engine.cliFlags, 'image', 'inspect', '--format', '{{.Size}}', tag]);
  return { ok: true, seconds, timedOut: false, imageBytes: Number(size.stdout.trim()) || undefined };
}
