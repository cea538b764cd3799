package query_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/rapportcrm/rapport/internal/query"
)

func TestRequestURLRoundTrip(t *testing.T) {
	s := contactSchema(t)
	reqs := []query.Request{
		{},
		{Sort: query.ParseSort("-updated_at"), Limit: 50, Cursor: "eyJzIjoiIn0"},
		{Filter: query.Group{Match: query.Any,
			Conditions: []query.Condition{cond("cf.plan", query.Is, "pro"), cond("cf.seats", query.Between, "1", "10")},
			Groups:     []query.Group{all(cond("tag", query.HasTag, "vip & co"), cond("first_name", query.Contains, `100% "a"`))},
		}, Sort: query.ParseSort("cf.seats")},
	}
	for _, r := range reqs {
		raw := r.Values().Encode()
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := query.ParseRequest(s, v)
		if err != nil {
			t.Fatalf("ParseRequest(%s): %v", raw, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip through %s\ngot  %+v\nwant %+v", raw, got, r)
		}
	}
}

func TestParseRequestShorthands(t *testing.T) {
	s := contactSchema(t)
	v, _ := url.ParseQuery(`lifecycle_stage=lead&tag=vip&tag=investor&sort=-created_at&limit=10&page=3` +
		`&filter=` + url.QueryEscape(`{"match":"any","conditions":[{"field":"cf.seats","op":"gt","value":5}]}`))
	got, err := query.ParseRequest(s, v)
	if err != nil {
		t.Fatal(err)
	}
	want := query.Request{
		Filter: query.Group{
			Conditions: []query.Condition{
				{Field: "lifecycle_stage", Op: query.Is, Value: "lead"},
				{Field: "tag", Op: query.HasTag, Values: []string{"vip", "investor"}},
			},
			// The "any" filter keeps its meaning inside the shorthands' AND.
			Groups: []query.Group{anyOf(cond("cf.seats", query.GT, "5"))},
		},
		Sort:  query.Sort{Field: "created_at", Desc: true},
		Limit: 10,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseRequestErrors(t *testing.T) {
	s := contactSchema(t)
	cases := []struct {
		query, path, msg string
	}{
		{"filter=%7Bbad", "filter", "The filter could not be read; it must be a JSON filter group."},
		{"filter=" + url.QueryEscape(`{"conditions":[{"field":"x","op":"is","value":{"a":1}}]}`), "filter",
			"The filter could not be read; it must be a JSON filter group."},
		{"limit=ten", "limit", "Enter a page size from 1 to 200."},
	}
	for _, tc := range cases {
		v, _ := url.ParseQuery(tc.query)
		_, err := query.ParseRequest(s, v)
		wantField(t, err, tc.path, tc.msg)
	}
}

// TestFilterJSON checks the form saved views store, and that API clients
// may send numbers and booleans as values.
func TestFilterJSON(t *testing.T) {
	in := `{"match":"any","conditions":[{"field":"cf.seats","op":"between","values":[1,2.5]},` +
		`{"field":"cf.vip","op":"is","value":true},{"field":"email","op":"empty","value":null}],` +
		`"groups":[{"conditions":[{"field":"tag","op":"has_tag","value":"vip"}]}]}`
	var g query.Group
	if err := json.Unmarshal([]byte(in), &g); err != nil {
		t.Fatal(err)
	}
	want := query.Group{Match: query.Any,
		Conditions: []query.Condition{cond("cf.seats", query.Between, "1", "2.5"), cond("cf.vip", query.Is, "true"), cond("email", query.Empty)},
		Groups:     []query.Group{all(cond("tag", query.HasTag, "vip"))},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("got  %+v\nwant %+v", g, want)
	}
	out, _ := json.Marshal(g)
	var back query.Group
	if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, g) {
		t.Errorf("%s does not read back: %v", out, err)
	}
	var r query.Request
	if err := json.Unmarshal([]byte(`{"sort":"-cf.seats","filter":{}}`), &r); err != nil || r.Sort != (query.Sort{Field: "cf.seats", Desc: true}) {
		t.Errorf("sort from JSON = %+v, %v", r.Sort, err)
	}
}
