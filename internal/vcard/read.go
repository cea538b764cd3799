package vcard

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Decoder reads cards one after another from a vCard file.
type Decoder struct {
	src io.Reader
	r   *bufio.Reader
	// line is the number of physical lines read so far.
	line int
	// read counts bytes read, to give up on a file that is not vCard.
	read int64
	// scanning is true until the first BEGIN:VCARD has been seen.
	scanning bool
	opened   bool
	// cur is the logical line being built; next the physical line read
	// ahead to see whether it continues cur.
	cur, next []byte
	nextLine  int
	hasNext   bool
	nextEOF   bool
	nextOver  bool
	back      *logicalLine
	err       error
	charsets  map[string]encoding.Encoding
	props     []rawProp
}

// logicalLine is one property line after unfolding.
type logicalLine struct {
	text string
	n    int  // the physical line it starts on
	over bool // longer than MaxCardSize: text is cut short
}

// NewDecoder reads cards one by one from r (any number per file), in any of
// versions 2.1, 3.0 and 4.0. A UTF-8 or UTF-16 byte-order mark is honoured.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{src: r, scanning: true}
}

// open looks at the first bytes for a byte-order mark.
func (d *Decoder) open() {
	d.opened = true
	d.r = bufio.NewReaderSize(d.src, 64<<10)
	head, _ := d.r.Peek(4)
	var utf16 encoding.Encoding
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = d.r.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		utf16 = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		utf16 = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case len(head) == 4 && head[1] == 0 && head[3] == 0 && head[0] != 0 && head[2] != 0:
		utf16 = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case len(head) == 4 && head[0] == 0 && head[2] == 0 && head[1] != 0 && head[3] != 0:
		utf16 = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	if utf16 != nil {
		d.r = bufio.NewReaderSize(transform.NewReader(d.r, utf16.NewDecoder()), 64<<10)
	}
}

// readPhys reads the next physical line into d.next, without its line end.
// A line longer than MaxCardSize is cut short and marked.
func (d *Decoder) readPhys() error {
	d.next = d.next[:0]
	d.nextOver = false
	got := false
	for {
		frag, err := d.r.ReadSlice('\n')
		d.read += int64(len(frag))
		if len(frag) > 0 {
			got = true
		}
		if room := MaxCardSize + 1 - len(d.next); len(frag) > room {
			d.next = append(d.next, frag[:room]...)
			d.nextOver = true
		} else {
			d.next = append(d.next, frag...)
		}
		if d.scanning && d.read > SniffSize {
			return ErrNotVCard
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if !got {
				return io.EOF
			}
			break
		}
		if err != nil {
			return err
		}
		break
	}
	d.line++
	d.nextLine = d.line
	n := len(d.next)
	if n > 0 && d.next[n-1] == '\n' {
		n--
	}
	if n > 0 && d.next[n-1] == '\r' {
		n--
	}
	d.next = d.next[:n]
	return nil
}

// fill makes sure d.next holds the line after cur, unless the file ended.
func (d *Decoder) fill() error {
	if d.hasNext || d.nextEOF {
		return nil
	}
	err := d.readPhys()
	if err == io.EOF {
		d.nextEOF = true
		return nil
	}
	if err != nil {
		return err
	}
	d.hasNext = true
	return nil
}

// logical returns the next logical line: a physical line joined with the
// lines that continue it (folding, quoted-printable soft line breaks, and the
// unindented base64 lines some 2.1 writers leave).
func (d *Decoder) logical() (logicalLine, error) {
	if d.back != nil {
		l := *d.back
		d.back = nil
		return l, nil
	}
	if err := d.fill(); err != nil {
		return logicalLine{}, err
	}
	if !d.hasNext {
		return logicalLine{}, io.EOF
	}
	d.cur, d.next = d.next, d.cur
	over := d.nextOver
	n := d.nextLine
	d.hasNext = false
	qp, b64 := -1, -1 // unknown until asked
	for {
		if err := d.fill(); err != nil {
			return logicalLine{}, err
		}
		if !d.hasNext {
			break
		}
		next := d.next
		var add []byte
		switch {
		case len(d.cur) > 0 && d.cur[len(d.cur)-1] == '=' && ask(&qp, d.cur, isQuotedPrintable) && !isEndLine(next):
			// A soft line break: the next line goes on as written, even
			// if it starts with a space.
			d.cur = d.cur[:len(d.cur)-1]
			add = next
		case len(next) > 0 && (next[0] == ' ' || next[0] == '\t'):
			add = next[1:]
		case len(next) > 0 && looksBase64(next) && ask(&b64, d.cur, isBase64Prop):
			add = next
		default:
			goto done
		}
		if room := MaxCardSize + 1 - len(d.cur); len(add) > room {
			add = add[:room]
			over = true
		}
		d.cur = append(d.cur, add...)
		over = over || d.nextOver
		d.hasNext = false
	}
done:
	return logicalLine{text: string(d.cur), n: n, over: over}, nil
}

// ask caches the answer of f(line) in *v (-1 unknown, 0 no, 1 yes).
func ask(v *int, line []byte, f func([]byte) bool) bool {
	if *v < 0 {
		*v = 0
		if f(line) {
			*v = 1
		}
	}
	return *v == 1
}

// head returns the part of a property line before its value: the name and
// parameters, up to the first colon outside double quotes.
func head(line []byte) []byte {
	quoted := false
	for i, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return line[:i]
			}
		}
	}
	return line
}

var (
	qpWord     = []byte("QUOTED-PRINTABLE")
	base64Word = []byte("BASE64")
	bWord      = []byte("ENCODING=B")
)

func isQuotedPrintable(line []byte) bool {
	return bytes.Contains(bytes.ToUpper(head(line)), qpWord)
}

