/**
 * proof/bases/parse.ts — the pure parsing of the stand-in base-image tool (no buildah, no
 * network, no file system): which images a Dockerfile needs (FROM lines with their global ARG
 * defaults, `COPY --from=<image>`, `RUN --mount=...,from=<image>`), Docker's normalisation of
 * image references, and the version comparisons used to pick toolchain releases.
 */

/** Compare dotted numeric versions ("1.25.14" vs "1.25.9"); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Highest version in `versions` equal to `spec` or starting with `spec + "."` (plain X[.Y[.Z]] only). */
export function maxMatching(versions: string[], spec: string): string | undefined {
  const ok = versions.filter(
    (v) => /^\d+\.\d+\.\d+$/.test(v) && (spec === '' || v === spec || v.startsWith(spec + '.')),
  );
  return ok.sort(compareVersions).at(-1);
}

// ---------------------------------------------------------------------------
// Dockerfile parsing
// ---------------------------------------------------------------------------

/** One image reference found in a Dockerfile. */
export interface ImageRef {
  /** Reference after ARG substitution, as written (e.g. "golang:1.25-trixie"). */
  ref: string;
  file: string;
  /** 1-based line of the instruction. */
  line: number;
  via: 'FROM' | 'COPY --from' | 'RUN --mount from';
}

/**
 * Expand `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` with `vars`
 * (unknown variables expand to "", as Docker does).
 */
export function expandVars(s: string, vars: Record<string, string>): string {
  const re = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  return s.replace(re, (_m, braced, op, word, bare) => {
    const name = (braced ?? bare) as string;
    const val = vars[name];
    if (op === ':-') return val ? val : (word as string);
    if (op === ':+') return val ? (word as string) : '';
    return val ?? '';
  });
}

/** Strip one layer of matching quotes. */
function unquote(s: string): string {
  return /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s;
}

