// HTTP API shared by the entry point and the tests.
//
//   GET  /health -> 200 {"status":"ok"} | 503 {"status":"error"}
//   POST /logs   -> 201 {"id":N,"message":"..."} | 400 on a bad body
//   GET  /logs   -> 200 [{"id":1,"message":"..."}, ...] ordered by id
//   anything else -> 404
import http from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

export interface Entry {
  id: number;
  message: string;
}

export interface Store {
  ping(): Promise<void>;
  add(message: string): Promise<Entry>;
  list(): Promise<Entry[]>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Returns the non-empty string "message" of a JSON object body, or throws a 400 HttpError. */
export function parseMessage(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body must be a JSON object like {"message":"text"}');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'body must be a JSON object like {"message":"text"}');
  }
  const message = (value as Record<string, unknown>).message;
  if (typeof message !== 'string') {
    throw new HttpError(400, '"message" must be a string');
  }
  if (message === '') {
    throw new HttpError(400, '"message" must not be empty');
  }
  return message;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new HttpError(413, 'body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
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

function send(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  };
  if (status === 413) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/** Creates (but does not start) the HTTP server. */
export function createApp(store: Store): http.Server {
  return http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/health' && req.method === 'GET') {
        try {
          await store.ping();
        } catch (err) {
          console.error(`health check failed: ${(err as Error).message}`);
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
      console.error(`${req.method} ${path}: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  });
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid PORT ${JSON.stringify(value)}`);
  }
  return port;
}
