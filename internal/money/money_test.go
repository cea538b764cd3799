package money

import "testing"

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		minor int64
		code  string
		want  string
	}{
		{125000, "EUR", "€1,250.00"},
		{-300, "USD", "-$3.00"},
		{9950, "SEK", "SEK 99.50"},
		{1250, "JPY", "¥1,250"},
		{1234567, "BHD", "BHD 1,234.567"},
		{5, "EUR", "€0.05"},
		{-5, "EUR", "-€0.05"},
		{100, "", "1.00"},
		{123456789012, "CHF", "CHF 1,234,567,890.12"},
	} {
		if got := Format(c.minor, c.code); got != c.want {
			t.Errorf("Format(%d, %q) = %q, want %q", c.minor, c.code, got, c.want)
		}
	}
}

func TestFormatPlain(t *testing.T) {
	for _, c := range []struct {
		minor int64
		code  string
		want  string
	}{{125050, "EUR", "1250.50"}, {1250, "JPY", "1250"}, {-7, "USD", "-0.07"}, {1, "BHD", "0.001"}} {
		if got := FormatPlain(c.minor, c.code); got != c.want {
			t.Errorf("FormatPlain(%d, %q) = %q, want %q", c.minor, c.code, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in, code string
		want     int64
		msg      string
	}{
		{"1250", "EUR", 125000, ""},
		{"1,250.5", "EUR", 125050, ""},
		{" 12.50 ", "USD", 1250, ""},
		{".5", "EUR", 50, ""},
		{"1250", "JPY", 1250, ""},
		{"1.5", "JPY", 0, "Amounts in JPY have no decimals."},
		{"1.505", "EUR", 0, "Use at most 2 decimals for EUR."},
		{"1.505", "BHD", 1505, ""},
		{"", "EUR", 0, "Enter an amount."},
		{"-3", "EUR", 0, "Enter an amount of zero or more."},
		{"twelve", "EUR", 0, "Enter a number, like 1250.00."},
		{"1e3", "EUR", 0, "Enter a number, like 1250.00."},
		{"99999999999999999", "EUR", 0, "Enter a smaller amount."},
	} {
		got, msg := Parse(c.in, c.code)
		if got != c.want || msg != c.msg {
			t.Errorf("Parse(%q, %q) = %d, %q; want %d, %q", c.in, c.code, got, msg, c.want, c.msg)
		}
	}
}

func TestValid(t *testing.T) {
	for code, want := range map[string]bool{"EUR": true, "JPY": true, "eur": false, "EU": false, "XYZ": false, "": false, "EURO": false} {
		if got := Valid(code); got != want {
			t.Errorf("Valid(%q) = %v, want %v", code, got, want)
		}
	}
	if got := Normalise(" usd "); got != "USD" {
		t.Errorf("Normalise = %q", got)
	}
}
