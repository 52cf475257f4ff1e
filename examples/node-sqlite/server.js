// Entry point: node server.js
// Env: PORT (default 3000), DATABASE_PATH (default app.db in the working directory).
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  // better-sqlite3 13 ships Node-API prebuilds that need Node.js 22+.
  console.error(`node-sqlite needs Node.js >= 22, this is ${process.version}`);
  process.exit(1);
}

const { createApp, run } = await import('./app.js');
const { SqliteStore } = await import('./store.js');

let store;
try {
  store = new SqliteStore(process.env.DATABASE_PATH || 'app.db');
} catch (err) {
  console.error(`cannot open database: ${err.message}`);
  process.exit(1);
}
run(createApp(store), { onShutdown: () => store.close() });
