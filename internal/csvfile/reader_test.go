package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// encode writes UTF-8 text in the named encoding, with a byte order mark
// for utf-8-bom and the UTF-16 encodings.
func encode(t testing.TB, text, enc string) []byte {
	t.Helper()
	var e encoding.Encoding
	switch enc {
	case "utf-8":
		return []byte(text)
	case "utf-8-bom":
		return append([]byte(bomUTF8), text...)
	case "utf-16le":
		e = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	case "utf-16be":
		e = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case "utf-16le-nobom":
		e = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case "windows-1252":
		e = charmap.Windows1252
	case "windows-1250":
		e = charmap.Windows1250
	case "shift_jis":
		e = japanese.ShiftJIS
	default:
		c, err := lookupCodec(enc)
		if err != nil {
			t.Fatal(err)
		}
		e = c.enc
	}
	b, err := e.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatalf("encode %s: %v", enc, err)
	}
	return b
}

// result is everything a Reader gives for a file.
type result struct {
	header []string
	rows   []Row
	errs   []*RowError
	// offsets are Offset after each row.
	offsets []int64
}

// readAll reads a whole file, copying each row.
func readAll(t testing.TB, r io.Reader, f Format) (result, error) {
	t.Helper()
	rd, err := NewReader(r, f)
	if err != nil {
		return result{}, err
	}
	res := result{header: rd.Header()}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			res.offsets = append(res.offsets, rd.Offset())
			return res, nil
		}
		var re *RowError
		if errors.As(err, &re) {
			res.errs = append(res.errs, re)
			res.offsets = append(res.offsets, rd.Offset())
			continue
		}
		if err != nil {
			return res, err
		}
		res.rows = append(res.rows, Row{Line: row.Line, Fields: slices.Clone(row.Fields), Raw: slices.Clone(row.Raw)})
		res.offsets = append(res.offsets, rd.Offset())
	}
}

// lines gives each row's line and fields, for comparing.
func (r result) lines() string {
	var b strings.Builder
	for _, row := range r.rows {
		fmt.Fprintf(&b, "%d:%q\n", row.Line, row.Fields)
	}
	return b.String()
}

const people = "Name,City,Note\r\n" +
	"René Müller,Köln,costs 5 €\r\n" +
	"Zoë Ærø,Zürich,\"a, b\"\r\n" +
	"Ñandú,Saint-Étienne,\"multi\r\nline ü\"\r\n"

func TestEncodings(t *testing.T) {
	for _, enc := range []string{"utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252"} {
		t.Run(enc, func(t *testing.T) {
			data := encode(t, people, enc)
			f, err := Sniff(data)
			if err != nil {
				t.Fatal(err)
			}
			if f.Encoding != enc || f.Delimiter != ',' {
				t.Fatalf("Sniff = %q %q, want %q ','", f.Encoding, f.Delimiter, enc)
			}
			res, err := readAll(t, bytes.NewReader(data), f)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"Name", "City", "Note"}; !slices.Equal(res.header, want) {
				t.Errorf("header = %q, want %q", res.header, want)
			}
			want := "2:[\"René Müller\" \"Köln\" \"costs 5 €\"]\n" +
				"3:[\"Zoë Ærø\" \"Zürich\" \"a, b\"]\n" +
				"4:[\"Ñandú\" \"Saint-Étienne\" \"multi\\nline ü\"]\n"
			if got := res.lines(); got != want {
				t.Errorf("rows:\n%s\nwant:\n%s", got, want)
			}
			if got := res.offsets[len(res.offsets)-1]; got != int64(len(data)) {
				t.Errorf("Offset at the end = %d, want %d", got, len(data))
			}
			// Offset after the first row is the bytes of the header and
			// that row in this encoding.
			lead := encode(t, "Name,City,Note\r\nRené Müller,Köln,costs 5 €\r\n", enc)
			if got := res.offsets[0]; got != int64(len(lead)) {
				t.Errorf("Offset after row 1 = %d, want %d", got, len(lead))
			}
		})
	}
}

