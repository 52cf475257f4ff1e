/**
 * Detection through the CLI: `init --yes` on fixture repositories, checking the detected
 * answers and their file:line evidence in the summary.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FIXTURES, cleanup, read, runCli, tempRepo } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function init(fixture: string): { out: string; answers: Record<string, unknown> } {
  const dir = tempRepo(path.join(FIXTURES, fixture));
  dirs.push(dir);
  const res = runCli(['init', '--yes'], dir);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return { out: res.stdout, answers: parseYaml(read(dir, '.dockforge/answers.yaml')) };
}

describe('detection', () => {
  it('Go: cmd/<name> main, go line, pgx wins over an indirect cgo sqlite driver, port and health path', () => {
    const { out, answers } = init('go-cmd');
    expect(answers).toMatchObject({
      language: 'go',
      database: 'postgres',
      goVersion: '1.26',
      goMain: './cmd/api',
      cgo: true,
      port: 9090,
      healthPath: '/healthz',
      name: 'orders-api',
    });
    expect(out).toMatch(/database\s+postgres\s+detected \(go\.mod:6\)/);
    expect(out).toMatch(/goMain\s+\.\/cmd\/api\s+detected \(cmd\/api\/main\.go:1\)/);
    expect(out).toMatch(/port\s+9090\s+detected \(cmd\/api\/main\.go:11\)/);
    expect(out).toMatch(/cgo\s+true\s+detected \(go\.mod:7\)/);
    expect(out).toMatch(/note: github\.com\/mattn\/go-sqlite3 is a cgo driver/);
    // go.mod's go line is a minimum: the oldest maintained Go release that satisfies it
    expect(out).toMatch(/goVersion\s+1\.26\s+detected \(go\.mod:3\)/);
    expect(out).toMatch(/note: go\.mod asks for Go 1\.24 or newer: building with Go 1\.26/);
  });

  it('Node: scoped name, engines major, pnpm lockfile, build script and tsconfig outDir, native addon', () => {
    const { out, answers } = init('node-build');
    expect(answers).toMatchObject({
      language: 'node',
      database: 'sqlite',
      nodeVersion: '20',
      packageManager: 'pnpm',
      nodeBuild: true,
      nodeBuildOutput: 'dist',
      nodeStart: 'dist/main.js',
      nodeNative: true,
      name: 'billing',
      image: 'billing:2.3.1',
      port: 4000,
      healthPath: '/health',
    });
    expect(out).toMatch(/packageManager\s+pnpm\s+detected \(pnpm-lock\.yaml\)/);
    expect(out).toMatch(/nodeVersion\s+20\s+detected \(package\.json:\d+\)/);
  });

  it('C with CMake: add_executable target, project name, find_package(PostgreSQL), #define PORT', () => {
    const { answers } = init('c-cmake');
    expect(answers).toMatchObject({
      language: 'c',
      cBuild: 'cmake',
      cBinary: 'ledgerd',
      database: 'postgres',
      name: 'ledger',
      port: 7070,
    });
  });

  it('C with make: target from `all:`, -lsqlite3, port and health path from code', () => {
    const { out, answers } = init('c-make');
    expect(answers).toMatchObject({
      language: 'c',
      cBuild: 'make',
      cBinary: 'kvstore',
      database: 'sqlite',
      port: 8081,
      healthPath: '/health',
    });
    expect(out).toMatch(/database\s+sqlite\s+detected \(Makefile:2, main\.c:1\)/);
  });
});
