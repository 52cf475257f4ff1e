#!/usr/bin/env node
/**
 * The `dockforge` executable (`dist/cli/main.cjs`, the package's `bin`): prints the version for a
 * lone `--version` without loading the CLI, and otherwise runs the CLI bundle
 * (`dist/cli/dockforge-<hash>.cjs`, one CommonJS file made by scripts/build.ts from `main.ts`)
 * with compiled code reused from the previous run:
 *
 * - Node ≥ 22.1: Node's own module compile cache (`module.enableCompileCache`), then `require`.
 * - Node 20–22.0 (no compile cache): V8's code cache through `vm.Script` — the bundle is run with
 *   the `cachedData` of an earlier run of the same command; after a successful run (exit 0)
 *   without usable data, `script.createCachedData()` at exit (it then holds every function that run compiled, not only
 *   the top level: why not the `v8-compile-cache` package, which stores data made before the
 *   code runs, in a shared folder under the system temp directory). The data is kept in
 *   `$XDG_CACHE_HOME/dockforge/v8/` (default `~/.cache/dockforge/v8/`, mode 0700), one file per
 *   build, V8 version, CPU architecture, Node options (see `optionsTag`) and command. The build's
 *   part of the name is the content hashes of the bundle and of this file, so V8 is never handed
 *   data of other code (V8 itself checks only the source length, its version and flags). Data
 *   V8 rejects is replaced; files of other builds are removed when a new one is written. A
 *   folder or file not owned by the user is not used.
 *   `NODE_DISABLE_COMPILE_CACHE=1` turns it off (as it does Node's cache).
 *
 * Any failure to read or write the cache only costs time: the bundle then runs without it.
 *
 * This file is CommonJS (built to `main.cjs`): an ES module as the entry makes Node start its
 * ES module loader first, which the bundle never uses (`npm run bench`: about 3% of a run).
 */
import { readFileSync } from 'node:fs';
import nodeModule, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { cacheFolder, readCache, writeCache } from '../files.js';

/** The CLI bundle's file name, `dockforge-<content hash>.cjs`: set by scripts/build.ts. */
declare const DOCKFORGE_BUNDLE: string;
/**
 * The key of this build's code cache files: the bundle's content hash and that of this file's
 * source (how this file compiles and runs the bundle is part of what the data fits).
 */
declare const DOCKFORGE_CACHE_KEY: string;

/** Commands whose runs get a code cache file of their own (the functions each one runs differ). */
const COMMANDS = new Set(['init', 'generate', 'gen', 'status', 'detect', 'templates', 'completion']);

/**
 * A tag for the options Node runs with (`process.execArgv` and `NODE_OPTIONS`, which may set V8
 * flags: V8 rejects data made under other flags), so that runs with and without them keep a
 * file each instead of replacing each other's: '' without options, else `-` and a 32-bit FNV-1a
 * hash in hex.
 */
function optionsTag(): string {
  const text = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim();
  if (text === '') return '';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `-${(h >>> 0).toString(16)}`;
}

/** Run the CommonJS bundle `bundle` (absolute) in this context with V8 code cache data. */
function runWithCodeCache(bundle: string, command: string): void {
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const prefix = `dockforge-${DOCKFORGE_CACHE_KEY}-`;
  const name = `${prefix}${process.versions.v8}-${process.arch}${optionsTag()}-${command}.bin`;
  const cachedData = readCache('v8', name);
  const script = new vm.Script(nodeModule.wrap(source), {
    filename: bundle,
    cachedData,
  });
  if (cacheFolder('v8') && (cachedData === undefined || script.cachedDataRejected)) {
    // only a run that succeeded: a usage error compiles little of what the command runs, and
    // data that V8 accepts is kept as it is; other builds' files go
    process.once('exit', (code) => {
      if (code !== 0) return;
      const stale = (other: string): boolean => other.startsWith('dockforge-') && !other.startsWith(prefix);
      writeCache('v8', name, script.createCachedData(), { stale });
    });
  }
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  const mod = { exports: {} };
  wrapper.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  // as yargs prints it; a closed stdout ends quietly (see main.ts)
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else {
  const bundle = path.join(__dirname, DOCKFORGE_BUNDLE);
  const enableCompileCache = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
  if (enableCompileCache || process.env.NODE_DISABLE_COMPILE_CACHE) {
    try {
      enableCompileCache?.();
    } catch {
      /* no cache: only slower */
    }
    createRequire(__filename)(bundle);
  } else {
    runWithCodeCache(bundle, COMMANDS.has(args[0] ?? '') ? args[0]! : 'other');
  }
}
