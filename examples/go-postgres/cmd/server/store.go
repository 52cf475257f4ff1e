package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const schema = `CREATE TABLE IF NOT EXISTS logs (
	id         BIGSERIAL PRIMARY KEY,
	message    TEXT NOT NULL,
	created_at TIMESTAMPTZ DEFAULT now()
)`

// loadConfig builds the pool configuration. DATABASE_URL wins when set;
// otherwise pgx reads the standard libpq variables (PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE, PGSSLMODE, ...) exactly like psql would.
func loadConfig() (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, fmt.Errorf("invalid database configuration: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.MaxConns = 4
	return cfg, nil
}

// connect opens a pool and waits up to wait for the database to accept
// connections, so the app can start before its database does.
func connect(ctx context.Context, cfg *pgxpool.Config, wait time.Duration) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for attempt := 1; ; attempt++ {
		err = pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().Add(time.Second).After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("database not reachable after %d attempts: %w", attempt, err)
		}
		log.Printf("waiting for database (attempt %d): %v", attempt, err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// pgStore keeps log entries in PostgreSQL.
type pgStore struct {
	pool *pgxpool.Pool
}

// newPostgresStore makes sure the logs table exists.
func newPostgresStore(ctx context.Context, pool *pgxpool.Pool) (*pgStore, error) {
	if _, err := pool.Exec(ctx, schema); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	return &pgStore{pool: pool}, nil
}

func (s *pgStore) Ping(ctx context.Context) error {
	err := s.selectOne(ctx)
	if err != nil && ctx.Err() == nil {
		// A pooled connection that died while idle (e.g. the database was
		// restarted) fails once and is discarded; retry on a fresh one.
		err = s.selectOne(ctx)
	}
	return err
}

func (s *pgStore) selectOne(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, "SELECT 1").Scan(&one)
}

func (s *pgStore) Add(ctx context.Context, message string) (Entry, error) {
	e := Entry{Message: message}
	err := s.pool.QueryRow(ctx, "INSERT INTO logs (message) VALUES ($1) RETURNING id", message).Scan(&e.ID)
	return e, err
}

func (s *pgStore) List(ctx context.Context) ([]Entry, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, message FROM logs ORDER BY id")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Entry])
}
