/**
 * Team template packs through the built CLI (issue 11): each source (a folder, an npm tarball
 * made with `npm pack`, a local bare git repository with a tag), the four layers, pinning and
 * `--update-pack`, `templates eject/new/check/list/show`, and the refusals (exit 2, nothing
 * written). The pack used is examples/packs/acme.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PACK_SCHEMA } from '../src/templates/pack.schema.js';
import { EXAMPLES, REPO, cleanup, read, runCli, tempRepo, treeHash } from './helpers/cli.js';

const ACME = path.join(EXAMPLES, 'packs', 'acme');
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** A temp folder removed after the file's tests. */
function temp(from?: string): string {
  const dir = tempRepo(from);
  dirs.push(dir);
  return dir;
}

/** A copy of examples/go-postgres (a service that scales: the acme pack adds its HPA). */
function project(): string {
  return temp(path.join(EXAMPLES, 'go-postgres'));
}

/** A copy of the acme pack, optionally changed by `edit`. */
function acme(edit?: (dir: string) => void): string {
  const dir = temp(ACME);
  edit?.(dir);
  return dir;
}

/** Set the version in pack.yaml and package.json, and add a label line to the Dockerfile labels. */
function bump(dir: string, version: string): void {
  for (const f of ['pack.yaml', 'package.json']) {
    const file = path.join(dir, f);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/1\.0\.0/, version));
  }
  const labels = path.join(dir, 'partials', 'dockerfile', 'labels.hbs');
  writeFileSync(labels, `${readFileSync(labels, 'utf8')}LABEL com.acme.pack="${version}"\n`);
}

/** `npm pack` of `dir` into `dest`: the tarball's path. */
function npmPack(dir: string, dest: string): string {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest, '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'silent' },
  });
  return path.join(dest, (JSON.parse(out) as { filename: string }[])[0]!.filename);
}

/** The `_dockforge.packs` of a project's answers. */
function pins(root: string): { source: string; kind: string; name: string; version: string; integrity: string }[] {
  const answers = parseYaml(read(root, '.dockforge/answers.yaml')) as { _dockforge: { packs?: never[] } };
  return answers._dockforge.packs ?? [];
}

/** A fresh cache folder, as on another machine. */
function freshCache(): Record<string, string> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dockforge-cache-'));
  dirs.push(home);
  return { XDG_CACHE_HOME: home };
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });

describe('sources: a folder, an npm tarball, a git tag', () => {
  it('a folder: the mirror, the owner labels, the probe header and the HPA are rendered; the pin is recorded', () => {
    const root = project();
    const pack = acme();
    const r = runCli(['init', '--yes', '--base', 'distroless', '--pack', pack, '--set', 'owner=payments'], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pack: dockforge-builtin@0\.1\.0 \+ acme-platform@1\.0\.0/);
    const dockerfile = read(root, 'Dockerfile');
    expect(dockerfile).toMatch(
      /^FROM registry\.acme\.example\/dockerhub\/library\/golang:\$\{GO_VERSION\}-trixie AS base$/m,
    );
    expect(dockerfile).toMatch(/^FROM registry\.acme\.example\/gcr\/distroless\/static-debian13:nonroot AS runtime$/m);
    expect(dockerfile).toContain('com.acme.owner="payments"');
    expect(read(root, 'compose.yaml')).toContain('image: registry.acme.example/dockerhub/library/postgres:18-alpine');
    expect(read(root, 'k8s/deployment.yaml')).toContain('acme.example/owner: payments');
    expect(read(root, 'k8s/deployment.yaml')).toContain('X-Acme-Probe');
    expect(read(root, 'k8s/hpa.yaml')).toContain('kind: HorizontalPodAutoscaler');
    expect(read(root, 'k8s/kustomization.yaml')).toMatch(/^ {2}- hpa\.yaml$/m);
    expect(pins(root)).toEqual([
      {
        source: pack,
        kind: 'local',
        name: 'acme-platform',
        version: '1.0.0',
        integrity: expect.stringMatching(/^sha256-/),
      },
    ]);
    expect(read(root, '.dockforge/answers.yaml')).toMatch(/^owner: payments$/m);
    expect(runCli(['status'], root).code).toBe(0);
  });

  it('an npm tarball (npm pack): pinned with npm integrity', () => {
    const root = project();
    const tgz = npmPack(acme(), root);
    const r = runCli(['init', '--yes', '--pack', `./${path.basename(tgz)}`], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(pins(root)[0]).toMatchObject({ kind: 'npm', name: 'acme-platform', version: '1.0.0' });
    expect(pins(root)[0]!.integrity).toMatch(/^sha512-/);
    expect(read(root, 'Dockerfile')).toContain('com.acme.owner="platform-team"');
  });

  it('a local bare git repository at a tag: pinned by commit', () => {
    const root = project();
    const work = acme();
    const bare = temp();
    git(bare, 'init', '--bare', '-q');
    git(work, 'init', '-q');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'acme 1.0.0');
    git(work, 'tag', 'v1.0.0');
    git(work, 'push', '-q', bare, 'HEAD:refs/heads/main', 'v1.0.0');
    const commit = git(work, 'rev-parse', 'HEAD').trim();
    const r = runCli(['init', '--yes', '--pack', `git+file://${bare}#v1.0.0`], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(pins(root)[0]).toEqual({
      source: `git+file://${bare}#v1.0.0`,
      kind: 'git',
      name: 'acme-platform',
      version: '1.0.0',
      integrity: `git:${commit}`,
    });
  });
});

describe('pinning and --update-pack', () => {
  it('a newer pack is not used until --update-pack, which shows the change and merges the edits', () => {
    const root = project();
    const v1 = npmPack(acme(), temp());
    const v2 = npmPack(
      acme((d) => bump(d, '1.1.0')),
      temp(),
    );
    cpSync(v1, path.join(root, 'acme.tgz'));
    expect(runCli(['init', '--yes', '--pack', './acme.tgz'], root).code).toBe(0);
    // the user's edit, and the team publishes 1.1.0 under the same file name
    writeFileSync(path.join(root, 'Dockerfile'), `${read(root, 'Dockerfile')}# our own note\n`);
    cpSync(v2, path.join(root, 'acme.tgz'));
    const pinned = runCli(['generate'], root);
    expect(pinned.code).toBe(0);
    expect(read(root, 'Dockerfile')).not.toContain('com.acme.pack');
    expect(pins(root)[0]!.version).toBe('1.0.0');
    // on another machine (no cache) the pinned tarball is gone: refused, nothing written
    const before = treeHash(root);
    const elsewhere = runCli(['generate'], root, freshCache());
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/--update-pack/);
    expect(treeHash(root)).toBe(before);
    const dry = runCli(['generate', '--update-pack', '--dry-run'], root);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('pack: acme-platform@1.0.0 → acme-platform@1.1.0');
    expect(dry.stdout).toContain('+LABEL com.acme.pack="1.1.0"');
    expect(treeHash(root)).toBe(before);
    const updated = runCli(['generate', '--update-pack'], root);
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('pack: acme-platform@1.0.0 → acme-platform@1.1.0');
    expect(read(root, 'Dockerfile')).toContain('LABEL com.acme.pack="1.1.0"');
    expect(read(root, 'Dockerfile')).toContain('# our own note');
    expect(pins(root)[0]!.version).toBe('1.1.0');
  });

  it('--pack builtin goes back to the built-in pack; --update-pack without a team pack is refused', () => {
    const root = project();
    expect(runCli(['init', '--yes', '--pack', acme()], root).code).toBe(0);
    expect(runCli(['generate', '--pack', 'builtin'], root).code).toBe(0);
    expect(pins(root)).toEqual([]);
    expect(read(root, '.dockforge/answers.yaml')).not.toMatch(/^owner:/m);
    expect(read(root, 'Dockerfile')).not.toContain('acme');
    // a file only the old pack wrote is left in place, no longer managed nor listed
    expect(existsSync(path.join(root, 'k8s/hpa.yaml'))).toBe(true);
    expect(read(root, 'k8s/kustomization.yaml')).not.toContain('hpa.yaml');
    expect(read(root, '.dockforge/manifest.json')).not.toContain('k8s/hpa.yaml');
    expect(runCli(['status'], root).code).toBe(0);
    const r = runCli(['generate', '--update-pack'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to update/);
  });
});

describe('layers: .dockforge/templates > team pack > its extends chain > built-in', () => {
  it('each layer wins over the ones below it, and templates list/show say which', () => {
    const root = project();
    // a parent pack (extends the built-in one) and a team pack that extends the parent
    const parent = temp();
    writeFileSync(
      path.join(parent, 'pack.yaml'),
      'name: acme-base\nversion: 2.0.0\nextends:\n  name: dockforge-builtin\n  version: "^0.1.0"\n',
    );
    mkdirSync(path.join(parent, 'partials', 'dockerfile'), { recursive: true });
    mkdirSync(path.join(parent, 'partials', 'k8s'), { recursive: true });
    writeFileSync(path.join(parent, 'partials', 'dockerfile', 'labels.hbs'), 'LABEL layer="parent"\n');
    const k8sLabels = readFileSync(path.join(REPO, 'templates', 'partials', 'k8s', 'labels.hbs'), 'utf8');
    writeFileSync(path.join(parent, 'partials', 'k8s', 'labels.hbs'), `${k8sLabels}layer: parent\n`);
    const team = acme((d) => {
      const yaml = readFileSync(path.join(d, 'pack.yaml'), 'utf8').replace(
        /extends:\n {2}name: dockforge-builtin\n {2}version: "\^0\.1\.0"/,
        `extends:\n  name: acme-base\n  version: "^2.0.0"\n  source: ${parent}`,
      );
      writeFileSync(path.join(d, 'pack.yaml'), yaml);
    });
    expect(runCli(['init', '--yes', '--pack', team], root).stderr).toBe('');
    // team over parent (dockerfile/labels); parent over built-in (k8s/labels: the team has its own, so check selector)
    expect(read(root, 'Dockerfile')).toContain('com.acme.owner');
    expect(read(root, 'Dockerfile')).not.toContain('layer="parent"');
    expect(pins(root).map((p) => p.name)).toEqual(['acme-platform', 'acme-base']);
    // the repository's own override wins over all
    const ejected = runCli(['templates', 'eject', 'dockerfile/labels'], root);
    expect(ejected.code).toBe(0);
    expect(ejected.stdout).toContain('.dockforge/templates/partials/dockerfile/labels.hbs');
    const local = path.join(root, '.dockforge', 'templates', 'partials', 'dockerfile', 'labels.hbs');
    writeFileSync(local, `${readFileSync(local, 'utf8')}LABEL layer="repository"\n`);
    expect(runCli(['generate'], root).code).toBe(0);
    expect(read(root, 'Dockerfile')).toContain('LABEL layer="repository"');
    const list = runCli(['templates', 'list', '--json'], root);
    expect(list.code).toBe(0);
    const rows = (JSON.parse(list.stdout) as { templates: { file: string; winner: string; overrides: string[] }[] })
      .templates;
    expect(rows.find((r) => r.file === 'partials/dockerfile/labels.hbs')).toEqual({
      file: 'partials/dockerfile/labels.hbs',
      kind: 'partial',
      partial: 'dockerfile/labels',
      winner: '.dockforge/templates',
      overrides: ['acme-platform@1.0.0', 'acme-base@2.0.0', 'dockforge-builtin@0.1.0'],
    });
    expect(rows.find((r) => r.file === 'files/Dockerfile.hbs')?.winner).toBe('dockforge-builtin@0.1.0');
    const show = runCli(['templates', 'show', 'k8s/labels'], root);
    expect(show.code).toBe(0);
    expect(show.stderr).toMatch(/^partials\/k8s\/labels\.hbs from acme-platform@1\.0\.0/);
    expect(show.stdout).toContain('acme.example/owner');
  });

  it('templates eject, then an edit: generate renders the edit (built-in pack alone)', () => {
    const root = project();
    expect(runCli(['templates', 'eject', 'k8s/labels'], root).code).toBe(0);
    const file = path.join(root, '.dockforge/templates/partials/k8s/labels.hbs');
    writeFileSync(file, `${readFileSync(file, 'utf8')}example.com/cost-center: "42"\n`);
    expect(runCli(['generate'], root).code).toBe(0);
    expect(read(root, 'k8s/service.yaml')).toContain('example.com/cost-center: "42"');
    const again = runCli(['templates', 'eject', 'k8s/labels'], root);
    expect(again.code).toBe(2);
  });
});

describe('templates new and check', () => {
  it('a new pack passes templates check as created; the acme example passes too', () => {
    const dir = path.join(temp(), 'my-pack');
    const made = runCli(['templates', 'new', dir], REPO);
    expect(made.code).toBe(0);
    const check = runCli(['templates', 'check', dir], REPO);
    expect(check.stdout).toMatch(
      /^ok: dockforge-builtin@0\.1\.0 \+ my-pack@0\.1\.0: .* 40 cells and a project of 4 services render/m,
    );
    expect(check.code).toBe(0);
    const acmeCheck = runCli(['templates', 'check', ACME], REPO);
    expect(acmeCheck.stdout).toMatch(/^ok: /m);
    expect(acmeCheck.code).toBe(0);
  });

  it('a pack whose manifest breaks Pod Security Standards restricted fails the check, naming the cells', () => {
    const pack = acme((d) => {
      const container = readFileSync(path.join(REPO, 'templates', 'partials', 'k8s', 'container.hbs'), 'utf8');
      writeFileSync(
        path.join(d, 'partials', 'k8s', 'container.hbs'),
        container.replace('allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true'),
      );
    });
    const r = runCli(['templates', 'check', pack], REPO);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^go-postgres-distroless-uid10001: k8s\/deployment\.yaml: .*allowPrivilegeEscalation/m);
  });

  it('schemas/pack.schema.json is the schema the loader checks with (UPDATE_SCHEMA=1 writes it)', () => {
    const file = path.join(REPO, 'schemas', 'pack.schema.json');
    if (process.env.UPDATE_SCHEMA) writeFileSync(file, `${JSON.stringify(PACK_SCHEMA, null, 2)}\n`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(PACK_SCHEMA)));
  });
});

