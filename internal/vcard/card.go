package vcard

import (
	"fmt"
	"strconv"
	"strings"
)

// builder collects a card's fields from its properties.
type builder struct {
	d       *Decoder
	c       Card
	version string
	labels  map[string]string // itemN group → its X-ABLabel
	prefs   []prefMark
	problem string
}

func (b *builder) fail(msg string) {
	if b.problem == "" {
		b.problem = msg
	}
}

// build turns a card's properties into a Card. The string is the first
// problem found, for a person to read, or "".
func (d *Decoder) build(props []rawProp) (Card, string) {
	b := builder{d: d}
	for i := range props {
		p := &props[i]
		switch {
		case p.name == "VERSION":
			b.version = strings.TrimSpace(p.value)
		case (p.name == "KIND" || p.name == "X-ADDRESSBOOKSERVER-KIND") && strings.EqualFold(strings.TrimSpace(p.value), "group"):
			b.fail("the card is a contact group, not a person, and was skipped")
		case p.name == "X-ABLABEL" && p.group != "":
			if t, err := d.text(p); err == nil {
				if b.labels == nil {
					b.labels = make(map[string]string)
				}
				b.labels[p.group] = abLabel(unescape(t))
			}
		}
	}
	for i := range props {
		b.add(&props[i])
	}
	b.markPreferred()
	c := &b.c
	if c.FullName == "" {
		c.FullName = joinNonEmpty(" ", c.Prefix, c.FirstName, c.MiddleName, c.LastName, c.Suffix)
	}
	return b.c, b.problem
}

// add reads one property into the card.
func (b *builder) add(p *rawProp) {
	c := &b.c
	if p.name == "PHOTO" {
		if c.Photo == nil {
			ph, problem := photoOf(p)
			if problem != "" {
				b.fail(problem)
			}
			c.Photo = ph
		}
		return
	}
	switch p.name {
	case "FN", "N", "EMAIL", "TEL", "URL", "ORG", "TITLE", "ADR", "BDAY", "NOTE", "CATEGORIES", "UID", "REV":
	default:
		return
	}
	t, err := b.d.text(p)
	if err != nil {
		b.fail(err.Error())
		return
	}
	switch p.name {
	case "FN":
		if c.FullName == "" {
			c.FullName = strings.TrimSpace(unescape(t))
		}
	case "N":
		if c.FirstName+c.LastName+c.MiddleName+c.Prefix+c.Suffix == "" {
			n := split(t, ';')
			c.LastName, c.FirstName, c.MiddleName, c.Prefix, c.Suffix = part(n, 0), part(n, 1), part(n, 2), part(n, 3), part(n, 4)
		}
	case "EMAIL":
		b.value(&c.Emails, p, trimScheme(unescape(t), "mailto:"))
	case "TEL":
		v := trimScheme(unescape(t), "tel:")
		v = strings.Replace(v, ";ext=", " ext. ", 1)
		b.value(&c.Phones, p, v)
	case "URL":
		b.value(&c.URLs, p, unescape(t))
	case "ORG":
		if c.Org == "" {
			c.Org = part(split(t, ';'), 0)
		}
	case "TITLE":
		if c.Title == "" {
			c.Title = strings.TrimSpace(unescape(t))
		}
	case "ADR":
		b.address(p, t)
	case "BDAY":
		b.birthday(p, unescape(t))
	case "NOTE":
		if n := strings.TrimSpace(newlines(unescape(t))); n != "" {
			c.Note = joinNonEmpty("\n\n", c.Note, n)
		}
	case "CATEGORIES":
		b.categories(t)
	case "UID":
		if c.UID == "" {
			c.UID = strings.TrimSpace(unescape(t))
		}
	case "REV":
		if c.Revision == "" {
			c.Revision = strings.TrimSpace(unescape(t))
		}
	}
}

// value appends an email, phone or URL with its label.
func (b *builder) value(list *[]Value, p *rawProp, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	label, pref := b.label(p)
	*list = append(*list, Value{Text: text, Label: label, Preferred: pref})
	if s := p.param("PREF"); s != "" {
		if n, _ := strconv.Atoi(strings.TrimSpace(s)); n > 0 {
			b.prefs = append(b.prefs, prefMark{list, len(*list) - 1, n})
		}
	}
}

// prefMark is a value's 4.0 PREF= (1 is most preferred).
type prefMark struct {
	list *[]Value
	i, n int
}

// label is a value's label, from the first of: its group's X-ABLabel
// (Apple, Google), Android's X-CUSTOM(...) parameter, its TYPE values. The
// bool says whether TYPE marks it preferred.
func (b *builder) label(p *rawProp) (string, bool) {
	label, pref := typeLabel(p.types())
	if l := b.labels[p.group]; p.group != "" && l != "" {
		return l, pref
	}
	for _, x := range p.params {
		if x.name == "X-CUSTOM" && len(x.values) == 2 {
			if l, err := b.d.toUTF8(x.values[0], x.values[1], p.line); err == nil && strings.TrimSpace(l) != "" {
				return strings.TrimSpace(l), pref
			}
		}
	}
	return label, pref
}

