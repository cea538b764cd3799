package query_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/query"
)

// now is the reference time of the operator tests.
var now = ts("2025-06-15T12:00:00Z")

// people is a small, readable fixture: every filter test names the people
// it expects.
var people = []contact{
	{First: "Ada", Last: "Lovelace", Email: "ada@example.com", Stage: "customer", Birthday: "1815-12-10",
		Created: ts("2025-06-14T10:00:00Z"), Tags: []string{"VIP", "Investor"},
		Custom: map[string]any{"plan": "pro", "seats": 10, "renewal": "2025-07-01", "vip": true,
			"colors": []string{"red", "blue"}, "nickname": "100% Ada", "last_seen": "2025-06-15T09:00:00.000000Z"}},
	{First: "Bob", Last: "Smith", Email: "bob_smith@example.com", Stage: "lead",
		Created: ts("2025-06-01T08:00:00Z"), Tags: []string{"Newsletter"},
		Custom: map[string]any{"plan": "free", "seats": 1, "vip": false, "colors": []string{"green"},
			"nickname": "Bobby", "last_seen": "2025-05-01T00:00:00.000000Z"}},
	{First: "Carla", Last: "O'Brien", Stage: "customer", Birthday: "1990-06-10",
		Created: ts("2025-05-01T00:00:00Z"), Tags: []string{"VIP"},
		Custom: map[string]any{"plan": "enterprise", "seats": 250.5, "renewal": "2025-06-10", "colors": []string{}}},
	{First: "Dan", Last: "Brown", Email: "dan@example.net",
		Created: ts("2024-01-01T00:00:00Z"), Custom: map[string]any{"nickname": "100 Dan"}},
	{First: "Eve", Last: "Adams", Email: "bobxsmith@example.org", Stage: "churned", Birthday: "2000-02-29",
		Created: ts("2025-06-15T11:59:00Z"), Tags: []string{"Investor"},
		Custom: map[string]any{"plan": "pro", "seats": 0, "vip": true, "renewal": "2026-01-01",
			"colors": []string{"red"}, "nickname": ""}},
	{First: "Frank", Last: "McDonald", Email: "frank@example.com", Stage: "lead", Birthday: "1985-06-15",
		Created: ts("2025-06-08T12:00:00Z"), Custom: map[string]any{"seats": -5, "vip": false, "plan": nil}},
	// Gina matches many filters but is deleted: the caller's own
	// condition must still apply.
	{First: "Gina", Last: "Deleted", Stage: "lead", Created: ts("2025-06-10T00:00:00Z"), Deleted: true,
		Tags: []string{"VIP"}, Custom: map[string]any{"plan": "pro", "seats": 10, "vip": true}},
}

func cond(field string, op query.Op, values ...string) query.Condition {
	c := query.Condition{Field: field, Op: op}
	if len(values) == 1 {
		c.Value = values[0]
	} else {
		c.Values = values
	}
	return c
}

func all(cs ...query.Condition) query.Group { return query.Group{Conditions: cs} }

func anyOf(cs ...query.Condition) query.Group {
	return query.Group{Match: query.Any, Conditions: cs}
}

