package id

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	n := New()
	for s, want := range map[string]bool{
		n:                                      true,
		strings.ToUpper(n):                     false,
		n[:35]:                                 false,
		"not-a-uuid":                           false,
		"' OR 1=1 -- ":                         false,
		"0190f0f0-0000-7000-8000-000000000000": true,
	} {
		if Valid(s) != want {
			t.Errorf("Valid(%q) = %v, want %v", s, !want, want)
		}
	}
}
