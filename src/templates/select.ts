/**
 * Which packs a run renders with, and how they are pinned: the repository's own overrides
 * (`.dockforge/templates/`) over the team pack (`--pack SOURCE`, or the one answers.yaml pins)
 * over its `extends` chain over the built-in pack. A pinned pack is used exactly as pinned
 * (same version and integrity) until `generate --update-pack` fetches its source again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { PackLayer, ResolvedPack } from './pack.js';
import { BUILTIN_PACK, LOCAL_TEMPLATES, builtinPackDir, layerLabel, loadLayer, resolvePack } from './pack.js';
import type { PackPin } from '../vocabulary.js';
import type { FetchedPack } from './source.js';

/** Sources that mean "no team pack: the built-in one" for `--pack`. */
export const BUILTIN_SOURCES = ['builtin', BUILTIN_PACK] as const;

/** Longest `extends` chain followed (a team pack over a team pack over …). */
const MAX_CHAIN = 5;

/** Largest repository-local overrides folder: the same bounds as a fetched pack. */
const LOCAL_MAX_FILES = 1000;
const LOCAL_MAX_BYTES = 5 * 1024 * 1024;

/** What a run asks for. */
export interface PackChoice {
  /** Absolute project root (relative sources are relative to it). */
  root: string;
  /** `--pack SOURCE` given now (`builtin`: no team pack). */
  source?: string;
  /** `generate --update-pack`: fetch the pinned sources again and pin what they give now. */
  update?: boolean;
  /** The pins answers.yaml holds, the team pack first, then its `extends` chain. */
  pins: readonly PackPin[];
  /** `--trust` given now: the packs' own helpers may run. */
  trust?: boolean;
  /** Integrities whose helpers the user trusted before (answers.yaml). */
  trusted: readonly string[];
}

/** What a run renders with. */
export interface PackSelection {
  pack: ResolvedPack;
  /** The pins to record: the team pack first, then its chain; [] for the built-in pack alone. */
  pins: PackPin[];
  /** The integrities of the pinned packs with helpers that are trusted (to record). */
  trusted: string[];
  /** `name@version` of each pinned pack whose version or integrity changed from the recorded pins. */
  changes: { from?: string; to?: string }[];
}

/**
 * Select, fetch (or take from the cache) and resolve the packs of a run.
 * @throws UsageError (exit 2, nothing written) when a source cannot be fetched or no longer
 *   gives the pinned pack, a pack is malformed, an `extends` range is not met, the chain loops
 *   or is longer than 5, a pack with helpers is not trusted, or the overrides folder is too large.
 * @throws EnvironmentError (exit 3) when npm or git is needed and missing.
 */
export async function selectPack(choice: PackChoice): Promise<PackSelection> {
  const { root } = choice;
  const builtin = choice.source !== undefined && (BUILTIN_SOURCES as readonly string[]).includes(choice.source);
  let chain: { layer: PackLayer; pin: PackPin }[] = [];
  let standalone = false;
  if (!builtin && (choice.source !== undefined || choice.pins.length > 0)) {
    // fetching (npm, git, tar) loads only when there is a team pack
    const source = await import('./source.js');
    const top =
      choice.source !== undefined
        ? await source.fetchPack(choice.source, root)
        : choice.update
          ? await source.fetchPack(choice.pins[0]!.source, root)
          : await source.pinnedPack(choice.pins[0]!, root);
    ({ chain, standalone } = await extendsChain(top, choice, source));
  }
  const layers = [...chain].reverse().map((c) => c.layer);
  const local = localOverrides(root);
  if (local) layers.push(await loadLayer(local, 'local'));
  const pins = chain.map((c) => c.pin);
  const trustedNow = (layer: PackLayer): boolean => {
    const pin = chain.find((c) => c.layer === layer)?.pin;
    return Boolean(choice.trust) || (pin !== undefined && choice.trusted.includes(pin.integrity));
  };
  const trusted = chain.filter((c) => c.layer.helpers && trustedNow(c.layer)).map((c) => c.pin.integrity);
  const pack = await resolvePack(layers, { standalone, trust: trustedNow, pins, trusted });
  const label = (p: PackPin | undefined): string | undefined => (p ? `${p.name}@${p.version}` : undefined);
  const changes: PackSelection['changes'] = [];
  for (let i = 0; i < Math.max(pins.length, choice.pins.length); i++) {
    const [before, after] = [choice.pins[i], pins[i]];
    if (before?.integrity !== after?.integrity) changes.push({ from: label(before), to: label(after) });
  }
  return { pack, pins, trusted, changes };
}

