/**
 * Steps 4 and 5 of the corpus run: start the built image with Podman + runc the way compose.yaml's
 * `app` service would run it (its user, read-only root, tmpfs, capabilities, security options,
 * environment, env files and volumes; host networking, `db` resolving to the harness's PostgreSQL),
 * then measure: still running after 20 s, the port answers, dockforge's health check, the corpus's
 * real health path, and for an app with a volume, whether its files survive a new container.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { http, processIds, removeContainer, run, sleep, type Engine } from '../e2e/run.js';
import { lastLines } from './image.js';
import { podmanRunArgs, type RunSpec } from './compose.js';

/** Whether something accepts a TCP connection on 127.0.0.1:`port` within `timeoutMs`. */
export function tcpAnswers(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** An IPv4 or IPv6 address as /proc/net/tcp{,6} writes it (32-bit words in host order, little-endian here). */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

/** The process `pid` and its descendants, from /proc/<n>/stat. */
function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* the process ended meanwhile */
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parent) if (pp === tree[i]) tree.push(p);
  return tree;
}

/**
 * The TCP addresses (`address:port`) that process `pid` or its descendants listen on, read from /proc on the
 * host (the container shares the host's network namespace). Empty when the process is gone.
 */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const p of processTree(pid)) {
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      }
    } catch {
      /* the process ended meanwhile */
    }
  }
  const out: string[] = [];
  for (const file of ['tcp', 'tcp6']) {
    const text = existsSync(`/proc/${pid}/net/${file}`) ? readFileSync(`/proc/${pid}/net/${file}`, 'utf8') : '';
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A: LISTEN
      const [addr, port] = f[1]!.split(':');
      out.push(`${procAddress(addr!)}:${parseInt(port!, 16)}`);
    }
  }
  return [...new Set(out)];
}

/** Whether every listening address on `port` is a loopback one (nothing outside the container reaches it). */
export function loopbackOnly(addresses: string[], port: number): boolean {
  const on = addresses.filter((a) => a.endsWith(`:${port}`));
  return on.length > 0 && on.every((a) => a.startsWith('127.') || a.startsWith('[::1]'));
}

/** dockforge's health check for the app: an HTTP GET of a path, or a TCP connect when it found no route. */
export type HealthCheck = { kind: 'http'; path: string } | { kind: 'tcp' };

/** What one container run showed. */
export interface RunMeasure {
  started: boolean;
  startError?: string;
  /** `UID:GID` of the container's main process, from /proc on the host. */
  uidSeen?: string;
  runningAfter20s: boolean;
  /** When it stopped before 20 s: its exit code. */
  exitCode?: number;
  /** Seconds from start to the first accepted TCP connection (within the first 20 s). */
  portFirstSeconds?: number;
  /** A TCP connect to the port after the 20 s mark. */
  portAnswers: boolean;
  /** What the app's processes listen on (`address:port`), after the 20 s mark. */
  listening?: string[];
  /**
   * The port is bound to a loopback address only: it answers here (host network) but not through
   * compose's published port or a Kubernetes probe.
   */
  loopbackOnly?: boolean;
  /** HTTP status of dockforge's health path (0: no answer), or the TCP result for a TCP check. */
  health: { kind: 'http'; path: string; status: number; ok: boolean } | { kind: 'tcp'; ok: boolean };
  /**
   * HTTP status of the corpus's real health path on dockforge's port, when the corpus has one; and on the
   * corpus's own port (`otherStatus`) when the app answers there instead.
   */
  truth?: { path: string; status: number; otherStatus?: number };
  /** Exit code of compose's healthcheck command run inside the container (undefined: none or not running). */
  composeHealthcheck?: number;
  /** The corpus's default port, when it differs from dockforge's: does it answer? */
  otherPort?: { port: number; answers: boolean };
  /** Last lines of the container's output. */
  logTail: string[];
}

/** Options of {@link measureContainer}. */
export interface RunOptions {
  engine: Engine;
  tag: string;
  name: string;
  spec: RunSpec;
  /** The app's port (dockforge's answer). */
  port: number;
  check: HealthCheck;
  truthPath: string | null;
  corpusPort?: number;
  /** Compose's healthcheck `test` (CMD form), if any. */
  healthcheckTest?: string[];
  volumeName: (name: string) => string;
  env?: Record<string, string>;
  addHosts?: string[];
  /** Seconds to wait before judging "still running" (20). */
  settleSeconds?: number;
}

/** A 2xx answer. */
const good = (status: number): boolean => status >= 200 && status < 300;

async function inspect(engine: Engine, name: string, format: string): Promise<string> {
  const r = await run(engine.cli, [...engine.cliFlags, 'inspect', '--format', format, name]);
  return r.code === 0 ? r.stdout.trim() : '';
}

/** Poll `fn` every 500 ms until it is true or `seconds` pass. */
async function poll(seconds: number, fn: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= end) return false;
    await sleep(500);
  }
}

/** `podman run -d` of the spec; the container is removed first if it exists. */
export async function startContainer(o: RunOptions): Promise<{ ok: boolean; error?: string }> {
  await removeContainer(o.engine, o.name);
  const { flags, command } = podmanRunArgs(o.spec, { volumeName: o.volumeName, env: o.env, addHosts: o.addHosts });
  const args = [...o.engine.cliFlags, 'run', '-d', '--name', o.name, ...o.engine.runFlags, ...flags, o.tag, ...command];
  const r = await run(o.engine.cli, args, { timeout: 120_000 });
  return r.code === 0 ? { ok: true } : { ok: false, error: lastLines(r.stderr || r.stdout, 3).join(' | ') };
}

