package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"time"
)

// maxBodyBytes is the largest request body accepted by POST /logs.
const maxBodyBytes = 64 << 10

// Entry is one stored log message.
type Entry struct {
	ID      int64  `json:"id"`
	Message string `json:"message"`
}

// Store is the persistence layer behind the HTTP API.
type Store interface {
	Ping(ctx context.Context) error
	Add(ctx context.Context, message string) (Entry, error)
	List(ctx context.Context) ([]Entry, error)
}

// newHandler returns the HTTP API:
//
//	GET  /health -> 200 {"status":"ok"} or 503 {"status":"error"}
//	POST /logs   -> 201 {"id":N,"message":"..."} or 400 on a bad body
//	GET  /logs   -> 200 [{"id":1,"message":"..."}, ...] ordered by id
//
// Every other method/path combination answers 404.
func newHandler(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/health" && r.Method == http.MethodGet:
			handleHealth(w, r, store)
		case r.URL.Path == "/logs" && r.Method == http.MethodGet:
			handleList(w, r, store)
		case r.URL.Path == "/logs" && r.Method == http.MethodPost:
			handleAdd(w, r, store)
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		}
	})
}

func handleHealth(w http.ResponseWriter, r *http.Request, store Store) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := store.Ping(ctx); err != nil {
		log.Printf("health check failed: %v", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func handleList(w http.ResponseWriter, r *http.Request, store Store) {
	entries, err := store.List(r.Context())
	if err != nil {
		log.Printf("list logs: %v", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	if entries == nil {
		entries = []Entry{} // encode as [] rather than null
	}
	writeJSON(w, http.StatusOK, entries)
}

func handleAdd(w http.ResponseWriter, r *http.Request, store Store) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "could not read body"})
		return
	}
	message, err := parseMessage(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	entry, err := store.Add(r.Context(), message)
	if err != nil {
		log.Printf("add log: %v", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	writeJSON(w, http.StatusCreated, entry)
}

// parseMessage extracts a non-empty string "message" from a JSON object.
func parseMessage(body []byte) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return "", errors.New(`body must be a JSON object like {"message":"text"}`)
	}
	raw, ok := fields["message"]
	if !ok {
		return "", errors.New(`missing "message"`)
	}
	var message string
	if err := json.Unmarshal(raw, &message); err != nil {
		return "", errors.New(`"message" must be a string`)
	}
	if message == "" {
		return "", errors.New(`"message" must not be empty`)
	}
	return message, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		log.Printf("encode response: %v", err)
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
