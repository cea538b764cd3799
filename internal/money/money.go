// Package money reads, checks and writes amounts kept as integers of minor
// units beside an ISO 4217 currency code, so that a deal, an order, a
// product and a currency custom field show the same amount the same way.
package money

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// Max keeps amounts, and sums of many of them, inside int64.
const Max = int64(1e15)

// Valid reports whether code is an upper-case ISO 4217 currency code that
// CLDR knows (golang.org/x/text/currency carries the list).
func Valid(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	_, err := currency.ParseISO(code)
	return err == nil
}

// Normalise trims and upper-cases a currency code as typed.
func Normalise(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Digits is how many minor-unit digits a currency has: 2 for EUR, 0 for
// JPY, 3 for BHD; 2 for a code it does not know.
func Digits(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// symbols are the signs people expect in front of the commonest amounts;
// every other currency is written with its code.
var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹"}

// Format writes minor units of code for people: "€1,250.00",
// "SEK 99.50", "-$3.00", "¥1,250".
func Format(minor int64, code string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	d := Digits(code)
	div := int64(math.Pow10(d))
	s := groupThousands(strconv.FormatInt(minor/div, 10))
	if d > 0 {
		s += fmt.Sprintf(".%0*d", d, minor%div)
	}
	if sym, ok := symbols[code]; ok {
		return sign + sym + s
	}
	if code == "" {
		return sign + s
	}
	return sign + code + " " + s
}

// FormatPlain writes minor units as a decimal without grouping or
// currency, as an input field shows it: "1250.00".
func FormatPlain(minor int64, code string) string {
	d := Digits(code)
	if d == 0 {
		return strconv.FormatInt(minor, 10)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	div := int64(math.Pow10(d))
	return fmt.Sprintf("%s%d.%0*d", sign, minor/div, d, minor%div)
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Parse reads an amount typed in a form ("1250", "1,250.5", "12.50") into
// minor units of code. It refuses negative numbers, text, more decimals
// than the currency has and amounts above Max, with a message for the
// field; the message is empty when the amount is good.
func Parse(s, code string) (int64, string) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return 0, "Enter an amount."
	}
	if strings.HasPrefix(s, "-") {
		return 0, "Enter an amount of zero or more."
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, "Enter a number, like 1250.00."
	}
	d := Digits(code)
	if len(frac) > d {
		if d == 0 {
			return 0, fmt.Sprintf("Amounts in %s have no decimals.", code)
		}
		return 0, fmt.Sprintf("Use at most %d decimals for %s.", d, code)
	}
	frac += strings.Repeat("0", d-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > Max {
		return 0, "Enter a smaller amount."
	}
	return n, ""
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
