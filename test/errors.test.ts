/**
 * Bad input: one line naming the field and the allowed values, exit code 2, nothing written.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, listFiles, runCli, treeHash, tempDirs } from './helpers/cli.js';

const temps = tempDirs();
const fresh = (): string => temps.copy('go-cmd');

/** Run `args` in `dir` and expect a refusal: `code`, stderr matching `message`, nothing written. */
function expectRefusal(dir: string, args: string[], code: number, message: RegExp): void {
  const before = treeHash(dir);
  const res = runCli(args, dir);
  expect(res.code).toBe(code);
  expect(res.stderr).toMatch(message);
  expect(treeHash(dir)).toBe(before);
}

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
  ['unknown language', ['--language', 'rust'], /^dockforge: invalid language "rust": expected go, static, node, c\n$/],
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
    /^dockforge: invalid --set "color=red": unknown answer "color" \(expected one of language, database, cache, .*\)\n/,
  ],
  [
    'conflicting flags',
    ['--language', 'go', '--language', 'node'],
    /^dockforge: conflicting values for language: "go" and "node" \(give it once\)\n$/,
  ],
  [
    'flag and --set disagree',
    ['--set', 'port=1', '--port', '2'],
    /^dockforge: conflicting values for port: "1" and "2"/,
  ],
  [
    'flag and its alias disagree',
    ['--runtime', 'alpine', '--base', 'distroless'],
    /^dockforge: conflicting values for base/,
  ],
  [
    '--set twice',
    ['--set', 'uid=1000', '--set', 'uid=2000'],
    /^dockforge: conflicting values for uid: "1000" and "2000"/,
  ],
  ['two dirs', ['--dir', '.', '--dir', '..'], /^dockforge: conflicting values for dir: "\." and "\.\."/],
  ['a flag without its value', ['--port'], /^dockforge: Not enough arguments following: port\n$/],
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
    const unknown = runCli(['deploy'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'dockforge: unknown command "deploy": expected init, generate, add, remove, status, detect, templates, ' +
        'completion\n',
    );
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
    expectRefusal(
      fresh(),
      ['init'],
      2,
      new RegExp(
        '^dockforge: missing answers for language, database, cache, base, uid, port, name and no terminal to ask: ' +
          'pass --language go\\|static\\|node\\|c .*--cache redis\\|none .* or --yes',
      ),
    );
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
        '--cache',
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
    expect(res.stderr).toBe('dockforge: could not detect language: pass --language go|static|node|c\n');
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
    expect(h.stderr).toBe('');
    for (const f of [
      '--language',
      '--database',
      '--cache',
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

  it('--help: words never run together; numbers are not [string]; every --set key is listed', () => {
    const dir = fresh();
    const top = runCli(['--help'], dir).stdout;
    const init = runCli(['init', '--help'], dir).stdout;
    const gen = runCli(['generate', '--help'], dir).stdout;
    for (const text of [top, init, gen]) {
      // a description running into the next column: a letter directly before "[" or "(" of a tag
      expect(text).not.toMatch(/[a-z]\[(aliases|string|boolean|array|default)/);
    }
    expect(init).toMatch(/--port\s+Port the service listens on \(integer 1-65535\)\n/);
    expect(init).not.toMatch(/--(uid|gid|port)\b.*\[string\]/);
    for (const key of ['portEnv', 'env', 'image', 'healthPath', 'goMain', 'nodeStart', 'cBinary', 'sqlitePath']) {
      expect(init).toMatch(new RegExp(`^  ${key}\\s`, 'm'));
      expect(gen).toMatch(new RegExp(`^  ${key}\\s`, 'm'));
    }
  });

  it('the summary keeps its columns apart, however long a value', () => {
    const dir = fresh();
    const image = 'registry.example.com/team/a-rather-long-image-name:1.0.0';
    const r = runCli(['init', '--yes', '--set', `image=${image}`], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^ {2}(image|name|env) /.test(l));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^ {2}\S+ {2,}\S+ {2,}\S/);
    expect(r.stdout).toContain(`${image}  flag`);
  });
});

describe('a damaged answers file or record: one line that says what to do, exit 2, nothing written', () => {
  const initialised = (): string => {
    const dir = fresh();
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    return dir;
  };
  const ANSWERS_HINT =
    'fix it, restore it with git checkout -- .dockforge/answers.yaml, or delete it and run dockforge init';
  it.each([
    ['empty', '', /^dockforge: invalid \.dockforge\/answers\.yaml: it is empty: /],
    ['only a comment', '# nothing\n', /^dockforge: invalid \.dockforge\/answers\.yaml: it is empty: /],
    ['a scalar', 'hello\n', /found the string "hello": /],
    ['a list', '- go\n', /found a list: /],
    [
      'a YAML error',
      'language: go\nfoo: [\n',
      /^dockforge: invalid \.dockforge\/answers\.yaml line \d+, column \d+: [^\n]*[a-z\]]: fix it/,
    ],
  ])('%s', (_label, text, message) => {
    const dir = initialised();
    writeFileSync(path.join(dir, '.dockforge/answers.yaml'), text);
    const before = treeHash(dir);
    for (const command of ['generate', 'status', 'init']) {
      const r = runCli([command, ...(command === 'init' ? ['--yes'] : [])], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/column \d+:\n|:$/m);
      expect(r.stderr.endsWith(`${ANSWERS_HINT}\n`)).toBe(true);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(treeHash(dir)).toBe(before);
  });

  it('written by a newer dockforge: refused, naming both versions', () => {
    const dir = initialised();
    const file = path.join(dir, '.dockforge/answers.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/version: 0\.1\.0/, 'version: 0.10.0'));
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'dockforge: .dockforge/answers.yaml was written by dockforge 0.10.0, newer than this one (0.1.0): ' +
        'run npx dockforge@0.10.0 (or newer), or upgrade dockforge\n',
    );
  });

  it('a corrupt record names how to recover', () => {
    const dir = initialised();
    writeFileSync(path.join(dir, '.dockforge/manifest.json'), '{');
    expectRefusal(
      dir,
      ['generate'],
      2,
      new RegExp(
        '^dockforge: invalid \\.dockforge/manifest\\.json: .*: restore it with git checkout -- ' +
          '\\.dockforge/manifest\\.json; without a good copy, delete it and run dockforge init --force',
      ),
    );
  });
});

describe('a folder dockforge cannot write in (exit 3): the folder is named, and what was written', () => {
  // root ignores permission bits: as root, run the CLI as nobody (setpriv, util-linux)
  const asRoot = process.getuid?.() === 0;
  const run = (dir: string): ReturnType<typeof runCli> => {
    if (!asRoot) return runCli(['init', '--yes'], dir);
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'init', '--yes'],
      {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1' },
        encoding: 'utf8',
      },
    );
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const owned = (): string => {
    const dir = fresh();
    chmodSync(path.dirname(dir), 0o755);
    if (asRoot) spawnSync('chown', ['-R', '65534:65534', dir]);
    return dir;
  };

  it('a read-only project folder: nothing was written', () => {
    const dir = owned();
    chmodSync(dir, 0o555);
    const before = treeHash(dir);
    const r = run(dir);
    chmodSync(dir, 0o755);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'dockforge: cannot write in ./: permission denied (EACCES): make the folder writable (chmod u+w) or run as ' +
        'its owner; nothing was written\n',
    );
    expect(treeHash(dir)).toBe(before);
  });

  it('a read-only sub-folder: the files written before it stopped are listed; the next run completes', () => {
    const dir = owned();
    mkdirSync(path.join(dir, 'k8s'));
    if (asRoot) spawnSync('chown', ['65534:65534', path.join(dir, 'k8s')]);
    chmodSync(path.join(dir, 'k8s'), 0o555);
    const r = run(dir);
    chmodSync(path.join(dir, 'k8s'), 0o755);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        '^dockforge: cannot write in k8s/: permission denied \\(EACCES\\): ' +
          'make the folder writable \\(chmod u\\+w\\) or run as its owner; ' +
          'written before it stopped: \\.gitignore.* \\(run dockforge again once fixed: it completes the run\\)\n$',
      ),
    );
    expect(r.stderr).not.toContain('.tmp');
    const again = run(dir);
    expect(again.code, again.stderr).toBe(0);
    expect(listFiles(dir)).toContain('k8s/deployment.yaml');
  });
});
