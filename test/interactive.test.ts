/**
 * Interactive `init` in a real pseudo-terminal (util-linux `script`): prompts are prefilled
 * with detected values marked "(detected)", flags are not asked again, answers typed are used.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CLI, FIXTURES, cleanup, read, tempRepo } from './helpers/cli.js';

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

it('asks language, database, uid, port, name (the base given as a flag is not asked), prefilled', async () => {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  // language: accept "go (detected)"; database: move from "postgres (detected)" to "none";
  // uid: type 4242; port: accept detected 9090; name: accept detected
  const { code, out } = await runInPty(`node ${CLI} init --runtime alpine`, dir, [
    '\r',
    '\x1b[B\r',
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
