package vcard

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// result is what one call of Next gave.
type result struct {
	line int
	card Card
	err  string // a part of the error's text; "" for none
}

// crlf turns the test's LF line ends into the CRLF most files have.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// readAll calls Next until io.EOF.
func readAll(t *testing.T, text string) []result {
	t.Helper()
	d := NewDecoder(strings.NewReader(text))
	var out []result
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("Next never returned io.EOF")
		}
		c, line, err := d.Next()
		if err == io.EOF {
			if _, _, again := d.Next(); again != io.EOF {
				t.Fatalf("Next after io.EOF = %v, want io.EOF again", again)
			}
			return out
		}
		r := result{line: line, card: c}
		if err != nil {
			var ce *CardError
			if !errors.As(err, &ce) {
				t.Fatalf("Next: %v (%T), want a *CardError", err, err)
			}
			if ce.Line != line {
				t.Errorf("CardError.Line = %d, Next's line = %d", ce.Line, line)
			}
			r.err = err.Error()
		}
		out = append(out, r)
	}
}

// checkResults compares cards and, for errors, the line and a part of the
// message.
func checkResults(t *testing.T, got, want []result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.line != w.line {
			t.Errorf("result %d: line %d, want %d", i, g.line, w.line)
		}
		switch {
		case w.err == "" && g.err != "":
			t.Errorf("result %d: error %q, want a card", i, g.err)
		case w.err != "" && !strings.Contains(g.err, w.err):
			t.Errorf("result %d: error %q, want one containing %q", i, g.err, w.err)
		case w.err == "" && !reflect.DeepEqual(g.card, w.card):
			t.Errorf("result %d:\n got %s\nwant %s", i, show(g.card), show(w.card))
		}
	}
}

func dump(rs []result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  line %d err %q %s\n", r.line, r.err, show(r.card))
	}
	return b.String()
}

func show(c Card) string {
	if c.Photo != nil {
		p := *c.Photo
		c.Photo = nil
		return fmt.Sprintf("%+v photo{%s %d bytes %q}", c, p.MediaType, len(p.Data), p.URL)
	}
	return fmt.Sprintf("%+v", c)
}

