// PostgreSQL-backed log store.
import pg from 'pg';

import type { Entry, Store } from './app.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS logs (
  id         BIGSERIAL PRIMARY KEY,
  message    TEXT NOT NULL,
  created_at TIMESTAMPTZ DEFAULT now()
)`;

/**
 * Creates a connection pool. DATABASE_URL wins when set; otherwise pg reads
 * the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE, PGSSLMODE, PGOPTIONS, ...).
 */
export function createPool(env: NodeJS.ProcessEnv = process.env): pg.Pool {
  const pool = new pg.Pool({
    connectionString: env.DATABASE_URL || undefined,
    max: 4,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection (e.g. the database restarted) must
  // not crash the process; the pool replaces it on the next query.
  pool.on('error', (err) => console.error(`idle database client error: ${err.message}`));
  return pool;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits up to timeoutMs for the database to answer, so the app can start
 * before its database does. isStopping lets a signal end the wait early.
 */
export async function waitForDatabase(
  pool: pg.Pool,
  timeoutMs = 30_000,
  isStopping: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (err) {
      if (isStopping() || Date.now() + 1000 > deadline) {
        throw new Error(`database not reachable after ${attempt} attempts: ${(err as Error).message}`);
      }
      console.error(`waiting for database (attempt ${attempt}): ${(err as Error).message}`);
      await sleep(1000);
    }
  }
}

export class PgStore implements Store {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates the logs table if it is missing. */
  async init(): Promise<this> {
    await this.pool.query(SCHEMA);
    return this;
  }

  async ping(): Promise<void> {
    const { rows } = await this.pool.query<{ one: number }>('SELECT 1 AS one');
    if (rows[0]?.one !== 1) throw new Error('unexpected SELECT 1 result');
  }

  async add(message: string): Promise<Entry> {
    const { rows } = await this.pool.query<{ id: string }>(
      'INSERT INTO logs (message) VALUES ($1) RETURNING id',
      [message],
    );
    return { id: Number(rows[0].id), message };
  }

  async list(): Promise<Entry[]> {
    const { rows } = await this.pool.query<{ id: string; message: string }>(
      'SELECT id, message FROM logs ORDER BY id',
    );
    // BIGSERIAL comes back as a string; ids stay far below 2^53 here.
    return rows.map((r) => ({ id: Number(r.id), message: r.message }));
  }
}
