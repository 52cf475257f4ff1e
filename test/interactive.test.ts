/**
 * Interactive `init` in a real pseudo-terminal (util-linux `script`): prompts are prefilled
 * with detected values marked "(detected)", flags are not asked again, answers typed are used.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CLI, FIXTURES, cleanup, read, runCli, tempRepo, treeHash } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** Run `cmd` under a pty, sending each key sequence once the previous prompt has been drawn. */
function runInPty(cmd: string, cwd: string, keys: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd,
      env: { ...process.env, TERM: 'xterm', NO_COLOR: '1' },
    });
    let out = '';
    let prompts = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // a prompt is answered once it is drawn ("? ") and the previous one is done ("✔")
      const drawn = out.split('? ').length - 1;
      const done = out.split('✔').length - 1;
      while (prompts < keys.length && drawn > prompts && done === prompts) {
        child.stdin.write(keys[prompts]!);
        prompts += 1;
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

it('asks language, database, cache, uid, port, name (the base given as a flag is not asked), prefilled', async () => {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  // language: accept "go (detected)"; database: move from "postgres (detected)" to "none";
  // cache: accept none; uid: type 4242; port: accept detected 9090; name: accept detected
  const { code, out } = await runInPty(`node ${CLI} init --runtime alpine`, dir, [
    '\r',
    '\x1b[B\r',
    '\r',
    '4242\r',
    '\r',
    '\r',
  ]);
  expect(out).toContain('go (detected)');
  expect(out).toContain('postgres (detected)');
  expect(out).toContain('Port the service listens on (detected)');
  expect(out).not.toContain('Runtime base image');
  expect(code).toBe(0);
  const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
  expect(answers).toMatchObject({
    language: 'go',
    database: 'none',
    base: 'alpine',
    uid: 4242,
    gid: 4242,
    port: 9090,
    name: 'orders-api',
  });
});

it.each([
  ['Ctrl-C', '\x03'],
  ['Ctrl-D', '\x04'],
])('%s at a prompt: one line "cancelled", exit 130, nothing written', async (_name, key) => {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  const before = treeHash(dir);
  const { code, out } = await runInPty(`node ${CLI} init`, dir, [key]);
  expect(out).toContain('dockforge: cancelled');
  expect(out).not.toMatch(/force closed|Error|at .*\.js:\d+/);
  expect(code).toBe(130);
  expect(treeHash(dir)).toBe(before);
});

describe('a file dockforge did not write', () => {
  it('is listed before any question; "no" stops with nothing written (exit 2)', async () => {
    const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    const before = treeHash(dir);
    const { code, out } = await runInPty(`node ${CLI} init`, dir, ['n\r']);
    // the first prompt is the overwrite question, not the language
    expect(out.indexOf('Overwrite them?')).toBeGreaterThan(out.indexOf('  - Dockerfile'));
    expect(out).not.toContain('Language');
    expect(out).toContain('stopped: nothing written');
    expect(code).toBe(2);
    expect(treeHash(dir)).toBe(before);
  });

  it('"yes" replaces it and asks the questions', async () => {
    const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    const { code, out } = await runInPty(`node ${CLI} init --runtime alpine`, dir, [
      'y\r',
      '\r',
      '\r',
      '\r',
      '\r',
      '\r',
      '\r',
    ]);
    expect(out).toContain('Overwrite them?');
    expect(code).toBe(0);
    expect(read(dir, 'Dockerfile')).toContain('# syntax=docker/dockerfile:1');
    expect(out).toMatch(/forced\s+Dockerfile/);
  });

  it('with --yes: refused unless --force, exit 2, nothing written', () => {
    const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    const before = treeHash(dir);
    const r = runCli(['init', '--yes'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to overwrite files dockforge did not write: Dockerfile');
    expect(treeHash(dir)).toBe(before);
  });
});

it("a team pack's questions are asked after the built-in ones, prefilled with their defaults", async () => {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  const pack = path.join(path.dirname(CLI), '..', '..', 'examples', 'packs', 'acme');
  const flags = '--runtime alpine --database none --cache none --uid 10001 --port 9090 --name orders-api --language go';
  // owner: type "payments"; maxReplicas: accept 5
  const { code, out } = await runInPty(`node ${CLI} init --pack ${pack} ${flags}`, dir, ['payments\r', '\r']);
  expect(out).toContain('Team that owns the service');
  expect(out).toContain('Most replicas the HorizontalPodAutoscaler may run');
  expect(code).toBe(0);
  expect(parseYaml(read(dir, '.dockforge/answers.yaml'))).toMatchObject({ owner: 'payments', maxReplicas: 5 });
  expect(read(dir, 'Dockerfile')).toContain('com.acme.owner="payments"');
});
