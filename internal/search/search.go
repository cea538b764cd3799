// Package search is Rapport's global search: contacts, companies and later
// other records found by name, email, phone or domain while the user types.
//
// Each record is indexed as one document in the same transaction as the
// change that produced it. A query matches every word it holds, each as a
// prefix, and returns a few hits per kind of record. On SQLite the index is
// an FTS5 table; on PostgreSQL a B-tree of tokens (search_words) beside a
// tsvector per document. Both engines index the same tokens, made in Go
// (see text.go), so a query finds the same documents on either.
//
// Queries never rank every match: a two-letter prefix may match a tenth of a
// million contacts. Each kind reads a bounded number of candidates in an
// order an index gives, documents with the query's words whole before
// those with longer words starting with them, and only those candidates
// are ordered by how well their title matches.
package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rapportcrm/rapport/internal/access"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// The kinds of record indexed today. Any other kind made of a-z, 0-9 and _
// is registered the first time a document of it is indexed.
const (
	KindContact = "contact"
	KindCompany = "company"
)

// Doc is one searchable record.
type Doc struct {
	// Kind says what the record is: KindContact, KindCompany, ...
	Kind string
	// ID is the record's UUID.
	ID string
	// Title is the display name, shown and matched first.
	Title string
	// Subtitle is shown under the title (primary email, domain) and is
	// searchable too.
	Subtitle string
	// Terms are further searchable strings: every email, phone number,
	// domain, the job title, the company name. Phone numbers are also
	// indexed as their digits alone; pass both international and national
	// forms ("+49 151 2345678", "0151 2345678") to find either.
	Terms []string
}

// Hit is one found record.
type Hit struct {
	Kind     string
	ID       string
	Title    string
	Subtitle string
}

// Group holds the hits of one kind.
type Group struct {
	Kind string
	Hits []Hit
}

// Options narrows a query.
type Options struct {
	// Kinds limits the search to these kinds, in this order. Empty means
	// every kind, in the order they were registered (contact, company, ...).
	Kinds []string
	// Limit is the most hits per kind: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Reader, when set, limits the hits of owned kinds (RegisterOwned) to
	// the records this actor's visibility scope covers.
	Reader *access.Actor
}

// owned maps a kind whose records have an owner to their table, which has
// id and owner_id columns.
var (
	ownedMu sync.RWMutex
	owned   = map[string]string{KindContact: "contacts", KindCompany: "companies"}
)

// RegisterOwned declares that records of kind live in table (with id and
// owner_id columns) and obey the visibility scope; later domains (deals,
// ...) register theirs.
func RegisterOwned(kind, table string) {
	ownedMu.Lock()
	defer ownedMu.Unlock()
	owned[kind] = table
}

// visible is the condition keeping the hits of kind that r may see.
func visible(r *access.Actor, kind string, n int) (string, []any) {
	ownedMu.RLock()
	table, ok := owned[kind]
	ownedMu.RUnlock()
	if r == nil || !ok {
		return "", nil
	}
	return r.VisibleRefSQL(table, "d.ref_id", n)
}

// Limits on hits per kind.
const (
	DefaultLimit = 5
	MaxLimit     = 50
)

// candidates is how many rows per kind a query reads before ordering them
// by title match: enough to surface "Anna Smith" above a contact who only
// has "anna" in an email, few enough to cost the same at any table size.
func candidates(limit int) int { return max(4*limit, 20) }

// Index adds doc to the index or replaces what was indexed for the same
// kind and ID. Call it inside the transaction that writes the record.
func Index(ctx context.Context, q db.Querier, engine db.Engine, doc Doc) error {
	if err := doc.check(); err != nil {
		return err
	}
	var err error
	switch engine {
	case db.SQLite:
		err = indexSQLite(ctx, q, []Doc{doc}, false)
	case db.Postgres:
		err = indexPostgres(ctx, q, []Doc{doc}, nil)
	default:
		err = fmt.Errorf("unknown engine %q", engine)
	}
	if err != nil {
		return fmt.Errorf("search: index %s %s: %w", doc.Kind, doc.ID, err)
	}
	return nil
}

// IndexBatch indexes many documents at once, for loads and re-indexing,
// with a few statements per thousand documents. Call it inside the
// transaction that writes the records. When the same kind and ID occur
// twice the later document wins.
func IndexBatch(ctx context.Context, q db.Querier, engine db.Engine, docs []Doc) error {
	return indexMany(ctx, q, engine, docs, nil)
}

// IndexNew indexes the documents of records created in tx, as IndexBatch
// does, for imports and demo data. None of them may be in the index yet
// (a record's ID is new with it): on both engines the documents are then
// written without looking for old ones (PostgreSQL by COPY), and one that
// is already indexed makes IndexNew fail instead of replacing it.
func IndexNew(ctx context.Context, tx *db.Tx, docs []Doc) error {
	return indexMany(ctx, tx, tx.Engine, docs, tx)
}

// indexMany serves IndexBatch and IndexNew; fresh is the transaction that
// created every document's record, or nil.
func indexMany(ctx context.Context, q db.Querier, engine db.Engine, docs []Doc, fresh *db.Tx) error {
	for _, d := range docs {
		if err := d.check(); err != nil {
			return err
		}
	}
	var err error
	switch engine {
	case db.SQLite:
		err = indexSQLite(ctx, q, docs, fresh != nil)
	case db.Postgres:
		err = indexPostgres(ctx, q, docs, fresh)
	default:
		err = fmt.Errorf("unknown engine %q", engine)
	}
	if err != nil {
		return fmt.Errorf("search: index batch: %w", err)
	}
	return nil
}

