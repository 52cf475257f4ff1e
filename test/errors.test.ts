/**
 * Bad input: one line naming the field and the allowed values, exit code 2, nothing written.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, listFiles, runCli, treeHash, tempDirs } from './helpers/cli.js';

const temps = tempDirs();
const fresh = (): string => temps.copy('go-cmd');

const BAD: [string, string[], RegExp][] = [
  ['uid 0', ['--uid', '0'], /^dockforge: invalid uid "0": expected an integer from 1 to 2147483647 \(0 is root\)\n$/],
  ['negative uid', ['--uid', '-5'], /^dockforge: invalid uid "-5": expected an integer from 1 to 2147483647/],
  ['non-integer uid', ['--uid', '10.5'], /^dockforge: invalid uid "10\.5": expected an integer/],
  ['uid text', ['--uid', 'abc'], /^dockforge: invalid uid "abc"/],
  [
    'uid too large',
    ['--uid', '2147483648'],
    /^dockforge: invalid uid "2147483648": expected an integer from 1 to 2147483647/,
  ],
  ['gid 0', ['--gid', '0'], /^dockforge: invalid gid "0"/],
  ['port 0', ['--port', '0'], /^dockforge: invalid port "0": expected an integer from 1 to 65535\n$/],
  ['port 65536', ['--port', '65536'], /^dockforge: invalid port "65536": expected an integer from 1 to 65535\n$/],
  ['unknown language', ['--language', 'rust'], /^dockforge: invalid language "rust": expected go, node, c\n$/],
  [
    'unknown database',
    ['--database', 'mysql'],
    /^dockforge: invalid database "mysql": expected sqlite, postgres, none\n$/,
  ],
  ['unknown runtime base', ['--base', 'ubuntu'], /^dockforge: invalid base "ubuntu": expected alpine, distroless\n$/],
  [
    'unknown runtime base (old flag name)',
    ['--runtime', 'ubuntu'],
    /^dockforge: invalid base "ubuntu": expected alpine, distroless\n$/,
  ],
  ['name not DNS-1123 (uppercase)', ['--name', 'MyApp'], /^dockforge: invalid name "MyApp": expected a DNS-1123 label/],
  ['name not DNS-1123 (leading dash)', ['--name=-app'], /^dockforge: invalid name "-app": expected a DNS-1123 label/],
  ['name too long', ['--name', 'a'.repeat(64)], /^dockforge: invalid name "a{64}": expected a DNS-1123 label/],
  ['unknown flag', ['--colour', 'red'], /^dockforge: Unknown arguments?: colour/],
  ['bad --set', ['--set', 'nodeVersion=18'], /^dockforge: invalid nodeVersion "18": expected 20, 22, 24\n$/],
  [
    'unknown --set key',
    ['--set', 'color=red'],
    /^dockforge: invalid --set "color=red": unknown answer "color" \(expected one of language, database, base, .*\)\n$/,
  ],
  [
    'missing dir',
    ['--dir', 'does/not/exist'],
    /^dockforge: invalid dir "does\/not\/exist": expected an existing directory\n$/,
  ],
];

describe('bad input', () => {
  it.each(BAD)('%s → exit 2, one line, nothing written', (_label, flags, message) => {
    const dir = fresh();
    const before = treeHash(dir);
    const res = runCli(['init', '--yes', ...flags], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stdout).toBe('');
    expect(treeHash(dir)).toBe(before);
  });

  it('bare dockforge prints the usage (exit 0); an unknown command is named (exit 2, one line)', () => {
    const dir = fresh();
    const bare = runCli([], dir);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^dockforge <command> \[options\]\n[\s\S]*dockforge init/);
    const unknown = runCli(['detect'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('dockforge: unknown command "detect": expected init, generate, status\n');
  });

  it('a closed stdout (| head -1) ends quietly with the usual status, no stack trace', () => {
    const dir = fresh();
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" init --yes | head -1; exit \${PIPESTATUS[0]}`], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('no TTY and no --yes with missing answers → exit 2 listing them, no hang', () => {
    const dir = fresh();
    const before = treeHash(dir);
    const res = runCli(['init'], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(
        '^dockforge: missing answers for language, database, base, uid, port, name and no terminal to ask: ' +
          'pass --language go\\|node\\|c .* or --yes',
      ),
    );
    expect(treeHash(dir)).toBe(before);
  });

  it('no TTY, every asked answer given as a flag → works without --yes', () => {
    const dir = fresh();
    const res = runCli(
      [
        'init',
        '--language',
        'go',
        '--database',
        'none',
        '--runtime',
        'alpine',
        '--uid',
        '2000',
        '--port',
        '8000',
        '--name',
        'svc',
      ],
      dir,
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(listFiles(dir)).toContain('Dockerfile');
  });

  it('an undetectable language with --yes → exit 2 naming the flag', () => {
    const dir = temps.copy();
    const res = runCli(['init', '--yes'], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('dockforge: could not detect language: pass --language go|node|c\n');
    expect(listFiles(dir)).toEqual([]);
  });

  it('existing files dockforge did not write → exit 2 naming them, nothing written; --force overwrites', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services: {}\n');
    const before = treeHash(dir);
    const res = runCli(['init', '--yes'], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'dockforge: refusing to overwrite files dockforge did not write: Dockerfile, compose.yaml ' +
        '(move them away or pass --force)\n',
    );
    expect(treeHash(dir)).toBe(before);
    const forced = runCli(['init', '--yes', '--force'], dir);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/forced\s+Dockerfile/);
  });

  it('a file identical to what dockforge would write is adopted, not refused', () => {
    const dir = fresh();
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    const copy = temps.copy('go-cmd');
    writeFileSync(path.join(copy, 'Dockerfile'), readFileSync(path.join(dir, 'Dockerfile')));
    const res = runCli(['init', '--yes'], copy);
    expect(res.code).toBe(0);
  });

  it('--help and --version', () => {
    const dir = fresh();
    const v = runCli(['--version'], dir);
    expect(v.stdout).toBe('0.1.0\n');
    const h = runCli(['init', '--help'], dir);
    expect(h.code).toBe(0);
    for (const f of [
      '--language',
      '--database',
      '--runtime',
      '--uid',
      '--gid',
      '--port',
      '--name',
      '--yes',
      '--force',
      '--dir',
    ])
      expect(h.stdout).toContain(f);
  });
});
