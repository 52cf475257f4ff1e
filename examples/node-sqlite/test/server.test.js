// End-to-end tests: start the real entry point (server.js) on a free port
// with a temporary SQLite file and talk to it over HTTP, then stop it with a
// signal.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseMessage, parsePort } from '../app.js';

const entry = fileURLToPath(new URL('../server.js', import.meta.url));

// better-sqlite3 13 ships Node-API prebuilds that crash on Node.js < 22.
const skip = Number(process.versions.node.split('.')[0]) < 22
  ? `better-sqlite3 13 needs Node.js >= 22 (this is ${process.version})`
  : false;

const tmp = mkdtempSync(join(tmpdir(), 'node-sqlite-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let dbCounter = 0;
const freshDb = () => join(tmp, `test-${++dbCounter}.db`);

/** Spawns the server with PORT=0 and resolves once it logged its port. */
function startServer(env = { DATABASE_PATH: freshDb() }) {
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

describe('node-sqlite HTTP API', { skip }, () => {
  let server;
  let base;

  before(async () => {
    server = startServer();
    base = `http://127.0.0.1:${await server.ready}`;
  });

  after(() => server.child.kill('SIGKILL'));

  test('GET /health', async () => {
    assert.deepEqual(await request(base, 'GET', '/health'), { status: 200, text: '{"status":"ok"}' });
  });

  test('POST and GET /logs', async () => {
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
    const body = JSON.stringify({ message: 'a'.repeat(64 * 1024) });
    const res = await request(base, 'POST', '/logs', body);
    assert.equal(res.status, 413);
  });

  test('unknown routes answer 404', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/nope'], ['POST', '/health'], ['DELETE', '/logs'], ['GET', '/logs/1']]) {
      assert.deepEqual(await request(base, method, path), { status: 404, text: '{"error":"not found"}' }, `${method} ${path}`);
    }
  });
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`exits with code 0 on ${signal}`, { skip }, async () => {
    const server = startServer();
    const port = await server.ready;
    assert.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/health')).status, 200);
    server.child.kill(signal);
    assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
  });
}

test('parseMessage', () => {
  assert.equal(parseMessage('{"message":"a\\"b\\u00e9"}'), 'a"bé');
  assert.equal(parseMessage(' {"other":[1,{"x":null}],"message":"ok"} '), 'ok');
  for (const bad of ['', '{}', '[]', '{"message":1}', '{"message":""}']) {
    assert.throws(() => parseMessage(bad), { status: 400 }, bad);
  }
});

test('parsePort', () => {
  assert.equal(parsePort(undefined, 3000), 3000);
  assert.equal(parsePort('', 3000), 3000);
  assert.equal(parsePort('8081', 3000), 8081);
  assert.throws(() => parsePort('http', 3000));
  assert.throws(() => parsePort('70000', 3000));
});

test('data survives a restart with the same DATABASE_PATH', { skip }, async () => {
  const env = { DATABASE_PATH: freshDb() };
  const first = startServer(env);
  let base = `http://127.0.0.1:${await first.ready}`;
  assert.equal((await request(base, 'POST', '/logs', '{"message":"kept"}')).status, 201);
  first.child.kill('SIGTERM');
  assert.equal((await first.exited).code, 0);
  assert.ok(existsSync(env.DATABASE_PATH), 'database file was created');

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

test('fails to start (exit 1) when the database directory does not exist', { skip }, async () => {
  const dir = join(tmp, 'missing-dir');
  const server = startServer({ DATABASE_PATH: join(dir, 'app.db') });
  await assert.rejects(server.ready, /exited early/);
  assert.equal((await server.exited).code, 1);
  assert.ok(/cannot open database/.test(server.stderr()), server.stderr());
  assert.ok(!existsSync(dir), 'the app must not create the directory');
});