func TestDecodeVersions(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Card
	}{{
		name: "2.1 with bare type parameters",
		text: `BEGIN:VCARD
VERSION:2.1
N:Smith;John;Paul;Mr.;Jr.
FN:Mr. John Smith
TEL;WORK;VOICE:+1 555 0100
TEL;CELL:+1 555 0101
TEL;HOME;FAX:+1 555 0102
EMAIL;PREF;INTERNET:john@example.com
EMAIL;INTERNET;WORK:js@corp.example
ADR;WORK:;Suite 5;1 Main St;Springfield;IL;62701;USA
ORG:Corp Inc.;Sales
TITLE:Manager
URL;WORK:http://corp.example
BDAY:19700101
NOTE:Likes golf
CATEGORIES:Clients;VIP
UID:abc-123
REV:20240101T120000Z
END:VCARD
`,
		want: Card{
			UID: "abc-123", FullName: "Mr. John Smith",
			FirstName: "John", LastName: "Smith", MiddleName: "Paul", Prefix: "Mr.", Suffix: "Jr.",
			Emails: []Value{{Text: "john@example.com", Preferred: true}, {Text: "js@corp.example", Label: "work"}},
			Phones: []Value{{Text: "+1 555 0100", Label: "work"}, {Text: "+1 555 0101", Label: "mobile"}, {Text: "+1 555 0102", Label: "home fax"}},
			Org:    "Corp Inc.", Title: "Manager",
			Addresses:  []Address{{Label: "work", Street: "1 Main St\nSuite 5", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "USA"}},
			Birthday:   "1970-01-01",
			Note:       "Likes golf",
			Categories: []string{"Clients", "VIP"},
			URLs:       []Value{{Text: "http://corp.example", Label: "work"}},
			Revision:   "20240101T120000Z",
		},
	}, {
		name: "3.0 with TYPE= lists and pref",
		text: `BEGIN:VCARD
VERSION:3.0
FN:Jane Doe
N:Doe;Jane;;;
EMAIL;TYPE=INTERNET,HOME:jane@example.com
EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=pref:jane@corp.example
TEL;TYPE=WORK,FAX:+44 20 7946 0000
TEL;type=cell:+44 7700 900000
ADR;TYPE=HOME:;;10 Downing St;London;;SW1A 2AA;UK
BDAY:1985-04-12
CATEGORIES:Friends,Book club
END:VCARD
`,
		want: Card{
			FullName: "Jane Doe", FirstName: "Jane", LastName: "Doe",
			Emails:     []Value{{Text: "jane@example.com", Label: "home"}, {Text: "jane@corp.example", Label: "work", Preferred: true}},
			Phones:     []Value{{Text: "+44 20 7946 0000", Label: "work fax"}, {Text: "+44 7700 900000", Label: "mobile"}},
			Addresses:  []Address{{Label: "home", Street: "10 Downing St", City: "London", PostalCode: "SW1A 2AA", Country: "UK"}},
			Birthday:   "1985-04-12",
			Categories: []string{"Friends", "Book club"},
		},
	}, {
		name: "4.0 with PREF=, quoted TYPE, tel: and mailto: URIs",
		text: `BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Simon Perreault
N:Perreault;Simon;;;ing. jr,M.Sc.
EMAIL;TYPE=work;PREF=2:simon@viagenie.example
EMAIL;TYPE=home;PREF=1:simon@home.example
TEL;VALUE=uri;TYPE="voice,home";PREF=1:tel:+1-418-262-6501
TEL;VALUE=uri;TYPE="work,cell,voice,video,text":tel:+1-418-656-9254;ext=102
EMAIL:mailto:other@example.com
BDAY:--0203
URL;TYPE=home:https://simon.example
END:VCARD
`,
		want: Card{
			UID:      "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
			FullName: "Simon Perreault", FirstName: "Simon", LastName: "Perreault", Suffix: "ing. jr,M.Sc.",
			Emails: []Value{{Text: "simon@viagenie.example", Label: "work"}, {Text: "simon@home.example", Label: "home", Preferred: true}, {Text: "other@example.com"}},
			Phones: []Value{
				{Text: "+1-418-262-6501", Label: "home", Preferred: true},
				{Text: "+1-418-656-9254 ext. 102", Label: "work mobile video text"},
			},
			Birthday: "--02-03",
			URLs:     []Value{{Text: "https://simon.example", Label: "home"}},
		},
	}, {
		name: "no FN: the full name comes from N",
		text: "BEGIN:VCARD\nVERSION:2.1\nN:Curie;Marie;;Dr.;\nEND:VCARD\n",
		want: Card{FullName: "Dr. Marie Curie", FirstName: "Marie", LastName: "Curie", Prefix: "Dr."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, eol := range []string{"LF", "CRLF"} {
				text := tt.text
				if eol == "CRLF" {
					text = crlf(text)
				}
				checkResults(t, readAll(t, text), []result{{line: 1, card: tt.want}})
			}
		})
	}
}

func TestDecodeQuotedPrintableAndCharsets(t *testing.T) {
	tests := []struct {
		name string
		prop string // one line (or several) of a 2.1 card
		want Card
	}{
		{"QP UTF-8", "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller", Card{FullName: "Jürgen Müller"}},
		{"QP bare parameter, lower-case hex", "FN;QUOTED-PRINTABLE;CHARSET=utf-8:J=c3=bcrgen", Card{FullName: "Jürgen"}},
		{"QP soft line breaks", "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=AC=AC=E4=B8=80=E8=A1=8C=0D=0A=\n=E7=AC=AC=E4=BA=8C=E8=A1=8C=\n=E3=80=82\nFN:X",
			Card{FullName: "X", Note: "第一行\n第二行。"}},
		{"QP ISO-8859-1", "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Andr=E9 S=F8rensen", Card{FullName: "André Sørensen"}},
		{"QP Windows-1252 euro sign", "NOTE;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:Budget 5 000 =80\nFN:X", Card{FullName: "X", Note: "Budget 5 000 €"}},
		{"QP Shift_JIS", "FN;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=93=FA=96=7B", Card{FullName: "日本"}},
		{"raw 8-bit Windows-1252 with CHARSET", "FN;CHARSET=Windows-1252:M\xfcller", Card{FullName: "Müller"}},
		{"raw 8-bit without CHARSET is read as Windows-1252", "FN:Stra\xdfe \x80", Card{FullName: "Straße €"}},
		{"UTF-8 mislabelled as ISO-8859-1 stays UTF-8", "FN;CHARSET=ISO-8859-1:Müller", Card{FullName: "Müller"}},
		{"QP N with structured parts", "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B;=E5=B0=8F=E6=98=8E;;;",
			Card{FullName: "小明 王", FirstName: "小明", LastName: "王"}},
		{"QP soft line break before a space", "FN;ENCODING=QUOTED-PRINTABLE:Jean=\n Pierre=C3=A9", Card{FullName: "Jean Pierreé"}},
		{"a lone = is kept", "FN;ENCODING=QUOTED-PRINTABLE:a=b =3D c", Card{FullName: "a=b = c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := crlf("BEGIN:VCARD\nVERSION:2.1\n" + tt.prop + "\nEND:VCARD\n")
			checkResults(t, readAll(t, text), []result{{line: 1, card: tt.want}})
		})
	}
}

