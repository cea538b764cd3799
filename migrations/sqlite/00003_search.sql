-- +goose Up
-- Global search (internal/search). Kinds of record get a code; a kind's
-- documents are numbered inside code << 40 .. (code + 1) << 40, so the
-- FTS5 rowid range of one kind is its filter.
CREATE TABLE search_kinds (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO search_kinds (code, name) VALUES (1, 'contact'), (2, 'company');

-- What a hit shows, and the map from a record to its FTS5 rowid (doc).
CREATE TABLE search_docs (
    doc      INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    ref_id   TEXT NOT NULL,
    title    TEXT NOT NULL,
    subtitle TEXT NOT NULL,
    UNIQUE (kind, ref_id)
);

-- Tokens are made in Go (folded, split on punctuation) and stored as
-- space-separated words. Contentless with contentless_delete: the text is
-- not stored twice and a row is deleted or replaced by rowid alone.
-- Prefix indexes of 2, 3 and 4 characters make short prefixes a single
-- doclist that is read lazily, newest first, up to the LIMIT.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    words,
    content = '',
    contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'",
    prefix = '2 3 4'
);

-- +goose Down
DROP TABLE search_fts;
DROP TABLE search_docs;
DROP TABLE search_kinds;
