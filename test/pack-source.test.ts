/**
 * Team packs from a SOURCE (src/templates/source.ts): a local folder, an npm tarball and a git
 * repository are fetched, pinned and fetched again as pinned; packs over the bounds or with links
 * are refused and leave nothing in the cache. Real npm, git and tar; no network.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchPack, pinnedPack } from '../src/templates/source.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function temp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockforge-pack-source-'));
  dirs.push(dir);
  return dir;
}

// every test gets a cache of its own (some empty it)
const suiteCache = process.env.XDG_CACHE_HOME;
beforeEach(() => {
  process.env.XDG_CACHE_HOME = temp();
});
afterEach(() => {
  process.env.XDG_CACHE_HOME = suiteCache;
});

const packs = (): string => path.join(process.env.XDG_CACHE_HOME!, 'dockforge', 'packs');
const emptyCache = (): void => fs.rmSync(packs(), { recursive: true, force: true });
const cacheEntries = (): string[] => (fs.existsSync(packs()) ? fs.readdirSync(packs()) : []);
const labels = (dir: string): string => fs.readFileSync(path.join(dir, 'partials/dockerfile/labels.hbs'), 'utf8');

/** A tiny valid pack (also an npm package) in `dir`. */
function writePack(dir: string, version: string, label = `LABEL acme.version=${version}\n`): void {
  fs.mkdirSync(path.join(dir, 'partials', 'dockerfile'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pack.yaml'), `name: acme-test-pack\nversion: ${version}\n`);
  const manifest = { name: 'acme-test-pack', version, files: ['pack.yaml', 'partials'] };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'partials', 'dockerfile', 'labels.hbs'), label);
}

interface NpmReport {
  name: string;
  version: string;
  integrity: string;
  filename: string;
}

/** `npm pack` run in `dir` into `dest`: what its --json report says. */
function npmPackFolder(dir: string, dest: string): NpmReport {
  const out = execFileSync('npm', ['pack', '--pack-destination', dest, '--json', '--ignore-scripts'], {
    cwd: dir,
    env: { ...process.env, npm_config_ignore_scripts: 'true' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out.toString('utf8')) as NpmReport[])[0]!;
}

/** The error `p` rejects with: a UsageError saying the pinned pack is gone, naming each of `names`. */
async function notAsPinned(p: Promise<unknown>, ...names: string[]): Promise<void> {
  const error = await rejection(p);
  expect(error.name).toBe('UsageError');
  expect(error.message).toMatch(/is no longer available as pinned: .*run `dockforge generate --update-pack`/);
  for (const name of names) expect(error.message).toContain(name);
}

const rejection = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
};

describe('local folder', () => {
  it('pins the content, keeps the pinned snapshot after an edit, refuses a pin the folder no longer has', async () => {
    const root = temp();
    const folder = path.join(root, 'team-pack');
    writePack(folder, '1.0.0');
    const first = await fetchPack('team-pack', root);
    expect(first.pin).toMatchObject({ source: 'team-pack', kind: 'local', name: 'acme-test-pack', version: '1.0.0' });
    expect(first.pin.integrity).toMatch(/^sha256-[A-Za-z0-9+/]+=*$/);
    expect(fs.existsSync(path.join(first.dir, 'pack.yaml'))).toBe(true);
    expect(first.dir.startsWith(packs())).toBe(true);

    // the integrity is the documented byte format: path NUL length NUL content, in byte order of the paths
    const hash = createHash('sha256');
    for (const rel of ['pack.yaml', 'package.json', 'partials/dockerfile/labels.hbs']) {
      const data = fs.readFileSync(path.join(folder, rel));
      hash.update(Buffer.concat([Buffer.from(`${rel}\0${data.length}\0`), data]));
    }
    expect(first.pin.integrity).toBe(`sha256-${hash.digest('base64')}`);

    fs.writeFileSync(path.join(folder, 'partials', 'dockerfile', 'labels.hbs'), 'LABEL acme.edited=true\n');
    const second = await fetchPack('team-pack', root);
    expect(second.pin.integrity).not.toBe(first.pin.integrity);
    expect(labels(second.dir)).toBe('LABEL acme.edited=true\n');

    const again = await pinnedPack(first.pin, root);
    expect(again.pin).toEqual(first.pin);
    expect(labels(again.dir)).toBe('LABEL acme.version=1.0.0\n');

    emptyCache();
    await notAsPinned(pinnedPack(first.pin, root), '"team-pack"', first.pin.integrity, second.pin.integrity);
    // the current content is still available as pinned: read again from the folder
    expect(labels((await pinnedPack(second.pin, root)).dir)).toBe('LABEL acme.edited=true\n');
  });
});

