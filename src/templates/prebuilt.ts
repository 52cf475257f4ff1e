/**
 * What the build computed from the built-in pack, keyed by the sha256 (hex) of each source text:
 * Handlebars template specifications (`Handlebars.precompile` with {@link COMPILE_OPTIONS} of
 * `compile.ts`) and YAML documents as JSON text. Run from source (tests, `tsx`) this module is
 * empty and everything is compiled or parsed at run time; the bundle (`npm run build`,
 * scripts/build.ts) replaces it with the precompiled tables. A key that misses (an edited
 * template, a team pack) is compiled at run time, so the tables are only ever a shortcut.
 */
/** The build's precompiled tables (see the module comment). */
export interface Prebuilt {
  /** sha256 of a template's text → its template specification (the object `Handlebars.template` takes). */
  templates: Record<string, object>;
  /** sha256 of a YAML file's text → the document as JSON text. */
  yaml: Record<string, string>;
}

/** Empty here; filled in the bundle. */
export const PREBUILT: Prebuilt = { templates: {}, yaml: {} };
