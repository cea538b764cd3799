// Package phone turns phone numbers as people type them into E.164, the one
// form Rapport stores, compares and dials.
package phone

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is used until Settings chooses another.
const DefaultRegion = "US"

// ErrInvalid means the text is not a dialable number in the region given.
var ErrInvalid = errors.New("not a valid phone number")

// Normalise parses raw (with or without a +country prefix) in region, an
// ISO 3166 code such as "DE", and returns its E.164 form, e.g. "+4930123456".
func Normalise(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 64 {
		return "", ErrInvalid
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsPossibleNumber(n) || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// ValidRegion reports whether region is a region the number library knows.
func ValidRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}

// International formats an E.164 number for display: "+49 30 123456".
func International(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// SearchTerms returns digit strings under which a number should be found:
// the E.164 digits and the national number with its trunk prefix, so that
// "0151 234" and "+49 151 234" both find +49151234....
func SearchTerms(e164 string) []string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return []string{strings.TrimPrefix(e164, "+")}
	}
	terms := []string{strings.TrimPrefix(e164, "+")}
	national := digits(phonenumbers.Format(n, phonenumbers.NATIONAL))
	if national != "" && national != terms[0] {
		terms = append(terms, national)
	}
	return terms
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
