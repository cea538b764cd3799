// Package customfield holds the fields an organisation adds to contacts and
// companies in Settings, and validates their values by type on every path
// into the database: forms, the API and imports.
package customfield

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/query"
)

// Type is the kind of value a field holds.
type Type string

// Field types.
const (
	Text        Type = "text"
	LongText    Type = "long_text"
	Number      Type = "number"
	Currency    Type = "currency"
	Date        Type = "date"
	Bool        Type = "bool"
	Select      Type = "select"
	MultiSelect Type = "multi_select"
	URL         Type = "url"
	Email       Type = "email"
	Phone       Type = "phone"
)

// Types lists every type in the order Settings offers them, with labels.
var Types = []struct {
	Type  Type
	Label string
}{
	{Text, "Text"}, {LongText, "Long text"}, {Number, "Number"}, {Currency, "Currency"},
	{Date, "Date"}, {Bool, "Yes/no"}, {Select, "Select"}, {MultiSelect, "Multi-select"},
	{URL, "URL"}, {Email, "Email"}, {Phone, "Phone"},
}

// Objects that carry custom fields.
const (
	ObjectContact = "contact"
	ObjectCompany = "company"
	ObjectDeal    = "deal"
)

// Field is one custom field definition.
type Field struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    Type     `json:"type"`
	Options []string `json:"options,omitempty"`
	// Currency is the ISO 4217 code of a currency field.
	Currency   string    `json:"currency,omitempty"`
	Required   bool      `json:"required"`
	Filterable bool      `json:"filterable"`
	Position   int       `json:"position"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Limits on definitions.
const (
	MaxOptions     = 200
	MaxOptionLen   = 100
	MaxLabelLen    = 100
	MaxTextLen     = 1000
	MaxLongTextLen = 20000
)

// ValidKey reports whether k may name a custom field. Keys are embedded in
// SQL expressions (index definitions, filters), so only this shape passes.
func ValidKey(k string) bool { return query.ValidKey(k) }

// KeyFromLabel derives a key from a label: "Annual plan (€)" → "annual_plan".
func KeyFromLabel(label string) string {
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(label) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if b.Len() == 0 && r >= '0' && r <= '9' {
				b.WriteString("f_")
			}
			b.WriteRune(r)
			underscore = false
		case b.Len() > 0 && !underscore:
			b.WriteByte('_')
			underscore = true
		}
	}
	k := strings.TrimRight(b.String(), "_")
	if len(k) > 63 {
		k = strings.TrimRight(k[:63], "_")
	}
	if k == "" {
		k = "field"
	}
	return k
}

func validType(t Type) bool {
	for _, x := range Types {
		if x.Type == t {
			return true
		}
	}
	return false
}

// validate checks a definition and normalises it in place.
func (f *Field) validate() error {
	var v apperr.Validation
	f.Label = strings.TrimSpace(f.Label)
	switch {
	case f.Label == "":
		v.Add("label", "Enter a label.")
	case utf8.RuneCountInString(f.Label) > MaxLabelLen:
		v.Add("label", "Use at most 100 characters.")
	}
	if f.Object != ObjectContact && f.Object != ObjectCompany && f.Object != ObjectDeal {
		v.Add("object", "Choose contact, company or deal.")
	}
	if f.Key == "" && f.Label != "" {
		f.Key = KeyFromLabel(f.Label)
	}
	if !ValidKey(f.Key) {
		v.Add("key", "Use lowercase letters, digits and underscores, starting with a letter (at most 63).")
	}
	if !validType(f.Type) {
		v.Add("type", "Choose a field type.")
	}
	if f.Type == Select || f.Type == MultiSelect {
		var opts []string
		for _, o := range f.Options {
			o = strings.TrimSpace(o)
			if o == "" || slices.Contains(opts, o) {
				continue
			}
			if utf8.RuneCountInString(o) > MaxOptionLen {
				v.Add("options", "Keep each option under 100 characters.")
			}
			opts = append(opts, o)
		}
		f.Options = opts
		switch {
		case len(opts) == 0:
			v.Add("options", "Add at least one option.")
		case len(opts) > MaxOptions:
			v.Add("options", "Use at most 200 options.")
		}
	} else {
		f.Options = nil
	}
	if f.Type == Currency {
		f.Currency = strings.ToUpper(strings.TrimSpace(f.Currency))
		if !money.Valid(f.Currency) {
			v.Add("currency", "Enter a three-letter currency code such as EUR or USD.")
		}
	} else {
		f.Currency = ""
	}
	return v.Err()
}
