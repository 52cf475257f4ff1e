/**
 * End-to-end proof of a project of several services: `npm run e2e:project`
 * (= `npx tsx proof/e2e/project.ts`).
 *
 * Copies examples/shop (a static web frontend + a Go API + PostgreSQL + Redis) as a fresh clone
 * has it, runs `dockforge init --yes --uid UID --gid UID` at its root through the built CLI,
 * builds every service's runtime target with Buildah (stand-in bases from proof/bases, the build
 * arguments compose.yaml gives), and runs them together in one Podman pod, each container
 * hardened like its compose service (read-only root, tmpfs /tmp, cap-drop ALL,
 * no-new-privileges, its user) with the environment compose.yaml and its env files give it. The
 * pod shares the host's network; each container's /etc/hosts (a read-only mount) maps every
 * compose service name (`api`, `db`, `redis`, `web`) to loopback, so the services find each
 * other by the names compose uses.
 *
 * PostgreSQL and Redis are stand-ins for compose's `postgres:18-alpine` and `redis:8-alpine`
 * containers (no registry is reachable here): Debian's `postgresql` and `redis-server`, started
 * by this harness on loopback with the project's database, user and the passwords init wrote into
 * the secret env files; only their ports differ from compose's (the harness's own ports, given to
 * the containers in PGPORT and REDIS_URL). On the host's network two services cannot both listen
 * on one port (compose gives each its own network namespace): a service whose published port
 * differs from its container port listens on the published one (PORT), its healthcheck too.
 *
 * Checks: every container's process runs as the compose user (from /proc); each compose
 * healthcheck command works inside its container; the API's health answers 200, and 503 while
 * Redis is stopped (it touches Redis), then 200 again; a write then a read through the API
 * (PostgreSQL) and a visit counter (Redis); the web frontend serves its page, SPA fallback and
 * health, its built JavaScript holds the API URL compose gave as a build argument, and that URL
 * reaches the API from the host (as the browser would); a new API container still reads the data
 * (PostgreSQL keeps it).
 *
 * Options: --uid N (default 23456), --keep. Environment as proof/e2e/run.ts (DOCKFORGE_E2E_CACHE …),
 * DOCKFORGE_E2E_PROJECT_REPORT (JSON report path). Exit: 0 when every check passed, 1 otherwise,
 * 2 on bad options.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { copyExampleSources } from '../../test/helpers/examples.js';
import { e2eStorage } from './storage.js';
import {
  CLI,
  HOST_CA,
  Postgres,
  REPO,
  http,
  podmanEngine,
  processIds,
  removeContainer,
  run,
  runLogged,
  sleep,
  type Engine,
} from './run.js';

/** One check and its outcome, as printed and reported. */
export interface Check {
  service: string;
  check: string;
  ok: boolean;
  detail: string;
}

/** A throwaway Redis server on 127.0.0.1:`port` (Debian's redis-server), with a password. */
export class Redis {
  private child: ReturnType<typeof spawn> | undefined;
  private dir = '';
  constructor(
    private readonly password: string,
    readonly port = 56379,
  ) {}

  /** Start it and wait until it answers PING. @throws when redis-server is absent or does not answer in 10 s. */
  async start(): Promise<void> {
    if (!existsSync('/usr/bin/redis-server')) {
      throw new Error('redis-server not found: run proof/scripts/install-tools.sh');
    }
    this.dir ||= mkdtempSync(path.join(tmpdir(), 'dockforge-e2e-redis-'));
    this.child = spawn(
      '/usr/bin/redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '-'],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    // the password on stdin (a config file read from `-`), never on the command line
    this.child.stdin!.end(`requirepass ${this.password}\n`);
    for (let i = 0; i < 40; i++) {
      if ((await this.cli(['ping'])).stdout.trim() === 'PONG') return;
      await sleep(250);
    }
    throw new Error(`redis-server did not answer on 127.0.0.1:${this.port}`);
  }

  /** `redis-cli` against it, the password in REDISCLI_AUTH. */
  cli(args: string[]): ReturnType<typeof run> {
    return run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], {
      env: { ...process.env, REDISCLI_AUTH: this.password },
      timeout: 5_000,
    });
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    const done = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    await done;
    this.child = undefined;
  }

  async remove(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `KEY=value` lines of an env file. */
function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Poll GET url until it answers `status` or `seconds` pass. */
async function waitFor(url: string, status: number, seconds: number): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if ((await http('GET', url)).status === status) return true;
    await sleep(500);
  }
  return false;
}

