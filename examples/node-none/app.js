// HTTP API shared by the entry point and the tests.
//
//   GET  /health -> 200 {"status":"ok"} | 503 {"status":"error"}
//   POST /logs   -> 201 {"id":N,"message":"..."} | 400 on a bad body
//   GET  /logs   -> 200 [{"id":1,"message":"..."}, ...] ordered by id
//   anything else -> 404
import http from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Returns the non-empty string "message" of a JSON object body, or throws a
 * 400 HttpError.
 * @param {string} text
 */
export function parseMessage(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body must be a JSON object like {"message":"text"}');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'body must be a JSON object like {"message":"text"}');
  }
  if (typeof value.message !== 'string') {
    throw new HttpError(400, '"message" must be a string');
  }
  if (value.message === '') {
    throw new HttpError(400, '"message" must not be empty');
  }
  return value.message;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new HttpError(413, 'body too large'));
      return;
    }
    const chunks = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, 'body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function send(res, status, value) {
  const body = JSON.stringify(value);
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  };
  if (status === 413) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Creates (but does not start) the HTTP server.
 * @param {{ping(): Promise<void>|void, add(message: string): Promise<{id:number,message:string}>|{id:number,message:string}, list(): Promise<Array<{id:number,message:string}>>|Array<{id:number,message:string}>}} store
 */
export function createApp(store) {
  return http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/health' && req.method === 'GET') {
        try {
          await store.ping();
        } catch (err) {
          console.error(`health check failed: ${err.message}`);
          return send(res, 503, { status: 'error' });
        }
        return send(res, 200, { status: 'ok' });
      }
      if (path === '/logs' && req.method === 'GET') {
        return send(res, 200, await store.list());
      }
      if (path === '/logs' && req.method === 'POST') {
        const message = parseMessage(await readBody(req));
        return send(res, 201, await store.add(message));
      }
      req.resume();
      return send(res, 404, { error: 'not found' });
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message });
      console.error(`${req.method} ${path}: ${err.stack ?? err}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  });
}

/**
 * Starts the server on $PORT (default 3000), logs "listening on :PORT" and
 * exits with code 0 on SIGTERM/SIGINT after running cleanup.
 * @param {import('node:http').Server} server
 * @param {{defaultPort?: number, onShutdown?: () => (void|Promise<void>)}} [options]
 */
export function run(server, { defaultPort = 3000, onShutdown = () => {} } = {}) {
  const port = parsePort(process.env.PORT, defaultPort);
  const shutdown = (signal) => {
    console.log(`received ${signal}, shutting down`);
    // Do not wait forever for keep-alive clients.
    setTimeout(() => process.exit(0), 5000).unref();
    server.close(async () => {
      try {
        await onShutdown();
      } finally {
        process.exit(0);
      }
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  server.listen(port, '0.0.0.0', () => {
    console.log(`listening on :${server.address().port}`);
  });
}

export function parsePort(value, fallback) {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid PORT ${JSON.stringify(value)}`);
  }
  return port;
}
