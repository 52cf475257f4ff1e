package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

const schema = `CREATE TABLE IF NOT EXISTS logs (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	message    TEXT NOT NULL,
	created_at TEXT DEFAULT CURRENT_TIMESTAMP
)`

// sqliteStore keeps log entries in a SQLite database file.
type sqliteStore struct {
	db *sql.DB
}

// openSQLite opens (creating if needed) the database file at path and makes
// sure the logs table exists. The parent directory must already exist.
func openSQLite(ctx context.Context, path string) (*sqliteStore, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	// SQLite allows one writer at a time; a single connection keeps it simple.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &sqliteStore{db: db}, nil
}

func (s *sqliteStore) Close() error { return s.db.Close() }

func (s *sqliteStore) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func (s *sqliteStore) Add(ctx context.Context, message string) (Entry, error) {
	res, err := s.db.ExecContext(ctx, "INSERT INTO logs (message) VALUES (?)", message)
	if err != nil {
		return Entry{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Entry{}, err
	}
	return Entry{ID: id, Message: message}, nil
}

func (s *sqliteStore) List(ctx context.Context) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, message FROM logs ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.Message); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, rows.Err()
}
