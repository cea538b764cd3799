package query

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
)

// The messages a person sees beside a bad value.
const (
	msgValue    = "Enter a value."
	msgNumber   = "Enter a number, such as 42 or 3.5."
	msgDate     = "Enter a date as YYYY-MM-DD, such as 2024-05-31."
	msgInstant  = "Enter a date as YYYY-MM-DD, or a time such as 2024-05-31T14:00:00Z."
	msgBool     = "Choose yes or no (true or false)."
	msgDays     = "Enter a whole number of days, 1 or more."
	msgBetween  = "Enter two values: from and to."
	msgTooLarge = "Enter a shorter value."
)

const (
	dayLayout  = "2006-01-02"
	timeLayout = "2006-01-02T15:04:05.000000Z" // as internal/db stores it on SQLite
	maxDays    = 100 * 366
	maxValue   = 500 // bytes in one filter value
)

var errBad = errors.New("bad value")

// numberPattern is plain decimal notation, which both Go and PostgreSQL's
// numeric parse the same way (no hex, no underscores, no NaN).
var numberPattern = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// number parses a decimal number and returns it as the engine binds it:
// PostgreSQL receives the text, which it parses exactly into numeric;
// SQLite needs an integer or a float to compare numerically.
func number(e db.Engine, s string) (any, error) {
	s = strings.TrimSpace(s)
	if !numberPattern.MatchString(s) {
		return nil, errBad
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, errBad
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if e == db.Postgres {
		return s, nil
	}
	return f, nil
}

// day parses YYYY-MM-DD and returns it in that canonical form.
func day(s string) (string, error) {
	t, err := time.Parse(dayLayout, strings.TrimSpace(s))
	if err != nil {
		return "", errBad
	}
	return t.Format(dayLayout), nil
}

// span parses a timestamp filter value: a day (YYYY-MM-DD, in loc) stands
// for the whole day, an RFC 3339 time for that instant. It returns the
// half-open interval [lo, hi).
func span(s string, loc *time.Location) (lo, hi time.Time, err error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(dayLayout, s, loc); err == nil {
		return t, t.AddDate(0, 0, 1), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return lo, hi, errBad
	}
	t = t.UTC().Truncate(time.Microsecond)
	return t, t.Add(time.Microsecond), nil
}

// boolean parses yes/no values.
func boolean(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, errBad
}

// days parses the N of last_days.
func days(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > maxDays {
		return 0, errBad
	}
	return n, nil
}

// option returns the option of f that s names, ignoring case.
func option(f Field, s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, o := range f.Options {
		if strings.EqualFold(o, s) {
			return o, true
		}
	}
	return "", false
}

func optionsMessage(f Field) string {
	if len(f.Options) == 0 {
		return f.label() + " has no choices yet."
	}
	return "Choose one of: " + strings.Join(f.Options, ", ") + "."
}

// likeEscaper makes % and _ in a user's text literal for LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// canonical turns a sort value read from the database (as database/sql
// hands it over on either engine) into the text a cursor stores.
func canonical(t Type, v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	var s string
	switch t {
	case Text, Select:
		x, ok := v.(string)
		if !ok {
			return nil, errBad
		}
		s = x
	case Number:
		switch x := v.(type) {
		case int64:
			s = strconv.FormatInt(x, 10)
		case float64:
			s = strconv.FormatFloat(x, 'g', -1, 64)
		case string:
			if _, err := number(db.Postgres, x); err != nil {
				return nil, err
			}
			s = x
		default:
			return nil, errBad
		}
	case Bool:
		switch x := v.(type) {
		case bool:
			s = strconv.FormatBool(x)
		case int64:
			s = strconv.FormatBool(x != 0)
		default:
			return nil, errBad
		}
	case Date:
		switch x := v.(type) {
		case time.Time:
			s = x.Format(dayLayout)
		case string:
			if _, err := day(x); err != nil {
				return nil, err
			}
			s = x
		default:
			return nil, errBad
		}
	case Timestamp:
		switch x := v.(type) {
		case time.Time:
			s = x.UTC().Format(timeLayout)
		case string:
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return nil, errBad
			}
			s = x
		default:
			return nil, errBad
		}
	default:
		return nil, errBad
	}
	return &s, nil
}

// bindSort turns a cursor's stored text back into the argument that
// compares with the sort expression.
func bindSort(e db.Engine, t Type, s string) (any, error) {
	switch t {
	case Text, Select:
		return s, nil
	case Number:
		return number(e, s)
	case Bool:
		return boolean(s)
	case Date:
		return day(s)
	case Timestamp:
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, errBad
		}
		// Stored text as it was read, so SQLite compares it byte for byte.
		return s, nil
	}
	return nil, errBad
}

func opMessage(f Field, op Op) string {
	names := make([]string, len(allowedOps[f.Type]))
	for i, o := range allowedOps[f.Type] {
		names[i] = string(o)
	}
	list := strings.Join(names, ", ")
	if op == "" {
		return fmt.Sprintf("Choose how to compare %s: %s.", f.label(), list)
	}
	return fmt.Sprintf("%s cannot be filtered with %q; use one of: %s.", f.label(), op, list)
}

// reversed reports lo > hi for two values from scalar.
func reversed(t Type, lo, hi any) bool {
	if t == Date {
		return lo.(string) > hi.(string)
	}
	return toFloat(lo) > toFloat(hi)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
