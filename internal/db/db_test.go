package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		applied, err := d.Migrate(ctx)
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Errorf("second migrate applied %v, want nothing", applied)
		}
		pending, err := d.Pending(ctx)
		if err != nil || pending {
			t.Errorf("Pending = %v, %v; want false, nil", pending, err)
		}
		var n int
		if err := d.R.QueryRowContext(ctx, "SELECT count(*) FROM roles").Scan(&n); err != nil || n != 5 {
			t.Errorf("roles = %d, %v; want 5 roles", n, err)
		}
	})
}

func TestPendingOnEmptyDatabase(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			d := dbtest.OpenUnmigrated(t, dbtest.Source(t, e))
			pending, err := d.Pending(context.Background())
			if err != nil || !pending {
				t.Errorf("Pending = %v, %v; want true, nil", pending, err)
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		want := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO throttles (key, failures, window_ends) VALUES ($1, $2, $3)`,
				"k", 1, db.T(want))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got db.Time
		if err := d.R.QueryRowContext(ctx, `SELECT window_ends FROM throttles WHERE key = $1`, "k").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Errorf("read back %v, want %v", got.Time, want)
		}
		var later int
		err = d.R.QueryRowContext(ctx, `SELECT count(*) FROM throttles WHERE window_ends > $1`, db.T(want.Add(-time.Microsecond))).Scan(&later)
		if err != nil || later != 1 {
			t.Errorf("comparison found %d rows (%v), want 1", later, err)
		}
	})
}

func TestWithTxRollsBackOnError(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO throttles (key, failures, window_ends) VALUES ('a', 1, $1)`, db.T(db.Now())); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx = %v, want boom", err)
		}
		var n int
		d.R.QueryRowContext(ctx, `SELECT count(*) FROM throttles`).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows after rollback, want 0", n)
		}
	})
}

func TestPgxTxSavepointSharesTransaction(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("RAPPORT_TEST_POSTGRES is not set")
	}
	d := dbtest.Open(t, db.Postgres)
	ctx := context.Background()
	err := d.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO throttles (key, failures, window_ends) VALUES ('outer', 1, now())`); err != nil {
			return err
		}
		ptx := tx.PgxTx()
		var seen int
		if err := ptx.QueryRow(ctx, `SELECT count(*) FROM throttles WHERE key = 'outer'`).Scan(&seen); err != nil || seen != 1 {
			t.Errorf("pgx side sees %d rows (%v), want the uncommitted row", seen, err)
		}
		sp, err := ptx.Begin(ctx)
		if err != nil {
			return err
		}
		sp.Exec(ctx, `INSERT INTO throttles (key, failures, window_ends) VALUES ('inner', 1, now())`)
		return sp.Rollback(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, _ := d.R.QueryContext(ctx, `SELECT key FROM throttles ORDER BY key`)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	if strings.Join(keys, ",") != "outer" {
		t.Errorf("rows %v, want only outer", keys)
	}
}

func TestOpenErrorsAreClear(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, src, want string
	}{
		{"missing folder", "sqlite:/nonexistent-dir/x/rapport.db", "/nonexistent-dir/x does not exist"},
		{"unreachable postgres", "postgres://nobody@127.0.0.1:1/x", "127.0.0.1:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := db.ParseSource(c.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.Open(ctx, src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open(%s) = %v, want an error mentioning %q", c.src, err, c.want)
			}
		})
	}
}

func TestParseSource(t *testing.T) {
	for _, s := range []string{"mysql://x", "rapport.db", "sqlite:", "postgres://"} {
		if _, err := db.ParseSource(s); err == nil {
			t.Errorf("ParseSource(%q) accepted it", s)
		}
	}
	src, err := db.ParseSource("postgres://u:secret@h:5432/db")
	if err != nil || strings.Contains(src.String(), "secret") {
		t.Errorf("String() = %q (%v); must hide the password", src, err)
	}
}