func isBase64Prop(line []byte) bool {
	h := bytes.ToUpper(head(line))
	if bytes.Contains(h, base64Word) {
		return true
	}
	i := bytes.Index(h, bWord)
	return i >= 0 && (i+len(bWord) == len(h) || h[i+len(bWord)] == ';')
}

// looksBase64 reports whether a line can only be more base64 data: a
// property line always has a colon, base64 never does.
func looksBase64(line []byte) bool {
	for _, c := range line {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '+', c == '/', c == '=', c == ' ', c == '\t', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

func isEndLine(line []byte) bool {
	return len(line) >= 9 && strings.EqualFold(strings.TrimSpace(string(line)), "END:VCARD")
}

func isBegin(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "BEGIN:VCARD") }
func isEnd(s string) bool   { return strings.EqualFold(strings.TrimSpace(s), "END:VCARD") }

// isBlank reports whether a line holds nothing but white space and control
// characters (some tools pad files with NUL or end them with Ctrl-Z).
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > ' ' && s[i] != 0x7F {
			return false
		}
	}
	return true
}

// Next returns the next card and the line its BEGIN:VCARD is on. At the end
// of the file it returns io.EOF. A card that cannot be read whole is a
// *CardError (its Card holds only the name, UID and emails, to say which
// card it was, and must not be imported); Next then goes on with the
// following card. Text outside any card is reported the same way, once per
// stretch of lines. A file that is not vCard at all is ErrNotVCard. Any
// other error comes from reading r and ends the file.
func (d *Decoder) Next() (Card, int, error) {
	if d.err != nil {
		return Card{}, 0, d.err
	}
	if !d.opened {
		d.open()
	}
	if d.scanning {
		return d.scan()
	}
	stray, strayEnd := 0, 0
	for {
		l, err := d.logical()
		if err == io.EOF && stray > 0 {
			return Card{}, stray, strayError(stray, strayEnd)
		}
		if err != nil {
			d.err = err
			return Card{}, 0, err
		}
		if isBegin(l.text) {
			if stray > 0 {
				d.back = &l
				return Card{}, stray, strayError(stray, strayEnd)
			}
			return d.card(l.n)
		}
		if isBlank(l.text) {
			continue
		}
		if stray == 0 {
			stray = l.n
		}
		strayEnd = d.line
		if d.hasNext {
			strayEnd = d.nextLine - 1
		}
	}
}

// scan looks for the first BEGIN:VCARD, line by line without reading
// ahead, and gives up after SniffSize bytes.
func (d *Decoder) scan() (Card, int, error) {
	stray, strayEnd, content := 0, 0, false
	for {
		err := d.readPhys()
		if err == io.EOF {
			err = ErrNotVCard
			if !content {
				err = errEmpty
			}
		}
		if err != nil {
			d.err = err
			return Card{}, 0, err
		}
		text := string(d.next)
		if isBegin(text) {
			d.scanning = false
			if stray > 0 {
				d.back = &logicalLine{text: text, n: d.nextLine}
				return Card{}, stray, strayError(stray, strayEnd)
			}
			return d.card(d.nextLine)
		}
		if isBlank(text) {
			continue
		}
		content = true
		if stray == 0 {
			stray = d.nextLine
		}
		strayEnd = d.nextLine
	}
}

func strayError(from, to int) error {
	if to > from {
		return &CardError{Line: from, Message: fmt.Sprintf("lines %d to %d are outside any BEGIN:VCARD … END:VCARD and were skipped", from, to)}
	}
	return &CardError{Line: from, Message: fmt.Sprintf("line %d is outside any BEGIN:VCARD … END:VCARD and was skipped", from)}
}

// card reads the properties of the card that starts on line start, up to its
// END:VCARD, and builds the Card.
func (d *Decoder) card(start int) (Card, int, error) {
	var (
		props   = d.props[:0]
		size    int
		over    bool
		problem *CardError
		agent   bool // the last property was a 2.1 AGENT with its card below
		depth   int  // inside such an embedded card
	)
	fail := func(msg string) {
		if problem == nil {
			problem = &CardError{Line: start, Message: msg}
		}
	}
	for {
		l, err := d.logical()
		if err == io.EOF {
			fail("the card has no END:VCARD: the file ends first")
			break
		}
		if err != nil {
			d.err = err
			return Card{}, start, err
		}
		if isBlank(l.text) {
			continue
		}
		if depth > 0 {
			if isBegin(l.text) {
				depth++
			} else if isEnd(l.text) {
				depth--
			}
			continue
		}
		if isBegin(l.text) {
			if agent {
				depth, agent = 1, false
				continue
			}
			d.back = &l
			fail(fmt.Sprintf("the card has no END:VCARD before the next card starts on line %d", l.n))
			break
		}
		if isEnd(l.text) {
			break
		}
		size += len(l.text) + 2
		if over || l.over || size > MaxCardSize {
			over = true
			props = nil
			continue
		}
		p, err := parseProp(l.text, l.n)
		if err != nil {
			fail(err.Error())
			continue
		}
		agent = p.name == "AGENT" && strings.TrimSpace(p.value) == ""
		props = append(props, p)
	}
	if over {
		return Card{}, start, &CardError{Line: start, Message: "the card is larger than 10 MB"}
	}
	d.props = props[:0] // kept for the next card: the Card keeps no pointer into it
	c, perr := d.build(props)
	if problem == nil && perr != "" {
		problem = &CardError{Line: start, Message: perr}
	}
	if problem != nil {
		problem.Name = c.FullName
		return Card{UID: c.UID, FullName: c.FullName, Emails: c.Emails}, start, problem
	}
	return c, start, nil
}
