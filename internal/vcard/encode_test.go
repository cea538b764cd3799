package vcard

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	govcard "github.com/emersion/go-vcard"
)

// fullCard uses every field, with the characters that need escaping, a
// custom label, a long line and a photo.
func fullCard(t testing.TB) Card {
	return Card{
		UID:       "urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		FullName:  "Dr. Zoë O'Brien-Łukasiewicz, PhD",
		FirstName: "Zoë", LastName: "O'Brien-Łukasiewicz", MiddleName: "Anne; Marie", Prefix: "Dr.", Suffix: "PhD",
		Emails: []Value{
			{Text: "zoe@example.com", Label: "work", Preferred: true},
			{Text: "zoe@home.example", Label: "home"},
			{Text: "zoe.book@example.org", Label: "Book club, Tuesdays"},
			{Text: "zoe@nolabel.example"},
		},
		Phones: []Value{
			{Text: "+44 7700 900123", Label: "mobile", Preferred: true},
			{Text: "+44 20 7946 0001", Label: "work fax"},
			{Text: "+44 20 7946 0002", Label: "Assistant"},
			{Text: "+44 20 7946 0003", Label: "main"},
		},
		Org:   "Ben, Jerry; and Co",
		Title: "Head of R&D; Europe",
		Addresses: []Address{
			{Label: "work", Street: "1 Main St\nFloor 2", City: "Town;ville", Region: "Kent", PostalCode: "CT1 1AA", Country: "United Kingdom"},
			{Label: "Summer house", Street: "Strandvejen 5", City: "Skagen", Country: "Danmark"},
		},
		Birthday:   "1985-04-12",
		Note:       "First line, with a comma\nSecond line; a semicolon\\a backslash\n\n" + strings.Repeat("Ünïcödé text long enough to fold several times. ", 6) + "end",
		Categories: []string{"Clients", "VIP, gold", "Ski; trip"},
		URLs:       []Value{{Text: "https://example.com/zoe?a=1&b=2", Label: "homepage"}, {Text: "https://blog.example", Label: "Blog"}},
		Photo:      &Photo{MediaType: "image/jpeg", Data: tinyJPEG(t)},
		Revision:   "20260102T030405Z",
	}
}

func encode(t testing.TB, c Card, version string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, c, version); err != nil {
		t.Fatalf("Encode %s: %v", version, err)
	}
	return b.String()
}

func TestEncodeRoundTrip(t *testing.T) {
	noYear := fullCard(t)
	noYear.Birthday = "--02-29"
	noYear.Photo = &Photo{URL: "https://example.com/zoe.png", MediaType: "image/png"}
	pngPhoto := fullCard(t)
	pngPhoto.Photo = &Photo{MediaType: "image/png", Data: tinyPNG(t)}
	pngPhoto.Birthday = ""
	minimal := Card{FullName: "Only A Name"}
	cards := map[string]Card{"full": fullCard(t), "no year, photo link": noYear, "PNG photo": pngPhoto, "minimal": minimal}
	for _, version := range []string{"3.0", "4.0"} {
		for name, c := range cards {
			t.Run(version+" "+name, func(t *testing.T) {
				text := encode(t, c, version)
				if !strings.Contains(text, "VERSION:"+version+"\r\n") {
					t.Fatalf("no VERSION:%s in\n%s", version, text)
				}
				got := readAll(t, text)
				if len(got) != 1 || got[0].err != "" {
					t.Fatalf("decoding gave %s\nfrom\n%s", dump(got), text)
				}
				if !reflect.DeepEqual(got[0].card, c) {
					t.Errorf("round trip:\n got %s\nwant %s\ntext:\n%s", show(got[0].card), show(c), text)
				}
			})
		}
	}
}

