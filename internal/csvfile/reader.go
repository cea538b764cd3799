package csvfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reader reads the records of a CSV file one at a time, decoding the
// file's encoding as it goes; it holds only a small window of the file
// (64 KiB, more for a record that needs it, at most about MaxRecordSize).
//
// The header is the first record that is not blank, after any preamble
// of single-value lines such as the "Notes:" lines LinkedIn puts before
// its header. Blank lines, and records whose values are all blank, are
// skipped. A malformed record is returned as a *RowError and reading goes
// on with the next line; any other error ends the file.
type Reader struct {
	// ReuseRecord makes Next reuse the Fields and Raw slices of the Row it
	// returned last, which saves an allocation per row. The strings in
	// them are never reused, only the slices: a caller that keeps a Row
	// past the next call to Next must copy its Fields and Raw first
	// (slices.Clone). Off by default.
	ReuseRecord bool

	s          scanner
	header     []string
	headerLine int
	queue      []queued
	done       int64
	rawS       []string
	fieldsS    []string
}

// queued is a record read ahead while looking for the header.
type queued struct {
	line int
	// next is the line after the record.
	next   int
	raw    []string
	err    *RowError
	offset int64
}

// lookAhead is how many records, and how many bytes, NewReader reads
// past a first single-value line to find the header after a preamble;
// maxPreamble is how many single-value lines a preamble may have.
const (
	lookAhead      = 20
	lookAheadBytes = 64 << 10
	maxPreamble    = 5
)

