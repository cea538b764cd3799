package csvfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DateOrder says how to read a date whose first two numbers could each be
// the day or the month, such as 03/04/2021.
type DateOrder int

const (
	// OrderUnknown refuses such dates (03/04/2021 is no date; 13/04/2021
	// and 04/13/2021 are, as only one reading fits).
	OrderUnknown DateOrder = iota
	// DayFirst reads 03/04/2021 as 3 April (most of the world).
	DayFirst
	// MonthFirst reads 03/04/2021 as March 4 (the United States).
	MonthFirst
)

// ParseDate reads a date written in a common way and returns it as
// YYYY-MM-DD. It reads:
//
//	2006-01-02, 2006/01/02, 2006.01.02, 20060102, also with a time after
//	02/01/2006, 02-01-2006, 02/01/06 (day or month first: see DateOrder)
//	2.1.2006 (dots: always day first, as in German)
//	2 Jan 2006, 02-Jan-06, 2 January 2006, Monday, 2 January 2006
//	Jan 2, 2006, January 2nd 2006 (English month names, and German,
//	French and Spanish ones)
//	44927 (a spreadsheet's day number, read only from 10000 on, so that
//	a year alone is not taken for a date)
//
// A two-digit year is 1930–2029, as spreadsheets read it. A date without
// a year (--01-02 as vCard and Google Contacts write a birthday whose year
// is unknown, 1604-01-02 as Apple writes it, "2 Jan", "Jan 2") is
// returned as --MM-DD with ok true: callers that need a year check for
// the "--" prefix. ok is false for anything else, and for impossible
// dates (2021-02-29).
func ParseDate(s string, order DateOrder) (date string, ok bool) {
	s = strings.TrimSpace(s)
	if rest, yearless := strings.CutPrefix(s, "--"); yearless {
		rest = strings.ReplaceAll(rest, "-", "")
		if len(rest) != 4 || !digits(rest) {
			return "", false
		}
		m, _ := strconv.Atoi(rest[:2])
		d, _ := strconv.Atoi(rest[2:])
		return format(0, m, d)
	}
	if digits(s) {
		return numericDate(s)
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && digits(whole) && digits(frac) && len(whole) == 5 {
		return numericDate(whole)
	}
	toks, sep := tokens(s)
	return fromTokens(toks, sep, order)
}

// GuessDateOrder looks at a column's values for a date that only one
// order can read (13/04/2021 is day first, 04/13/2021 month first) and
// returns the order most of them need, or OrderUnknown.
func GuessDateOrder(values []string) DateOrder {
	var day, month int
	for _, v := range values {
		toks, sep := tokens(strings.TrimSpace(v))
		if len(toks) != 3 || sep == '.' || !toks[0].num || !toks[1].num || !toks[2].num || len(toks[0].text) > 2 {
			continue
		}
		a, b := toks[0].n, toks[1].n
		switch {
		case a > 12 && b <= 12:
			day++
		case b > 12 && a <= 12:
			month++
		}
	}
	switch {
	case day > month:
		return DayFirst
	case month > day:
		return MonthFirst
	}
	return OrderUnknown
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numericDate reads a date that is all digits: YYYYMMDD or a spreadsheet
// day number.
func numericDate(s string) (string, bool) {
	switch {
	case len(s) == 8:
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[4:6])
		d, _ := strconv.Atoi(s[6:])
		return format(y, m, d)
	case len(s) == 5:
		n, _ := strconv.Atoi(s)
		if n < 10000 {
			return "", false
		}
		// Day 1 is 1900-01-01 and day 60 the 29 February 1900 that
		// never was, so from day 61 on day 0 is 1899-12-30.
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
		return t.Format("2006-01-02"), true
	}
	return "", false
}

// token is a run of digits or of letters.
type token struct {
	text string
	num  bool
	n    int
}

// tokens splits s into numbers and words up to a time of day ("10:22",
// "T10:22:00Z"), leaving out weekdays, ordinal suffixes and "of"; sep is
// the first punctuation between two numbers ('/', '-', '.'), or 0.
func tokens(s string) ([]token, rune) {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
		// Drop the hour before the colon, and the T or space before it.
		j := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
		s = strings.TrimRight(s[:j+1], " T")
	}
	var out []token
	var sep rune
	var prevNum bool
	var pending rune
	for i := 0; i < len(s); {
		r := rune(s[i])
		switch {
		case unicode.IsDigit(r):
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(s[i:j])
			if prevNum && sep == 0 && pending != 0 {
				sep = pending
			}
			out = append(out, token{text: s[i:j], num: true, n: n})
			prevNum, pending, i = true, 0, j
		case isLetterStart(s[i:]):
			j := i
			for j < len(s) && isLetterStart(s[j:]) {
				_, size := utf8.DecodeRuneInString(s[j:])
				j += size
			}
			w := strings.ToLower(s[i:j])
			if !ignorable(w, prevNum) {
				out = append(out, token{text: w})
				prevNum = false
			}
			i = j
		default:
			if pending == 0 && r != ' ' && r != ',' {
				pending = r
			}
			i++
		}
	}
	return out, sep
}

func isLetterStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// ignorable words are weekdays, "of", and ordinal suffixes after a
// number.
func ignorable(w string, afterNum bool) bool {
	if afterNum && (w == "st" || w == "nd" || w == "rd" || w == "th") {
		return true
	}
	if w == "of" || w == "de" || w == "del" || w == "t" {
		return true
	}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		if w == d || w == d[:3] {
			return true
		}
	}
	return false
}

// months are month names and abbreviations in English, German, French and
// Spanish.
var months = func() map[string]int {
	m := map[string]int{}
	for i, names := range [][]string{
		{"january", "jan", "januar", "jän", "janvier", "janv", "enero", "ene"},
		{"february", "feb", "februar", "février", "fevrier", "févr", "fevr", "febrero"},
		{"march", "mar", "märz", "maerz", "mrz", "mär", "mars", "marzo"},
		{"april", "apr", "avril", "avr", "abril", "abr"},
		{"may", "mai", "mayo"},
		{"june", "jun", "juni", "juin", "junio"},
		{"july", "jul", "juli", "juillet", "juil", "julio"},
		{"august", "aug", "août", "aout", "agosto", "ago"},
		{"september", "sep", "sept", "septembre", "septiembre", "set"},
		{"october", "oct", "oktober", "okt", "octobre", "octubre"},
		{"november", "nov", "novembre", "noviembre"},
		{"december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic"},
	} {
		for _, n := range names {
			m[n] = i + 1
		}
	}
	return m
}()

// fromTokens reads a date from its numbers and words.
func fromTokens(t []token, sep rune, order DateOrder) (string, bool) {
	month := func(tk token) int {
		if tk.num {
			return 0
		}
		return months[strings.TrimSuffix(tk.text, ".")]
	}
	switch {
	case len(t) == 3 && t[0].num && t[1].num && t[2].num:
		if len(t[0].text) == 4 {
			return format(t[0].n, t[1].n, t[2].n)
		}
		if len(t[2].text) != 4 && len(t[2].text) != 2 {
			return "", false
		}
		y := year(t[2])
		a, b := t[0].n, t[1].n
		switch {
		case sep == '.' || a > 12:
			return format(y, b, a)
		case b > 12 || a == b:
			return format(y, a, b)
		case order == DayFirst:
			return format(y, b, a)
		case order == MonthFirst:
			return format(y, a, b)
		}
		return "", false
	case len(t) == 3 && t[0].num && month(t[1]) > 0 && t[2].num:
		return format(year(t[2]), month(t[1]), t[0].n)
	case len(t) == 3 && month(t[0]) > 0 && t[1].num && t[2].num:
		return format(year(t[2]), month(t[0]), t[1].n)
	case len(t) == 2 && t[0].num && month(t[1]) > 0:
		return format(0, month(t[1]), t[0].n)
	case len(t) == 2 && month(t[0]) > 0 && t[1].num:
		return format(0, month(t[0]), t[1].n)
	}
	return "", false
}

// year reads a four-digit year, or a two-digit one as 1930–2029.
func year(t token) int {
	switch len(t.text) {
	case 4:
		return t.n
	case 2:
		if t.n < 30 {
			return 2000 + t.n
		}
		return 1900 + t.n
	}
	return -1
}

// format checks a date and writes it; year 0 is a date without a year,
// and so is 1604, Apple's year for one.
func format(y, m, d int) (string, bool) {
	if y == 1604 {
		y = 0
	}
	if m < 1 || m > 12 || d < 1 {
		return "", false
	}
	if y == 0 {
		if d > [...]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1] {
			return "", false
		}
		return fmt.Sprintf("--%02d-%02d", m, d), true
	}
	if y < 1000 || y > 9999 {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return "", false
	}
	return t.Format("2006-01-02"), true
}
