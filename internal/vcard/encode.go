package vcard

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Encode writes c as one vCard 4.0 (version "" or "4.0") or 3.0 ("3.0",
// which iOS and macOS prefer). Lines end in CRLF and are folded at 75
// octets. A label that is not one of the common kinds (see Value.Label) is
// written as an itemN.X-ABLabel, as Apple and Google do. A card without a
// FullName gets one from its name parts, its Org or its first email, since
// every vCard must have an FN. Nothing is written when c cannot be encoded.
func Encode(w io.Writer, c Card, version string) error {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.buf, e.col, e.item = e.buf[:0], 0, 0
	switch strings.TrimSpace(version) {
	case "", "4.0", "4":
		e.v = 4
	case "3.0", "3":
		e.v = 3
	default:
		return fmt.Errorf("vcard: cannot write version %q (write 3.0 or 4.0)", version)
	}
	if err := e.card(&c); err != nil {
		return err
	}
	_, err := w.Write(e.buf)
	if cap(e.buf) > 1<<20 {
		e.buf = nil // do not keep a photo's worth of memory around
	}
	return err
}

// encoders keeps buffers between calls: an export writes many cards.
var encoders = sync.Pool{New: func() any { return new(encoder) }}

// encoder builds one card's text.
type encoder struct {
	v    int // 3 or 4
	buf  []byte
	col  int // octets on the current line, for folding
	item int // the last itemN group used
}

func (e *encoder) card(c *Card) error {
	bday, err := e.birthday(c.Birthday)
	if err != nil {
		return err
	}
	e.line("BEGIN:VCARD")
	if e.v == 3 {
		e.line("VERSION:3.0")
	} else {
		e.line("VERSION:4.0")
	}
	e.line("PRODID:-//Rapport//Rapport CRM//EN")
	if c.UID != "" {
		e.textLine("UID:", c.UID)
	}
	e.textLine("FN:", fullName(c))
	e.put("N:")
	for i, s := range [...]string{c.LastName, c.FirstName, c.MiddleName, c.Prefix, c.Suffix} {
		if i > 0 {
			e.put(";")
		}
		e.esc(s, true)
	}
	e.end()
	if c.Org != "" {
		e.put("ORG:")
		e.esc(c.Org, true)
		e.end()
	}
	if c.Title != "" {
		e.textLine("TITLE:", c.Title)
	}
	for _, x := range c.Emails {
		e.labelled("EMAIL", x.Label, x.Preferred, e.v == 3)
		e.esc(x.Text, e.v == 3)
		e.endLabelled(x.Label)
	}
	for _, x := range c.Phones {
		e.labelled("TEL", x.Label, x.Preferred, false)
		e.esc(x.Text, e.v == 3)
		e.endLabelled(x.Label)
	}
	for _, a := range c.Addresses {
		e.labelled("ADR", a.Label, false, false)
		e.put(";;")
		for i, s := range [...]string{a.Street, a.City, a.Region, a.PostalCode, a.Country} {
			if i > 0 {
				e.put(";")
			}
			e.esc(s, true)
		}
		e.endLabelled(a.Label)
	}
	for _, x := range c.URLs {
		e.labelled("URL", x.Label, x.Preferred, false)
		e.put(oneLine(x.Text))
		e.endLabelled(x.Label)
	}
	if bday != "" {
		e.line(bday)
	}
	if c.Note != "" {
		e.textLine("NOTE:", c.Note)
	}
	if len(c.Categories) > 0 {
		e.put("CATEGORIES:")
		for i, s := range c.Categories {
			if i > 0 {
				e.put(",")
			}
			e.esc(s, true)
		}
		e.end()
	}
	if err := e.photo(c.Photo); err != nil {
		return err
	}
	if c.Revision != "" {
		e.line("REV:" + oneLine(c.Revision))
	}
	e.line("END:VCARD")
	return nil
}

// put appends s to the current line, folding before 75 octets without
// splitting a UTF-8 character.
func (e *encoder) put(s string) {
	for len(s) > 0 {
		room := 75 - e.col
		if len(s) <= room {
			e.buf = append(e.buf, s...)
			e.col += len(s)
			return
		}
		cut := max(room, 0)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		e.buf = append(e.buf, s[:cut]...)
		e.buf = append(e.buf, "\r\n "...)
		e.col = 1 // the leading space counts
		s = s[cut:]
	}
}

// end finishes the current line.
func (e *encoder) end() {
	e.buf = append(e.buf, "\r\n"...)
	e.col = 0
}

// line appends a whole line.
func (e *encoder) line(s string) {
	e.put(s)
	e.end()
}

// textLine appends a line of one text value, escaped.
func (e *encoder) textLine(prefix, s string) {
	e.put(prefix)
	e.esc(s, e.v == 3)
	e.end()
}

// esc appends a text value escaped: backslash, new line and comma, and the
// semicolon when asked (always in compound values, and everywhere in 3.0;
// 4.0 leaves it bare in plain text).
func (e *encoder) esc(s string, semicolon bool) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '\\':
			rep = `\\`
		case ',':
			rep = `\,`
		case ';':
			if !semicolon {
				continue
			}
			rep = `\;`
		case '\n':
			rep = `\n`
		case '\r':
			rep = `\n`
			if i+1 < len(s) && s[i+1] == '\n' {
				e.put(s[start:i])
				e.put(rep)
				i++
				start = i + 1
				continue
			}
		default:
			continue
		}
		e.put(s[start:i])
		e.put(rep)
		start = i + 1
	}
	e.put(s[start:])
}

