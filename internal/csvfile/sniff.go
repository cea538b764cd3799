package csvfile

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/saintfish/chardet"
)

// SniffSize is how much of a file Sniff looks at.
const SniffSize = 64 << 10

// Sniff guesses the encoding and delimiter of a file from its first bytes
// (at most SniffSize of head is read; pass the whole file if it is
// shorter).
//
// The encoding: a byte order mark decides; else text that is valid UTF-8
// is UTF-8; else (after a check for UTF-16 without a mark) the chardet
// detector's answer is taken when it is a confident one for a language
// Western European encodings cannot write, and windows-1252 otherwise
// (Latin-1 files are windows-1252 files). The delimiter: of Delimiters,
// the one that splits the first records into the same number of values
// most consistently, outside quotes.
//
// Errors: ErrEmpty (no bytes), ErrNotCSV (binary data: NUL bytes, control
// characters, the start of a workbook, PDF or image), ErrNoHeader (only
// blank lines).
func Sniff(head []byte) (Format, error) {
	if len(head) > SniffSize {
		head = head[:SniffSize]
	}
	if len(head) == 0 {
		return Format{}, ErrEmpty
	}
	enc, err := sniffEncoding(head)
	if err != nil {
		return Format{}, err
	}
	text, err := decodeHead(head, enc)
	if err != nil {
		return Format{}, err
	}
	if len(text) == 0 {
		return Format{}, ErrEmpty
	}
	if !isText(text) {
		return Format{}, ErrNotCSV
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return Format{}, ErrNoHeader
	}
	return Format{Encoding: enc, Delimiter: sniffDelimiter(text, len(head) == SniffSize)}, nil
}

// signatures are the starts of files people upload by mistake.
var signatures = []struct{ magic, what string }{
	{"PK\x03\x04", "an Excel workbook or another zip archive; save it as CSV"},
	{"\xd0\xcf\x11\xe0", "an Excel 97–2003 workbook; save it as CSV"},
	{"%PDF-", "a PDF document"},
	{"\x89PNG", "an image"},
	{"GIF8", "an image"},
	{"\xff\xd8\xff", "an image"},
	{"\x1f\x8b", "a gzip archive"},
}

// sniffEncoding guesses the encoding of head.
func sniffEncoding(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte(bomUTF8)):
		return "utf-8-bom", nil
	case bytes.HasPrefix(head, []byte(bomUTF16LE)):
		return "utf-16le", nil
	case bytes.HasPrefix(head, []byte(bomUTF16BE)):
		return "utf-16be", nil
	}
	for _, sig := range signatures {
		if bytes.HasPrefix(head, []byte(sig.magic)) {
			return "", fmt.Errorf("%w: it is %s", ErrNotCSV, sig.what)
		}
	}
	trimmed := bytes.ToLower(bytes.TrimSpace(head[:min(len(head), 64)]))
	for _, markup := range []string{"<?xml", "<!doctype html", "<html"} {
		if bytes.HasPrefix(trimmed, []byte(markup)) {
			return "", fmt.Errorf("%w: it is a web page or an XML file", ErrNotCSV)
		}
	}
	if enc := utf16WithoutBOM(head); enc != "" {
		return enc, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "", ErrNotCSV
	}
	if validUTF8Prefix(head) {
		return "utf-8", nil
	}
	return detectCharset(head), nil
}

// validUTF8Prefix reports whether head is valid UTF-8, allowing it to end
// in the middle of a character (it may be cut from a longer file).
func validUTF8Prefix(head []byte) bool {
	for i := 0; i < utf8.UTFMax && i < len(head); i++ {
		if utf8.Valid(head[:len(head)-i]) {
			tail := head[len(head)-i:]
			return i == 0 || !utf8.FullRune(tail) && tail[0] >= 0xc0
		}
	}
	return false
}

// utf16WithoutBOM recognises UTF-16 text without a byte order mark by the
// zero bytes of its ASCII characters, all on the same side.
func utf16WithoutBOM(head []byte) string {
	n := min(len(head), 4096) &^ 1
	if n < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 >= pairs*3 && even*20 <= pairs:
		return "utf-16le"
	case even*10 >= pairs*3 && odd*20 <= pairs:
		return "utf-16be"
	}
	return ""
}

// charsets maps the detector's answers for scripts other than the Latin
// one to the encodings read here.
var charsets = map[string]string{
	"ISO-8859-5": "iso-8859-5", "windows-1251": "windows-1251", "KOI8-R": "koi8-r",
	"ISO-8859-6": "iso-8859-6", "windows-1256": "windows-1256",
	"ISO-8859-7": "iso-8859-7", "windows-1253": "windows-1253",
	"ISO-8859-8": "iso-8859-8", "ISO-8859-8-I": "iso-8859-8", "windows-1255": "windows-1255",
	"Shift_JIS": "shift_jis", "EUC-JP": "euc-jp", "GB-18030": "gb18030", "Big5": "big5", "EUC-KR": "euc-kr",
}

