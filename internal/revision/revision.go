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
	"sync"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/memo"
)

// The counters (migration 00019).
const (
	// Definitions counts changes to custom_fields and users.
	Definitions = "definitions"
	// Tags counts changes to tags (new, renamed, removed tags; not tagging).
	Tags = "tags"
)

// Read returns the counter name, once per read-only request (memo).
func Read(ctx context.Context, q db.Querier, name string) (int64, error) {
	return memo.Do(ctx, "revision:"+name, func() (int64, error) {
		var n int64
		if err := q.QueryRowContext(ctx, `SELECT n FROM revisions WHERE name = $1`, name).Scan(&n); err != nil {
			return 0, fmt.Errorf("revision: read %s: %w", name, err)
		}
		return n, nil
	})
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
	if !c.ok || rev >= c.rev {
		c.rev, c.ok, c.val = rev, true, v
	}
	c.mu.Unlock()
	return v, nil
}
