package search

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
)

// On SQLite, search_docs maps (kind, ref_id) to an integer doc number that
// is the rowid of the contentless FTS5 table search_fts. A kind's documents
// are numbered inside their own range, code << 40 upwards, so one kind's
// matches are an FTS5 rowid range: read newest first, LIMIT stops the read,
// and no FTS column is ever scanned to filter by kind.

// registerKindSQL adds a kind the first time a document of it is indexed.
// It is a no-op read of the unique index once the kind exists.
const registerKindSQL = `INSERT INTO search_kinds (name)
SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM search_kinds WHERE name = $1)`

// selectSQLite reads the newest matches of one kind. CROSS JOIN keeps
// search_fts as the outer loop, so FTS5 consumes the rowid range, the
// order and, through it, the LIMIT.
const selectSQLite = `SELECT d.ref_id, d.title, d.subtitle
FROM search_fts f CROSS JOIN search_docs d ON d.doc = f.rowid
WHERE f.search_fts MATCH $1 AND f.rowid > $2 AND f.rowid < $3`

// selectSQLiteTail orders and limits; the limit is the last argument.
const selectSQLiteTail = `
ORDER BY f.rowid DESC
LIMIT $`

// insertFTSSQLite writes the tokens of many documents in one statement.
// FTS5 flushes its pending tokens to a new segment whenever a statement of
// the transaction opens a statement savepoint; one statement per batch
// keeps that to one flush instead of one per document.
const insertFTSSQLite = `INSERT OR REPLACE` + ftsRowsSQLite

// insertFreshFTSSQLite is insertFTSSQLite for documents new to the index.
const insertFreshFTSSQLite = `INSERT` + ftsRowsSQLite

// ftsRowsSQLite is the rows both take from the JSON array $1 of
// [doc, words].
const ftsRowsSQLite = ` INTO search_fts (rowid, words)
SELECT value ->> 0, value ->> 1 FROM json_each($1)`

// batchSQLite bounds the documents whose tokens go in one statement.
const batchSQLite = 1000

// upsertDocsSQLite numbers many documents of one kind in one statement:
// new ones count up from $2, the kind's highest number, in the order of
// the JSON array $3 of [ref_id, title, subtitle]; existing ones keep
// their number.
const upsertDocsSQLite = insertDocsSQLite + ` WHERE true
ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, subtitle = excluded.subtitle
RETURNING ref_id, doc`

// insertDocsSQLite is upsertDocsSQLite for documents new to the index:
// the numbers are known to the caller. (WHERE true above keeps SQLite
// from reading ON CONFLICT as a join constraint of the SELECT.)
const insertDocsSQLite = `INSERT INTO search_docs (doc, kind, ref_id, title, subtitle)
SELECT $2 + j.key + 1, $1, j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each($3) j`

// topDocSQLite reads a kind's code and highest document number (a
// reverse seek on the primary key).
const topDocSQLite = `SELECT k.code, (SELECT doc FROM search_docs
    WHERE doc > k.code << 40 AND doc < (k.code + 1) << 40 ORDER BY doc DESC LIMIT 1)
FROM search_kinds k WHERE k.name = $1`

// indexSQLite indexes docs; fresh says they belong to records created in
// the same transaction, so none is in the index yet.
func indexSQLite(ctx context.Context, q db.Querier, docs []Doc, fresh bool) error {
	docs = lastOfEach(docs)
	var kinds []string
	byKind := map[string][]Doc{}
	for _, d := range docs {
		if _, ok := byKind[d.Kind]; !ok {
			kinds = append(kinds, d.Kind)
		}
		byKind[d.Kind] = append(byKind[d.Kind], d)
	}
	for _, k := range kinds {
		if _, err := q.ExecContext(ctx, registerKindSQL, k); err != nil {
			return err
		}
		for list := byKind[k]; len(list) > 0; {
			n := min(len(list), batchSQLite)
			if err := indexChunkSQLite(ctx, q, k, list[:n], fresh); err != nil {
				return err
			}
			list = list[n:]
		}
	}
	return nil
}

