/**
 * Line-based three-way merge of one file, with git-style conflict markers.
 */
import { diff3Merge } from 'node-diff3';

/** Conflict marker labels: ours = the file on disk, base = what dockforge last generated, theirs = the new render. */
export const LABELS = { ours: 'yours', base: 'last generated', theirs: 'template' } as const;

/** Lines that mark an unresolved conflict left by a previous run (git's marker format). */
export const MARKER_RE = /^(<<<<<<< yours|>>>>>>> template)$/m;

export interface MergeResult {
  /** The merged text; with conflicts, containing diff3-style markers. */
  text: string;
  /** Number of conflicting hunks. */
  conflicts: number;
}

/** Split into lines keeping each line's terminator, so the merge is byte-exact. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Three-way merge `ours` and `theirs` against `base`, line by line (node-diff3 on line
 * arrays, not its default whitespace split). Changes on one side only are taken; changes on
 * both sides that are identical are taken once; others become a conflict hunk:
 * `<<<<<<< yours` / `||||||| last generated` / `=======` / `>>>>>>> template`.
 */
export function merge3(ours: string, base: string, theirs: string): MergeResult {
  const regions = diff3Merge(lines(ours), lines(base), lines(theirs), { excludeFalseConflicts: true }) as Array<
    { ok: string[] } | { conflict: { a: string[]; o: string[]; b: string[] } }
  >;
  let text = '';
  let conflicts = 0;
  const nl = (chunk: string[]): string => {
    const t = chunk.join('');
    return t === '' || t.endsWith('\n') ? t : `${t}\n`;
  };
  for (const r of regions) {
    if ('ok' in r) {
      text += r.ok.join('');
    } else {
      conflicts += 1;
      text +=
        `<<<<<<< ${LABELS.ours}\n${nl(r.conflict.a)}` +
        `||||||| ${LABELS.base}\n${nl(r.conflict.o)}` +
        `=======\n${nl(r.conflict.b)}>>>>>>> ${LABELS.theirs}\n`;
    }
  }
  return { text, conflicts };
}