// Remove takes the record of kind and recordID out of the index, in the
// transaction that deletes the record. Removing what is not there is not
// an error.
func Remove(ctx context.Context, q db.Querier, engine db.Engine, kind, recordID string) error {
	if err := (Doc{Kind: kind, ID: recordID}).check(); err != nil {
		return err
	}
	var err error
	switch engine {
	case db.SQLite:
		err = removeSQLite(ctx, q, kind, recordID)
	case db.Postgres:
		err = removePostgres(ctx, q, kind, recordID)
	default:
		err = fmt.Errorf("unknown engine %q", engine)
	}
	if err != nil {
		return fmt.Errorf("search: remove %s %s: %w", kind, recordID, err)
	}
	return nil
}

// Query finds records that have, for every word of text, words starting
// with it, and returns at most opts.Limit hits per kind: one Group per kind
// that has hits. A word with punctuation inside is a phrase
// ("anna.smith@exa", "acme.co"); text written like a phone number ("+49 151
// 23", "(030) 12") is matched as one run of digits. text is user input as
// typed: no operator of either engine's query language is honoured, and
// text with no letters or digits finds nothing and is not an error.
func Query(ctx context.Context, q db.Querier, engine db.Engine, text string, opts Options) ([]Group, error) {
	pq := parseQuery(text)
	if pq.empty() {
		return nil, nil
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	kinds, err := selectKinds(ctx, q, opts.Kinds)
	if err != nil {
		return nil, fmt.Errorf("search: kinds: %w", err)
	}
	var groups []Group
	for _, k := range kinds {
		var hits []Hit
		switch engine {
		case db.SQLite:
			hits, err = searchSQLite(ctx, q, k, pq, candidates(limit), opts.Reader)
		case db.Postgres:
			hits, err = queryPostgres(ctx, q, pgSearch{kind: k, query: pq, want: candidates(limit), reader: opts.Reader})
		default:
			err = fmt.Errorf("unknown engine %q", engine)
		}
		if err != nil {
			return nil, fmt.Errorf("search: query %s: %w", k.name, err)
		}
		if len(hits) > 0 {
			groups = append(groups, Group{Kind: k.name, Hits: best(hits, pq, limit)})
		}
	}
	return groups, nil
}

// kind is a registered kind; code is its SQLite rowid range (code << 40).
type kind struct {
	code int64
	name string
}

func selectKinds(ctx context.Context, q db.Querier, want []string) ([]kind, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, name FROM search_kinds ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []kind
	for rows.Next() {
		var k kind
		if err := rows.Scan(&k.code, &k.name); err != nil {
			return nil, err
		}
		all = append(all, k)
	}
	if err := rows.Err(); err != nil || len(want) == 0 {
		return all, err
	}
	var out []kind
	for _, w := range want {
		if i := slices.IndexFunc(all, func(k kind) bool { return k.name == w }); i >= 0 && !slices.ContainsFunc(out, func(k kind) bool { return k.name == w }) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// best orders candidate hits by how well their title matches q and keeps
// the first limit. Ties go by title, then ID, so the order is the same on
// both engines.
func best(hits []Hit, q query, limit int) []Hit {
	tokens := q.tokens()
	type scored struct {
		Hit
		score int
		key   string
	}
	s := make([]scored, len(hits))
	for i, h := range hits {
		s[i] = scored{Hit: h, score: titleScore(words(h.Title), tokens), key: fold(h.Title)}
	}
	slices.SortFunc(s, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.score, a.score), strings.Compare(a.key, b.key), strings.Compare(a.ID, b.ID))
	})
	out := make([]Hit, 0, min(limit, len(s)))
	for _, x := range s[:min(limit, len(s))] {
		out = append(out, x.Hit)
	}
	return out
}

// titleScore rewards query tokens that are whole title words (4), title
// word prefixes (2), and a title that starts with the first token (1).
func titleScore(title, tokens []string) int {
	score := 0
	for _, t := range tokens {
		m := 0
		for _, w := range title {
			switch {
			case w == t:
				m = 4
			case m < 2 && strings.HasPrefix(w, t):
				m = 2
			}
		}
		score += m
	}
	if len(title) > 0 && len(tokens) > 0 && strings.HasPrefix(title[0], tokens[0]) {
		score++
	}
	return score
}

// check reports a kind or ID that cannot be indexed. Kinds become part of
// PostgreSQL lexemes, so they are kept to a-z, 0-9 and _.
func (d Doc) check() error {
	if !validKind(d.Kind) {
		return fmt.Errorf("search: kind %q: %w", d.Kind, errBadKind)
	}
	if !id.Valid(d.ID) {
		return fmt.Errorf("search: %s id %q: %w", d.Kind, d.ID, errBadID)
	}
	return nil
}

var (
	errBadKind = errors.New("want 1-32 characters of a-z, 0-9 and _, starting with a letter")
	errBadID   = errors.New("not a UUID")
)

func validKind(k string) bool {
	if len(k) == 0 || len(k) > 32 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for _, c := range []byte(k) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
