package customfield

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
)

func TestNormaliseEveryType(t *testing.T) {
	f := func(typ Type, opts ...string) Field {
		return Field{Key: "k", Label: "K", Type: typ, Options: opts, Currency: "EUR"}
	}
	tests := []struct {
		field Field
		in    any
		want  any
		bad   bool
	}{
		{f(Text), "  hello ", "hello", false},
		{f(Text), "two\nlines", nil, true},
		{f(LongText), "two\nlines", "two\nlines", false},
		{f(Number), "1,250.5", 1250.5, false},
		{f(Number), 42.0, 42.0, false},
		{f(Number), "twelve", nil, true},
		{f(Currency), "19.99", int64(1999), false},
		{f(Currency), 19.999, nil, true},
		{f(Date), "2024-02-29", "2024-02-29", false},
		{f(Date), "2023-02-29", nil, true},
		{f(Date), "29/02/2024", nil, true},
		{f(Bool), "yes", true, false},
		{f(Bool), false, false, false},
		{f(Bool), "maybe", nil, true},
		{f(Select, "Free", "Pro"), "pro", "Pro", false},
		{f(Select, "Free", "Pro"), "Gold", nil, true},
		{f(MultiSelect, "A", "B", "C"), []any{"b", "A", "b"}, []string{"B", "A"}, false},
		{f(MultiSelect, "A", "B"), "A; B", []string{"A", "B"}, false},
		{f(MultiSelect, "A", "B"), []any{"Z"}, nil, true},
		{f(URL), "example.com/x", "https://example.com/x", false},
		{f(URL), "javascript:alert(1)", nil, true},
		{f(URL), "ftp://example.com", nil, true},
		{f(URL), "mailto:x@y.example", nil, true},
		{f(Email), "a@b.co", "a@b.co", false},
		{f(Email), "not an email", nil, true},
		{f(Phone), "+49 30 901820", "+4930901820", false},
		{f(Phone), "12", nil, true},
		{f(Text), "", nil, false},
		{f(Number), true, nil, true},
	}
	for _, tt := range tests {
		got, msg := Normalise(tt.field, tt.in, "US")
		if (msg != "") != tt.bad {
			t.Errorf("%s %v: message %q, want bad=%v", tt.field.Type, tt.in, msg, tt.bad)
			continue
		}
		if !tt.bad && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v = %#v, want %#v", tt.field.Type, tt.in, got, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	defs := []Field{
		{Key: "plan", Label: "Plan", Type: Select, Options: []string{"Free", "Pro"}, Required: true},
		{Key: "seats", Label: "Seats", Type: Number},
	}
	got, err := Apply(defs, Values{"plan": "Free", "seats": 3.0, "legacy": "kept"}, map[string]any{"seats": nil}, "US")
	if err != nil || !reflect.DeepEqual(got, Values{"plan": "Free", "legacy": "kept"}) {
		t.Errorf("clearing seats: %v, %v", got, err)
	}
	_, err = Apply(defs, Values{}, map[string]any{"seats": "x", "colour": "red"}, "US")
	v := apperr.AsValidation(err)
	if v == nil || v.For("custom.seats") == "" || v.For("custom.colour") == "" || v.For("custom.plan") == "" {
		t.Errorf("want messages on custom.seats, custom.colour and the required custom.plan; got %v", err)
	}
	if KeyFromLabel("3 Ärger & Co.") != "f_3_rger_co" {
		t.Errorf("KeyFromLabel = %q", KeyFromLabel("3 Ärger & Co."))
	}
}

func TestStored(t *testing.T) {
	s := Stored(`{"plan":"Pro","seats":12,"tags":["a","b"],"vip":true}`)
	vals, err := s.Values()
	if err != nil {
		t.Fatal(err)
	}
	if vals["plan"] != "Pro" || vals["seats"] != 12.0 || vals["vip"] != true {
		t.Errorf("Values = %v", vals)
	}
	if got, ok := vals["tags"].([]string); !ok || len(got) != 2 || got[1] != "b" {
		t.Errorf(`tags = %#v, want []string{"a", "b"}`, vals["tags"])
	}
	for _, c := range []struct {
		in   Stored
		want string
	}{{"", "{}"}, {`{"a": 1}`, `{"a":1}`}} {
		b, err := json.Marshal(struct{ C Stored }{c.in})
		if err != nil || string(b) != `{"C":`+c.want+`}` {
			t.Errorf("Marshal(%q) = %s, %v; want the object %s", c.in, b, err, c.want)
		}
	}
	for _, bad := range []Stored{`{"a":`, `[1]`, `5`} {
		if _, err := json.Marshal(bad); err == nil {
			t.Errorf("the damaged column %s marshals without error", bad)
		}
	}
}