async function main(argv: string[]): Promise<number> {
  let uid = 23456;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--uid') uid = Number(argv[++i]);
    else if (argv[i] === '--keep') keep = true;
    else {
      process.stderr.write(
        `e2e:project: unknown option ${argv[i]}\nusage: npm run e2e:project -- [--uid N] [--keep]\n`,
      );
      return 2;
    }
  }
  if (!Number.isInteger(uid) || uid < 1) {
    process.stderr.write('e2e:project: --uid must be a positive integer\n');
    return 2;
  }
  if (!existsSync(CLI)) {
    process.stderr.write('e2e:project: dist/cli/main.cjs missing: run npm run build first\n');
    return 2;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'dockforge-e2e-project-'));
  const logs = path.join(REPO, '.e2e-cache', 'logs');
  mkdirSync(logs, { recursive: true });
  const npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, `cafile=${HOST_CA}\n`);
  // the pod's infra container starts with podman's default limits, which a container host may not
  // let it raise (runc: "error setting rlimits"): the same limits the e2e gives every container
  const conf = path.join(work, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n');
  process.env.CONTAINERS_CONF = conf;
  const engine: Engine = podmanEngine(npmrc);
  const checks: Check[] = [];
  const check = (service: string, name: string, ok: boolean, detail = ''): void => {
    checks.push({ service, check: name, ok, detail });
    process.stdout.write(`e2e:project: ${ok ? 'ok  ' : 'FAIL'} ${service}: ${name}${detail ? ` (${detail})` : ''}\n`);
  };

  // the example as a fresh clone has it, then dockforge init at its root
  const dir = path.join(work, 'shop');
  copyExampleSources(path.join(REPO, 'examples', 'shop'), dir);
  const init = await run(process.execPath, [CLI, 'init', '--yes', '--uid', String(uid), '--gid', String(uid)], {
    cwd: dir,
  });
  if (init.code !== 0) {
    process.stderr.write(`e2e:project: dockforge init failed: ${init.stderr}\n`);
    return 1;
  }
  const answers = parseYaml(readFileSync(path.join(dir, '.dockforge/answers.yaml'), 'utf8'));
  const compose = parseYaml(readFileSync(path.join(dir, 'compose.yaml'), 'utf8'));
  const apps = Object.keys(answers.services) as string[];
  process.stdout.write(`e2e:project: project ${answers.project}: ${apps.join(', ')}; UID:GID ${uid}:${uid}\n`);

  // stand-in bases for every service's FROM lines
  const store = e2eStorage();
  const tsx = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const dockerfiles = apps.map((a) => path.join(dir, answers.services[a].dir, 'Dockerfile'));
  const bases = await runLogged(
    process.execPath,
    [
      tsx,
      path.join(REPO, 'proof', 'bases', 'cli.ts'),
      '--root',
      store.root,
      '--runroot',
      store.runroot,
      ...dockerfiles,
    ],
    path.join(logs, 'project-bases.log'),
  );
  if (bases !== 0) {
    process.stderr.write(`e2e:project: stand-in bases failed; see ${path.join(logs, 'project-bases.log')}\n`);
    return 1;
  }

  // build every service with the build arguments compose gives it
  const tags: Record<string, string> = {};
  for (const app of apps) {
    const svc = compose.services[app];
    const tag = `localhost/dockforge-e2e-project/${app}:test`;
    const args = Object.entries((svc.build.args ?? {}) as Record<string, string>);
    const t0 = Date.now();
    const code = await engine.build(
      path.join(dir, svc.build.context),
      tag,
      path.join(logs, `project-${app}.build.log`),
      undefined,
      Object.fromEntries(args),
    );
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    check(
      app,
      'builds (runtime target)',
      code === 0,
      `${seconds}s${args.length ? `, ${args.map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
    );
    if (code !== 0) return finish(work, keep, checks);
    tags[app] = tag;
    const size = await run(engine.cli, [...engine.cliFlags, 'image', 'inspect', '--format', '{{.Size}}', tag]);
    process.stdout.write(`e2e:project: ${app} image ${(Number(size.stdout.trim()) / 1e6).toFixed(1)} MB\n`);
  }

  // the backing services: stand-ins on loopback with the project's database and passwords
  const pgSecrets = envFile(path.join(dir, '.dockforge/secrets/postgres.env'));
  const redisSecrets = envFile(path.join(dir, '.dockforge/secrets/redis.env'));
  const pg = new Postgres(path.join(logs, 'project-postgres.log'), 55433);
  const redis = new Redis(redisSecrets.REDIS_PASSWORD!);
  const pod = 'dockforge-e2e-shop';
  const names = apps.map((a) => `${pod}-${a}`);
  try {
    await pg.start();
    await pg.createDatabase(answers.project, pgSecrets.POSTGRES_PASSWORD, answers.project);
    await redis.start();
    // one pod on the host's network; compose's service names resolve to loopback
    await run(engine.cli, [...engine.cliFlags, 'pod', 'rm', '-f', pod]);
    const hosts = [...apps, ...Object.keys(compose.services).filter((s) => !apps.includes(s))];
    // one pod (its infra container is podman's pause image, made from catatonit) on the host's
    // network; on the host's network podman gives containers the host's /etc/hosts, so each gets
    // one that names every compose service on loopback (a read-only mount)
    const created = await run(engine.cli, [...engine.cliFlags, 'pod', 'create', '--name', pod, '--network', 'host']);
    const hostsFile = path.join(work, 'hosts');
    writeFileSync(hostsFile, `127.0.0.1 localhost ${hosts.join(' ')}\n::1 localhost\n`);
    const inPod = created.code === 0;
    check('pod', `one Podman pod on the host's network, ${hosts.join(', ')} → 127.0.0.1`, inPod, created.stderr.trim());
    if (!inPod) process.stdout.write('e2e:project: no pod: the containers run side by side, on the same hosts\n');
    const startApp = async (app: string): Promise<string> => {
      const svc = compose.services[app];
      const env: Record<string, string> = {};
      for (const f of svc.env_file ?? [])
        Object.assign(env, envFile(path.join(dir, typeof f === 'string' ? f : f.path)));
      for (const [k, v] of Object.entries(svc.environment ?? {})) env[k] = String(v);
      // on the host's network two services cannot both listen on one port, as they do in compose's
      // separate network namespaces: a service listens on the host port compose publishes it on
      const [, hostPort, containerPort] = String(svc.ports[0]).split(':');
      if (hostPort !== containerPort) env.PORT = hostPort!;
      // the stand-ins' ports instead of compose's (the names stay compose's)
      if (env.PGPORT) env.PGPORT = String(pg.port);
      if (env.REDIS_PORT) env.REDIS_PORT = String(redis.port);
      for (const [k, v] of Object.entries(env)) env[k] = v.replace('@redis:6379', `@redis:${redis.port}`);
      const name = `${pod}-${app}`;
      await removeContainer(engine, name);
      const args = [
        ...engine.cliFlags,
        'run',
        '-d',
        '--name',
        name,
        ...(inPod ? ['--pod', pod, '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'] : engine.runFlags),
        '--volume',
        `${hostsFile}:/etc/hosts:ro`,
        '--user',
        svc.user,
        '--read-only',
        '--tmpfs',
        '/tmp',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        tags[app]!,
      ];
      const r = await run(engine.cli, args);
      if (r.code !== 0) throw new Error(`${app}: podman run failed: ${r.stderr.trim()}`);
      return name;
    };
    for (const app of apps) await startApp(app);

    for (const app of apps) {
      const svc = compose.services[app];
      const port = String(svc.ports[0]).split(':')[1];
      const health = answers.services[app].healthPath;
      const up = await waitFor(`http://127.0.0.1:${port}${health}`, 200, 90);
      check(app, `health ${health} answers 200`, up);
      if (!up) {
        const l = await run(engine.cli, [...engine.cliFlags, 'logs', `${pod}-${app}`]);
        process.stdout.write(`${(l.stdout + l.stderr).slice(-1200)}\n`);
      }
      const ids = await processIds(engine, `${pod}-${app}`);
      check(app, `runs as ${svc.user}`, ids === svc.user, `seen ${ids}`);
      const [, hostPort, containerPort] = String(svc.ports[0]).split(':');
      const hc = (svc.healthcheck.test as string[]).map((a) => a.replace(`:${containerPort}/`, `:${hostPort}/`));
      const exec = await run(engine.cli, [...engine.cliFlags, 'exec', `${pod}-${app}`, ...hc.slice(1)]);
      check(app, 'compose healthcheck command, inside the container', exec.code === 0, hc.slice(1).join(' '));
    }

    const apiPort = String(compose.services.api.ports[0]).split(':')[1];
    const api = `http://127.0.0.1:${apiPort}`;
    // health touches Redis: down while it is stopped, up again after
    await redis.stop();
    const down = await waitFor(`${api}/healthz`, 503, 20);
    await redis.start();
    const back = await waitFor(`${api}/healthz`, 200, 30);
    check('api', 'health is 503 while Redis is stopped, 200 once it is back', down && back);
    // PostgreSQL: a write then a read
    const message = `e2e project ${Date.now()}`;
    const post = await http('POST', `${api}/logs`, { message });
    const list = await http('GET', `${api}/logs`);
    check(
      'api',
      'write then read (PostgreSQL)',
      post.status === 201 && list.text.includes(message),
      `POST ${post.status}`,
    );
    // Redis: the counter counts
    const v1 = await http('GET', `${api}/api/visits`);
    const v2 = await http('GET', `${api}/api/visits`);
    const n1 = Number(JSON.parse(v1.text || '{}').visits);
    const n2 = Number(JSON.parse(v2.text || '{}').visits);
    check('api', 'visit counter (Redis)', n2 === n1 + 1, `${n1} → ${n2}`);

    // web: page, SPA fallback, the API URL baked in, and that URL reaches the API
    const webPort = String(compose.services.web.ports[0]).split(':')[1];
    const web = `http://127.0.0.1:${webPort}`;
    const page = await http('GET', `${web}/`);
    check('web', 'serves its page', page.status === 200 && page.text.includes('<title>shop</title>'));
    const deep = await http('GET', `${web}/orders/42`);
    check(
      'web',
      'unknown path serves index.html (single-page app)',
      deep.status === 200 && deep.text.includes('<title>shop'),
    );
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(page.text)?.[1];
    const js = script ? await http('GET', `${web}${script}`) : { status: 0, text: '' };
    const apiUrl = String(compose.services.web.build.args.VITE_API_URL);
    check(
      'web',
      `its JavaScript holds the API URL (${apiUrl})`,
      js.status === 200 && js.text.includes(apiUrl),
      script ?? 'no script',
    );
    const viaUrl = await http('GET', `${apiUrl.replace('localhost', '127.0.0.1')}/api/visits`);
    check(
      'web',
      'that URL reaches the API from the host (as the browser does)',
      viaUrl.status === 200,
      viaUrl.text.trim(),
    );

    // a new API container reads what the first one wrote
    await removeContainer(engine, `${pod}-api`);
    await startApp('api');
    const again = (await waitFor(`${api}/healthz`, 200, 60))
      ? await http('GET', `${api}/logs`)
      : { status: 0, text: '' };
    check('api', 'a new container reads the data (PostgreSQL keeps it)', again.text.includes(message));
  } catch (e) {
    check('harness', 'runs', false, (e as Error).message);
  } finally {
    for (const n of names) await removeContainer(engine, n);
    await run(engine.cli, [...engine.cliFlags, 'pod', 'rm', '-f', pod]);
    await redis.remove();
    await pg.stop();
    if (!process.env.DOCKFORGE_E2E_KEEP_IMAGES) {
      for (const t of Object.values(tags)) await run(engine.cli, [...engine.cliFlags, 'rmi', '-f', t]);
    }
  }
  return finish(work, keep, checks);
}

/** Print the table, write the report, clean up; exit code. */
function finish(work: string, keep: boolean, checks: Check[]): number {
  const rows = checks.map((c) => `| ${c.service} | ${c.check} | ${c.ok ? 'ok' : 'FAILED'} | ${c.detail} |`);
  process.stdout.write(`\n| service | check | result | detail |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`);
  const report = {
    date: new Date().toISOString(),
    backing:
      "PostgreSQL and Redis are Debian's postgresql and redis-server started on loopback by the harness " +
      '(stand-ins for the postgres:18-alpine and redis:8-alpine compose services); base images are stand-ins ' +
      'built from Debian 13 packages by proof/bases',
    checks,
  };
  const out = process.env.DOCKFORGE_E2E_PROJECT_REPORT ?? path.join(REPO, '.e2e-cache', 'e2e-project-report.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(`e2e:project: ${checks.length - failed} passed, ${failed} failed; report ${out}\n`);
  if (!keep) rmSync(work, { recursive: true, force: true });
  return failed > 0 || checks.length === 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`e2e:project: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