/**
 * The team pack `top` and the packs its `extends` names, top first, each loaded (and checked)
 * once; `standalone` when the last one extends nothing (no built-in pack below it). A parent
 * pinned in `choice.pins` at the same depth, from the same source, is taken as pinned unless the
 * run fetches anew (`--pack`, `--update-pack`).
 * @throws UsageError for a loop, a chain longer than {@link MAX_CHAIN}, a range that is no semver
 *   range or is not met (by the built-in pack or by what the source gives), an extends without a
 *   source (other than the built-in pack).
 */
async function extendsChain(
  top: FetchedPack,
  choice: PackChoice,
  source: typeof import('./source.js'),
): Promise<{ chain: { layer: PackLayer; pin: PackPin }[]; standalone: boolean }> {
  // semver (outside the bundle, like tar): only a run with a team pack loads it
  const semver = (await import('semver')).default;
  const builtinVersion = (await loadLayer(builtinPackDir())).version;
  const chain: { layer: PackLayer; pin: PackPin }[] = [];
  let cur = top;
  let layer = await loadLayer(top.dir, 'team');
  for (let depth = 0; ; depth++) {
    if (chain.some((c) => c.layer.name === layer.name)) {
      throw new UsageError(`invalid pack ${layer.name}: its extends chain comes back to it`);
    }
    chain.push({ layer, pin: cur.pin });
    const ext = layer.extends;
    if (!ext) return { chain, standalone: true };
    if (!semver.validRange(ext.version)) {
      throw new UsageError(`invalid pack ${layerLabel(layer)}: extends version ${ext.version} is not a semver range`);
    }
    if (ext.name === BUILTIN_PACK && ext.source === undefined) {
      if (!semver.satisfies(builtinVersion, ext.version)) {
        throw new UsageError(
          `pack ${layerLabel(layer)} extends ${BUILTIN_PACK}@${ext.version}, but this dockforge's is ` +
            `${builtinVersion}: use a dockforge whose built-in pack matches, ` +
            `or a version of the pack made for ${builtinVersion}`,
        );
      }
      return { chain, standalone: false };
    }
    if (ext.source === undefined) {
      throw new UsageError(
        `invalid pack ${layerLabel(layer)}: extends ${ext.name} needs a source (only ${BUILTIN_PACK} has none)`,
      );
    }
    if (depth + 1 >= MAX_CHAIN) {
      throw new UsageError(`invalid pack ${layer.name}: extends chain longer than ${MAX_CHAIN}`);
    }
    const pinned = choice.pins[depth + 1];
    const keep = !choice.update && choice.source === undefined && pinned?.source === ext.source;
    cur = keep ? await source.pinnedPack(pinned!, choice.root) : await source.fetchPack(ext.source, choice.root);
    const parent = await loadLayer(cur.dir, 'team');
    if (parent.name !== ext.name || !semver.satisfies(parent.version, ext.version)) {
      throw new UsageError(
        `pack ${layerLabel(layer)} extends ${ext.name}@${ext.version}, but ${ext.source} gives ${layerLabel(parent)}`,
      );
    }
    layer = parent;
  }
}

/**
 * The repository's overrides folder (`.dockforge/templates/`) when it exists: a real folder
 * inside the project (not a symlink), at most 1000 files and 5 MB, none of them a symlink.
 * @throws UsageError naming the folder and the bound it breaks.
 */
export function localOverrides(root: string): string | undefined {
  const dir = path.join(root, LOCAL_TEMPLATES);
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (!st.isDirectory()) throw new UsageError(`refusing ${LOCAL_TEMPLATES}: not a folder (a symlink or a file)`);
  let files = 0;
  let bytes = 0;
  const walk = (abs: string): void => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const p = path.join(abs, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files += 1;
        bytes += fs.statSync(p).size;
      } else {
        throw new UsageError(`refusing ${path.relative(root, p)}: not a regular file (overrides are plain files)`);
      }
      if (files > LOCAL_MAX_FILES) {
        throw new UsageError(`refusing ${LOCAL_TEMPLATES}: more than ${LOCAL_MAX_FILES} files`);
      }
      if (bytes > LOCAL_MAX_BYTES) throw new UsageError(`refusing ${LOCAL_TEMPLATES}: more than 5 MB`);
    }
  };
  walk(dir);
  return dir;
}
