package csvfile

import (
	"bytes"
	"errors"
	"io"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// bufSize is how much text the reader holds at first; it grows for a
// record that does not fit, up to MaxRecordSize and a little more.
const bufSize = 64 << 10

// status is what scanning the text at the reader's position found.
type status int

const (
	// whole: a complete record.
	whole status = iota
	// more: the record goes on past the text read so far.
	more
	// broken: a malformed record.
	broken
)

// scanner splits decoded text into records. It keeps the text in one
// buffer that is refilled in place, so reading a file takes constant
// memory; a record's values are copied out into one string.
type scanner struct {
	src   io.Reader
	delim byte
	// special marks the bytes that end a plain value: the delimiter, the
	// quote and the carriage return.
	special [256]bool
	// dec decodes src into UTF-8; nil when src is UTF-8 already.
	dec   *encoding.Decoder
	width width

	buf      []byte // text; buf[pos:end] is not yet consumed
	pos, end int
	eof      bool  // no more text after buf[:end]
	err      error // a read error, returned once the text before it is used

	raw            []byte // undecoded input, when dec is set
	rawPos, rawEnd int
	rawEOF         bool
	read           int64 // bytes read from src
	line           int   // physical line number of buf[pos]
	offset         int64 // bytes of src consumed up to buf[pos]
	inQuote        bool  // the last scan that needed more text was inside quotes
	rec            []byte
	bounds         []int // start, end of each value in the record's text
	fast           bool  // the record's text is buf[pos:], values with delimiters between
	badCol         int
	badErr         error
}

// setDelim sets the delimiter.
func (s *scanner) setDelim(d byte) {
	s.delim = d
	s.special = [256]bool{}
	s.special[d], s.special['"'], s.special['\r'] = true, true, true
}

// fill reads more text after buf[end], moving the unread text to the
// front and growing the buffer when it is full.
func (s *scanner) fill() error {
	if s.eof {
		return nil
	}
	if s.pos > 0 {
		copy(s.buf, s.buf[s.pos:s.end])
		s.end -= s.pos
		s.pos = 0
	}
	if len(s.buf)-s.end < 4<<10 {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.readText(s.buf[s.end:])
		s.end += n
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil
		}
		if err != nil {
			s.eof, s.err = true, err
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

// readText reads decoded text into p.
func (s *scanner) readText(p []byte) (int, error) {
	if s.dec == nil {
		n, err := s.src.Read(p)
		s.read += int64(n)
		return n, err
	}
	for {
		if s.rawPos < s.rawEnd || s.rawEOF {
			nDst, nSrc, err := s.dec.Transform(p, s.raw[s.rawPos:s.rawEnd], s.rawEOF)
			s.rawPos += nSrc
			if nDst > 0 {
				return nDst, nil
			}
			switch {
			case err == nil && s.rawEOF:
				return 0, io.EOF
			case err == nil || errors.Is(err, transform.ErrShortSrc):
			default:
				return 0, err
			}
		}
		if s.rawEOF {
			return 0, io.EOF
		}
		if s.rawPos > 0 {
			copy(s.raw, s.raw[s.rawPos:s.rawEnd])
			s.rawEnd -= s.rawPos
			s.rawPos = 0
		}
		n, err := s.src.Read(s.raw[s.rawEnd:])
		s.rawEnd += n
		s.read += int64(n)
		if errors.Is(err, io.EOF) {
			s.rawEOF = true
		} else if err != nil {
			return 0, err
		}
	}
}

// consume moves past n bytes of text holding nl line breaks.
func (s *scanner) consume(n, nl int) {
	s.offset += s.width.inputBytes(s.buf[s.pos : s.pos+n])
	s.pos += n
	s.line += nl
	if s.eof && s.pos == s.end && s.err == nil {
		// The decoder may have turned a stray last byte into a character
		// that counts as more.
		s.offset = s.read
	}
}

// scan looks at the record at buf[pos:]. For a whole record it returns its
// length in bytes and its line breaks, and leaves its values in
// rec/bounds (or in buf when fast).
func (s *scanner) scan() (n, nl int, st status) {
	if n, nl, st, ok := s.scanPlain(); ok {
		return n, nl, st
	}
	return s.scanQuoted()
}

// scanPlain reads the common record: one line, no quotes, no carriage
// return but the one before its line feed. ok is false for any other.
func (s *scanner) scanPlain() (n, nl int, st status, ok bool) {
	seg := s.buf[s.pos:s.end]
	i := bytes.IndexByte(seg, '\n')
	var line []byte
	switch {
	case i >= 0:
		line, n, nl = seg[:i], i+1, 1
	case !s.eof:
		if bytes.IndexByte(seg, '\r') >= 0 {
			return 0, 0, 0, false
		}
		s.inQuote = false
		return 0, 0, more, true
	default:
		line, n = seg, len(seg)
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	// One pass finds the delimiters; a quote or a carriage return sends
	// the record to scanQuoted.
	s.bounds = s.bounds[:0]
	start := 0
	for i, c := range line {
		if !s.special[c] {
			continue
		}
		if c != s.delim {
			return 0, 0, 0, false
		}
		s.bounds = append(s.bounds, start, i)
		start = i + 1
	}
	s.bounds = append(s.bounds, start, len(line))
	s.fast = true
	return n, nl, whole, true
}

// scanQuoted reads any record: quoted values, line breaks inside them,
// doubled quotes, lone carriage returns as line ends. Malformed records
// are reported (broken, with badCol and badErr) as soon as they are seen.
func (s *scanner) scanQuoted() (n, nl int, st status) {
	buf := s.buf[s.pos:s.end]
	s.fast = false
	s.rec = s.rec[:0]
	s.bounds = s.bounds[:0]
	i, col := 0, 0
	for {
		col++
		start := len(s.rec)
		j := i
		for j < len(buf) && (buf[j] == ' ' || buf[j] == '\t') && buf[j] != s.delim {
			j++
		}
		if j < len(buf) && buf[j] == '"' {
			i = j + 1
			for {
				k := bytes.IndexByte(buf[i:], '"')
				if k < 0 {
					if !s.eof {
						s.inQuote = true
						return 0, 0, more
					}
					return s.bad(col, ErrUnterminated)
				}
				nl += s.appendQuoted(buf[i : i+k])
				i += k + 1
				if i < len(buf) && buf[i] == '"' {
					s.rec = append(s.rec, '"')
					i++
					continue
				}
				if i == len(buf) && !s.eof {
					s.inQuote = true
					return 0, 0, more
				}
				break
			}
			for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t') && buf[i] != s.delim {
				i++
			}
		} else {
			k := i
			for k < len(buf) {
				c := buf[k]
				if c == s.delim || c == '\n' || c == '\r' || c == '"' {
					break
				}
				k++
			}
			s.rec = append(s.rec, buf[i:k]...)
			i = k
			if i < len(buf) && buf[i] == '"' {
				return s.bad(col, ErrBareQuote)
			}
		}
		s.bounds = append(s.bounds, start, len(s.rec))
		if i == len(buf) {
			if !s.eof {
				s.inQuote = false
				return 0, 0, more
			}
			return i, nl, whole
		}
		switch c := buf[i]; c {
		case s.delim:
			i++
			continue
		case '\n':
			return i + 1, nl + 1, whole
		case '\r':
			if i+1 == len(buf) && !s.eof {
				s.inQuote = false
				return 0, 0, more
			}
			if i+1 < len(buf) && buf[i+1] == '\n' {
				return i + 2, nl + 1, whole
			}
			return i + 1, nl + 1, whole
		default:
			return s.bad(col, ErrQuote)
		}
	}
}

func (s *scanner) bad(col int, err error) (int, int, status) {
	s.badCol, s.badErr = col, err
	return 0, 0, broken
}

// appendQuoted adds the text of a quoted value to rec, reading CRLF and a
// lone CR as a line feed, and returns its line breaks.
func (s *scanner) appendQuoted(seg []byte) int {
	if bytes.IndexByte(seg, '\r') < 0 {
		s.rec = append(s.rec, seg...)
		return bytes.Count(seg, []byte{'\n'})
	}
	nl := 0
	for i, c := range seg {
		switch {
		case c == '\r' && i+1 < len(seg) && seg[i+1] == '\n':
			continue
		case c == '\r':
			c = '\n'
			fallthrough
		case c == '\n':
			nl++
		}
		s.rec = append(s.rec, c)
	}
	return nl
}

// text is the record's text that the values in bounds point into.
func (s *scanner) text(n int) []byte {
	if s.fast {
		return s.buf[s.pos : s.pos+n]
	}
	return s.rec
}

// lineEnd finds the end of the physical line at buf[pos:]: its length
// without the line break, and with it. ok is false when more text is
// needed to tell.
func (s *scanner) lineEnd() (length, total int, ok bool) {
	seg := s.buf[s.pos:s.end]
	for i, c := range seg {
		if c == '\n' {
			return i, i + 1, true
		}
		if c == '\r' {
			if i+1 < len(seg) {
				if seg[i+1] == '\n' {
					return i, i + 2, true
				}
				return i, i + 1, true
			}
			if s.eof {
				return i, i + 1, true
			}
			return 0, 0, false
		}
	}
	if s.eof {
		return len(seg), len(seg), true
	}
	return 0, 0, false
}

// skipLine moves past the physical line at buf[pos:], reading more text
// as needed, and returns its text split leniently (nil when the line is
// longer than MaxRecordSize, whose text is dropped as it is read).
func (s *scanner) skipLine() ([]string, error) {
	dropped := false
	for {
		length, total, ok := s.lineEnd()
		if ok {
			var raw []string
			if !dropped {
				raw = splitLenient(s.buf[s.pos:s.pos+length], s.delim)
			}
			nl := 0
			if total > length {
				nl = 1
			}
			s.consume(total, nl)
			return raw, nil
		}
		if s.end-s.pos > MaxRecordSize {
			// Keep the last byte: it may be the CR of a CRLF.
			s.consume(s.end-s.pos-1, 0)
			dropped = true
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// splitLenient splits one line into values the way a forgiving reader
// would: a value that starts with a quote and closes it properly is
// unquoted; any other quote is kept as text.
func splitLenient(line []byte, delim byte) []string {
	var out []string
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			if v, next, ok := quotedValue(line, i+1, delim); ok {
				out = append(out, v)
				if next >= len(line) {
					return out
				}
				i = next + 1
				continue
			}
		}
		j := bytes.IndexByte(line[i:], delim)
		if j < 0 {
			return append(out, string(line[i:]))
		}
		out = append(out, string(line[i:i+j]))
		i += j + 1
	}
}

// quotedValue reads a quoted value starting after its opening quote at
// line[i:]; ok when it closes right before a delimiter or the end.
func quotedValue(line []byte, i int, delim byte) (string, int, bool) {
	var b []byte
	for i < len(line) {
		k := bytes.IndexByte(line[i:], '"')
		if k < 0 {
			return "", 0, false
		}
		b = append(b, line[i:i+k]...)
		i += k + 1
		if i < len(line) && line[i] == '"' {
			b = append(b, '"')
			i++
			continue
		}
		if i == len(line) || line[i] == delim {
			return string(b), i, true
		}
		return "", 0, false
	}
	return "", 0, false
}