describe('npm tarball', () => {
  it('pins what npm reports, fetches the pinned tarball again and refuses different bytes', async () => {
    const root = temp();
    const src = temp();
    writePack(src, '1.0.0');
    const report1 = npmPackFolder(src, root);
    expect(report1.filename).toBe('acme-test-pack-1.0.0.tgz');
    const first = await fetchPack('./acme-test-pack-1.0.0.tgz', root);
    expect(first.pin).toEqual({
      source: './acme-test-pack-1.0.0.tgz',
      kind: 'npm',
      name: report1.name,
      version: report1.version,
      integrity: report1.integrity,
    });
    expect(first.pin.integrity).toMatch(/^sha512-/);
    expect(fs.readFileSync(path.join(first.dir, 'pack.yaml'), 'utf8')).toContain('version: 1.0.0');
    expect(labels(first.dir)).toBe('LABEL acme.version=1.0.0\n');

    writePack(src, '1.1.0');
    const report2 = npmPackFolder(src, root);
    const second = await fetchPack('./acme-test-pack-1.1.0.tgz', root);
    expect(second.pin).toMatchObject({ version: '1.1.0', integrity: report2.integrity });
    expect(second.pin.integrity).not.toBe(first.pin.integrity);

    emptyCache();
    const again = await pinnedPack(first.pin, root);
    expect(again.pin).toEqual(first.pin);
    expect(labels(again.dir)).toBe('LABEL acme.version=1.0.0\n');
    expect(cacheEntries()).toHaveLength(1);

    // the same name and version, other bytes
    writePack(src, '1.0.0', 'LABEL acme.tampered=true\n');
    npmPackFolder(src, root);
    emptyCache();
    await notAsPinned(
      pinnedPack(first.pin, root),
      '"./acme-test-pack-1.0.0.tgz"',
      first.pin.integrity,
      'acme-test-pack@1.0.0',
    );
    expect(cacheEntries()).toEqual([]);
  });
});

