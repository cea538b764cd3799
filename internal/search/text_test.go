package search

import (
	"slices"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Zoë":          "zoe",
		"JOSÉ Álvarez": "jose alvarez",
		"Jörg Müller":  "jorg muller",
		"Søren Łukasz": "soren lukasz",
		"Straße":       "strasse",
		"Ǆemal":        "dzemal",
		"Σοφία":        "σοφια",
		"ΝΊΚΟΣ":        "νικοσ",
		"νίκος":        "νικοσ",
		"Фёдор Йоган":  "федор иоган",
		"ＡＮＮＡ":         "anna",
		"ガンダム":         "ガンダム", // voicing marks change the letter: kept
		"李小龙":          "李小龙",
		"नमस्ते":       "नमस्ते",
	}
	for in, want := range cases {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Anna-Lena O'Brien", []string{"anna", "lena", "o", "brien"}},
		{"anna.smith@example.com", []string{"anna", "smith", "example", "com"}},
		{"+49 (151) 234-5678", []string{"49", "151", "234", "5678"}},
		{`"*:^-&|!()'; DROP`, []string{"drop"}},
		{"李 明", []string{"李", "明"}},
		{"", nil},
		{strings.Repeat("x", 100), []string{strings.Repeat("x", maxTokenRunes)}},
	}
	for _, c := range cases {
		if got := words(c.in); !slices.Equal(got, c.want) {
			t.Errorf("words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPhoneDigits(t *testing.T) {
	cases := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"+49 151 2345678", "491512345678", true},
		{"(030) 123-45.67/8", "03012345678", true},
		{"12", "", false},
		{"call 030 123", "", false},
		{"anna", "", false},
	}
	for _, c := range cases {
		got, ok := phoneDigits(c.in)
		if got != c.want || ok != c.wantOK {
			t.Errorf("phoneDigits(%q) = %q, %v, want %q, %v", c.in, got, ok, c.want, c.wantOK)
		}
	}
}

func TestDocWords(t *testing.T) {
	got := docWords(Doc{
		Title:    "Anna Smith",
		Subtitle: "anna@acme.com",
		Terms:    []string{"+49 151 2345678", "0301234", "CEO"},
	})
	want := []string{"anna", "smith", "anna", "acme", "com", "49", "151", "2345678", "491512345678", "0301234", "ceo"}
	if !slices.Equal(got, want) {
		t.Errorf("docWords = %q, want %q", got, want)
	}
}

func TestParseQuery(t *testing.T) {
	cases := []struct {
		in  string
		fts string
		tsq string
	}{
		{"Anna smi", `"anna"* AND "smi"*`, `('c:anna':*) & ('c:smi':*)`},
		{"anna.smith@exa", `"anna smith exa"*`, `('c:anna' <-> 'c:smith' <-> 'c:exa':*)`},
		{" (030) 123", `"030123"*`, `('c:030123':*)`},
		{"+49 151 23", `"4915123"*`, `('c:4915123':*)`},
		{"0151-23", `"015123"*`, `('c:015123':*)`},
		{"151 23", `"151"* AND "23"*`, `('c:151':*) & ('c:23':*)`},
		{"+49", `"49"*`, `('c:49':*)`},
		{`a" OR "b`, `"a"* AND "or"* AND "b"*`, `('c:a':*) & ('c:or':*) & ('c:b':*)`},
		{`NEAR(x y) *z ^w col:v`, `"near x"* AND "y"* AND "z"* AND "w"* AND "col v"*`,
			`('c:near' <-> 'c:x':*) & ('c:y':*) & ('c:z':*) & ('c:w':*) & ('c:col' <-> 'c:v':*)`},
		{`&|!`, ``, ``},
	}
	for _, c := range cases {
		q := parseQuery(c.in)
		if q.empty() {
			if c.fts != "" {
				t.Errorf("parseQuery(%q) is empty, want %s", c.in, c.fts)
			}
			continue
		}
		if got := ftsQuery(q); got != c.fts {
			t.Errorf("ftsQuery(%q) = %s, want %s", c.in, got, c.fts)
		}
		if got := tsQuery("c", q); got != c.tsq {
			t.Errorf("tsQuery(%q) = %s, want %s", c.in, got, c.tsq)
		}
	}
}

func TestParseQueryBounded(t *testing.T) {
	q := parseQuery(strings.Repeat("ab.", 400) + " " + strings.Repeat("c ", 300))
	if n := len(q.tokens()); n != maxQueryTokens {
		t.Errorf("%d tokens, want %d", n, maxQueryTokens)
	}
}

func TestTSVector(t *testing.T) {
	got := tsVector("contact", []string{"anna", `o'b\x`, "anna"})
	want := `'contact:anna':1 'contact:o''b\\x':2 'contact:anna':3`
	if got != want {
		t.Errorf("tsVector = %s, want %s", got, want)
	}
}

func TestTitleOrder(t *testing.T) {
	hits := []Hit{
		{ID: "1", Title: "Zed Other"},   // matched only by an email
		{ID: "2", Title: "Marianne Ho"}, // no title word starts with "ann"
		{ID: "3", Title: "Annabel Lee"},
		{ID: "4", Title: "Lee Ann"},
		{ID: "5", Title: "Ann Lee"},
	}
	got := best(hits, parseQuery("ann"), 4)
	var ids []string
	for _, h := range got {
		ids = append(ids, h.ID)
	}
	if want := []string{"5", "4", "3", "2"}; !slices.Equal(ids, want) {
		t.Errorf("order = %v, want %v", ids, want)
	}
}

func TestValidKind(t *testing.T) {
	for k, want := range map[string]bool{
		"contact": true, "deal_2": true, "": false, "Contact": false,
		"2deal": false, "a:b": false, "x'y": false, strings.Repeat("a", 33): false,
	} {
		if got := validKind(k); got != want {
			t.Errorf("validKind(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestDocWordsBounded(t *testing.T) {
	terms := make([]string, 3000)
	for i := range terms {
		terms[i] = "term"
	}
	if n := len(docWords(Doc{Title: "x", Terms: terms})); n != maxDocTokens {
		t.Errorf("%d tokens, want %d", n, maxDocTokens)
	}
}
