// Package phone turns phone numbers as people type them into E.164, the one
// form Rapport stores, compares and dials.
package phone

import (
	"errors"
	"strconv"
	"strings"
	"sync"

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
// The result depends on e164 alone, so it is remembered: a list page shows
// the same numbers again and again and parsing one costs tens of µs.
func International(e164 string) string {
	if e164 == "" {
		return ""
	}
	if s, ok := formatted.get(e164); ok {
		return s
	}
	s := Format(e164)
	formatted.put(e164, s)
	return s
}

// Format is International without the cache, for code that formats many
// numbers once each (an import, an export, storing a number), where a
// cache would only churn. It formats the E.164 numbers Rapport stores
// without parsing them as typed text (parsing is four fifths of the cost);
// anything unexpected goes the ordinary way.
func Format(e164 string) string {
	if e164 == "" {
		return ""
	}
	if len(e164) < 4 || e164[0] != '+' {
		return parseAndFormat(e164)
	}
	digits := e164[1:]
	// Country calling codes are prefix-free: the first known one is it.
	for l := 1; l <= 3 && l < len(digits); l++ {
		cc, err := strconv.Atoi(digits[:l])
		if err != nil {
			break
		}
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		nsn := digits[l:]
		nn, err := strconv.ParseUint(nsn, 10, 64)
		if err != nil || len(nsn) > 17 {
			break
		}
		code := int32(cc)
		n := &phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &nn}
		if len(nsn) > 1 && nsn[0] == '0' {
			// Italy and a few others keep leading zeros in the national
			// number, which a uint64 loses.
			lead := true
			zeros := int32(0)
			for zeros < int32(len(nsn))-1 && nsn[zeros] == '0' {
				zeros++
			}
			n.ItalianLeadingZero = &lead
			if zeros > 1 {
				n.NumberOfLeadingZeros = &zeros
			}
		}
		return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
	}
	return parseAndFormat(e164)
}

func parseAndFormat(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// formatCache maps numbers to their display form. It holds at most
// formatCacheSize numbers and starts afresh when full, which keeps it
// simple and bounded; the numbers of the pages in use refill it at once.
type formatCache struct {
	mu sync.RWMutex
	m  map[string]string
}

const formatCacheSize = 20_000

var formatted = &formatCache{m: map[string]string{}}

func (c *formatCache) get(k string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.m[k]
	return s, ok
}

func (c *formatCache) put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= formatCacheSize {
		c.m = make(map[string]string, formatCacheSize)
	}
	c.m[k] = v
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
