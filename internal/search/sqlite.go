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

// upsertDocSQLite numbers a new document one past the highest number of
// its kind (a reverse seek on the primary key) or keeps the number of the
// existing one.
const upsertDocSQLite = `INSERT INTO search_docs (doc, kind, ref_id, title, subtitle)
SELECT coalesce(
        (SELECT doc FROM search_docs
         WHERE doc > k.code << 40 AND doc < (k.code + 1) << 40
         ORDER BY doc DESC LIMIT 1),
        k.code << 40) + 1,
    k.name, $2, $3, $4
FROM search_kinds k WHERE k.name = $1
ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, subtitle = excluded.subtitle
RETURNING doc`

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
const insertFTSSQLite = `INSERT OR REPLACE INTO search_fts (rowid, words)
SELECT value ->> 0, value ->> 1 FROM json_each($1)`

// batchSQLite bounds the documents whose tokens go in one statement.
const batchSQLite = 1000

// preparer is what *sql.DB, *sql.Tx and *db.Tx offer to reuse a statement.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func indexSQLite(ctx context.Context, q db.Querier, docs []Doc) error {
	docs = lastOfEach(docs)
	var kinds []string
	for _, d := range docs {
		if !slices.Contains(kinds, d.Kind) {
			kinds = append(kinds, d.Kind)
			if _, err := q.ExecContext(ctx, registerKindSQL, d.Kind); err != nil {
				return err
			}
		}
	}
	upsert := func(d Doc) *sql.Row {
		return q.QueryRowContext(ctx, upsertDocSQLite, d.Kind, d.ID, d.Title, d.Subtitle)
	}
	if p, ok := q.(preparer); ok && len(docs) > 1 {
		stmt, err := p.PrepareContext(ctx, upsertDocSQLite)
		if err != nil {
			return err
		}
		defer stmt.Close()
		upsert = func(d Doc) *sql.Row { return stmt.QueryRowContext(ctx, d.Kind, d.ID, d.Title, d.Subtitle) }
	}
	for len(docs) > 0 {
		n := min(len(docs), batchSQLite)
		rows := make([][2]any, n)
		for i, d := range docs[:n] {
			var doc int64
			if err := upsert(d).Scan(&doc); err != nil {
				return fmt.Errorf("%s %s: %w", d.Kind, d.ID, err)
			}
			rows[i] = [2]any{doc, strings.Join(docWords(d), " ")}
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, insertFTSSQLite, string(b)); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
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
