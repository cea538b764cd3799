package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/search"
)

// hitTitles runs a query and returns the titles of its hits in order.
func hitTitles(t *testing.T, d *db.DB, text string, opts search.Options) []string {
	t.Helper()
	groups, err := search.Query(context.Background(), d.R, d.Engine, text, opts)
	if err != nil {
		t.Fatalf("Query(%q): %v", text, err)
	}
	var out []string
	for _, g := range groups {
		for _, h := range g.Hits {
			out = append(out, h.Title)
		}
	}
	return out
}

// More documents start with "mar" than a query reads as candidates; the
// one whose word is "mar" itself must be found whether it was indexed
// before or after them.
func TestExactWordComesFirst(t *testing.T) {
	for _, order := range []string{"oldest", "newest"} {
		t.Run(order, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				var docs []search.Doc
				for i := range 60 {
					docs = append(docs, search.Doc{Kind: search.KindContact, ID: id.New(), Title: fmt.Sprintf("Marabel %02d", i)})
				}
				mar := search.Doc{Kind: search.KindContact, ID: id.New(), Title: "Mar Lopez"}
				if order == "oldest" {
					docs = append([]search.Doc{mar}, docs...)
				} else {
					docs = append(docs, mar)
				}
				for _, doc := range docs {
					index(t, d, doc)
				}
				if got := hitTitles(t, d, "mar", search.Options{Limit: 1}); !slices.Equal(got, []string{"Mar Lopez"}) {
					t.Errorf("Query(mar, limit 1) = %v, want [Mar Lopez]", got)
				}
				got := hitTitles(t, d, "mar", search.Options{Limit: 5})
				if len(got) != 5 || got[0] != "Mar Lopez" {
					t.Errorf("Query(mar, limit 5) = %v, want Mar Lopez and four others", got)
				}
				// A longer prefix leaves the exact word out.
				if got := hitTitles(t, d, "mara", search.Options{Limit: 50}); len(got) != 50 || slices.Contains(got, "Mar Lopez") {
					t.Errorf("Query(mara, limit 50) = %d hits %v, want 50 Marabels", len(got), got)
				}
				// Several words: the exact one still wins.
				if got := hitTitles(t, d, "lopez mar", search.Options{Limit: 1}); !slices.Equal(got, []string{"Mar Lopez"}) {
					t.Errorf("Query(lopez mar) = %v, want [Mar Lopez]", got)
				}
			})
		})
	}
}

// A document with several words that start with the query is one hit, and
// a query still returns as many distinct documents as it may.
func TestRepeatedWordsCountOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		var docs []search.Doc
		for i := range 60 {
			email := fmt.Sprintf("zed.zeta%d@zebra.example", i)
			docs = append(docs, search.Doc{Kind: search.KindContact, ID: id.New(), Title: fmt.Sprintf("Zed Zeta %d", i),
				Subtitle: email, Terms: []string{email, "Zealous Zen"}})
		}
		if err := d.WithTx(context.Background(), func(tx *db.Tx) error {
			return search.IndexBatch(context.Background(), tx, tx.Engine, docs)
		}); err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{1, 5, 10, 50} {
			got := hitTitles(t, d, "ze", search.Options{Limit: limit})
			distinct := slices.Compact(slices.Sorted(slices.Values(got)))
			if len(got) != limit || len(distinct) != limit {
				t.Errorf("Query(ze, limit %d) = %d hits, %d distinct, want %d: %v", limit, len(got), len(distinct), limit, got)
			}
		}
		if got := hitTitles(t, d, "zeta zeal", search.Options{Limit: 50}); len(got) != 50 {
			t.Errorf("Query(zeta zeal, limit 50) = %d hits, want 50", len(got))
		}
		if got := hitTitles(t, d, "zed.zeta7@", search.Options{Limit: 50}); !slices.Equal(got, []string{"Zed Zeta 7"}) {
			t.Errorf("Query(zed.zeta7@) = %v, want [Zed Zeta 7]", got)
		}
	})
}

// An actor who sees only their own records finds them even when records
// they may not see match the query better and come first in the index.
func TestReaderSkipsHiddenMatches(t *testing.T) {
	const kind = "owned_note"
	search.RegisterOwned(kind, "search_test_notes")
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		idType := "TEXT"
		if d.Engine == db.Postgres {
			idType = "uuid"
		}
		if _, err := d.W.ExecContext(ctx, `CREATE TABLE search_test_notes (id `+idType+` PRIMARY KEY, owner_id TEXT)`); err != nil {
			t.Fatal(err)
		}
		me, other := id.New(), id.New()
		add := func(title, owner string) {
			t.Helper()
			n := search.Doc{Kind: kind, ID: id.New(), Title: title}
			var o any
			if owner != "" {
				o = owner
			}
			if _, err := d.W.ExecContext(ctx, `INSERT INTO search_test_notes (id, owner_id) VALUES ($1, $2)`, n.ID, o); err != nil {
				t.Fatal(err)
			}
			index(t, d, n)
		}
		for i := range 50 {
			add(fmt.Sprintf("Mar hidden %d", i), other)
		}
		for i := range 3 {
			add(fmt.Sprintf("Marabel mine %d", i), me)
		}
		add("Marco nobody's", "")
		mine := access.Actor{UserID: me, Scope: access.ScopeOwn}
		got := hitTitles(t, d, "mar", search.Options{Kinds: []string{kind}, Limit: 10, Reader: &mine})
		slices.Sort(got)
		if want := []string{"Marabel mine 0", "Marabel mine 1", "Marabel mine 2", "Marco nobody's"}; !slices.Equal(got, want) {
			t.Errorf("own scope finds %v, want %v", got, want)
		}
		if got := hitTitles(t, d, "mar mine", search.Options{Kinds: []string{kind}, Limit: 10, Reader: &mine}); len(got) != 3 {
			t.Errorf("own scope finds %v for (mar mine), want the three of mine", got)
		}
		all := access.Actor{UserID: me}
		if got := hitTitles(t, d, "mar", search.Options{Kinds: []string{kind}, Limit: 50, Reader: &all}); len(got) != 50 {
			t.Errorf("scope all finds %d, want 50", len(got))
		}
	})
}
