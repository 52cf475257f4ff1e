/**
 * Facts shared by language modules (not a language itself).
 */
import type { Answers } from '../vocabulary.js';
import type { LanguageContext } from './types.js';

/**
 * The compose healthcheck on Alpine: BusyBox `wget`, present in every Alpine-based image.
 * @returns exec form `["CMD", "wget", "-q", "-O", "/dev/null", url]`.
 */
export function wgetHealthcheck(a: Answers): string[] {
  return ['CMD', 'wget', '-q', '-O', '/dev/null', healthUrl(a)];
}

/** True when the answers name an HTTP health path; `none` means TCP checks on the port. */
export function httpHealth(a: Answers): boolean {
  return a.healthPath !== 'none';
}

/**
 * The health check as seen from inside the container: `http://127.0.0.1:<port><path>`, or
 * `tcp://127.0.0.1:<port>` when there is no health path (the static probe understands both).
 */
export function healthUrl(a: Answers): string {
  return httpHealth(a) ? `http://127.0.0.1:${a.port}${a.healthPath}` : `tcp://127.0.0.1:${a.port}`;
}

/**
 * Whether a compiled language ships the static probe (`.dockforge/healthcheck/`): distroless
 * has no HTTP client or shell (distroless README), and a TCP check has no tool on Alpine that
 * behaves the same everywhere (BusyBox `nc` options vary by build).
 */
export function needsProbe(a: Answers): boolean {
  return a.base === 'distroless' || !httpHealth(a);
}

/** The compose healthcheck of a compiled language: the static probe, or BusyBox wget for HTTP on Alpine. */
export function compiledHealthcheck(a: Answers): string[] {
  return needsProbe(a) ? ['CMD', '/usr/local/bin/healthcheck', healthUrl(a)] : wgetHealthcheck(a);
}

/** The last stage, as listed in README.Docker.md. */
export function runtimeStage(a: Answers) {
  const what = a.base === 'distroless' ? 'distroless (no shell, no package manager)' : 'Alpine';
  return { name: 'runtime', what: `the image you ship: ${what}, non-root` };
}

/**
 * The part of a compiled language's context that Go and C share: one executable at
 * `/usr/local/bin/<bin>` run as the entrypoint (arguments go in compose `command:` /
 * Kubernetes `args:`, which replace CMD), the static probe or wget for the healthcheck, no
 * init in compose (the binary is PID 1's only child), and a rebuild on any change for
 * `compose watch` (Docker docs, "Compose Watch": `action: rebuild`).
 */
export function compiledRuntime(
  a: Answers,
  bin: string,
): Pick<
  LanguageContext,
  'bin' | 'healthcheck' | 'probe' | 'httpHealth' | 'composeInit' | 'watch' | 'entrypoint' | 'cmd'
> {
  return {
    bin,
    healthcheck: compiledHealthcheck(a),
    probe: needsProbe(a),
    httpHealth: httpHealth(a),
    composeInit: false,
    watch: [{ action: 'rebuild', path: '.' }],
    entrypoint: [`/usr/local/bin/${bin}`],
    cmd: [],
  };
}
