package main

import (
	"context"
	"sync"
)

// memoryStore keeps log entries in process memory; they are lost on restart.
type memoryStore struct {
	mu      sync.Mutex
	entries []Entry
}

func newMemoryStore() *memoryStore { return &memoryStore{} }

func (s *memoryStore) Ping(context.Context) error { return nil }

func (s *memoryStore) Add(_ context.Context, message string) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := Entry{ID: int64(len(s.entries)) + 1, Message: message}
	s.entries = append(s.entries, e)
	return e, nil
}

func (s *memoryStore) List(context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.entries...), nil
}