/**
 * Start the container and measure it (see {@link RunMeasure}). Leaves the container in place
 * (running or exited) for the caller to inspect or remove. Never throws for the app's failures.
 */
export async function measureContainer(o: RunOptions): Promise<RunMeasure> {
  const settle = o.settleSeconds ?? 20;
  const res: RunMeasure = {
    started: false,
    runningAfter20s: false,
    portAnswers: false,
    health: o.check.kind === 'http' ? { ...o.check, status: 0, ok: false } : { kind: 'tcp', ok: false },
    logTail: [],
  };
  const started = await startContainer(o);
  if (!started.ok) {
    res.startError = started.error;
    return res;
  }
  res.started = true;
  const t0 = Date.now();
  // the first 20 s: when does the port first answer, and does the process stay up?
  while (Date.now() - t0 < settle * 1000) {
    if (res.portFirstSeconds === undefined && (await tcpAnswers(o.port, 500))) {
      res.portFirstSeconds = Math.round((Date.now() - t0) / 100) / 10;
    }
    if ((await inspect(o.engine, o.name, '{{.State.Running}}')) !== 'true') break;
    await sleep(500);
  }
  res.runningAfter20s = (await inspect(o.engine, o.name, '{{.State.Running}}')) === 'true';
  if (res.runningAfter20s) {
    res.uidSeen = await processIds(o.engine, o.name).catch(() => undefined);
    res.portAnswers = await poll(10, () => tcpAnswers(o.port));
    const pid = Number(await inspect(o.engine, o.name, '{{.State.Pid}}'));
    if (pid > 0) {
      res.listening = listeningAddresses(pid);
      res.loopbackOnly = loopbackOnly(res.listening, o.port);
    }
    if (o.check.kind === 'http') {
      const url = `http://127.0.0.1:${o.port}${o.check.path}`;
      let status = 0;
      await poll(res.portAnswers ? 10 : 0, async () => good((status = (await http('GET', url)).status)));
      res.health = { kind: 'http', path: o.check.path, status, ok: good(status) };
    } else {
      res.health = { kind: 'tcp', ok: res.portAnswers };
    }
    if (o.truthPath !== null) {
      res.truth = { path: o.truthPath, status: (await http('GET', `http://127.0.0.1:${o.port}${o.truthPath}`)).status };
    }
    if (o.corpusPort !== undefined && o.corpusPort !== o.port) {
      res.otherPort = { port: o.corpusPort, answers: await tcpAnswers(o.corpusPort) };
      if (res.truth && res.otherPort.answers) {
        res.truth.otherStatus = (await http('GET', `http://127.0.0.1:${o.corpusPort}${res.truth.path}`)).status;
      }
    }
    if (o.healthcheckTest && o.healthcheckTest[0] === 'CMD' && o.healthcheckTest.length > 1) {
      const exec = await run(o.engine.cli, [...o.engine.cliFlags, 'exec', o.name, ...o.healthcheckTest.slice(1)], {
        timeout: 30_000,
      });
      res.composeHealthcheck = exec.code;
    }
  } else {
    const code = await inspect(o.engine, o.name, '{{.State.ExitCode}}');
    res.exitCode = /^-?\d+$/.test(code) ? Number(code) : undefined;
  }
  const logs = await run(o.engine.cli, [...o.engine.cliFlags, 'logs', '--tail', '40', o.name]);
  res.logTail = lastLines(`${logs.stdout}\n${logs.stderr}`, 15).map((l) => l.slice(0, 300));
  return res;
}

/** Files under a directory (relative path → size in bytes), recursively. */
export function listFiles(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = st.size;
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Host path of a podman named volume's data. */
export async function volumePath(engine: Engine, volume: string): Promise<string | undefined> {
  const r = await run(engine.cli, [...engine.cliFlags, 'volume', 'inspect', '--format', '{{.Mountpoint}}', volume]);
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Result of the persistence check of an app with a volume. */
export interface Persistence {
  /** ok: the files survived and the app serves again; failed: they did not or it does not; empty: nothing on it. */
  result: 'ok' | 'failed' | 'empty';
  detail: string;
  /** Files on the volume after the first run and after the second start (when checked). */
  before?: Record<string, number>;
  after?: Record<string, number>;
}

/**
 * Remove the measured container, start a new one on the same volumes, and compare the files of
 * `volume` (a podman volume name) before and after; the app must answer its port (and an HTTP health
 * check, 2xx) again within 40 s. Leaves the new container in place.
 */
export async function checkPersistence(o: RunOptions, volume: string): Promise<Persistence> {
  const where = await volumePath(o.engine, volume);
  await removeContainer(o.engine, o.name);
  const before = where ? listFiles(where) : {};
  const started = await startContainer(o);
  let serves = started.ok && (await poll(30, () => tcpAnswers(o.port)));
  if (serves && o.check.kind === 'http') {
    const url = `http://127.0.0.1:${o.port}${o.check.path}`;
    serves = await poll(10, async () => good((await http('GET', url)).status));
  }
  const after = where ? listFiles(where) : {};
  const names = Object.keys(before);
  const lost = names.filter((f) => !(f in after));
  const list = names.map((f) => `${f} (${before[f]} B)`).join(', ');
  const again = serves
    ? 'the app serves again'
    : `the app does not serve again${started.error ? `: ${started.error}` : ''}`;
  if (names.length === 0)
    return { result: 'empty', detail: `nothing was written to the volume; ${again}`, before, after };
  if (lost.length > 0 || !serves) {
    return {
      result: 'failed',
      detail: `${list}: ${lost.length > 0 ? `lost ${lost.join(', ')}; ` : ''}${again}`,
      before,
      after,
    };
  }
  return { result: 'ok', detail: `${list} survived; ${again}`, before, after };
}