func TestEncodeDefaultVersionAndForms(t *testing.T) {
	c := fullCard(t)
	text := encode(t, c, "")
	for _, want := range []string{
		"BEGIN:VCARD\r\nVERSION:4.0\r\n",
		"EMAIL;TYPE=work;PREF=1:zoe@example.com\r\n",
		"TEL;TYPE=cell;PREF=1:+44 7700 900123\r\n",
		"TEL;TYPE=work,fax:+44 20 7946 0001\r\n",
		"item2.TEL:+44 20 7946 0002\r\nitem2.X-ABLabel:Assistant\r\n",
		"item1.EMAIL:zoe.book@example.org\r\nitem1.X-ABLabel:Book club\\, Tuesdays\r\n",
		"ORG:Ben\\, Jerry\\; and Co\r\n",
		"TITLE:Head of R&D; Europe\r\n",
		"ADR;TYPE=work:;;1 Main St\\nFloor 2;Town\\;ville;Kent;CT1 1AA;United Kingdom\r\n",
		"BDAY:19850412\r\n",
		"CATEGORIES:Clients,VIP\\, gold,Ski\\; trip\r\n",
		"PHOTO:data:image/jpeg;base64,",
		"END:VCARD\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("4.0 output lacks %q:\n%s", want, text)
		}
	}
	text = encode(t, c, "3.0")
	for _, want := range []string{
		"BEGIN:VCARD\r\nVERSION:3.0\r\n",
		"EMAIL;TYPE=INTERNET,WORK,PREF:zoe@example.com\r\n",
		"TITLE:Head of R&D\\; Europe\r\n",
		"BDAY:1985-04-12\r\n",
		"PHOTO;ENCODING=b;TYPE=JPEG:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("3.0 output lacks %q:\n%s", want, text)
		}
	}
	noYear := Card{FullName: "N", Birthday: "--04-12"}
	if got := encode(t, noYear, "3.0"); !strings.Contains(got, "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\n") {
		t.Errorf("3.0 birthday without a year:\n%s", got)
	}
	if got := encode(t, noYear, "4.0"); !strings.Contains(got, "BDAY:--0412\r\n") {
		t.Errorf("4.0 birthday without a year:\n%s", got)
	}
}

func TestEncodeFoldsLines(t *testing.T) {
	for _, version := range []string{"3.0", "4.0"} {
		text := encode(t, fullCard(t), version)
		if !strings.HasSuffix(text, "\r\n") {
			t.Fatalf("%s: output does not end in CRLF", version)
		}
		lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
		folded := 0
		for i, l := range lines {
			if strings.ContainsAny(l, "\r\n") {
				t.Errorf("%s line %d has a bare CR or LF: %q", version, i+1, l)
			}
			if len(l) > 75 {
				t.Errorf("%s line %d is %d octets: %q", version, i+1, len(l), l)
			}
			if !utf8.ValidString(l) {
				t.Errorf("%s line %d splits a character: %q", version, i+1, l)
			}
			if strings.HasPrefix(l, " ") {
				folded++
			}
		}
		if folded < 5 {
			t.Errorf("%s: only %d folded lines; the note and photo should fold", version, folded)
		}
	}
}

func TestEncodeFullNameFallback(t *testing.T) {
	tests := []struct {
		card Card
		fn   string
	}{
		{Card{FirstName: "Ada", LastName: "Lovelace"}, "FN:Ada Lovelace\r\n"},
		{Card{Org: "Acme"}, "FN:Acme\r\n"},
		{Card{Emails: []Value{{Text: "x@example.com"}}}, "FN:x@example.com\r\n"},
		{Card{}, "FN:\r\n"},
	}
	for _, tt := range tests {
		if got := encode(t, tt.card, "4.0"); !strings.Contains(got, tt.fn) {
			t.Errorf("Encode(%+v) lacks %q:\n%s", tt.card, tt.fn, got)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		card    Card
		version string
		err     string
	}{
		{"version 2.1", Card{FullName: "A"}, "2.1", `cannot write version "2.1"`},
		{"a birthday that is no date", Card{FullName: "A", Birthday: "12/04/1985"}, "4.0", `birthday "12/04/1985"`},
		{"photo data that is no image", Card{FullName: "A", Photo: &Photo{Data: []byte("text")}}, "3.0", "not a JPEG, PNG, GIF or WebP image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Encode(&b, tt.card, tt.version)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want one saying %q", err, tt.err)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes on error, want none", b.Len())
			}
		})
	}
}

// TestEncodeAcceptedByGoVCard reads Encode's output with go-vcard, the
// library the CardDAV server is built on.
func TestEncodeAcceptedByGoVCard(t *testing.T) {
	c := fullCard(t)
	// go-vcard does not undo \; inside text, nor split escaped commas in
	// CATEGORIES; leave those characters out of what it is checked on.
	c.MiddleName = "Anne"
	c.Org = "Ben, Jerry and Co"
	c.Title = "Head of R&D"
	c.Addresses[0].City = "Townville"
	c.Categories = []string{"Clients", "VIP"}
	c.Note = strings.ReplaceAll(c.Note, ";", ".")
	for _, version := range []string{"3.0", "4.0"} {
		t.Run(version, func(t *testing.T) {
			var b bytes.Buffer
			for range 2 { // two cards in one stream
				if err := Encode(&b, c, version); err != nil {
					t.Fatal(err)
				}
			}
			dec := govcard.NewDecoder(&b)
			for i := range 2 {
				g, err := dec.Decode()
				if err != nil {
					t.Fatalf("card %d: go-vcard: %v", i, err)
				}
				checkGoVCard(t, g, c, version)
			}
			if _, err := dec.Decode(); err == nil {
				t.Error("go-vcard read a third card")
			}
		})
	}
}

