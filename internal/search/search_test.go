package search_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/search"
)

// fixture is a document under a short name the expectations use.
type fixture struct {
	name string
	doc  search.Doc
}

func contact(name, title, subtitle string, terms ...string) fixture {
	return fixture{name, search.Doc{Kind: search.KindContact, Title: title, Subtitle: subtitle, Terms: terms}}
}

func company(name, title, subtitle string, terms ...string) fixture {
	return fixture{name, search.Doc{Kind: search.KindCompany, Title: title, Subtitle: subtitle, Terms: terms}}
}

var people = []fixture{
	contact("anna", "Anna Smith", "anna.smith@example.com",
		"anna.smith@example.com", "a.smith@acme.com", "+49 151 2345678", "0151 2345678", "Sales Director", "Acme GmbH"),
	contact("annabel", "Annabel Lee", "annabel@poe.org", "annabel@poe.org", "(030) 1234567"),
	contact("zoe", "Zoë Dubois", "zoe@dubois.fr", "zoe@dubois.fr"),
	contact("jorg", "Jörg Müller", "jm@beispiel.de", "jm@beispiel.de"),
	contact("dmitry", "Дмитрий Иванов", "dmitry@example.ru", "dmitry@example.ru"),
	contact("sofia", "Σοφία Παπαδοπούλου", ""),
	contact("nikos", "Νίκος Σαμαράς", ""),
	contact("li", "李 明", ""),
	contact("bruce", "李小龙", ""),
	contact("rajesh", "राजेश कुमार", ""),
	contact("mohammed", "محمد علي", ""),
	company("acme", "Acme GmbH", "acme.com", "acme.com", "+49 30 9876543"),
	company("bakery", "Anna's Bakery", "annasbakery.example"),
}

// load indexes fixtures in one transaction and returns name by ID.
func load(t *testing.T, d *db.DB, fixtures []fixture) map[string]string {
	t.Helper()
	names := map[string]string{}
	err := d.WithTx(context.Background(), func(tx *db.Tx) error {
		for _, f := range fixtures {
			f.doc.ID = id.New()
			names[f.doc.ID] = f.name
			if err := search.Index(context.Background(), tx, tx.Engine, f.doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return names
}

// loadNew indexes fixtures as records created in one transaction
// (IndexNew) and returns name by ID.
func loadNew(t *testing.T, d *db.DB, fixtures []fixture) map[string]string {
	t.Helper()
	names := map[string]string{}
	docs := make([]search.Doc, len(fixtures))
	for i, f := range fixtures {
		f.doc.ID = id.New()
		names[f.doc.ID] = f.name
		docs[i] = f.doc
	}
	err := d.WithTx(context.Background(), func(tx *db.Tx) error { return search.IndexNew(context.Background(), tx, docs) })
	if err != nil {
		t.Fatalf("load new: %v", err)
	}
	return names
}

// found runs a query and returns the sorted fixture names of its hits.
func found(t *testing.T, d *db.DB, names map[string]string, text string, opts search.Options) []string {
	t.Helper()
	groups, err := search.Query(context.Background(), d.R, d.Engine, text, opts)
	if err != nil {
		t.Fatalf("Query(%q): %v", text, err)
	}
	var out []string
	for _, g := range groups {
		for _, h := range g.Hits {
			if h.Kind != g.Kind {
				t.Errorf("Query(%q): hit of kind %q in group %q", text, h.Kind, g.Kind)
			}
			out = append(out, names[h.ID])
		}
	}
	slices.Sort(out)
	return out
}

func TestQueryFinds(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		// prefixes of 2, 3, 4 characters and whole words
		{"an", []string{"anna", "annabel", "bakery"}},
		{"ann", []string{"anna", "annabel", "bakery"}},
		{"anna", []string{"anna", "annabel", "bakery"}},
		{"annab", []string{"annabel"}},
		{"Lee", []string{"annabel"}},
		// every word must match, in any order
		{"anna smi", []string{"anna"}},
		{"smith ANNA", []string{"anna"}},
		{"anna jones", nil},
		{"sales dir", []string{"anna"}},
		// emails, whole and in parts
		{"anna.smith@exa", []string{"anna"}},
		{"anna.smith@example.com", []string{"anna"}},
		{"a.smith@acme", []string{"anna"}},
		{"smith@example", []string{"anna"}},
		{"example", []string{"anna", "bakery", "dmitry"}},
		{"example.r", []string{"dmitry"}},
		{"poe.org", []string{"annabel"}},
		// domains
		{"acme.co", []string{"acme", "anna"}},
		{"acme.com", []string{"acme", "anna"}},
		{"annasbakery", []string{"bakery"}},
		// phone numbers however they are typed
		{"+49 151 234", []string{"anna"}},
		{"+4915123", []string{"anna"}},
		{"0151 234", []string{"anna"}},
		{"0151-2345678", []string{"anna"}},
		{"(0151) 23", []string{"anna"}},
		{"(030) 123", []string{"annabel"}},
		{"030 1234567", []string{"annabel"}},
		{"1234567", []string{"annabel"}},
		{"+49 30 98", []string{"acme"}},
		{"+49 3", []string{"acme"}},
		// accents and case
		{"zoe", []string{"zoe"}},
		{"ZOË", []string{"zoe"}},
		{"jorg mull", []string{"jorg"}},
		{"MÜLLER", []string{"jorg"}},
		// other scripts: whole words and prefixes
		{"дми", []string{"dmitry"}},
		{"Дмитрий", []string{"dmitry"}},
		{"ИВАНОВ", []string{"dmitry"}},
		{"σο", []string{"sofia"}},
		{"ΣΟΦΙΑ", []string{"sofia"}},
		{"παπαδοπουλου", []string{"sofia"}},
		{"ΣΑΜΑΡΑΣ", []string{"nikos"}},
		{"σαμαρας νικ", []string{"nikos"}},
		{"李", []string{"bruce", "li"}},
		{"明", []string{"li"}},
		{"李小", []string{"bruce"}},
		{"小龙", nil}, // CJK without spaces is one word: no match inside it
		{"राज", []string{"rajesh"}},
		{"कुमार", []string{"rajesh"}},
		{"مح", []string{"mohammed"}},
		// nothing to search for
		{"", nil},
		{"   ", nil},
		{"@.-+", nil},
	}
	loaders := map[string]func(*testing.T, *db.DB, []fixture) map[string]string{"Index": load, "IndexNew": loadNew}
	for name, loader := range loaders {
		t.Run(name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				names := loader(t, d, people)
				for _, c := range cases {
					if got := found(t, d, names, c.text, search.Options{}); !slices.Equal(got, c.want) {
						t.Errorf("Query(%q) found %v, want %v", c.text, got, c.want)
					}
				}
			})
		})
	}
}

