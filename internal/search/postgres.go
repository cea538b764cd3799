package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
)

// On PostgreSQL, search_docs holds each document with its tokens as a
// tsvector ("contact:anna", prefixed by kind) under a GIN index, and
// search_words holds the same tokens once more, one row per distinct token
// of a document, in a B-tree ordered by kind, token, rank and record. A
// query reads one token's range of that B-tree in order: the word itself
// first, then longer words starting with it, title words before others
// within a word, and LIMIT stops the read after the first few documents.
// The GIN index cannot stop early: a prefix such as "mar" makes it
// collect every match into a bitmap first, which at a million contacts
// takes longer than the whole query may. The tsvector still checks the
// other words of a query of several ("anna smi") and phrases
// ("anna.smith@exa") on the rows the B-tree hands over.

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

// deleteWordsPostgres removes the search_words rows of documents that are
// about to be replaced. Their tokens are the lexemes of the tsvector still
// stored, so each row is found by its whole primary key.
const deleteWordsPostgres = `DELETE FROM search_words w
USING search_docs d
JOIN search_kinds k ON k.name = d.kind
CROSS JOIN LATERAL unnest(d.words) AS l
WHERE (d.kind, d.ref_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
  AND w.code = k.code AND w.word = substr(l.lexeme, length(d.kind) + 2)
  AND w.rank IN (0, 1) AND w.ref_id = d.ref_id`

// insertWordsPostgres writes the tokens of many documents; the arrays are
// columns of the same length.
const insertWordsPostgres = `INSERT INTO search_words (code, word, rank, ref_id)
SELECT k.code, u.word, u.rank, u.ref_id
FROM unnest($1::text[], $2::text[], $3::smallint[], $4::uuid[]) AS u (kind, word, rank, ref_id)
JOIN search_kinds k ON k.name = u.kind
ON CONFLICT DO NOTHING`

// removePostgresSQL deletes one document and its search_words rows.
const removePostgresSQL = `WITH d AS (
    DELETE FROM search_docs WHERE kind = $1 AND ref_id = $2 RETURNING kind, ref_id, words
)
DELETE FROM search_words w
USING d
JOIN search_kinds k ON k.name = d.kind
CROSS JOIN LATERAL unnest(d.words) AS l
WHERE w.code = k.code AND w.word = substr(l.lexeme, length(d.kind) + 2)
  AND w.rank IN (0, 1) AND w.ref_id = d.ref_id`

// planned makes pgx send a statement unnamed, so PostgreSQL plans it for
// its arguments and the table sizes of the moment. A statement prepared
// once per connection (pgx's default) may keep a generic plan made while
// search_words was small, such as a sequential scan of it for every
// document deleted, long after a large import has filled it.
var planned = pgx.QueryExecModeCacheDescribe

// batchPostgres bounds the documents sent in one statement.
const batchPostgres = 1000

// Ranks of a token in search_words.
const (
	rankTitle = 0
	rankOther = 1
)

// indexPostgres replaces the documents' search_docs rows and their
// search_words rows: the old tokens go first, while the old tsvector still
// names them. Callers index a record in the transaction that changed it,
// after writing its row, so two transactions never index one record at the
// same time. With fresh set, the documents belong to records created in
// tx and go to indexFreshPostgres.
func indexPostgres(ctx context.Context, q db.Querier, docs []Doc, fresh *db.Tx) error {
	docs = lastOfEach(docs)
	if fresh != nil {
		return indexFreshPostgres(ctx, fresh, docs)
	}
	for len(docs) > 0 {
		n := min(len(docs), batchPostgres)
		var kinds, kindCol, ids, titles, subtitles, vectors []string
		var wKind, wWord, wRef []string
		var wRank []int16
		for _, d := range docs[:n] {
			if len(kinds) == 0 || kinds[len(kinds)-1] != d.Kind {
				kinds = append(kinds, d.Kind)
			}
			kindCol = append(kindCol, d.Kind)
			ids = append(ids, d.ID)
			titles = append(titles, d.Title)
			subtitles = append(subtitles, d.Subtitle)
			tokens, titled := titledWords(d)
			vectors = append(vectors, tsVector(d.Kind, tokens))
			for _, t := range rankedWords(tokens, titled) {
				wKind = append(wKind, d.Kind)
				wWord = append(wWord, t.word)
				wRank = append(wRank, t.rank)
				wRef = append(wRef, d.ID)
			}
		}
		if _, err := q.ExecContext(ctx, deleteWordsPostgres, planned, kindCol, ids); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, upsertDocsPostgres, kinds, kindCol, ids, titles, subtitles, vectors); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, insertWordsPostgres, planned, wKind, wWord, wRank, wRef); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