func TestDecodeUnknownCharset(t *testing.T) {
	text := "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=X-KLINGON:Qo\xffnoS\nEND:VCARD\n"
	checkResults(t, readAll(t, text), []result{{line: 1, err: `line 3 uses the character set "X-KLINGON"`}})
}

func TestDecodeGroupedLabels(t *testing.T) {
	text := `BEGIN:VCARD
VERSION:3.0
FN:Grouped
item1.EMAIL;type=INTERNET;type=pref:a@example.com
item1.X-ABLabel:_$!<Other>!$_
ITEM2.EMAIL;type=INTERNET:b@example.com
item2.X-ABLabel:Book club
item3.TEL:+1 555 0100
item3.X-ABLabel:_$!<Mobile>!$_
item4.TEL;type=WORK:+1 555 0101
item4.X-ABLabel:_$!<WorkFAX>!$_
item5.URL:https\://example.com
item5.X-ABLabel:_$!<HomePage>!$_
item6.ADR;type=HOME:;;1 Loop;Cupertino;CA;95014;USA
item6.X-ABADR:us
item7.ADR:;;2 Loop;Cupertino;CA;95014;USA
item7.X-ABLabel:Summer house
item8.URL:https://empty-label.example
item8.X-ABLabel:
END:VCARD
`
	want := Card{
		FullName: "Grouped",
		Emails:   []Value{{Text: "a@example.com", Label: "other", Preferred: true}, {Text: "b@example.com", Label: "Book club"}},
		Phones:   []Value{{Text: "+1 555 0100", Label: "mobile"}, {Text: "+1 555 0101", Label: "work fax"}},
		Addresses: []Address{
			{Label: "home", Street: "1 Loop", City: "Cupertino", Region: "CA", PostalCode: "95014", Country: "USA"},
			{Label: "Summer house", Street: "2 Loop", City: "Cupertino", Region: "CA", PostalCode: "95014", Country: "USA"},
		},
		URLs: []Value{{Text: "https://example.com", Label: "homepage"}, {Text: "https://empty-label.example"}},
	}
	checkResults(t, readAll(t, crlf(text)), []result{{line: 1, card: want}})
}

