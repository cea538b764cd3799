package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rapportcrm/rapport/internal/csvfile"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/vcard"
)

// item is one row of a file, ready to import.
type item struct {
	// Line is where the row starts in the file.
	Line int
	// Raw is the row as read (CSV fields; a vCard's name and email), kept
	// for the error report when the row is rejected.
	Raw []string
	// Values are the row's values by field key (CSV), or nil.
	Values rowValues
	// fields are the row's CSV fields, fitted to the header.
	fields []string
	// Card is the row as a vCard, or nil.
	Card *vcard.Card
	// Problem is why the row cannot be read at all (a malformed CSV
	// record, a broken vCard).
	Problem error
}

// source reads the rows of a kept file.
type source interface {
	Next() (item, error) // io.EOF at the end
	Offset() int64       // bytes of the file read so far
	Close() error
}

// headSize is how much of a file format detection reads.
const headSize = 64 << 10

// inspect guesses the format of im's kept file and, for CSV, the
// encoding, delimiter, header and mapping.
func (s *Service) inspect(ctx context.Context, im *Import) error {
	f, err := os.Open(s.path(im.ID))
	if err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	defer f.Close()
	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("importer: %w", err)
	}
	head = head[:n]
	if looksLikeVCard(head) {
		if im.Object != Contacts {
			return fileProblem("This is a vCard file: vCards hold people, so import it as contacts.")
		}
		im.Format = VCard
		return nil
	}
	im.Format = CSV
	format, err := csvfile.Sniff(head)
	if err != nil {
		return csvProblem(err)
	}
	im.Encoding, im.Delimiter = format.Encoding, string(format.Delimiter)
	if err := s.reread(im); err != nil {
		return err
	}
	if empty, err := s.headerOnly(*im); err != nil || empty {
		if empty {
			return fileProblem("The file has a header row but no rows under it.")
		}
		return err
	}
	defs, err := s.customFields(ctx, im.Object)
	if err != nil {
		return err
	}
	im.Mapping = csvfile.Guess(im.Header, im.Object, customColumns(defs))
	return nil
}

// looksLikeVCard reports whether head starts (after a BOM and blank lines)
// with BEGIN:VCARD.
func looksLikeVCard(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(bytes.ToUpper(bytes.TrimLeft(head, " \t\r\n")), []byte("BEGIN:VCARD"))
}

// csvProblem turns a reading error into a message about the file.
func csvProblem(err error) error {
	switch {
	case errors.Is(err, csvfile.ErrEmpty):
		return fileProblem("The file is empty.")
	case errors.Is(err, csvfile.ErrNotCSV):
		return fileProblem("This file is not a CSV file (or a vCard). Export your data as CSV and try again.")
	case errors.Is(err, csvfile.ErrNoHeader):
		return fileProblem("The file has no header row: the first line must name the columns.")
	}
	return fileProblem("The file could not be read as CSV: " + err.Error())
}

// reread reads the header with im's encoding and delimiter.
func (s *Service) reread(im *Import) error {
	src, err := s.openCSV(*im)
	if err != nil {
		return err
	}
	defer src.Close()
	im.Header = src.r.Header()
	if len(im.Mapping) != len(im.Header) {
		im.Mapping = make([]string, len(im.Header))
	}
	return nil
}

func (s *Service) customFields(ctx context.Context, object string) ([]customfield.Field, error) {
	return customfield.ListFor(ctx, s.o.DB.R, object)
}

func customColumns(defs []customfield.Field) []csvfile.CustomField {
	out := make([]csvfile.CustomField, len(defs))
	for i, d := range defs {
		out[i] = csvfile.CustomField{Key: d.Key, Label: d.Label}
	}
	return out
}

// csvSource reads a kept CSV file.
type csvSource struct {
	f       *os.File
	r       *csvfile.Reader
	mapping []string
}

func (s *Service) openCSV(im Import) (*csvSource, error) {
	f, err := os.Open(s.path(im.ID))
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	var delim rune
	for _, r := range im.Delimiter {
		delim = r
		break
	}
	r, err := csvfile.NewReader(bufio.NewReaderSize(f, 256<<10), csvfile.Format{Encoding: im.Encoding, Delimiter: delim})
	if err != nil {
		f.Close()
		return nil, csvProblem(err)
	}
	return &csvSource{f: f, r: r, mapping: im.Mapping}, nil
}

func (c *csvSource) Next() (item, error) {
	row, err := c.r.Next()
	if errors.Is(err, io.EOF) {
		return item{}, io.EOF
	}
	var re *csvfile.RowError
	if errors.As(err, &re) {
		return item{Line: re.Line, Raw: re.Raw, Problem: fileProblem(re.Error())}, nil
	}
	if err != nil {
		return item{}, err
	}
	fields := append([]string(nil), row.Fields...)
	return item{Line: row.Line, Raw: append([]string(nil), row.Raw...), Values: collect(c.mapping, fields), fields: fields}, nil
}

func (c *csvSource) Offset() int64 { return c.r.Offset() }
func (c *csvSource) Close() error  { return c.f.Close() }

// vcardSource reads a kept vCard file.
type vcardSource struct {
	f  *os.File
	cr *countingReader
	d  *vcard.Decoder
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *Service) openVCard(im Import) (*vcardSource, error) {
	f, err := os.Open(s.path(im.ID))
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	cr := &countingReader{r: f}
	return &vcardSource{f: f, cr: cr, d: vcard.NewDecoder(bufio.NewReaderSize(cr, 256<<10))}, nil
}

func (v *vcardSource) Next() (item, error) {
	card, line, err := v.d.Next()
	if errors.Is(err, io.EOF) {
		return item{}, io.EOF
	}
	var ce *vcard.CardError
	if errors.As(err, &ce) {
		return item{Line: line, Raw: []string{strings.TrimSpace(card.FullName)}, Problem: fileProblem(ce.Error())}, nil
	}
	if err != nil {
		return item{}, err
	}
	raw := []string{card.FullName}
	for _, e := range card.Emails {
		raw = append(raw, e.Text)
	}
	return item{Line: line, Raw: raw, Card: &card}, nil
}

func (v *vcardSource) Offset() int64 { return v.cr.n }
func (v *vcardSource) Close() error  { return v.f.Close() }

func (s *Service) open(im Import) (source, error) {
	if im.Format == VCard {
		return s.openVCard(im)
	}
	return s.openCSV(im)
}

// headerOnly reports whether a CSV file has no row under its header.
func (s *Service) headerOnly(im Import) (bool, error) {
	src, err := s.openCSV(im)
	if err != nil {
		return false, err
	}
	defer src.Close()
	_, err = src.r.Next()
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	var re *csvfile.RowError
	if err != nil && !errors.As(err, &re) {
		return false, err
	}
	return false, nil
}