func TestOtherEncodings(t *testing.T) {
	tests := []struct {
		enc, text string
	}{
		{"windows-1251", "Имя,Фамилия,Город\nИван,Петров,Москва\nОльга,Смирнова,Санкт-Петербург\n"},
		{"koi8-r", "Имя,Фамилия,Город\nИван,Петров,Москва\nОльга,Смирнова,Санкт-Петербург\n"},
		{"windows-1256", "الاسم,العائلة,المدينة\nمحمد,العلي,الرياض\nفاطمة,الحسن,القاهرة\n"},
		{"shift_jis", "名前,会社,住所\n山田太郎,株式会社テスト,東京都千代田区\n佐藤花子,サンプル商事,大阪府大阪市\n"},
		{"gb18030", "姓名,公司,城市\n张伟,北京科技有限公司,北京\n王芳,上海贸易公司,上海\n"},
		{"euc-kr", "이름,회사,도시\n김민준,삼성전자,서울\n이서연,현대자동차,부산\n"},
		{"windows-1250", "Imię,Nazwisko,Miasto\nŁukasz,Wiśniewski,Łódź\nMałgorzata,Kowalczyk,Gdańsk\n"},
		{"utf-16le", "Name;Email\nÅsa;asa@example.com\n"},
	}
	for _, tt := range tests {
		t.Run(tt.enc, func(t *testing.T) {
			data := encode(t, tt.text, tt.enc)
			if tt.enc == "utf-16le" {
				data = encode(t, tt.text, "utf-16le-nobom")
			}
			f, err := Sniff(data)
			if err != nil {
				t.Fatal(err)
			}
			if f.Encoding != tt.enc {
				t.Fatalf("Sniff encoding = %q, want %q", f.Encoding, tt.enc)
			}
			res, err := readAll(t, bytes.NewReader(data), f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(tt.text), "\n")
			if got := strings.Join(res.header, string(f.Delimiter)); got != lines[0] {
				t.Errorf("header = %q, want %q", got, lines[0])
			}
			if got := strings.Join(res.rows[len(res.rows)-1].Raw, string(f.Delimiter)); got != lines[len(lines)-1] {
				t.Errorf("last row = %q, want %q", got, lines[len(lines)-1])
			}
			if got := res.offsets[len(res.offsets)-1]; got != int64(len(data)) {
				t.Errorf("Offset at the end = %d, want %d", got, len(data))
			}
		})
	}
}

func TestWesternStaysWindows1252(t *testing.T) {
	for _, text := range []string{
		"Prénom;Nom;Ville\nRené;Lefèvre;Orléans\nZoé;Müller;Köln\nŒuvre;cœur;5 €\n",
		"Vorname,Nachname,Straße\nJürgen,Größe,Hauptstraße 5\nÄnne,Öztürk,Weg\n",
		"Nombre,Ciudad,Nota\nJosé,Málaga,¿Qué tal?\nNúñez,A Coruña,£50\n",
		"Name,Note\nCafé,5 €\n",
	} {
		f, err := Sniff(encode(t, text, "windows-1252"))
		if err != nil || f.Encoding != "windows-1252" {
			t.Errorf("Sniff(%.20q) = %q, %v; want windows-1252", text, f.Encoding, err)
		}
	}
}

