/**
 * vitest global setup: the test run gets a cache folder of its own (`XDG_CACHE_HOME`, see
 * `cacheFolder` in src/files.ts), so tests neither read the V8 data and parsed answers of the
 * user's own runs nor leave theirs in `~/.cache/dockforge`. Removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dockforge-test-cache-'));
  process.env.XDG_CACHE_HOME = home;
  return () => rmSync(home, { recursive: true, force: true });
}