// indexChunkSQLite indexes documents of one kind with two statements.
// Fresh documents are numbered here and inserted plainly: no old number
// to keep, no old tokens to replace.
func indexChunkSQLite(ctx context.Context, q db.Querier, kind string, docs []Doc, fresh bool) error {
	var code int64
	var top sql.NullInt64
	if err := q.QueryRowContext(ctx, topDocSQLite, kind).Scan(&code, &top); err != nil {
		return fmt.Errorf("kind %s: %w", kind, err)
	}
	base := code << 40
	if top.Valid {
		base = top.Int64
	}
	meta := make([][3]string, len(docs))
	for i, d := range docs {
		meta[i] = [3]string{d.ID, d.Title, d.Subtitle}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	// A fresh document i is number base+i+1; others keep theirs.
	var numbers map[string]int64
	if fresh {
		if _, err := q.ExecContext(ctx, insertDocsSQLite, kind, base, string(b)); err != nil {
			return err
		}
	} else if numbers, err = upsertDocs(ctx, q, kind, base, b); err != nil {
		return err
	}
	words := make([][2]any, len(docs))
	for i, d := range docs {
		doc := base + int64(i) + 1
		if !fresh {
			var ok bool
			if doc, ok = numbers[d.ID]; !ok {
				return fmt.Errorf("%s %s: no document number", d.Kind, d.ID)
			}
		}
		words[i] = [2]any{doc, strings.Join(docWords(d), " ")}
	}
	if b, err = json.Marshal(words); err != nil {
		return err
	}
	insert := insertFTSSQLite
	if fresh {
		insert = insertFreshFTSSQLite
	}
	_, err = q.ExecContext(ctx, insert, string(b))
	return err
}

// upsertDocs numbers docs (the JSON array b) from base, keeping the
// numbers of those already indexed, and returns the number of each ID.
func upsertDocs(ctx context.Context, q db.Querier, kind string, base int64, b []byte) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, upsertDocsSQLite, kind, base, string(b))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	numbers := map[string]int64{}
	for rows.Next() {
		var ref string
		var doc int64
		if err := rows.Scan(&ref, &doc); err != nil {
			return nil, err
		}
		numbers[ref] = doc
	}
	return numbers, rows.Err()
}

func removeSQLite(ctx context.Context, q db.Querier, kind, recordID string) error {
	var doc int64
	err := q.QueryRowContext(ctx, `DELETE FROM search_docs WHERE kind = $1 AND ref_id = $2 RETURNING doc`, kind, recordID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `DELETE FROM search_fts WHERE rowid = $1`, doc)
	return err
}

// searchSQLite returns up to want documents of kind k that match pq: first
// those whose every word is whole ("mar" the word, not "maria"), newest
// first, then the newest of the prefix matches. Each pass is one bounded
// FTS5 read; exact words come first however many longer words match.
func searchSQLite(ctx context.Context, q db.Querier, k kind, pq query, want int, reader *access.Actor) ([]Hit, error) {
	vis, visArgs := visible(reader, k.name, 3) // after the query's own arguments
	hits, err := querySQLite(ctx, q, k, ftsQueryExact(pq), want, vis, visArgs)
	if err != nil || len(hits) >= want {
		return hits, err
	}
	more, err := querySQLite(ctx, q, k, ftsQuery(pq), want, vis, visArgs)
	if err != nil {
		return nil, err
	}
	for _, h := range more {
		if len(hits) < want && !slices.ContainsFunc(hits, func(x Hit) bool { return x.ID == h.ID }) {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

func querySQLite(ctx context.Context, q db.Querier, k kind, match string, limit int, vis string, visArgs []any) ([]Hit, error) {
	args := append([]any{match, k.code << 40, (k.code + 1) << 40}, visArgs...)
	sql := selectSQLite
	if vis != "" {
		sql += " AND " + vis
	}
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, sql+selectSQLiteTail+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	return scanHits(rows, k.name)
}

func scanHits(rows *sql.Rows, kind string) ([]Hit, error) {
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		h := Hit{Kind: kind}
		if err := rows.Scan(&h.ID, &h.Title, &h.Subtitle); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}
