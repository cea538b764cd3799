package query_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
)

// cursorAfter makes a real next-page cursor for sort whose last row has
// sort value v, by finishing a fake one-row page.
func cursorAfter(t *testing.T, s *query.Schema, sort string, v any) string {
	t.Helper()
	p, err := query.Paginate(query.Options{Engine: db.SQLite, Schema: s},
		query.Request{Sort: query.ParseSort(sort), Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows := []pageRow{{id.New(), v}, {id.New(), v}}
	_, cs, err := query.Finish(p, rows, func(r pageRow) (any, string) { return r.v, r.id })
	if err != nil || cs.Next == "" {
		t.Fatalf("Finish: %v, next %q", err, cs.Next)
	}
	return cs.Next
}

func rawCursor(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

const (
	msgNumber = "Enter a number, such as 42 or 3.5."
	msgDate   = "Enter a date as YYYY-MM-DD, such as 2024-05-31."
	msgDays   = "Enter a whole number of days, 1 or more."
	msgCursor = "This page link is not valid; start again from the first page."
)

func TestInvalidRequests(t *testing.T) {
	s := contactSchema(t)
	deep := query.Group{Groups: []query.Group{{Groups: []query.Group{{Groups: []query.Group{{Groups: []query.Group{
		all(cond("first_name", query.Is, "x"))}}}}}}}}
	many := query.Group{}
	for range 101 {
		many.Conditions = append(many.Conditions, cond("first_name", query.Is, "x"))
	}
	goodID := id.New()
	cases := []struct {
		name string
		req  query.Request
		path string
		msg  string // the exact message, or a prefix ending in "…"
	}{
		{"unknown field", query.Request{Filter: all(cond("nope", query.Is, "x"))},
			"filter.conditions[0].field", `There is no field "nope" to filter on.`},
		{"field key with SQL in it", query.Request{Filter: all(cond("last_name; DROP TABLE qt_contacts", query.Is, "x"))},
			"filter.conditions[0].field", `There is no field "last_name; DROP TABLE qt_contacts" to filter on.`},
		{"no field", query.Request{Filter: all(cond("", query.Is, "x"))}, "filter.conditions[0].field", "Choose a field."},
		{"operator not for the type", query.Request{Filter: all(cond("birthday", query.Contains, "x"))},
			"filter.conditions[0].op", `Birthday cannot be filtered with "contains"; use one of: is, is_not, gt, lt, between, last_days, empty, not_empty.`},
		{"unknown operator", query.Request{Filter: all(cond("first_name", "like", "x"))},
			"filter.conditions[0].op", `First name cannot be filtered with "like"; use one of: is, is_not, contains, starts_with, empty, not_empty.`},
		{"has_tag on text", query.Request{Filter: all(cond("first_name", query.HasTag, "x"))},
			"filter.conditions[0].op", `First name cannot be filtered with "has_tag"…`},
		{"no operator", query.Request{Filter: all(cond("cf.vip", "", "x"))},
			"filter.conditions[0].op", "Choose how to compare VIP: is, is_not, empty, not_empty."},
		{"bad number", query.Request{Filter: all(cond("cf.seats", query.GT, "ten"))}, "filter.conditions[0].value", msgNumber},
		{"hex is not a number", query.Request{Filter: all(cond("cf.seats", query.Is, "0x10"))}, "filter.conditions[0].value", msgNumber},
		{"NaN is not a number", query.Request{Filter: all(cond("cf.seats", query.Is, "NaN"))}, "filter.conditions[0].value", msgNumber},
		{"bad date", query.Request{Filter: all(cond("birthday", query.Is, "31/05/2024"))}, "filter.conditions[0].value", msgDate},
		{"impossible date", query.Request{Filter: all(cond("cf.renewal", query.LT, "2024-02-30"))}, "filter.conditions[0].value", msgDate},
		{"bad time", query.Request{Filter: all(cond("created_at", query.GT, "yesterday"))},
			"filter.conditions[0].value", "Enter a date as YYYY-MM-DD, or a time such as 2024-05-31T14:00:00Z."},
		{"bad select option", query.Request{Filter: all(cond("cf.plan", query.Is, "gold"))},
			"filter.conditions[0].value", "Choose one of: free, pro, enterprise."},
		{"bad option among values", query.Request{Filter: all(cond("lifecycle_stage", query.Is, "lead", "boss"))},
			"filter.conditions[0].values[1]", "Choose one of: lead, customer, churned."},
		{"bad multiselect option", query.Request{Filter: all(cond("cf.colors", query.Contains, "pink"))},
			"filter.conditions[0].value", "Choose one of: red, green, blue."},
		{"bad bool", query.Request{Filter: all(cond("cf.vip", query.Is, "maybe"))},
			"filter.conditions[0].value", "Choose yes or no (true or false)."},
		{"zero days", query.Request{Filter: all(cond("created_at", query.LastDays, "0"))}, "filter.conditions[0].value", msgDays},
		{"negative days", query.Request{Filter: all(cond("cf.renewal", query.LastDays, "-3"))}, "filter.conditions[0].value", msgDays},
		{"fractional days", query.Request{Filter: all(cond("birthday", query.LastDays, "1.5"))}, "filter.conditions[0].value", msgDays},
		{"between one value", query.Request{Filter: all(cond("cf.seats", query.Between, "1"))},
			"filter.conditions[0].values", "Enter two values: from and to."},
		{"between reversed", query.Request{Filter: all(cond("cf.seats", query.Between, "10", "2"))},
			"filter.conditions[0].values[1]", "Enter a value not smaller than the first one."},
		{"between reversed dates", query.Request{Filter: all(cond("birthday", query.Between, "2000-01-02", "2000-01-01"))},
			"filter.conditions[0].values[1]", "Enter a value not smaller than the first one."},
		{"between bad second date", query.Request{Filter: all(cond("created_at", query.Between, "2000-01-01", "soon"))},
			"filter.conditions[0].values[1]", "Enter a date as YYYY-MM-DD, or a time…"},
		{"no value", query.Request{Filter: all(cond("first_name", query.Is))}, "filter.conditions[0].value", "Enter a value."},
		{"blank value", query.Request{Filter: all(cond("first_name", query.Contains, "  "))}, "filter.conditions[0].value", "Enter a value."},
		{"blank tag", query.Request{Filter: all(cond("tag", query.HasTag, " "))}, "filter.conditions[0].value", "Enter a tag."},
		{"value and values", query.Request{Filter: all(query.Condition{Field: "first_name", Op: query.Is, Value: "a", Values: []string{"b"}})},
			"filter.conditions[0].value", "Give either value or values, not both."},
		{"too many values", query.Request{Filter: all(cond("first_name", query.Is, strings.Split(strings.Repeat("x ", 51), " ")[:51]...))},
			"filter.conditions[0].values", "Give at most 50 values."},
		{"too long", query.Request{Filter: all(cond("first_name", query.Is, strings.Repeat("x", 501)))},
			"filter.conditions[0].value", "Enter a shorter value."},
		{"nested path", query.Request{Filter: query.Group{Groups: []query.Group{{}, all(cond("first_name", query.Is, "x"), cond("cf.seats", query.LT, "many"))}}},
			"filter.groups[1].conditions[1].value", msgNumber},
		{"bad match", query.Request{Filter: query.Group{Match: "xor"}}, "filter.match", `Choose "all" or "any".`},
		{"too deep", query.Request{Filter: deep}, "filter.groups[0].groups[0].groups[0].groups[0]", "Groups can be nested at most 3 levels deep."},
		{"too many conditions", query.Request{Filter: many}, "filter.conditions[100]", "A filter can have at most 100 conditions."},
		{"unknown sort", query.Request{Sort: query.ParseSort("-nope")}, "sort", `There is no field "nope" to sort by.`},
		{"sort by tag", query.Request{Sort: query.ParseSort("tag")}, "sort", "The list cannot be sorted by Tag."},
		{"sort by multiselect", query.Request{Sort: query.ParseSort("cf.colors")}, "sort", "The list cannot be sorted by Colours."},
		{"limit too large", query.Request{Limit: 201}, "limit", "Enter a page size from 1 to 200."},
		{"negative limit", query.Request{Limit: -1}, "limit", "Enter a page size from 1 to 200."},
		{"cursor not base64", query.Request{Cursor: "!!!"}, "cursor", msgCursor},
		{"cursor not JSON", query.Request{Cursor: rawCursor("hello")}, "cursor", msgCursor},
		{"cursor too long", query.Request{Cursor: strings.Repeat("A", 3000)}, "cursor", msgCursor},
		{"cursor of another sort", query.Request{Sort: query.ParseSort("-sort_name"), Cursor: cursorAfter(t, s, "sort_name", "x")},
			"cursor", "This page link belongs to another sort order; start again from the first page."},
		{"cursor without id", query.Request{Cursor: rawCursor(`{"s":"sort_name","v":"x"}`)}, "cursor", msgCursor},
		{"cursor with SQL as id", query.Request{Cursor: rawCursor(`{"s":"sort_name","v":"x","id":"1) OR 1=1 --"}`)}, "cursor", msgCursor},
		{"cursor with a word for a number", query.Request{Sort: query.ParseSort("cf.seats"),
			Cursor: rawCursor(fmt.Sprintf(`{"s":"cf.seats","v":"abc","id":%q}`, goodID))}, "cursor", msgCursor},
		{"cursor with a bad date", query.Request{Sort: query.ParseSort("birthday"),
			Cursor: rawCursor(fmt.Sprintf(`{"s":"birthday","v":"1999-13-01","id":%q}`, goodID))}, "cursor", msgCursor},
		{"cursor with NULL for a not-null sort", query.Request{
			Cursor: rawCursor(fmt.Sprintf(`{"s":"sort_name","v":null,"id":%q}`, goodID))}, "cursor", msgCursor},
	}
	for _, e := range []db.Engine{db.SQLite, db.Postgres} {
		for _, tc := range cases {
			t.Run(string(e)+"/"+tc.name, func(t *testing.T) {
				p, err := query.Paginate(query.Options{Engine: e, Schema: s}, tc.req)
				if err == nil {
					t.Fatalf("no error; where %s", p.Where)
				}
				wantField(t, err, tc.path, tc.msg)
			})
		}
	}
}

func wantField(t *testing.T, err error, path, msg string) {
	t.Helper()
	v := apperr.AsValidation(err)
	if v == nil {
		t.Fatalf("error %v is not a validation error", err)
	}
	got := v.For(path)
	if prefix, ok := strings.CutSuffix(msg, "…"); ok {
		if !strings.HasPrefix(got, prefix) {
			t.Errorf("%s: got %q, want it to start with %q (all: %v)", path, got, prefix, err)
		}
	} else if got != msg {
		t.Errorf("%s: got %q, want %q (all: %v)", path, got, msg, err)
	}
}

func TestInvalidRequestReportsEveryProblem(t *testing.T) {
	s := contactSchema(t)
	_, err := query.Paginate(query.Options{Engine: db.SQLite, Schema: s}, query.Request{
		Filter: all(cond("nope", query.Is, "x"), cond("cf.seats", query.GT, "x"), cond("first_name", query.Is, "ok")),
		Sort:   query.ParseSort("tag"), Limit: 1000, Cursor: "%%%",
	})
	v := apperr.AsValidation(err)
	if v == nil {
		t.Fatalf("got %v, want a validation error", err)
	}
	var paths []string
	for _, f := range v.Fields {
		paths = append(paths, f.Field)
	}
	want := "filter.conditions[0].field filter.conditions[1].value sort limit cursor"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
}

func TestCompileRejectsBadOptions(t *testing.T) {
	if _, _, err := query.Compile(query.Options{Engine: "oracle", Schema: contactSchema(t)}, query.Group{}); err == nil {
		t.Error("unknown engine accepted")
	}
	if _, _, err := query.Compile(query.Options{Engine: db.SQLite}, query.Group{}); err == nil {
		t.Error("missing schema accepted")
	}
}
