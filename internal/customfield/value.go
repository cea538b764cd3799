package customfield

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/phone"
)

// Values are a record's custom field values by key, as stored in its JSON
// column: strings (text, long text, date, select, URL, email, phone),
// float64 (number), int64 minor units (currency), bool and []string
// (multi-select). Absent keys have no value.
type Values map[string]any

// FieldName is how a custom field is named in validation errors and forms.
func FieldName(key string) string { return "custom." + key }

// Apply validates the values in patch against defs and merges them over
// old (nil or "" clears a value), returning the new set. Every bad value is
// reported, as are unknown keys and required fields left empty.
func Apply(defs []Field, old Values, patch map[string]any, region string) (Values, error) {
	var v apperr.Validation
	out := Values{}
	for k, x := range old {
		out[k] = x
	}
	byKey := make(map[string]Field, len(defs))
	for _, f := range defs {
		byKey[f.Key] = f
	}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f, ok := byKey[k]
		if !ok {
			v.Add(FieldName(k), "There is no custom field with this key.")
			continue
		}
		val, msg := Normalise(f, patch[k], region)
		if msg != "" {
			v.Add(FieldName(k), msg)
			continue
		}
		if val == nil {
			delete(out, k)
		} else {
			out[k] = val
		}
	}
	for _, f := range defs {
		if _, ok := out[f.Key]; f.Required && !ok {
			v.Add(FieldName(f.Key), f.Label+" is required.")
		}
	}
	// Values of deleted definitions stay in the JSON (nothing is lost) but
	// are not checked.
	return out, v.Err()
}

// Normalise checks one raw value (from JSON or a form) against f and returns
// its stored form, or a message saying what is wrong. Empty input is nil.
func Normalise(f Field, raw any, region string) (any, string) {
	if raw == nil {
		return nil, ""
	}
	if f.Type == MultiSelect {
		return multi(f, raw)
	}
	if f.Type == Bool {
		return boolean(raw)
	}
	if (f.Type == Number || f.Type == Currency) && isNumber(raw) {
		return number(f, raw)
	}
	s, ok := raw.(string)
	if !ok {
		return nil, "Enter text here, not " + jsonKind(raw) + "."
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	switch f.Type {
	case Text, LongText:
		max := MaxTextLen
		if f.Type == LongText {
			max = MaxLongTextLen
		} else if strings.ContainsAny(s, "\r\n") {
			return nil, "Use a single line."
		}
		if utf8.RuneCountInString(s) > max {
			return nil, fmt.Sprintf("Use at most %d characters.", max)
		}
		return s, ""
	case Number, Currency:
		return number(f, s)
	case Date:
		d, err := ParseDate(s)
		if err != nil {
			return nil, "Enter a date as YYYY-MM-DD."
		}
		return d, ""
	case Select:
		for _, o := range f.Options {
			if strings.EqualFold(o, s) {
				return o, ""
			}
		}
		return nil, "Choose one of: " + strings.Join(f.Options, ", ") + "."
	case URL:
		return normaliseURL(s)
	case Email:
		e, ok := NormaliseEmail(s)
		if !ok {
			return nil, "Enter an email address like name@example.com."
		}
		return e, ""
	case Phone:
		e, err := phone.Normalise(s, region)
		if err != nil {
			return nil, "Enter a phone number with its country code, e.g. +44 20 7946 0958."
		}
		return e, ""
	}
	return nil, "This field has an unknown type."
}

func isNumber(raw any) bool {
	switch raw.(type) {
	case float64, int, int64, json.Number:
		return true
	}
	return false
}

func number(f Field, raw any) (any, string) {
	var x float64
	switch n := raw.(type) {
	case float64:
		x = n
	case int:
		x = float64(n)
	case int64:
		x = float64(n)
	case json.Number:
		var err error
		if x, err = n.Float64(); err != nil {
			return nil, "Enter a number."
		}
	case string:
		s := strings.ReplaceAll(strings.ReplaceAll(n, ",", ""), " ", "")
		var err error
		if x, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, "Enter a number, e.g. 1250.50."
		}
	}
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
		return nil, "Enter a number between -1,000,000,000,000,000 and 1,000,000,000,000,000."
	}
	if f.Type != Currency {
		return x, ""
	}
	digits := money.Digits(f.Currency)
	minor := x * math.Pow10(digits)
	if math.Abs(minor-math.Round(minor)) > 1e-6 {
		return nil, fmt.Sprintf("Use at most %d decimal places for %s.", digits, f.Currency)
	}
	return int64(math.Round(minor)), ""
}

