package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// TestPostgresWordsFollowDocs checks what the public API cannot see: that
// search_words holds exactly the tokens of the documents indexed now, each
// once with its rank, after re-indexing and removing. A stale row would
// never show as a hit but would use up the LIMIT of later queries.
func TestPostgresWordsFollowDocs(t *testing.T) {
	if !slices.Contains(dbtest.Engines(), db.Postgres) {
		t.Skip("RAPPORT_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	d := dbtest.Open(t, db.Postgres)
	words := func(ref string) string {
		t.Helper()
		rows, err := d.R.QueryContext(ctx, `SELECT k.name || ':' || w.word || ':' || w.rank FROM search_words w
			JOIN search_kinds k ON k.code = w.code WHERE w.ref_id = $1 ORDER BY 1`, ref)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	a := Doc{Kind: KindContact, ID: id.New(), Title: "Anna Smith", Subtitle: "anna@smith.example",
		Terms: []string{"anna@smith.example", "+49 30 123"}}
	c := Doc{Kind: KindCompany, ID: a.ID, Title: "Smith Corp"} // same ID, other kind
	for _, doc := range []Doc{a, c, a} {
		if err := Index(ctx, d.W, db.Postgres, doc); err != nil {
			t.Fatal(err)
		}
	}
	want := "company:corp:0 company:smith:0 contact:123:1 contact:30:1 contact:4930123:1 contact:49:1 contact:anna:0 contact:example:1 contact:smith:0"
	if got := words(a.ID); got != want {
		t.Errorf("after indexing, search_words = %q, want %q", got, want)
	}
	a.Title, a.Subtitle, a.Terms = "Anna Jones", "", nil
	if err := IndexBatch(ctx, d.W, db.Postgres, []Doc{a}); err != nil {
		t.Fatal(err)
	}
	want = "company:corp:0 company:smith:0 contact:anna:0 contact:jones:0"
	if got := words(a.ID); got != want {
		t.Errorf("after re-indexing, search_words = %q, want %q", got, want)
	}
	for range 2 {
		if err := Remove(ctx, d.W, db.Postgres, KindCompany, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	want = "contact:anna:0 contact:jones:0"
	if got := words(a.ID); got != want {
		t.Errorf("after removing the company, search_words = %q, want %q", got, want)
	}
}

// TestPostgresIndexNewWritesTheSameWords checks that the COPY path for
// fresh documents leaves search_words and search_docs exactly as the
// ordinary path does (tokens repeated, quoted, or repeated more often than
// a tsvector keeps), registers a kind it has not seen, keeps the last of a
// document given twice, and that a fresh document re-indexed later loses
// its old tokens.
func TestPostgresIndexNewWritesTheSameWords(t *testing.T) {
	if !slices.Contains(dbtest.Engines(), db.Postgres) {
		t.Skip("RAPPORT_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	d := dbtest.Open(t, db.Postgres)
	words := func(ref string) string {
		t.Helper()
		var s string
		err := d.R.QueryRowContext(ctx, `SELECT coalesce(string_agg(k.name || ':' || w.word || ':' || w.rank, ' ' ORDER BY k.name, w.word, w.rank), '')
			FROM search_words w JOIN search_kinds k ON k.code = w.code WHERE w.ref_id = $1`, ref).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	stored := func(ref string) string {
		t.Helper()
		var s string
		err := d.R.QueryRowContext(ctx, `SELECT kind || '|' || title || '|' || subtitle || '|' || words::text FROM search_docs WHERE ref_id = $1`, ref).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	doc := func(id string) Doc {
		return Doc{Kind: "gadget", ID: id, Title: "Zyra Quill", Subtitle: "zyra@quill.example",
			Terms: []string{"zyra@quill.example", "+44 20 7946 0958", `O'Brien back\\slash`, strings.Repeat("echo ", 300)}}
	}
	plain, fresh := id.New(), id.New()
	first := doc(fresh)
	first.Title = "Old Name"
	err := d.WithTx(ctx, func(tx *db.Tx) error { return IndexNew(ctx, tx, []Doc{first, doc(fresh)}) })
	if err != nil {
		t.Fatal(err)
	}
	if err := Index(ctx, d.W, db.Postgres, doc(plain)); err != nil {
		t.Fatal(err)
	}
	got, want := words(fresh), words(plain)
	if want == "" || got != want {
		t.Fatalf("IndexNew wrote %q, Index wrote %q", got, want)
	}
	if got, want := stored(fresh), stored(plain); got != want {
		t.Fatalf("IndexNew stored\n%s\nIndex stored\n%s", got, want)
	}
	renamed := doc(fresh)
	renamed.Title, renamed.Subtitle, renamed.Terms = "Zyra Bell", "", nil
	if err := Index(ctx, d.W, db.Postgres, renamed); err != nil {
		t.Fatal(err)
	}
	if got := words(fresh); got != "gadget:bell:0 gadget:zyra:0" {
		t.Errorf("after re-indexing the fresh document, search_words = %q", got)
	}
}

// TestTSVectorValueMatchesTheTextForm sends random token lists both ways,
// as tsVectorValue's binary form by COPY and as tsVector's text literal,
// and requires the server to store the same bytes: repeated tokens,
// tokens that are prefixes of others, several scripts, a token repeated
// past the positions a lexeme keeps, and no tokens at all.
func TestTSVectorValueMatchesTheTextForm(t *testing.T) {
	if !slices.Contains(dbtest.Engines(), db.Postgres) {
		t.Skip("RAPPORT_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	d := dbtest.Open(t, db.Postgres)
	vocabulary := []string{"a", "ab", "abc", "b", "zyra", "zy", "o'brien", `back\slash`, "müller", "mu", "дмитрий", "李小龙", "42", "4915123456", "é", "e"}
	rng := rand.New(rand.NewPCG(7, 11))
	lists := [][]string{nil, slices.Repeat([]string{"echo"}, 300)}
	for range 300 {
		n := rng.IntN(40)
		if rng.IntN(10) == 0 {
			n = maxDocTokens
		}
		var tokens []string
		for range n {
			tokens = append(tokens, vocabulary[rng.IntN(len(vocabulary))])
		}
		lists = append(lists, tokens)
	}
	err := d.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE tsv_check (n int, binary_form tsvector, text_form tsvector) ON COMMIT DROP`); err != nil {
			return err
		}
		rows := make([][]any, len(lists))
		for i, tokens := range lists {
			rows[i] = []any{int32(i), tsVectorValue("contact", tokens), tsVector("contact", tokens)}
		}
		if err := db.Insert(ctx, tx, "tsv_check", []string{"n", "binary_form"}, dropLast(rows)); err != nil {
			return err
		}
		for i, r := range rows {
			if _, err := tx.ExecContext(ctx, `UPDATE tsv_check SET text_form = $2::tsvector WHERE n = $1`, i, r[2]); err != nil {
				return err
			}
		}
		var bad []int
		q, err := tx.QueryContext(ctx, `SELECT n FROM tsv_check WHERE tsvectorsend(binary_form) <> tsvectorsend(text_form) ORDER BY n`)
		if err != nil {
			return err
		}
		defer q.Close()
		for q.Next() {
			var n int
			if err := q.Scan(&n); err != nil {
				return err
			}
			bad = append(bad, n)
		}
		if err := q.Err(); err != nil {
			return err
		}
		for _, n := range bad[:min(len(bad), 3)] {
			t.Errorf("tokens %q: binary and text forms differ", lists[n])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dropLast returns rows without their last column.
func dropLast(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r[:len(r)-1]
	}
	return out
}
