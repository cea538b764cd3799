package phone

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFormatMatchesParsing checks Format, which skips parsing, against
// formatting a parsed number, numbers of many countries included.
func TestFormatMatchesParsing(t *testing.T) {
	for _, typed := range []struct{ raw, region string }{
		{"+44 20 7946 0958", ""}, {"+49 151 23456789", ""}, {"+1 415 555 0123", ""}, {"06 1234 5678", "IT"},
		{"+39 02 1234 5678", ""}, {"+39 333 123 4567", ""}, {"+81 3-1234-5678", ""}, {"+33 1 23 45 67 89", ""},
		{"+61 2 9374 4000", ""}, {"+7 495 123-45-67", ""}, {"+86 10 1234 5678", ""},
		{"+353 1 234 5678", ""}, {"+880 1712-345678", ""}, {"+55 11 91234-5678", ""}, {"+800 1234 5678", ""},
		{"+1 242 357 1234", ""}, {"+376 712 345", ""}, {"+225 07 12 34 56 78", ""}, {"+36 1 234 5678", ""},
	} {
		e164, err := Normalise(typed.raw, typed.region)
		if err != nil {
			t.Errorf("%s: %v", typed.raw, err)
			continue
		}
		if got, want := Format(e164), parseAndFormat(e164); got != want {
			t.Errorf("Format(%s) = %q, want %q", e164, got, want)
		}
	}
	// An example number of every region and type the library knows.
	n := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE} {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			e164 := phonenumbers.Format(ex, phonenumbers.E164)
			if got, want := Format(e164), parseAndFormat(e164); got != want {
				t.Errorf("Format(%s) = %q, want %q", e164, got, want)
			}
			n++
		}
	}
	if n < 500 {
		t.Errorf("only %d example numbers", n)
	}
	for _, odd := range []string{"", "+", "+1", "12345", "+999999", "+44abc", "+4412345678901234567890"} {
		if got, want := Format(odd), International(odd); got != want {
			t.Errorf("Format(%q) = %q, want %q", odd, got, want)
		}
	}
}
