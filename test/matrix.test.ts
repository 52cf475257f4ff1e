/**
 * Every cell of the matrix — language {go, node, c} × database {sqlite, postgres, none} ×
 * runtime {alpine, distroless} — rendered through the built CLI with a non-default UID/GID,
 * then checked: Dockerfile rules (dockerfile-ast), compose.yaml against the Compose
 * Specification schema, every Kubernetes object with kubernetes-models and the PSS restricted
 * fields, kustomization listing every file.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLES, FIXTURES, cleanup, read, runCli, tempRepo } from './helpers/cli.js';
import { checkDockerfile } from './helpers/dockerfile-rules.js';
import { composeErrors, k8sErrors, loadManifests, pssRestrictedErrors } from './helpers/manifests.js';

const FIXTURE = { go: 'go-cmd', node: 'node-build', c: 'c-make' } as const;
const UID = 12345;
const GID = 23456;
// each cell renders from its own example app, and again from a fixture with other variants
// (Go: cgo driver and cmd/<name>; Node: pnpm, TypeScript build; C: plain make)
const cells = (['go', 'node', 'c'] as const).flatMap((language) =>
  (['sqlite', 'postgres', 'none'] as const).flatMap((database) =>
    (['alpine', 'distroless'] as const).flatMap((runtime) =>
      [path.join(EXAMPLES, `${language}-${database}`), path.join(FIXTURES, FIXTURE[language])].map((source) => ({
        language,
        database,
        runtime,
        source,
        from: path.relative(path.join(FIXTURES, '..', '..'), source),
      })),
    ),
  ),
);
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

describe.each(cells)('cell $language × $database × $runtime from $from', ({ language, database, runtime, source }) => {
  const dir = tempRepo(source);
  dirs.push(dir);
  const res = runCli(['init', '--yes', '--force', '--language', language, '--database', database, '--runtime', runtime, '--uid', String(UID), '--gid', String(GID)], dir);
  const port = Number(parseYaml(existsSync(path.join(dir, '.dockforge/answers.yaml')) ? read(dir, '.dockforge/answers.yaml') : 'port: 0').port);

  it('init exits 0 and writes the files', () => {
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    for (const f of ['Dockerfile', '.dockerignore', 'compose.yaml', 'README.Docker.md', 'k8s/deployment.yaml', 'k8s/service.yaml', 'k8s/kustomization.yaml', '.dockforge/answers.yaml', '.dockforge/manifest.json']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    expect(existsSync(path.join(dir, 'k8s/pvc.yaml'))).toBe(database === 'sqlite');
    expect(existsSync(path.join(dir, 'k8s/postgres.yaml'))).toBe(database === 'postgres');
  });

  it('Dockerfile meets every rule', () => {
    expect(checkDockerfile(read(dir, 'Dockerfile'), { uid: UID, gid: GID, port, language, runtime, database })).toEqual([]);
  });

  it('answers.yaml records every answer', () => {
    const a = parseYaml(read(dir, '.dockforge/answers.yaml'));
    expect(a).toMatchObject({ language, database, runtime, uid: UID, gid: GID, port });
    expect(a.name).toMatch(/^[a-z0-9-]+$/);
    expect(a._dockforge.version).toBe('0.1.0');
  });

  it('compose.yaml validates against the Compose Specification and is hardened', () => {
    const text = read(dir, 'compose.yaml');
    const doc = parseYaml(text);
    expect(composeErrors(doc)).toEqual([]);
    expect(doc.version).toBeUndefined();
    const app = doc.services.app;
    expect(app.build).toEqual({ context: '.', target: 'runtime' });
    expect(app.user).toBe(`${UID}:${GID}`);
    expect(app.read_only).toBe(true);
    expect(app.tmpfs).toContain('/tmp');
    expect(app.security_opt).toContain('no-new-privileges:true');
    expect(app.cap_drop).toEqual(['ALL']);
    expect(app.init).toBe(language === 'node' ? true : undefined);
    expect(app.healthcheck.test[0]).toBe('CMD');
    if (runtime === 'distroless') expect(app.healthcheck.test[1]).toMatch(/^\/(usr\/local\/bin\/healthcheck|nodejs\/bin\/node)$/);
    expect(doc.services.dev.profiles).toEqual(['dev']);
    expect(doc.services.dev.build.target).toBe('dev');
    expect(doc.services.dev.develop.watch.length).toBeGreaterThan(0);
    if (database === 'sqlite') {
      expect(app.volumes).toEqual(['data:/data']);
      expect(doc.volumes).toHaveProperty('data');
      expect(doc.services.db).toBeUndefined();
    } else if (database === 'postgres') {
      expect(doc.services.db.image).toBe('postgres:18-alpine');
      expect(doc.services.db.volumes).toEqual(['db-data:/var/lib/postgresql']);
      expect(doc.services.db.healthcheck.test).toContain('pg_isready');
      expect(app.depends_on).toEqual({ db: { condition: 'service_healthy' } });
      expect(app.env_file[0].path).toBe('.dockforge/secrets/postgres.env');
      expect(text).not.toMatch(/PASSWORD\s*[:=]\s*\S/);
    } else {
      expect(app.volumes).toBeUndefined();
      expect(doc.services.db).toBeUndefined();
      expect(doc.volumes).toBeUndefined();
    }
  });

  it('Kubernetes manifests validate, meet PSS restricted, and kustomization lists every file', () => {
    const files = readdirSync(path.join(dir, 'k8s')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    const kustomization = parseYaml(read(dir, 'k8s/kustomization.yaml'));
    expect([...kustomization.resources].sort()).toEqual(files);
    const objects = files.flatMap((f) => loadManifests(read(dir, `k8s/${f}`)));
    for (const o of objects) {
      expect(k8sErrors(o)).toEqual([]);
      expect(pssRestrictedErrors(o)).toEqual([]);
      expect(o.metadata.labels['app.kubernetes.io/name']).toBeTruthy();
    }
    const dep = objects.find((o) => o.kind === 'Deployment')!;
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: UID, runAsGroup: GID, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.fsGroup).toBe(database === 'sqlite' ? GID : undefined);
    expect(pod.volumes.find((v: any) => v.name === 'tmp').emptyDir).toBeTruthy();
    const c = pod.containers[0];
    // startup and readiness call the health path; liveness is a TCP check on the same port
    for (const p of ['startupProbe', 'readinessProbe']) expect(c[p].httpGet).toEqual({ path: parseYaml(read(dir, '.dockforge/answers.yaml')).healthPath, port: 'http' });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 'http' });
    expect(c.image).toMatch(/:[^:]+$/);
    if (database === 'sqlite') {
      expect(dep.spec.replicas).toBe(1);
      expect(dep.spec.strategy.type).toBe('Recreate');
      const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    } else {
      expect(dep.spec.replicas).toBe(2);
      expect(dep.spec.strategy.type).toBe('RollingUpdate');
      expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(database === 'postgres' || database === 'none');
    }
    if (database === 'postgres') {
      expect(objects.some((o) => o.kind === 'StatefulSet')).toBe(true);
      expect(objects.some((o) => o.kind === 'Service' && o.spec.clusterIP === 'None')).toBe(true);
      expect(kustomization.secretGenerator[0].envs).toEqual(['secrets/postgres.env']);
      const env = c.env.find((e: any) => e.name === 'PGPASSWORD');
      expect(env.valueFrom.secretKeyRef.name).toBe(kustomization.secretGenerator[0].name);
    }
  });

  it('secrets: random, git-ignored, docker-ignored, only for postgres', () => {
    const secret = path.join(dir, '.dockforge/secrets/postgres.env');
    expect(existsSync(secret)).toBe(database === 'postgres');
    if (database !== 'postgres') return;
    const env = read(dir, '.dockforge/secrets/postgres.env');
    expect(env).toMatch(/^POSTGRES_PASSWORD=[A-Za-z0-9_-]{32}\nPGPASSWORD=[A-Za-z0-9_-]{32}\n$/);
    expect(read(dir, 'k8s/secrets/postgres.env')).toMatch(/^password=[A-Za-z0-9_-]{32}\n$/);
    const gitignore = read(dir, '.gitignore');
    expect(gitignore).toContain('/.dockforge/secrets/');
    expect(gitignore).toContain('/k8s/secrets/');
    const dockerignore = read(dir, '.dockerignore');
    expect(dockerignore).toContain('.dockforge/*');
    expect(dockerignore).toContain('k8s/');
    const manifest = read(dir, '.dockforge/manifest.json');
    expect(manifest).not.toContain(env.split('=')[1]!.trim());
  });
});