func TestDecodeFoldedLines(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Card
	}{
		{"CRLF and space", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alexan\r\n der Long\r\nNOTE:one\r\n  two\r\nEND:VCARD\r\n", Card{FullName: "Alexander Long", Note: "one two"}},
		{"LF and tab", "BEGIN:VCARD\nVERSION:4.0\nFN:Alexan\n\tder\nEND:VCARD\n", Card{FullName: "Alexander"}},
		{"fold inside a UTF-8 character", "BEGIN:VCARD\nVERSION:4.0\nFN:M\xc3\n \xbcller\nEND:VCARD\n", Card{FullName: "Müller"}},
		{"fold inside an escape", "BEGIN:VCARD\nVERSION:4.0\nFN:X\nNOTE:a\\\n ,b\\\n nc\nEND:VCARD\n", Card{FullName: "X", Note: "a,b\nc"}},
		{"folded parameters", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nEMAIL;TYPE=INTER\n NET,WORK:x@example.com\nEND:VCARD\n", Card{FullName: "X", Emails: []Value{{Text: "x@example.com", Label: "work"}}}},
		{"no newline at the end", "BEGIN:VCARD\nVERSION:3.0\nFN:Last\nEND:VCARD", Card{FullName: "Last"}},
		{"blank lines inside", "BEGIN:VCARD\n\nVERSION:3.0\n\nFN:Gaps\n\nEND:VCARD\n", Card{FullName: "Gaps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResults(t, readAll(t, tt.text), []result{{line: 1, card: tt.want}})
		})
	}
}

func TestDecodeEscapes(t *testing.T) {
	text := `BEGIN:VCARD
VERSION:3.0
FN:Smith\, John
N:O\;Brien;Mary\, Ann;;;
ORG:Ben\, Jerry\; and Co;Ice cream
NOTE:First line\nSecond line\NThird\\fourth\, fifth\; sixth\:seventh \q
ADR:;;1 Main St\nFloor 2;Town\;ville;;;
CATEGORIES:a\,b,c
TITLE:Head of R&D
END:VCARD
`
	want := Card{
		FullName: "Smith, John", FirstName: "Mary, Ann", LastName: "O;Brien",
		Org:        "Ben, Jerry; and Co",
		Note:       "First line\nSecond line\nThird\\fourth, fifth; sixth:seventh \\q",
		Addresses:  []Address{{Street: "1 Main St\nFloor 2", City: "Town;ville"}},
		Categories: []string{"a,b", "c"},
		Title:      "Head of R&D",
	}
	checkResults(t, readAll(t, text), []result{{line: 1, card: want}})
}

func TestDecodeBirthdays(t *testing.T) {
	tests := []struct {
		bday, want, err string
	}{
		{bday: "BDAY:19850412", want: "1985-04-12"},
		{bday: "BDAY:1985-04-12", want: "1985-04-12"},
		{bday: "BDAY:--0412", want: "--04-12"},
		{bday: "BDAY:--04-12", want: "--04-12"},
		{bday: "BDAY;VALUE=date:1985-04-12T00:00:00Z", want: "1985-04-12"},
		{bday: "BDAY:19960229", want: "1996-02-29"},
		{bday: "BDAY:--0229", want: "--02-29"},
		{bday: "BDAY:0000-07-04", want: "--07-04"},
		{bday: "BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-30", want: "--11-30"},
		{bday: "BDAY;VALUE=text:circa 1800", want: ""},
		{bday: "BDAY:19970229", err: `the birthday "19970229" on line 4 is not a date`},
		{bday: "BDAY:1985-13-01", err: "is not a date"},
		{bday: "BDAY:April 12", err: `"April 12"`},
	}
	for _, tt := range tests {
		t.Run(tt.bday, func(t *testing.T) {
			text := "BEGIN:VCARD\nVERSION:3.0\nFN:B\n" + tt.bday + "\nEND:VCARD\n"
			want := result{line: 1, card: Card{FullName: "B", Birthday: tt.want}, err: tt.err}
			checkResults(t, readAll(t, text), []result{want})
		})
	}
}

func TestDecodeManyCards(t *testing.T) {
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBF") // a UTF-8 byte-order mark
	const n = 250
	for i := range n {
		fmt.Fprintf(&b, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person %d\r\nEMAIL:p%d@example.com\r\nEND:VCARD\r\n", i, i)
		if i%50 == 0 {
			b.WriteString("\r\n") // a blank line between some cards
		}
	}
	got := readAll(t, b.String())
	if len(got) != n {
		t.Fatalf("got %d results, want %d", len(got), n)
	}
	line := 1
	for i, r := range got {
		want := Card{FullName: fmt.Sprintf("Person %d", i), Emails: []Value{{Text: fmt.Sprintf("p%d@example.com", i)}}}
		if r.err != "" || r.line != line || !reflect.DeepEqual(r.card, want) {
			t.Fatalf("card %d: line %d err %q %s, want line %d %s", i, r.line, r.err, show(r.card), line, show(want))
		}
		line += 5
		if i%50 == 0 {
			line++
		}
	}
}

func TestDecodeUTF16(t *testing.T) {
	text := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë\r\nEND:VCARD\r\n"
	le := []byte{0xFF, 0xFE}
	be := []byte{0xFE, 0xFF}
	for _, r := range text {
		le = append(le, byte(r), byte(r>>8))
		be = append(be, byte(r>>8), byte(r))
	}
	for name, data := range map[string][]byte{"LE with BOM": le, "BE with BOM": be, "LE without BOM": le[2:]} {
		t.Run(name, func(t *testing.T) {
			checkResults(t, readAll(t, string(data)), []result{{line: 1, card: Card{FullName: "Zoë"}}})
		})
	}
}

func TestDecodeBrokenCards(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []result
	}{{
		name: "a line that is not a property, in the middle",
		text: `BEGIN:VCARD
VERSION:3.0
FN:One
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Two
EMAIL:two@example.com
this line has no colon
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Three
END:VCARD
`,
		want: []result{
			{line: 1, card: Card{FullName: "One"}},
			{line: 5, err: `card at line 5 (Two): line 9 is not a vCard property (NAME:value): "this line has no colon"`},
			{line: 11, card: Card{FullName: "Three"}},
		},
	}, {
		name: "a card without END:VCARD before the next",
		text: "BEGIN:VCARD\nVERSION:3.0\nFN:Unended\nBEGIN:VCARD\nVERSION:3.0\nFN:Next\nEND:VCARD\n",
		want: []result{
			{line: 1, err: "(Unended): the card has no END:VCARD before the next card starts on line 4"},
			{line: 4, card: Card{FullName: "Next"}},
		},
	}, {
		name: "the file ends inside a card",
		text: "BEGIN:VCARD\nVERSION:3.0\nFN:Fine\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Cut",
		want: []result{
			{line: 1, card: Card{FullName: "Fine"}},
			{line: 5, err: "the card has no END:VCARD: the file ends first"},
		},
	}, {
		name: "text between and after cards",
		text: "BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nstray one\nstray two\nBEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCARD\n\ntrailing\n\x1a",
		want: []result{
			{line: 1, card: Card{FullName: "A"}},
			{line: 5, err: "lines 5 to 6 are outside any BEGIN:VCARD … END:VCARD"},
			{line: 7, card: Card{FullName: "B"}},
			{line: 12, err: "line 12 is outside any BEGIN:VCARD"},
		},
	}, {
		name: "text before the first card",
		text: "Exported contacts\n\nBEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\n",
		want: []result{
			{line: 1, err: "line 1 is outside any BEGIN:VCARD"},
			{line: 3, card: Card{FullName: "A"}},
		},
	}, {
		name: "a 2.1 AGENT card inside a card",
		text: "BEGIN:VCARD\nVERSION:2.1\nFN:Boss\nAGENT:\nBEGIN:VCARD\nVERSION:2.1\nFN:Assistant\nEND:VCARD\nTITLE:CEO\nEND:VCARD\n",
		want: []result{{line: 1, card: Card{FullName: "Boss", Title: "CEO"}}},
	}, {
		name: "a contact group is not a person",
		text: "BEGIN:VCARD\nVERSION:3.0\nFN:Book club\nX-ADDRESSBOOKSERVER-KIND:group\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:1\nEND:VCARD\n" +
			"BEGIN:VCARD\nVERSION:4.0\nKIND:group\nFN:Team\nMEMBER:urn:uuid:2\nEND:VCARD\n" +
			"BEGIN:VCARD\nVERSION:4.0\nKIND:individual\nFN:Member\nEND:VCARD\n",
		want: []result{
			{line: 1, err: "(Book club): the card is a contact group, not a person"},
			{line: 7, err: "(Team): the card is a contact group"},
			{line: 13, card: Card{FullName: "Member"}},
		},
	}, {
		name: "the error keeps the name, UID and emails only",
		text: "BEGIN:VCARD\nVERSION:3.0\nUID:u1\nFN:Partial\nEMAIL:p@example.com\nTITLE:Boss\nBDAY:yesterday\nEND:VCARD\n",
		want: []result{{line: 1, err: `card at line 1 (Partial): the birthday "yesterday" on line 7 is not a date`}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResults(t, readAll(t, tt.text), tt.want)
		})
	}

	t.Run("the card of an error", func(t *testing.T) {
		d := NewDecoder(strings.NewReader("BEGIN:VCARD\nVERSION:3.0\nUID:u1\nFN:Partial\nEMAIL:p@example.com\nTITLE:Boss\nBDAY:yesterday\nEND:VCARD\n"))
		c, _, err := d.Next()
		var ce *CardError
		if !errors.As(err, &ce) || ce.Name != "Partial" {
			t.Fatalf("err = %v, want a *CardError naming Partial", err)
		}
		want := Card{UID: "u1", FullName: "Partial", Emails: []Value{{Text: "p@example.com"}}}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("card = %s, want %s", show(c), show(want))
		}
	})
}