// NewReader decodes r with f and reads the file's header. It never loads
// the whole file. A zero Format reads UTF-8 with commas. A byte order mark
// is skipped; for UTF-16 it decides the byte order whatever f says.
//
// Errors: ErrFormat (f names an unknown encoding or a bad delimiter),
// ErrEmpty, ErrNoHeader, ErrNotCSV (the header holds a NUL byte), or the
// error reading r.
func NewReader(r io.Reader, f Format) (*Reader, error) {
	c, err := lookupCodec(f.Encoding)
	if err != nil {
		return nil, err
	}
	d := f.Delimiter
	if d == 0 {
		d = ','
	}
	if d < 0 || d >= utf8.RuneSelf || d == '"' || d == '\r' || d == '\n' || d == ' ' {
		return nil, fmt.Errorf("%w: delimiter %q", ErrFormat, d)
	}
	rd := &Reader{}
	s := &rd.s
	s.src, s.width, s.line = r, c.width, 1
	s.setDelim(byte(d))
	s.buf = make([]byte, bufSize)
	if err := rd.start(c); err != nil {
		return nil, err
	}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// start reads the first bytes, skips a byte order mark and reports an
// empty file.
func (r *Reader) start(c codec) error {
	s := &r.s
	if c.enc == nil {
		for s.end < len(bomUTF8) && !s.eof {
			if err := s.fill(); err != nil {
				return err
			}
		}
		if bytes.HasPrefix(s.buf[:s.end], []byte(bomUTF8)) {
			s.pos, s.offset = len(bomUTF8), int64(len(bomUTF8))
		}
		for s.pos == s.end && !s.eof {
			if err := s.fill(); err != nil {
				return err
			}
		}
		if s.pos == s.end {
			return ErrEmpty
		}
		return nil
	}
	s.raw = make([]byte, bufSize)
	for (s.rawEnd < len(bomUTF8) || s.rawEnd <= len(c.bom)) && !s.rawEOF {
		n, err := s.src.Read(s.raw[s.rawEnd:])
		s.rawEnd += n
		s.read += int64(n)
		if errors.Is(err, io.EOF) {
			s.rawEOF = true
		} else if err != nil {
			return err
		}
	}
	head := s.raw[:s.rawEnd]
	enc := c.enc
	switch {
	case c.bom != "" && bytes.HasPrefix(head, []byte(c.bom)):
		s.rawPos = len(c.bom)
	case c.other != "" && bytes.HasPrefix(head, []byte(c.other)):
		s.rawPos, enc = len(c.other), c.alt
	case c.width != utf16Width && bytes.HasPrefix(head, []byte(bomUTF8)):
		s.rawPos = len(bomUTF8)
	}
	s.offset = int64(s.rawPos)
	s.dec = enc.NewDecoder()
	if s.rawEOF && s.rawPos == s.rawEnd {
		return ErrEmpty
	}
	return nil
}

// readHeader finds the header, keeping the records read past it for Next.
func (r *Reader) readHeader() error {
	var cands []queued
	for len(cands) == 0 || len(cands[0].raw) == 1 && len(cands) <= lookAhead && r.s.offset < lookAheadBytes {
		row, err := r.record(false)
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RowError
		if err != nil && !errors.As(err, &re) {
			return err
		}
		cands = append(cands, queued{line: row.Line, next: r.s.line, raw: row.Raw, err: re, offset: r.s.offset})
	}
	if len(cands) == 0 {
		return ErrNoHeader
	}
	h := headerIndex(cands)
	if e := cands[h].err; e != nil && errors.Is(e, ErrNUL) {
		return ErrNotCSV
	}
	r.header = make([]string, len(cands[h].raw))
	for i, name := range cands[h].raw {
		r.header[i] = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
	}
	r.headerLine = cands[h].line
	r.queue = cands[h+1:]
	r.done = cands[h].offset
	return nil
}

// headerIndex picks the header among the first records: the first one,
// unless it and a few more have a single value (a preamble such as
// LinkedIn's notes) and are followed by a record with several that
// either comes after a blank line or is followed by records that mostly
// have as many values.
func headerIndex(cands []queued) int {
	k := 0
	for k < len(cands) && len(cands[k].raw) == 1 {
		k++
	}
	if k == 0 || k == len(cands) || k > maxPreamble {
		return 0
	}
	if cands[k].line > cands[k-1].next {
		return k
	}
	w, same, after := len(cands[k].raw), 0, cands[k+1:]
	for _, c := range after {
		if len(c.raw) == w {
			same++
		}
	}
	if len(after) == 0 || 2*same < len(after) {
		return 0
	}
	return k
}

// Header returns the header's column names, trimmed, without a byte
// order mark.
func (r *Reader) Header() []string { return append([]string(nil), r.header...) }

// HeaderLine is the physical line the header is on (after a preamble, more
// than 1).
func (r *Reader) HeaderLine() int { return r.headerLine }

// Offset is how many bytes of the input the records returned so far (and
// the blank lines and header before them) took: for a progress bar, and
// a place to report. It is exact for UTF-8, UTF-16 and the single-byte
// encodings, and close for the East Asian ones.
func (r *Reader) Offset() int64 { return r.done }

// Next returns the next record that is not blank, io.EOF after the last.
// A malformed record comes back as the Row as far as it could be read
// with a *RowError; call Next again to go on. Any other error ends the
// file. See ReuseRecord for how long the returned slices stay valid.
func (r *Reader) Next() (Row, error) {
	if len(r.queue) > 0 {
		q := r.queue[0]
		r.queue = r.queue[1:]
		r.done = q.offset
		row := Row{Line: q.line, Raw: q.raw, Fields: r.pad(q.raw)}
		if q.err != nil {
			return row, q.err
		}
		return row, nil
	}
	row, err := r.record(r.ReuseRecord)
	r.done = r.s.offset
	return row, err
}

// record reads the next record that is not blank.
func (r *Reader) record(reuse bool) (Row, error) {
	s := &r.s
	for {
		if s.pos == s.end {
			if s.eof {
				if s.err != nil {
					return Row{}, s.err
				}
				return Row{}, io.EOF
			}
			if err := s.fill(); err != nil {
				return Row{}, err
			}
			continue
		}
		line := s.line
		n, nl, st := s.scan()
		switch st {
		case more:
			if s.end-s.pos <= MaxRecordSize {
				if err := s.fill(); err != nil {
					return Row{}, err
				}
				continue
			}
			s.badCol, s.badErr = 0, ErrTooLong
			if s.inQuote {
				s.badErr = ErrUnterminated
			}
		case whole:
			if n > MaxRecordSize {
				s.badCol, s.badErr = 0, ErrTooLong
				break
			}
			text := s.text(n)
			if blank(text, s.fast, s.delim) {
				s.consume(n, nl)
				continue
			}
			row, err := r.build(line, text, reuse)
			s.consume(n, nl)
			return row, err
		}
		col, reason := s.badCol, s.badErr
		raw, err := s.skipLine()
		if err != nil {
			return Row{}, err
		}
		for i, v := range raw {
			raw[i] = strings.ReplaceAll(v, "\x00", "")
		}
		return Row{Line: line, Raw: raw, Fields: r.pad(raw)}, &RowError{Line: line, Column: col, Raw: raw, Err: reason}
	}
}

// blank reports whether a record's text holds nothing but spaces (and
// delimiters, when the text still has them).
func blank(text []byte, withDelims bool, delim byte) bool {
	for _, c := range text {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case withDelims && c == delim:
		default:
			return false
		}
	}
	return true
}

