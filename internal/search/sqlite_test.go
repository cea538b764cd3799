package search

import (
	"context"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// TestSQLiteFTSFollowsDocs checks what the public API cannot see: that
// re-indexing and removing leave no stale rows in search_fts, which would
// never show as hits but would use up the LIMIT of later queries.
func TestSQLiteFTSFollowsDocs(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	a := Doc{Kind: KindContact, ID: id.New(), Title: "Anna Smith"}
	b := Doc{Kind: KindContact, ID: id.New(), Title: "Anna Jones"}
	c := Doc{Kind: KindCompany, ID: id.New(), Title: "Anna Corp"}
	count := func(match string) int {
		t.Helper()
		var n int
		if err := d.R.QueryRowContext(ctx, `SELECT count(*) FROM search_fts WHERE search_fts MATCH $1`, match).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, doc := range []Doc{a, b, c, a, a} {
		if err := Index(ctx, d.W, db.SQLite, doc); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(`"anna"`); n != 3 {
		t.Errorf("after indexing 3 documents (one 3 times), %d FTS rows, want 3", n)
	}
	a.Title = "Bella Smith"
	if err := Index(ctx, d.W, db.SQLite, a); err != nil {
		t.Fatal(err)
	}
	if n := count(`"anna"`); n != 2 {
		t.Errorf("after renaming Anna to Bella, %d FTS rows match anna, want 2", n)
	}
	if err := Remove(ctx, d.W, db.SQLite, KindContact, b.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(`"anna"`); n != 1 {
		t.Errorf("after Remove, %d FTS rows match anna, want 1", n)
	}
	var docs []int64
	rows, err := d.R.QueryContext(ctx, `SELECT doc FROM search_docs ORDER BY doc`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		rows.Scan(&n)
		docs = append(docs, n)
	}
	// Contacts are numbered from 1<<40, companies from 2<<40.
	if want := []int64{1<<40 + 1, 2<<40 + 1}; len(docs) != 2 || docs[0] != want[0] || docs[1] != want[1] {
		t.Errorf("doc numbers %v, want %v", docs, want)
	}
}
