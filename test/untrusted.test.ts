/**
 * Untrusted input and a hostile environment: answers.yaml and the record are bounded before
 * they are parsed, echoed values are cut, the record is checked against its JSON Schema, errno
 * errors become one line naming the path (exit 3), and rewriting answers.yaml keeps comments.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseField, validateAnswers } from '../src/answers/fields.js';
import { ANSWERS_MAX_BYTES, answersToYaml, readAnswers } from '../src/answers/file.js';
import { EnvironmentError, UsageError, classifyError, clip } from '../src/errors.js';
import { sha256 } from '../src/files.js';
import { RECORD_MAX_BYTES, RECORD_PATH, readRecord, recordToJson } from '../src/plan/record.js';
import { FIXTURES, cleanup, read, runCli, tempRepo, treeHash } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function fresh(fixture?: string): string {
  const dir = tempRepo(fixture ? path.join(FIXTURES, fixture) : undefined);
  dirs.push(dir);
  return dir;
}

function writeAt(dir: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const META = { version: '0.1.0', pack: 'dockforge-builtin@0.1.0' };

describe('item 7: bounded input, cut echoes', () => {
  it('an answers.yaml over 1 MiB is refused before parsing, naming the file and the limit', async () => {
    const dir = fresh();
    writeAt(dir, '.dockforge/answers.yaml', `language: go\nenv: "A=${'x'.repeat(ANSWERS_MAX_BYTES)}"\n`);
    const e = await rejection(readAnswers(dir));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/^refusing \.dockforge\/answers\.yaml: it is \d+ bytes, the limit is 1 MiB/);
    expect(e.message.length).toBeLessThan(200);
  });

  it('an invalid value under the limit is echoed cut to 80 characters with …', async () => {
    const dir = fresh();
    writeAt(dir, '.dockforge/answers.yaml', `language: go\nenv: "${'x'.repeat(100_000)}"\n`);
    const e = await rejection(readAnswers(dir));
    expect(e.message).toMatch(/^invalid \.dockforge\/answers\.yaml: invalid env "x{79}…": expected NAME=value/);
    expect(e.message.length).toBeLessThan(250);
  });

  it('an unknown key is echoed cut too', async () => {
    const dir = fresh();
    writeAt(dir, '.dockforge/answers.yaml', `language: go\n${'k'.repeat(1000)}: 1\n`);
    const e = await rejection(readAnswers(dir));
    expect(e.message).toMatch(/unknown answer "k{79}…"/);
    // the echo is cut; the rest is the list of known answers, which grows with the registry
    expect(e.message.length).toBeLessThan(1000);
  });

  it('parseField cuts the echoed value; clip leaves short text alone', () => {
    expect(() => parseField('port', '9'.repeat(10_000))).toThrow(/^invalid port "9{79}…": expected an integer/);
    expect(clip('short')).toBe('short');
    expect(clip('y'.repeat(81))).toBe(`${'y'.repeat(79)}…`);
  });

  it('a record over 16 MiB is refused before parsing, naming the file and the limit', async () => {
    const dir = fresh();
    writeAt(dir, RECORD_PATH, `{"files": [], "pad": "${'x'.repeat(RECORD_MAX_BYTES)}"}`);
    const e = await rejection(readRecord(dir));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/^refusing \.dockforge\/manifest\.json: it is \d+ bytes, the limit is 16 MiB/);
  });

  it('CLI: a 2 MB value in answers.yaml → exit 2, one short line, nothing written', () => {
    const dir = fresh('go-cmd');
    writeAt(dir, '.dockforge/answers.yaml', `language: go\nenv: "A=${'x'.repeat(2_000_000)}"\n`);
    const before = treeHash(dir);
    const res = runCli(['generate'], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^dockforge: refusing \.dockforge\/answers\.yaml: .*the limit is 1 MiB/);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr.length).toBeLessThan(300);
    expect(treeHash(dir)).toBe(before);
  });
});

describe('item 8: the record is validated against its schema', () => {
  const base = 'FROM scratch\n';
  const file = { path: 'Dockerfile', template: 'p@1:Dockerfile', sha256: sha256(base), base };
  const record = (over: Record<string, unknown>): string =>
    JSON.stringify({ dockforge: '0.1.0', pack: 'p', files: [file], secrets: [], ejected: [], ...over });

  it.each([
    ['secrets as a string', { secrets: 'abc' }, /at \/secrets: must be array/],
    ['ejected as a number', { ejected: 5 }, /at \/ejected: must be array/],
    [
      'a file without base',
      { files: [{ path: 'x', template: 't', sha256: 'a'.repeat(64) }] },
      /at \/files\/0: .*'base'/,
    ],
    ['files missing', { files: undefined }, /at \(top level\): must have required property 'files'/],
    ['a path that is not a string', { ejected: [7] }, /at \/ejected\/0: must be string/],
    ['a malformed sha256', { files: [{ ...file, sha256: 'nope' }] }, /at \/files\/0\/sha256: must match pattern/],
  ])('%s → UsageError naming the record and the JSON pointer', async (_label, over, message) => {
    const dir = fresh();
    writeAt(dir, RECORD_PATH, record(over));
    const e = await rejection(readRecord(dir));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/^invalid \.dockforge\/manifest\.json at /);
    expect(e.message).toMatch(message);
  });

  it('the existing checks stay: sha256 of base and confined paths', async () => {
    const dir = fresh();
    writeAt(dir, RECORD_PATH, record({ files: [{ ...file, sha256: 'b'.repeat(64) }] }));
    expect((await rejection(readRecord(dir))).message).toMatch(/base of "Dockerfile" does not match its sha256/);
    writeAt(dir, RECORD_PATH, record({ ejected: ['../outside'] }));
    expect((await rejection(readRecord(dir))).message).toMatch(/refusing manifest path "\.\.\/outside"/);
  });

  it('a valid record reads back as written', async () => {
    const dir = fresh();
    const text = recordToJson({ dockforge: '0.1.0', pack: 'p', files: [file], secrets: [], ejected: ['k8s/a.yaml'] });
    writeAt(dir, RECORD_PATH, text);
    expect(recordToJson((await readRecord(dir))!)).toBe(text);
  });

  it('CLI: ejected: 5 → exit 2, one line with the pointer (not "is not iterable")', () => {
    const dir = fresh('go-cmd');
    expect(runCli(['init', '--yes', '--database', 'none'], dir).code).toBe(0);
    const doc = JSON.parse(read(dir, RECORD_PATH));
    writeAt(dir, RECORD_PATH, JSON.stringify({ ...doc, ejected: 5 }));
    const res = runCli(['generate'], dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'dockforge: invalid .dockforge/manifest.json at /ejected: must be array: restore it with git checkout -- ' +
        '.dockforge/manifest.json; without a good copy, delete it and run dockforge init --force (files are ' +
        'rewritten from the answers: commit first, then git diff shows the edits to bring back)\n',
    );
  });
});

describe('item 8: environment errors are one line naming the path, exit 3', () => {
  it('classifyError maps errno errors with their path; other errors pass through', () => {
    const errno = (code: string, syscall: string, p: string, dest?: string): NodeJS.ErrnoException =>
      Object.assign(new Error(`${code}: raw text, ${syscall} '${p}'`), { code, syscall, path: p, dest });
    const eacces = classifyError(errno('EACCES', 'open', '/srv/app/Dockerfile')) as EnvironmentError;
    expect(eacces).toBeInstanceOf(EnvironmentError);
    expect(eacces.exitCode).toBe(3);
    expect(eacces.message).toBe(
      'cannot open /srv/app/Dockerfile: permission denied (EACCES): check the permissions of the path and of ' +
        'its folder, or run as their owner',
    );
    const enospc = classifyError(errno('ENOSPC', 'write', '/srv/app/.Dockerfile.dockforge-12-ab12cd34.tmp'));
    expect((enospc as Error).message).toMatch(/^cannot write \/srv\/app\/Dockerfile: no space left on the device/);
    const rename = classifyError(errno('EISDIR', 'rename', '/srv/app/.x.dockforge-1-ff.tmp', '/srv/app/x'));
    expect((rename as Error).message).toMatch(/^cannot write \/srv\/app\/x: it is a folder \(EISDIR\)/);
    const other = new Error('boom');
    expect(classifyError(other)).toBe(other);
    const usage = new UsageError('bad');
    expect(classifyError(usage)).toBe(usage);
  });

  it('CLI: .dockforge/answers.yaml is a folder → exit 3 naming it, nothing written', () => {
    const dir = fresh('go-cmd');
    mkdirSync(path.join(dir, '.dockforge', 'answers.yaml'), { recursive: true });
    const before = treeHash(dir);
    const res = runCli(['init', '--yes'], dir);
    expect(res.code).toBe(3);
    expect(res.stderr).toBe(
      'dockforge: .dockforge/answers.yaml is a folder, not a regular file: dockforge reads and writes only ' +
        'regular files; move it away; nothing was written\n',
    );
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(treeHash(dir)).toBe(before);
  });

  it('CLI: .dockforge is a file → exit 3 (ENOTDIR) naming the path', () => {
    const dir = fresh('go-cmd');
    writeFileSync(path.join(dir, '.dockforge'), 'not a folder\n');
    const res = runCli(['init', '--yes'], dir);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(
      /^dockforge: cannot \w+ \.dockforge\/\S+: .*\(ENOTDIR\): move or remove the file that is in the way; nothing/,
    );
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe("item 9: rewriting answers.yaml keeps the user's comments and key order", () => {
  const answers = validateAnswers({ language: 'go', name: 'svc', port: 8080 });

  it('unchanged answers give back the generated text byte for byte', () => {
    const text = answersToYaml(answers, META);
    expect(answersToYaml(answers, META, text)).toBe(text);
  });

  it('a comment next to a key survives a changed value; order and other comments stay', () => {
    const text = answersToYaml(answers, META)
      .replace('port: 8080\n', '# why we pin this\nport: 8080 # the load balancer expects it\n')
      .replace(/^name: svc\n/m, '')
      .replace('language: go\n', 'language: go\nname: svc # first, on purpose\n');
    const out = answersToYaml({ ...answers, port: 9090 }, { ...META, version: '0.2.0' }, text);
    expect(out).toContain('# why we pin this\nport: 9090 # the load balancer expects it\n');
    expect(out).toMatch(/^# dockforge answers: /);
    expect(out).toContain('language: go\nname: svc # first, on purpose\n');
    expect(out).toContain('_dockforge:\n  version: 0.2.0\n');
    const { _dockforge: _, ...saved } = readYaml(out);
    expect(validateAnswers(saved)).toEqual({ ...answers, port: 9090 });
  });

  it('an alias key is renamed in place keeping its comment; fields that stop applying go', () => {
    const text = answersToYaml(answers, META).replace(/^base: (\w+)$/m, 'runtime: $1 # smaller image');
    const node = validateAnswers({ language: 'node', name: 'svc', port: 8080 });
    const out = answersToYaml(node, META, text);
    expect(out).toMatch(/^base: \w+ # smaller image$/m);
    expect(out).not.toMatch(/^runtime:/m);
    expect(out).not.toMatch(/^goVersion:/m);
    expect(out).toMatch(/^nodeVersion: /m);
    const keys = Object.keys(readYaml(out));
    expect(keys.indexOf('nodeVersion')).toBeLessThan(keys.indexOf('_dockforge'));
  });

  it('unparsable previous text falls back to a fresh file', () => {
    expect(answersToYaml(answers, META, 'a: [unclosed\n')).toBe(answersToYaml(answers, META));
  });

  it('a file just read that holds the same answers comes back untouched, however it is spaced or quoted', async () => {
    const dir = fresh();
    // the yaml library would re-space and re-quote this text if it serialised it again
    const text = answersToYaml(answers, META).replace('port: 8080\n', 'port:    8080     # spaced\n');
    const quoted = text.replace(/^name: svc$/m, "name: 'svc'");
    for (const t of [text, quoted]) {
      writeAt(dir, '.dockforge/answers.yaml', t);
      const saved = (await readAnswers(dir))!;
      expect(answersToYaml(saved.answers, META, saved.text)).toBe(t);
      // a changed answer or version goes through the document update
      expect(answersToYaml({ ...saved.answers, port: 9090 }, META, saved.text)).toContain('port: 9090 # spaced\n');
      expect(answersToYaml(saved.answers, { ...META, version: '9.9.9' }, saved.text)).toContain('version: 9.9.9');
    }
    // a value of another type (the string "8080") is rewritten as the answer's type
    writeAt(dir, '.dockforge/answers.yaml', text.replace('8080', '"8080"'));
    const saved = (await readAnswers(dir))!;
    expect(answersToYaml(saved.answers, META, saved.text)).toContain('port: 8080 # spaced\n');
  });

  it('readAnswers returns the exact text to pass back', async () => {
    const dir = fresh();
    const text = `${answersToYaml(answers, META)}# trailing note\n`;
    writeAt(dir, '.dockforge/answers.yaml', text);
    expect((await readAnswers(dir))?.text).toBe(text);
  });
});

describe('parsed answers are cached by the hash of their text', () => {
  const answers = validateAnswers({ language: 'go', name: 'svc', port: 8080 });
  /** The cache file of answers text `text` (the run's XDG_CACHE_HOME: test/helpers/cache-home.ts). */
  const cacheFile = (text: string): string =>
    path.join(process.env.XDG_CACHE_HOME!, 'dockforge', 'answers', `${sha256(text)}.json`);

  it('a text read once is read from the cache the next time (a changed cache value shows it)', async () => {
    const dir = fresh();
    const text = `${answersToYaml(answers, META)}# cache test 1\n`;
    writeAt(dir, '.dockforge/answers.yaml', text);
    expect((await readAnswers(dir))!.answers.port).toBe(8080);
    const cached = JSON.parse(readFileSync(cacheFile(text), 'utf8')) as Record<string, unknown>;
    expect(cached).toEqual(parseYaml(text));
    expect(statSync(cacheFile(text)).mode & 0o777).toBe(0o600);
    writeFileSync(cacheFile(text), JSON.stringify({ ...cached, port: 4242 }));
    expect((await readAnswers(dir))!.answers.port).toBe(4242);
  });

  it('after a cached read, a changed answer still keeps the comments (the document is parsed then)', async () => {
    const dir = fresh();
    const text = answersToYaml(answers, META).replace('port: 8080\n', 'port: 8080 # cache test 2\n');
    writeAt(dir, '.dockforge/answers.yaml', text);
    await readAnswers(dir);
    const saved = (await readAnswers(dir))!; // from the cache
    expect(answersToYaml(saved.answers, META, saved.text)).toBe(text);
    expect(answersToYaml({ ...saved.answers, port: 9090 }, META, saved.text)).toContain('port: 9090 # cache test 2\n');
  });

  it('a damaged cache file is ignored; a YAML error or a non-JSON value is never cached', async () => {
    const dir = fresh();
    const text = `${answersToYaml(answers, META)}# cache test 3\n`;
    writeAt(dir, '.dockforge/answers.yaml', text);
    await readAnswers(dir);
    writeFileSync(cacheFile(text), '{"port": 80');
    expect((await readAnswers(dir))!.answers.port).toBe(8080);
    const broken = `${text}port: [\n`;
    writeAt(dir, '.dockforge/answers.yaml', broken);
    for (let i = 0; i < 2; i++) expect((await rejection(readAnswers(dir))).message).toMatch(/line \d+, column \d+/);
    expect(existsSync(cacheFile(broken))).toBe(false);
    const infinite = text.replace('port: 8080', 'port: .inf');
    writeAt(dir, '.dockforge/answers.yaml', infinite);
    for (let i = 0; i < 2; i++) expect((await rejection(readAnswers(dir))).message).toMatch(/invalid port "Infinity"/);
    expect(existsSync(cacheFile(infinite))).toBe(false);
  });
});

function readYaml(text: string): Record<string, unknown> {
  return parseYaml(text) as Record<string, unknown>;
}