// indexFreshPostgres indexes documents of records created in tx: there
// are no old rows to look for or replace, so search_docs and search_words
// are written by COPY, which costs the server far less than
// INSERT ... ON CONFLICT from arrays and the tsvector's text form.
func indexFreshPostgres(ctx context.Context, tx *db.Tx, docs []Doc) error {
	if len(docs) == 0 {
		return nil
	}
	codes, err := kindCodes(ctx, tx, docs)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(docs))
	var words []freshWord
	for _, d := range docs {
		code, ok := codes[d.Kind]
		if !ok {
			return fmt.Errorf("kind %s: not registered", d.Kind)
		}
		tokens, titled := titledWords(d)
		rows = append(rows, []any{d.Kind, d.ID, d.Title, d.Subtitle, tsVectorValue(d.Kind, tokens)})
		for _, t := range rankedWords(tokens, titled) {
			words = append(words, freshWord{code: code, word: t.word, rank: t.rank, ref: d.ID})
		}
	}
	if err := db.Insert(ctx, tx, "search_docs", []string{"kind", "ref_id", "title", "subtitle", "words"}, rows); err != nil {
		return err
	}
	return copyWordsPostgres(ctx, tx, words)
}

// kindCodes registers the kinds of docs in search_kinds where they are
// new and returns the code of each.
func kindCodes(ctx context.Context, tx *db.Tx, docs []Doc) (map[string]int32, error) {
	var kinds []string
	for _, d := range docs {
		if !slices.Contains(kinds, d.Kind) {
			kinds = append(kinds, d.Kind)
		}
	}
	// NOT EXISTS keeps a known kind from drawing an identity value.
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_kinds (name)
		SELECT n FROM unnest($1::text[]) AS n WHERE NOT EXISTS (SELECT 1 FROM search_kinds WHERE name = n)
		ON CONFLICT (name) DO NOTHING`, kinds); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, code FROM search_kinds WHERE name = ANY($1)`, kinds)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	codes := make(map[string]int32, len(kinds))
	for rows.Next() {
		var name string
		var code int32
		if err := rows.Scan(&name, &code); err != nil {
			return nil, err
		}
		codes[name] = code
	}
	return codes, rows.Err()
}

// freshWord is a token of a document new to the index.
type freshWord struct {
	code int32
	word string
	rank int16
	ref  string
}

// copyWordsPostgres writes the tokens of fresh documents by COPY.
func copyWordsPostgres(ctx context.Context, tx *db.Tx, words []freshWord) error {
	// In the primary key's order: each leaf of the index is then visited
	// once per batch, in turn, instead of once per token at random, which
	// matters once the index is larger than the server's buffer cache.
	// Most tokens are shared by many documents ("gmail", a city), so the
	// documents are grouped by token and only the distinct tokens sorted.
	type key struct {
		code int32
		word string
		rank int16
	}
	at := map[key]int{}
	var keys []key
	var refs [][]string
	for _, w := range words {
		k := key{w.code, w.word, w.rank}
		i, ok := at[k]
		if !ok {
			i = len(keys)
			at[k] = i
			keys = append(keys, k)
			refs = append(refs, nil)
		}
		refs[i] = append(refs[i], w.ref)
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := keys[a], keys[b]
		return cmp.Or(cmp.Compare(x.code, y.code), strings.Compare(x.word, y.word), cmp.Compare(x.rank, y.rank))
	})
	out := make([][]any, 0, len(words))
	for _, i := range order {
		k := keys[i]
		slices.Sort(refs[i])
		for _, ref := range refs[i] {
			out = append(out, []any{k.code, k.word, k.rank, ref})
		}
	}
	return db.Insert(ctx, tx, "search_words", []string{"code", "word", "rank", "ref_id"}, out)
}

