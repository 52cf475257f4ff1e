/**
 * Where the e2e, the stand-in base builder (proof/bases), the smoke test and the bench keep their
 * containers-storage: a private vfs store under the e2e cache directory, never the machine's default
 * (`/var/lib/containers/storage`, `/run/containers/storage`, `/run/libpod`).
 *
 * Why: Podman records the graph driver of its store in its database (`<root>/libpod`); a machine
 * where Podman already used the default store with overlay refuses the e2e's vfs flags with
 * `database storage graph driver "" does not match our storage graph driver "vfs"`. A store of our
 * own also never touches the user's images and containers.
 *
 * Layout (`<cache>` = DOCKFORGE_E2E_CACHE, default `<repo>/.e2e-cache/bases`):
 *
 * ```
 * <cache>/containers/storage   root: images, containers, Podman's database and volumes
 * <cache>/containers/run       runroot: lock and state files; Podman's --tmpdir is <runroot>/libpod
 * ```
 *
 * DOCKFORGE_E2E_STORAGE_ROOT and DOCKFORGE_E2E_STORAGE_RUNROOT override each path. A fresh store
 * holds no stand-in base: proof/bases imports them again from the OCI archives of `<cache>/images`
 * (seconds to minutes) or builds them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The stand-in cache: DOCKFORGE_E2E_CACHE, else `<repo>/.e2e-cache/bases`. */
export function e2eCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DOCKFORGE_E2E_CACHE || path.join(REPO, '.e2e-cache', 'bases'));
}

/** The e2e's containers-storage locations. */
export interface E2eStorage {
  /** vfs: no kernel overlay needed, works in nested containers; the stand-ins are built with it. */
  driver: 'vfs';
  /** `--root`: images, containers, Podman's database (static dir) and volumes. */
  root: string;
  /** `--runroot`: transient locks and state. */
  runroot: string;
  /** Podman's `--tmpdir` (libpod's transient state, default /run/libpod): `<runroot>/libpod`. */
  tmpdir: string;
  /** Podman's `--volumepath`: `<root>/volumes`. */
  volumepath: string;
}

/**
 * The e2e's storage: root and runroot from DOCKFORGE_E2E_STORAGE_ROOT / _RUNROOT, else
 * `<cache>/containers/storage` and `<cache>/containers/run` (see {@link e2eCacheDir}).
 */
export function e2eStorage(env: NodeJS.ProcessEnv = process.env): E2eStorage {
  const base = path.join(e2eCacheDir(env), 'containers');
  const root = path.resolve(env.DOCKFORGE_E2E_STORAGE_ROOT || path.join(base, 'storage'));
  const runroot = path.resolve(env.DOCKFORGE_E2E_STORAGE_RUNROOT || path.join(base, 'run'));
  return { driver: 'vfs', root, runroot, tmpdir: path.join(runroot, 'libpod'), volumepath: path.join(root, 'volumes') };
}

/** Global flags for buildah (and podman): `--storage-driver vfs --root R --runroot RR`. */
export function buildahStorageFlags(s: E2eStorage = e2eStorage()): string[] {
  return ['--storage-driver', s.driver, '--root', s.root, '--runroot', s.runroot];
}

/**
 * Global flags for podman: {@link buildahStorageFlags} plus `--tmpdir` and `--volumepath`, so no
 * libpod state (database, alive lock, named volumes) lands in the default locations either.
 */
export function podmanStorageFlags(s: E2eStorage = e2eStorage()): string[] {
  return [...buildahStorageFlags(s), '--tmpdir', s.tmpdir, '--volumepath', s.volumepath];
}

/** The machine's default containers-storage and libpod paths (rootful), which the e2e never uses. */
export const DEFAULT_STORAGE_PATHS = [
  '/var/lib/containers/storage',
  '/run/containers/storage',
  '/var/run/containers/storage',
  '/run/libpod',
  '/var/run/libpod',
] as const;
