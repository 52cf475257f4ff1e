// Command api is the shop example's API: log lines in PostgreSQL, a visit counter in Redis.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

type server struct {
	db    *pgxpool.Pool
	cache *redis.Client
}

func main() {
	ctx := context.Background()
	// pgx reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE when the string is empty
	db, err := pgxpool.New(ctx, "")
	if err != nil {
		log.Fatalf("postgres: %v", err)
	}
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		log.Fatalf("REDIS_URL: %v", err)
	}
	s := &server{db: db, cache: redis.NewClient(opts)}
	for i := 0; ; i++ {
		_, err = db.Exec(ctx, `CREATE TABLE IF NOT EXISTS logs (
			id bigserial PRIMARY KEY, message text NOT NULL, created timestamptz NOT NULL DEFAULT now())`)
		if err == nil || i == 30 {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		log.Fatalf("postgres: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("POST /logs", s.addLog)
	mux.HandleFunc("GET /logs", s.listLogs)
	mux.HandleFunc("GET /api/visits", s.visits)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("api listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

// health answers 200 only when PostgreSQL and Redis both answer.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		http.Error(w, "postgres: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if err := s.cache.Ping(ctx).Err(); err != nil {
		http.Error(w, "redis: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

func (s *server) addLog(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Message == "" {
		http.Error(w, `expected {"message": "…"}`, http.StatusBadRequest)
		return
	}
	if _, err := s.db.Exec(r.Context(), `INSERT INTO logs (message) VALUES ($1)`, in.Message); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *server) listLogs(w http.ResponseWriter, r *http.Request) {
	rows, err := s.db.Query(r.Context(), `SELECT message FROM logs ORDER BY id`)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out = append(out, m)
	}
	writeJSON(w, out)
}

// visits counts a visit in Redis; the web frontend calls it from the browser (another origin).
func (s *server) visits(w http.ResponseWriter, r *http.Request) {
	n, err := s.cache.Incr(r.Context(), "visits").Result()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, map[string]int64{"visits": n})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
