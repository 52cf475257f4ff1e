/**
 * Crash faults, through the built CLI: the process kills itself (SIGKILL, via the test hook
 * `DOCKFORGE_FAIL_AT`) right after each rename, right after each fsync of a temporary file, and
 * right after the journal is durable. A plain rerun (`generate`) must then converge to the tree
 * of an uninterrupted run, byte for byte (secret files compared by their keys: their values are
 * random), with no temporary file, lock or journal left and the user's edits kept. A kill before
 * the journal exists leaves nothing applied: the rerun changes nothing, and running the
 * interrupted command again converges.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliResult } from './helpers/cli.js';
import { CLI, FIXTURES, cleanup, listFiles, read, runCli, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** `runCli`, asynchronous (fault points run a few at a time); `signal` is set when killed. */
function runAsync(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliResult & { signal?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr, signal: signal ?? undefined }));
  });
}

/** The tree as compared: every file's text, secret files reduced to their keys. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listFiles(dir)) {
    const text = read(dir, f);
    out[f] = f.includes('secrets/')
      ? text
          .split('\n')
          .map((l) => l.replace(/=.*/, '='))
          .join('\n')
      : text;
  }
  return out;
}

const TEMP = /\.dockforge-\d+-[0-9a-f]+\.tmp$/;

interface Scenario {
  name: string;
  /** Make the starting tree in `dir`. */
  setup: (dir: string) => void;
  command: string[];
}

function initialise(dir: string, edit?: (dir: string) => void): void {
  const r = runCli(['init', '--yes', '--database', 'sqlite', '--runtime', 'alpine'], dir);
  expect(r.code, r.stderr).toBe(0);
  edit?.(dir);
}

const scenarios: Scenario[] = [
  { name: 'init --yes', setup: () => undefined, command: ['init', '--yes'] },
  {
    name: 'generate --set database=postgres (a user edit merged)',
    setup: (dir) =>
      initialise(dir, (d) =>
        writeFileSync(path.join(d, 'Dockerfile'), `${read(d, 'Dockerfile')}LABEL com.example.team="payments"\n`),
      ),
    command: ['generate', '--set', 'database=postgres'],
  },
  {
    name: 'generate --set database=postgres with a conflicting user edit',
    setup: (dir) =>
      initialise(dir, (d) =>
        writeFileSync(
          path.join(d, 'k8s/deployment.yaml'),
          read(d, 'k8s/deployment.yaml').replace('replicas: 1', 'replicas: 3'),
        ),
      ),
    command: ['generate', '--set', 'database=postgres'],
  },
];

const totals = { tried: 0, converged: 0, beforeJournal: 0 };
afterAll(() => {
  console.log(
    `faults: ${totals.tried} fault points tried, ${totals.converged} runs converged ` +
      `(${totals.beforeJournal} killed before the journal existed)`,
  );
});

describe('a killed run is completed by the next one', () => {
  for (const s of scenarios) {
    it(`${s.name}: every rename, fsync and the journal`, async () => {
      const start = tempRepo(path.join(FIXTURES, 'go-cmd'));
      dirs.push(start);
      s.setup(start);
      const startSnap = snapshot(start);
      const copy = (): string => {
        const d = tempRepo();
        dirs.push(d);
        cpSync(start, d, { recursive: true });
        return d;
      };
      const ref = copy();
      const refRun = runCli(s.command, ref);
      expect([0, 1], refRun.stderr).toContain(refRun.code);
      const expected = snapshot(ref);
      for (const f of Object.keys(expected)) expect(f).not.toMatch(TEMP);

      const check = async (point: string): Promise<boolean> => {
        const dir = copy();
        const crashed = await runAsync(s.command, dir, { DOCKFORGE_FAIL_AT: point });
        if (crashed.signal !== 'SIGKILL') {
          // past the last such point: the run completed
          expect(snapshot(dir), point).toEqual(expected);
          return false;
        }
        totals.tried += 1;
        const journaled = existsSync(path.join(dir, '.dockforge/journal.json'));
        const rerun = await runAsync(['generate'], dir);
        if (journaled) expect([0, 1], `${point}: ${rerun.stderr}`).toContain(rerun.code);
        else {
          totals.beforeJournal += 1;
          const left = Object.fromEntries(Object.entries(snapshot(dir)).filter(([f]) => !TEMP.test(f)));
          expect(left, `${point}: nothing applied before the journal`).toEqual(startSnap);
          const again = await runAsync(s.command, dir);
          expect([0, 1], `${point}: ${again.stderr}`).toContain(again.code);
        }
        const got = snapshot(dir);
        expect(
          Object.keys(got).filter((f) => TEMP.test(f)),
          point,
        ).toEqual([]);
        expect(got, point).toEqual(expected);
        totals.converged += 1;
        return true;
      };

      let points = 0;
      expect(await check('journal')).toBe(true);
      points += 1;
      for (const kind of ['rename', 'fsync']) {
        // a few at a time: each point is its own copy
        for (let n = 1, more = true; more; n += 4) {
          const batch = await Promise.all([0, 1, 2, 3].map((i) => check(`${kind}:${n + i}`)));
          points += batch.filter(Boolean).length;
          more = batch.every(Boolean);
        }
      }
      expect(points).toBeGreaterThan(10);
    }, 600_000);
  }
});