/** Split a Dockerfile into logical instructions (continuations joined, comments and heredoc bodies dropped). */
export function logicalLines(text: string): { line: number; text: string }[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  const out: { line: number; text: string }[] = [];
  let buf = '';
  let start = 0;
  const heredocEnd: string[] = [];
  let directives = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (heredocEnd.length > 0) {
      if (raw.trim() === heredocEnd[0]) heredocEnd.shift();
      continue;
    }
    const trimmed = raw.trim();
    if (directives) {
      const m = /^#\s*escape\s*=\s*(\S)/i.exec(trimmed);
      if (m) escape = m[1] as string;
      if (!/^#\s*\w+\s*=/.test(trimmed)) directives = false;
    }
    if (trimmed.startsWith('#')) continue;
    if (buf === '' && trimmed === '') continue;
    if (buf === '') start = i + 1;
    const rtrim = raw.replace(/\s+$/, '');
    if (rtrim.endsWith(escape)) {
      buf += rtrim.slice(0, -1) + ' ';
      continue;
    }
    buf += raw;
    const instr = buf.trim();
    out.push({ line: start, text: instr });
    buf = '';
    // heredocs: RUN <<EOF / COPY <<-"EOF" ... bodies end at a line equal to the word
    if (/^(RUN|COPY|ADD)\s/i.test(instr)) {
      for (const m of instr.matchAll(/<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) heredocEnd.push(m[2] as string);
    }
  }
  if (buf.trim()) out.push({ line: start, text: buf.trim() });
  return out;
}

/** Split an instruction's arguments on whitespace, honouring simple quotes. */
function splitArgs(s: string): string[] {
  return (s.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []).map(unquote);
}

/**
 * Find the images a Dockerfile needs: FROM bases (stage names and `scratch`
 * skipped), `COPY/ADD --from=<image>` and `RUN --mount=...,from=<image>`.
 * Global ARG defaults (before the first FROM) are substituted; `buildArgs`
 * override them like `--build-arg`.
 */
export function extractImageRefs(text: string, file: string, buildArgs: Record<string, string> = {}): ImageRef[] {
  const globalArgs: Record<string, string> = {};
  const stages = new Set<string>();
  let stageCount = 0;
  const refs: ImageRef[] = [];
  let seenFrom = false;
  for (const { line, text: instr } of logicalLines(text)) {
    const m = /^(\w+)\s*(.*)$/s.exec(instr);
    if (!m) continue;
    const kw = (m[1] as string).toUpperCase();
    const rest = m[2] as string;
    if (kw === 'ARG' && !seenFrom) {
      for (const tok of splitArgs(rest)) {
        const eq = tok.indexOf('=');
        const name = eq < 0 ? tok : tok.slice(0, eq);
        const def = eq < 0 ? undefined : expandVars(unquote(tok.slice(eq + 1)), { ...globalArgs });
        const v = buildArgs[name] ?? def;
        if (v !== undefined) globalArgs[name] = v;
      }
    } else if (kw === 'FROM') {
      seenFrom = true;
      const toks = splitArgs(rest).filter((t) => !t.startsWith('--'));
      const image = expandVars(toks[0] ?? '', globalArgs).trim();
      const asIdx = toks.findIndex((t) => t.toLowerCase() === 'as');
      if (image && image.toLowerCase() !== 'scratch' && !stages.has(image.toLowerCase())) {
        refs.push({ ref: image, file, line, via: 'FROM' });
      }
      if (asIdx >= 0 && toks[asIdx + 1]) stages.add((toks[asIdx + 1] as string).toLowerCase());
      stageCount++;
    } else if (kw === 'COPY' || kw === 'ADD' || kw === 'RUN') {
      const candidates: { v: string; via: ImageRef['via'] }[] = [];
      for (const tok of splitArgs(rest)) {
        if (!tok.startsWith('--')) break;
        const from = /^--from=(.+)$/.exec(tok);
        if (from && kw !== 'RUN') candidates.push({ v: from[1] as string, via: 'COPY --from' });
        const mount = /^--mount=(.+)$/.exec(tok);
        if (mount && kw === 'RUN') {
          const fm = /(?:^|,)from=([^,]+)/.exec(mount[1] as string);
          if (fm) candidates.push({ v: fm[1] as string, via: 'RUN --mount from' });
        }
      }
      for (const c of candidates) {
        const v = expandVars(unquote(c.v), globalArgs).trim();
        if (!v || stages.has(v.toLowerCase()) || (/^\d+$/.test(v) && Number(v) < stageCount)) continue;
        refs.push({ ref: v, file, line, via: c.via });
      }
    }
  }
  return refs;
}

// ---------------------------------------------------------------------------
// Image references
// ---------------------------------------------------------------------------

/** A parsed, docker-normalised reference. */
export interface NormalizedRef {
  /** e.g. "docker.io/library/golang:1.25-trixie" */
  full: string;
  /** e.g. "docker.io/library/golang" */
  repo: string;
  tag: string;
  digest?: string;
}

/**
 * Normalise like Docker: "golang:1.25" -> "docker.io/library/golang:1.25",
 * "user/app" -> "docker.io/user/app:latest", registries kept as written.
 * @throws Error for an empty or malformed reference.
 */
export function normalizeRef(ref: string): NormalizedRef {
  let r = ref.trim();
  if (!r || /\s/.test(r)) throw new Error(`invalid image reference: "${ref}"`);
  let digest: string | undefined;
  const at = r.indexOf('@');
  if (at >= 0) {
    digest = r.slice(at + 1);
    r = r.slice(0, at);
  }
  const lastSlash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  let tag = 'latest';
  if (colon > lastSlash) {
    tag = r.slice(colon + 1);
    r = r.slice(0, colon);
  }
  const parts = r.split('/');
  const first = parts[0] as string;
  if (parts.length === 1) r = `docker.io/library/${r}`;
  else if (!(first.includes('.') || first.includes(':') || first === 'localhost')) r = `docker.io/${r}`;
  r = r.toLowerCase();
  return { full: `${r}:${tag}`, repo: r, tag, digest };
}
