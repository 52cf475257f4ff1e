// Tests run against the compiled output in dist/ (npm test builds first).
//
// Always run: JSON/port parsing, the HTTP API over a fake in-memory store,
// and start-up behaviour while the database is unreachable.
// With PGHOST (or DATABASE_URL) set: the real server against PostgreSQL,
// inside a temporary schema that is dropped afterwards.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

import { createApp, parseMessage, parsePort } from '../dist/app.js';

const entry = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const havePostgres = Boolean(process.env.PGHOST || process.env.DATABASE_URL);
const skipPg = havePostgres
  ? false
  : 'PostgreSQL tests skipped: set PGHOST (plus PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE as needed) or DATABASE_URL';

/** Spawns dist/server.js with PORT=0; `ready` resolves with the port it logged. */
function startServer(env = {}) {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on :(\d+)$/m);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code }) => reject(new Error(`server exited early (code ${code}): ${stderr}`)));
  });
  ready.catch(() => {});
  return { child, ready, exited, stderr: () => stderr };
}

async function request(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  assert.equal(res.headers.get('content-type'), 'application/json', `${method} ${path} content-type`);
  return { status: res.status, text: await res.text() };
}

/** A port that nothing listens on (it was free a moment ago). */
async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** The API checks shared by the fake-store and real-database runs. */
function apiTests(getBase) {
  test('GET /health', async () => {
    assert.deepEqual(await request(getBase(), 'GET', '/health'), { status: 200, text: '{"status":"ok"}' });
  });

  test('POST and GET /logs', async () => {
    const base = getBase();
    assert.deepEqual(await request(base, 'GET', '/logs'), { status: 200, text: '[]' });
    const messages = ['first', 'quote " backslash \\ newline \n tab \t', 'ünïcødé ✓ 😀 <tag> & more'];
    for (const [i, message] of messages.entries()) {
      const res = await request(base, 'POST', '/logs', JSON.stringify({ message }));
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(JSON.parse(res.text), { id: i + 1, message });
    }
    const res = await request(base, 'GET', '/logs');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), messages.map((message, i) => ({ id: i + 1, message })));
  });

  test('POST /logs rejects bad bodies with 400', async () => {
    const base = getBase();
    const bad = ['', 'not json', '[]', 'null', '"message"', '{}', '{"msg":"x"}', '{"message":42}',
      '{"message":null}', '{"message":""}', '{"message":"unterminated}', '{"message":"x"} trailing'];
    const before = await request(base, 'GET', '/logs');
    for (const body of bad) {
      const res = await request(base, 'POST', '/logs', body);
      assert.equal(res.status, 400, `body ${JSON.stringify(body)} -> ${res.status} ${res.text}`);
    }
    assert.deepEqual(await request(base, 'GET', '/logs'), before, 'bad bodies must not store anything');
  });

  test('POST /logs rejects bodies over 64 KiB with 413', async () => {
    const res = await request(getBase(), 'POST', '/logs', JSON.stringify({ message: 'a'.repeat(64 * 1024) }));
    assert.equal(res.status, 413);
  });

  test('unknown routes answer 404', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/nope'], ['POST', '/health'], ['DELETE', '/logs'], ['GET', '/logs/1']]) {
      assert.deepEqual(await request(getBase(), method, path), { status: 404, text: '{"error":"not found"}' }, `${method} ${path}`);
    }
  });
}

class FakeStore {
  entries = [];
  failing = false;
  async ping() {
    if (this.failing) throw new Error('connection refused');
  }
  async add(message) {
    if (this.failing) throw new Error('connection refused');
    const entry = { id: this.entries.length + 1, message };
    this.entries.push(entry);
    return entry;
  }
  async list() {
    if (this.failing) throw new Error('connection refused');
    return this.entries.slice();
  }
}

describe('HTTP API over a fake store', () => {
  let server;
  let base;
  before(async () => {
    server = createApp(new FakeStore());
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => server.close());
  apiTests(() => base);
});

test('database errors give 503 on /health and 500 elsewhere', async () => {
  const store = new FakeStore();
  store.failing = true;
  const server = createApp(store);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.deepEqual(await request(base, 'GET', '/health'), { status: 503, text: '{"status":"error"}' });
    assert.equal((await request(base, 'POST', '/logs', '{"message":"x"}')).status, 500);
    assert.equal((await request(base, 'GET', '/logs')).status, 500);
  } finally {
    server.close();
  }
});

