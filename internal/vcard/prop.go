package vcard

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// rawProp is one property line of a card, split but not yet decoded.
type rawProp struct {
	line   int
	group  string // lower case, "" when ungrouped
	name   string // upper case
	params []param
	value  string // as written: still encoded and escaped
}

// param is one parameter; 2.1's bare parameters (TEL;WORK;VOICE) are
// stored under the name they stand for (TYPE, ENCODING or VALUE).
type param struct {
	name   string // upper case
	values []string
}

// param returns the first value of the named parameter.
func (p *rawProp) param(name string) string {
	for _, x := range p.params {
		if x.name == name && len(x.values) > 0 {
			return x.values[0]
		}
	}
	return ""
}

// hasParam reports whether the named parameter has the value (any case).
func (p *rawProp) hasParam(name, value string) bool {
	for _, x := range p.params {
		if x.name != name {
			continue
		}
		for _, v := range x.values {
			if strings.EqualFold(v, value) {
				return true
			}
		}
	}
	return false
}

// types returns every TYPE value, in order.
func (p *rawProp) types() []string {
	var out []string
	for _, x := range p.params {
		if x.name == "TYPE" {
			out = append(out, x.values...)
		}
	}
	return out
}

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// notProperty is the message for a line that is not NAME:value.
func notProperty(s string, n int) error {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return fmt.Errorf("line %d is not a vCard property (NAME:value): %q", n, s)
}

// parseProp splits a logical line into group, name, parameters and value.
func parseProp(s string, n int) (rawProp, error) {
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 || i == len(s) || (s[i] != ';' && s[i] != ':') {
		return rawProp{}, notProperty(s, n)
	}
	p := rawProp{line: n, name: s[:i]}
	if dot := strings.LastIndexByte(p.name, '.'); dot >= 0 {
		p.group = strings.ToLower(p.name[:dot])
		p.name = p.name[dot+1:]
	}
	if p.name == "" {
		return rawProp{}, notProperty(s, n)
	}
	p.name = strings.ToUpper(p.name)
	if s[i] == ':' {
		p.value = s[i+1:]
		return p, nil
	}
	rest := s[i+1:]
	for {
		j, quoted := 0, false
		for ; j < len(rest); j++ {
			c := rest[j]
			if c == '"' {
				quoted = !quoted
			} else if !quoted && (c == ';' || c == ':') {
				break
			}
		}
		if j == len(rest) {
			return rawProp{}, notProperty(s, n)
		}
		p.addParam(rest[:j])
		sep := rest[j]
		rest = rest[j+1:]
		if sep == ':' {
			p.value = rest
			return p, nil
		}
	}
}

// addParam adds one NAME=value,value or bare 2.1 parameter.
func (p *rawProp) addParam(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if len(s) > 10 && strings.EqualFold(s[:9], "X-CUSTOM(") && s[len(s)-1] == ')' {
		p.params = append(p.params, androidLabel(s[9:len(s)-1]))
		return
	}
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		v := strings.ToUpper(s)
		name := "TYPE"
		switch v {
		case "QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT":
			name = "ENCODING"
		case "INLINE", "URL", "URI", "CONTENT-ID", "CID":
			name = "VALUE"
		}
		p.params = append(p.params, param{name: name, values: []string{s}})
		return
	}
	name := strings.ToUpper(strings.TrimSpace(s[:eq]))
	var values []string
	rest := s[eq+1:]
	for {
		j, quoted := 0, false
		for ; j < len(rest); j++ {
			if rest[j] == '"' {
				quoted = !quoted
			} else if rest[j] == ',' && !quoted {
				break
			}
		}
		v := strings.TrimSpace(rest[:j])
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		switch {
		case v == "":
		case name == "TYPE" && strings.Contains(v, ","):
			// 4.0 quotes lists: TYPE="work,voice".
			for _, t := range strings.Split(v, ",") {
				if t = strings.TrimSpace(t); t != "" {
					values = append(values, t)
				}
			}
		default:
			values = append(values, caretDecode(v))
		}
		if j == len(rest) {
			break
		}
		rest = rest[j+1:]
	}
	p.params = append(p.params, param{name: name, values: values})
}

