// Entry point: node dist/server.js
// Env: PORT (default 3000), DATABASE_URL or PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE/PGSSLMODE.
import type http from 'node:http';

import { createApp, parsePort } from './app.js';
import { createPool, PgStore, waitForDatabase } from './store.js';

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT, 3000);
  const pool = createPool();
  let server: http.Server | undefined;
  let stopping = false;

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`received ${signal}, shutting down`);
    // Do not wait forever for keep-alive clients or a hanging database.
    setTimeout(() => process.exit(0), 5000).unref();
    const finish = () => pool.end().finally(() => process.exit(0));
    if (server?.listening) {
      server.close(finish);
      server.closeIdleConnections();
    } else {
      finish();
    }
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  let store: PgStore;
  try {
    await waitForDatabase(pool, 30_000, () => stopping);
    store = await new PgStore(pool).init();
  } catch (err) {
    if (stopping) return; // a signal arrived; shutdown() exits with code 0
    throw err;
  }
  if (stopping) return;

  server = createApp(store);
  server.listen(port, '0.0.0.0', () => {
    const address = server?.address();
    console.log(`listening on :${typeof address === 'object' && address ? address.port : port}`);
  });
}

main().catch((err: unknown) => {
  console.error(`fatal: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
