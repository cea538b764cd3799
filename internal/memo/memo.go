// Package memo remembers values for the length of one read-only request,
// so that the several parts of a page that need the same definitions (the
// custom fields, the users, a list's schema) read them once. Nothing
// outlives the request: another process's change is seen by the next
// request, and no permission is ever cached across requests.
package memo

import (
	"context"
	"sync"
)

type key struct{}

// store holds one request's values. Each key is loaded at most once even
// when parts of the request run concurrently.
type store struct {
	mu   sync.Mutex
	vals map[string]*entry
}

type entry struct {
	once sync.Once
	val  any
	err  error
}

// With returns ctx carrying an empty memo. Install it only for requests
// that change nothing (GET, HEAD): a request that writes must read its
// own writes.
func With(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, &store{vals: map[string]*entry{}})
}

// Do returns the value remembered under k in ctx's memo, calling load the
// first time. Without a memo in ctx it just calls load. Callers share the
// value, so they must not change it (hand out copies of slices).
func Do[T any](ctx context.Context, k string, load func() (T, error)) (T, error) {
	s, _ := ctx.Value(key{}).(*store)
	if s == nil {
		return load()
	}
	s.mu.Lock()
	e := s.vals[k]
	if e == nil {
		e = &entry{}
		s.vals[k] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.val, e.err = load() })
	v, _ := e.val.(T)
	return v, e.err
}

// Put remembers v under k for the rest of the request; without a memo in
// ctx it does nothing.
func Put(ctx context.Context, k string, v any) {
	s, _ := ctx.Value(key{}).(*store)
	if s == nil {
		return
	}
	e := &entry{val: v}
	e.once.Do(func() {})
	s.mu.Lock()
	s.vals[k] = e
	s.mu.Unlock()
}

// Get returns the value Put or a finished Do left under k in ctx's memo.
func Get[T any](ctx context.Context, k string) (T, bool) {
	var zero T
	s, _ := ctx.Value(key{}).(*store)
	if s == nil {
		return zero, false
	}
	s.mu.Lock()
	e := s.vals[k]
	s.mu.Unlock()
	if e == nil || e.err != nil {
		return zero, false
	}
	v, ok := e.val.(T)
	return v, ok
}
