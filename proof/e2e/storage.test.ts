/**
 * The e2e's containers-storage defaults (proof/e2e/storage.ts): its own store under the cache
 * directory, never the machine's default, for the e2e, the stand-in builder and the bench.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../bases/cli.js';
import { podmanEngine } from './run.js';
import { DEFAULT_STORAGE_PATHS, buildahStorageFlags, e2eCacheDir, e2eStorage, podmanStorageFlags } from './storage.js';

/** The value following `flag` in `args`. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Whether `p` is one of the default storage paths or inside one. */
function inDefaultStorage(p: string): boolean {
  return DEFAULT_STORAGE_PATHS.some((d) => p === d || p.startsWith(`${d}/`));
}

describe('e2e storage defaults', () => {
  for (const [label, env] of [
    ['no environment', {}],
    ['CI cache', { DOCKFORGE_E2E_CACHE: '/var/cache/dockforge/e2e' }],
  ] as const) {
    it(`${label}: root, runroot, tmpdir and volume path live under the cache directory`, () => {
      const cache = e2eCacheDir(env);
      const s = e2eStorage(env);
      for (const p of [s.root, s.runroot, s.tmpdir, s.volumepath]) {
        expect(path.isAbsolute(p)).toBe(true);
        expect(p.startsWith(`${cache}/`), p).toBe(true);
        expect(inDefaultStorage(p), p).toBe(false);
      }
      expect(s.driver).toBe('vfs');
    });
  }

  it('every tool gets explicit --root and --runroot; podman also --tmpdir and --volumepath', () => {
    const env = { DOCKFORGE_E2E_CACHE: '/var/cache/dockforge/e2e' };
    const s = e2eStorage(env);
    const buildah = buildahStorageFlags(s);
    expect(buildah).toEqual([
      '--storage-driver',
      'vfs',
      '--root',
      '/var/cache/dockforge/e2e/containers/storage',
      '--runroot',
      '/var/cache/dockforge/e2e/containers/run',
    ]);
    const podman = podmanStorageFlags(s);
    expect(flagValue(podman, '--tmpdir')).toBe('/var/cache/dockforge/e2e/containers/run/libpod');
    expect(flagValue(podman, '--volumepath')).toBe('/var/cache/dockforge/e2e/containers/storage/volumes');
  });

  it('the engine the e2e builds with passes them to buildah and podman', () => {
    const engine = podmanEngine('/tmp/npmrc');
    for (const flag of ['--root', '--runroot', '--tmpdir', '--volumepath']) {
      const v = flagValue(engine.cliFlags, flag);
      expect(v, flag).toBeDefined();
      expect(inDefaultStorage(v!), `${flag} ${v}`).toBe(false);
    }
    expect(flagValue(engine.cliFlags, '--storage-driver')).toBe('vfs');
  });

  it('the stand-in builder defaults to the same store, following --cache-dir', () => {
    const o = parseArgs(['--image', 'debian:trixie-slim'], { DOCKFORGE_E2E_CACHE: '/srv/cache' });
    expect(o.storageRoot).toBe('/srv/cache/containers/storage');
    expect(o.storageRunRoot).toBe('/srv/cache/containers/run');
    const moved = parseArgs(['--cache-dir', '/srv/other', '--image', 'debian:trixie-slim'], {});
    expect(moved.storageRoot).toBe('/srv/other/containers/storage');
  });

  it('DOCKFORGE_E2E_STORAGE_ROOT and _RUNROOT still override, and flags win over them', () => {
    const env = {
      DOCKFORGE_E2E_CACHE: '/srv/cache',
      DOCKFORGE_E2E_STORAGE_ROOT: '/srv/store',
      DOCKFORGE_E2E_STORAGE_RUNROOT: '/srv/run',
    };
    expect(e2eStorage(env)).toMatchObject({ root: '/srv/store', runroot: '/srv/run', tmpdir: '/srv/run/libpod' });
    expect(parseArgs(['--image', 'x:1'], env)).toMatchObject({ storageRoot: '/srv/store', storageRunRoot: '/srv/run' });
    expect(parseArgs(['--root', '/a', '--runroot', '/b', '--image', 'x:1'], env)).toMatchObject({
      storageRoot: '/a',
      storageRunRoot: '/b',
    });
  });
});
