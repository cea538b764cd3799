package vcard

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchCards writes n cards, a third each of 2.1 (quoted-printable,
// Windows-1252), 3.0 (Apple style, itemN labels) and 4.0.
func benchCards(n int) string {
	var b strings.Builder
	for i := range n {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=Windows-1252:M\xfcller%d;J\xfcrgen\r\nFN;CHARSET=Windows-1252:J\xfcrgen M\xfcller%d\r\n"+
				"TEL;WORK;VOICE:+49 30 %06d\r\nTEL;CELL:+49 170 %06d\r\nEMAIL;PREF;INTERNET:j%d@example.de\r\n"+
				"ADR;WORK;PREF;CHARSET=Windows-1252:;;Hauptstra\xdfe %d;Berlin;;10115;Deutschland\r\n"+
				"NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Erste Zeile=0D=0AZweite Zeile mit Umlaut =C3=BC und =\r\nmehr Text\r\n"+
				"BDAY:19800101\r\nEND:VCARD\r\n", i, i, i, i, i, i)
		case 1:
			fmt.Fprintf(&b, "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//macOS 14.4//EN\r\nN:Appleseed%d;John;;;\r\nFN:John Appleseed%d\r\n"+
				"ORG:Apple Inc.;\r\nTITLE:Engineer\r\nitem1.EMAIL;type=INTERNET;type=pref:john%d@example.com\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"+
				"TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-%04d\r\nitem2.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;United States\r\n"+
				"item2.X-ABADR:us\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\nCATEGORIES:Clients,VIP\r\nEND:VCARD\r\n", i, i, i, i%10000)
		default:
			fmt.Fprintf(&b, "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:00000000-0000-0000-0000-%012d\r\nFN:Simon Perreault%d\r\nN:Perreault%d;Simon;;;\r\n"+
				"EMAIL;TYPE=work;PREF=1:simon%d@viagenie.example\r\nTEL;VALUE=uri;TYPE=\"voice,home\":tel:+1-418-262-%04d\r\n"+
				"NOTE:A note that is long enough to be folded by a writer that folds at seven\r\n ty-five octets\\, with escapes\\n.\r\n"+
				"REV:20260102T030405Z\r\nEND:VCARD\r\n", i, i, i, i, i%10000)
		}
	}
	return b.String()
}

// BenchmarkDecode100k decodes a file of 100,000 cards per iteration and
// reports cards per second.
func BenchmarkDecode100k(b *testing.B) {
	const n = 100_000
	text := benchCards(n)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d := NewDecoder(strings.NewReader(text))
		count := 0
		for {
			_, _, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("decoded %d cards, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "cards/s")
}

// TestBenchCardsDecode keeps the benchmark's cards honest: each kind reads
// back as intended.
func TestBenchCardsDecode(t *testing.T) {
	got := readAll(t, benchCards(3))
	want := []Card{{
		FullName: "Jürgen Müller0", FirstName: "Jürgen", LastName: "Müller0",
		Phones:    []Value{{Text: "+49 30 000000", Label: "work"}, {Text: "+49 170 000000", Label: "mobile"}},
		Emails:    []Value{{Text: "j0@example.de", Preferred: true}},
		Addresses: []Address{{Label: "work", Street: "Hauptstraße 0", City: "Berlin", PostalCode: "10115", Country: "Deutschland"}},
		Note:      "Erste Zeile\nZweite Zeile mit Umlaut ü und mehr Text",
		Birthday:  "1980-01-01",
	}, {
		FullName: "John Appleseed1", FirstName: "John", LastName: "Appleseed1", Org: "Apple Inc.", Title: "Engineer",
		Emails:     []Value{{Text: "john1@example.com", Label: "other", Preferred: true}},
		Phones:     []Value{{Text: "+1 (408) 555-0001", Label: "mobile", Preferred: true}},
		Addresses:  []Address{{Label: "home", Street: "1 Infinite Loop", City: "Cupertino", Region: "CA", PostalCode: "95014", Country: "United States"}},
		Birthday:   "--04-12",
		Categories: []string{"Clients", "VIP"},
	}, {
		UID:      "urn:uuid:00000000-0000-0000-0000-000000000002",
		FullName: "Simon Perreault2", FirstName: "Simon", LastName: "Perreault2",
		Emails:   []Value{{Text: "simon2@viagenie.example", Label: "work", Preferred: true}},
		Phones:   []Value{{Text: "+1-418-262-0002", Label: "home"}},
		Note:     "A note that is long enough to be folded by a writer that folds at seventy-five octets, with escapes\n.",
		Revision: "20260102T030405Z",
	}}
	if len(got) != 3 {
		t.Fatalf("got %d results, want 3:\n%s", len(got), dump(got))
	}
	for i := range want {
		checkResults(t, got[i:i+1], []result{{line: got[i].line, card: want[i]}})
	}
}

// BenchmarkEncode writes one typical card (no photo) per iteration, as a
// vCard export of a list does; it reports cards per second.
func BenchmarkEncode(b *testing.B) {
	c := fullCard(b)
	c.Photo = nil
	b.ReportAllocs()
	for range b.N {
		if err := Encode(io.Discard, c, "4.0"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
}