// detectCharset guesses the encoding of text that is not UTF-8. Text whose
// letters are mostly ASCII is in the Latin script, and the detector
// cannot tell its encodings apart well on a few names and addresses: it
// is read as windows-1252. For other text the detector's likeliest
// answer among the encodings of other scripts is taken, if decoding with
// it gives clean text.
func detectCharset(head []byte) string {
	const fallback = "windows-1252"
	var ascii, high int
	for _, c := range head {
		switch {
		case c >= 0x80:
			high++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			ascii++
		}
	}
	if high*10 < (ascii+high)*3 {
		if centralEuropean(head) {
			return "windows-1250"
		}
		return fallback
	}
	res, err := chardet.NewTextDetector().DetectAll(head)
	if err != nil {
		return fallback
	}
	for _, r := range res {
		enc, ok := charsets[r.Charset]
		if !ok {
			continue
		}
		if text, err := decodeHead(head, enc); err == nil && isText(text) && !bytes.ContainsRune(text, utf8.RuneError) {
			return enc
		}
	}
	return fallback
}

// centralEuropean reports whether Latin text has at least two of the
// bytes that are letters in windows-1250 (ł, ą, Ł, Ą, ź, Ź, ľ, Ľ) but
// symbols in windows-1252 (³, ¹, £, ¥, Ÿ, , ¾, ¼) next to a letter:
// Polish, Slovak, Czech names written on Windows.
func centralEuropean(head []byte) bool {
	letter := func(i int) bool {
		if i < 0 || i >= len(head) {
			return false
		}
		c := head[i]
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0xc0
	}
	n := 0
	for i, c := range head {
		switch c {
		case 0xb3, 0xb9, 0xa3, 0xa5, 0x9f, 0x8f, 0xbe, 0xbc:
			if letter(i-1) || letter(i+1) {
				n++
			}
		}
	}
	return n >= 2
}

// decodeHead decodes the first bytes of a file, without a byte order mark.
func decodeHead(head []byte, enc string) ([]byte, error) {
	c, err := lookupCodec(enc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	r := &Reader{}
	r.s.src, r.s.width, r.s.buf = bytes.NewReader(head), c.width, make([]byte, bufSize)
	if err := r.start(c); err != nil {
		if errors.Is(err, ErrEmpty) {
			return nil, nil
		}
		return nil, err
	}
	s := &r.s
	out.Write(s.buf[s.pos:s.end])
	for !s.eof {
		s.pos = s.end
		if err := s.fill(); err != nil {
			return nil, err
		}
		out.Write(s.buf[s.pos:s.end])
	}
	return out.Bytes(), nil
}

// isText reports whether decoded text looks like text: no NUL, and
// hardly any other control characters or undecodable bytes.
func isText(text []byte) bool {
	if bytes.IndexByte(text, 0) >= 0 {
		return false
	}
	var bad, all int
	for i := 0; i < len(text); {
		c, size := utf8.DecodeRune(text[i:])
		i += size
		all++
		switch {
		case c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0x1a:
		case c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || c == utf8.RuneError:
			bad++
		}
	}
	return bad <= 2+all/100
}

// sampleRecords is how many records the delimiter is guessed from.
const sampleRecords = 100

// sniffDelimiter picks the delimiter that splits the first records most
// consistently: the most records with the same number of values (two or
// more), then the header with that number too, then the most values.
func sniffDelimiter(text []byte, truncated bool) rune {
	type cand struct {
		d           rune
		counts      []int
		mode        int
		consistency float64
	}
	var cands []cand
	first := -1
	for _, d := range Delimiters {
		counts := fieldCounts(text, byte(d), truncated)
		freq := map[int]int{}
		mode := 0
		for i, n := range counts {
			if n < 2 {
				continue
			}
			if first < 0 || i < first {
				first = i
			}
			freq[n]++
			if freq[n] > freq[mode] || freq[n] == freq[mode] && n > mode {
				mode = n
			}
		}
		if mode == 0 {
			continue
		}
		cands = append(cands, cand{d, counts, mode, float64(freq[mode]) / float64(len(counts))})
	}
	if len(cands) == 0 {
		return ','
	}
	best := 0.0
	for _, c := range cands {
		best = max(best, c.consistency)
	}
	var pick *cand
	headerFits := func(c *cand) bool { return first < len(c.counts) && c.counts[first] == c.mode }
	for i := range cands {
		c := &cands[i]
		if c.consistency < best-0.1 {
			continue
		}
		switch {
		case pick == nil:
			pick = c
		case headerFits(c) != headerFits(pick):
			if headerFits(c) {
				pick = c
			}
		case c.mode > pick.mode:
			pick = c
		}
	}
	return pick.d
}

// fieldCounts splits the first records of text with delim and returns how
// many values each has; blank records are left out, and so is the last
// one of a truncated text, which may be cut short.
func fieldCounts(text []byte, delim byte, truncated bool) []int {
	r := &Reader{}
	r.s = scanner{src: bytes.NewReader(text), line: 1, buf: make([]byte, bufSize)}
	r.s.setDelim(delim)
	var counts []int
	for len(counts) <= sampleRecords {
		row, err := r.record(false)
		var re *RowError
		if err != nil && !errors.As(err, &re) {
			break
		}
		counts = append(counts, len(row.Raw))
	}
	if truncated && len(counts) > 1 && len(counts) <= sampleRecords {
		if last := text[len(text)-1]; last != '\n' && last != '\r' {
			counts = counts[:len(counts)-1]
		}
	}
	if len(counts) > sampleRecords {
		counts = counts[:sampleRecords]
	}
	return counts
}
