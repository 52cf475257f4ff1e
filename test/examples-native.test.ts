/**
 * The examples' own test suites, so the sample apps the e2e builds are known to work:
 * `go test ./...` for the Go examples (Postgres tests skip without PGHOST), and the
 * dependency-free Node and C examples (`node --test`, `make test`). The SQLite/Postgres
 * Node and C suites need Node 22+ or the -dev libraries; the e2e covers those apps built.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES, cleanup, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function copy(example: string): string {
  const dir = tempRepo(path.join(EXAMPLES, example));
  dirs.push(dir);
  return dir;
}

function run(cmd: string, args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, PGHOST: '' } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe.each(['go-sqlite', 'go-postgres', 'go-none'])('examples/%s', (example) => {
  it('go vet and go test pass', () => {
    const dir = copy(example);
    const vet = run('go', ['vet', './...'], dir);
    expect(vet.code, vet.out).toBe(0);
    const t = run('go', ['test', '-count=1', './...'], dir);
    expect(t.code, t.out).toBe(0);
    expect(t.out).toMatch(/^ok\s+example\.com\//m);
  }, 300_000);
});

it('examples/node-none: node --test passes', () => {
  const r = run(process.execPath, ['--test'], copy('node-none'));
  expect(r.code, r.out).toBe(0);
  expect(r.out).toMatch(/# fail 0/);
}, 120_000);

it('examples/c-none: make test passes', () => {
  const r = run('make', ['test'], copy('c-none'));
  expect(r.code, r.out).toBe(0);
  expect(r.out).toMatch(/\d+ passed, 0 failed/);
}, 120_000);
