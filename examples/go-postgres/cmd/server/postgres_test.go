package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// requirePostgres skips the calling test unless a PostgreSQL server is
// configured through the usual libpq environment (PGHOST, ...) or DATABASE_URL.
func requirePostgres(t *testing.T) {
	t.Helper()
	if os.Getenv("PGHOST") == "" && os.Getenv("DATABASE_URL") == "" {
		t.Skip("PostgreSQL integration test skipped: set PGHOST (plus PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE as needed) or DATABASE_URL to run it")
	}
}

// tempSchema creates a uniquely named schema that is dropped when the test
// ends, so tests never touch an existing "logs" table.
func tempSchema(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "go_postgres_test_" + hex.EncodeToString(b)
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := connect(ctx, cfg, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// newPostgresTestStore connects with search_path set to a fresh schema.
func newPostgresTestStore(t *testing.T) (*pgStore, *pgxpool.Pool) {
	t.Helper()
	schemaName := tempSchema(t)
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schemaName
	pool, err := connect(context.Background(), cfg, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := newPostgresStore(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return store, pool
}

// TestPostgres runs the HTTP API tests from handler_test.go against a real
// PostgreSQL database instead of the fake store.
func TestPostgres(t *testing.T) {
	requirePostgres(t)
	saved := newStore
	newStore = func(t *testing.T) Store { s, _ := newPostgresTestStore(t); return s }
	t.Cleanup(func() { newStore = saved })

	t.Run("Health", TestHealth)
	t.Run("LogsRoundTrip", TestLogsRoundTrip)
	t.Run("BadBodies", TestBadBodies)
	t.Run("BodyTooLarge", TestBodyTooLarge)
	t.Run("NotFound", TestNotFound)

	t.Run("TableCreationIsIdempotent", func(t *testing.T) {
		store, pool := newPostgresTestStore(t)
		ctx := context.Background()
		if _, err := store.Add(ctx, "before"); err != nil {
			t.Fatal(err)
		}
		again, err := newPostgresStore(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		list, err := again.List(ctx)
		if err != nil || len(list) != 1 || list[0] != (Entry{1, "before"}) {
			t.Fatalf("list after re-init = %+v, %v", list, err)
		}
	})

	t.Run("HealthFailsWhenPoolClosed", func(t *testing.T) {
		store, pool := newPostgresTestStore(t)
		srv := newTestServerWith(t, store)
		pool.Close()
		if code, body := do(t, "GET", srv+"/health", ""); code != 503 || body != `{"status":"error"}` {
			t.Fatalf("GET /health with closed pool = %d %s, want 503", code, body)
		}
	})

	t.Run("BinaryExitsCleanlyOnSignal", testBinary)
}

func newTestServerWith(t *testing.T, s Store) string {
	saved := newStore
	newStore = func(*testing.T) Store { return s }
	defer func() { newStore = saved }()
	return newTestServer(t).URL
}

// testBinary builds cmd/server, runs it against the database (tables in a
// temporary schema via PGOPTIONS), exercises it over HTTP and stops it with
// SIGTERM, expecting exit code 0.
func testBinary(t *testing.T) {
	schemaName := tempSchema(t)
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT=0", "PGOPTIONS=-c search_path="+schemaName)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading start line: %v", err)
	}
	var port int
	if _, err := fmt.Sscanf(strings.TrimSpace(line), "listening on :%d", &port); err != nil || port == 0 {
		t.Fatalf("unexpected start line %q", line)
	}
	go io.Copy(io.Discard, stdout)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	if code, body := do(t, "GET", base+"/health", ""); code != 200 || body != `{"status":"ok"}` {
		t.Fatalf("GET /health = %d %s", code, body)
	}
	if code, body := do(t, "POST", base+"/logs", `{"message":"from the binary"}`); code != 201 || body != `{"id":1,"message":"from the binary"}` {
		t.Fatalf("POST /logs = %d %s", code, body)
	}
	if code, body := do(t, "GET", base+"/logs", ""); code != 200 || body != `[{"id":1,"message":"from the binary"}]` {
		t.Fatalf("GET /logs = %d %s", code, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("process exited with %v after SIGTERM, want exit code 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit within 10s of SIGTERM")
	}
}
