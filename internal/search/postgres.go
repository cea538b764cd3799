package search

import (
	"context"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
)

// On PostgreSQL, search_docs holds each document with its tokens as a
// tsvector under a GIN index. Every lexeme starts with the document's kind
// ("contact:anna"), so a prefix query for one kind scans only that kind's
// part of the index; no separate kind filter is needed.

// upsertDocsPostgres indexes any number of documents in one statement: the
// arrays are columns of the same length. The data-modifying CTE registers
// new kinds; NOT EXISTS keeps it from drawing an identity value each time.
const upsertDocsPostgres = `WITH new_kinds AS (
    INSERT INTO search_kinds (name)
    SELECT DISTINCT n FROM unnest($1::text[]) AS n
    WHERE NOT EXISTS (SELECT 1 FROM search_kinds WHERE name = n)
    ON CONFLICT (name) DO NOTHING
)
INSERT INTO search_docs (kind, ref_id, title, subtitle, words)
SELECT * FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[]::tsvector[])
ON CONFLICT (kind, ref_id) DO UPDATE
SET title = excluded.title, subtitle = excluded.subtitle, words = excluded.words`

// selectPostgres reads the first matches the GIN bitmap scan yields, in
// no particular order: ordering all matches is what must not happen.
const selectPostgres = `SELECT d.ref_id::text, d.title, d.subtitle FROM search_docs d
WHERE d.words @@ $1::tsquery`

// batchPostgres bounds the rows sent in one statement.
const batchPostgres = 1000

func indexPostgres(ctx context.Context, q db.Querier, docs []Doc) error {
	docs = lastOfEach(docs)
	for len(docs) > 0 {
		n := min(len(docs), batchPostgres)
		var kinds, kindCol, ids, titles, subtitles, vectors []string
		for _, d := range docs[:n] {
			if len(kinds) == 0 || kinds[len(kinds)-1] != d.Kind {
				kinds = append(kinds, d.Kind)
			}
			kindCol = append(kindCol, d.Kind)
			ids = append(ids, d.ID)
			titles = append(titles, d.Title)
			subtitles = append(subtitles, d.Subtitle)
			vectors = append(vectors, tsVector(d.Kind, docWords(d)))
		}
		if _, err := q.ExecContext(ctx, upsertDocsPostgres, kinds, kindCol, ids, titles, subtitles, vectors); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

// lastOfEach drops all but the last document of each kind and ID: one
// INSERT ... ON CONFLICT DO UPDATE may not touch a row twice.
func lastOfEach(docs []Doc) []Doc {
	type key struct{ kind, id string }
	last := make(map[key]int, len(docs))
	for i, d := range docs {
		last[key{d.Kind, strings.ToLower(d.ID)}] = i
	}
	if len(last) == len(docs) {
		return docs
	}
	out := make([]Doc, 0, len(last))
	for i, d := range docs {
		if last[key{d.Kind, strings.ToLower(d.ID)}] == i {
			out = append(out, d)
		}
	}
	return out
}

func queryPostgres(ctx context.Context, q db.Querier, kind, tsquery string, limit int, vis string, visArgs []any) ([]Hit, error) {
	args := append([]any{tsquery}, visArgs...)
	sql := selectPostgres
	if vis != "" {
		sql += " AND " + vis
	}
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, sql+" LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	return scanHits(rows, kind)
}