// typeWords are the label words written as TYPE values, and the TYPE each is.
var typeWords = map[string]string{
	"home": "home", "work": "work", "other": "other", "mobile": "cell",
	"fax": "fax", "pager": "pager", "main": "main", "iphone": "iphone",
	"video": "video", "textphone": "textphone", "homepage": "homepage",
}

// singleTypes is typeWords with each TYPE in a slice of its own, shared
// read-only.
var singleTypes = func() map[string][]string {
	m := make(map[string][]string, len(typeWords))
	for w, t := range typeWords {
		m[w] = []string{t}
	}
	return m
}()

// labelTypes returns the TYPE values for a label, or nil when the label must
// be written as an X-ABLabel: only labels that read back the same go in TYPE.
func labelTypes(label string) []string {
	if ts, ok := singleTypes[label]; ok {
		return ts // the common case, without the check below
	}
	var words []string
	for _, w := range strings.Fields(label) {
		t, ok := typeWords[w]
		if !ok {
			return nil
		}
		words = append(words, t)
	}
	if back, _ := typeLabel(words); back != label {
		return nil
	}
	return words
}

// labelled starts an EMAIL, TEL, ADR or URL line with its label and
// preference, grouped as itemN when the label is a custom one; the value
// follows, then endLabelled.
func (e *encoder) labelled(name, label string, pref, internet bool) {
	var types []string
	if label != "" {
		types = labelTypes(label)
		if types == nil {
			e.item++
			e.put("item")
			e.put(strconv.Itoa(e.item))
			e.put(".")
		}
	}
	e.put(name)
	n := 0
	typ := func(t string) {
		if n == 0 {
			e.put(";TYPE=")
		} else {
			e.put(",")
		}
		n++
		if e.v == 3 {
			t = strings.ToUpper(t)
		}
		e.put(t)
	}
	if internet {
		typ("internet")
	}
	for _, t := range types {
		typ(t)
	}
	if pref && e.v == 3 {
		typ("pref")
	}
	if pref && e.v == 4 {
		e.put(";PREF=1")
	}
	e.put(":")
}

// endLabelled ends a line started by labelled and writes the X-ABLabel of a
// custom label.
func (e *encoder) endLabelled(label string) {
	e.end()
	if label != "" && labelTypes(label) == nil {
		e.put("item")
		e.put(strconv.Itoa(e.item))
		e.textLine(".X-ABLabel:", label)
	}
}

// birthday returns the BDAY line for a YYYY-MM-DD or --MM-DD birthday. In
// 3.0 a birthday without a year is written as Apple does, with the
// placeholder year 1604 (a leap year) named by X-APPLE-OMIT-YEAR.
func (e *encoder) birthday(b string) (string, error) {
	if strings.TrimSpace(b) == "" {
		return "", nil
	}
	d, ok := birthday(b, "")
	if !ok {
		return "", fmt.Errorf("vcard: birthday %q is not YYYY-MM-DD or --MM-DD", b)
	}
	noYear := strings.HasPrefix(d, "--")
	switch {
	case e.v == 4 && noYear:
		return "BDAY:--" + d[2:4] + d[5:7], nil
	case e.v == 4:
		return "BDAY:" + d[:4] + d[5:7] + d[8:10], nil
	case noYear:
		return "BDAY;X-APPLE-OMIT-YEAR=1604:1604" + d[1:], nil
	}
	return "BDAY:" + d, nil
}

// photo writes the picture inline (4.0 as a data: URI, 3.0 as ENCODING=b)
// or as a link.
func (e *encoder) photo(p *Photo) error {
	switch {
	case p == nil:
	case len(p.Data) > 0:
		mt := p.MediaType
		if mt == "" {
			mt = sniffType(p.Data)
		}
		if !strings.HasPrefix(mt, "image/") {
			return fmt.Errorf("vcard: the photo is not a JPEG, PNG, GIF or WebP image")
		}
		if e.v == 4 {
			e.put("PHOTO:data:" + mt + ";base64,")
		} else {
			e.put("PHOTO;ENCODING=b;TYPE=" + strings.ToUpper(strings.TrimPrefix(mt, "image/")) + ":")
		}
		e.line(base64.StdEncoding.EncodeToString(p.Data))
	case p.URL != "":
		switch {
		case e.v == 4 && p.MediaType != "":
			e.put("PHOTO;MEDIATYPE=" + p.MediaType + ":")
		case e.v == 4:
			e.put("PHOTO:")
		case p.MediaType != "":
			e.put("PHOTO;VALUE=uri;TYPE=" + strings.ToUpper(strings.TrimPrefix(p.MediaType, "image/")) + ":")
		default:
			e.put("PHOTO;VALUE=uri:")
		}
		e.line(oneLine(p.URL))
	}
	return nil
}

// oneLine keeps a URI-like value on its line; such values are not escaped.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(s))
}

// fullName is FN: the card's own, else one made from what it has.
func fullName(c *Card) string {
	if strings.TrimSpace(c.FullName) != "" {
		return c.FullName
	}
	if n := joinNonEmpty(" ", c.Prefix, c.FirstName, c.MiddleName, c.LastName, c.Suffix); n != "" {
		return n
	}
	if c.Org != "" {
		return c.Org
	}
	if len(c.Emails) > 0 {
		return c.Emails[0].Text
	}
	return ""
}
