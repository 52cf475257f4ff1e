package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore is an in-memory Store so the HTTP layer can be tested without
// a database; err, when set, makes every call fail.
type fakeStore struct {
	mu      sync.Mutex
	entries []Entry
	err     error
}

func (s *fakeStore) Ping(context.Context) error { return s.err }

func (s *fakeStore) Add(_ context.Context, m string) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Entry{}, s.err
	}
	e := Entry{ID: int64(len(s.entries) + 1), Message: m}
	s.entries = append(s.entries, e)
	return e, nil
}

func (s *fakeStore) List(context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return append([]Entry(nil), s.entries...), nil
}

// newTestServer serves the API on top of newStore(t); tests in this file
// use the fake, postgres_test.go swaps in the real database.
var newStore = func(t *testing.T) Store { return &fakeStore{} }

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(newStore(t)))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type = %q, want application/json", method, url, ct)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestHealth(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, "GET", srv.URL+"/health", "")
	if code != 200 || body != `{"status":"ok"}` {
		t.Fatalf("GET /health = %d %s", code, body)
	}
}

func TestLogsRoundTrip(t *testing.T) {
	srv := newTestServer(t)

	code, body := do(t, "GET", srv.URL+"/logs", "")
	if code != 200 || body != `[]` {
		t.Fatalf("empty GET /logs = %d %s, want 200 []", code, body)
	}

	messages := []string{"first", `quote " and backslash \ and newline` + "\n", "ünïcødé ✓ <tag> & more"}
	for i, m := range messages {
		payload, _ := json.Marshal(map[string]string{"message": m})
		code, body := do(t, "POST", srv.URL+"/logs", string(payload))
		if code != 201 {
			t.Fatalf("POST /logs = %d %s", code, body)
		}
		var got Entry
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("POST /logs body %q: %v", body, err)
		}
		if got.ID != int64(i+1) || got.Message != m {
			t.Fatalf("POST /logs = %+v, want id %d message %q", got, i+1, m)
		}
	}

	code, body = do(t, "GET", srv.URL+"/logs", "")
	if code != 200 {
		t.Fatalf("GET /logs = %d %s", code, body)
	}
	var list []Entry
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(messages) {
		t.Fatalf("GET /logs returned %d entries, want %d", len(list), len(messages))
	}
	for i, e := range list {
		if e.ID != int64(i+1) || e.Message != messages[i] {
			t.Errorf("entry %d = %+v, want id %d message %q", i, e, i+1, messages[i])
		}
	}
}

func TestBadBodies(t *testing.T) {
	srv := newTestServer(t)
	bad := []string{
		``,
		`not json`,
		`[]`,
		`null`,
		`"message"`,
		`{}`,
		`{"msg":"x"}`,
		`{"message":42}`,
		`{"message":null}`,
		`{"message":""}`,
		`{"message":"unterminated}`,
		`{"message":"x"} trailing`,
	}
	for _, b := range bad {
		if code, body := do(t, "POST", srv.URL+"/logs", b); code != 400 {
			t.Errorf("POST /logs %q = %d %s, want 400", b, code, body)
		}
	}
	// Nothing was stored.
	if code, body := do(t, "GET", srv.URL+"/logs", ""); code != 200 || body != "[]" {
		t.Errorf("GET /logs after bad posts = %d %s", code, body)
	}
}

func TestBodyTooLarge(t *testing.T) {
	srv := newTestServer(t)
	big := `{"message":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	if code, _ := do(t, "POST", srv.URL+"/logs", big); code != 413 {
		t.Fatalf("POST /logs with %d bytes = %d, want 413", len(big), code)
	}
}

func TestNotFound(t *testing.T) {
	srv := newTestServer(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/"},
		{"GET", "/nope"},
		{"POST", "/health"},
		{"DELETE", "/logs"},
		{"GET", "/logs/1"},
	} {
		if code, body := do(t, c.method, srv.URL+c.path, ""); code != 404 || body != `{"error":"not found"}` {
			t.Errorf("%s %s = %d %s, want 404", c.method, c.path, code, body)
		}
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, "127.0.0.1:0", newHandler(&fakeStore{})) }()
	// Give the listener a moment, then ask for shutdown as SIGTERM would.
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
}

func TestServeReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := serve(context.Background(), ln.Addr().String(), http.NotFoundHandler()); err == nil {
		t.Fatal("serve on a busy port returned nil")
	}
}

func TestDatabaseErrors(t *testing.T) {
	srv := httptest.NewServer(newHandler(&fakeStore{err: errors.New("connection refused")}))
	defer srv.Close()
	if code, body := do(t, "GET", srv.URL+"/health", ""); code != 503 || body != `{"status":"error"}` {
		t.Errorf("GET /health with failing DB = %d %s, want 503", code, body)
	}
	if code, _ := do(t, "POST", srv.URL+"/logs", `{"message":"x"}`); code != 500 {
		t.Errorf("POST /logs with failing DB = %d, want 500", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/logs", ""); code != 500 {
		t.Errorf("GET /logs with failing DB = %d, want 500", code)
	}
}

func TestParseMessage(t *testing.T) {
	good := map[string]string{
		`{"message":"hi"}`:                          "hi",
		`{"message":"a\"b\\c\n\u00e9\ud83d\ude00"}`: "a\"b\\c\né😀",
		` {"other":[1,{"x":null}],"message":"ok"} `: "ok",
	}
	for in, want := range good {
		got, err := parseMessage([]byte(in))
		if err != nil || got != want {
			t.Errorf("parseMessage(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestLoadConfigFromPGEnv(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("PGHOST", "db.example")
	t.Setenv("PGPORT", "6543")
	t.Setenv("PGUSER", "alice")
	t.Setenv("PGPASSWORD", "s3cret")
	t.Setenv("PGDATABASE", "logsdb")
	t.Setenv("PGSSLMODE", "disable")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.ConnConfig
	if c.Host != "db.example" || c.Port != 6543 || c.User != "alice" || c.Password != "s3cret" || c.Database != "logsdb" || c.TLSConfig != nil {
		t.Fatalf("config from PG* env = host %q port %d user %q db %q tls %v", c.Host, c.Port, c.User, c.Database, c.TLSConfig != nil)
	}
}

func TestLoadConfigDatabaseURLWins(t *testing.T) {
	t.Setenv("PGHOST", "ignored.example")
	t.Setenv("PGDATABASE", "ignored")
	t.Setenv("DATABASE_URL", "postgres://bob:pw@url.example:5439/fromurl?sslmode=disable")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.ConnConfig
	if c.Host != "url.example" || c.Port != 5439 || c.User != "bob" || c.Database != "fromurl" {
		t.Fatalf("config from DATABASE_URL = host %q port %d user %q db %q", c.Host, c.Port, c.User, c.Database)
	}
}

func TestConnectGivesUpAfterWait(t *testing.T) {
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()

	t.Setenv("DATABASE_URL", fmt.Sprintf("postgres://u:p@127.0.0.1:%d/db?sslmode=disable&connect_timeout=1", addr.Port))
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	pool, err := connect(context.Background(), cfg, 2500*time.Millisecond)
	if err == nil {
		pool.Close()
		t.Fatal("connect to a closed port succeeded")
	}
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Fatalf("connect gave up after %v, want roughly the 2.5s wait", d)
	}

	// A cancelled context (SIGTERM while waiting) stops the retry loop at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if pool, err := connect(ctx, cfg, 30*time.Second); err == nil {
		pool.Close()
		t.Fatal("connect with cancelled context succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("connect with cancelled context took %v", d)
	}
}
