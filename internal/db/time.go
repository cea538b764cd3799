package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width so that text comparison on SQLite sorts like
// time; PostgreSQL parses the same text into timestamptz.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Time carries a UTC instant to and from either engine. A zero Time is
// stored as NULL and NULL scans into a zero Time.
type Time struct{ time.Time }

// T wraps t for use as a query argument.
func T(t time.Time) Time { return Time{t} }

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return t.UTC().Format(timeLayout), nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = x.UTC()
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	default:
		return fmt.Errorf("db: cannot scan %T into Time", v)
	}
	return nil
}

func (t *Time) parse(s string) error {
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("db: bad time %q: %w", s, err)
	}
	t.Time = p.UTC()
	return nil
}

// Now is the current time at the precision both engines store
// (microseconds), so a value read back equals the value written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
