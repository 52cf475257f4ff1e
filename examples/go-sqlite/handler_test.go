package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestStore opens a fresh SQLite database in a temporary directory.
func newTestStore(t *testing.T) *sqliteStore {
	t.Helper()
	store, err := openSQLite(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(newTestStore(t)))
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
	go func() { errc <- serve(ctx, "127.0.0.1:0", newHandler(newTestStore(t))) }()
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

func TestHealthFailsWhenDatabaseIsGone(t *testing.T) {
	store := newTestStore(t)
	srv := httptest.NewServer(newHandler(store))
	defer srv.Close()
	store.Close()
	code, body := do(t, "GET", srv.URL+"/health", "")
	if code != 503 || body != `{"status":"error"}` {
		t.Fatalf("GET /health with closed DB = %d %s, want 503", code, body)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "persist.db")
	ctx := context.Background()
	s1, err := openSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Add(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	s1.Close()

	s2, err := openSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	e, err := s2.Add(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != 2 || len(list) != 2 || list[0] != (Entry{1, "kept"}) || list[1] != (Entry{2, "second"}) {
		t.Fatalf("after reopen: added %+v, list %+v", e, list)
	}
}

func TestOpenFailsWithoutParentDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "app.db")
	if s, err := openSQLite(context.Background(), path); err == nil {
		s.Close()
		t.Fatalf("openSQLite(%q) succeeded, want error (the app must not create directories)", path)
	}
}
