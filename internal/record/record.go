// Package record holds what contacts and companies share: postal addresses,
// text-field checks and the before/after changes their timelines show.
package record

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// Address is a postal address.
type Address struct {
	Street     string `json:"street"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Clean trims every part and checks lengths; prefix names the fields in
// messages ("address").
func (a *Address) Clean(v *apperr.Validation, prefix string) {
	Text(v, prefix+".street", &a.Street, 300, true)
	Text(v, prefix+".city", &a.City, 100, false)
	Text(v, prefix+".region", &a.Region, 100, false)
	Text(v, prefix+".postal_code", &a.PostalCode, 20, false)
	Text(v, prefix+".country", &a.Country, 100, false)
}

// Lines returns the non-empty lines of the address for display.
func (a Address) Lines() []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	for _, l := range strings.Split(a.Street, "\n") {
		add(l)
	}
	add(strings.TrimSpace(a.PostalCode + " " + a.City))
	add(a.Region)
	add(a.Country)
	return out
}

// Text trims *s and reports it when longer than max characters, or when it
// has line breaks and multiline is false. Control characters other than
// newlines and tabs are removed.
func Text(v *apperr.Validation, field string, s *string, max int, multiline bool) {
	t := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ReplaceAll(*s, "\r\n", "\n")))
	*s = t
	if !utf8.ValidString(t) {
		v.Add(field, "Use valid text (UTF-8).")
		return
	}
	if utf8.RuneCountInString(t) > max {
		v.Add(field, fmt.Sprintf("Use at most %d characters.", max))
	}
	if !multiline && strings.Contains(t, "\n") {
		v.Add(field, "Use a single line.")
	}
}

// Change is one field's value before and after an update.
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// Diff lists the fields whose values differ between before and after, by
// field name. Missing keys count as nil.
func Diff(before, after map[string]any) []Change {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []Change
	for k := range keys {
		b, a := number(before[k]), number(after[k])
		if empty(b) && empty(a) || reflect.DeepEqual(b, a) {
			continue
		}
		out = append(out, Change{Field: k, Before: b, After: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func empty(x any) bool {
	if x == nil {
		return true
	}
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return false
}

// number makes every numeric type a float64, so a currency value read back
// from JSON (float64) equals the int64 it was saved as.
func number(x any) any {
	switch n := x.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float32:
		return float64(n)
	}
	return x
}
