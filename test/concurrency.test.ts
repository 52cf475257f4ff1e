/**
 * Concurrent runs on one project, through the built CLI: the project lock lets one writing run
 * at a time; the others exit 2 with the lock message, and no successful run's change is lost.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { CliResult } from './helpers/cli.js';
import { CLI, FIXTURES, cleanup, listFiles, read, runCli, tempRepo, treeHash } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

const LOCKED =
  // eslint-disable-next-line max-len
  /^dockforge: another dockforge run is in progress \(pid \d+ on .+, since .+\): wait for it, or remove \.dockforge\/lock if it is stale\n$/;

/** `runCli`, spawned without waiting. */
function runAsync(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function initialised(): string {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  const r = runCli(['init', '--yes', '--database', 'sqlite', '--runtime', 'alpine'], dir);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

describe('the project lock', () => {
  it('4 parallel generate runs: each succeeds or exits 2 with the lock message; no success is lost', async () => {
    const dir = initialised();
    const sets: [string, string, unknown][] = [
      ['port', '8081', 8081],
      ['uid', '5001', 5001],
      ['gid', '5002', 5002],
      ['image', 'orders:9', 'orders:9'],
    ];
    let successes = 0;
    let refused = 0;
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(sets.map(([k, v]) => runAsync(['generate', '--set', `${k}=${v}`], dir)));
      const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
      results.forEach((r, i) => {
        const [key, , value] = sets[i]!;
        if (r.code === 0) {
          successes += 1;
          expect(answers[key], `${key} ran with exit 0`).toEqual(value);
        } else {
          refused += 1;
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toMatch(LOCKED);
        }
      });
      for (const f of listFiles(dir)) expect(read(dir, f), f).not.toMatch(/^(<<<<<<<|>>>>>>>) /m);
      expect(existsSync(path.join(dir, '.dockforge/lock'))).toBe(false);
      expect(existsSync(path.join(dir, '.dockforge/journal.json'))).toBe(false);
      // the next round changes every key again
      sets.forEach((s) => {
        if (s[0] === 'port') s[2] = (s[2] as number) + 1;
        if (s[0] === 'uid') s[2] = (s[2] as number) + 1;
        if (s[0] === 'gid') s[2] = (s[2] as number) + 1;
        s[1] = String(s[2]);
        if (s[0] === 'image') s[1] = s[2] = `orders:${round + 10}`;
      });
    }
    console.log(`concurrency: ${successes} runs succeeded, ${refused} refused by the lock`);
    expect(successes).toBeGreaterThan(0);
    expect(runCli(['status'], dir).code).toBe(0);
  }, 60_000);

  it('a stale lock (this host, dead pid) is taken over; a lock of another host refuses, writing nothing', () => {
    const dir = initialised();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    mkdirSync(path.join(dir, '.dockforge'), { recursive: true });
    const lock = path.join(dir, '.dockforge/lock');
    writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), started: '2026-01-01T00:00:00Z' }));
    const r = runCli(['generate', '--set', 'port=8090'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, JSON.stringify({ pid: dead, host: 'elsewhere.example', started: '2026-01-01T00:00:00Z' }));
    const before = treeHash(dir);
    const refused = runCli(['generate', '--set', 'port=8091'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `dockforge: another dockforge run is in progress (pid ${dead} on elsewhere.example, ` +
        'since 2026-01-01T00:00:00Z): ' +
        'wait for it, or remove .dockforge/lock if it is stale\n',
    );
    expect(treeHash(dir)).toBe(before);
    expect(runCli(['status'], dir).code).toBe(0); // status takes no lock
  });
});
