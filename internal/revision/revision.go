// Package revision lets a process keep definitions in memory (custom
// fields, the users a list can be filtered by) and still see every change
// at once: database triggers bump a counter in the revisions table on any
// change to those tables, in the changing transaction, so one primary-key
// read tells whether a cached copy is current, on every process sharing the
// database.
package revision

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/memo"
)

// The counters (migration 00019).
const (
	// Definitions counts changes to custom_fields, users and roles.
	Definitions = "definitions"
	// Tags counts changes to tags (new, renamed, removed tags; not tagging).
	Tags = "tags"
	// Views counts changes to saved views.
	Views = "views"
	// Sessions counts ended sessions and changes to passkeys and settings
	// (migration 00021): with Definitions, what a session's user depends on.
	Sessions = "sessions"
)

// Read returns the counter name. A read-only request reads all counters
// once, with one query (memo).
func Read(ctx context.Context, q db.Querier, name string) (int64, error) {
	all, err := memo.Do(ctx, memoKey, func() (map[string]int64, error) { return readAll(ctx, q) })
	if err != nil {
		return 0, err
	}
	n, ok := all[name]
	if !ok {
		return 0, fmt.Errorf("revision: no counter %q", name)
	}
	return n, nil
}

// Column is a select-list column with every counter, for a query a request
// makes anyway (the session's): handing its value to Remember spares the
// request the query of its own.
func Column(engine db.Engine) string {
	if engine == db.Postgres {
		return `(SELECT string_agg(name || '=' || n, ',') FROM revisions)`
	}
	return `(SELECT group_concat(name || '=' || n, ',') FROM revisions)`
}

// Remember keeps the counters a Column read for the rest of the request;
// Read then answers from them. A value it cannot read is ignored (Read
// queries instead).
func Remember(ctx context.Context, column string) {
	out := make(map[string]int64, 2)
	for pair := range strings.SplitSeq(column, ",") {
		name, v, ok := strings.Cut(pair, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return
		}
		out[name] = n
	}
	if len(out) > 0 {
		memo.Put(ctx, memoKey, out)
	}
}

const memoKey = "revisions"

func readAll(ctx context.Context, q db.Querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, n FROM revisions`)
	if err != nil {
		return nil, fmt.Errorf("revision: read: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, 2)
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("revision: read: %w", err)
		}
		out[name] = n
	}
	return out, rows.Err()
}

// Cache holds one value built from the tables a counter watches. The zero
// Cache is empty and ready to use; the value must not be changed by its
// users, who share it.
type Cache[T any] struct {
	mu  sync.Mutex
	rev int64
	ok  bool
	val T
}

// Get returns the cached value while counter name has not moved since it
// was loaded, and otherwise loads it again. The counter is read before
// loading, so a change that lands during the load at worst causes one
// more load.
func (c *Cache[T]) Get(ctx context.Context, q db.Querier, name string, load func() (T, error)) (T, error) {
	rev, err := Read(ctx, q, name)
	if err != nil {
		var zero T
		return zero, err
	}
	c.mu.Lock()
	if c.ok && c.rev == rev {
		v := c.val
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	// The counter read last wins: when loads race, the slower one may keep
	// an older counter and value, which costs the next request one load.
	c.rev, c.ok, c.val = rev, true, v
	c.mu.Unlock()
	return v, nil
}

// Keyed holds one Cache per key (an object kind: "contact", "company").
// The zero Keyed is empty and ready to use.
type Keyed[T any] struct {
	mu     sync.Mutex
	caches map[string]*Cache[T]
}

// For returns key's cache, made on first use.
func (k *Keyed[T]) For(key string) *Cache[T] {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.caches[key]
	if c == nil {
		if k.caches == nil {
			k.caches = map[string]*Cache[T]{}
		}
		c = new(Cache[T])
		k.caches[key] = c
	}
	return c
}
