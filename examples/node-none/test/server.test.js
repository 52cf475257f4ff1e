// End-to-end tests: start the real entry point (index.js) on a free port and
// talk to it over HTTP, then stop it with a signal.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { parseMessage, parsePort } from '../app.js';

const entry = fileURLToPath(new URL('../index.js', import.meta.url));

/** Spawns the server with PORT=0 and resolves once it logged its port. */
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

describe('node-none HTTP API', () => {
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
  test(`exits with code 0 on ${signal}`, async () => {
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