// markPreferred marks, in each list, the values with the lowest PREF (4.0).
func (b *builder) markPreferred() {
	for _, m := range b.prefs {
		low := m.n
		for _, o := range b.prefs {
			if o.list == m.list && o.n < low {
				low = o.n
			}
		}
		if m.n == low {
			(*m.list)[m.i].Preferred = true
		}
	}
}

func (b *builder) address(p *rawProp, t string) {
	a := split(t, ';')
	adr := Address{
		Street:     joinNonEmpty("\n", part(a, 2), part(a, 1), part(a, 0)),
		City:       part(a, 3),
		Region:     part(a, 4),
		PostalCode: part(a, 5),
		Country:    part(a, 6),
	}
	if adr == (Address{}) {
		return
	}
	adr.Street = newlines(adr.Street)
	adr.Label, _ = b.label(p)
	b.c.Addresses = append(b.c.Addresses, adr)
}

func (b *builder) birthday(p *rawProp, v string) {
	if b.c.Birthday != "" || p.hasParam("VALUE", "text") {
		// A birthday written as free text ("circa 1800") is no date.
		return
	}
	d, ok := birthday(v, p.param("X-APPLE-OMIT-YEAR"))
	if !ok {
		b.fail(fmt.Sprintf("the birthday %q on line %d is not a date (write 1985-04-12, 19850412, or --04-12 without a year)", v, p.line))
		return
	}
	b.c.Birthday = d
}

func (b *builder) categories(t string) {
	parts := split(t, ',')
	if b.version == "2.1" {
		var all []string
		for _, x := range parts {
			all = append(all, strings.Split(x, ";")...)
		}
		parts = all
	}
	for _, x := range parts {
		x = strings.TrimSpace(x)
		// Google puts every contact in its system group "myContacts".
		if x == "" || x == "myContacts" || contains(b.c.Categories, x) {
			continue
		}
		b.c.Categories = append(b.c.Categories, x)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// typeLabel turns TYPE values into a label ("work", "mobile", "work fax")
// and whether they mark the value preferred.
func typeLabel(types []string) (string, bool) {
	var where, what []string
	pref := false
	for _, t := range types {
		t = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(t)), "x-")
		switch t {
		case "pref":
			pref = true
		case "", "internet", "voice", "x400", "msg", "dom", "intl", "postal", "parcel", "uri", "text/plain":
		case "home", "work", "other":
			if !contains(where, t) {
				where = append(where, t)
			}
		case "cell", "mobile":
			if !contains(what, "mobile") {
				what = append(what, "mobile")
			}
		default:
			if !contains(what, t) {
				what = append(what, t)
			}
		}
	}
	return strings.Join(append(where, what...), " "), pref
}

// abLabel reads Apple's X-ABLabel: its own labels come wrapped as
// _$!<Mobile>!$_, a person's custom label is plain text.
func abLabel(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "_$!<") && strings.HasSuffix(s, ">!$_") && len(s) >= 8 {
		inner := strings.ToLower(s[4 : len(s)-4])
		switch inner {
		case "homefax":
			return "home fax"
		case "workfax":
			return "work fax"
		case "otherfax":
			return "other fax"
		}
		return inner
	}
	return s
}

// birthday reads the BDAY forms in use (19850412, 1985-04-12, --0412,
// --04-12, with or without a time) as YYYY-MM-DD or --MM-DD. A year of 0000,
// or Apple's placeholder year named by X-APPLE-OMIT-YEAR, means no year.
func birthday(s, omitYear string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if i := strings.IndexAny(s, "Tt"); i >= 0 {
		s = s[:i]
	}
	var y, m, d string
	switch {
	case len(s) == 8:
		y, m, d = s[:4], s[4:6], s[6:]
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		y, m, d = s[:4], s[5:7], s[8:]
	case len(s) == 6 && s[:2] == "--":
		m, d = s[2:4], s[4:]
	case len(s) == 7 && s[:2] == "--" && s[4] == '-':
		m, d = s[2:4], s[5:]
	default:
		return "", false
	}
	if !digits(y) || !digits(m) || !digits(d) || m == "" || d == "" {
		return "", false
	}
	if y == "0000" || (y != "" && y == strings.TrimSpace(omitYear)) {
		y = ""
	}
	month, _ := strconv.Atoi(m)
	day, _ := strconv.Atoi(d)
	year := 2000 // a leap year, so that --02-29 is a date
	if y != "" {
		year, _ = strconv.Atoi(y)
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return "", false
	}
	if y == "" {
		return "--" + m + "-" + d, true
	}
	return y + "-" + m + "-" + d, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}

// newlines turns CR LF and lone CR into LF.
func newlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// trimScheme drops a URI scheme such as "mailto:" or "tel:" (any case).
func trimScheme(s, scheme string) string {
	s = strings.TrimSpace(s)
	if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
		return s[len(scheme):]
	}
	return s
}
