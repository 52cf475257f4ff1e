/**
 * What the generated files do, read as the field's tools read them, on every cell:
 * - compose: `app` and the `dev` profile's service publish different host ports, since
 *   `docker compose --profile dev watch` starts both (a second bind to one port fails);
 * - the dev stage that Compose Watch syncs into gives the sources and /app to the container
 *   user (Docker docs, "Use Compose Watch": sync runs as that user; COPY --chown);
 * - README.Docker.md says what the probes are, and how a fresh clone gets the git-ignored secrets.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDockerfile } from './helpers/dockerfile-rules.js';
import { registryCells, renderFiles } from './helpers/render.js';

describe.each(registryCells())('$id', ({ answers }) => {
  it('app and dev publish different host ports', async () => {
    const files = await renderFiles(answers);
    const compose = parseYaml(files.get(String(answers.composeFile ?? 'compose.yaml'))!);
    const hostPorts = (svc: { ports?: string[] }): string[] =>
      (svc.ports ?? []).map((p) => p.split(':').slice(0, -1).join(':'));
    const app = hostPorts(compose.services.app);
    const dev = hostPorts(compose.services.dev);
    expect(app).toHaveLength(1);
    expect(dev).toHaveLength(1);
    expect(dev.filter((p) => app.includes(p))).toEqual([]);
    expect(files.get('README.Docker.md')).toContain(`dev on http://${dev[0]!.replace(/:\d+$/, '')}:`);
  });

  it('a dev stage that compose watch syncs into belongs to the container user', async () => {
    const files = await renderFiles(answers);
    const compose = parseYaml(files.get(String(answers.composeFile ?? 'compose.yaml'))!);
    const syncs = (compose.services.dev.develop.watch as { action: string; target?: string }[]).filter((w) =>
      w.action.startsWith('sync'),
    );
    const dev = parseDockerfile(files.get('Dockerfile')!).stages.find((s) => s.name === 'dev')!;
    const lines = dev.instructions.map((i) => i.getTextContent?.() ?? '');
    for (const w of syncs) {
      const owner = `--chown=${answers.uid ?? 10001}:${answers.gid ?? answers.uid ?? 10001}`;
      expect(lines.some((l) => l.startsWith(`COPY ${owner} . .`))).toBe(true);
      // the target (and, for a static site, its node_modules, where the dev server caches)
      expect(lines.some((l) => new RegExp(`^RUN chown \\d+:\\d+ ${w.target}( \\S+)*$`).test(l))).toBe(true);
      expect(lines.filter((l) => /^COPY (?!--chown)\S* ?\. \.$/.test(l))).toEqual([]);
    }
  });

  it('README.Docker.md describes the probes as the manifests define them, and the fresh-clone secrets', async () => {
    const files = await renderFiles(answers);
    const readme = files.get('README.Docker.md')!;
    const deployment = parseYaml(files.get('k8s/deployment.yaml')!);
    const c = deployment.spec.template.spec.containers[0];
    if (c.livenessProbe.tcpSocket) expect(readme).toMatch(/liveness probe is a\s+TCP check/);
    if (c.readinessProbe.httpGet) expect(readme).toContain(`probes call \`${c.readinessProbe.httpGet.path}\``);
    const envFiles = (parseYaml(files.get(String(answers.composeFile ?? 'compose.yaml'))!).services.app.env_file ??
      []) as { path: string }[];
    for (const f of envFiles) {
      expect(readme).toContain(`- \`${f.path}\``);
      expect(readme).toContain('npx dockforge generate` makes them');
    }
  });
});

describe('environment values are literal wherever they are written', () => {
  it('compose doubles $ (no host interpolation); Kubernetes escapes $( (no variable reference)', async () => {
    const files = await renderFiles({ language: 'go', database: 'none', env: 'A=$(id),B=$HOME,C=50%' });
    const compose = parseYaml(files.get('compose.yaml')!) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    expect(compose.services.app!.environment).toMatchObject({ A: '$$(id)', B: '$$HOME', C: '50%' });
    const deployment = parseYaml(files.get('k8s/deployment.yaml')!) as {
      spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    };
    const env = deployment.spec.template.spec.containers[0]!.env;
    expect(env.filter((e) => ['A', 'B', 'C'].includes(e.name))).toEqual([
      { name: 'A', value: '$$(id)' },
      { name: 'B', value: '$HOME' },
      { name: 'C', value: '50%' },
    ]);
  });
});