func TestDelimiters(t *testing.T) {
	tests := []struct {
		name string
		text string
		want rune
	}{
		{"comma", "Name,Email,Note\nAda,ada@example.com,likes tea; coffee\nBob,bob@example.com,x\n", ','},
		{"semicolon with decimal commas", "Name;Price;Amount\nAda;1,50;2,75\nBob;3,10;4,00\n", ';'},
		{"tab with commas in values", "Name\tCompany\tNote\nAda\tLovelace, Ltd\ta, b, c\nBob\tAcme\tnone\n", '\t'},
		{"pipe", "Name|Email|City\nAda|ada@example.com|London\nBob|bob@example.com|Paris, France\n", '|'},
		{"quoted commas in a semicolon file", "Name;Address\n\"Ada\";\"1, Main St, London\"\n\"Bob\";\"2, High St, Leeds\"\n", ';'},
		{"one column", "Email\nada@example.com\nbob@example.com\n", ','},
		{"header only", "First Name;Last Name;Email\n", ';'},
		{"tags column with semicolons", "Name,Email,Tags\nAda,a@x.com,a;b;c;d\nBob,b@x.com,e;f;g;h\n", ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Sniff([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if f.Delimiter != tt.want {
				t.Fatalf("Delimiter = %q, want %q", f.Delimiter, tt.want)
			}
			res, err := readAll(t, strings.NewReader(tt.text), f)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range res.rows {
				if len(row.Raw) != len(res.header) {
					t.Errorf("line %d has %d values, header %d", row.Line, len(row.Raw), len(res.header))
				}
			}
		})
	}
}

func TestRecords(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		header string
		want   string // "line:fields" per row
		errs   []string
	}{
		{
			name:   "quoted newlines keep line numbers",
			text:   "Name,Notes,Email\r\nAda,\"line one\r\nline two\r\nline three\",ada@x\r\nBob,plain,bob@x\r\n\"Cy \"\"the\"\" Guy\",\"a\nb\",cy@x\n",
			header: `["Name" "Notes" "Email"]`,
			want: "2:[\"Ada\" \"line one\\nline two\\nline three\" \"ada@x\"]\n" +
				"5:[\"Bob\" \"plain\" \"bob@x\"]\n" +
				"6:[\"Cy \\\"the\\\" Guy\" \"a\\nb\" \"cy@x\"]\n",
		},
		{
			name:   "blank lines and empty records are skipped",
			text:   "\n\n  \nName,Email\n\nAda,a@x\n   \n,,\n\"\",\nBob,b@x\n\n",
			header: `["Name" "Email"]`,
			want:   "6:[\"Ada\" \"a@x\"]\n10:[\"Bob\" \"b@x\"]\n",
		},
		{
			name:   "ragged rows are padded and cut",
			text:   "A,B,C\n1\n1,2,3,4,5\n1,2,3\n",
			header: `["A" "B" "C"]`,
			want:   "2:[\"1\" \"\" \"\"]\n3:[\"1\" \"2\" \"3\"]\n4:[\"1\" \"2\" \"3\"]\n",
		},
		{
			name:   "values are trimmed, header too",
			text:   " Name , Email \n  Ada  ,\ta@x \n",
			header: `["Name" "Email"]`,
			want:   "2:[\"Ada\" \"a@x\"]\n",
		},
		{
			name:   "spaces around quoted values",
			text:   "Name, City\nAda, \"London, UK\" \n",
			header: `["Name" "City"]`,
			want:   "2:[\"Ada\" \"London, UK\"]\n",
		},
		{
			name:   "emoji and right-to-left names",
			text:   "Name,Company\n👩‍💻 Ada 🎉,Rocket 🚀\nمحمد العلي,شركة\nשרה כהן,\"חברה בע\"\"מ\"\n",
			header: `["Name" "Company"]`,
			want:   "2:[\"👩\\u200d💻 Ada 🎉\" \"Rocket 🚀\"]\n3:[\"محمد العلي\" \"شركة\"]\n4:[\"שרה כהן\" \"חברה בע\\\"מ\"]\n",
		},
		{
			name:   "bare quote is one bad row",
			text:   "Name,Email\nAda,a@x\nBob \"the builder\",b@x\nCy,c@x\n",
			header: `["Name" "Email"]`,
			want:   "2:[\"Ada\" \"a@x\"]\n4:[\"Cy\" \"c@x\"]\n",
			errs:   []string{`line 3, field 1: a quote (") inside a value that is not quoted`},
		},
		{
			name:   "text after a closing quote",
			text:   "Name,Email\n\"Ada\"x,a@x\nBob,b@x\n",
			header: `["Name" "Email"]`,
			want:   "3:[\"Bob\" \"b@x\"]\n",
			errs:   []string{"line 2, field 1: text after the closing quote"},
		},
		{
			name:   "a quote never closed costs one row",
			text:   "Name,Email\n\"Ada,a@x\nBob,b@x\nCy,c@x\n",
			header: `["Name" "Email"]`,
			want:   "3:[\"Bob\" \"b@x\"]\n4:[\"Cy\" \"c@x\"]\n",
			errs:   []string{"line 2, field 1: a quoted value is never closed"},
		},
		{
			name:   "a quote never closed before other quotes",
			text:   "Name,Email\n\"Ada,a@x\n\"Bob\",b@x\nCy,c@x\n",
			header: `["Name" "Email"]`,
			want:   "3:[\"Bob\" \"b@x\"]\n4:[\"Cy\" \"c@x\"]\n",
			errs:   []string{"line 2, field 1: text after the closing quote"},
		},
		{
			name:   "bad row in a CRLF file",
			text:   "Name,Email\r\nBob \"x\",b@x\r\nCy,c@x\r\n",
			header: `["Name" "Email"]`,
			want:   "3:[\"Cy\" \"c@x\"]\n",
			errs:   []string{"line 2, field 1: a quote"},
		},
		{
			name:   "bad rows in a CR file",
			text:   "Name,Email\rBob \"x\",b@x\rCy,c@x\r\"Di\"x\r",
			header: `["Name" "Email"]`,
			want:   "3:[\"Cy\" \"c@x\"]\n",
			errs:   []string{"line 2, field 1: a quote", "line 4, field 1: text after"},
		},
		{
			name:   "a preamble line without a blank line after it",
			text:   "Exported by Example CRM\nName,Email\na,b\nc,d\n",
			header: `["Name" "Email"]`,
			want:   "3:[\"a\" \"b\"]\n4:[\"c\" \"d\"]\n",
		},
		{
			name:   "no preamble when later rows disagree",
			text:   "Email\nx\ny,z\nw\nv\n",
			header: `["Email"]`,
			want:   "2:[\"x\"]\n3:[\"y\"]\n4:[\"w\"]\n5:[\"v\"]\n",
		},
		{
			name:   "carriage returns alone end lines",
			text:   "Name,Note\rAda,\"one\rtwo\"\rBob,x\r",
			header: `["Name" "Note"]`,
			want:   "2:[\"Ada\" \"one\\ntwo\"]\n4:[\"Bob\" \"x\"]\n",
		},
		{
			name:   "no line break at the end",
			text:   "Name,Note\nAda,\"x\"",
			header: `["Name" "Note"]`,
			want:   "2:[\"Ada\" \"x\"]\n",
		},
		{
			name:   "invalid UTF-8 becomes the replacement character",
			text:   "Name\nA\xffda\n",
			header: `["Name"]`,
			want:   "2:[\"A\uFFFDda\"]\n",
		},
		{
			name:   "a NUL byte makes a bad row",
			text:   "Name,Email\nA\x00da,a@x\nBob,b@x\n",
			header: `["Name" "Email"]`,
			want:   "3:[\"Bob\" \"b@x\"]\n",
			errs:   []string{"line 2: the row holds a NUL byte"},
		},
		{
			name:   "LinkedIn notes before the header",
			text:   linkedIn,
			header: `["First Name" "Last Name" "URL" "Email Address" "Company" "Position" "Connected On"]`,
			want: "5:[\"Ada\" \"Lovelace\" \"https://www.linkedin.com/in/ada\" \"ada@example.com\" \"Analytical Engines\" \"Programmer\" \"10 Dec 2023\"]\n" +
				"6:[\"Alan\" \"Turing\" \"https://www.linkedin.com/in/alan\" \"\" \"Bletchley\" \"Cryptanalyst\" \"23 Jun 2024\"]\n",
		},
		{
			name:   "a single column is no preamble",
			text:   "Email\na@x\nb@x\nc@x,extra\n",
			header: `["Email"]`,
			want:   "2:[\"a@x\"]\n3:[\"b@x\"]\n4:[\"c@x\"]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.text)
				if chunked {
					src = iotest.OneByteReader(src)
				}
				res, err := readAll(t, src, Format{Encoding: "utf-8", Delimiter: ','})
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprintf("%q", res.header); got != tt.header {
					t.Errorf("header = %s, want %s", got, tt.header)
				}
				if got := res.lines(); got != tt.want {
					t.Errorf("chunked %v, rows:\n%s\nwant:\n%s", chunked, got, tt.want)
				}
				if len(res.errs) != len(tt.errs) {
					t.Fatalf("errors = %v, want %q", res.errs, tt.errs)
				}
				for i, e := range res.errs {
					if !strings.HasPrefix(e.Error(), tt.errs[i]) {
						t.Errorf("error %d = %q, want it to start %q", i, e.Error(), tt.errs[i])
					}
					if len(e.Raw) == 0 {
						t.Errorf("error %d has no Raw", i)
					}
				}
				if got := res.offsets[len(res.offsets)-1]; got != int64(len(tt.text)) {
					t.Errorf("Offset at the end = %d, want %d", got, len(tt.text))
				}
			}
		})
	}
}