// androidLabel reads the custom label Android writes as a parameter,
// X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=E5=B7=A5) or
// X-CUSTOM(Zoom), into an X-CUSTOM parameter of two values: the label,
// quoted-printable undone, and its character set.
func androidLabel(s string) param {
	parts := strings.Split(s, ",")
	label, charset := parts[len(parts)-1], ""
	for _, x := range parts[:len(parts)-1] {
		switch k, v, _ := strings.Cut(x, "="); strings.ToUpper(strings.TrimSpace(k)) {
		case "ENCODING":
			if strings.EqualFold(strings.TrimSpace(v), "QUOTED-PRINTABLE") {
				label = decodeQP(label)
			}
		case "CHARSET":
			charset = strings.TrimSpace(v)
		}
	}
	return param{name: "X-CUSTOM", values: []string{label, charset}}
}

// caretDecode undoes RFC 6868's escapes in a parameter value.
func caretDecode(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	r := strings.NewReplacer("^n", "\n", "^N", "\n", "^'", `"`, "^^", "^")
	return r.Replace(s)
}

// text returns a property's value as UTF-8, quoted-printable and character
// set undone but still escaped.
func (d *Decoder) text(p *rawProp) (string, error) {
	v := p.value
	if strings.EqualFold(p.param("ENCODING"), "QUOTED-PRINTABLE") {
		v = decodeQP(v)
	}
	return d.toUTF8(v, p.param("CHARSET"), p.line)
}

// decodeQP undoes quoted-printable. Soft line breaks were already joined;
// an '=' not followed by two hex digits is kept as written.
func decodeQP(s string) string {
	if strings.IndexByte(s, '=') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		if c == '=' && i == len(s)-1 {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// toUTF8 turns bytes in the named character set into UTF-8. Without a
// character set, text that is not valid UTF-8 is read as Windows-1252 (what
// older Windows programs write). Text that is valid UTF-8 but labelled with a
// single-byte set is taken as UTF-8: such labels are often wrong, and real
// Latin-1 text is almost never valid UTF-8.
func (d *Decoder) toUTF8(v, charset string, line int) (string, error) {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if isASCII(v) && !strings.HasPrefix(cs, "iso-2022") {
		return v, nil
	}
	if cs == "" || cs == "utf-8" || cs == "utf8" {
		if utf8.ValidString(v) {
			return v, nil
		}
		return charmap.Windows1252.NewDecoder().String(v)
	}
	enc, ok := d.charsets[cs]
	if !ok {
		e, err := htmlindex.Get(cs)
		if err == nil {
			enc = e
		}
		if d.charsets == nil {
			d.charsets = make(map[string]encoding.Encoding)
		}
		d.charsets[cs] = enc
	}
	if enc == nil {
		if utf8.ValidString(v) {
			return v, nil
		}
		return "", fmt.Errorf("line %d uses the character set %q, which is not one Rapport can read", line, charset)
	}
	if _, single := enc.(*charmap.Charmap); single && utf8.ValidString(v) {
		return v, nil
	}
	out, err := enc.NewDecoder().String(v)
	if err != nil {
		return "", fmt.Errorf("line %d is not valid %s text", line, charset)
	}
	return out, nil
}

// unescape undoes vCard's backslash escapes: \n and \N are new lines; \\,
// \, \; and \: stand for the character; any other backslash stays.
func unescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case '\\', ',', ';', ':':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// split cuts an escaped value at each sep that is not escaped and unescapes
// the pieces.
func split(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, unescape(s[start:i]))
			start = i + 1
		}
	}
	return append(out, unescape(s[start:]))
}

// part returns parts[i], trimmed, or "".
func part(parts []string, i int) string {
	if i < len(parts) {
		return strings.TrimSpace(parts[i])
	}
	return ""
}