func TestDecodeNotVCard(t *testing.T) {
	tests := []struct {
		name, text, msg string
	}{
		{"empty", "", "the file is empty"},
		{"blank lines", "\r\n\r\n  \r\n", "the file is empty"},
		{"CSV", "name,email\nAda,ada@example.com\n", "no BEGIN:VCARD"},
		{"binary, no newline", strings.Repeat("\x89PNG\x00\x01\x02", 20000), "no BEGIN:VCARD"},
		{"BEGIN:VCARD after 64 KiB", strings.Repeat("x\n", 40<<10) + "BEGIN:VCARD\nFN:Late\nEND:VCARD\n", "no BEGIN:VCARD"},
		{"BEGIN:VCALENDAR", "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "no BEGIN:VCARD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(tt.text))
			_, _, err := d.Next()
			if !errors.Is(err, ErrNotVCard) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want ErrNotVCard saying %q", err, tt.msg)
			}
			if _, _, err := d.Next(); !errors.Is(err, ErrNotVCard) {
				t.Errorf("second Next = %v, want ErrNotVCard again", err)
			}
		})
	}
	t.Run("BEGIN:VCARD just inside 64 KiB", func(t *testing.T) {
		text := strings.Repeat("x\n", 30<<10) + "BEGIN:VCARD\nFN:Early\nEND:VCARD\n"
		got := readAll(t, text)
		if len(got) != 2 || got[1].card.FullName != "Early" {
			t.Fatalf("got %s, want the stray text reported, then the card", dump(got))
		}
	})
}

