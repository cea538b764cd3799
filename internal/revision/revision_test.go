package revision_test

import (
	"context"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/memo"
	"github.com/rapportcrm/rapport/internal/revision"
)

// TestEveryChangeMovesTheCounter changes the watched tables with plain SQL,
// as an operator's tool would: each kind of change must move the counter.
func TestEveryChangeMovesTheCounter(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := db.T(time.Now())
		fieldID, userID := id.New(), id.New()
		steps := []struct {
			name, sql string
			args      []any
		}{
			{"custom field added", `INSERT INTO custom_fields (id, object, key, label, type, created_at, updated_at)
				VALUES ($1, 'contact', 'plan', 'Plan', 'text', $2, $2)`, []any{fieldID, now}},
			{"custom field renamed", `UPDATE custom_fields SET label = 'Price plan', updated_at = $2 WHERE id = $1`, []any{fieldID, now}},
			{"custom field removed", `DELETE FROM custom_fields WHERE id = $1`, []any{fieldID}},
			{"user added", `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at)
				VALUES ($1, 'grace@example.com', 'Grace', 'x', 'member', $2, $2)`, []any{userID, now}},
			{"user disabled", `UPDATE users SET disabled_at = $2 WHERE id = $1`, []any{userID, now}},
			{"user removed", `DELETE FROM users WHERE id = $1`, []any{userID}},
			{"role renamed", `UPDATE roles SET label = $1 WHERE name = 'member'`, []any{"Sales member"}},
		}
		last, err := revision.Read(ctx, d.R, revision.Definitions)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := revision.Read(ctx, d.R, "no such counter"); err == nil {
			t.Error("an unknown counter reads without error")
		}
		for _, s := range steps {
			if _, err := d.W.ExecContext(ctx, s.sql, s.args...); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			n, err := revision.Read(ctx, d.R, revision.Definitions)
			if err != nil {
				t.Fatal(err)
			}
			if n <= last {
				t.Errorf("%s: counter %d, want more than %d", s.name, n, last)
			}
			last = n
		}
		// A new tag moves the tags counter and leaves this one alone.
		tags, err := revision.Read(ctx, d.R, revision.Tags)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.ExecContext(ctx, `INSERT INTO tags (id, name, name_lower, created_at) VALUES ($1, 'vip', 'vip', $2)`,
			id.New(), now); err != nil {
			t.Fatal(err)
		}
		if n, _ := revision.Read(ctx, d.R, revision.Definitions); n != last {
			t.Errorf("a new tag moved the definitions counter from %d to %d", last, n)
		}
		if n, _ := revision.Read(ctx, d.R, revision.Tags); n <= tags {
			t.Errorf("a new tag left the tags counter at %d", n)
		}
	})
}

// TestCacheSeesAnotherProcessesChange keeps a value in one handle's cache
// and changes a custom field through a second handle on the same database,
// as a second process behind the load balancer would.
func TestCacheSeesAnotherProcessesChange(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			src := dbtest.Source(t, e)
			a := dbtest.OpenUnmigrated(t, src)
			if _, err := a.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			b := dbtest.OpenUnmigrated(t, src)
			var cache revision.Cache[int]
			loads := 0
			count := func() int {
				t.Helper()
				// Each call is a request of its own.
				ctx := memo.With(context.Background())
				n, err := cache.Get(ctx, a.R, revision.Definitions, func() (int, error) {
					loads++
					var n int
					err := a.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM custom_fields`).Scan(&n)
					return n, err
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(); n != 0 || loads != 1 {
				t.Fatalf("first read: %d fields after %d loads, want 0 after 1", n, loads)
			}
			if n := count(); n != 0 || loads != 1 {
				t.Fatalf("unchanged: %d fields after %d loads, want 0 after still 1", n, loads)
			}
			now := db.T(time.Now())
			if _, err := b.W.ExecContext(context.Background(), `INSERT INTO custom_fields (id, object, key, label, type, created_at, updated_at)
				VALUES ($1, 'contact', 'plan', 'Plan', 'text', $2, $2)`, id.New(), now); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 || loads != 2 {
				t.Errorf("after the other handle's change: %d fields after %d loads, want 1 after 2", n, loads)
			}
			if n := count(); n != 1 || loads != 2 {
				t.Errorf("unchanged again: %d fields after %d loads, want 1 after still 2", n, loads)
			}
		})
	}
}

// TestColumnAndRemember reads the counters the way the session query does
// and checks that Read then answers from them, without a query of its own.
func TestColumnAndRemember(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := memo.With(context.Background())
		var col string
		if err := d.R.QueryRowContext(ctx, `SELECT `+revision.Column(d.Engine)).Scan(&col); err != nil {
			t.Fatal(err)
		}
		revision.Remember(ctx, col)
		// A closed handle fails any query: the answers must come from the memo.
		closed := dbtest.OpenUnmigrated(t, dbtest.Source(t, d.Engine))
		closed.Close()
		for _, name := range []string{revision.Definitions, revision.Tags, revision.Views} {
			want, err := revision.Read(context.Background(), d.R, name)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := revision.Read(ctx, closed.R, name); err != nil || got != want {
				t.Errorf("%s after Remember(%q) = %d, %v; want %d from the memo", name, col, got, err, want)
			}
		}
		// A value it cannot read leaves Read to query.
		ctx = memo.With(context.Background())
		revision.Remember(ctx, "definitions=x")
		if _, err := revision.Read(ctx, closed.R, revision.Definitions); err == nil {
			t.Error("a damaged column was remembered")
		}
	})
}

// TestNoChangeLeavesTheCounter runs statements that change no row, as
// saving a contact with a tag that exists does: the counters must not
// move (on PostgreSQL the trigger would otherwise lock the counter's row
// for the rest of every such transaction).
func TestNoChangeLeavesTheCounter(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := db.T(time.Now())
		if _, err := d.W.ExecContext(ctx, `INSERT INTO tags (id, name, name_lower, created_at) VALUES ($1, 'vip', 'vip', $2)`,
			id.New(), now); err != nil {
			t.Fatal(err)
		}
		before := map[string]int64{}
		for _, name := range []string{revision.Definitions, revision.Tags, revision.Views} {
			n, err := revision.Read(ctx, d.R, name)
			if err != nil {
				t.Fatal(err)
			}
			before[name] = n
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO tags (id, name, name_lower, created_at) VALUES ($1, 'VIP', 'vip', $2) ON CONFLICT (name_lower) DO NOTHING`, []any{id.New(), now}},
			{`UPDATE users SET name = 'Nobody' WHERE id = $1`, []any{id.New()}},
			{`DELETE FROM custom_fields WHERE id = $1`, []any{id.New()}},
			{`UPDATE saved_views SET name = 'x' WHERE id = $1`, []any{id.New()}},
		} {
			if _, err := d.W.ExecContext(ctx, q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		for name, was := range before {
			if n, _ := revision.Read(ctx, d.R, name); n != was {
				t.Errorf("%s moved from %d to %d on statements that changed nothing", name, was, n)
			}
		}
	})
}