// rankedWord is one distinct token of a document with its best rank.
type rankedWord struct {
	word string
	rank int16
}

// rankedWords returns the distinct tokens of a document, in first-seen
// order; the first titleWords tokens are its title (docWords puts them
// first), and a token found there is rankTitle wherever else it occurs.
func rankedWords(tokens []string, titleWords int) []rankedWord {
	seen := make(map[string]bool, len(tokens))
	out := make([]rankedWord, 0, len(tokens))
	for i, t := range tokens {
		if seen[t] {
			continue
		}
		seen[t] = true
		r := int16(rankOther)
		if i < titleWords {
			r = rankTitle
		}
		out = append(out, rankedWord{t, r})
	}
	return out
}

// lastOfEach drops all but the last document of each kind and ID: one
// INSERT ... ON CONFLICT DO UPDATE may not touch a row twice, and the
// plain inserts and COPY of new documents would fail on the second.
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

func removePostgres(ctx context.Context, q db.Querier, kind, recordID string) error {
	_, err := q.ExecContext(ctx, removePostgresSQL, planned, kind, recordID)
	return err
}

// wordRange is the part of search_words that one query token reads: the
// word itself when it is a whole word inside a phrase, else every word
// starting with it. The "C" collation compares bytes; no token holds
// U+0001 or U+10FFFF (isWordRune), so hi closes the range exactly.
type wordRange struct{ lo, hi string }

func tokenRange(t string, prefix bool) wordRange {
	if prefix {
		return wordRange{t, t + "\U0010FFFF"}
	}
	return wordRange{t, t + "\x01"}
}

