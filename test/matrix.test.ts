/**
 * Every golden cell (registry languages × database choices × runtime bases, plus variants)
 * rendered in-process with a non-default UID/GID, then checked: Dockerfile rules
 * (dockerfile-ast), compose.yaml against the Compose Specification schema, every Kubernetes
 * object with kubernetes-models and the PSS restricted fields, kustomization listing every file.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkDockerfile } from './helpers/dockerfile-rules.js';
import { composeErrors, k8sErrors, loadManifests, pssRestrictedErrors } from './helpers/manifests.js';
import { registryCells, renderFiles } from './helpers/render.js';

describe.each(registryCells())('cell $id', ({ answers }) => {
  const language = answers.language as 'go' | 'static' | 'node' | 'c';
  const database = answers.database as string;
  const cache = (answers.cache as string | undefined) ?? 'none';
  const base = answers.base as 'alpine' | 'distroless';
  const UID = answers.uid as number;
  const GID = answers.gid as number;
  const port = answers.port as number;
  const files = (): Promise<Map<string, string>> => renderFiles(answers);

  it('renders the core files, and the volume or database files the database needs', async () => {
    const f = await files();
    for (const p of [
      'Dockerfile',
      '.dockerignore',
      'compose.yaml',
      'README.Docker.md',
      'k8s/deployment.yaml',
      'k8s/service.yaml',
      'k8s/kustomization.yaml',
    ]) {
      expect(f.has(p), p).toBe(true);
    }
    expect(f.has('k8s/pvc.yaml')).toBe(database === 'sqlite');
    expect(f.has('k8s/postgres.yaml')).toBe(database === 'postgres');
    expect(f.has('k8s/redis.yaml')).toBe(cache === 'redis');
  });

  it('Dockerfile meets every rule', async () => {
    const f = await files();
    expect(
      checkDockerfile(f.get('Dockerfile')!, {
        uid: UID,
        gid: GID,
        port,
        language,
        runtime: base,
        database: database as never,
      }),
    ).toEqual([]);
  });

  it('compose.yaml validates against the Compose Specification and is hardened', async () => {
    const text = (await files()).get('compose.yaml')!;
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
    if (base === 'distroless')
      expect(app.healthcheck.test[1]).toMatch(/^\/(usr\/local\/bin\/(healthcheck|static-server)|nodejs\/bin\/node)$/);
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
      expect(Object.keys(app.depends_on)).toContain('db');
      expect(app.depends_on.db).toEqual({ condition: 'service_healthy' });
      expect(app.env_file[0].path).toBe('.dockforge/secrets/postgres.env');
      expect(text).not.toMatch(/PASSWORD\s*[:=]\s*\S/);
    } else {
      expect(app.volumes).toBeUndefined();
      expect(doc.services.db).toBeUndefined();
      expect(doc.volumes).toBeUndefined();
    }
    if (cache === 'redis') {
      const redis = doc.services.redis;
      expect(redis.image).toBe('redis:8-alpine');
      expect(redis.user).toBe('redis');
      expect(redis.read_only).toBe(true);
      expect(redis.cap_drop).toEqual(['ALL']);
      expect(redis.security_opt).toContain('no-new-privileges:true');
      expect(redis.healthcheck.test).toEqual(['CMD-SHELL', 'redis-cli ping | grep -q PONG']);
      expect(redis.command.at(-1)).toMatch(/^exec redis-server --requirepass "\$\$REDIS_PASSWORD" /);
      expect(app.depends_on.redis).toEqual({ condition: 'service_healthy' });
      expect(app.env_file.map((e: { path: string }) => e.path)).toContain('.dockforge/secrets/redis.env');
      expect(redis.volumes).toEqual(answers.redisPersistence ? ['redis-data:/data'] : undefined);
      expect(text).not.toMatch(/PASSWORD\s*[:=]\s*[^"\s]/);
    } else {
      expect(doc.services.redis).toBeUndefined();
    }
  });

  it('Kubernetes manifests validate, meet PSS restricted, and kustomization lists every file', async () => {
    const f = await files();
    const k8s = [...f.keys()]
      .filter((p) => p.startsWith('k8s/') && p.endsWith('.yaml') && p !== 'k8s/kustomization.yaml')
      .map((p) => p.slice(4))
      .sort();
    const kustomization = parseYaml(f.get('k8s/kustomization.yaml')!);
    expect([...kustomization.resources].sort()).toEqual(k8s);
    const objects = k8s.flatMap((p) => loadManifests(f.get(`k8s/${p}`)!));
    for (const o of objects) {
      expect(k8sErrors(o)).toEqual([]);
      expect(pssRestrictedErrors(o)).toEqual([]);
      expect(o.metadata.labels['app.kubernetes.io/name']).toBeTruthy();
    }
    const dep = objects.find((o) => o.kind === 'Deployment')!;
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: UID,
      runAsGroup: GID,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.fsGroup).toBe(database === 'sqlite' ? GID : undefined);
    expect(pod.volumes.find((v: any) => v.name === 'tmp').emptyDir).toBeTruthy();
    const c = pod.containers[0];
    // startup and readiness call the health path; liveness is a TCP check on the same port
    if (answers.healthPath === 'none') {
      // no health route: TCP readiness, and liveness runs the compose healthcheck's command
      for (const p of ['startupProbe', 'readinessProbe']) expect(c[p].tcpSocket).toEqual({ port: 'http' });
      const compose = parseYaml(f.get('compose.yaml')!);
      expect(c.livenessProbe.exec.command).toEqual(compose.services.app.healthcheck.test.slice(1));
    } else {
      // startup and readiness call the health path; liveness is a TCP check on the same port
      for (const p of ['startupProbe', 'readinessProbe']) {
        expect(c[p].httpGet).toEqual({ path: answers.healthPath, port: 'http' });
      }
      expect(c.livenessProbe.tcpSocket).toEqual({ port: 'http' });
    }
    expect(c.image).toMatch(/:[^:]+$/);
    if (database === 'sqlite') {
      expect(dep.spec.replicas).toBe(1);
      expect(dep.spec.strategy.type).toBe('Recreate');
      const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    } else {
      expect(dep.spec.replicas).toBe(2);
      expect(dep.spec.strategy.type).toBe('RollingUpdate');
      expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(
        database === 'postgres' || database === 'none',
      );
    }
    if (database === 'postgres') {
      expect(objects.some((o) => o.kind === 'StatefulSet')).toBe(true);
      expect(objects.some((o) => o.kind === 'Service' && o.spec.clusterIP === 'None')).toBe(true);
      expect(kustomization.secretGenerator[0].envs).toEqual(['secrets/postgres.env']);
      const env = c.env.find((e: any) => e.name === 'PGPASSWORD');
      expect(env.valueFrom.secretKeyRef.name).toBe(kustomization.secretGenerator[0].name);
    }
    if (cache === 'redis') {
      // a cache is a Deployment with one replica; with its data kept, a StatefulSet with a claim
      const name = `${answers.name}-redis`;
      const redis = objects.find((o) => o.metadata.name === name && /^(Deployment|StatefulSet)$/.test(o.kind))!;
      expect(redis.kind).toBe(answers.redisPersistence ? 'StatefulSet' : 'Deployment');
      expect(redis.spec.replicas).toBe(1);
      expect(Boolean(redis.spec.volumeClaimTemplates)).toBe(Boolean(answers.redisPersistence));
      expect(redis.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      const gen = kustomization.secretGenerator.find((g: any) => g.name === name);
      expect(gen.envs).toEqual(['secrets/redis.env']);
      for (const key of ['REDIS_PASSWORD', 'REDIS_URL']) {
        expect(c.env.find((e: any) => e.name === key).valueFrom.secretKeyRef.name).toBe(name);
      }
      const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name)!;
      expect(policy.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('server');
      expect(policy.spec.egress).toEqual([]);
    }
  });
});