// TestIndexNewRefusesIndexedRecords checks that IndexNew, which takes
// every document for a record new to the index, fails on one already
// there instead of indexing it twice, and that the failed transaction
// leaves the first entry as it was.
func TestIndexNewRefusesIndexedRecords(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		names := loadNew(t, d, people[:1])
		var anna string
		for ref := range names {
			anna = ref
		}
		again := people[0].doc
		again.ID, again.Title = anna, "Anna Jones"
		other := people[1].doc
		other.ID = id.New()
		err := d.WithTx(ctx, func(tx *db.Tx) error { return search.IndexNew(ctx, tx, []search.Doc{other, again}) })
		if err == nil {
			t.Fatal("IndexNew of an indexed record succeeded")
		}
		if got := found(t, d, names, "anna smith", search.Options{}); !slices.Equal(got, []string{"anna"}) {
			t.Errorf("after the failed IndexNew, anna smith found %v", got)
		}
		if got := found(t, d, names, "jones", search.Options{}); got != nil {
			t.Errorf("after the failed IndexNew, jones found %v", got)
		}
		if got := found(t, d, names, "annabel", search.Options{}); got != nil {
			t.Errorf("the failed IndexNew left annabel: %v", got)
		}
	})
}

func TestHostileInput(t *testing.T) {
	hostile := []string{
		`"`, `""`, `'`, `*`, `a*`, `*a`, `a OR b`, `a AND`, `NOT a`, `NEAR(a b)`, `NEAR(`,
		`^anna`, `-anna`, `title:anna`, `{words}: anna`, `&|!`, `anna & !smith`, `a <-> b`,
		`anna:*`, `'anna':*A`, `(`, `)`, `\`, `\'`, `'; DROP TABLE search_docs; --`,
		"\x00", "anna\x00smith", "\xff\xfe", strings.Repeat("ä\"*:", 250), strings.Repeat("anna ", 200),
		strings.Repeat("x", 1000), strings.Repeat("漢", 1000),
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		names := load(t, d, people)
		for _, text := range hostile {
			if _, err := search.Query(context.Background(), d.R, d.Engine, text, search.Options{}); err != nil {
				t.Errorf("Query(%.40q): %v", text, err)
			}
		}
		for _, text := range []string{`"`, `*`, `&|!`, `(`, `'`, "\xff"} {
			if got := found(t, d, names, text, search.Options{}); got != nil {
				t.Errorf("Query(%q) found %v, want nothing", text, got)
			}
		}
		// Operators are words like any other, and the table survived.
		if got := found(t, d, names, `"anna" OR "zoe"`, search.Options{}); got != nil {
			t.Errorf(`Query("anna" OR "zoe") found %v, want nothing: or is a word`, got)
		}
		if got := found(t, d, names, `-anna* ^smith`, search.Options{}); !slices.Equal(got, []string{"anna"}) {
			t.Errorf("Query(-anna* ^smith) found %v, want [anna]", got)
		}
	})
}

func TestReindexReplaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		doc := search.Doc{Kind: search.KindContact, ID: id.New(), Title: "Anna Smith",
			Subtitle: "anna@old.example", Terms: []string{"anna@old.example", "+1 555 0100"}}
		names := map[string]string{doc.ID: "anna"}
		index(t, d, doc)
		doc.Title, doc.Subtitle, doc.Terms = "Anna Jones", "anna@new.example", []string{"anna@new.example"}
		index(t, d, doc)
		for text, want := range map[string][]string{
			"smith": nil, "old.example": nil, "+1 555": nil,
			"jones": {"anna"}, "new.example": {"anna"}, "anna": {"anna"},
		} {
			if got := found(t, d, names, text, search.Options{}); !slices.Equal(got, want) {
				t.Errorf("after re-index, Query(%q) found %v, want %v", text, got, want)
			}
		}
		groups, err := search.Query(ctx, d.R, d.Engine, "anna", search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []search.Group{{Kind: "contact", Hits: []search.Hit{{Kind: "contact", ID: doc.ID, Title: "Anna Jones", Subtitle: "anna@new.example"}}}}
		if !slices.EqualFunc(groups, want, func(a, b search.Group) bool { return a.Kind == b.Kind && slices.Equal(a.Hits, b.Hits) }) {
			t.Errorf("Query(anna) = %+v, want %+v", groups, want)
		}
	})
}

func TestRemove(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		names := load(t, d, people)
		var annaID string
		for id, n := range names {
			if n == "anna" {
				annaID = id
			}
		}
		for range 2 { // removing twice is fine
			if err := search.Remove(ctx, d.W, d.Engine, search.KindContact, annaID); err != nil {
				t.Fatalf("Remove: %v", err)
			}
		}
		if err := search.Remove(ctx, d.W, d.Engine, "ticket", id.New()); err != nil {
			t.Errorf("Remove of an unknown kind: %v", err)
		}
		if got, want := found(t, d, names, "ann", search.Options{}), []string{"annabel", "bakery"}; !slices.Equal(got, want) {
			t.Errorf("after Remove, Query(ann) found %v, want %v", got, want)
		}
		if got := found(t, d, names, "+49 151", search.Options{}); got != nil {
			t.Errorf("after Remove, Query(+49 151) found %v, want nothing", got)
		}
		// The number is free again: indexing the same record brings it back.
		index(t, d, search.Doc{Kind: search.KindContact, ID: annaID, Title: "Anna Smith"})
		if got := found(t, d, names, "anna smith", search.Options{}); !slices.Equal(got, []string{"anna"}) {
			t.Errorf("after re-adding, Query(anna smith) found %v, want [anna]", got)
		}
	})
}

func TestRollbackLeavesNoTrace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		doc := search.Doc{Kind: search.KindContact, ID: id.New(), Title: "Ghost Writer"}
		errAbort := errors.New("abort")
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			if err := search.Index(ctx, tx, tx.Engine, doc); err != nil {
				return err
			}
			// The transaction sees its own write.
			groups, err := search.Query(ctx, tx, tx.Engine, "ghost", search.Options{})
			if err != nil || len(groups) != 1 {
				t.Errorf("inside the transaction: %v groups, err %v; want 1", len(groups), err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("WithTx = %v, want abort", err)
		}
		if got := found(t, d, nil, "ghost", search.Options{}); got != nil {
			t.Errorf("after rollback found %v, want nothing", got)
		}
	})
}