func names(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

type filterCase struct {
	name   string
	filter query.Group
	loc    *time.Location
	want   string // first names, sorted, space-separated
}

var filterCases = []filterCase{
	// text
	{"text is, any case", all(cond("first_name", query.Is, "ADA")), nil, "Ada"},
	{"text is any of", all(cond("first_name", query.Is, "ada", "BOB")), nil, "Ada Bob"},
	{"text contains, any case", all(cond("last_name", query.Contains, "DON")), nil, "Frank"},
	{"text starts_with", all(cond("last_name", query.StartsWith, "mc")), nil, "Frank"},
	{"text starts_with is anchored", all(cond("last_name", query.StartsWith, "donald")), nil, ""},
	{"text contains a quote", all(cond("last_name", query.Contains, "'b")), nil, "Carla"},
	{"underscore is literal", all(cond("email", query.Contains, "b_s")), nil, "Bob"},
	{"lone underscore is literal", all(cond("email", query.Contains, "_")), nil, "Bob"},
	{"percent is literal", all(cond("cf.nickname", query.Contains, "100%")), nil, "Ada"},
	{"custom text contains", all(cond("cf.nickname", query.Contains, "100")), nil, "Ada Dan"},
	{"backslash is literal", all(cond("cf.nickname", query.Contains, `\`)), nil, ""},
	{"custom text starts_with", all(cond("cf.nickname", query.StartsWith, "BOB")), nil, "Bob"},
	{"custom text is", all(cond("cf.nickname", query.Is, "bobby")), nil, "Bob"},
	{"custom text is_not includes missing", all(cond("cf.nickname", query.IsNot, "bobby")), nil, "Ada Carla Dan Eve Frank"},
	{"text is_not includes NULL", all(cond("email", query.IsNot, "ADA@example.com")), nil, "Bob Carla Dan Eve Frank"},
	{"text empty", all(cond("email", query.Empty)), nil, "Carla"},
	{"text not_empty", all(cond("email", query.NotEmpty)), nil, "Ada Bob Dan Eve Frank"},
	{"custom text empty: missing, null or blank", all(cond("cf.nickname", query.Empty)), nil, "Carla Eve Frank"},
	{"custom text not_empty", all(cond("cf.nickname", query.NotEmpty)), nil, "Ada Bob Dan"},
	{"SQL in a value is only a value", all(cond("first_name", query.Is, "x'); DROP TABLE qt_contacts; --")), nil, ""},
	// number (custom)
	{"number is", all(cond("cf.seats", query.Is, "10")), nil, "Ada"},
	{"number is a fraction", all(cond("cf.seats", query.Is, "250.5")), nil, "Carla"},
	{"number is in exponent form", all(cond("cf.seats", query.Is, "1e1")), nil, "Ada"},
	{"number is_not", all(cond("cf.seats", query.IsNot, "10")), nil, "Bob Carla Dan Eve Frank"},
	{"number gt", all(cond("cf.seats", query.GT, "1")), nil, "Ada Carla"},
	{"number gt a fraction", all(cond("cf.seats", query.GT, "0.5")), nil, "Ada Bob Carla"},
	{"number lt", all(cond("cf.seats", query.LT, "0")), nil, "Frank"},
	{"number between includes ends", all(cond("cf.seats", query.Between, "0", "10")), nil, "Ada Bob Eve"},
	{"number between negatives", all(cond("cf.seats", query.Between, "-5", "1")), nil, "Bob Eve Frank"},
	{"number empty", all(cond("cf.seats", query.Empty)), nil, "Dan"},
	{"number not_empty", all(cond("cf.seats", query.NotEmpty)), nil, "Ada Bob Carla Eve Frank"},
	// date (column)
	{"date is", all(cond("birthday", query.Is, "1990-06-10")), nil, "Carla"},
	{"date is_not", all(cond("birthday", query.IsNot, "1990-06-10")), nil, "Ada Bob Dan Eve Frank"},
	{"date gt", all(cond("birthday", query.GT, "1985-06-15")), nil, "Carla Eve"},
	{"date lt", all(cond("birthday", query.LT, "1900-01-01")), nil, "Ada"},
	{"date between includes ends", all(cond("birthday", query.Between, "1985-06-15", "1990-06-10")), nil, "Carla Frank"},
	{"date empty", all(cond("birthday", query.Empty)), nil, "Bob Dan"},
	{"date not_empty", all(cond("birthday", query.NotEmpty)), nil, "Ada Carla Eve Frank"},
	{"date last_days on a column", all(cond("birthday", query.LastDays, "1")), nil, ""},
	// date (custom)
	{"custom date is", all(cond("cf.renewal", query.Is, "2025-07-01")), nil, "Ada"},
	{"custom date gt", all(cond("cf.renewal", query.GT, "2025-06-10")), nil, "Ada Eve"},
	{"custom date lt", all(cond("cf.renewal", query.LT, "2025-07-01")), nil, "Carla"},
	{"custom date between", all(cond("cf.renewal", query.Between, "2025-06-01", "2025-12-31")), nil, "Ada Carla"},
	{"custom date empty", all(cond("cf.renewal", query.Empty)), nil, "Bob Dan Frank"},
	{"custom date last 6 days reaches the 10th", all(cond("cf.renewal", query.LastDays, "6")), nil, "Carla"},
	{"custom date last 5 days does not", all(cond("cf.renewal", query.LastDays, "5")), nil, ""},
	// timestamp (column)
	{"timestamp is a whole day", all(cond("created_at", query.Is, "2025-06-14")), nil, "Ada"},
	{"timestamp is an instant", all(cond("created_at", query.Is, "2025-06-14T10:00:00Z")), nil, "Ada"},
	{"timestamp is_not", all(cond("created_at", query.IsNot, "2025-06-14")), nil, "Bob Carla Dan Eve Frank"},
	{"timestamp gt a day means after it", all(cond("created_at", query.GT, "2025-06-08")), nil, "Ada Eve"},
	{"timestamp gt an instant", all(cond("created_at", query.GT, "2025-06-14T10:00:00Z")), nil, "Eve"},
	{"timestamp lt a day means before it", all(cond("created_at", query.LT, "2025-05-01")), nil, "Dan"},
	{"timestamp between whole days", all(cond("created_at", query.Between, "2025-05-01", "2025-06-01")), nil, "Bob Carla"},
	{"timestamp last_days", all(cond("created_at", query.LastDays, "7")), nil, "Ada Eve Frank"},
	{"timestamp last 1 day", all(cond("created_at", query.LastDays, "1")), nil, "Eve"},
	{"timestamp day in UTC", all(cond("created_at", query.Is, "2025-04-30")), nil, ""},
	{"timestamp day in New York", all(cond("created_at", query.Is, "2025-04-30")), newYork, "Carla"},
	{"timestamp not_empty", all(cond("created_at", query.NotEmpty)), nil, "Ada Bob Carla Dan Eve Frank"},
	// timestamp (custom)
	{"custom timestamp last_days", all(cond("cf.last_seen", query.LastDays, "1")), nil, "Ada"},
	{"custom timestamp lt", all(cond("cf.last_seen", query.LT, "2025-06-01")), nil, "Bob"},
	{"custom timestamp is a day", all(cond("cf.last_seen", query.Is, "2025-06-15")), nil, "Ada"},
	{"custom timestamp empty", all(cond("cf.last_seen", query.Empty)), nil, "Carla Dan Eve Frank"},
	// bool (custom)
	{"bool is true", all(cond("cf.vip", query.Is, "true")), nil, "Ada Eve"},
	{"bool is yes", all(cond("cf.vip", query.Is, "Yes")), nil, "Ada Eve"},
	{"bool is false counts missing as no", all(cond("cf.vip", query.Is, "false")), nil, "Bob Carla Dan Frank"},
	{"bool is_not true", all(cond("cf.vip", query.IsNot, "true")), nil, "Bob Carla Dan Frank"},
	{"bool is_not false", all(cond("cf.vip", query.IsNot, "false")), nil, "Ada Eve"},
	{"bool empty", all(cond("cf.vip", query.Empty)), nil, "Carla Dan"},
	{"bool not_empty", all(cond("cf.vip", query.NotEmpty)), nil, "Ada Bob Eve Frank"},
	// select (column and custom)
	{"select is", all(cond("lifecycle_stage", query.Is, "customer")), nil, "Ada Carla"},
	{"select is, option in any case", all(cond("lifecycle_stage", query.Is, "LEAD")), nil, "Bob Frank"},
	{"select is any of", all(cond("lifecycle_stage", query.Is, "lead", "churned")), nil, "Bob Eve Frank"},
	{"select is_not includes NULL", all(cond("lifecycle_stage", query.IsNot, "customer")), nil, "Bob Dan Eve Frank"},
	{"select empty", all(cond("lifecycle_stage", query.Empty)), nil, "Dan"},
	{"custom select is", all(cond("cf.plan", query.Is, "pro")), nil, "Ada Eve"},
	{"custom select is_not", all(cond("cf.plan", query.IsNot, "pro")), nil, "Bob Carla Dan Frank"},
	{"custom select empty: missing or null", all(cond("cf.plan", query.Empty)), nil, "Dan Frank"},
	{"custom select not_empty", all(cond("cf.plan", query.NotEmpty)), nil, "Ada Bob Carla Eve"},
	// multiselect (custom)
	{"multiselect is means contains", all(cond("cf.colors", query.Is, "red")), nil, "Ada Eve"},
	{"multiselect contains", all(cond("cf.colors", query.Contains, "Blue")), nil, "Ada"},
	{"multiselect contains any of", all(cond("cf.colors", query.Is, "green", "blue")), nil, "Ada Bob"},
	{"multiselect is_not", all(cond("cf.colors", query.IsNot, "red")), nil, "Bob Carla Dan Frank"},
	{"multiselect empty: missing or []", all(cond("cf.colors", query.Empty)), nil, "Carla Dan Frank"},
	{"multiselect not_empty", all(cond("cf.colors", query.NotEmpty)), nil, "Ada Bob Eve"},
	// tags
	{"has_tag, any case", all(cond("tag", query.HasTag, "vip")), nil, "Ada Carla"},
	{"has_tag trims", all(cond("tag", query.HasTag, " VIP ")), nil, "Ada Carla"},
	{"has_tag any of", all(cond("tag", query.HasTag, "newsletter", "investor")), nil, "Ada Bob Eve"},
	{"has_tag unknown", all(cond("tag", query.HasTag, "nosuch")), nil, ""},
	{"not_has_tag", all(cond("tag", query.NotHasTag, "vip")), nil, "Bob Dan Eve Frank"},
	{"not_has_tag none of", all(cond("tag", query.NotHasTag, "vip", "investor")), nil, "Bob Dan Frank"},
	{"tag empty", all(cond("tag", query.Empty)), nil, "Dan Frank"},
	{"tag not_empty", all(cond("tag", query.NotEmpty)), nil, "Ada Bob Carla Eve"},
	// groups
	{"empty filter matches all", query.Group{}, nil, "Ada Bob Carla Dan Eve Frank"},
	{"empty nested group is ignored", query.Group{Match: query.Any, Groups: []query.Group{{}}}, nil, "Ada Bob Carla Dan Eve Frank"},
	{"all is AND", all(cond("lifecycle_stage", query.Is, "customer"), cond("cf.vip", query.Is, "true")), nil, "Ada"},
	{"any is OR", anyOf(cond("lifecycle_stage", query.Is, "lead"), cond("tag", query.HasTag, "investor")), nil, "Ada Bob Eve Frank"},
	{"AND of an OR group", query.Group{
		Conditions: []query.Condition{cond("cf.plan", query.Is, "pro")},
		Groups:     []query.Group{anyOf(cond("cf.seats", query.GT, "5"), cond("cf.nickname", query.Empty))},
	}, nil, "Ada Eve"},
	{"three levels", query.Group{Match: query.Any, Groups: []query.Group{
		all(cond("lifecycle_stage", query.Is, "customer"), cond("cf.seats", query.GT, "100")),
		{Conditions: []query.Condition{cond("lifecycle_stage", query.Is, "lead"), cond("cf.vip", query.Is, "false")},
			Groups: []query.Group{anyOf(cond("tag", query.HasTag, "newsletter"), cond("cf.seats", query.LT, "0"))}},
	}}, nil, "Bob Carla Frank"},
}

var newYork = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		return time.FixedZone("EDT", -4*3600)
	}
	return l
}()

func TestFilterOperators(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createTables(t, d)
		insert(t, d, slices.Clone(people))
		s := contactSchema(t)
		for _, tc := range filterCases {
			t.Run(tc.name, func(t *testing.T) {
				// The caller's own conditions come first and use $1.
				where, args, err := query.Compile(query.Options{Engine: d.Engine, Schema: s,
					Args: []any{"zzz"}, Now: now, Location: tc.loc}, tc.filter)
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				q := `SELECT c.first_name FROM qt_contacts c WHERE c.deleted_at IS NULL AND c.sort_name <> $1`
				if where != "" {
					q += " AND " + where
				}
				got := firstNames(t, d, q, args)
				if want := names(tc.want); !slices.Equal(got, want) {
					t.Errorf("got %q, want %q\nSQL: %s\nargs: %v", got, want, q, args)
				}
			})
		}
	})
}

func firstNames(t *testing.T, d *db.DB, q string, args []any) []string {
	t.Helper()
	rows, err := d.R.Query(q, args...)
	if err != nil {
		t.Fatalf("query: %v\nSQL: %s\nargs: %v", err, q, args)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v\nSQL: %s", err, q)
	}
	slices.Sort(got)
	return got
}

// TestCompileNumbersAfterCallerArgs checks the placeholder numbering and
// that the caller's slice is left alone.
func TestCompileNumbersAfterCallerArgs(t *testing.T) {
	s := contactSchema(t)
	callerArgs := make([]any, 2, 10)
	callerArgs[0], callerArgs[1] = "a", "b"
	where, args, err := query.Compile(query.Options{Engine: db.SQLite, Schema: s, Args: callerArgs},
		all(cond("first_name", query.Is, "x"), cond("cf.seats", query.Between, "1", "2")))
	if err != nil {
		t.Fatal(err)
	}
	want := `(lower(c.first_name) = lower($3) AND (json_extract(c.custom, '$.seats') >= $4 AND json_extract(c.custom, '$.seats') <= $5))`
	if where != want {
		t.Errorf("where = %s\nwant    %s", where, want)
	}
	if len(args) != 5 || args[0] != "a" || args[2] != "x" || args[3] != int64(1) {
		t.Errorf("args = %#v", args)
	}
	if callerArgs[:3][2] != nil {
		t.Errorf("Compile wrote into the caller's spare capacity: %#v", callerArgs[:3])
	}
}
