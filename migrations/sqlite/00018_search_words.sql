-- +goose Up
-- Nothing to change on SQLite: PostgreSQL's migration 00018 adds
-- search_words, a B-tree of search tokens that answers prefix queries in
-- order. SQLite's FTS5 table already does (its prefix indexes hand a
-- kind's matches over newest first, up to the LIMIT). This file keeps the
-- two engines' migration numbers in step.
SELECT 1;

-- +goose Down
SELECT 1;