func index(t *testing.T, d *db.DB, doc search.Doc) {
	t.Helper()
	err := d.WithTx(context.Background(), func(tx *db.Tx) error {
		return search.Index(context.Background(), tx, tx.Engine, doc)
	})
	if err != nil {
		t.Fatalf("Index: %v", err)
	}
}

func TestBadDocuments(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, doc := range []search.Doc{
			{Kind: "", ID: id.New()},
			{Kind: "Contact", ID: id.New()},
			{Kind: "con'tact", ID: id.New()},
			{Kind: "contact", ID: "42"},
			{Kind: "contact", ID: ""},
		} {
			if err := search.Index(ctx, d.W, d.Engine, doc); err == nil {
				t.Errorf("Index(%q, %q) succeeded, want an error", doc.Kind, doc.ID)
			}
			if err := search.Remove(ctx, d.W, d.Engine, doc.Kind, doc.ID); err == nil {
				t.Errorf("Remove(%q, %q) succeeded, want an error", doc.Kind, doc.ID)
			}
		}
		if err := search.IndexBatch(ctx, d.W, d.Engine, []search.Doc{{Kind: "contact", ID: "x"}}); err == nil {
			t.Error("IndexBatch with a bad ID succeeded, want an error")
		}
	})
}

// groupSizes summarises a result as "kind:n kind:n".
func groupSizes(t *testing.T, d *db.DB, text string, opts search.Options) string {
	t.Helper()
	groups, err := search.Query(context.Background(), d.R, d.Engine, text, opts)
	if err != nil {
		t.Fatalf("Query(%q): %v", text, err)
	}
	var parts []string
	for _, g := range groups {
		parts = append(parts, fmt.Sprintf("%s:%d", g.Kind, len(g.Hits)))
	}
	return strings.Join(parts, " ")
}

func TestLimitsAndGroups(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		var docs []search.Doc
		for i := range 8 {
			docs = append(docs, search.Doc{Kind: search.KindContact, ID: id.New(), Title: fmt.Sprintf("Berta Contact %d", i)})
		}
		for i := range 3 {
			docs = append(docs, search.Doc{Kind: search.KindCompany, ID: id.New(), Title: fmt.Sprintf("Berta Company %d", i)})
		}
		// A kind nobody declared is registered on first use and comes last.
		docs = append(docs, search.Doc{Kind: "deal", ID: id.New(), Title: "Berta renewal"})
		// The same record twice in a batch: the later one wins.
		docs = append(docs, search.Doc{Kind: "deal", ID: docs[len(docs)-1].ID, Title: "Berta renewal 2027"})
		err := d.WithTx(context.Background(), func(tx *db.Tx) error {
			return search.IndexBatch(context.Background(), tx, tx.Engine, docs)
		})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			text string
			opts search.Options
			want string
		}{
			{"berta", search.Options{}, "contact:5 company:3 deal:1"},
			{"ber", search.Options{Limit: 2}, "contact:2 company:2 deal:1"},
			{"berta", search.Options{Limit: 1000}, "contact:8 company:3 deal:1"},
			{"berta", search.Options{Kinds: []string{"deal", "contact"}}, "deal:1 contact:5"},
			{"berta", search.Options{Kinds: []string{"company", "company"}}, "company:3"},
			{"berta", search.Options{Kinds: []string{"nosuch"}}, ""},
			{"berta company", search.Options{}, "company:3"},
			{"2027", search.Options{}, "deal:1"},
			{"berta contact 7", search.Options{}, "contact:1"},
		}
		for _, c := range cases {
			if got := groupSizes(t, d, c.text, c.opts); got != c.want {
				t.Errorf("Query(%q, %+v) = %q, want %q", c.text, c.opts, got, c.want)
			}
		}
	})
}

func TestTitleMatchesComeFirst(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		names := load(t, d, []fixture{
			contact("title", "Annabelle Zed", ""),
			// Newer, so first in index order, but "annabelle" is only in an email.
			contact("email1", "Xavier One", "", "annabelle@one.example"),
			contact("email2", "Xavier Two", "", "annabelle@two.example"),
		})
		groups, err := search.Query(context.Background(), d.R, d.Engine, "annabelle", search.Options{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || len(groups[0].Hits) != 1 || names[groups[0].Hits[0].ID] != "title" {
			t.Errorf("Query(annabelle, limit 1) = %+v, want the contact named Annabelle", groups)
		}
	})
}
