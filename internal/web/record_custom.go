package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/phone"
)

// customInput is one custom field on a record form: its definition and the
// value as the person typed it (Values for multi-select).
type customInput struct {
	Def    customfield.Field
	Name   string // "custom.<key>": the input's name and the error's field
	Value  string
	Values []string
}

// Type helpers for the template's switch on the field type.
func (c customInput) Is(t string) bool { return string(c.Def.Type) == t }

// Checked reports whether option o of a multi-select is ticked.
func (c customInput) Checked(o string) bool {
	for _, v := range c.Values {
		if strings.EqualFold(v, o) {
			return true
		}
	}
	return false
}

// customInputsFrom fills the form inputs from stored values.
func customInputsFrom(defs []customfield.Field, vals customfield.Values) []customInput {
	out := make([]customInput, 0, len(defs))
	for _, d := range defs {
		in := customInput{Def: d, Name: customfield.FieldName(d.Key)}
		switch x := vals[d.Key].(type) {
		case nil:
		case []string:
			in.Values = x
		case []any:
			for _, e := range x {
				in.Values = append(in.Values, fmt.Sprint(e))
			}
		default:
			in.Value = inputValue(d, x)
		}
		out = append(out, in)
	}
	return out
}

// customInputsPosted keeps what was posted, for a form shown again.
func customInputsPosted(defs []customfield.Field, r *http.Request) []customInput {
	out := make([]customInput, 0, len(defs))
	for _, d := range defs {
		name := customfield.FieldName(d.Key)
		in := customInput{Def: d, Name: name}
		if d.Type == customfield.MultiSelect {
			in.Values = r.PostForm[name]
		} else {
			in.Value = r.PostFormValue(name)
		}
		out = append(out, in)
	}
	return out
}

// customPatch turns the posted custom fields into a service patch: every
// field on the form is set, and an empty one is cleared.
func customPatch(defs []customfield.Field, r *http.Request) map[string]any {
	patch := make(map[string]any, len(defs))
	for _, d := range defs {
		name := customfield.FieldName(d.Key)
		if d.Type == customfield.MultiSelect {
			vals := r.PostForm[name]
			if vals == nil {
				vals = []string{}
			}
			patch[d.Key] = vals
			continue
		}
		patch[d.Key] = r.PostFormValue(name)
	}
	return patch
}

// inputValue writes a stored value the way its form input shows it.
func inputValue(d customfield.Field, x any) string {
	switch d.Type {
	case customfield.Bool:
		if b, ok := x.(bool); ok {
			if b {
				return "yes"
			}
			return "no"
		}
	case customfield.Currency:
		if n, ok := toFloat(x); ok {
			return money.FormatPlain(int64(math.Round(n)), d.Currency)
		}
	case customfield.Number:
		if n, ok := toFloat(x); ok {
			return strconv.FormatFloat(n, 'f', -1, 64)
		}
	}
	return fmt.Sprint(x)
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

// shownValue is a stored value as a record page shows it; Href makes it a
// link (mailto: or the URL itself), Tel a phone link (html/template only
// lets tel: through when the scheme is written in the template).
type shownValue struct {
	Label     string
	Text      string
	Href      string
	Tel       string
	Multiline bool
}

// customShown lists the custom fields that have a value, in field order.
func customShown(defs []customfield.Field, vals customfield.Values) []shownValue {
	var out []shownValue
	for _, d := range defs {
		x, ok := vals[d.Key]
		if !ok || x == nil {
			continue
		}
		v := shownValue{Label: d.Label, Text: displayValue(d, x)}
		switch d.Type {
		case customfield.URL:
			v.Href = v.Text
		case customfield.Email:
			v.Href = "mailto:" + v.Text
		case customfield.Phone:
			v.Tel = fmt.Sprint(x)
		case customfield.LongText:
			v.Multiline = true
		}
		if v.Text != "" {
			out = append(out, v)
		}
	}
	return out
}

// displayValue writes a stored custom value for people to read.
func displayValue(d customfield.Field, x any) string {
	switch d.Type {
	case customfield.Bool:
		if b, ok := x.(bool); ok {
			return map[bool]string{true: "Yes", false: "No"}[b]
		}
	case customfield.Number:
		if n, ok := toFloat(x); ok {
			return formatNumber(n, -1)
		}
	case customfield.Currency:
		if n, ok := toFloat(x); ok {
			return money.Format(int64(math.Round(n)), d.Currency)
		}
	case customfield.Date:
		if s, ok := x.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return t.Format("2 Jan 2006")
			}
		}
	case customfield.Phone:
		if s, ok := x.(string); ok {
			return phone.International(s)
		}
	case customfield.MultiSelect:
		return listText(x)
	}
	return fmt.Sprint(x)
}

// formatNumber writes n with thousands separators and the given decimals
// (-1: as many as needed).
func formatNumber(n float64, decimals int) string {
	s := strconv.FormatFloat(n, 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	i, err := strconv.Atoi(whole)
	if err != nil {
		return s
	}
	out := thousands(i)
	if whole == "-0" {
		out = "-0"
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}

// listText joins a list value.
func listText(x any) string {
	switch l := x.(type) {
	case []string:
		return strings.Join(l, ", ")
	case []any:
		parts := make([]string, 0, len(l))
		for _, e := range l {
			parts = append(parts, plainValue(e))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(x)
}