func TestDecodeCardTooLarge(t *testing.T) {
	note := strings.Repeat("0123456789abcdef", (MaxCardSize/16)+10)
	var b strings.Builder
	b.WriteString("BEGIN:VCARD\nVERSION:3.0\nFN:Huge\nNOTE:")
	// Folded the way writers do, so the size is over many lines.
	for i := 0; i < len(note); i += 74 {
		if i > 0 {
			b.WriteString("\n ")
		}
		b.WriteString(note[i:min(i+74, len(note))])
	}
	b.WriteString("\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Small\nEND:VCARD\n")
	next := strings.Count(b.String(), "\n") - 3
	one := "BEGIN:VCARD\nVERSION:3.0\nFN:Huge\nNOTE:" + note + "\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Small\nEND:VCARD\n"
	for name, tc := range map[string]struct {
		text string
		next int
	}{"folded": {b.String(), next}, "one line": {one, 6}} {
		t.Run(name, func(t *testing.T) {
			checkResults(t, readAll(t, tc.text), []result{
				{line: 1, err: "the card is larger than 10 MB"},
				{line: tc.next, card: Card{FullName: "Small"}},
			})
		})
	}
}

func TestDecodeRealWorldExports(t *testing.T) {
	jpeg := tinyJPEG(t)
	tests := []struct {
		name string
		text string
		want Card
	}{{
		name: "Google Contacts (3.0)",
		text: `BEGIN:VCARD
VERSION:3.0
FN:Ana García
N:García;Ana;;;
NICKNAME:Anita
EMAIL;TYPE=INTERNET;TYPE=HOME:ana@example.com
EMAIL;TYPE=INTERNET;TYPE=WORK:ana.garcia@acme.example
TEL;TYPE=CELL:+34 600 000 000
TEL;TYPE=WORK:+34 910 000 000
ADR;TYPE=HOME:;;Calle Mayor 1;Madrid;;28013;Spain
ORG:Acme S.L.
TITLE:Directora
BDAY:1985-04-12
item1.URL:https\://acme.example/ana
item1.X-ABLabel:
item2.EMAIL;TYPE=INTERNET:ana.old@example.com
item2.X-ABLabel:Old address
CATEGORIES:myContacts,Clientes
NOTE:Met at the fair\, 2023.\nCall in May.
END:VCARD
`,
		want: Card{
			FullName: "Ana García", FirstName: "Ana", LastName: "García",
			Emails: []Value{{Text: "ana@example.com", Label: "home"}, {Text: "ana.garcia@acme.example", Label: "work"}, {Text: "ana.old@example.com", Label: "Old address"}},
			Phones: []Value{{Text: "+34 600 000 000", Label: "mobile"}, {Text: "+34 910 000 000", Label: "work"}},
			Org:    "Acme S.L.", Title: "Directora",
			Addresses:  []Address{{Label: "home", Street: "Calle Mayor 1", City: "Madrid", PostalCode: "28013", Country: "Spain"}},
			Birthday:   "1985-04-12",
			Note:       "Met at the fair, 2023.\nCall in May.",
			Categories: []string{"Clientes"},
			URLs:       []Value{{Text: "https://acme.example/ana"}},
		},
	}, {
		name: "Apple Contacts (3.0)",
		text: `BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//macOS 14.4//EN
N:Appleseed;John;Q.;Dr.;Jr.
FN:Dr. John Q. Appleseed Jr.
ORG:Apple Inc.;Engineering
TITLE:Engineer
item1.EMAIL;type=INTERNET;type=pref:john@example.com
item1.X-ABLabel:_$!<Other>!$_
EMAIL;type=INTERNET;type=WORK:jappleseed@apple.example
TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0100
TEL;type=IPHONE;type=CELL;type=VOICE:+1 (408) 555-0101
item2.TEL:+1 408 555 0102
item2.X-ABLabel:Assistant
item3.ADR;type=HOME;type=pref:;;1 Infinite Loop\nBuilding 2;Cupertino;CA;95014;United States
item3.X-ABADR:us
item4.URL;type=pref:https://apple.example
item4.X-ABLabel:_$!<HomePage>!$_
BDAY;X-APPLE-OMIT-YEAR=1604:1604-02-29
` + "PHOTO;ENCODING=b;TYPE=JPEG:" + fold(b64(jpeg), "", " ") + `
X-ABUID:2E4CB084-4767-4C85-BBCA-805B1DCB1C8E:ABPerson
END:VCARD
`,
		want: Card{
			FullName: "Dr. John Q. Appleseed Jr.", FirstName: "John", LastName: "Appleseed", MiddleName: "Q.", Prefix: "Dr.", Suffix: "Jr.",
			Emails: []Value{{Text: "john@example.com", Label: "other", Preferred: true}, {Text: "jappleseed@apple.example", Label: "work"}},
			Phones: []Value{{Text: "+1 (408) 555-0100", Label: "mobile", Preferred: true}, {Text: "+1 (408) 555-0101", Label: "iphone mobile"}, {Text: "+1 408 555 0102", Label: "Assistant"}},
			Org:    "Apple Inc.", Title: "Engineer",
			Addresses: []Address{{Label: "home", Street: "1 Infinite Loop\nBuilding 2", City: "Cupertino", Region: "CA", PostalCode: "95014", Country: "United States"}},
			Birthday:  "--02-29",
			URLs:      []Value{{Text: "https://apple.example", Label: "homepage", Preferred: true}},
			Photo:     &Photo{MediaType: "image/jpeg", Data: jpeg},
		},
	}, {
		name: "Outlook (2.1, Windows-1252)",
		text: "BEGIN:VCARD\nVERSION:2.1\n" +
			"N;LANGUAGE=de;CHARSET=Windows-1252:M\xfcller;J\xfcrgen\n" +
			"FN;CHARSET=Windows-1252:J\xfcrgen M\xfcller\n" +
			"ORG:M\xfcller & S\xf6hne GmbH\n" +
			"TITLE;CHARSET=Windows-1252:Gesch\xe4ftsf\xfchrer\n" +
			"TEL;WORK;VOICE:+49 30 123456\nTEL;CELL;VOICE:+49 170 123456\nTEL;WORK;FAX:+49 30 123457\n" +
			"ADR;WORK;PREF;CHARSET=Windows-1252:;;Hauptstra\xdfe 5;Berlin;;10115;Deutschland\n" +
			"LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE;CHARSET=Windows-1252:Hauptstra=DFe 5=0D=0A=\nBerlin 10115\n" +
			"EMAIL;PREF;INTERNET:juergen@example.de\n" +
			"X-MS-OL-DEFAULT-POSTAL-ADDRESS:2\nREV:20240115T093000Z\nEND:VCARD\n",
		want: Card{
			FullName: "Jürgen Müller", FirstName: "Jürgen", LastName: "Müller",
			Org: "Müller & Söhne GmbH", Title: "Geschäftsführer",
			Phones:    []Value{{Text: "+49 30 123456", Label: "work"}, {Text: "+49 170 123456", Label: "mobile"}, {Text: "+49 30 123457", Label: "work fax"}},
			Addresses: []Address{{Label: "work", Street: "Hauptstraße 5", City: "Berlin", PostalCode: "10115", Country: "Deutschland"}},
			Emails:    []Value{{Text: "juergen@example.de", Preferred: true}},
			Revision:  "20240115T093000Z",
		},
	}, {
		name: "Android (2.1, QP and an indented base64 photo)",
		text: `BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B;=E5=B0=8F=E6=98=8E;;;
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B=E5=B0=8F=E6=98=8E
TEL;CELL:+86 138 0000 0000
TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=E5=B7=A5):+86 10 0000 0000
EMAIL;HOME:wang@example.cn
PHOTO;ENCODING=BASE64;JPEG:` + fold(b64(jpeg), "  ", "  ") + `

END:VCARD
`,
		want: Card{
			FullName: "王小明", FirstName: "小明", LastName: "王",
			Phones: []Value{{Text: "+86 138 0000 0000", Label: "mobile"}, {Text: "+86 10 0000 0000", Label: "工"}},
			Emails: []Value{{Text: "wang@example.cn", Label: "home"}},
			Photo:  &Photo{MediaType: "image/jpeg", Data: jpeg},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResults(t, readAll(t, crlf(tt.text)), []result{{line: 1, card: tt.want}})
		})
	}
}

