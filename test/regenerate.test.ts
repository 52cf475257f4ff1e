/**
 * Regeneration: `generate` re-renders from the saved answers and three-way merges with the
 * user's edits, using the manifest's recorded text as the merge base. All through the CLI.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLES, FIXTURES, cleanup, listFiles, read, runCli, tempRepo, treeHash } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** A Go fixture initialised as sqlite + alpine. */
function initialised(extra: string[] = []): string {
  const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
  dirs.push(dir);
  // the defaults, unless `extra` gives the flag itself (an answer given twice is an error)
  const defaults = [
    ['--database', 'sqlite'],
    ['--runtime', 'alpine'],
  ].filter(([flag]) => !extra.includes(flag!));
  const r = runCli(['init', '--yes', ...defaults.flat(), ...extra], dir);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

function edit(dir: string, rel: string, from: string | RegExp, to: string): void {
  const text = read(dir, rel);
  const next = text.replace(from, to);
  expect(next, `edit of ${rel} must change it`).not.toBe(text);
  writeFileSync(path.join(dir, rel), next);
}

describe('generate', () => {
  it('1: sqlite → postgres keeps a Dockerfile line and a Deployment value, adds Postgres, removes pvc.yaml', () => {
    const dir = initialised();
    writeFileSync(path.join(dir, 'Dockerfile'), `${read(dir, 'Dockerfile')}LABEL com.example.team="payments"\n`);
    edit(dir, 'k8s/deployment.yaml', 'memory: 256Mi', 'memory: 384Mi');
    const r = runCli(['generate', '--set', 'database=postgres'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/merged\s+Dockerfile/);
    expect(r.stdout).toMatch(/merged\s+k8s\/deployment\.yaml/);
    expect(r.stdout).toMatch(/deleted\s+k8s\/pvc\.yaml/);
    expect(read(dir, 'Dockerfile')).toContain('LABEL com.example.team="payments"\n');
    expect(read(dir, 'Dockerfile')).not.toContain('/out/data');
    const dep = parseYaml(read(dir, 'k8s/deployment.yaml'));
    expect(dep.spec.template.spec.containers[0].resources.limits.memory).toBe('384Mi');
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toContain('PGPASSWORD');
    expect(existsSync(path.join(dir, 'k8s/pvc.yaml'))).toBe(false);
    expect(existsSync(path.join(dir, 'k8s/postgres.yaml'))).toBe(true);
    expect(parseYaml(read(dir, 'k8s/kustomization.yaml')).resources).toContain('postgres.yaml');
    expect(parseYaml(read(dir, 'compose.yaml')).services.db.image).toBe('postgres:18-alpine');
    expect(parseYaml(read(dir, '.dockforge/answers.yaml')).database).toBe('postgres');
    // the user's edits, kept by the merge, are the intended state: not drift
    const status = runCli(['status'], dir);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/information \(not drift\):\n[\s\S]*edited\s+Dockerfile/);
  });

  it('2: an edit that collides with a template change → markers, exit 1; the next generate refuses', () => {
    const dir = initialised();
    edit(dir, 'k8s/deployment.yaml', 'replicas: 1', 'replicas: 3');
    const r = runCli(['generate', '--set', 'database=postgres'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/conflict\s+k8s\/deployment\.yaml/);
    const text = read(dir, 'k8s/deployment.yaml');
    const hunk = [
      /^<<<<<<< yours\n[\s\S]*replicas: 3\n/,
      /[\s\S]*^\|\|\|\|\|\|\| last generated\n[\s\S]*replicas: 1\n/,
      /[\s\S]*^=======\n[\s\S]*replicas: 2\n[\s\S]*^>>>>>>> template$/,
    ];
    expect(text).toMatch(new RegExp(hunk.map((r) => r.source).join(''), 'm'));
    const before = treeHash(dir);
    const again = runCli(['generate'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/resolve the conflicts first .*k8s\/deployment\.yaml/);
    expect(treeHash(dir)).toBe(before);
    expect(runCli(['status'], dir).stdout).toMatch(/conflicted\s+k8s\/deployment\.yaml/);
    // resolving (keeping the user's value) unblocks, and the resolution is kept
    const resolved = text.replace(
      /<<<<<<< yours\n([\s\S]*?)\|\|\|\|\|\|\| last generated\n[\s\S]*?>>>>>>> template\n/,
      '$1',
    );
    writeFileSync(path.join(dir, 'k8s/deployment.yaml'), resolved);
    const after = runCli(['generate'], dir);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/kept\s+k8s\/deployment\.yaml/);
    expect(read(dir, 'k8s/deployment.yaml')).toBe(resolved);
  });

  it('2b: --conflict rej keeps your file and writes <file>.rej with the template change', () => {
    const dir = initialised();
    edit(dir, 'k8s/deployment.yaml', 'replicas: 1', 'replicas: 3');
    const mine = read(dir, 'k8s/deployment.yaml');
    const r = runCli(['generate', '--set', 'database=postgres', '--conflict', 'rej'], dir);
    expect(r.code).toBe(1);
    expect(read(dir, 'k8s/deployment.yaml')).toBe(mine);
    const rej = read(dir, 'k8s/deployment.yaml.rej');
    expect(rej).toMatch(/^- {2}replicas: 1$/m);
    expect(rej).toMatch(/^\+ {2}replicas: 2$/m);
    expect(runCli(['generate'], dir).code).toBe(1);
  });

  it('3: generate twice with no change → the second writes nothing (bytes and mtimes unchanged)', () => {
    const dir = initialised();
    const first = runCli(['generate'], dir);
    expect(first.code).toBe(0);
    const before = treeHash(dir);
    const mtime = statSync(path.join(dir, '.dockforge/manifest.json')).mtimeMs;
    const second = runCli(['generate'], dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/nothing: every file is up to date/);
    expect(treeHash(dir)).toBe(before);
    expect(statSync(path.join(dir, '.dockforge/manifest.json')).mtimeMs).toBe(mtime);
  });

  it('4: --dry-run prints a unified diff and touches nothing', () => {
    const dir = initialised();
    const before = treeHash(dir);
    const r = runCli(['generate', '--dry-run', '--set', 'runtime=distroless', '--set', 'uid=4321'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^--- a\/Dockerfile/m);
    expect(r.stdout).toMatch(/^\+USER 4321:4321$/m);
    expect(r.stdout).toMatch(/^-USER 10001:10001$/m);
    expect(r.stdout).toMatch(/^\+FROM gcr\.io\/distroless\/base-debian13:nonroot AS runtime$/m);
    expect(r.stdout).toMatch(/Would change in/);
    expect(treeHash(dir)).toBe(before);
  });

  it('5: a managed file you deleted stays deleted; an edited orphan stays and is reported', () => {
    const dir = initialised();
    unlinkSync(path.join(dir, 'k8s/networkpolicy.yaml'));
    edit(dir, 'k8s/pvc.yaml', 'storage: 1Gi', 'storage: 20Gi');
    const r = runCli(['generate', '--set', 'database=postgres'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ejected\s+k8s\/networkpolicy\.yaml/);
    expect(r.stdout).toMatch(/orphaned\s+k8s\/pvc\.yaml/);
    expect(existsSync(path.join(dir, 'k8s/networkpolicy.yaml'))).toBe(false);
    expect(read(dir, 'k8s/pvc.yaml')).toContain('storage: 20Gi');
    const again = runCli(['generate'], dir);
    expect(again.code).toBe(0);
    expect(existsSync(path.join(dir, 'k8s/networkpolicy.yaml'))).toBe(false);
    expect(JSON.parse(read(dir, '.dockforge/manifest.json')).ejected).toContain('k8s/networkpolicy.yaml');
  });

  it.each([
    ['../../outside', /refusing manifest path "\.\.\/\.\.\/outside"/],
    ['/tmp/dockforge-absolute-target', /refusing manifest path "\/tmp\/dockforge-absolute-target"/],
    ['escape/owned', /refusing manifest path "escape\/owned": it resolves outside the project \(through a symlink\)/],
  ])('6: a manifest entry %s is refused and nothing is written', (bad, message) => {
    const dir = initialised();
    const outside = tempRepo();
    dirs.push(outside);
    symlinkSync(outside, path.join(dir, 'escape'));
    const manifest = JSON.parse(read(dir, '.dockforge/manifest.json'));
    const base = 'x\n';
    manifest.files.push({ path: bad, template: 'evil', sha256: createHash('sha256').update(base).digest('hex'), base });
    writeFileSync(path.join(dir, '.dockforge/manifest.json'), JSON.stringify(manifest));
    const before = treeHash(dir);
    const r = runCli(['generate', '--set', 'database=postgres'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(treeHash(dir)).toBe(before);
    expect(listFiles(outside)).toEqual([]);
    expect(existsSync('/tmp/dockforge-absolute-target')).toBe(false);
  });

  it('7: status exits 0 when generate would change nothing; kept edits, ejections, absent secrets: information', () => {
    const dir = initialised();
    expect(runCli(['status'], dir)).toMatchObject({ code: 0, stdout: 'up to date: generate would change nothing\n' });
    // an edit the merge keeps
    edit(dir, 'compose.yaml', 'interval: 10s', 'interval: 30s');
    // a fresh clone: git-ignored secrets are absent until the next generate makes them
    const secrets = JSON.parse(read(dir, '.dockforge/manifest.json')).secrets as string[];
    for (const s of secrets) unlinkSync(path.join(dir, s));
    const info = runCli(['status'], dir);
    expect(info.code, info.stdout).toBe(0);
    expect(info.stdout).toMatch(/edited\s+compose\.yaml/);
    if (secrets.length > 0) expect(info.stdout).toContain(`secret-absent  ${secrets[0]}`);
    const json = JSON.parse(runCli(['status', '--json'], dir).stdout);
    expect(json).toMatchObject({ command: 'status', exitCode: 0, upToDate: true });
    expect(json.files).toContainEqual(expect.objectContaining({ path: 'compose.yaml', state: 'edited', drift: false }));
    runCli(['generate'], dir); // makes the secrets
    expect(runCli(['status'], dir).code).toBe(0);

    // a file deleted on purpose is ejected (information); the kustomization that listed it is drift
    unlinkSync(path.join(dir, 'k8s/service.yaml'));
    const ejected = runCli(['status'], dir);
    expect(ejected.stdout).toMatch(/ejected\s+k8s\/service\.yaml/);
    expect(ejected.stdout).toMatch(/drifted\s+k8s\/kustomization\.yaml/);
    expect(ejected.code).toBe(1);
    runCli(['generate'], dir);
    expect(runCli(['status'], dir).code).toBe(0);
    // kustomize lists only files that exist (kubectl kustomize k8s/ would fail on a missing one)
    const resources = parseYaml(read(dir, 'k8s/kustomization.yaml')).resources as string[];
    expect(resources).not.toContain('service.yaml');
    for (const r of resources) expect(existsSync(path.join(dir, 'k8s', r)), r).toBe(true);

    // answers that would change files: drift, and a file the answers add is missing
    edit(dir, 'k8s/deployment.yaml', 'replicas: 1', 'replicas: 3');
    writeFileSync(
      path.join(dir, '.dockforge/answers.yaml'),
      read(dir, '.dockforge/answers.yaml').replace('database: sqlite', 'database: postgres'),
    );
    const drift = runCli(['status', '--json'], dir);
    expect(drift.code).toBe(1);
    expect(JSON.parse(drift.stdout).files).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'k8s/deployment.yaml', state: 'drifted', drift: true }),
        expect.objectContaining({ path: 'k8s/postgres.yaml', state: 'missing', drift: true }),
      ]),
    );
    runCli(['generate'], dir);
    const conflicted = runCli(['status'], dir);
    expect(conflicted.code).toBe(1);
    expect(conflicted.stdout).toMatch(/conflicted\s+k8s\/deployment\.yaml/);
  });

  it('8: a run killed after its first rename is completed by the next run, to the same tree', () => {
    const a = initialised();
    const b = initialised();
    for (const dir of [a, b])
      writeFileSync(path.join(dir, 'Dockerfile'), `${read(dir, 'Dockerfile')}LABEL com.example.team="payments"\n`);
    const crashed = runCli(['generate', '--set', 'database=postgres', '--set', 'runtime=distroless'], a, {
      DOCKFORGE_FAIL_AFTER_RENAMES: '1',
    });
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toMatch(/injected failure after 1 rename/);
    expect(parseYaml(read(a, '.dockforge/answers.yaml')).database).toBe('sqlite'); // the record is written last
    const resumed = runCli(['generate', '--set', 'database=postgres', '--set', 'runtime=distroless'], a);
    expect(resumed.code, resumed.stderr).toBe(0);
    const clean = runCli(['generate', '--set', 'database=postgres', '--set', 'runtime=distroless'], b);
    expect(clean.code).toBe(0);
    const secretsless = (d: string): string[] => listFiles(d).filter((f) => !f.includes('secrets/'));
    expect(secretsless(a)).toEqual(secretsless(b));
    for (const f of secretsless(a)) expect(read(a, f), f).toBe(read(b, f));
  });

  // a missing secret file (as in a fresh clone) is made, with a warning
  it('secret files are never regenerated; --force drops edits and says which', () => {
    const dir = initialised(['--database', 'postgres']);
    const secret = read(dir, '.dockforge/secrets/postgres.env');
    const k8sSecret = read(dir, 'k8s/secrets/postgres.env');
    edit(dir, 'k8s/deployment.yaml', 'replicas: 2', 'replicas: 5');
    rmSync(path.join(dir, 'k8s/secrets'), { recursive: true });
    const r = runCli(['generate', '--set', 'uid=5555', '--force'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--force dropped edits in: k8s\/deployment\.yaml/);
    expect(read(dir, 'k8s/deployment.yaml')).toContain('replicas: 2');
    expect(read(dir, '.dockforge/secrets/postgres.env')).toBe(secret);
    expect(r.stdout).toMatch(
      new RegExp(
        'secret\\s+k8s/secrets/postgres\\.env\\s+' +
          '\\(was missing: a new random value; restore the old file if a database already uses it\\)',
      ),
    );
    expect(read(dir, 'k8s/secrets/postgres.env')).not.toBe(k8sSecret);
    expect(read(dir, 'k8s/secrets/postgres.env')).toMatch(/^password=[A-Za-z0-9_-]{32}\ndatabase-url=postgres:\/\//);
  });

  it('init in a repository with answers asks again with them as defaults (--yes keeps them) and merges', () => {
    const dir = initialised(['--uid', '7777']);
    writeFileSync(path.join(dir, 'Dockerfile'), `${read(dir, 'Dockerfile')}LABEL com.example.team="payments"\n`);
    const r = runCli(['init', '--yes', '--runtime', 'distroless'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/uid\s+7777\s+saved/);
    expect(read(dir, 'Dockerfile')).toContain('LABEL com.example.team="payments"');
    expect(read(dir, 'Dockerfile')).toContain('USER 7777:7777');
    expect(read(dir, 'Dockerfile')).toContain('gcr.io/distroless/');
  });

  it('--set language=node on a repository with both stacks takes the Node answers from detection', () => {
    const dir = tempRepo(path.join(EXAMPLES, 'go-none'));
    dirs.push(dir);
    for (const f of ['package.json', 'package-lock.json', 'index.js', 'app.js', 'store.js']) {
      writeFileSync(path.join(dir, f), readFileSync(path.join(EXAMPLES, 'node-none', f)));
    }
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    expect(parseYaml(read(dir, '.dockforge/answers.yaml')).language).toBe('go');
    const r = runCli(['generate', '--set', 'language=node', '--set', 'port=3000'], dir);
    expect(r.code, r.stderr).toBe(0);
    const answers = parseYaml(read(dir, '.dockforge/answers.yaml'));
    expect(answers).toMatchObject({
      language: 'node',
      nodeStart: 'index.js',
      packageManager: 'npm',
      nodeBuild: false,
      port: 3000,
      name: 'go-none',
    });
    expect(answers.goVersion).toBeUndefined();
    expect(read(dir, 'Dockerfile')).toMatch(
      /^FROM gcr\.io\/distroless\/nodejs\$\{NODE_VERSION\}-debian13:nonroot AS runtime$/m,
    );
    expect(existsSync(path.join(dir, '.dockforge/healthcheck/healthcheck.go'))).toBe(false);
  });

  it('init with PostgreSQL: secrets random, mode 600, git-ignored, docker-ignored, never in the record', () => {
    const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
    dirs.push(dir);
    const r = runCli(['init', '--yes', '--database', 'postgres'], dir);
    expect(r.code, r.stderr).toBe(0);
    const env = read(dir, '.dockforge/secrets/postgres.env');
    const pw = /^POSTGRES_PASSWORD=([A-Za-z0-9_-]{32})\n/.exec(env)![1]!;
    // the password, and the DATABASE_URL that embeds it (PostgreSQL docs, "Connection URIs")
    expect(env).toBe(
      `POSTGRES_PASSWORD=${pw}\nPGPASSWORD=${pw}\n` +
        `DATABASE_URL=postgres://orders-api:${pw}@db:5432/orders-api?sslmode=disable\n`,
    );
    const k8s = read(dir, 'k8s/secrets/postgres.env');
    const kpw = /^password=([A-Za-z0-9_-]{32})\n/.exec(k8s)![1]!;
    expect(k8s).toBe(
      `password=${kpw}\ndatabase-url=postgres://orders-api:${kpw}@orders-api-postgres:5432/orders-api?sslmode=disable\n`,
    );
    // a changed answer rewrites the derived lines and keeps the random value
    expect(runCli(['generate', '--set', 'name=billing'], dir).code).toBe(0);
    expect(read(dir, '.dockforge/secrets/postgres.env')).toBe(
      `POSTGRES_PASSWORD=${pw}\nPGPASSWORD=${pw}\n` +
        `DATABASE_URL=postgres://billing:${pw}@db:5432/billing?sslmode=disable\n`,
    );
    expect(statSync(path.join(dir, '.dockforge/secrets/postgres.env')).mode & 0o777).toBe(0o600);
    const gitignore = read(dir, '.gitignore');
    expect(gitignore).toContain('/.dockforge/secrets/');
    expect(gitignore).toContain('/k8s/secrets/');
    const dockerignore = read(dir, '.dockerignore');
    expect(dockerignore).toContain('.dockforge/*');
    expect(dockerignore).toContain('k8s/');
    expect(read(dir, '.dockforge/manifest.json')).not.toContain(env.split('\n')[0]!.split('=')[1]!);
  });

  it('an answers file of an older dockforge (runtime: instead of base:) is read, and rewritten with base:', () => {
    const dir = initialised();
    const answers = read(dir, '.dockforge/answers.yaml');
    writeFileSync(path.join(dir, '.dockforge/answers.yaml'), answers.replace(/^base: alpine$/m, 'runtime: alpine'));
    const r = runCli(['generate'], dir);
    expect(r.code, r.stderr).toBe(0);
    const after = read(dir, '.dockforge/answers.yaml');
    expect(after).toMatch(/^base: alpine$/m);
    expect(after).not.toMatch(/^runtime:/m);
    expect(read(dir, 'Dockerfile')).toMatch(/^FROM alpine:\$\{ALPINE_VERSION\} AS runtime$/m);
  });

  it('generate without answers, or with a bad --set, exits 2 and writes nothing', () => {
    const dir = tempRepo(path.join(FIXTURES, 'go-cmd'));
    dirs.push(dir);
    expect(runCli(['generate'], dir)).toMatchObject({ code: 2 });
    const done = initialised();
    const before = treeHash(done);
    const r = runCli(['gen', '--set', 'database=mysql'], done);
    expect(r).toMatchObject({
      code: 2,
      stderr: 'dockforge: invalid database "mysql": expected sqlite, postgres, none\n',
    });
    expect(treeHash(done)).toBe(before);
    mkdirSync(path.join(done, 'x'));
    expect(readFileSync(path.join(done, 'Dockerfile'), 'utf8')).toContain('FROM');
  });
});
