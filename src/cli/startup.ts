/**
 * Start-up shortcuts around yargs that change nothing it prints.
 */
import type { Argv } from 'yargs';

/**
 * Stop yargs from rendering the help text after it starts a command's handler: yargs (18) builds
 * and caches the command's whole `--help` text then (`usage.cacheHelpMessage`, for a later
 * `showHelp()` with the command's options), measuring every cell's width — the largest single
 * cost of a bundled `init --yes` start-up. dockforge never shows help after a handler has
 * started (`showHelpOnFail(false)`; failures print one line), and `--help` itself is printed
 * before any handler runs, so its text is unchanged. Uses yargs' internal usage instance; when
 * yargs no longer has one this does nothing (the text is then built, as before).
 */
export function skipHelpCache(parser: Argv): void {
  const internal = (parser as { getInternalMethods?: () => { getUsageInstance?: () => unknown } }).getInternalMethods;
  const usage = internal?.call(parser).getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}
