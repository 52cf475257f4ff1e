/**
 * The registry: the one list of language modules and backing-service modules. The CLI's
 * choices, `--help`, prompts, errors, the field table, detection, rendering, the tests and the
 * e2e all read their lists from here. Adding a language or a service is adding a module here,
 * plus its template folder (see docs/architecture.md).
 */
import { c } from './stacks/c.js';
import { go } from './stacks/go.js';
import { node } from './stacks/node.js';
import { staticSite } from './stacks/static.js';
import type { LanguageSupport } from './stacks/types.js';
import { postgres } from './services/postgres.js';
import { redis } from './services/redis.js';
import { sqlite } from './services/sqlite.js';
import type { ServiceSupport } from './services/types.js';

export type { LanguageSupport, ServiceSupport };

/**
 * Registered languages, in the order choices are listed and detection tries them: a static site
 * before Node.js (a package.json that both identify is a static site unless it runs a server),
 * after Go (a Go service with a front end's package.json at its root stays Go).
 */
const languages: LanguageSupport[] = [go, staticSite, node, c];
/** Registered backing services, in the order choices are listed. */
const services: ServiceSupport[] = [sqlite, postgres, redis];

/** Every registered language. */
export function allLanguages(): readonly LanguageSupport[] {
  return languages;
}

/** Every registered backing service. */
export function allServices(): readonly ServiceSupport[] {
  return services;
}

/** The service kinds (each one answer, e.g. `database`), in registration order. */
export function serviceKinds(): string[] {
  return [...new Set(services.map((s) => s.kind))];
}

/** Services of one kind. */
export function servicesOfKind(kind: string): ServiceSupport[] {
  return services.filter((s) => s.kind === kind);
}

/** A language by id; undefined when not registered. */
export function findLanguage(id: string): LanguageSupport | undefined {
  return languages.find((l) => l.id === id);
}

/**
 * True for a language whose code runs in the browser, not in a server process of its own (a
 * static site: `backingServices: false`): its calls to other services come from the browser.
 */
export function runsInBrowser(id: string): boolean {
  return findLanguage(id)?.backingServices === false;
}

/** A service by id; undefined when not registered. */
export function findService(id: string): ServiceSupport | undefined {
  return services.find((s) => s.id === id);
}

const ID = /^[a-z][a-z0-9]*$/;

/**
 * Register a further language (a plugin, or a test's throwaway language). Its templates live
 * in the pack under `languages/<id>/`.
 * @throws Error when the id is malformed or already taken, or a field key collides.
 */
export function registerLanguage(lang: LanguageSupport): void {
  if (!ID.test(lang.id))
    throw new Error(`language id ${JSON.stringify(lang.id)}: expected lowercase letters and digits`);
  if (findLanguage(lang.id)) throw new Error(`language ${lang.id} is already registered`);
  const keys = new Set(languages.flatMap((l) => l.fields.map((f) => f.key)));
  for (const f of lang.fields) if (keys.has(f.key)) throw new Error(`field ${f.key} of ${lang.id} is already defined`);
  languages.push(lang);
}

/**
 * Register a further backing service; its templates live under `services/<id>/`.
 * @throws Error when the id is malformed or already taken.
 */
export function registerService(service: ServiceSupport): void {
  if (!ID.test(service.id) || service.id === 'none')
    throw new Error(`service id ${JSON.stringify(service.id)} is not allowed`);
  if (findService(service.id)) throw new Error(`service ${service.id} is already registered`);
  services.push(service);
}

/** Remove a language registered by {@link registerLanguage} (tests). */
export function unregisterLanguage(id: string): void {
  const i = languages.findIndex((l) => l.id === id);
  if (i >= 0) languages.splice(i, 1);
}