const linkedIn = "Notes:\n" +
	"\"When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download their email address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more here https://www.linkedin.com/help/linkedin/answer/261\"\n" +
	"\n" +
	"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" +
	"Ada,Lovelace,https://www.linkedin.com/in/ada,ada@example.com,Analytical Engines,Programmer,10 Dec 2023\n" +
	"Alan,Turing,https://www.linkedin.com/in/alan,,Bletchley,Cryptanalyst,23 Jun 2024\n"

func TestLinkedInSniff(t *testing.T) {
	f, err := Sniff([]byte(linkedIn))
	if err != nil || f != (Format{"utf-8", ','}) {
		t.Fatalf("Sniff = %+v, %v", f, err)
	}
	rd, err := NewReader(strings.NewReader(linkedIn), f)
	if err != nil {
		t.Fatal(err)
	}
	if rd.HeaderLine() != 4 {
		t.Errorf("HeaderLine = %d, want 4", rd.HeaderLine())
	}
}

func TestBadRowRaw(t *testing.T) {
	text := "Name,Email,Note\nBob \"the builder\",b@x,\"ok, fine\"\n"
	rd, err := NewReader(strings.NewReader(text), Format{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := rd.Next()
	var re *RowError
	if !errors.As(err, &re) || !errors.Is(err, ErrBareQuote) {
		t.Fatalf("err = %v, want a RowError for a bare quote", err)
	}
	want := []string{`Bob "the builder"`, "b@x", "ok, fine"}
	if !slices.Equal(re.Raw, want) || !slices.Equal(row.Raw, want) || row.Line != 2 || re.Line != 2 || re.Column != 1 {
		t.Errorf("row %+v, error %+v; want Raw %q on line 2, field 1", row, re, want)
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("then %v, want io.EOF", err)
	}
}

func TestLongRecord(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,Note\n\"Ada,never closed\n")
	for i := range 30000 {
		fmt.Fprintf(&b, "row%d,%s\n", i, strings.Repeat("x", 40))
	}
	text := b.String()
	res, err := readAll(t, strings.NewReader(text), Format{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.errs) != 1 || !errors.Is(res.errs[0], ErrUnterminated) || res.errs[0].Line != 2 {
		t.Fatalf("errors = %v, want one unterminated quote on line 2", res.errs)
	}
	if len(res.rows) != 30000 || res.rows[0].Line != 3 || res.rows[29999].Fields[0] != "row29999" {
		t.Fatalf("read %d rows, first %+v; want 30000 from line 3", len(res.rows), res.rows[0])
	}

	// One line longer than MaxRecordSize, without quotes.
	text = "Name\n" + strings.Repeat("y", MaxRecordSize+10) + "\nAda\n"
	res, err = readAll(t, iotest.HalfReader(strings.NewReader(text)), Format{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.errs) != 1 || !errors.Is(res.errs[0], ErrTooLong) || len(res.rows) != 1 || res.rows[0].Fields[0] != "Ada" || res.rows[0].Line != 3 {
		t.Fatalf("%d errors, %d rows; want one too long, then Ada on line 3", len(res.errs), len(res.rows))
	}
}

func TestFileErrors(t *testing.T) {
	binary := make([]byte, 3000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range binary {
		binary[i] = byte(rng.IntN(256))
	}
	tests := []struct {
		name  string
		data  []byte
		sniff error
		read  error
	}{
		{"empty", nil, ErrEmpty, ErrEmpty},
		{"only a BOM", []byte(bomUTF8), ErrEmpty, ErrEmpty},
		{"only blank lines", []byte("\r\n\n  \n"), ErrNoHeader, ErrNoHeader},
		{"only empty records", []byte(",,\n,,\n"), nil, ErrNoHeader},
		{"random bytes", binary, ErrNotCSV, nil},
		{"NUL bytes", []byte("Name\x00,Email\x00\nAda\x00,a@x\n"), ErrNotCSV, ErrNotCSV},
		{"xlsx", append([]byte("PK\x03\x04\x14\x00\x06\x00"), binary[:100]...), ErrNotCSV, nil},
		{"pdf", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj\n"), ErrNotCSV, nil},
		{"html", []byte("<!DOCTYPE html><html><body><table><tr><td>a</td></tr></table>"), ErrNotCSV, nil},
		{"control characters", bytes.Repeat([]byte("a\x01\x02\x03,b\x04\n"), 20), ErrNotCSV, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sniff(tt.data)
			if !errors.Is(err, tt.sniff) || tt.sniff == nil && err != nil {
				t.Errorf("Sniff: %v, want %v", err, tt.sniff)
			}
			if tt.read == nil {
				return
			}
			_, err = NewReader(bytes.NewReader(tt.data), Format{})
			if !errors.Is(err, tt.read) {
				t.Errorf("NewReader: %v, want %v", err, tt.read)
			}
		})
	}
}

func TestHeaderOnly(t *testing.T) {
	for _, text := range []string{"Name,Email", "Name,Email\n", "\ufeffName,Email\r\n\r\n"} {
		rd, err := NewReader(strings.NewReader(text), Format{})
		if err != nil {
			t.Fatal(err)
		}
		if h := rd.Header(); !slices.Equal(h, []string{"Name", "Email"}) {
			t.Errorf("Header = %q", h)
		}
		if _, err := rd.Next(); !errors.Is(err, io.EOF) {
			t.Errorf("Next = %v, want io.EOF", err)
		}
		if rd.Offset() != int64(len(text)) {
			t.Errorf("Offset = %d, want %d", rd.Offset(), len(text))
		}
	}
}

func TestFormatErrors(t *testing.T) {
	for _, f := range []Format{{Encoding: "ebcdic"}, {Delimiter: '"'}, {Delimiter: '\n'}, {Delimiter: '€'}} {
		if _, err := NewReader(strings.NewReader("a,b\n"), f); !errors.Is(err, ErrFormat) {
			t.Errorf("NewReader(%+v) = %v, want ErrFormat", f, err)
		}
	}
	for _, name := range Encodings {
		if _, err := lookupCodec(name); err != nil {
			t.Errorf("Encodings lists %q: %v", name, err)
		}
	}
	for alias, want := range map[string]string{"Latin1": "windows-1252", "UTF8": "utf-8", "ISO-8859-1": "windows-1252", "": "utf-8"} {
		if c, err := lookupCodec(alias); err != nil || c.name != want {
			t.Errorf("lookupCodec(%q) = %q, %v; want %q", alias, c.name, err, want)
		}
	}
}

// The user may choose another encoding than the one guessed: a UTF-16
// byte order mark still wins, and a UTF-8 file read as windows-1252 reads
// (wrongly, as the preview will show).
func TestOverride(t *testing.T) {
	data := encode(t, "Name\nZoë\n", "utf-16be")
	res, err := readAll(t, bytes.NewReader(data), Format{Encoding: "utf-16le"})
	if err != nil || res.lines() != "2:[\"Zoë\"]\n" {
		t.Errorf("utf-16be read as utf-16le: %s %v", res.lines(), err)
	}
	res, err = readAll(t, strings.NewReader("Name\nZoë\n"), Format{Encoding: "windows-1252"})
	if err != nil || res.lines() != "2:[\"ZoÃ«\"]\n" {
		t.Errorf("utf-8 read as windows-1252: %s %v", res.lines(), err)
	}
}

func TestReuseRecord(t *testing.T) {
	text := "A,B\n1,2\n3,4\n"
	rd, err := NewReader(strings.NewReader(text), Format{})
	if err != nil {
		t.Fatal(err)
	}
	rd.ReuseRecord = true
	first, _ := rd.Next()
	kept := slices.Clone(first.Fields)
	second, _ := rd.Next()
	if &first.Fields[0] != &second.Fields[0] || &first.Raw[0] != &second.Raw[0] {
		t.Error("ReuseRecord: the slices were not reused")
	}
	if !slices.Equal(kept, []string{"1", "2"}) || !slices.Equal(second.Fields, []string{"3", "4"}) {
		t.Errorf("kept %q, second %q", kept, second.Fields)
	}

	rd, _ = NewReader(strings.NewReader(text), Format{})
	first, _ = rd.Next()
	second, _ = rd.Next()
	if !slices.Equal(first.Fields, []string{"1", "2"}) || !slices.Equal(second.Fields, []string{"3", "4"}) {
		t.Errorf("without ReuseRecord: %q, %q", first.Fields, second.Fields)
	}
}

// Files written by encoding/csv read back the same, whatever the line
// endings, chunk sizes and encodings.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []string{"a", "b", "Z", " ", ",", ";", "\t", "\"", "\n", "\r\n", "é", "€", "😀", "ש", "1", "x"}
	value := func() string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := range 40 {
		delim := Delimiters[round%len(Delimiters)]
		enc := []string{"utf-8", "utf-8-bom", "utf-16le", "utf-16be"}[round%4]
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = delim
		w.UseCRLF = round%2 == 0
		records := [][]string{{"h1", "h2", "h3", "h4"}}
		for range 200 {
			rec := make([]string, 4)
			for i := range rec {
				rec[i] = value()
			}
			rec[0] = "id" + rec[0] // never blank
			records = append(records, rec)
		}
		if err := w.WriteAll(records); err != nil {
			t.Fatal(err)
		}
		// Line where each record starts: count line breaks as written.
		var want []int
		line := 1
		for _, rec := range records {
			want = append(want, line)
			var one bytes.Buffer
			w1 := csv.NewWriter(&one)
			w1.Comma, w1.UseCRLF = delim, w.UseCRLF
			_ = w1.Write(rec)
			w1.Flush()
			line += bytes.Count(one.Bytes(), []byte("\n"))
		}
		data := encode(t, buf.String(), enc)
		var src io.Reader = bytes.NewReader(data)
		if round%3 == 0 {
			src = iotest.OneByteReader(src)
		}
		res, err := readAll(t, src, Format{Encoding: enc, Delimiter: delim})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.errs) > 0 || len(res.rows) != len(records)-1 {
			t.Fatalf("round %d: %d rows, errors %v", round, len(res.rows), res.errs)
		}
		for i, row := range res.rows {
			rec := records[i+1]
			norm := make([]string, len(rec))
			for j, v := range rec {
				norm[j] = strings.ReplaceAll(v, "\r\n", "\n")
			}
			if !slices.Equal(row.Raw, norm) || row.Line != want[i+1] {
				t.Fatalf("round %d (%s %q): row %d = line %d %q, want line %d %q", round, enc, delim, i, row.Line, row.Raw, want[i+1], norm)
			}
		}
		if got := res.offsets[len(res.offsets)-1]; got != int64(len(data)) {
			t.Fatalf("round %d: Offset at the end = %d, want %d", round, got, len(data))
		}
	}
}

// Sniff is given the first 64 KiB of a larger file: the cut may fall in a
// character or a quoted value.
func TestSniffHeadOfLargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name;Note;City\n")
	for i := 0; b.Len() < 3*SniffSize; i++ {
		fmt.Fprintf(&b, "Zoé %d;\"déjà vu, again\nand again\";Genève\n", i)
	}
	data := []byte(b.String())
	for cut := SniffSize - 3; cut <= SniffSize; cut++ {
		f, err := Sniff(data[:cut])
		if err != nil || f != (Format{"utf-8", ';'}) {
			t.Errorf("Sniff of the first %d bytes = %+v, %v", cut, f, err)
		}
	}
	f, err := Sniff(encode(t, string(data), "windows-1252"))
	if err != nil || f != (Format{"windows-1252", ';'}) {
		t.Errorf("Sniff of windows-1252 = %+v, %v", f, err)
	}
}
