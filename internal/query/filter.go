package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Match says how a group combines its parts.
type Match string

// The ways a group combines its conditions and subgroups.
const (
	All Match = "all" // every part holds (AND); the default
	Any Match = "any" // at least one part holds (OR)
)

// Op is a filter operator.
type Op string

// The operators. Which ones a field accepts depends on its Type (see
// Ops). Negative operators (is_not, not_has_tag) also match rows where
// the value is missing.
const (
	Is         Op = "is"          // equals one of the values; for multiselect, contains one of them
	IsNot      Op = "is_not"      // equals none of the values, or is empty
	Contains   Op = "contains"    // text contains the value; multiselect contains it
	StartsWith Op = "starts_with" // text starts with the value
	Empty      Op = "empty"       // no value (NULL, "" for text, [] for multiselect, no tags)
	NotEmpty   Op = "not_empty"   // has a value
	GT         Op = "gt"          // more than, or after
	LT         Op = "lt"          // less than, or before
	Between    Op = "between"     // within two values, both included
	LastDays   Op = "last_days"   // within the last N days up to now
	HasTag     Op = "has_tag"     // has one of the tags
	NotHasTag  Op = "not_has_tag" // has none of the tags
)

// allowedOps lists, per type, the operators a filter may use.
var allowedOps = map[Type][]Op{
	Text:        {Is, IsNot, Contains, StartsWith, Empty, NotEmpty},
	Number:      {Is, IsNot, GT, LT, Between, Empty, NotEmpty},
	Date:        {Is, IsNot, GT, LT, Between, LastDays, Empty, NotEmpty},
	Timestamp:   {Is, IsNot, GT, LT, Between, LastDays, Empty, NotEmpty},
	Bool:        {Is, IsNot, Empty, NotEmpty},
	Select:      {Is, IsNot, Empty, NotEmpty},
	MultiSelect: {Is, IsNot, Contains, Empty, NotEmpty},
	Tag:         {HasTag, NotHasTag, Empty, NotEmpty},
	Ref:         {Is, IsNot, Empty, NotEmpty},
}

// Ops returns the operators a field of type t accepts, for filter menus.
func Ops(t Type) []Op { return append([]Op(nil), allowedOps[t]...) }

// Group is a filter: conditions and nested groups combined by Match. The
// zero Group matches every row. Saved views store it as JSON.
type Group struct {
	Match      Match       `json:"match,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Groups     []Group     `json:"groups,omitempty"`
}

// IsZero reports whether g has no conditions and no groups.
func (g Group) IsZero() bool { return len(g.Conditions) == 0 && len(g.Groups) == 0 }

// Condition compares one field with a value. Value holds a single value;
// Values holds the two bounds of between, or several values for the
// operators that accept "any of" (is, is_not, contains, starts_with,
// has_tag, not_has_tag). Values are text: "42", "2024-05-31", "true".
// In JSON a value may also be a number or a boolean.
type Condition struct {
	Field  string   `json:"field"`
	Op     Op       `json:"op"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// UnmarshalJSON accepts numbers and booleans as values besides strings, so
// API clients may send {"value": 42}.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var raw struct {
		Field  string            `json:"field"`
		Op     Op                `json:"op"`
		Value  json.RawMessage   `json:"value"`
		Values []json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = Condition{Field: raw.Field, Op: raw.Op}
	var err error
	if c.Value, err = scalar(raw.Value); err != nil {
		return err
	}
	for _, r := range raw.Values {
		s, err := scalar(r)
		if err != nil {
			return err
		}
		c.Values = append(c.Values, s)
	}
	return nil
}

// scalar turns a JSON string, number, boolean or null into its text.
func scalar(r json.RawMessage) (string, error) {
	r = bytes.TrimSpace(r)
	if len(r) == 0 || string(r) == "null" {
		return "", nil
	}
	switch r[0] {
	case '"':
		var s string
		err := json.Unmarshal(r, &s)
		return s, err
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(r, &b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case '[', '{':
		return "", fmt.Errorf("query: a filter value must be a string, number or boolean")
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// item is one value of a condition with the path that names it in errors.
type item struct {
	text string
	path string
}

// items returns the condition's values with their paths.
func (c Condition) items(path string) []item {
	if len(c.Values) == 0 {
		if c.Value == "" {
			return nil
		}
		return []item{{c.Value, path + ".value"}}
	}
	out := make([]item, len(c.Values))
	for i, v := range c.Values {
		out[i] = item{v, fmt.Sprintf("%s.values[%d]", path, i)}
	}
	return out
}