func TestDecodeParameters(t *testing.T) {
	tests := []struct {
		name string
		prop string
		want Card
		err  string
	}{
		{name: "a colon inside a quoted parameter", prop: `EMAIL;X-NOTE="see: below";TYPE=home:x@example.com`,
			want: Card{FullName: "P", Emails: []Value{{Text: "x@example.com", Label: "home"}}}},
		{name: "4.0 LABEL with RFC 6868 escapes", prop: `ADR;LABEL="1 Main St^nSpringfield, IL ^'Home^'";TYPE=home:;;1 Main St;Springfield;IL;;`,
			want: Card{FullName: "P", Addresses: []Address{{Label: "home", Street: "1 Main St", City: "Springfield", Region: "IL"}}}},
		{name: "spaces and empty parameters", prop: "TEL; TYPE=WORK ;;type=fax:+1 555",
			want: Card{FullName: "P", Phones: []Value{{Text: "+1 555", Label: "work fax"}}}},
		{name: "lower-case names and a group on FN", prop: "item9.tel;type=cell:+1 556",
			want: Card{FullName: "P", Phones: []Value{{Text: "+1 556", Label: "mobile"}}}},
		{name: "Android custom label without encoding", prop: "TEL;X-CUSTOM(Zoom):+1 557",
			want: Card{FullName: "P", Phones: []Value{{Text: "+1 557", Label: "Zoom"}}}},
		{name: "unknown properties are ignored", prop: "X-SOCIALPROFILE;type=twitter:https://x.example/p\nIMPP:xmpp:p@example.com\nGEO:geo:1,2",
			want: Card{FullName: "P"}},
		{name: "several notes are joined", prop: "NOTE:one\nNOTE:two",
			want: Card{FullName: "P", Note: "one\n\ntwo"}},
		{name: "the first FN, N, ORG and TITLE win", prop: "FN:Q\nN:L1;F1;;;\nN:L2;F2;;;\nORG:O1\nORG:O2\nTITLE:T1\nTITLE:T2",
			want: Card{FullName: "P", FirstName: "F1", LastName: "L1", Org: "O1", Title: "T1"}},
		{name: "a property with no colon", prop: "TEL;TYPE=WORK",
			err: `line 4 is not a vCard property (NAME:value): "TEL;TYPE=WORK"`},
		{name: "a long bad line is cut short in the message", prop: strings.Repeat("no colon here ", 10),
			err: `"no colon here no colon here no colon her…"`},
		{name: "a line with no name", prop: ":value", err: "line 4 is not a vCard property"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "BEGIN:VCARD\nVERSION:3.0\nFN:P\n" + tt.prop + "\nEND:VCARD\n"
			checkResults(t, readAll(t, text), []result{{line: 1, card: tt.want, err: tt.err}})
		})
	}
}