test('parseMessage', () => {
  assert.equal(parseMessage('{"message":"a\\"b\\u00e9"}'), 'a"bé');
  assert.equal(parseMessage(' {"other":[1,{"x":null}],"message":"ok"} '), 'ok');
  for (const bad of ['', '{}', '[]', '{"message":1}', '{"message":""}']) {
    assert.throws(() => parseMessage(bad), { status: 400 }, bad);
  }
});

test('parsePort', () => {
  assert.equal(parsePort(undefined, 3000), 3000);
  assert.equal(parsePort('8081', 3000), 8081);
  assert.throws(() => parsePort('http', 3000));
  assert.throws(() => parsePort('70000', 3000));
});

test('keeps retrying an unreachable database and exits 0 on SIGTERM meanwhile', async () => {
  const server = startServer({
    DATABASE_URL: '',
    PGHOST: '127.0.0.1',
    PGPORT: String(await closedPort()),
    PGUSER: 'nobody',
    PGPASSWORD: 'x',
    PGDATABASE: 'nothing',
    PGSSLMODE: 'disable',
  });
  const deadline = Date.now() + 10_000;
  while (!/waiting for database \(attempt 2\)/.test(server.stderr())) {
    assert.ok(Date.now() < deadline, `no retries logged: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
});

describe('against PostgreSQL', { skip: skipPg }, () => {
  const admin = havePostgres ? new pg.Pool({ connectionString: process.env.DATABASE_URL || undefined, max: 2 }) : null;
  const schemas = [];

  /** A fresh schema, so every server starts with an empty logs table. */
  async function freshSchema() {
    const name = `node_postgres_test_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${name}`);
    schemas.push(name);
    return { PGOPTIONS: `-c search_path=${name}` };
  }

  after(async () => {
    for (const name of schemas) await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
  });

  describe('HTTP API', () => {
    let server;
    let base;
    before(async () => {
      server = startServer(await freshSchema());
      base = `http://127.0.0.1:${await server.ready}`;
    });
    after(async () => {
      server.child.kill('SIGTERM');
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
    });
    apiTests(() => base);
  });

  for (const signal of ['SIGTERM', 'SIGINT']) {
    test(`exits with code 0 on ${signal}`, async () => {
      const server = startServer(await freshSchema());
      const port = await server.ready;
      assert.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/health')).status, 200);
      server.child.kill(signal);
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
    });
  }

  test('data survives a restart and the table is created only once', async () => {
    const env = await freshSchema();
    const first = startServer(env);
    let base = `http://127.0.0.1:${await first.ready}`;
    assert.equal((await request(base, 'POST', '/logs', '{"message":"kept"}')).status, 201);
    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);

    const second = startServer(env);
    base = `http://127.0.0.1:${await second.ready}`;
    try {
      assert.deepEqual(JSON.parse((await request(base, 'POST', '/logs', '{"message":"second"}')).text), { id: 2, message: 'second' });
      assert.deepEqual(JSON.parse((await request(base, 'GET', '/logs')).text), [{ id: 1, message: 'kept' }, { id: 2, message: 'second' }]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  test('starts once the database becomes reachable', { skip: process.env.DATABASE_URL || process.env.PGHOST?.startsWith('/') ? 'needs a TCP PGHOST without DATABASE_URL' : false }, async () => {
    // Point the app at a port where nothing listens yet, then open a TCP
    // proxy to the real server there after a few seconds.
    const port = await closedPort();
    const server = startServer({ ...(await freshSchema()), PGHOST: '127.0.0.1', PGPORT: String(port) });
    await new Promise((r) => setTimeout(r, 2500));
    assert.match(server.stderr(), /waiting for database/);
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(process.env.PGPORT || 5432), process.env.PGHOST);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise((r) => proxy.listen(port, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${await server.ready}`;
      assert.deepEqual(await request(base, 'GET', '/health'), { status: 200, text: '{"status":"ok"}' });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      proxy.close();
    }
  });
});
