package phone

import (
	"slices"
	"strconv"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		raw, region, want string
	}{
		{"+49 30 901820", "US", "+4930901820"},
		{"030 901820", "DE", "+4930901820"},
		{"(415) 555-2671", "US", "+14155552671"},
		{"020 7946 0958", "gb", "+442079460958"},
		{"+33 1 42 68 53 00", "DE", "+33142685300"},
	}
	for _, tt := range tests {
		got, err := Normalise(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("Normalise(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "hello", "123", "+1 555", "<script>"} {
		if got, err := Normalise(bad, "US"); err == nil {
			t.Errorf("Normalise(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSearchTerms(t *testing.T) {
	got := SearchTerms("+4930901820")
	if !slices.Contains(got, "4930901820") || !slices.Contains(got, "030901820") {
		t.Errorf("SearchTerms = %v, want the E.164 digits and the national form", got)
	}
	if International("+4930901820") != "+49 30 901820" {
		t.Errorf("International = %q", International("+4930901820"))
	}
	if !ValidRegion("de") || ValidRegion("XX") {
		t.Error("ValidRegion is wrong for DE or XX")
	}
}

// TestInternationalCache checks that remembered numbers read the same as
// freshly formatted ones, and that the cache stays bounded.
func TestInternationalCache(t *testing.T) {
	for _, n := range []string{"+4930901820", "+14155552671", "not a number", "+81312345678", ""} {
		first, again := International(n), International(n)
		if want := parseAndFormat(n); n == "" {
			want = ""
			if first != want {
				t.Errorf("International(%q) = %q, want %q", n, first, want)
			}
		} else if first != want || again != want {
			t.Errorf("International(%q) = %q then %q, want %q", n, first, again, want)
		}
	}
	for i := range formatCacheSize + 10 {
		International("+4930" + strconv.Itoa(1_000_000+i))
	}
	formatted.mu.RLock()
	size := len(formatted.m)
	formatted.mu.RUnlock()
	if size > formatCacheSize {
		t.Errorf("cache holds %d numbers, more than %d", size, formatCacheSize)
	}
}
