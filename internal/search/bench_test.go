package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// BenchmarkQuery indexes RAPPORT_BENCH_SEARCH_DOCS contacts (default
// 50,000) and a tenth as many companies on each engine, then times typical
// queries. "baseline-prefix3" is the bare SQL for the contacts of "mar",
// reading as many candidates as Query does.
//
//	RAPPORT_BENCH_SEARCH_DOCS=1000000 go test -run '^$' -bench Query -benchtime 2s ./internal/search/
func BenchmarkQuery(b *testing.B) {
	n := 50_000
	if s := os.Getenv("RAPPORT_BENCH_SEARCH_DOCS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("RAPPORT_BENCH_SEARCH_DOCS=%q: want a positive number", s)
		}
		n = v
	}
	queries := []struct{ name, text string }{
		{"prefix2", "ma"},
		{"prefix3", "mar"},
		{"prefix4", "mari"},
		{"prefix3-rare", "zyg"},
		{"fullname", "Maria Schmidt"},
		{"name-prefixes", "mar sch"},
		{"email", "maria.schmidt@"},
		{"phone", "+49 151 23"},
		{"nomatch", "qqqq"},
	}
	ctx := context.Background()
	for _, e := range dbtest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			d := dbtest.Open(b, e)
			start := time.Now()
			loadBench(b, d, n)
			b.Logf("%s: indexed %d contacts and %d companies in %s", e, n, n/10, time.Since(start).Round(time.Millisecond))
			for _, c := range queries {
				b.Logf("%s: %-14s %q matches %d contacts", e, c.name, c.text, countMatches(b, d, c.text))
			}
			for _, c := range queries {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := Query(ctx, d.R, e, c.text, Options{}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Logf("%s: index size %s", e, indexSize(b, d))
			b.Run("baseline-prefix3", func(b *testing.B) {
				q := parseQuery("mar")
				k := kind{code: 1, name: KindContact}
				for b.Loop() {
					var err error
					if e == db.SQLite {
						_, err = querySQLite(ctx, d.R, k, ftsQuery(q), candidates(DefaultLimit), "", nil)
					} else {
						err = plainRowsPostgres(ctx, d, "mar", candidates(DefaultLimit))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			// Writes last, so the queries above ran on exactly n documents.
			b.Run("index-new", func(b *testing.B) {
				for b.Loop() {
					doc := Doc{Kind: KindContact, ID: id.New(), Title: "Neue Person", Subtitle: "neu@example.com",
						Terms: []string{"neu@example.com", "+49 170 1234567"}}
					if err := d.WithTx(ctx, func(tx *db.Tx) error { return Index(ctx, tx, e, doc) }); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("reindex", func(b *testing.B) {
				doc := Doc{Kind: KindContact, ID: id.New(), Title: "Alte Person"}
				i := 0
				for b.Loop() {
					i++
					doc.Subtitle = fmt.Sprintf("alt%d@example.com", i)
					if err := d.WithTx(ctx, func(tx *db.Tx) error { return Index(ctx, tx, e, doc) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// plainRowsPostgres reads the first n contacts with a word starting with
// prefix the way queryPostgres does, as one plain statement.
func plainRowsPostgres(ctx context.Context, d *db.DB, prefix string, n int) error {
	rows, err := d.R.QueryContext(ctx, `SELECT w.ref_id, d.title, d.subtitle FROM search_words w
		JOIN search_docs d ON d.kind = 'contact' AND d.ref_id = w.ref_id
		WHERE w.code = 1 AND w.word >= $1 AND w.word < $2 ORDER BY w.word, w.rank, w.ref_id LIMIT $3`,
		prefix, prefix+"\U0010FFFF", n)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// indexSize reports the disk the search tables take.
func indexSize(b *testing.B, d *db.DB) string {
	var size int64
	var err error
	if d.Engine == db.SQLite {
		err = d.R.QueryRow(`SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&size)
		return fmt.Sprintf("%d MB (whole SQLite file), err %v", size>>20, err)
	}
	err = d.R.QueryRow(`SELECT pg_total_relation_size('search_docs') + pg_total_relation_size('search_words')`).Scan(&size)
	return fmt.Sprintf("%d MB (search_docs and search_words with indexes), err %v", size>>20, err)
}

// countMatches counts every contact that text matches: the work a ranked
// search would have to do, and which Query does not.
func countMatches(b *testing.B, d *db.DB, text string) int {
	q := parseQuery(text)
	var n int
	var err error
	if d.Engine == db.SQLite {
		err = d.R.QueryRow(`SELECT count(*) FROM search_fts WHERE search_fts MATCH $1 AND rowid > $2 AND rowid < $3`,
			ftsQuery(q), int64(1)<<40, int64(2)<<40).Scan(&n)
	} else {
		err = d.R.QueryRow(`SELECT count(*) FROM search_docs WHERE words @@ $1::tsquery`, tsQuery(KindContact, q)).Scan(&n)
	}
	if err != nil {
		b.Fatal(err)
	}
	return n
}

var (
	benchFirst = []string{"Maria", "Mario", "Marie", "Markus", "Martin", "Anna", "Anne", "Andreas", "Jan", "Jana",
		"John", "Johanna", "Peter", "Paula", "Sofia", "Lukas", "Lea", "Léa", "Zoë", "José", "Jörg", "Søren",
		"Thomas", "Tobias", "Sarah", "Laura", "Michael", "Michelle", "David", "Daniel", "Emma", "Emil",
		"Felix", "Fiona", "Karl", "Klara", "Nina", "Noah", "Oliver", "Olga", "Дмитрий", "Ольга", "Σοφία",
		"Νίκος", "李", "王", "Zygmunt", "Ahmed", "Fatima", "Yuki"}
	benchLast = []string{"Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
		"Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
		"Braun", "Krüger", "Hofmann", "Smith", "Jones", "Brown", "Martin", "Bernard", "Dubois", "García",
		"Martínez", "Rossi", "Russo", "Nowak", "Kowalski", "Иванов", "Петрова", "Παπαδόπουλος", "明", "伟",
		"Tanaka", "Yamamoto", "Marx"}
	benchWords = []string{"Acme", "Global", "Nord", "Süd", "Blue", "Green", "Alpha", "Beta", "Delta",
		"Vision", "Smart", "Data", "Cloud", "Bau", "Logistik", "Solutions", "Systems", "Media", "Consulting", "Partner"}
	benchJobs = []string{"CEO", "CTO", "Sales Manager", "Buyer", "Engineer", "Office Manager", "Marketing Lead", ""}
)

// loadBench indexes n contacts and n/10 companies, deterministically:
// one transaction on SQLite, transactions of 10,000 in batches on
// PostgreSQL.
func loadBench(b *testing.B, d *db.DB, n int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	nCompanies := max(n/10, 1)
	domains := make([]string, nCompanies)
	var docs []Doc
	for i := range nCompanies {
		name := benchWords[r.IntN(len(benchWords))] + " " + benchWords[r.IntN(len(benchWords))] + " " + strconv.Itoa(i)
		domains[i] = fmt.Sprintf("%s%d.example", benchWords[r.IntN(len(benchWords))], i)
		docs = append(docs, Doc{Kind: KindCompany, ID: id.New(), Title: name + " GmbH", Subtitle: domains[i],
			Terms: []string{domains[i], fmt.Sprintf("+49 30 %07d", r.IntN(10_000_000))}})
	}
	for i := range n {
		first, last := benchFirst[r.IntN(len(benchFirst))], benchLast[r.IntN(len(benchLast))]
		email := fmt.Sprintf("%s.%s%d@%s", fold(first), fold(last), i%100, domains[r.IntN(nCompanies)])
		mobile := fmt.Sprintf("%02d %07d", 50+r.IntN(30), r.IntN(10_000_000))
		docs = append(docs, Doc{Kind: KindContact, ID: id.New(), Title: first + " " + last, Subtitle: email,
			Terms: []string{email, "+49 1" + mobile, "01" + mobile, benchJobs[r.IntN(len(benchJobs))]}})
	}
	step := len(docs)
	if d.Engine == db.Postgres {
		step = 10_000
	}
	for len(docs) > 0 {
		m := min(step, len(docs))
		err := d.WithTx(ctx, func(tx *db.Tx) error { return IndexBatch(ctx, tx, tx.Engine, docs[:m]) })
		if err != nil {
			b.Fatal(err)
		}
		docs = docs[m:]
	}
	if d.Engine == db.Postgres {
		if _, err := d.W.ExecContext(ctx, `VACUUM ANALYZE search_docs, search_words`); err != nil {
			b.Fatal(err)
		}
	}
}