describe('git', () => {
  it('pins the commit and gets the pinned commit by its id after the tag moved', async () => {
    const base = temp();
    const bare = path.join(base, 'pack.git');
    const work = path.join(base, 'work');
    const git = (...args: string[]): string =>
      execFileSync(
        'git',
        [
          ...['-c', 'user.name=Dockforge Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main'],
          ...['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'],
          ...args,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
        .toString('utf8')
        .trim();
    git('init', '--quiet', '--bare', bare);
    git('init', '--quiet', work);
    writePack(work, '1.0.0');
    git('-C', work, 'add', '-A');
    git('-C', work, 'commit', '--quiet', '-m', 'pack 1.0.0');
    git('-C', work, 'tag', 'v1.0.0');
    const sha1 = git('-C', work, 'rev-parse', 'HEAD');
    writePack(work, '1.1.0');
    git('-C', work, 'commit', '--quiet', '-am', 'pack 1.1.0');
    git('-C', work, 'tag', 'v1.1.0');
    const sha2 = git('-C', work, 'rev-parse', 'HEAD');
    git('-C', work, 'push', '--quiet', bare, 'HEAD:refs/heads/main', '--tags');

    const root = temp();
    const source = `git+file://${bare}#v1.0.0`;
    const first = await fetchPack(source, root);
    expect(first.pin).toEqual({
      source,
      kind: 'git',
      name: 'acme-test-pack',
      version: '1.0.0',
      integrity: `git:${sha1}`,
    });
    expect(labels(first.dir)).toBe('LABEL acme.version=1.0.0\n');
    expect(fs.existsSync(path.join(first.dir, '.git'))).toBe(false);

    // a URL ending in .git is git without the git+ prefix
    const newer = await fetchPack(`file://${bare}#v1.1.0`, root);
    expect(newer.pin).toMatchObject({ kind: 'git', version: '1.1.0', integrity: `git:${sha2}` });

    // move v1.0.0 to the 1.1.0 commit
    git('-C', work, 'tag', '-f', 'v1.0.0', sha2);
    git('-C', work, 'push', '--quiet', '--force', bare, 'refs/tags/v1.0.0');
    expect((await fetchPack(source, root)).pin.integrity).toBe(`git:${sha2}`);

    // the pinned commit, fetched by its id (git protocol v2 serves any commit of the repository)
    emptyCache();
    const again = await pinnedPack(first.pin, root);
    expect(again.pin).toEqual(first.pin);
    expect(labels(again.dir)).toBe('LABEL acme.version=1.0.0\n');
    expect(fs.existsSync(path.join(again.dir, '.git'))).toBe(false);

    // a commit the repository does not have: not available as pinned
    emptyCache();
    const lost = { ...first.pin, integrity: `git:${'f'.repeat(40)}` };
    await notAsPinned(pinnedPack(lost, root), lost.integrity, `v1.0.0 at git:${sha2}`, 'by its id');
    expect(cacheEntries()).toEqual([]);
  });
});

describe('refusals', () => {
  /** A tarball `name` in `root` of folder `package/` (a valid pack) plus whatever `extra` adds. */
  async function badTarball(root: string, name: string, extra: (pkg: string) => void, more: string[] = []) {
    const dir = temp();
    const pkg = path.join(dir, 'package');
    writePack(pkg, '1.0.0');
    extra(pkg);
    await tarCreate({ gzip: true, file: path.join(root, name), cwd: dir, portable: true }, ['package', ...more]);
  }

  async function refused(source: string, root: string, cause: RegExp): Promise<void> {
    const error = await rejection(fetchPack(source, root));
    expect(error.name).toBe('UsageError');
    expect(error.message).toMatch(cause);
    expect(cacheEntries()).toEqual([]);
  }

  it('refuses a tarball with a symbolic link', async () => {
    const root = temp();
    await badTarball(root, 'link.tgz', (pkg) => fs.symlinkSync('/etc/passwd', path.join(pkg, 'partials', 'x.hbs')));
    await refused(
      './link.tgz',
      root,
      /^refusing pack "\.\/link\.tgz": entry "package\/partials\/x\.hbs" is a symbolic link/,
    );
  });

  it('refuses a tarball with a hard link', async () => {
    const root = temp();
    await badTarball(root, 'hard.tgz', (pkg) => fs.linkSync(path.join(pkg, 'pack.yaml'), path.join(pkg, 'copy.yaml')));
    await refused('./hard.tgz', root, /is a hard link/);
  });

  it('refuses a tarball with a ../ entry', async () => {
    const root = temp();
    const dir = temp();
    writePack(path.join(dir, 'in', 'package'), '1.0.0');
    fs.writeFileSync(path.join(dir, 'x'), 'outside\n');
    const file = path.join(root, 'dotdot.tgz');
    await tarCreate({ gzip: true, file, cwd: path.join(dir, 'in'), preservePaths: true }, ['package', '../x']);
    await refused('./dotdot.tgz', root, /entry "\.\.\/x" leaves the pack/);
    expect(fs.existsSync(path.join(packs(), '..', 'x'))).toBe(false);
  });

  it('refuses a tarball with 1001 files', async () => {
    const root = temp();
    await badTarball(root, 'many.tgz', (pkg) => {
      fs.mkdirSync(path.join(pkg, 'many'));
      for (let i = 0; i < 1001; i++) fs.writeFileSync(path.join(pkg, 'many', `f${i}.txt`), `${i}\n`);
    });
    await refused('./many.tgz', root, /: at least 1001 files \(the limit is 1000\)$/);
  });

  it('refuses a tarball with a 6 MB file', async () => {
    const root = temp();
    await badTarball(root, 'big.tgz', (pkg) => fs.writeFileSync(path.join(pkg, 'big.bin'), randomBytes(6 << 20)));
    await refused('./big.tgz', root, /bytes unpacked \(the limit is 5 MB\)$/);
  });

  it('refuses a local folder with a symbolic link', async () => {
    const root = temp();
    writePack(path.join(root, 'team'), '1.0.0');
    fs.symlinkSync('/etc/passwd', path.join(root, 'team', 'partials', 'passwd.hbs'));
    await refused('team', root, /"partials\/passwd\.hbs" is a symbolic link/);
  });

  it('refuses sources that would read as options, bad names and other transports', async () => {
    const root = temp();
    await refused('--upload-pack=touch /tmp/x', root, /cannot be empty or start with "-"/);
    await refused('-x.tgz', root, /start with "-"/);
    await refused('Not A Package', root, /invalid pack source "Not A Package"/);
    await refused('git+ext::sh -c touch% /tmp/x.git#v1', root, /https, http, ssh, git or file/);
    await refused('./missing.tgz', root, /npm pack failed: .*missing\.tgz/);
  });

  it('names the program that is missing (npm, git) as an environment error', async () => {
    const root = temp();
    const saved = process.env.PATH;
    process.env.PATH = temp();
    try {
      const npm = await rejection(fetchPack('./absent.tgz', root));
      expect(npm).toMatchObject({ name: 'EnvironmentError', exitCode: 3 });
      expect(npm.message).toMatch(/^cannot run npm: .*install npm/);
      const git = await rejection(fetchPack('git+file:///nowhere/pack.git#v1.0.0', root));
      expect(git).toMatchObject({ name: 'EnvironmentError', exitCode: 3 });
      expect(git.message).toMatch(/^cannot run git: .*install git/);
    } finally {
      process.env.PATH = saved;
    }
    expect(cacheEntries()).toEqual([]);
  });
});
