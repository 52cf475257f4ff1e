#!/usr/bin/env node
/**
 * The `dockforge` executable (the bundle's entry point, `dist/cli/main.js`): turns on Node's
 * module compile cache where Node has one (`module.enableCompileCache`, Node ≥ 22.1: compiled
 * code is reused by the next run; `NODE_DISABLE_COMPILE_CACHE=1` turns it off), prints the
 * version for a lone `--version` without loading the CLI, and otherwise loads `main.ts` (yargs
 * and the commands). Kept tiny: the cache covers what is loaded after it is turned on.
 */
import { readFileSync } from 'node:fs';
import module from 'node:module';

const enableCompileCache = (module as { enableCompileCache?: () => unknown }).enableCompileCache;
try {
  enableCompileCache?.();
} catch {
  /* no cache: only slower */
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  // as yargs prints it; a closed stdout ends quietly (see main.ts)
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else {
  await import('./main.js');
}
