/**
 * Dockerfile rules: the checks every generated Dockerfile meets (the built-in pack's in the
 * tests, a team pack's in `dockforge templates check`), on the dockerfile-ast parse tree. Each
 * rule names its source (Dockerfile reference, BuildKit checks, hadolint rule ids, PSS
 * restricted, Buildah compatibility, Docker docs). Violations are returned as strings (empty =
 * pass), so a caller shows every broken rule at once.
 *
 * dockerfile-ast is loaded by {@link loadDockerfileRules} when a check runs, never when this
 * module is imported (only its types are imported here).
 */
import type { Dockerfile, Instruction, JSONInstruction, ModifiableInstruction } from 'dockerfile-ast';
import type { RuntimeBase } from '../vocabulary.js';

export interface Stage {
  name: string;
  /** Image reference with ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  syntax: string | undefined;
  args: Record<string, string>;
  stages: Stage[];
}

/** What the rules need from the answers: the values the Dockerfile must carry and the cell it belongs to. */
export interface DockerfileExpect {
  /** The runtime stage's numeric user (`USER uid:gid`, never 0). */
  uid: number;
  /** The runtime stage's numeric group. */
  gid: number;
  /** The port the runtime stage must EXPOSE. */
  port: number;
  /** The language id (`go`, `node`, `static`, `c` have rules of their own; another id only the shared rules). */
  language: string;
  /** The answers' `base`: the runtime image family of the last stage. */
  runtime: RuntimeBase;
  /** The answers' `database` (`sqlite` has rules of its own: the /data volume). */
  database: string;
}

/** The Dockerfile checks, with dockerfile-ast loaded. */
export interface DockerfileRules {
  /**
   * Parse with dockerfile-ast and split into stages; ARG defaults before the first FROM are
   * substituted into FROM (an ARG without default becomes `<unset NAME>`). Never throws: a
   * Dockerfile that does not parse has fewer stages.
   */
  parseDockerfile(text: string): ParsedDockerfile;
  /**
   * Check every rule against `text`.
   * @returns human-readable violations, one a broken rule (empty = pass); never throws.
   */
  checkDockerfile(text: string, e: DockerfileExpect): string[];
}

type Parse = (text: string) => Dockerfile;

/**
 * Load dockerfile-ast (once) and return the Dockerfile checks.
 * @throws Error when dockerfile-ast cannot be loaded (an incomplete installation).
 */
export async function loadDockerfileRules(): Promise<DockerfileRules> {
  const mod = await import('dockerfile-ast');
  const parse: Parse = (text) => mod.DockerfileParser.parse(text);
  return {
    parseDockerfile: (text) => parseDockerfile(parse, text),
    checkDockerfile: (text, e) => checkDockerfile(parse, text, e),
  };
}

/** {@link DockerfileRules.parseDockerfile} with the parser `parse`. */
function parseDockerfile(parse: Parse, text: string): ParsedDockerfile {
  const df = parse(text);
  const args: Record<string, string> = {};
  for (const arg of df.getInitialARGs()) {
    const prop = arg.getProperty();
    if (prop) args[prop.getName()] = prop.getValue() ?? '';
  }
  const stages: Stage[] = [];
  for (const ins of df.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const words = (ins.getArgumentsContent() ?? '').split(/\s+/);
      const image = words[0]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? `<unset ${a ?? b}>`);
      const asIdx = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ name: asIdx > 0 ? words[asIdx + 1]! : String(stages.length), image, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  const directive = df.getDirectives().find((d) => d.getName() === 'syntax');
  return { syntax: directive?.getValue() ?? undefined, args, stages };
}

function flagsOf(ins: Instruction): string[] {
  const m = ins as ModifiableInstruction;
  return typeof m.getFlags === 'function' ? m.getFlags().map((f) => f.toString()) : [];
}

function isExecForm(ins: Instruction): boolean {
  const j = ins as JSONInstruction;
  return (
    typeof j.getJSONStrings === 'function' &&
    j.getJSONStrings().length > 0 &&
    (ins.getArgumentsContent() ?? '').trim().startsWith('[')
  );
}

/** {@link DockerfileRules.checkDockerfile} with the parser `parse`. */
function checkDockerfile(parse: Parse, text: string, e: DockerfileExpect): string[] {
  const v: string[] = [];
  const df = parseDockerfile(parse, text);
  const firstLine = text.split('\n')[0];
  // BuildKit: the syntax directive must be the first line to take effect (Dockerfile reference, "Parser directives")
  if (firstLine !== '# syntax=docker/dockerfile:1')
    v.push(`first line is ${JSON.stringify(firstLine)}, not the syntax directive`);

  const names = df.stages.map((s) => s.name);
  // BuildKit check DuplicateStageName; StageNameCasing wants lowercase
  if (new Set(names).size !== names.length) v.push(`duplicate stage names: ${names.join(', ')}`);
  for (const n of names)
    if (n !== n.toLowerCase()) v.push(`stage name ${n} is not lowercase (BuildKit StageNameCasing)`);

  for (const s of df.stages) {
    // hadolint DL3006/DL3007: tag every image, never latest
    const ref = s.image.split('/').pop()!;
    if (!ref.includes(':') && !ref.includes('@') && !names.includes(s.image))
      v.push(`stage ${s.name}: image ${s.image} has no tag (DL3006)`);
    if (/:latest$/.test(s.image)) v.push(`stage ${s.name}: image ${s.image} uses latest (DL3007)`);
    if (s.image.includes('<unset')) v.push(`stage ${s.name}: image ${s.image} uses an ARG without default`);
    for (const ins of s.instructions) {
      const kw = ins.getKeyword();
      const line = ins.getRange().start.line + 1;
      // hadolint DL3020: COPY, not ADD
      if (kw === 'ADD') v.push(`line ${line}: ADD instead of COPY (DL3020)`);
      // hadolint DL3025 / BuildKit JSONArgsRecommended: exec form
      if ((kw === 'CMD' || kw === 'ENTRYPOINT') && !isExecForm(ins))
        v.push(`line ${line}: ${kw} not in exec form (DL3025)`);
      // BuildKit SecretsUsedInArgOrEnv
      if (
        (kw === 'ARG' || kw === 'ENV') &&
        /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY)\b/i.test(ins.getArgumentsContent() ?? '')
      ) {
        v.push(`line ${line}: secret-looking name in ${kw} (BuildKit SecretsUsedInArgOrEnv)`);
      }
      // Buildah/Podman compatibility: no heredocs, no COPY --link, absolute mount targets
      if (/<<-?\s*["']?\w+/.test(ins.getRawArgumentsContent() ?? '') && (kw === 'RUN' || kw === 'COPY'))
        v.push(`line ${line}: heredoc (not in Buildah 1.28)`);
      const flags = flagsOf(ins);
      if (flags.some((f) => f.startsWith('--link'))) v.push(`line ${line}: COPY --link (not in Buildah 1.28)`);
      for (const f of flags.filter((x) => x.startsWith('--mount='))) {
        const target = /target=([^,\s]+)/.exec(f)?.[1];
        if (!target || !target.startsWith('/')) v.push(`line ${line}: mount target ${target} is not absolute`);
      }
    }
  }

  const runtime = df.stages[df.stages.length - 1];
  if (!runtime || runtime.name !== 'runtime') {
    v.push(`last stage is ${runtime?.name}, expected runtime`);
    return v;
  }
  // hadolint DL3002 (last USER not root); PSS restricted runAsNonRoot verifies only a numeric UID
  const users = runtime.instructions.filter((i) => i.getKeyword() === 'USER');
  const lastUser = users[users.length - 1]?.getArgumentsContent();
  if (lastUser !== `${e.uid}:${e.gid}`) v.push(`runtime USER is ${lastUser}, expected ${e.uid}:${e.gid}`);
  if (!/^[1-9]\d*:[1-9]\d*$/.test(lastUser ?? '')) v.push(`runtime USER ${lastUser} is not numeric non-zero`);
  const exposes = runtime.instructions.filter((i) => i.getKeyword() === 'EXPOSE').map((i) => i.getArgumentsContent());
  if (!exposes.includes(String(e.port))) v.push(`runtime does not EXPOSE ${e.port}`);
  const entry = runtime.instructions.find((i) => i.getKeyword() === 'ENTRYPOINT');
  if (!entry) v.push('runtime has no ENTRYPOINT');

  // base image of the runtime per cell (distroless README; official images). The repository
  // path names the image; a registry mirror in front of it (a pack's registryMirrors:
  // `registry.example.com/gcr/distroless/…`, `…/hub/library/alpine:3.22`) is allowed
  const rimg = runtime.image;
  const mirrored = (path: string): RegExp => new RegExp(`^(gcr\\.io/|[^@]+/)?${path}`);
  if (e.runtime === 'distroless') {
    if (!mirrored('distroless/[a-z0-9-]+-debian13').test(rimg))
      v.push(`runtime image ${rimg} is not distroless debian13`);
    if (e.language === 'c' && !mirrored('distroless/cc-debian13').test(rimg)) {
      v.push(`C runtime ${rimg} is not distroless cc`);
    }
    if (e.language === 'node' && !mirrored('distroless/nodejs\\d+-debian13').test(rimg)) {
      v.push(`Node runtime ${rimg} is not distroless nodejs`);
    }
    if (e.language === 'static' && !mirrored('distroless/static-debian13').test(rimg)) {
      v.push(`static site runtime ${rimg} is not distroless static`);
    }
  } else if (
    e.language === 'node'
      ? !mirrored('(library/)?node:\\d+-alpine3\\.\\d+$').test(rimg) || rimg.startsWith('gcr.io/')
      : !mirrored('(library/)?alpine:3\\.\\d+$').test(rimg) || rimg.startsWith('gcr.io/')
  ) {
    v.push(`runtime image ${rimg} is not a pinned Alpine image`);
  }

  const all = df.stages.flatMap((s) =>
    s.instructions.map((i) => ({
      stage: s.name,
      kw: i.getKeyword(),
      args: i.getArgumentsContent() ?? '',
      flags: flagsOf(i),
    })),
  );
  const mounts = all.flatMap((i) => i.flags).filter((f) => f.startsWith('--mount=type=cache'));
  const hasMount = (target: string): boolean => mounts.some((m) => m.includes(`target=${target}`));

  // dependency manifests before sources, in every stage that copies sources (Docker docs, cache ordering)
  const manifest =
    e.language === 'go' ? 'go.mod' : e.language === 'node' || e.language === 'static' ? 'package.json' : undefined;
  if (manifest) {
    for (const s of df.stages) {
      const copies = s.instructions.filter(
        (i) => i.getKeyword() === 'COPY' && !flagsOf(i).some((f) => f.startsWith('--from')),
      );
      const src = copies.findIndex((i) => /^\.\s/.test(i.getArgumentsContent() ?? ''));
      if (src < 0) continue;
      // the manifest may come in this stage or an ancestor stage
      const chain: string[] = [];
      let cur: Stage | undefined = s;
      while (cur) {
        chain.push(cur.name);
        cur = df.stages.find((x) => x.name === cur!.image);
      }
      const earlier = df.stages
        .filter((x) => chain.includes(x.name) && x !== s)
        .some((x) =>
          x.instructions.some((i) => i.getKeyword() === 'COPY' && (i.getArgumentsContent() ?? '').includes(manifest)),
        );
      const before = copies.slice(0, src).some((i) => (i.getArgumentsContent() ?? '').includes(manifest));
      if (s.name !== 'runtime' && !earlier && !before)
        v.push(`stage ${s.name} copies sources without copying ${manifest} first`);
    }
  }

  if (e.language === 'go') {
    if (!hasMount('/go/pkg/mod')) v.push('no cache mount for the Go module cache');
    if (!hasMount('/root/.cache/go-build')) v.push('no cache mount for the Go build cache');
    const build = all.find((i) => i.stage === 'build' && i.kw === 'RUN' && i.args.includes('go build'));
    if (!build || !build.args.includes('-trimpath') || !build.args.includes('-s -w'))
      v.push('Go build lacks -trimpath -ldflags="-s -w"');
    if (!all.some((i) => i.stage === 'base' && i.kw === 'COPY' && /go\.mod go\.sum\*/.test(i.args)))
      v.push('go.mod/go.sum* not copied in base (go.sum must be optional)');
  }
  if (e.language === 'node') {
    if (!all.some((i) => i.kw === 'RUN' && /--omit=dev|--production|--prod\b/.test(i.args) && i.stage === 'deps'))
      v.push('no production-only install in deps');
    if (
      !hasMount('/root/.npm') &&
      !hasMount('/root/.local/share/pnpm/store') &&
      !hasMount('/usr/local/share/.cache/yarn')
    )
      v.push('no package cache mount');
    if (
      !runtime.instructions.some(
        (i) => i.getKeyword() === 'ENV' && /NODE_ENV=production/.test(i.getArgumentsContent() ?? ''),
      )
    )
      v.push('runtime lacks NODE_ENV=production');
    const cmd = runtime.instructions
      .filter((i) => i.getKeyword() === 'ENTRYPOINT' || i.getKeyword() === 'CMD')
      .map((i) => i.getArgumentsContent() ?? '')
      .join(' ');
    if (/\b(npm|yarn|pnpm)\b/.test(cmd)) v.push(`runtime starts a package manager: ${cmd}`);
    if (e.runtime === 'alpine' && !/tini/.test(cmd)) v.push('Alpine Node runtime lacks tini as PID 1');
  }
  if (e.language === 'static') {
    if (
      !hasMount('/root/.npm') &&
      !hasMount('/root/.local/share/pnpm/store') &&
      !hasMount('/usr/local/share/.cache/yarn')
    )
      v.push('no package cache mount');
    // the runtime holds the server and the built files only: both come from earlier stages
    const copies = runtime.instructions.filter((i) => i.getKeyword() === 'COPY');
    for (const c of copies.filter((i) => !flagsOf(i).some((f) => f.startsWith('--from=')))) {
      v.push(`static site runtime copies from the build context: ${c.getArgumentsContent()}`);
    }
    const entry = runtime.instructions.find((i) => i.getKeyword() === 'ENTRYPOINT')?.getArgumentsContent() ?? '';
    if (!entry.includes('"/usr/local/bin/static-server"'))
      v.push(`static site runtime does not run the server: ${entry}`);
  }
  if (e.language === 'c' && e.runtime === 'distroless') {
    if (!all.some((i) => i.kw === 'RUN' && i.args.includes('ldd')))
      v.push('C distroless: no shared-library closure step');
  }
  if (
    e.runtime === 'alpine' &&
    all.some((i) => i.kw === 'RUN' && /apk add/.test(i.args) && !/--no-cache/.test(i.args)) &&
    !hasMount('/etc/apk/cache')
  ) {
    v.push('apk add without --no-cache and without a cache mount (hadolint DL3019)');
  }
  if (e.database === 'sqlite') {
    if (
      !runtime.instructions.some(
        (i) =>
          i.getKeyword() === 'COPY' &&
          (i.getArgumentsContent() ?? '').includes('/data') &&
          flagsOf(i).includes(`--chown=${e.uid}:${e.gid}`),
      )
    ) {
      v.push('runtime /data is not created owned by UID:GID');
    }
    if (
      !runtime.instructions.some(
        (i) => i.getKeyword() === 'ENV' && /DATABASE_PATH=\/data\//.test(i.getArgumentsContent() ?? ''),
      )
    )
      v.push('DATABASE_PATH not set to /data/…');
  }
  if (!df.stages.some((s) => s.name === 'dev')) v.push('no dev stage');
  return v;
}
