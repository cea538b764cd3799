// Package csvfile reads the CSV files people bring to an import: it guesses
// a file's encoding and delimiter from its first bytes (Sniff), reads its
// records one at a time in constant memory (Reader), maps its header to
// Rapport's fields for the exports of common address books and CRMs
// (Presets, Guess) and reads the dates such files hold (ParseDate).
//
// It knows nothing of the database: the import service decides what a row
// becomes.
package csvfile

import (
	"errors"
	"fmt"
)

// Format is how a file is written: its character encoding and the
// delimiter between fields. Sniff guesses it; the person importing may
// choose another.
type Format struct {
	// Encoding is one of Encodings: "utf-8", "utf-8-bom", "utf-16le",
	// "utf-16be", "windows-1252" (Latin-1 files are read as windows-1252,
	// its superset) or one of the other encodings listed there.
	Encoding string
	// Delimiter is ',', ';', '\t' or '|' (any ASCII character other than a
	// quote or a line break is accepted).
	Delimiter rune
}

// Encodings are the encodings a Format may name, the common ones first:
// what the import wizard offers to choose from.
var Encodings = []string{
	"utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252",
	"windows-1250", "iso-8859-2", "windows-1251", "koi8-r", "iso-8859-5",
	"windows-1253", "iso-8859-7", "windows-1254", "windows-1255", "iso-8859-8",
	"windows-1256", "iso-8859-6", "iso-8859-15",
	"shift_jis", "euc-jp", "gb18030", "big5", "euc-kr",
}

// Delimiters are the delimiters Sniff chooses from, in the order it
// prefers them when a file fits several equally well.
var Delimiters = []rune{',', ';', '\t', '|'}

// MaxRecordSize is the most text one record may hold (1 MiB). A longer
// record, most often a quote that is never closed, is reported as a
// malformed row and reading goes on with the line after the one it
// started on.
const MaxRecordSize = 1 << 20

// Errors about a whole file.
var (
	// ErrEmpty means the file has no bytes (or only a byte order mark).
	ErrEmpty = errors.New("the file is empty")
	// ErrNotCSV means the file is not text: it holds NUL bytes or other
	// binary data (a spreadsheet workbook, an image, a PDF).
	ErrNotCSV = errors.New("the file is not a CSV text file")
	// ErrNoHeader means the file holds only blank lines.
	ErrNoHeader = errors.New("the file has no header row")
	// ErrFormat means a Format names an unknown encoding or a delimiter
	// that cannot be used.
	ErrFormat = errors.New("unsupported encoding or delimiter")
)

// Reasons a single record is malformed; RowError.Err is one of them.
var (
	// ErrBareQuote is a quote inside a value that does not start with one.
	ErrBareQuote = errors.New(`a quote (") inside a value that is not quoted; quote the whole value and double the quote ("")`)
	// ErrQuote is text right after the quote that closes a quoted value.
	ErrQuote = errors.New(`text after the closing quote of a quoted value; double a quote ("") that belongs to the value`)
	// ErrUnterminated is a quoted value that is never closed.
	ErrUnterminated = errors.New("a quoted value is never closed")
	// ErrTooLong is a record longer than MaxRecordSize.
	ErrTooLong = fmt.Errorf("the row is longer than %d KiB", MaxRecordSize>>10)
	// ErrNUL is a record holding a NUL byte, a sign of binary data.
	ErrNUL = errors.New("the row holds a NUL byte (binary data)")
)

// RowError is a malformed record. Reader.Next returns it, with the row as
// far as it could be read, and reading can go on: the next call starts on
// the line after the one the malformed record started on.
type RowError struct {
	// Line is the 1-based physical line the record starts on.
	Line int
	// Column is the 1-based field the problem is in (0 for the whole row).
	Column int
	// Raw is the record's first line split leniently (quotes that do not
	// parse are kept as text), for an error report the user can fix and
	// import again.
	Raw []string
	// Err says what is wrong: ErrBareQuote, ErrQuote, ErrUnterminated,
	// ErrTooLong or ErrNUL.
	Err error
}

// Error says where and what, in words a person understands.
func (e *RowError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d, field %d: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Unwrap returns the reason, so errors.Is(err, ErrBareQuote) works.
func (e *RowError) Unwrap() error { return e.Err }

// Row is one record of a file. Fields and Raw may be the same slice (when
// no value needs trimming and the record is as wide as the header): treat
// both as read-only.
type Row struct {
	// Line is the 1-based physical line the record starts on; line breaks
	// inside quoted values count, so it matches what an editor shows.
	Line int
	// Fields are the record's values trimmed of surrounding spaces, padded
	// with "" or cut to the header's width, one per header column.
	Fields []string
	// Raw are the record's values as read, as many as the record has.
	Raw []string
}
