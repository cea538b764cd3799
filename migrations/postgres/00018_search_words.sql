-- +goose Up
-- Global search answers prefix queries from an ordered B-tree instead of
-- the GIN index (internal/search/postgres.go): a GIN prefix scan must
-- collect every match of "mar" into a bitmap before LIMIT can stop it,
-- while a B-tree range hands the matches over in order and stops after the
-- first few. One row per distinct token of a document; code is the kind's
-- search_kinds.code; rank 0 marks a token of the title, 1 any other. The
-- "C" collation orders by bytes, so a prefix is one contiguous range, and
-- "mar" itself sorts before "mara": exact words come first.
CREATE TABLE search_words (
    code   integer NOT NULL,
    word   text COLLATE "C" NOT NULL,
    rank   smallint NOT NULL,
    ref_id uuid NOT NULL,
    PRIMARY KEY (code, word, rank, ref_id)
);

-- Existing documents: their tokens are the lexemes of search_docs.words
-- without the "kind:" prefix. Tokens are in document order (title first),
-- so a token whose first position lies within the title's word count is a
-- title word; the count here splits on ASCII spaces and punctuation only,
-- which can mark a title word as rank 1. Re-indexing a record makes its
-- rank exact.
INSERT INTO search_words (code, word, rank, ref_id)
SELECT k.code, substr(l.lexeme, length(d.kind) + 2),
       CASE WHEN l.positions[1] <= (SELECT count(*) FROM regexp_split_to_table(d.title, '[\s!-/:-@\[-`{-~]+') AS p WHERE p <> '')
            THEN 0 ELSE 1 END,
       d.ref_id
FROM search_docs d
JOIN search_kinds k ON k.name = d.kind
CROSS JOIN LATERAL unnest(d.words) AS l;

-- No query reads the GIN index any more: the tsvector only checks the rows
-- search_words hands over, and names a document's tokens when it is
-- replaced or removed. Keeping it would only slow every write.
DROP INDEX search_docs_words;

-- +goose Down
CREATE INDEX search_docs_words ON search_docs USING gin (words);
DROP TABLE search_words;