describe('refusals: exit 2, nothing written', () => {
  /** Run init with `pack` in a fresh project and check it was refused with nothing written. */
  function refused(pack: string, extra: string[] = [], setup?: (root: string) => void): string {
    const root = project();
    setup?.(root);
    const before = treeHash(root);
    const r = runCli(['init', '--yes', '--force', '--pack', pack, ...extra], root);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(treeHash(root)).toBe(before);
    return r.stderr;
  }

  /** A copy of acme with pack.yaml's `files` replaced. */
  const withFiles = (files: string): string =>
    acme((d) => {
      const yaml = readFileSync(path.join(d, 'pack.yaml'), 'utf8').replace(/\nfiles:\n[\s\S]*$/, `\nfiles:\n${files}`);
      writeFileSync(path.join(d, 'pack.yaml'), yaml);
    });

  it('an output path with ../ or an absolute one', () => {
    expect(refused(withFiles('  - path: ../outside.yaml\n    template: k8s/hpa.yaml.hbs\n'))).toMatch(
      /at \/files\/0\/path: expected path written in the target repository/,
    );
    expect(refused(withFiles('  - path: /etc/dockforge.yaml\n    template: k8s/hpa.yaml.hbs\n'))).toMatch(
      /at \/files\/0\/path/,
    );
    expect(refused(withFiles('  - path: .git/hooks/pre-commit\n    template: k8s/hpa.yaml.hbs\n'))).toMatch(
      /dockforge's own state or git's/,
    );
  });

  it('an output path through a symlink that leaves the project', () => {
    const outside = temp();
    const message = refused(withFiles('  - path: deploy/hpa.yaml\n    template: k8s/hpa.yaml.hbs\n'), [], (root) =>
      symlinkSync(outside, path.join(root, 'deploy')),
    );
    expect(message).toMatch(/deploy\/hpa\.yaml.*outside the project/);
    expect(existsSync(path.join(outside, 'hpa.yaml'))).toBe(false);
  });

  it('helpers without --trust; with --trust they run and the trust is recorded', () => {
    const pack = acme((d) => {
      writeFileSync(path.join(d, 'helpers.cjs'), 'module.exports = { shout: (s) => String(s).toUpperCase() };\n');
      writeFileSync(
        path.join(d, 'pack.yaml'),
        `${readFileSync(path.join(d, 'pack.yaml'), 'utf8')}helpers: helpers.cjs\n`,
      );
      writeFileSync(path.join(d, 'partials', 'dockerfile', 'labels.hbs'), 'LABEL com.acme.owner="{{shout owner}}"\n');
    });
    expect(refused(pack)).toMatch(/registers Handlebars helpers \(helpers\.cjs\).*--trust/);
    const root = project();
    const r = runCli(['init', '--yes', '--pack', pack, '--trust'], root);
    expect(r.stderr).toBe('');
    expect(read(root, 'Dockerfile')).toContain('com.acme.owner="PLATFORM-TEAM"');
    expect(read(root, '.dockforge/answers.yaml')).toMatch(/trust:\n {4}- sha256-/);
    // recorded: later runs need no flag
    expect(runCli(['generate'], root).code).toBe(0);
  });

  it('an unknown question type', () => {
    const pack = acme((d) => {
      const yaml = readFileSync(path.join(d, 'pack.yaml'), 'utf8').replace('type: int', 'type: float');
      writeFileSync(path.join(d, 'pack.yaml'), yaml);
    });
    expect(refused(pack)).toMatch(
      /at \/questions\/1\/type: must be equal to one of the allowed values \(string, int, bool, choice\)/,
    );
  });

  it('a hostile answer value: a newline or a command substitution', () => {
    const pack = acme((d) => {
      const yaml = readFileSync(path.join(d, 'pack.yaml'), 'utf8').replace(
        'questions:\n',
        'questions:\n  - name: note\n    type: string\n    description: free text\n    default: none\n',
      );
      writeFileSync(path.join(d, 'pack.yaml'), yaml);
    });
    expect(refused(pack, ['--set', 'note=a $(id)'])).toMatch(/invalid note "a \$\(id\)": expected .*no quotes, \$/);
    expect(refused(pack, ['--set', 'note=a\nRUN id'])).toMatch(/invalid note/);
    expect(refused(pack, ['--set', 'owner=x"; id'])).toMatch(/invalid owner/);
  });

  it('a question named like a built-in answer', () => {
    const pack = acme((d) => {
      const yaml = readFileSync(path.join(d, 'pack.yaml'), 'utf8').replace('  - name: maxReplicas', '  - name: port');
      writeFileSync(path.join(d, 'pack.yaml'), yaml);
    });
    expect(refused(pack)).toMatch(/question port is a built-in answer's name/);
  });

  it('a pack of more than 1000 files', () => {
    const pack = acme((d) => {
      mkdirSync(path.join(d, 'files', 'many'));
      for (let i = 0; i < 1001; i++) writeFileSync(path.join(d, 'files', 'many', `f${i}.hbs`), 'x\n');
    });
    expect(refused(pack)).toMatch(/1000/);
  });
});

it('the scaffolded package.json and pack.yaml agree (npm pack publishes the pack)', () => {
  const dir = path.join(temp(), 'agree');
  expect(runCli(['templates', 'new', dir], REPO).code).toBe(0);
  const pkg = JSON.parse(read(dir, 'package.json')) as { name: string; version: string };
  const pack = parseYaml(read(dir, 'pack.yaml')) as { name: string; version: string };
  expect([pkg.name, pkg.version]).toEqual([pack.name, pack.version]);
  const tgz = npmPack(dir, temp());
  const listing = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' });
  expect(listing).toContain('package/pack.yaml');
  expect(listing).toContain('package/partials/dockerfile/labels.hbs');
  renameSync(tgz, `${tgz}.done`);
});