// build makes the Row for the record whose text is text and whose values
// are at s.bounds in it: one string for all values. Fields is Raw itself
// when no value needs trimming and the record is as wide as the header.
func (r *Reader) build(line int, text []byte, reuse bool) (Row, error) {
	b := r.s.bounds
	n := len(b) / 2
	w := n
	if r.header != nil {
		w = len(r.header)
	}
	var raw []string
	if reuse {
		if cap(r.rawS) < n {
			r.rawS = make([]string, n)
		}
		raw = r.rawS[:n]
	} else {
		raw = make([]string, n)
	}
	str := string(text)
	trim := false
	for i := range n {
		v := str[b[2*i]:b[2*i+1]]
		raw[i] = v
		trim = trim || needsTrim(v)
	}
	var err error
	if r.s.dec == nil && !utf8.ValidString(str) {
		for i := range raw {
			raw[i] = strings.ToValidUTF8(raw[i], "\ufffd")
		}
	}
	if strings.IndexByte(str, 0) >= 0 {
		for i := range raw {
			raw[i] = strings.ReplaceAll(raw[i], "\x00", "")
		}
		err = &RowError{Line: line, Raw: slices.Clone(raw), Err: ErrNUL}
	}
	fields := raw
	if trim || w != n {
		if reuse {
			if cap(r.fieldsS) < w {
				r.fieldsS = make([]string, w)
			}
			fields = r.fieldsS[:w]
		} else {
			fields = make([]string, w)
		}
		r.padInto(fields, raw)
	}
	return Row{Line: line, Fields: fields, Raw: raw}, err
}

// needsTrim reports whether v starts or ends with a space (or a control
// character, which TrimSpace may leave).
func needsTrim(v string) bool {
	if v == "" {
		return false
	}
	first, last := v[0], v[len(v)-1]
	switch {
	case first <= ' ' || last <= ' ':
		return true
	case first >= utf8.RuneSelf:
		if c, _ := utf8.DecodeRuneInString(v); unicode.IsSpace(c) {
			return true
		}
	}
	if last >= utf8.RuneSelf {
		c, _ := utf8.DecodeLastRuneInString(v)
		return unicode.IsSpace(c)
	}
	return false
}

// pad returns raw trimmed and fitted to the header's width.
func (r *Reader) pad(raw []string) []string {
	w := len(raw)
	if r.header != nil {
		w = len(r.header)
	}
	fields := make([]string, w)
	r.padInto(fields, raw)
	return fields
}

func (r *Reader) padInto(fields, raw []string) {
	for i := range fields {
		if i >= len(raw) {
			fields[i] = ""
			continue
		}
		v := raw[i]
		if needsTrim(v) {
			v = strings.TrimSpace(v)
		}
		fields[i] = v
	}
}