// ranges returns the distinct ranges of q's tokens: in each phrase the
// last token is a prefix, the others are whole words.
func (q query) ranges() []wordRange {
	var out []wordRange
	for _, p := range q.phrases {
		for i, t := range p {
			r := tokenRange(t, i == len(p)-1)
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// probeWordsPostgres counts the rows of each token's range, up to $4: a
// query of several words reads the smallest range, in which the other
// words are checked. A common first name and a rare surname read the
// surname.
const probeWordsPostgres = `SELECT t.i, (SELECT count(*) FROM (SELECT 1 FROM search_words w
    WHERE w.code = $1 AND w.word >= t.lo AND w.word < t.hi LIMIT $4) AS s)
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t (lo, hi, i)`

// probeLimit bounds the count of one range. Past it, ranges are equally
// large to the query and the longest token is read.
const probeLimit = 2000

// selectWordsPostgres reads a range of one kind's tokens in index order,
// from the row after the cursor ($3, $4, $5) up to $6, with each token's
// document. The LATERAL ... LIMIT 1 cannot be flattened into a join, so
// each document is looked up by key as its token comes: without it the
// planner may scan all of search_docs to check a tsquery first. The
// conditions and the ORDER BY ... LIMIT that complete it are added in
// queryPostgres.
const selectWordsPostgres = `SELECT w.word, w.rank, w.ref_id::text, d.title, d.subtitle
FROM search_words w
CROSS JOIN LATERAL (SELECT d.ref_id, d.title, d.subtitle, d.words FROM search_docs d
    WHERE d.kind = $1 AND d.ref_id = w.ref_id LIMIT 1) AS d
WHERE w.code = $2 AND (w.word, w.rank, w.ref_id) > ($3, $4::smallint, $5::uuid) AND w.word < $6`

// noUUID sorts before every UUID: the cursor before a range's first row.
const noUUID = "00000000-0000-0000-0000-000000000000"

// pgSearch is one query of one kind on PostgreSQL.
type pgSearch struct {
	kind   kind
	query  query
	want   int // distinct documents to return, at most
	reader *access.Actor
}

// queryPostgres returns up to s.want documents of one kind that match
// s.query, read in the order of the smallest token range: exact words
// before longer words, title words before others. A document with several
// words in the range is met more than once; reading continues past the
// repeats until s.want distinct documents are found or the range ends.
func queryPostgres(ctx context.Context, q db.Querier, s pgSearch) ([]Hit, error) {
	ranges, err := sortRanges(ctx, q, s.kind.code, s.query.ranges())
	if err != nil {
		return nil, err
	}
	r := ranges[0].wordRange
	page := s.want
	args := []any{planned, s.kind.name, s.kind.code, r.lo, -1, noUUID, r.hi}
	sql := selectWordsPostgres
	if len(s.query.tokens()) > 1 {
		// The range matches one token; the tsvector checks them all, and
		// the order of the words of a phrase.
		args = append(args, tsQuery(s.kind.name, s.query))
		sql += " AND d.words @@ $" + strconv.Itoa(len(args)-1) + "::tsquery"
	}
	if vis, visArgs := visible(s.reader, s.kind.name, len(args)-1); vis != "" {
		sql += " AND " + vis
		args = append(args, visArgs...)
	}
	args = append(args, page)
	sql += " ORDER BY w.word, w.rank, w.ref_id LIMIT $" + strconv.Itoa(len(args)-1)
	var hits []Hit
	seen := map[string]bool{}
	for len(hits) < s.want {
		rows, err := q.QueryContext(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		n := 0
		var word, ref string
		var rank int
		for rows.Next() {
			h := Hit{Kind: s.kind.name}
			if err := rows.Scan(&word, &rank, &ref, &h.Title, &h.Subtitle); err != nil {
				rows.Close()
				return nil, err
			}
			n++
			if !seen[ref] && len(hits) < s.want {
				seen[ref] = true
				h.ID = ref
				hits = append(hits, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n < page {
			break
		}
		args[3], args[4], args[5] = word, rank, ref
	}
	return hits, nil
}

// countedRange is a token range with its row count, up to probeLimit.
type countedRange struct {
	wordRange
	n int
}

// sortRanges orders ranges by their rows of kind code, fewest first,
// counting each up to probeLimit; ties go to the longest token.
func sortRanges(ctx context.Context, q db.Querier, code int64, ranges []wordRange) ([]countedRange, error) {
	out := make([]countedRange, len(ranges))
	for i, r := range ranges {
		out[i] = countedRange{r, probeLimit}
	}
	if len(ranges) == 1 {
		return out, nil
	}
	lo, hi := make([]string, len(ranges)), make([]string, len(ranges))
	for i, r := range ranges {
		lo[i], hi[i] = r.lo, r.hi
	}
	rows, err := q.QueryContext(ctx, probeWordsPostgres, planned, code, lo, hi, probeLimit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var i, n int
		if err := rows.Scan(&i, &n); err != nil {
			return nil, err
		}
		out[i-1].n = n
	}
	slices.SortStableFunc(out, func(a, b countedRange) int {
		return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(len(b.lo), len(a.lo)))
	})
	return out, rows.Err()
}

// tsVectorValue is tsVector in the binary form COPY sends. PostgreSQL
// sorts binary input but, unlike the text form, does not merge a lexeme
// given twice (it would be stored twice), and it refuses positions out of
// order or more than maxLexemePositions of them. So the value is built as
// the server folds the text form: lexemes sorted by their bytes, each
// once, with its positions ascending, duplicate-free and at most
// maxLexemePositions of them (the first ones).
func tsVectorValue(kind string, tokens []string) pgtype.TSVector {
	at := make(map[string]int, len(tokens))
	var lexemes []pgtype.TSVectorLexeme
	for i, t := range tokens {
		word := kind + ":" + t
		j, ok := at[word]
		if !ok {
			j = len(lexemes)
			at[word] = j
			lexemes = append(lexemes, pgtype.TSVectorLexeme{Word: word})
		}
		pos := uint16(min(i+1, maxPosition))
		l := &lexemes[j]
		if n := len(l.Positions); n < maxLexemePositions && (n == 0 || l.Positions[n-1].Position < pos) {
			l.Positions = append(l.Positions, pgtype.TSVectorPosition{Position: pos, Weight: pgtype.TSVectorWeightD})
		}
	}
	slices.SortFunc(lexemes, func(a, b pgtype.TSVectorLexeme) int { return strings.Compare(a.Word, b.Word) })
	return pgtype.TSVector{Lexemes: lexemes, Valid: true}
}

const (
	// maxPosition is the largest position a tsvector stores.
	maxPosition = 16383
	// maxLexemePositions is the most positions a tsvector keeps of one
	// lexeme.
	maxLexemePositions = 256
)
