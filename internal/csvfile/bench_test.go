package csvfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// benchRows is how many rows one benchmark operation reads.
const benchRows = 1_000_000

// rowsReader is a CSV file of a header and n rows of ten columns, made
// as it is read by repeating a block of varied rows (quotes, commas and
// line breaks inside values, accents, emoji, right-to-left names).
type rowsReader struct {
	head, block []byte
	perBlock    int
	left        int // rows still to give
	cur         []byte
}

func newRowsReader(t testing.TB, n int, enc string) *rowsReader {
	firsts := []string{"Ada", "Zoë", "José", "محمد", "שרה", "Łukasz", "Søren", "Chloé", "Ana María", "Björn"}
	lasts := []string{"Lovelace", "Müller", "O'Brien", "العلي", "כהן", "Wiśniewski", "Kierkegaard", "Dubois", "García", "Borg"}
	companies := []string{"Acme", "\"Lovelace, Babbage & Co\"", "Initech", "Umbrella GmbH", "\"Globex \"\"Intl\"\"\"", "Stark"}
	notes := []string{"", "Met at the fair 🎉", "\"Call back\nafter lunch\"", "prefers email", "VIP; newsletter"}
	var b strings.Builder
	rows := 1000
	for i := range rows {
		fmt.Fprintf(&b, "%d,%s,%s,%s.%s%d@example.com,+44 20 7946 %04d,%s,London,GB,%02d/%02d/19%02d,%s\r\n",
			i, firsts[i%len(firsts)], lasts[i%len(lasts)], strings.ToLower(firsts[i%3]), "x", i,
			i, companies[i%len(companies)], 1+i%28, 1+i%12, 50+i%50, notes[i%len(notes)])
	}
	head := "id,first_name,last_name,email,phone,company,city,country,birthday,notes\r\n"
	r := &rowsReader{perBlock: rows, left: n}
	r.head = encode(t, head, enc)
	body := b.String()
	if enc == "windows-1252" {
		// Keep to the characters windows-1252 has.
		body, _ = encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).String(body)
		body, _ = charmap.Windows1252.NewDecoder().String(body)
	}
	if enc == "utf-16le" || enc == "utf-16be" {
		// One byte order mark at the start of the file, none per block.
		r.block = encode(t, body, enc)[2:]
	} else {
		r.block = encode(t, body, enc)
		if enc == "utf-8-bom" {
			r.block = r.block[3:]
		}
	}
	r.cur = r.head
	return r
}

// size is the file's length in bytes.
func (r *rowsReader) size() int64 {
	return int64(len(r.head)) + int64(r.left/r.perBlock)*int64(len(r.block))
}

func (r *rowsReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		if r.left <= 0 {
			return 0, io.EOF
		}
		r.cur = r.block
		r.left -= r.perBlock
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func BenchmarkReader(b *testing.B) {
	for _, bc := range []struct {
		name  string
		enc   string
		reuse bool
	}{
		{"utf-8", "utf-8", false},
		{"utf-8/reuse", "utf-8", true},
		{"windows-1252/reuse", "windows-1252", true},
		{"utf-16le/reuse", "utf-16le", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			size := newRowsReader(b, benchRows, bc.enc).size()
			b.SetBytes(size)
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cpuTime()
			start := time.Now()
			for range b.N {
				rd, err := NewReader(newRowsReader(b, benchRows, bc.enc), Format{Encoding: bc.enc, Delimiter: ','})
				if err != nil {
					b.Fatal(err)
				}
				rd.ReuseRecord = bc.reuse
				n := 0
				for {
					row, err := rd.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if len(row.Fields) != 10 {
						b.Fatalf("line %d: %d fields", row.Line, len(row.Fields))
					}
					n++
				}
				if n != benchRows || rd.Offset() != size {
					b.Fatalf("read %d rows, %d bytes; want %d, %d", n, rd.Offset(), benchRows, size)
				}
			}
			elapsed := time.Since(start)
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&ms1)
			rows := float64(b.N) * benchRows
			b.ReportMetric(rows/elapsed.Seconds(), "rows/s")
			b.ReportMetric(rows/cpu.Seconds(), "rows/cpu-s")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/rows, "allocs/row")
		})
	}
}

// BenchmarkEncodingCSV is the standard library's reader on the same
// file, for comparison: it neither decodes, trims nor pads.
func BenchmarkEncodingCSV(b *testing.B) {
	size := newRowsReader(b, benchRows, "utf-8").size()
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	start := time.Now()
	for range b.N {
		r := csv.NewReader(newRowsReader(b, benchRows, "utf-8"))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		n := 0
		for {
			_, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRows+1 {
			b.Fatalf("read %d records", n)
		}
	}
	b.ReportMetric(float64(b.N)*benchRows/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(b.N)*benchRows/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// cpuTime is the processor time the process has used, which other
// programs on a busy machine do not inflate as they do the elapsed time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