func boolean(raw any) (any, string) {
	switch b := raw.(type) {
	case bool:
		return b, ""
	case string:
		switch strings.ToLower(strings.TrimSpace(b)) {
		case "":
			return nil, ""
		case "true", "yes", "on", "1", "y":
			return true, ""
		case "false", "no", "off", "0", "n":
			return false, ""
		}
	}
	return nil, "Choose yes or no."
}

func multi(f Field, raw any) (any, string) {
	var in []string
	switch x := raw.(type) {
	case []string:
		in = x
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, "Give a list of options."
			}
			in = append(in, s)
		}
	case string:
		if strings.TrimSpace(x) != "" {
			in = strings.Split(x, ";")
		}
	default:
		return nil, "Give a list of options."
	}
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		i := slices.IndexFunc(f.Options, func(o string) bool { return strings.EqualFold(o, s) })
		if i < 0 {
			return nil, fmt.Sprintf("%q is not an option; choose from: %s.", s, strings.Join(f.Options, ", "))
		}
		if !slices.Contains(out, f.Options[i]) {
			out = append(out, f.Options[i])
		}
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, ""
}

func normaliseURL(s string) (any, string) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		!strings.Contains(u.Hostname(), ".") || len(s) > 2000 {
		return nil, "Enter a web address like https://example.com."
	}
	return u.String(), ""
}

// NormaliseEmail trims and checks an email address; it keeps the case the
// person typed (comparisons lowercase it).
func NormaliseEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>()[],;:\"\\") {
		return "", false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", false
	}
	return s, true
}

// ParseDate accepts YYYY-MM-DD and returns it unchanged when it names a real
// day between the years 1000 and 9999.
func ParseDate(s string) (string, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if t.Year() < 1000 {
		return "", fmt.Errorf("year %d out of range", t.Year())
	}
	return t.Format("2006-01-02"), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "true/false"
	case float64, int, int64, json.Number:
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "this value"
}

// Encode returns vals as the JSON stored in a record's custom column.
func (vals Values) Encode() string {
	if len(vals) == 0 {
		return "{}"
	}
	b, err := json.Marshal(vals)
	if err != nil {
		// Values only ever hold strings, numbers, bools and string lists.
		panic(fmt.Sprintf("customfield: encode values: %v", err))
	}
	return string(b)
}

// Decode parses a record's custom column.
func Decode(s string) (Values, error) {
	vals := Values{}
	if s == "" {
		return vals, nil
	}
	if err := json.Unmarshal([]byte(s), &vals); err != nil {
		return vals, fmt.Errorf("customfield: decode values: %w", err)
	}
	for k, x := range vals {
		if list, ok := x.([]any); ok {
			ss := make([]string, 0, len(list))
			for _, e := range list {
				if s, ok := e.(string); ok {
					ss = append(ss, s)
				}
			}
			vals[k] = ss
		}
	}
	return vals, nil
}

// Stored is a record's custom column as stored (JSON), decoded only when a
// value is read: most list pages show no custom column, and decoding every
// row's values cost about a fifth of a list query's time.
type Stored string

// Values decodes s.
func (s Stored) Values() (Values, error) { return Decode(string(s)) }

// MarshalJSON writes the stored object as it is.
func (s Stored) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("{}"), nil
	}
	// Only what Decode accepts goes out as it is stored.
	if _, err := s.Values(); err != nil {
		return nil, err
	}
	return []byte(s), nil
}
