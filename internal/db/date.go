package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// DateLayout is how dates without a time (birthdays, close dates) are
// written everywhere: in Go, in JSON and in SQL.
const DateLayout = "2006-01-02"

// Date carries a calendar date as "YYYY-MM-DD" to and from either engine:
// TEXT on SQLite, date on PostgreSQL. An empty Date is NULL.
type Date string

// Value implements driver.Valuer.
func (d Date) Value() (driver.Value, error) {
	if d == "" {
		return nil, nil
	}
	return string(d), nil
}

// Scan implements sql.Scanner.
func (d *Date) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d = ""
	case time.Time:
		*d = Date(x.Format(DateLayout))
	case string:
		*d = Date(x)
	case []byte:
		*d = Date(x)
	default:
		return fmt.Errorf("db: cannot scan %T into Date", v)
	}
	return nil
}

// NullString binds "" as NULL, for optional references such as owner_id.
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