func checkGoVCard(t *testing.T, g govcard.Card, c Card, version string) {
	t.Helper()
	eq := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: go-vcard read %q, want %q", what, got, want)
		}
	}
	eq("VERSION", g.Value(govcard.FieldVersion), version)
	eq("UID", g.Value(govcard.FieldUID), c.UID)
	eq("FN", g.Value(govcard.FieldFormattedName), c.FullName)
	n := g.Name()
	if n == nil {
		t.Fatal("go-vcard found no N")
	}
	eq("N family", n.FamilyName, c.LastName)
	eq("N given", n.GivenName, c.FirstName)
	eq("N additional", n.AdditionalName, c.MiddleName)
	eq("N prefix", n.HonorificPrefix, c.Prefix)
	eq("N suffix", n.HonorificSuffix, c.Suffix)
	eq("ORG", g.Value(govcard.FieldOrganization), c.Org)
	eq("TITLE", g.Value(govcard.FieldTitle), c.Title)
	eq("NOTE", g.Value(govcard.FieldNote), c.Note)
	eq("REV", g.Value(govcard.FieldRevision), c.Revision)
	eq("preferred EMAIL", g.PreferredValue(govcard.FieldEmail), "zoe@example.com")
	eq("preferred TEL", g.PreferredValue(govcard.FieldTelephone), "+44 7700 900123")
	if got, want := g.Values(govcard.FieldEmail), texts(c.Emails); !reflect.DeepEqual(got, want) {
		t.Errorf("EMAIL: go-vcard read %q, want %q", got, want)
	}
	if got, want := g.Values(govcard.FieldTelephone), texts(c.Phones); !reflect.DeepEqual(got, want) {
		t.Errorf("TEL: go-vcard read %q, want %q", got, want)
	}
	if got, want := g.Values(govcard.FieldURL), texts(c.URLs); !reflect.DeepEqual(got, want) {
		t.Errorf("URL: go-vcard read %q, want %q", got, want)
	}
	if f := g[govcard.FieldTelephone][1]; !f.Params.HasType("work") || !f.Params.HasType("fax") {
		t.Errorf("work fax TEL params: %v", f.Params)
	}
	labels := map[string]string{}
	for _, f := range g["X-ABLABEL"] {
		labels[f.Group] = f.Value
	}
	for _, f := range g[govcard.FieldEmail] {
		if f.Value == "zoe.book@example.org" && (f.Group == "" || labels[f.Group] != "Book club, Tuesdays") {
			t.Errorf("custom email label: group %q, labels %v", f.Group, labels)
		}
	}
	adrs := g.Addresses()
	if len(adrs) != 2 {
		t.Fatalf("go-vcard read %d addresses, want 2", len(adrs))
	}
	a := adrs[0]
	eq("ADR street", a.StreetAddress, c.Addresses[0].Street)
	eq("ADR city", a.Locality, c.Addresses[0].City)
	eq("ADR region", a.Region, c.Addresses[0].Region)
	eq("ADR postal code", a.PostalCode, c.Addresses[0].PostalCode)
	eq("ADR country", a.Country, c.Addresses[0].Country)
	if !a.Params.HasType("work") {
		t.Errorf("ADR params: %v", a.Params)
	}
	if got := g.Categories(); !reflect.DeepEqual(got, c.Categories) {
		t.Errorf("CATEGORIES: go-vcard read %q, want %q", got, c.Categories)
	}
	bday := map[string]string{"3.0": "1985-04-12", "4.0": "19850412"}[version]
	eq("BDAY", g.Value(govcard.FieldBirthday), bday)
	photo := g.Value(govcard.FieldPhoto)
	if version == "4.0" {
		eq("PHOTO", photo, "data:image/jpeg;base64,"+b64(c.Photo.Data))
	} else {
		eq("PHOTO", photo, b64(c.Photo.Data))
		f := g.Get(govcard.FieldPhoto)
		eq("PHOTO ENCODING", f.Params.Get("ENCODING"), "b")
		eq("PHOTO TYPE", f.Params.Get("TYPE"), "JPEG")
	}
}

func texts(vs []Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Text
	}
	return out
}
