/**
 * Facts shared by language modules (not a language itself).
 */
import type { Answers } from '../vocabulary.js';

/**
 * The compose healthcheck on Alpine: BusyBox `wget`, present in every Alpine-based image.
 * @returns exec form `["CMD", "wget", "-q", "-O", "/dev/null", url]`.
 */
export function wgetHealthcheck(a: Answers): string[] {
  return ['CMD', 'wget', '-q', '-O', '/dev/null', healthUrl(a)];
}

/** The health endpoint as seen from inside the container: `http://127.0.0.1:<port><path>`. */
export function healthUrl(a: Answers): string {
  return `http://127.0.0.1:${a.port}${a.healthPath}`;
}

/** The last stage, as listed in README.Docker.md. */
export function runtimeStage(a: Answers) {
  const what = a.base === 'distroless' ? 'distroless (no shell, no package manager)' : 'Alpine';
  return { name: 'runtime', what: `the image you ship: ${what}, non-root` };
}
