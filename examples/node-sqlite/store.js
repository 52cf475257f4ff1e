// SQLite-backed log store (better-sqlite3 is synchronous, which is fine for
// these tiny queries).
import Database from 'better-sqlite3';

const SCHEMA = `CREATE TABLE IF NOT EXISTS logs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  message    TEXT NOT NULL,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP
)`;

export class SqliteStore {
  /**
   * Opens (creating if needed) the database file; its directory must exist.
   * @param {string} path
   */
  constructor(path) {
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.pingStmt = this.db.prepare('SELECT 1 AS one');
    this.insertStmt = this.db.prepare('INSERT INTO logs (message) VALUES (?)');
    this.listStmt = this.db.prepare('SELECT id, message FROM logs ORDER BY id');
  }

  ping() {
    if (this.pingStmt.get()?.one !== 1) throw new Error('unexpected SELECT 1 result');
  }

  add(message) {
    const { lastInsertRowid } = this.insertStmt.run(message);
    return { id: Number(lastInsertRowid), message };
  }

  list() {
    return this.listStmt.all();
  }

  close() {
    this.db.close();
  }
}
